// Package validate is the handler of the validate function: it decides from
// the first bytes of an upload whether it can be processed, and plans the
// variants to make.
package validate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/steps/rejection"
	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
	"github.com/imgflow/imgflow/layers/common/logx"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/presets"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// headerChunk is the size of each ranged GET while the header is parsed.
// Most JPEG headers (EXIF with a thumbnail, an ICC profile) fit in one.
const headerChunk = 64 << 10

// Config is the validate function's configuration.
type Config struct {
	UploadBucket string // UPLOAD_BUCKET: the one bucket it may read; empty means any
	UploadPrefix string // UPLOAD_PREFIX: the one prefix it may read
	OutputBucket string // OUTPUT_BUCKET
	OutputPrefix string // OUTPUT_PREFIX
	MaxPixels    int64  // MAX_PIXELS: decompression-bomb guard, checked on the header
	MaxSide      int64  // MAX_SIDE: longest width or height, checked on the header
	MaxBytes     int64  // MAX_BYTES
	PresetsFile  string // IMGFLOW_PRESETS_FILE
}

// NewDefaultConfig returns the defaults of template.yaml.
func NewDefaultConfig() *Config {
	return &Config{
		UploadPrefix: "uploads/",
		OutputPrefix: "variants",
		MaxPixels:    100_000_000,
		MaxSide:      imaging.DefaultMaxSide,
		MaxBytes:     100 << 20,
		PresetsFile:  presets.DefaultPath,
	}
}

// LoadFromEnv overrides cfg with the environment.
func LoadFromEnv(cfg *Config, lookup envconfig.LookupFunc) error {
	r := envconfig.NewReader(lookup)
	r.String("UPLOAD_BUCKET", &cfg.UploadBucket)
	r.String("UPLOAD_PREFIX", &cfg.UploadPrefix)
	r.String("OUTPUT_BUCKET", &cfg.OutputBucket)
	r.String("OUTPUT_PREFIX", &cfg.OutputPrefix)
	r.Int64("MAX_PIXELS", &cfg.MaxPixels)
	r.Int64("MAX_SIDE", &cfg.MaxSide)
	r.Int64("MAX_BYTES", &cfg.MaxBytes)
	r.String("IMGFLOW_PRESETS_FILE", &cfg.PresetsFile)
	return r.Err()
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.OutputBucket == "" {
		errs = append(errs, errors.New("OUTPUT_BUCKET is not set"))
	}
	if c.MaxPixels <= 0 {
		errs = append(errs, fmt.Errorf("MAX_PIXELS must be positive, got %d", c.MaxPixels))
	}
	if c.MaxSide <= 0 || c.MaxSide > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("MAX_SIDE must be in 1..%d, got %d", math.MaxInt32, c.MaxSide))
	}
	if c.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("MAX_BYTES must be positive, got %d", c.MaxBytes))
	}
	return errors.Join(errs...)
}

// Handler validates uploads.
type Handler struct {
	cfg     Config
	presets []presets.Preset
	digest  string // presets.Digest(presets)
	s3      *s3io.Client
	log     *zap.Logger
	now     func() time.Time
}

// New returns a Handler; it reads the presets file once, at cold start.
func New(cfg *Config, api s3io.API, log *zap.Logger, now func() time.Time) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	pf, err := presets.Load(cfg.PresetsFile)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return &Handler{cfg: *cfg, presets: pf.Presets, digest: presets.Digest(pf.Presets), s3: s3io.New(api), log: log.With(zap.String(logx.KeyComponent, "validate")), now: now}, nil
}

// Handle validates one object version. Rejections are returned as
// *pipelineerr.ImageRejectedError, S3 trouble as *pipelineerr.StorageError.
func (h *Handler) Handle(ctx context.Context, req pipeline.ValidateRequest) (pipeline.ValidateResponse, error) {
	start := h.now()
	log := logx.ForInvocation(ctx, h.log, req.ExecutionARN, req.Object.Key)
	resp, read, err := h.validateRequest(ctx, req)
	if err != nil {
		err = pipelineerr.Boundary(err)
		log.Info("upload rejected", zap.Error(err), zap.Int64("bytes_read", read))
		return pipeline.ValidateResponse{}, err
	}
	resp.DurationMs = h.now().Sub(start).Milliseconds()
	if resp.Skip != "" {
		log.Info("reprocess skipped", zap.String("reason", resp.Skip))
		return resp, nil
	}
	log.Info("upload validated",
		zap.String("format", resp.Source.Format),
		zap.Int("width", resp.Source.Width), zap.Int("height", resp.Source.Height),
		zap.Int("orientation", resp.Source.Orientation),
		zap.Int64("bytes", resp.Source.Bytes), zap.Int64("bytes_read", read),
		zap.Int("variants", variantCount(resp.Variants)), zap.Int("resize_items", len(resp.Variants)))
	return resp, nil
}

