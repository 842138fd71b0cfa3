// Package notify is the handler of the notify function: it publishes the
// outcome of an execution, success or failure, to the SNS topic in words a
// person wants to read in an email.
package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
	"github.com/imgflow/imgflow/layers/common/logx"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// PublishAPI is the part of *sns.Client notify uses.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ PublishAPI = (*sns.Client)(nil)

// Message attributes a subscription's filter policy can match, e.g.
// {"status": ["FAILED"]} for failures only.
const (
	AttrStatus    = "status"
	AttrSourceKey = "sourceKey"
	AttrReason    = "reason"
	// AttrKind is "reprocess" on a reprocess summary, absent on the
	// message about one upload.
	AttrKind = "kind"
)

// KindReprocess is AttrKind's value on a reprocess summary.
const KindReprocess = "reprocess"

// Config is the notify function's configuration.
type Config struct {
	TopicARN     string // TOPIC_ARN
	OutputBucket string // OUTPUT_BUCKET, to name where variants are
}

// NewDefaultConfig returns an empty configuration; both settings are required.
func NewDefaultConfig() *Config { return &Config{} }

// LoadFromEnv overrides cfg with the environment.
func LoadFromEnv(cfg *Config, lookup envconfig.LookupFunc) error {
	r := envconfig.NewReader(lookup)
	r.String("TOPIC_ARN", &cfg.TopicARN)
	r.String("OUTPUT_BUCKET", &cfg.OutputBucket)
	return r.Err()
}

// Validate reports every missing setting.
func (c *Config) Validate() error {
	var errs []error
	if c.TopicARN == "" {
		errs = append(errs, errors.New("TOPIC_ARN is not set"))
	}
	if c.OutputBucket == "" {
		errs = append(errs, errors.New("OUTPUT_BUCKET is not set"))
	}
	return errors.Join(errs...)
}

// Handler publishes notifications.
type Handler struct {
	cfg Config
	sns PublishAPI
	s3  s3io.API // reads a reprocess's results; nil where none are summarised
	log *zap.Logger
}

// New returns a Handler. s3api reads the results of a reprocess for its
// summary (NotifyRequest.Reprocess); it may be nil when there are none.
func New(cfg *Config, client PublishAPI, s3api s3io.API, log *zap.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return &Handler{cfg: *cfg, sns: client, s3: s3api, log: log.With(zap.String(logx.KeyComponent, "notify"))}, nil
}

// Handle publishes one notification.
func (h *Handler) Handle(ctx context.Context, req pipeline.NotifyRequest) (pipeline.NotifyResponse, error) {
	log := logx.ForInvocation(ctx, h.log, req.ExecutionARN, req.Object.Key)
	if req.Status != pipeline.StatusSucceeded && req.Status != pipeline.StatusFailed {
		err := &pipelineerr.ConfigError{Err: fmt.Errorf("status %q: want %s or %s", req.Status, pipeline.StatusSucceeded, pipeline.StatusFailed)}
		log.Error("bad notify input", zap.Error(err))
		return pipeline.NotifyResponse{}, err
	}
	var msg Message
	var counts *pipeline.ReprocessCounts
	sourceKey := req.Object.Key
	if req.Reprocess != nil {
		var err error
		if msg, counts, err = h.summarise(ctx, req); err != nil {
			err = pipelineerr.Boundary(err)
			log.Error("reprocess summary failed", zap.Error(err))
			return pipeline.NotifyResponse{}, err
		}
		sourceKey = req.Reprocess.Prefix
	} else {
		if req.Status == pipeline.StatusFailed {
			req.Object = FailedObject(req)
		}
		msg = Compose(req, h.cfg.OutputBucket)
		sourceKey = req.Object.Key
	}
	attrs := map[string]snstypes.MessageAttributeValue{
		AttrStatus:    stringAttr(req.Status),
		AttrSourceKey: stringAttr(sourceKey),
	}
	if req.Reprocess != nil {
		attrs[AttrKind] = stringAttr(KindReprocess)
	}
	if msg.Reason != "" {
		attrs[AttrReason] = stringAttr(msg.Reason)
	}
	out, err := h.sns.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(h.cfg.TopicARN),
		Subject:           aws.String(msg.Subject),
		Message:           aws.String(msg.Body),
		MessageAttributes: attrs,
	})
	if err != nil {
		perr := &pipelineerr.PublishError{Topic: h.cfg.TopicARN, Err: err}
		log.Warn("publish failed", zap.Error(perr))
		return pipeline.NotifyResponse{}, perr
	}
	log.Info("notification published", zap.String("status", req.Status), zap.String("subject", msg.Subject),
		zap.String("message_id", aws.ToString(out.MessageId)))
	return pipeline.NotifyResponse{MessageID: aws.ToString(out.MessageId), Counts: counts}, nil
}

func stringAttr(v string) snstypes.MessageAttributeValue {
	if v == "" {
		v = "-" // SNS refuses empty attribute values
	}
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// Step builds the notify handler, for its Lambda (Step.Build) and the local
// stack; tests take Step.Config and call New with their own clients.
var Step = lambdamain.Step[Config, *Handler]{Name: "notify", Defaults: NewDefaultConfig, Load: LoadFromEnv,
	New: func(c *Config, d lambdamain.Deps) (*Handler, error) {
		return New(c, sns.NewFromConfig(d.AWS), d.S3(), d.Log)
	},
	Handler: func(h *Handler) any { return h.Handle },
}
