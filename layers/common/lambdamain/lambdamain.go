// Package lambdamain is what every function's main does: build the logger
// and the AWS configuration from the environment, build the handler, and
// hand it to the Lambda runtime. A failure before the first invocation is
// logged and the process exits, which Lambda reports as an init error.
package lambdamain

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/logx"
)

// Deps is what a handler is built from.
type Deps struct {
	Env envconfig.LookupFunc
	AWS aws.Config
	Log *zap.Logger
}

// S3 returns an S3 client. AWS_S3_USE_PATH_STYLE=true selects path-style
// addressing, which an endpoint on an IP address (the local stack) needs;
// on AWS the variable is unset and the SDK's default applies.
func (d Deps) S3() *s3.Client {
	pathStyle := false
	if v, ok := d.Env("AWS_S3_USE_PATH_STYLE"); ok {
		pathStyle, _ = strconv.ParseBool(v)
	}
	return s3.NewFromConfig(d.AWS, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}

// Build constructs a handler; its result is anything lambda.NewHandler takes.
type Build func(ctx context.Context, deps Deps) (any, error)

// Options are what a host gives a function besides its environment. The
// zero Options are Lambda's: JSON lines on stdout, and the AWS
// configuration from the process environment.
type Options struct {
	// Sink receives the function's records, already JSON-encoded by logx
	// when it is a logx core: the local stack's log (teed with its
	// Service.LogCore for Invoke's LogType=Tail). The function's LOG_LEVEL
	// decides what reaches it, whatever the sink's own level
	// (logx.WithLevel). Nil: logx.New on os.Stdout, which Lambda forwards
	// to CloudWatch Logs.
	Sink zapcore.Core
	// AWS adds options to config.LoadDefaultConfig: the local stack's
	// region, credentials and endpoint.
	AWS []func(*config.LoadOptions) error
}

// Instance is a function's handler, built as its process builds it before
// the first invocation.
type Instance struct {
	Handler lambda.Handler
	Log     *zap.Logger // the function's logger, with its fields
}

// Init is what a function does before its first invocation, on Lambda (Run)
// and in the local stack's in-process mode alike: build the logger (level
// from LOG_LEVEL, logx's JSON, the function's name from
// AWS_LAMBDA_FUNCTION_NAME), load the AWS configuration with the SDK's
// lines routed into that logger, and build the handler. An error after the
// logger exists is logged through it ("init failed") and returned.
func Init(ctx context.Context, env envconfig.LookupFunc, build Build, opts Options) (*Instance, error) {
	start := time.Now()
	levelName, _ := env("LOG_LEVEL")
	level, err := logx.ParseLevel(levelName)
	if err != nil {
		return nil, err
	}
	var log *zap.Logger
	if opts.Sink != nil {
		log = zap.New(logx.WithLevel(opts.Sink, level))
	} else {
		log = logx.New(os.Stdout, level)
	}
	if name, ok := env("AWS_LAMBDA_FUNCTION_NAME"); ok {
		log = log.With(zap.String(KeyFunction, name))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, append(opts.AWS, config.WithLogger(logx.SDKLogger(log)))...)
	if err != nil {
		log.Error("init failed", zap.Error(err))
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	h, err := build(ctx, Deps{Env: env, AWS: awsCfg, Log: log})
	if err != nil {
		log.Error("init failed", zap.Error(err))
		return nil, err
	}
	log.Debug("init done", zap.String("log_level", level.String()), zap.Duration("init_duration", time.Since(start)))
	return &Instance{Handler: ConcurrentHandler(h, lambda.WithContext(ctx)), Log: log}, nil
}

// ConcurrentHandler is lambda.NewHandlerWithOptions(h, opts...) made safe
// to invoke from several goroutines at once, as the local stack invokes an
// instance. aws-lambda-go encodes a response into a buffer from the
// handler's own pool and returns that buffer's bytes after putting it
// back: on Lambda, one invocation at a time per process, the bytes are
// sent before the next invocation takes the buffer, but two invocations
// side by side could share it, and a Map's concurrent Resizes got each
// other's (or torn) responses. Each invocation gets a handler, and so a
// pool, of its own; building one only inspects h's type.
func ConcurrentHandler(h any, opts ...lambda.Option) lambda.Handler {
	return concurrentHandler{h: h, opts: opts}
}

type concurrentHandler struct {
	h    any
	opts []lambda.Option
}

func (c concurrentHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambda.NewHandlerWithOptions(c.h, c.opts...).Invoke(ctx, payload)
}

// KeyFunction is the field naming the function on each of its lines.
const KeyFunction = "function"

// Run never returns while the runtime serves invocations.
func Run(ctx context.Context, env envconfig.LookupFunc, build Build) {
	inst, err := Init(ctx, env, build, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer inst.Log.Sync() //nolint:errcheck // stdout
	lambda.Start(inst.Handler)
}
