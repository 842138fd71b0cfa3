// Package cleanup is the handler of the cleanup function: when an original
// is deleted from the upload bucket, it removes that source's variants and
// manifest from the output bucket, so deleted originals leave no orphaned
// variants behind.
//
// What it deletes is guarded three ways. It lists exactly the source's own
// folder, <OutputPrefix>/<EscapeKey(key)>/, one level deep (Delimiter "/"),
// because another source's folder can sit inside it: uploads/a has the
// folder variants/uploads/a, uploads/a/b.jpg has variants/uploads/a/b.jpg.
// Every listed key is checked again before it is deleted: it must be
// <folder>/<one segment>, and the folder must be the source's under the
// configured prefix (pipeline.OutputPrefixOf). And it never writes to the
// upload bucket: originals are only read (HEAD).
//
// Versions. The upload bucket is versioned, and a removal event does not
// mean the key is gone: deleting an older version, or removing a delete
// marker (which restores the version below it), leaves a current object
// whose outputs must stay. So the handler asks S3 first (HEAD of the key's
// current version) and cleans only when the key has no current object: a
// delete marker was created, or the last version was deleted. That also
// makes the order of events irrelevant: a late delete event for a key that
// was uploaded again finds the new object and keeps its outputs.
//
// It is idempotent: a key with no outputs, or a second delivery of the same
// event, lists an empty folder and deletes nothing.
package cleanup

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
	"github.com/imgflow/imgflow/layers/common/logx"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// API is the part of *s3.Client the cleanup uses.
type API interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

var _ API = (*s3.Client)(nil)

// maxDeleteBatch is DeleteObjects' limit on keys per request.
const maxDeleteBatch = 1000

// Config is the cleanup function's configuration.
type Config struct {
	UploadBucket string // UPLOAD_BUCKET: only its removals are acted on
	UploadPrefix string // UPLOAD_PREFIX: only keys under it have outputs
	OutputBucket string // OUTPUT_BUCKET: where the outputs are deleted
	OutputPrefix string // OUTPUT_PREFIX
}

// NewDefaultConfig returns the defaults of template.yaml.
func NewDefaultConfig() *Config {
	return &Config{UploadPrefix: "uploads/", OutputPrefix: "variants"}
}

// LoadFromEnv overrides cfg with the environment.
func LoadFromEnv(cfg *Config, lookup envconfig.LookupFunc) error {
	r := envconfig.NewReader(lookup)
	r.String("UPLOAD_BUCKET", &cfg.UploadBucket)
	r.String("UPLOAD_PREFIX", &cfg.UploadPrefix)
	r.String("OUTPUT_BUCKET", &cfg.OutputBucket)
	r.String("OUTPUT_PREFIX", &cfg.OutputPrefix)
	return r.Err()
}

// Validate reports every bad setting. The upload bucket is required, not
// optional as in validate: a removal in any other bucket must never delete
// outputs.
func (c *Config) Validate() error {
	var errs []error
	if c.UploadBucket == "" {
		errs = append(errs, errors.New("UPLOAD_BUCKET is not set"))
	}
	if c.OutputBucket == "" {
		errs = append(errs, errors.New("OUTPUT_BUCKET is not set"))
	}
	if c.UploadBucket != "" && c.UploadBucket == c.OutputBucket {
		errs = append(errs, errors.New("UPLOAD_BUCKET and OUTPUT_BUCKET are the same bucket"))
	}
	if strings.Trim(c.OutputPrefix, "/") == "" {
		// With no prefix a source's folder would be its escaped key at the
		// bucket root: still its own, but one typo away from everything.
		errs = append(errs, errors.New("OUTPUT_PREFIX is not set"))
	}
	return errors.Join(errs...)
}

// Handler removes the outputs of deleted originals.
type Handler struct {
	cfg Config
	s3  API
	log *zap.Logger
}

// New returns a Handler.
func New(cfg *Config, api API, log *zap.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cleanup: %w", err)
	}
	return &Handler{cfg: *cfg, s3: api, log: log.With(zap.String(logx.KeyComponent, "cleanup"))}, nil
}

