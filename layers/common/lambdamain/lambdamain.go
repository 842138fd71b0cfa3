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

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

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

// Run never returns while the runtime serves invocations.
func Run(ctx context.Context, env envconfig.LookupFunc, build Build) {
	if err := run(ctx, env, build); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, env envconfig.LookupFunc, build Build) error {
	levelName, _ := env("LOG_LEVEL")
	level, err := logx.ParseLevel(levelName)
	if err != nil {
		return err
	}
	log := logx.New(os.Stdout, level)
	defer log.Sync() //nolint:errcheck // stdout
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logx.SDKLogger(log)))
	if err != nil {
		log.Error("load AWS configuration", zap.Error(err))
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	handler, err := build(ctx, Deps{Env: env, AWS: awsCfg, Log: log})
	if err != nil {
		log.Error("init failed", zap.Error(err))
		return err
	}
	lambda.StartWithOptions(handler, lambda.WithContext(ctx))
	return nil
}
