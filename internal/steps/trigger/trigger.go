// Package trigger is the handler of the trigger function: it turns S3
// ObjectCreated notifications into state machine executions.
package trigger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
	"github.com/imgflow/imgflow/layers/common/logx"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

// StartExecutionAPI is the part of *sfn.Client the trigger uses.
type StartExecutionAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

var _ StartExecutionAPI = (*sfn.Client)(nil)

// Config is the trigger's configuration.
type Config struct {
	StateMachineARN string // STATE_MACHINE_ARN
	UploadPrefix    string // UPLOAD_PREFIX: only keys under it start a run
	OutputBucket    string // OUTPUT_BUCKET: never starts a run (recursion guard)
	OutputPrefix    string // OUTPUT_PREFIX: never starts a run, in any bucket
}

// NewDefaultConfig returns the defaults of template.yaml.
func NewDefaultConfig() *Config {
	return &Config{UploadPrefix: "uploads/", OutputPrefix: "variants"}
}

// LoadFromEnv overrides cfg with the environment.
func LoadFromEnv(cfg *Config, lookup envconfig.LookupFunc) error {
	r := envconfig.NewReader(lookup)
	r.String("STATE_MACHINE_ARN", &cfg.StateMachineARN)
	r.String("UPLOAD_PREFIX", &cfg.UploadPrefix)
	r.String("OUTPUT_BUCKET", &cfg.OutputBucket)
	r.String("OUTPUT_PREFIX", &cfg.OutputPrefix)
	return r.Err()
}

// Validate reports every missing setting.
func (c *Config) Validate() error {
	var errs []error
	if c.StateMachineARN == "" {
		errs = append(errs, errors.New("STATE_MACHINE_ARN is not set"))
	}
	if c.OutputBucket == "" {
		errs = append(errs, errors.New("OUTPUT_BUCKET is not set"))
	}
	return errors.Join(errs...)
}

// Handler starts one execution per uploaded object version.
type Handler struct {
	cfg Config
	sfn StartExecutionAPI
	log *zap.Logger
}

// New returns a Handler.
func New(cfg *Config, client StartExecutionAPI, log *zap.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	return &Handler{cfg: *cfg, sfn: client, log: log.With(zap.String(logx.KeyComponent, "trigger"))}, nil
}

// Result says what happened to each record, for logs and tests.
type Result struct {
	Started  []string `json:"started"`  // execution ARNs (new or already running)
	Skipped  []string `json:"skipped"`  // "key: reason"
	Failures []string `json:"failures"` // "key: error"
}

// RecordsFailedError is returned when at least one record could not start its
// execution. Lambda then retries the whole event (as its async invoke config
// says) and finally sends it to the OnFailure destination; records that did
// start are not started twice, because execution names are deterministic.
type RecordsFailedError struct {
	Failed, Total int
	Errs          []error
}

func (e *RecordsFailedError) Error() string {
	return fmt.Sprintf("%d of %d records failed to start an execution: %v", e.Failed, e.Total, errors.Join(e.Errs...))
}

// Handle processes every record of the event; one failing record does not
// stop the others.
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) (Result, error) {
	var res Result
	var errs []error
	for i, rec := range ev.Records {
		ref, skip, err := h.objectRef(rec)
		if err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("record %d: %v", i, err))
			errs = append(errs, fmt.Errorf("record %d: %w", i, err))
			continue
		}
		log := logx.ForInvocation(ctx, h.log, "", ref.Key).With(zap.String("bucket", ref.Bucket), zap.String("version_id", ref.VersionID))
		if skip != "" {
			log.Info("upload ignored", zap.String("reason", skip))
			res.Skipped = append(res.Skipped, ref.Key+": "+skip)
			continue
		}
		arn, err := h.start(ctx, ref)
		if err != nil {
			log.Error("start execution failed", zap.Error(err))
			res.Failures = append(res.Failures, ref.Key+": "+err.Error())
			errs = append(errs, fmt.Errorf("%s: %w", ref.Key, err))
			continue
		}
		log.Info("execution started", zap.String(logx.KeyExecutionARN, arn))
		res.Started = append(res.Started, arn)
	}
	if len(errs) > 0 {
		return res, &RecordsFailedError{Failed: len(errs), Total: len(ev.Records), Errs: errs}
	}
	return res, nil
}

