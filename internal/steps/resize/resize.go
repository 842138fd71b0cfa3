// Package resize is the handler of the resize function: it makes one
// variant of one source per invocation (the state machine's Map fans out
// over the presets), and stores it.
package resize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
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
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// Config is the resize function's configuration.
type Config struct {
	OutputBucket string // OUTPUT_BUCKET: the only bucket resize writes to
	MaxPixels    int64  // MAX_PIXELS: checked again before decoding, in case resize is invoked directly
	MaxSide      int64  // MAX_SIDE: likewise; 0 means imaging.DefaultMaxSide
	CacheControl string // CACHE_CONTROL of the variants: their keys never change content, so cache long
}

// NewDefaultConfig returns the defaults of template.yaml.
func NewDefaultConfig() *Config {
	return &Config{MaxPixels: 100_000_000, MaxSide: imaging.DefaultMaxSide, CacheControl: "public, max-age=31536000, immutable"}
}

// LoadFromEnv overrides cfg with the environment.
func LoadFromEnv(cfg *Config, lookup envconfig.LookupFunc) error {
	r := envconfig.NewReader(lookup)
	r.String("OUTPUT_BUCKET", &cfg.OutputBucket)
	r.Int64("MAX_PIXELS", &cfg.MaxPixels)
	r.Int64("MAX_SIDE", &cfg.MaxSide)
	r.String("CACHE_CONTROL", &cfg.CacheControl)
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
	if c.MaxSide < 0 || c.MaxSide > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("MAX_SIDE must be in 0..%d, got %d", math.MaxInt32, c.MaxSide))
	}
	return errors.Join(errs...)
}

// Handler makes variants.
type Handler struct {
	cfg Config
	s3  *s3io.Client
	log *zap.Logger
	now func() time.Time
}

// New returns a Handler.
func New(cfg *Config, api s3io.API, log *zap.Logger, now func() time.Time) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("resize: %w", err)
	}
	return &Handler{cfg: *cfg, s3: s3io.New(api), log: log.With(zap.String(logx.KeyComponent, "resize")), now: now}, nil
}

// logger returns the invocation logger, with the preset.
func (h *Handler) logger(ctx context.Context, req pipeline.ResizeRequest) *zap.Logger {
	return logx.ForInvocation(ctx, h.log, req.ExecutionARN, req.Source.Key).With(zap.String("preset", req.Variant.Preset))
}

// Handle makes and stores one variant. Running it twice writes the same
// bytes to the same key.
func (h *Handler) Handle(ctx context.Context, req pipeline.ResizeRequest) (pipeline.Variant, error) {
	start := h.now()
	log := h.logger(ctx, req)
	out, err := h.resize(ctx, req)
	if err != nil {
		err = pipelineerr.Boundary(err)
		log.Info("resize failed", zap.Error(err))
		return pipeline.Variant{}, err
	}
	out.DurationMs = h.now().Sub(start).Milliseconds()
	log.Info("variant stored", zap.String("key", out.Key), zap.Int("width", out.Width), zap.Int("height", out.Height),
		zap.Int64("bytes", out.Bytes), zap.Int64("duration_ms", out.DurationMs))
	return out, nil
}

func (h *Handler) resize(ctx context.Context, req pipeline.ResizeRequest) (pipeline.Variant, error) {
	v, src := req.Variant, req.Source
	if v.Bucket != h.cfg.OutputBucket {
		return pipeline.Variant{}, &pipelineerr.ConfigError{Err: fmt.Errorf("variant bucket %q is not OUTPUT_BUCKET %q", v.Bucket, h.cfg.OutputBucket)}
	}
	format := imaging.Format(v.Format)
	if !format.Valid() || v.Key == "" || v.LongSide <= 0 {
		return pipeline.Variant{}, &pipelineerr.ConfigError{Err: fmt.Errorf("bad variant plan %+v", v)}
	}
	// Only ever write into the source's own folder, whatever the payload
	// says: a variant key elsewhere would overwrite another source's files.
	if i := strings.LastIndexByte(v.Key, '/'); i < 0 || !isOutputDirOf(v.Key[:i], src.Key) {
		return pipeline.Variant{}, &pipelineerr.ConfigError{Err: fmt.Errorf("variant key %q is not in the output folder of %q", v.Key, src.Key)}
	}
	// Pinned to the version and ETag validate saw: every variant comes from
	// the same bytes, even if the key is overwritten meanwhile.
	ref := s3io.Ref{Bucket: src.Bucket, Key: src.Key, VersionID: src.VersionID, ETag: src.ETag}
	body, err := h.s3.Open(ctx, ref)
	if err != nil {
		return pipeline.Variant{}, rejection.FromStorage("get", ref, err)
	}
	defer body.Close()

	var buf bytes.Buffer
	sr := &rejection.SourceReader{R: body}
	spec := imaging.Spec{LongSide: v.LongSide, Format: format, Quality: v.Quality, Background: color.NRGBA{255, 255, 255, 255}}
	res, err := imaging.Process(ctx, sr, &buf, spec, imaging.Limits{MaxPixels: h.cfg.MaxPixels, MaxSide: int(h.cfg.MaxSide)})
	if sr.Err != nil {
		return pipeline.Variant{}, rejection.FromStorage("get", ref, sr.Err)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return pipeline.Variant{}, fmt.Errorf("resize %s: %w", v.Preset, ctxErr)
		}
		return pipeline.Variant{}, fmt.Errorf("resize %s: %w", v.Preset, rejection.FromImaging(err, false))
	}
	if v.Width > 0 && (res.Width != v.Width || res.Height != v.Height) {
		// validate planned the size from the header; the decoded image
		// disagrees, so the header lied about the pixels.
		return pipeline.Variant{}, pipelineerr.Reject(pipelineerr.ReasonCorruptImage,
			"header declares %dx%d for %s but the pixels give %dx%d", v.Width, v.Height, v.Preset, res.Width, res.Height)
	}
	if _, err := h.s3.Put(ctx, s3io.PutInput{
		Bucket: v.Bucket, Key: v.Key, Body: buf.Bytes(),
		ContentType: format.ContentType(), CacheControl: h.cfg.CacheControl,
	}); err != nil {
		return pipeline.Variant{}, &pipelineerr.StorageError{Op: "put", URI: "s3://" + v.Bucket + "/" + v.Key, Err: err}
	}
	return pipeline.Variant{
		Preset: v.Preset, Bucket: v.Bucket, Key: v.Key, Width: res.Width, Height: res.Height,
		Bytes: int64(buf.Len()), Format: string(format), ContentType: format.ContentType(),
	}, nil
}

func isOutputDirOf(dir, sourceKey string) bool {
	_, ok := pipeline.OutputPrefixOf(dir, sourceKey)
	return ok
}

// NewFromEnv builds a Handler from the function's environment, as its main
// and the local stack do.
func NewFromEnv(env envconfig.LookupFunc, api s3io.API, log *zap.Logger, now func() time.Time) (*Handler, error) {
	cfg := NewDefaultConfig()
	if err := LoadFromEnv(cfg, env); err != nil {
		return nil, fmt.Errorf("resize: %w", err)
	}
	return New(cfg, api, log, now)
}

// Build is the function's entry point for lambdamain: its Lambda main and
// the local stack's in-process runtime both build the handler here.
func Build(_ context.Context, d lambdamain.Deps) (any, error) {
	h, err := NewFromEnv(d.Env, d.S3(), d.Log, time.Now)
	if err != nil {
		return nil, err
	}
	return h.Handle, nil
}
