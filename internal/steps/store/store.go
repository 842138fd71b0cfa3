// Package store is the handler of the store function: it writes
// manifest.json beside the variants, with everything a web page needs to
// show the image and an operator needs to trace it.
package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/imaging/placeholder"
	"github.com/imgflow/imgflow/internal/steps/rejection"
	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
	"github.com/imgflow/imgflow/layers/common/logx"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// ManifestVersion is the manifest's schema version. Version 2 moved the
// outputs to one folder per source key (pipeline.OutputScheme) and added
// outputScheme and folder. Version 3 lists every format of every size in
// variants (one entry per file, with the same fields as before), keeps
// srcset as the fallback format's, and adds picture. Version 4 adds
// presetsDigest, which with the source's version id and ETag tells a
// reprocess that the outputs are current (pipeline.Manifest.Matches);
// nothing else changed, so a reader of version 3 reads version 4.
const ManifestVersion = 4

// placeholderMaxPixels bounds the decode of the variant the placeholder is
// computed from: it is the smallest variant, never a full-size image.
const placeholderMaxPixels = 4096 * 4096

// Config is the store function's configuration.
type Config struct {
	OutputBucket string // OUTPUT_BUCKET
	CacheControl string // CACHE_CONTROL of the manifest: it changes when the source is processed again
	// PublicBaseURL (PUBLIC_BASE_URL) is where the output bucket's root is
	// served, e.g. https://d111111abcdef8.cloudfront.net; the manifest's
	// <picture> URLs start with it. Empty: URLs relative to the bucket root.
	PublicBaseURL string
}

// NewDefaultConfig returns the defaults of template.yaml.
func NewDefaultConfig() *Config {
	return &Config{CacheControl: "public, max-age=300"}
}

// LoadFromEnv overrides cfg with the environment.
func LoadFromEnv(cfg *Config, lookup envconfig.LookupFunc) error {
	r := envconfig.NewReader(lookup)
	r.String("OUTPUT_BUCKET", &cfg.OutputBucket)
	r.String("CACHE_CONTROL", &cfg.CacheControl)
	r.String("PUBLIC_BASE_URL", &cfg.PublicBaseURL)
	return r.Err()
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.OutputBucket == "" {
		errs = append(errs, errors.New("OUTPUT_BUCKET is not set"))
	}
	errs = append(errs, checkBaseURL(c.PublicBaseURL))
	return errors.Join(errs...)
}

// Handler writes manifests.
type Handler struct {
	cfg Config
	s3  *s3io.Client
	log *zap.Logger
	now func() time.Time
}

// New returns a Handler.
func New(cfg *Config, api s3io.API, log *zap.Logger, now func() time.Time) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Handler{cfg: *cfg, s3: s3io.New(api), log: log.With(zap.String(logx.KeyComponent, "store")), now: now}, nil
}

// Handle builds and writes the manifest.
func (h *Handler) Handle(ctx context.Context, req pipeline.StoreRequest) (pipeline.StoreResponse, error) {
	start := h.now()
	log := logx.ForInvocation(ctx, h.log, req.ExecutionARN, req.Source.Key)
	resp, err := h.store(ctx, req, start)
	if err != nil {
		err = pipelineerr.Boundary(err)
		log.Info("store failed", zap.Error(err))
		return pipeline.StoreResponse{}, err
	}
	log.Info("manifest stored", zap.String("key", resp.ManifestKey), zap.Int("variants", len(pipeline.Flatten(req.Variants))))
	return resp, nil
}