// Result says what happened to each record, for logs and tests.
type Result struct {
	Cleaned  []Cleaned `json:"cleaned"`  // sources whose folder was emptied (Deleted may be 0)
	Kept     []string  `json:"kept"`     // "key: reason": the key still has a current object
	Ignored  []string  `json:"ignored"`  // "key: reason": not a removal this function acts on
	Failures []string  `json:"failures"` // "key: error"
}

// Cleaned is one source whose outputs were removed.
type Cleaned struct {
	Key     string   `json:"key"`
	Folder  string   `json:"folder"`
	Deleted []string `json:"deleted"`
}

// RecordsFailedError is returned when at least one record could not be
// handled. Lambda then retries the whole event (records already cleaned
// find an empty folder) and finally sends it to the OnFailure destination.
type RecordsFailedError struct {
	Failed, Total int
	Errs          []error
}

func (e *RecordsFailedError) Error() string {
	return fmt.Sprintf("%d of %d records failed to clean up: %v", e.Failed, e.Total, errors.Join(e.Errs...))
}

// Unwrap returns each record's error, for errors.As.
func (e *RecordsFailedError) Unwrap() []error { return e.Errs }

// GuardError is a listed key that is not a file of the source's own output
// folder. It is never deleted; the record fails so that the event lands in
// the dead-letter queue and someone looks.
type GuardError struct {
	SourceKey, Folder, Key string
}

func (e *GuardError) Error() string {
	return fmt.Sprintf("refusing to delete %q: not a file of %q, the output folder of %q", e.Key, e.Folder, e.SourceKey)
}

// Handle processes every record of the event; one failing record does not
// stop the others.
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) (Result, error) {
	var res Result
	var errs []error
	for i, rec := range ev.Records {
		key, ignore, err := h.sourceKey(rec)
		if err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("record %d: %v", i, err))
			errs = append(errs, fmt.Errorf("record %d: %w", i, err))
			continue
		}
		log := logx.ForInvocation(ctx, h.log, "", key).With(zap.String("event", rec.EventName),
			zap.String("version_id", rec.S3.Object.VersionID))
		if ignore != "" {
			log.Info("removal ignored", zap.String("reason", ignore))
			res.Ignored = append(res.Ignored, key+": "+ignore)
			continue
		}
		kept, c, err := h.cleanup(ctx, key)
		switch {
		case err != nil:
			err = pipelineerr.Boundary(err)
			log.Warn("cleanup failed", zap.Error(err))
			res.Failures = append(res.Failures, key+": "+err.Error())
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		case kept != "":
			log.Info("outputs kept", zap.String("reason", kept))
			res.Kept = append(res.Kept, key+": "+kept)
		default:
			log.Info("outputs removed", zap.String("folder", c.Folder), zap.Int("deleted", len(c.Deleted)))
			res.Cleaned = append(res.Cleaned, c)
		}
	}
	if len(errs) > 0 {
		return res, &RecordsFailedError{Failed: len(errs), Total: len(ev.Records), Errs: errs}
	}
	return res, nil
}

// sourceKey decodes a record's key, and says why the record is not acted
// on, if so.
func (h *Handler) sourceKey(rec events.S3EventRecord) (string, string, error) {
	// S3 URL-encodes keys in notifications, with '+' for a space.
	key, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		return "", "", fmt.Errorf("key %q is not URL-encoded: %w", rec.S3.Object.Key, err)
	}
	switch {
	case !strings.HasPrefix(rec.EventName, "ObjectRemoved:"):
		return key, "not an ObjectRemoved event (" + rec.EventName + ")", nil
	case rec.S3.Bucket.Name != h.cfg.UploadBucket:
		return key, "bucket " + rec.S3.Bucket.Name + " is not the upload bucket", nil
	case !strings.HasPrefix(key, h.cfg.UploadPrefix):
		return key, "key is outside the upload prefix " + h.cfg.UploadPrefix, nil
	case strings.HasSuffix(key, "/"):
		return key, "folder marker", nil
	}
	return key, "", nil
}

