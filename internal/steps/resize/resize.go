// Package resize is the handler of the resize function: it makes one
// variant of one source per invocation (the state machine's Map fans out
// over the presets) in every format of its preset, from one decode and
// resize, and stores each file; or, for a grouped plan, every variant of
// the group from one decode of the source.
package resize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
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

// logger returns the invocation logger, with the preset (presets, comma
// separated, for a group).
func (h *Handler) logger(ctx context.Context, req pipeline.ResizeRequest) *zap.Logger {
	plans := req.Variant.Plans()
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.Preset
	}
	return logx.ForInvocation(ctx, h.log, req.ExecutionARN, req.Source.Key).With(zap.String("preset", strings.Join(names, ",")))
}

// Handle makes and stores one variant, or every variant of a group
// (pipeline.VariantPlan.Group) from one decode. Running it twice writes the
// same bytes to the same keys.
func (h *Handler) Handle(ctx context.Context, req pipeline.ResizeRequest) (pipeline.Variant, error) {
	start := h.now()
	log := h.logger(ctx, req)
	vs, err := h.resize(ctx, req)
	if err != nil {
		err = pipelineerr.Boundary(err)
		log.Info("resize failed", zap.Error(err))
		return pipeline.Variant{}, err
	}
	ms := h.now().Sub(start).Milliseconds()
	for i := range vs {
		vs[i].DurationMs = ms
		for _, f := range vs[i].Files {
			log.Info("variant stored", zap.String("key", f.Key), zap.String("format", f.Format), zap.Int("width", vs[i].Width), zap.Int("height", vs[i].Height),
				zap.Int64("bytes", f.Bytes), zap.Int64("duration_ms", ms))
		}
	}
	if len(req.Variant.Group) > 0 {
		return pipeline.Variant{Group: vs}, nil
	}
	return vs[0], nil
}

// resize makes the variants of req's plans, in order, from one call of the
// engine: one decode for all of them unless the source shrinks on load.
func (h *Handler) resize(ctx context.Context, req pipeline.ResizeRequest) ([]pipeline.Variant, error) {
	src, plans := req.Source, req.Variant.Plans()
	targets := make([]imaging.Target, len(plans))
	bufs := make([][]bytes.Buffer, len(plans))
	for i, v := range plans {
		if err := h.checkPlan(v, plans[:i], src.Key); err != nil {
			return nil, err
		}
		bufs[i] = make([]bytes.Buffer, len(v.Files))
		targets[i] = imaging.Target{Spec: imaging.Spec{LongSide: v.LongSide, Background: color.NRGBA{255, 255, 255, 255}}}
		for k, f := range v.Files {
			targets[i].Encodings = append(targets[i].Encodings, imaging.Encoding{Format: imaging.Format(f.Format), Quality: f.Quality, Dst: &bufs[i][k]})
		}
	}
	// Pinned to the version and ETag validate saw: every variant comes from
	// the same bytes, even if the key is overwritten meanwhile.
	ref := s3io.Ref{Bucket: src.Bucket, Key: src.Key, VersionID: src.VersionID, ETag: src.ETag}
	body, err := h.s3.Open(ctx, ref)
	if err != nil {
		return nil, rejection.FromStorage("get", ref, err)
	}
	defer body.Close()

	sr := &rejection.SourceReader{R: body}
	res, err := imaging.ProcessSizes(ctx, sr, targets, imaging.Limits{MaxPixels: h.cfg.MaxPixels, MaxSide: int(h.cfg.MaxSide)})
	if sr.Err != nil {
		return nil, rejection.FromStorage("get", ref, sr.Err)
	}
	name := plans[0].Preset
	if len(plans) > 1 {
		name = fmt.Sprintf("%d sizes", len(plans))
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("resize %s: %w", name, ctxErr)
		}
		return nil, fmt.Errorf("resize %s: %w", name, rejection.FromImaging(err, false))
	}
	out := make([]pipeline.Variant, len(plans))
	for i, v := range plans {
		w, hgt := res[i][0].Width, res[i][0].Height
		if v.Width > 0 && (w != v.Width || hgt != v.Height) {
			// validate planned the size from the header; the decoded image
			// disagrees, so the header lied about the pixels.
			return nil, pipelineerr.Reject(pipelineerr.ReasonCorruptImage,
				"header declares %dx%d for %s but the pixels give %dx%d", v.Width, v.Height, v.Preset, w, hgt)
		}
		out[i] = pipeline.Variant{Preset: v.Preset, Bucket: v.Bucket, Width: w, Height: hgt}
	}
	for i, v := range plans {
		for k, f := range v.Files {
			format := imaging.Format(f.Format)
			if _, err := h.s3.Put(ctx, s3io.PutInput{
				Bucket: v.Bucket, Key: f.Key, Body: bufs[i][k].Bytes(),
				ContentType: format.ContentType(), CacheControl: h.cfg.CacheControl,
			}); err != nil {
				return nil, &pipelineerr.StorageError{Op: "put", URI: "s3://" + v.Bucket + "/" + f.Key, Err: err}
			}
			out[i].Files = append(out[i].Files, pipeline.VariantFile{Key: f.Key, Format: string(format),
				ContentType: format.ContentType(), Bytes: int64(bufs[i][k].Len())})
		}
	}
	return out, nil
}

