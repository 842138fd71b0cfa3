// Package logx builds the JSON zap logger every imgflow function uses, and the
// child logger each invocation logs through.
package logx

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/smithy-go/logging"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Field keys shared by every line, so one CloudWatch Logs Insights query
// (filter execution_arn = "...") finds a whole run across all functions.
const (
	KeyRequestID    = "request_id"
	KeyExecutionARN = "execution_arn"
	KeySourceKey    = "source_key"
	KeyComponent    = "component"
)

// ParseLevel accepts debug, info, warn and error (any case); empty means info.
func ParseLevel(s string) (zapcore.Level, error) {
	if s == "" {
		return zapcore.InfoLevel, nil
	}
	var l zapcore.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("logx: level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// New returns a JSON logger at level writing to w. Lambda forwards stdout to
// CloudWatch Logs, so main passes os.Stdout.
func New(w io.Writer, level zapcore.Level) *zap.Logger {
	return zap.New(zapcore.NewCore(NewEncoder(), zapcore.AddSync(w), level))
}

// NewEncoder returns the JSON encoder of New's lines, for other sinks of
// the same lines (the local stack's copy for Invoke's LogType=Tail).
func NewEncoder() zapcore.Encoder {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	enc.MessageKey = "message"
	return zapcore.NewJSONEncoder(enc)
}

// ForInvocation returns base with the invocation's request id (from the
// Lambda context, when there is one), execution ARN and source key attached.
// Empty values are still attached, so every line has the same keys.
func ForInvocation(ctx context.Context, base *zap.Logger, executionARN, sourceKey string) *zap.Logger {
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	return base.With(
		zap.String(KeyRequestID, requestID),
		zap.String(KeyExecutionARN, executionARN),
		zap.String(KeySourceKey, sourceKey),
	)
}

// SDKLogger routes the AWS SDK's own log lines (retries, checksum notes)
// into l at debug level, instead of the SDK's default of writing them
// unstructured to stderr.
func SDKLogger(l *zap.Logger) logging.Logger {
	l = l.With(zap.String(KeyComponent, "aws-sdk"))
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		l.Debug(fmt.Sprintf(format, v...), zap.String("classification", string(c)))
	})
}

// WithLevel returns sink logging at level, whatever sink's own level: the
// records a function's LOG_LEVEL enables reach a shared sink (the local
// stack's log file) even when that sink logs its own records at a higher
// level. sink's Write must not filter by level, as zapcore's io core and
// Tee do not.
func WithLevel(sink zapcore.Core, level zapcore.LevelEnabler) zapcore.Core {
	return &leveledCore{LevelEnabler: level, sink: sink}
}

type leveledCore struct {
	zapcore.LevelEnabler
	sink zapcore.Core
}

func (c *leveledCore) With(fields []zapcore.Field) zapcore.Core {
	return &leveledCore{LevelEnabler: c.LevelEnabler, sink: c.sink.With(fields)}
}

func (c *leveledCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *leveledCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	return c.sink.Write(e, fields)
}

func (c *leveledCore) Sync() error { return c.sink.Sync() }