// variantCount is the number of sizes planned, whatever their grouping.
func variantCount(items []pipeline.VariantPlan) int {
	n := 0
	for _, it := range items {
		n += len(it.Plans())
	}
	return n
}

// validateRequest rejects an execution input that names no object, then
// validates the object. Only an execution started by hand can have such an
// input and only a person can fix it, so it is a rejection (never retried,
// explained in the email), not a ConfigError.
func (h *Handler) validateRequest(ctx context.Context, req pipeline.ValidateRequest) (pipeline.ValidateResponse, int64, error) {
	obj := req.Object
	var missing []string
	if obj.Bucket == "" {
		missing = append(missing, `"bucket"`)
	}
	if obj.Key == "" {
		missing = append(missing, `"key"`)
	}
	switch {
	case req.InputError != nil:
		return pipeline.ValidateResponse{}, 0, pipelineerr.Reject(pipelineerr.ReasonInvalidInput, "%v", req.InputError)
	case len(missing) > 0:
		return pipeline.ValidateResponse{}, 0, pipelineerr.Reject(pipelineerr.ReasonInvalidInput,
			"the execution input has no %s (a non-empty string)", strings.Join(missing, " and no "))
	// The function's IAM policy lets it read only the upload prefix of the
	// upload bucket: anything else would be an AccessDenied that looks like
	// (and is retried as) an S3 outage. Said plainly instead.
	case h.cfg.UploadBucket != "" && obj.Bucket != h.cfg.UploadBucket:
		return pipeline.ValidateResponse{}, 0, pipelineerr.Reject(pipelineerr.ReasonInvalidInput,
			"bucket %q is not the upload bucket %q", obj.Bucket, h.cfg.UploadBucket)
	case !strings.HasPrefix(obj.Key, h.cfg.UploadPrefix):
		return pipeline.ValidateResponse{}, 0, pipelineerr.Reject(pipelineerr.ReasonInvalidInput,
			"key %q is outside the upload prefix %q", obj.Key, h.cfg.UploadPrefix)
	}
	// A listing has the folder markers the trigger never starts a run for.
	if req.Reprocess && strings.HasSuffix(obj.Key, "/") {
		return pipeline.ValidateResponse{Source: pipeline.Source{Bucket: obj.Bucket, Key: obj.Key}, Skip: "folder marker"}, 0, nil
	}
	return h.validate(ctx, obj, req.Reprocess && !req.Force)
}