// checkPlan refuses a plan resize must not carry out: another bucket than
// OUTPUT_BUCKET, no size or files, a nested group, a format it cannot
// write, or a key outside the source's output folder or planned before
// (in this plan or in an earlier plan of its group).
func (h *Handler) checkPlan(v pipeline.VariantPlan, earlier []pipeline.VariantPlan, sourceKey string) error {
	if v.Bucket != h.cfg.OutputBucket {
		return &pipelineerr.ConfigError{Err: fmt.Errorf("variant bucket %q is not OUTPUT_BUCKET %q", v.Bucket, h.cfg.OutputBucket)}
	}
	if len(v.Files) == 0 || v.LongSide <= 0 || len(v.Group) > 0 {
		return &pipelineerr.ConfigError{Err: fmt.Errorf("bad variant plan %+v", v)}
	}
	for i, f := range v.Files {
		format := imaging.Format(f.Format)
		if !encodable(format) || f.Key == "" || f.Quality < 0 || f.Quality > 100 {
			return &pipelineerr.ConfigError{Err: fmt.Errorf("bad file plan %+v of variant %s", f, v.Preset)}
		}
		// Only ever write into the source's own folder, whatever the payload
		// says: a variant key elsewhere would overwrite another source's files.
		if k := strings.LastIndexByte(f.Key, '/'); k < 0 || !isOutputDirOf(f.Key[:k], sourceKey) {
			return &pipelineerr.ConfigError{Err: fmt.Errorf("variant key %q is not in the output folder of %q", f.Key, sourceKey)}
		}
		planned := slices.ContainsFunc(v.Files[:i], func(g pipeline.FilePlan) bool { return g.Key == f.Key })
		for _, e := range earlier {
			planned = planned || slices.ContainsFunc(e.Files, func(g pipeline.FilePlan) bool { return g.Key == f.Key })
		}
		if planned {
			return &pipelineerr.ConfigError{Err: fmt.Errorf("variant %s plans key %q twice", v.Preset, f.Key)}
		}
	}
	return nil
}

// encodable reports whether resize can write the format.
func encodable(f imaging.Format) bool {
	switch f {
	case imaging.JPEG, imaging.PNG, imaging.GIF, imaging.WebP:
		return true
	}
	return false
}

func isOutputDirOf(dir, sourceKey string) bool {
	_, ok := pipeline.OutputPrefixOf(dir, sourceKey)
	return ok
}

// Step builds the resize handler, for its Lambda (Step.Build) and the local
// stack; tests take Step.Config and call New with their own clients.
var Step = lambdamain.Step[Config, *Handler]{Name: "resize", Defaults: NewDefaultConfig, Load: LoadFromEnv,
	New:     func(c *Config, d lambdamain.Deps) (*Handler, error) { return New(c, d.S3(), d.Log, time.Now) },
	Handler: func(h *Handler) any { return h.Handle },
}
