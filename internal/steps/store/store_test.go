package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"path"
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
		{Name: "xl", LongSide: 2048, Formats: []string{"webp", "auto"}, Quality: 80},
		{Name: "lg", LongSide: 1024, Formats: []string{"webp", "auto"}, Quality: 80},
		{Name: "thumb", LongSide: 128, Formats: []string{"webp", "auto"}, Quality: 80},
		{Name: "md", LongSide: 400, Format: "auto", Quality: 80}, // no webp at this size
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
	resp, err := h.Handle(context.Background(), pipeline.StoreRequest{Source: src, Variants: variants, ValidateMs: 12, PresetsDigest: "sha256:0123",
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
	if got := strings.Join(order, " "); got != "thumb:thumb.webp thumb:thumb.jpg md:md.jpg lg:lg.webp lg:lg.jpg xl:xl.webp xl:xl.jpg" {
		t.Errorf("variants in order %s, want sorted by width, each preset's formats in its order", got)
	}
	for _, v := range m.Variants {
		if obj, ok := mem.Latest("out", v.Key); !ok || int64(len(obj.Body)) != v.Bytes || obj.ContentType != v.ContentType || v.ContentType != "image/"+v.Format {
			t.Errorf("manifest variant %+v does not match the stored object", v)
		}
	}
	if m.Srcset != "thumb.jpg 128w, md.jpg 400w, lg.jpg 800w" {
		t.Errorf("srcset = %q", m.Srcset)
	}
	const sizes = "(max-width: 800px) 100vw, 800px"
	const dir = "variants/uploads/sunset.jpg/"
	wantPicture := `<picture><source type="image/webp" srcset="` + dir + `thumb.webp 128w, ` + dir + `lg.webp 800w" sizes="` + sizes + `">` +
		`<img src="` + dir + `lg.jpg" srcset="` + dir + `thumb.jpg 128w, ` + dir + `md.jpg 400w, ` + dir + `lg.jpg 800w" sizes="` + sizes + `" width="800" height="600" alt=""></picture>`
	if m.Picture.HTML != wantPicture {
		t.Errorf("picture\n got %s\nwant %s", m.Picture.HTML, wantPicture)
	}
	if len(m.Picture.Sources) != 2 || m.Picture.Sources[0].Type != "image/webp" || !m.Picture.Sources[1].Fallback ||
		m.Picture.Sources[1].Type != "image/jpeg" || m.Picture.Width != 800 || m.Picture.Height != 600 || m.Picture.Sizes != sizes {
		t.Errorf("picture parts %+v", m.Picture)
	}
	if m.Source.Key != src.Key || m.Source.VersionID != obj.VersionID || m.Source.Width != 800 || m.Source.Format != "jpeg" {
		t.Errorf("source = %+v", m.Source)
	}
	if m.PresetsDigest != "sha256:0123" || !m.Matches(obj.VersionID, obj.ETag, "sha256:0123") {
		t.Errorf("presets digest %q, source %+v: the manifest does not match its own source and presets", m.PresetsDigest, m.Source)
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
		{name: "variant in another bucket", variants: []pipeline.Variant{{Bucket: "elsewhere", Files: files("v/a.jpg/xl.jpg")}}, wantType: "ConfigError"},
		{name: "variants in two folders", variants: []pipeline.Variant{{Bucket: "out", Files: files("v/a.jpg/xl.jpg")}, {Bucket: "out", Files: files("v/b.jpg/md.jpg")}}, wantType: "ConfigError"},
		{name: "files of one variant in two folders", variants: []pipeline.Variant{{Bucket: "out", Files: files("v/a.jpg/xl.jpg", "v/b.jpg/xl.webp")}}, wantType: "ConfigError"},
		{name: "variant without files", variants: []pipeline.Variant{{Bucket: "out", Files: files("v/a.jpg/xl.jpg")}, {Bucket: "out", Width: 1}}, wantType: "ConfigError"},
		// A payload must not make store write into another source's folder.
		{name: "another source's folder", variants: []pipeline.Variant{{Bucket: "out", Files: files("v/b.jpg/xl.jpg")}}, wantType: "ConfigError"},
		{name: "the old scheme's folder", variants: []pipeline.Variant{{Bucket: "out", Files: files("v/a/xl.jpg")}}, wantType: "ConfigError"},
		{name: "variant missing", variants: []pipeline.Variant{{Bucket: "out", Files: files("v/a.jpg/xl.jpg")}}, wantType: "ImageRejectedError"},
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

func files(keys ...string) []pipeline.VariantFile {
	var fs []pipeline.VariantFile
	for _, k := range keys {
		fs = append(fs, pipeline.VariantFile{Key: k, Format: strings.TrimPrefix(path.Ext(k), "."), Bytes: 1})
	}
	return fs
}

// TestPicture checks the snippet's URLs for keys that need escaping (in the
// URL and then in HTML), a public base URL, a PNG fallback for alpha, and
// sizes that come out at the same width.
func TestPicture(t *testing.T) {
	v := func(preset string, w, h int, keys ...string) pipeline.Variant {
		fs := files(keys...)
		for i := range fs {
			if fs[i].Format == "jpg" {
				fs[i].Format = "jpeg"
			}
		}
		return pipeline.Variant{Preset: preset, Width: w, Height: h, Files: fs}
	}
	tests := []struct {
		name     string
		variants []pipeline.Variant
		base     string
		want     string
	}{
		{"escaping", []pipeline.Variant{v("md", 512, 384, "v/a b,c&d%25é\"<.jpg/md.webp", "v/a b,c&d%25é\"<.jpg/md.jpg")}, "",
			`<picture><source type="image/webp" srcset="v/a%20b%2Cc&amp;d%2525%C3%A9%22%3C.jpg/md.webp 512w" sizes="(max-width: 512px) 100vw, 512px">` +
				`<img src="v/a%20b%2Cc&amp;d%2525%C3%A9%22%3C.jpg/md.jpg" srcset="v/a%20b%2Cc&amp;d%2525%C3%A9%22%3C.jpg/md.jpg 512w" sizes="(max-width: 512px) 100vw, 512px" width="512" height="384" alt=""></picture>`},
		{"base url, png fallback, equal widths once", []pipeline.Variant{v("md", 300, 200, "v/p.png/md.png", "v/p.png/md.webp"), v("xl", 300, 200, "v/p.png/xl.png", "v/p.png/xl.webp")}, "https://cdn.example.com/",
			`<picture><source type="image/webp" srcset="https://cdn.example.com/v/p.png/md.webp 300w" sizes="(max-width: 300px) 100vw, 300px">` +
				`<img src="https://cdn.example.com/v/p.png/md.png" srcset="https://cdn.example.com/v/p.png/md.png 300w" sizes="(max-width: 300px) 100vw, 300px" width="300" height="200" alt=""></picture>`},
		{"webp only", []pipeline.Variant{v("md", 10, 5, "v/a/md.webp")}, "/media",
			`<picture><img src="/media/v/a/md.webp" srcset="/media/v/a/md.webp 10w" sizes="(max-width: 10px) 100vw, 10px" width="10" height="5" alt=""></picture>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Picture(tt.variants, tt.base).HTML; got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPublicBaseURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true}, {"https://d111.cloudfront.net", true}, {"https://cdn.example.com/media/", true}, {"/media", true},
		{"cdn.example.com", false}, {"//cdn.example.com", false}, {"ftp://x/y", false}, {"https://x/?a=1", false}, {"https://x/#f", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := (&Config{OutputBucket: "out", PublicBaseURL: tt.url}).Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%q) = %v, want ok %v", tt.url, err, tt.ok)
			}
		})
	}
}
