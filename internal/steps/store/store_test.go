package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/imaging/placeholder"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/internal/steps/resize"
	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/presets"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

// solid is an orange image with a small blue square: the dominant colour
// must be the orange.
func solid(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{240, 120, 20, 255}
			if x < w/8 && y < h/8 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestHandleWritesManifest(t *testing.T) {
	mem, fake := s3iotest.NewMemory()
	body := fixtures.JPEG(solid(800, 600), 0, false)
	obj := mem.Add("in", "uploads/sunset.jpg", body, "image/jpeg")
	src := pipeline.Source{Bucket: "in", Key: "uploads/sunset.jpg", VersionID: obj.VersionID, ETag: obj.ETag,
		Bytes: int64(len(body)), Format: "jpeg", Width: 800, Height: 600, Orientation: 1}
	ps := []presets.Preset{ // the big ones first, and two that come out at the source size
		{Name: "xl", LongSide: 2048, Format: "auto", Quality: 80},
		{Name: "lg", LongSide: 1024, Format: "auto", Quality: 80},
		{Name: "thumb", LongSide: 128, Format: "auto", Quality: 80},
		{Name: "md", LongSide: 400, Format: "auto", Quality: 80},
	}
	rz, err := resize.New(&resize.Config{OutputBucket: "out", MaxPixels: 1e8, CacheControl: "x"}, fake, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var variants []pipeline.Variant
	for _, p := range validate.Plan(src, ps, "out", "variants") {
		v, err := rz.Handle(context.Background(), pipeline.ResizeRequest{Source: src, Variant: p})
		if err != nil {
			t.Fatal(err)
		}
		v.DurationMs = int64(len(p.Preset)) // recognisable per preset
		variants = append(variants, v)
	}

	clock := time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC)
	h, err := New(&Config{OutputBucket: "out", CacheControl: "public, max-age=300"}, fake, zap.NewNop(),
		func() time.Time { clock = clock.Add(5 * time.Millisecond); return clock })
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(context.Background(), pipeline.StoreRequest{Source: src, Variants: variants, ValidateMs: 12,
		ExecutionARN: "arn:aws:states:us-east-1:1:execution:sm:run", StartTime: "2026-11-25T12:00:09.000Z"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ManifestKey != "variants/uploads/sunset.jpg/manifest.json" || resp.Bucket != "out" {
		t.Fatalf("manifest at s3://%s/%s", resp.Bucket, resp.ManifestKey)
	}
	stored, ok := mem.Latest("out", resp.ManifestKey)
	if !ok || stored.ContentType != "application/json" || stored.CacheControl != "public, max-age=300" {
		t.Fatalf("manifest stored %v with %q %q", ok, stored.ContentType, stored.CacheControl)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(stored.Body, &m); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, v := range m.Variants {
		order = append(order, v.Preset+":"+v.Name)
	}
	if got := strings.Join(order, " "); got != "thumb:thumb.jpg md:md.jpg lg:lg.jpg xl:xl.jpg" {
		t.Errorf("variants in order %s, want sorted by width", got)
	}
	if m.Srcset != "thumb.jpg 128w, md.jpg 400w, lg.jpg 800w" {
		t.Errorf("srcset = %q", m.Srcset)
	}
	if m.Source.Key != src.Key || m.Source.VersionID != obj.VersionID || m.Source.Width != 800 || m.Source.Format != "jpeg" {
		t.Errorf("source = %+v", m.Source)
	}
	if m.ExecutionARN != "arn:aws:states:us-east-1:1:execution:sm:run" || m.Version != ManifestVersion {
		t.Errorf("execution %q version %d", m.ExecutionARN, m.Version)
	}
	if m.OutputScheme != pipeline.OutputScheme || m.Folder != "variants/uploads/sunset.jpg" {
		t.Errorf("outputScheme %q folder %q, want %q variants/uploads/sunset.jpg", m.OutputScheme, m.Folder, pipeline.OutputScheme)
	}
	if m.Timings.ValidateMs != 12 || m.Timings.ResizeMs["thumb"] != 5 || m.Timings.StoreMs != 5 || m.Timings.TotalMs != 1010 {
		t.Errorf("timings = %+v", m.Timings)
	}
	if !near(m.Dominant, "#f07814") {
		t.Errorf("dominant colour %s, want about #f07814", m.Dominant)
	}
	hash, err := base64.StdEncoding.DecodeString(m.Placeholder.ThumbHash)
	if err != nil || len(hash) < 5 {
		t.Fatalf("thumbhash %q: %v", m.Placeholder.ThumbHash, err)
	}
	if _, err := placeholder.DecodeImage(hash); err != nil {
		t.Errorf("thumbhash does not decode: %v", err)
	}
	if !strings.HasPrefix(m.Placeholder.DataURI, "data:image/png;base64,") || len(m.Placeholder.DataURI) > 4096 {
		t.Errorf("data URI %.60q... (%d bytes)", m.Placeholder.DataURI, len(m.Placeholder.DataURI))
	}
}

// near accepts JPEG's rounding of the colour: each channel within 8.
func near(got, want string) bool {
	if len(got) != 7 || len(want) != 7 {
		return false
	}
	for i := 1; i < 7; i += 2 {
		a, errA := strconv.ParseUint(got[i:i+2], 16, 8)
		b, errB := strconv.ParseUint(want[i:i+2], 16, 8)
		if errA != nil || errB != nil || max(a, b)-min(a, b) > 8 {
			return false
		}
	}
	return true
}

func TestHandleErrors(t *testing.T) {
	tests := []struct {
		name     string
		variants []pipeline.Variant
		wantType string
	}{
		{name: "no variants", wantType: "ConfigError"},
		{name: "variant in another bucket", variants: []pipeline.Variant{{Bucket: "elsewhere", Key: "v/a.jpg/xl.jpg"}}, wantType: "ConfigError"},
		{name: "variants in two folders", variants: []pipeline.Variant{{Bucket: "out", Key: "v/a.jpg/xl.jpg"}, {Bucket: "out", Key: "v/b.jpg/md.jpg"}}, wantType: "ConfigError"},
		// A payload must not make store write into another source's folder.
		{name: "another source's folder", variants: []pipeline.Variant{{Bucket: "out", Key: "v/b.jpg/xl.jpg"}}, wantType: "ConfigError"},
		{name: "the old scheme's folder", variants: []pipeline.Variant{{Bucket: "out", Key: "v/a/xl.jpg"}}, wantType: "ConfigError"},
		{name: "variant missing", variants: []pipeline.Variant{{Bucket: "out", Key: "v/a.jpg/xl.jpg"}}, wantType: "ImageRejectedError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fake := s3iotest.NewMemory()
			h, err := New(&Config{OutputBucket: "out"}, fake, zap.NewNop(), time.Now)
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.Handle(context.Background(), pipeline.StoreRequest{Source: pipeline.Source{Bucket: "in", Key: "a.jpg"}, Variants: tt.variants})
			var got string
			switch err.(type) {
			case *pipelineerr.ConfigError:
				got = "ConfigError"
			case *pipelineerr.ImageRejectedError:
				got = "ImageRejectedError"
			}
			if got != tt.wantType {
				t.Errorf("err = %T %v, want %s", err, err, tt.wantType)
			}
		})
	}
}