// objectRef decodes a record, and says why it must not start a run, if so.
func (h *Handler) objectRef(rec events.S3EventRecord) (pipeline.ObjectRef, string, error) {
	// S3 URL-encodes keys in notifications, with '+' for a space.
	key, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		return pipeline.ObjectRef{}, "", fmt.Errorf("key %q is not URL-encoded: %w", rec.S3.Object.Key, err)
	}
	ref := pipeline.ObjectRef{
		Bucket:    rec.S3.Bucket.Name,
		Key:       key,
		VersionID: rec.S3.Object.VersionID,
		ETag:      rec.S3.Object.ETag,
		Size:      rec.S3.Object.Size,
		Sequencer: rec.S3.Object.Sequencer,
		EventTime: rec.EventTime.UTC(),
	}
	outputPrefix := strings.Trim(h.cfg.OutputPrefix, "/")
	switch {
	case !strings.HasPrefix(rec.EventName, "ObjectCreated:"):
		return ref, "not an ObjectCreated event (" + rec.EventName + ")", nil
	case ref.Bucket == h.cfg.OutputBucket:
		return ref, "object is in the output bucket", nil
	case outputPrefix != "" && (key == outputPrefix || strings.HasPrefix(key, outputPrefix+"/")):
		return ref, "object is under the output prefix", nil
	case !strings.HasPrefix(key, h.cfg.UploadPrefix):
		return ref, "key is outside the upload prefix " + h.cfg.UploadPrefix, nil
	case strings.HasSuffix(key, "/"):
		return ref, "folder marker", nil
	}
	// A zero-byte file is not skipped: it starts a run that validate
	// rejects with EmptyObject, so the uploader gets the failure email
	// and `imgflow upload --wait` an answer, instead of a log line nobody
	// reads.
	return ref, "", nil
}

func (h *Handler) start(ctx context.Context, ref pipeline.ObjectRef) (string, error) {
	input, err := json.Marshal(ref)
	if err != nil {
		return "", fmt.Errorf("encode input: %w", err)
	}
	name := ExecutionName(ref)
	out, err := h.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(h.cfg.StateMachineARN),
		Name:            aws.String(name),
		Input:           aws.String(string(input)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		// The same name means the same object version: this is a duplicate
		// delivery of an event that already started its run.
		return arn.ExecutionOf(h.cfg.StateMachineARN, name), nil
	}
	if err != nil {
		return "", fmt.Errorf("start execution %s: %w", name, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

const maxNameLen = 80

// ExecutionName derives the execution name from the object version, so a
// duplicate delivery of the same event maps to the same execution and Step
// Functions refuses to start it twice. It is readable (the file name comes
// first), at most 80 characters, and uses only characters Step Functions
// accepts. Without a version id (an unversioned bucket) the event's sequencer
// tells one write of a key from the next.
func ExecutionName(ref pipeline.ObjectRef) string {
	identity := ref.VersionID
	if identity == "" {
		identity = "seq:" + ref.Sequencer
	}
	sum := sha256.Sum256([]byte(ref.Bucket + "\x00" + ref.Key + "\x00" + identity))
	hash := hex.EncodeToString(sum[:12]) // 24 hex characters, 96 bits
	stem := sanitize(strings.TrimSuffix(path.Base(ref.Key), path.Ext(ref.Key)))
	if limit := maxNameLen - len(hash) - 1; len(stem) > limit {
		stem = stem[:limit]
	}
	if stem == "" {
		return hash
	}
	return stem + "-" + hash
}

// sanitize keeps [A-Za-z0-9_-] and turns every other rune into '_'.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_-")
}

// Step builds the trigger handler, for its Lambda (Step.Build) and the local
// stack; tests take Step.Config and call New with their own clients.
var Step = lambdamain.Step[Config, *Handler]{Name: "trigger", Defaults: NewDefaultConfig, Load: LoadFromEnv,
	New:     func(c *Config, d lambdamain.Deps) (*Handler, error) { return New(c, sfn.NewFromConfig(d.AWS), d.Log) },
	Handler: func(h *Handler) any { return h.Handle },
}