// validate checks obj and plans its variants. With skipCurrent (a
// reprocess without force) an object whose manifest already describes
// this version made with these presets is skipped after the HEAD, before
// any of its bytes are read.
func (h *Handler) validate(ctx context.Context, obj pipeline.ObjectRef, skipCurrent bool) (pipeline.ValidateResponse, int64, error) {
	ref := s3io.Ref{Bucket: obj.Bucket, Key: obj.Key, VersionID: obj.VersionID}
	info, err := h.s3.Head(ctx, ref)
	if err != nil {
		return pipeline.ValidateResponse{}, 0, rejection.FromStorage("head", ref, err)
	}
	if skipCurrent {
		reason, err := h.current(ctx, obj.Key, info)
		if err != nil {
			return pipeline.ValidateResponse{}, 0, err
		}
		if reason != "" {
			src := pipeline.Source{Bucket: obj.Bucket, Key: obj.Key, VersionID: info.VersionID, ETag: info.ETag, Bytes: info.Size}
			return pipeline.ValidateResponse{Source: src, Variants: []pipeline.VariantPlan{}, PresetsDigest: h.digest, Skip: reason}, 0, nil
		}
	}
	// Without versioning the key may have been overwritten since the event;
	// that newer write has an event, and a run, of its own.
	if obj.VersionID == "" && obj.ETag != "" && strings.Trim(info.ETag, `"`) != strings.Trim(obj.ETag, `"`) {
		return pipeline.ValidateResponse{}, 0, pipelineerr.Reject(pipelineerr.ReasonSourceChanged,
			"%s was overwritten (ETag %s, the event said %s)", ref.URI(), info.ETag, obj.ETag)
	}
	ref.ETag = info.ETag
	switch {
	case info.Size == 0:
		return pipeline.ValidateResponse{}, 0, pipelineerr.Reject(pipelineerr.ReasonEmpty, "%s has 0 bytes", ref.URI())
	case info.Size > h.cfg.MaxBytes:
		return pipeline.ValidateResponse{}, 0, pipelineerr.Reject(pipelineerr.ReasonTooManyBytes,
			"%d bytes, the limit is %d", info.Size, h.cfg.MaxBytes)
	}

	rr := h.s3.NewRangeReader(ctx, ref, info.Size, headerChunk)
	srcReader := &rejection.SourceReader{R: rr}
	hdr, err := imaging.Probe(srcReader)
	fetched := rr.Fetched()
	if srcReader.Err != nil {
		// The read failed, not the image: S3's error decides.
		return pipeline.ValidateResponse{}, fetched, rejection.FromStorage("get", ref, srcReader.Err)
	}
	if err != nil {
		return pipeline.ValidateResponse{}, fetched, rejection.FromImaging(err, true)
	}
	if px := hdr.Pixels(); px > h.cfg.MaxPixels {
		return pipeline.ValidateResponse{}, fetched, pipelineerr.Reject(pipelineerr.ReasonTooManyPixels,
			"%dx%d is %d pixels, the limit is %d", hdr.Width, hdr.Height, px, h.cfg.MaxPixels)
	}
	if side := max(hdr.Width, hdr.Height); int64(side) > h.cfg.MaxSide {
		return pipeline.ValidateResponse{}, fetched, pipelineerr.Reject(pipelineerr.ReasonTooLongSide,
			"%dx%d, the longest side allowed is %d", hdr.Width, hdr.Height, h.cfg.MaxSide)
	}
	// The engine's own limits on top (a lossless WebP has a lower pixel
	// limit), so resize does not find them four times over.
	if err := (imaging.Limits{MaxPixels: h.cfg.MaxPixels, MaxSide: int(h.cfg.MaxSide)}).Check(hdr); err != nil {
		return pipeline.ValidateResponse{}, fetched, rejection.FromImaging(err, true)
	}

	w, hgt := hdr.DisplaySize()
	src := pipeline.Source{
		Bucket: obj.Bucket, Key: obj.Key, VersionID: info.VersionID, ETag: info.ETag, Bytes: info.Size,
		Format: string(hdr.Format), Width: w, Height: hgt, StoredWidth: hdr.Width, StoredHeight: hdr.Height,
		Orientation: hdr.Orientation, HasAlpha: hdr.HasAlpha, ColorModel: hdr.ColorModel,
		Progressive: hdr.Progressive, Animated: hdr.Animated, HasGPS: hdr.HasGPS,
	}
	if src.VersionID == "" {
		src.VersionID = obj.VersionID
	}
	plans := Plan(src, h.presets, h.cfg.OutputBucket, h.cfg.OutputPrefix)
	if err := checkKeyLengths(src.Key, h.cfg.OutputPrefix, plans); err != nil {
		return pipeline.ValidateResponse{}, fetched, err
	}
	return pipeline.ValidateResponse{Source: src, Variants: Items(plans), PresetsDigest: h.digest}, fetched, nil
}

// maxManifestBytes bounds the read of an existing manifest: one lists a
// few dozen files, a few KiB.
const maxManifestBytes = 1 << 20

// current says why key's outputs are already those of the version info
// describes and of the current presets ("" when they are not, or there
// are none): the manifest, the commit point of a run, records both. A
// manifest that cannot be read as one is not current; the run rewrites it.
func (h *Handler) current(ctx context.Context, key string, info s3io.ObjectInfo) (string, error) {
	ref := s3io.Ref{Bucket: h.cfg.OutputBucket, Key: pipeline.ManifestKey(h.cfg.OutputPrefix, key)}
	body, err := h.s3.Open(ctx, ref)
	if errors.Is(err, s3io.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", &pipelineerr.StorageError{Op: "get", URI: ref.URI(), Err: err}
	}
	defer body.Close()
	var m pipeline.Manifest
	if err := json.NewDecoder(io.LimitReader(body, maxManifestBytes)).Decode(&m); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		h.log.Info("existing manifest unreadable, remade", zap.String("key", ref.Key), zap.Error(err))
		return "", nil
	}
	if !m.Matches(info.VersionID, info.ETag, h.digest) {
		return "", nil
	}
	return fmt.Sprintf("manifest %s is current (version %s, presets %s)", ref.Key, cmp.Or(info.VersionID, "null"), h.digest), nil
}

// maxKeyBytes is S3's limit on the length of a key.
const maxKeyBytes = 1024