// cleanup removes key's outputs unless key still has a current object; it
// returns why they were kept, or what was deleted.
func (h *Handler) cleanup(ctx context.Context, key string) (string, Cleaned, error) {
	exists, err := h.exists(ctx, key)
	if err != nil {
		return "", Cleaned{}, err
	}
	if exists {
		return "the key still has a current version (an older version or a delete marker was removed)", Cleaned{}, nil
	}
	dir := pipeline.OutputDir(h.cfg.OutputPrefix, key)
	c := Cleaned{Key: key, Folder: dir}
	keys, err := h.list(ctx, key, dir)
	if err != nil {
		return "", c, err
	}
	for start := 0; start < len(keys); start += maxDeleteBatch {
		batch := keys[start:min(start+maxDeleteBatch, len(keys))]
		if err := h.delete(ctx, batch); err != nil {
			return "", c, err
		}
		c.Deleted = append(c.Deleted, batch...)
	}
	return "", c, nil
}

// exists reports whether key has a current object in the upload bucket.
func (h *Handler) exists(ctx context.Context, key string) (bool, error) {
	_, err := h.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(h.cfg.UploadBucket), Key: aws.String(key)})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(s3io.Translate(err), s3io.ErrNotFound):
		return false, nil
	}
	return false, &pipelineerr.StorageError{Op: "head", URI: "s3://" + h.cfg.UploadBucket + "/" + key, Err: err}
}

// list returns the files of dir, each checked with guard.
func (h *Handler) list(ctx context.Context, key, dir string) ([]string, error) {
	var keys []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(h.cfg.OutputBucket), Prefix: aws.String(dir + "/"), Delimiter: aws.String("/")}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out, err := h.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, &pipelineerr.StorageError{Op: "list", URI: "s3://" + h.cfg.OutputBucket + "/" + dir + "/", Err: err}
		}
		for _, o := range out.Contents {
			k := aws.ToString(o.Key)
			if err := h.guard(key, dir, k); err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return keys, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// guard checks that k is a file of sourceKey's own output folder dir under
// the configured prefix: <dir>/<one segment>, whatever S3 returned.
func (h *Handler) guard(sourceKey, dir, k string) error {
	name, ok := strings.CutPrefix(k, dir+"/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return &GuardError{SourceKey: sourceKey, Folder: dir, Key: k}
	}
	prefix, ok := pipeline.OutputPrefixOf(dir, sourceKey)
	if !ok || prefix != strings.Trim(h.cfg.OutputPrefix, "/") {
		return &GuardError{SourceKey: sourceKey, Folder: dir, Key: k}
	}
	return nil
}

// delete removes keys (at most maxDeleteBatch) from the output bucket. The
// bucket is versioned, so each becomes a delete marker and stays
// restorable for the bucket's noncurrent-version lifetime.
func (h *Handler) delete(ctx context.Context, keys []string) error {
	objs := make([]s3types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		objs[i] = s3types.ObjectIdentifier{Key: aws.String(k)}
	}
	out, err := h.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(h.cfg.OutputBucket),
		Delete: &s3types.Delete{Objects: objs, Quiet: aws.Bool(true)}})
	if err != nil {
		return &pipelineerr.StorageError{Op: "delete", URI: "s3://" + h.cfg.OutputBucket + "/" + keys[0], Err: err}
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return &pipelineerr.StorageError{Op: "delete", URI: "s3://" + h.cfg.OutputBucket + "/" + aws.ToString(e.Key),
			Err: fmt.Errorf("%d of %d keys not deleted: %s: %s", len(out.Errors), len(keys), aws.ToString(e.Code), aws.ToString(e.Message))}
	}
	return nil
}

// Step builds the cleanup handler, for its Lambda (Step.Build) and the local
// stack; tests take Step.Config and call New with their own clients.
var Step = lambdamain.Step[Config, *Handler]{Name: "cleanup", Defaults: NewDefaultConfig, Load: LoadFromEnv,
	New:     func(c *Config, d lambdamain.Deps) (*Handler, error) { return New(c, d.S3(), d.Log) },
	Handler: func(h *Handler) any { return h.Handle },
}