func (h *Handler) store(ctx context.Context, req pipeline.StoreRequest, start time.Time) (pipeline.StoreResponse, error) {
	if len(req.Variants) == 0 {
		return pipeline.StoreResponse{}, &pipelineerr.ConfigError{Err: errors.New("no variants to store")}
	}
	// One entry per size whatever the Map's items were: a resize of a
	// group returned several (Variants flattens them when read from JSON,
	// Flatten when a caller built the request).
	variants := slices.Clone(pipeline.Flatten(req.Variants))
	slices.SortFunc(variants, func(a, b pipeline.Variant) int {
		return cmp.Or(cmp.Compare(a.Width, b.Width), cmp.Compare(a.Preset, b.Preset))
	})
	if len(variants[0].Files) == 0 {
		return pipeline.StoreResponse{}, &pipelineerr.ConfigError{Err: fmt.Errorf("variant %s has no files", variants[0].Preset)}
	}
	first := variants[0].Files[0].Key
	dir := folder(first)
	for _, v := range variants {
		if len(v.Files) == 0 {
			return pipeline.StoreResponse{}, &pipelineerr.ConfigError{Err: fmt.Errorf("variant %s has no files", v.Preset)}
		}
		for _, f := range v.Files {
			if folder(f.Key) != dir {
				return pipeline.StoreResponse{}, &pipelineerr.ConfigError{Err: fmt.Errorf("variants %s and %s are in different folders", f.Key, first)}
			}
		}
		if v.Bucket != h.cfg.OutputBucket {
			return pipeline.StoreResponse{}, &pipelineerr.ConfigError{Err: fmt.Errorf("variant %s is in bucket %q, not OUTPUT_BUCKET %q", v.Preset, v.Bucket, h.cfg.OutputBucket)}
		}
	}
	// The manifest goes where validate planned the variants, but only if
	// that is the source's own folder: a payload naming another folder
	// must not overwrite another source's manifest.
	prefix, ok := pipeline.OutputPrefixOf(dir, req.Source.Key)
	if !ok {
		return pipeline.StoreResponse{}, &pipelineerr.ConfigError{Err: fmt.Errorf("variants are in %q, which is not the output folder of %q", dir, req.Source.Key)}
	}
	ph, dominant, err := h.placeholder(ctx, variants[0])
	sets := byFormat(variants)
	if err != nil {
		return pipeline.StoreResponse{}, err
	}

	src := req.Source
	m := pipeline.Manifest{
		Version:      ManifestVersion,
		OutputScheme: pipeline.OutputScheme,
		Folder:       dir,
		Source: pipeline.ManifestSource{Bucket: src.Bucket, Key: src.Key, VersionID: src.VersionID, ETag: src.ETag,
			Format: src.Format, Width: src.Width, Height: src.Height, Bytes: src.Bytes, Orientation: src.Orientation},
		PresetsDigest: req.PresetsDigest,
		Srcset:        Srcset(variants, fallbackSet(sets).format),
		Picture:       Picture(variants, h.cfg.PublicBaseURL),
		Placeholder:   ph,
		Dominant:      dominant,
		ExecutionARN:  req.ExecutionARN,
		Timings:       pipeline.Timings{ValidateMs: req.ValidateMs, ResizeMs: map[string]int64{}},
	}
	for _, v := range variants {
		for _, f := range v.Files {
			m.Variants = append(m.Variants, pipeline.ManifestVariant{Preset: v.Preset, Name: fileName(f.Key), Key: f.Key,
				Width: v.Width, Height: v.Height, Bytes: f.Bytes, Format: f.Format, ContentType: f.ContentType})
		}
		m.Timings.ResizeMs[v.Preset] = v.DurationMs
	}
	key := pipeline.ManifestKey(prefix, src.Key)
	now := h.now()
	m.CreatedAt = now.UTC().Format(time.RFC3339Nano)
	m.Timings.StoreMs = now.Sub(start).Milliseconds()
	if t, err := time.Parse(time.RFC3339Nano, req.StartTime); err == nil {
		m.Timings.TotalMs = now.Sub(t).Milliseconds()
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return pipeline.StoreResponse{}, fmt.Errorf("encode manifest: %w", err)
	}
	if _, err := h.s3.Put(ctx, s3io.PutInput{Bucket: h.cfg.OutputBucket, Key: key, Body: append(body, '\n'),
		ContentType: "application/json", CacheControl: h.cfg.CacheControl}); err != nil {
		return pipeline.StoreResponse{}, &pipelineerr.StorageError{Op: "put", URI: "s3://" + h.cfg.OutputBucket + "/" + key, Err: err}
	}
	return pipeline.StoreResponse{Bucket: h.cfg.OutputBucket, ManifestKey: key}, nil
}

// placeholder computes the ThumbHash and dominant colour from the smallest
// variant: a few KiB to read instead of the original's megabytes, and the
// variant is already oriented and in sRGB. Its fallback-format file is read
// (JPEG decodes fastest), any file when there is none.
func (h *Handler) placeholder(ctx context.Context, v pipeline.Variant) (pipeline.Placeholder, string, error) {
	file := v.Files[0]
	for _, f := range slices.Backward(fallbackOrder) {
		if i := slices.IndexFunc(v.Files, func(vf pipeline.VariantFile) bool { return imaging.Format(vf.Format) == f }); i >= 0 {
			file = v.Files[i]
		}
	}
	ref := s3io.Ref{Bucket: v.Bucket, Key: file.Key}
	body, err := h.s3.Open(ctx, ref)
	if err != nil {
		return pipeline.Placeholder{}, "", rejection.FromStorage("get", ref, err)
	}
	defer body.Close()
	sr := &rejection.SourceReader{R: body}
	img, _, err := imaging.Decode(ctx, sr, imaging.Limits{MaxPixels: placeholderMaxPixels})
	if sr.Err != nil {
		return pipeline.Placeholder{}, "", rejection.FromStorage("get", ref, sr.Err)
	}
	if err != nil {
		// Our own variant does not decode: a fault in the pipeline, not in
		// the upload, so it is not a rejection.
		return pipeline.Placeholder{}, "", fmt.Errorf("decode variant %s for the placeholder: %w", file.Key, err)
	}
	hash := placeholder.Encode(img)
	c := placeholder.DominantColor(img)
	return pipeline.Placeholder{ThumbHash: base64.StdEncoding.EncodeToString(hash), DataURI: placeholder.DataURI(hash)},
		fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B), nil
}

// folder is the output folder of an output key: everything before its last
// slash (path.Dir would also clean the path, which output keys never need).
func folder(key string) string {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return ""
	}
	return key[:i]
}

// fileName is an output key's name in its folder.
func fileName(key string) string { return key[strings.LastIndexByte(key, '/')+1:] }

// Step builds the store handler, for its Lambda (Step.Build) and the local
// stack; tests take Step.Config and call New with their own clients.
var Step = lambdamain.Step[Config, *Handler]{Name: "store", Defaults: NewDefaultConfig, Load: LoadFromEnv,
	New:     func(c *Config, d lambdamain.Deps) (*Handler, error) { return New(c, d.S3(), d.Log, time.Now) },
	Handler: func(h *Handler) any { return h.Handle },
}