// checkKeyLengths rejects a source whose output keys S3 would refuse: the
// output folder is the whole key, escaped, under the output prefix, so it
// is longer than the key. Refused here, the upload gets an email that says
// why instead of retried PutObject failures.
func checkKeyLengths(sourceKey, prefix string, plans []pipeline.VariantPlan) error {
	longest := pipeline.ManifestKey(prefix, sourceKey)
	for _, p := range plans {
		for _, f := range p.Files {
			if len(f.Key) > len(longest) {
				longest = f.Key
			}
		}
	}
	if len(longest) > maxKeyBytes {
		return pipelineerr.Reject(pipelineerr.ReasonKeyTooLong,
			"the output key %.40q... would have %d bytes, S3 allows %d", longest, len(longest), maxKeyBytes)
	}
	return nil
}

// Plan resolves presets against a source: the concrete formats (auto is
// JPEG, or PNG for a source with alpha), their qualities, the exact output
// size (never larger than the source) and the output keys,
// <folder>/<preset>.<ext>, one per format.
func Plan(src pipeline.Source, ps []presets.Preset, bucket, prefix string) []pipeline.VariantPlan {
	plans := make([]pipeline.VariantPlan, 0, len(ps))
	for _, p := range ps {
		w, h := imaging.Fit(src.Width, src.Height, p.LongSide)
		plan := pipeline.VariantPlan{Preset: p.Name, LongSide: p.LongSide, Width: w, Height: h, Bucket: bucket}
		for _, f := range p.OutputFormats() {
			format := imaging.Format(f)
			if f == presets.FormatAuto {
				format = imaging.JPEG
				if src.HasAlpha {
					format = imaging.PNG
				}
			}
			plan.Files = append(plan.Files, pipeline.FilePlan{Format: string(format), Quality: p.QualityOf(f),
				Key: pipeline.VariantKey(prefix, src.Key, p.Name, format.Extension())})
		}
		plans = append(plans, plan)
	}
	return plans
}

// Items turns the plans of a source into the state machine's Map items,
// one Resize each: every plan of a source in one group
// (pipeline.VariantPlan.Group) that one Resize makes from one read of the
// source, and a single plan on its own. The outputs, their keys and bytes
// are the same however the plans are grouped (imaging.ProcessSizes makes
// each size as ProcessAll does); only the work changes.
//
// A format without shrink-on-load (HEIC, PNG, WebP, GIF) is decoded once
// for all sizes instead of once per size. A JPEG is entropy-decoded once
// and reconstructed at each size's DCT scale (1/1 for xl, 1/2, 1/4, 1/8
// for the smaller ones on a 12 MP photo), where an item per size repeated
// the Huffman decoding, 40-60 ms of 12 MP, at every size. Measured with
// bench/engine, CPU time of the unit, one pinned core, one item per size
// -> one item; JPEG with bench/presets.json (4 sizes, JPEG q80) on a
// loaded 2-core machine (medians of 5, two alternating runs), the others
// with 4 presets in WebP and JPEG on a 12 MP photo:
//
//	JPEG  12 MP 4:2:2 0.62 s -> 0.47 s, 24 MP 4:2:0 0.52 s -> 0.33 s
//	HEIC  7.0 s -> 3.2 s (the HEVC decode, about 1.1 s, was done 4 times)
//	PNG   3.6 s -> 2.1 s (inflate and unfilter of 36 MB)
//	WebP  3.1 s -> 2.6 s
//	GIF   2.7 s -> 2.5 s (LZW is cheap: the gain is small, but so is the
//	      cost, and the source is also read from S3 once instead of 4 times)
//
// The price is latency: the sizes run one after the other on one Lambda
// instead of side by side on four (each also reading the source from S3
// and starting up on its own). Resize's 60 s and 2048 MB hold a group of
// the largest source allowed (MaxPixels; template.yaml).
func Items(plans []pipeline.VariantPlan) []pipeline.VariantPlan {
	if len(plans) < 2 {
		return plans
	}
	return []pipeline.VariantPlan{{Group: plans}}
}

// Step builds the validate handler, for its Lambda (Step.Build) and the local
// stack; tests take Step.Config and call New with their own clients.
var Step = lambdamain.Step[Config, *Handler]{Name: "validate", Defaults: NewDefaultConfig, Load: LoadFromEnv,
	New:     func(c *Config, d lambdamain.Deps) (*Handler, error) { return New(c, d.S3(), d.Log, time.Now) },
	Handler: func(h *Handler) any { return h.Handle },
}
