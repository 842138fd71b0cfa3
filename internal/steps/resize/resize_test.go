package resize

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	_ "image/png" // DecodeConfig of PNG variants
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/presets"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

var testPresets = []presets.Preset{
	{Name: "xl", LongSide: 2048, Formats: []string{presets.FormatWebP, presets.FormatAuto}, Quality: 82, WebPQuality: 85},
	{Name: "thumb", LongSide: 64, Format: presets.FormatAuto, Quality: 78},
}

func newHandler(t *testing.T) (*Handler, *s3iotest.Memory) {
	t.Helper()
	mem, fake := s3iotest.NewMemory()
	cfg := NewDefaultConfig()
	cfg.OutputBucket = "out"
	h, err := New(cfg, fake, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return h, mem
}

// plan uploads body and returns the requests validate would send to the Map.
func plan(t *testing.T, mem *s3iotest.Memory, body []byte, w, h, orientation int, alpha bool) []pipeline.ResizeRequest {
	t.Helper()
	obj := mem.Add("in", "uploads/pic.jpg", body, "image/jpeg")
	if orientation >= 5 {
		w, h = h, w
	}
	src := pipeline.Source{Bucket: "in", Key: "uploads/pic.jpg", VersionID: obj.VersionID, ETag: obj.ETag,
		Bytes: int64(len(body)), Width: w, Height: h, Orientation: orientation, HasAlpha: alpha}
	var reqs []pipeline.ResizeRequest
	for _, v := range validate.Plan(src, testPresets, "out", "variants") {
		reqs = append(reqs, pipeline.ResizeRequest{Source: src, Variant: v})
	}
	return reqs
}

func TestHandleMakesVariants(t *testing.T) {
	tests := []struct {
		name        string
		body        []byte
		w, h, orien int
		alpha       bool
		want        map[string]string // key -> WxH format
	}{
		{name: "rotated jpeg with gps", body: fixtures.JPEG(fixtures.Quadrants(320, 240), 6, true), w: 320, h: 240, orien: 6,
			want: map[string]string{"variants/uploads/pic.jpg/xl.webp": "240x320 webp", "variants/uploads/pic.jpg/xl.jpg": "240x320 jpeg",
				"variants/uploads/pic.jpg/thumb.jpg": "48x64 jpeg"}},
		{name: "translucent png", body: fixtures.TranslucentPNG(200, 100), w: 200, h: 100, alpha: true,
			want: map[string]string{"variants/uploads/pic.jpg/xl.webp": "200x100 webp", "variants/uploads/pic.jpg/xl.png": "200x100 png",
				"variants/uploads/pic.jpg/thumb.png": "64x32 png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t)
			seen := map[string]bool{}
			for _, req := range plan(t, mem, tt.body, tt.w, tt.h, tt.orien, tt.alpha) {
				v, err := h.Handle(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if len(v.Files) != len(req.Variant.Files) {
					t.Fatalf("%s: %d files for %d planned", v.Preset, len(v.Files), len(req.Variant.Files))
				}
				for _, f := range v.Files {
					seen[f.Key] = true
					want, ok := tt.want[f.Key]
					if !ok {
						t.Fatalf("unexpected key %s", f.Key)
					}
					got := itoa(v.Width) + "x" + itoa(v.Height) + " " + f.Format
					if got != want {
						t.Errorf("%s: %s, want %s", f.Key, got, want)
					}
					obj, ok := mem.Latest("out", f.Key)
					if !ok {
						t.Fatalf("%s not stored", f.Key)
					}
					if obj.ContentType != "image/"+f.Format || f.ContentType != obj.ContentType || !strings.Contains(obj.CacheControl, "immutable") {
						t.Errorf("%s stored with Content-Type %q (reported %q) Cache-Control %q", f.Key, obj.ContentType, f.ContentType, obj.CacheControl)
					}
					if int64(len(obj.Body)) != f.Bytes {
						t.Errorf("%s: reported %d bytes, stored %d", f.Key, f.Bytes, len(obj.Body))
					}
					cfg, format, err := image.DecodeConfig(bytes.NewReader(obj.Body))
					if err != nil || format != f.Format || cfg.Width != v.Width || cfg.Height != v.Height {
						t.Errorf("%s decodes as %s %dx%d (%v)", f.Key, format, cfg.Width, cfg.Height, err)
					}
					if bytes.Contains(obj.Body, []byte("Exif")) {
						t.Errorf("%s carries EXIF (GPS) from the original", f.Key)
					}
					if f.Format == "webp" && bytes.Contains(obj.Body[:40], []byte("ALPH")) != tt.alpha {
						t.Errorf("%s: ALPH chunk present is %v, want %v", f.Key, !tt.alpha, tt.alpha)
					}
				}
			}
			if len(seen) != len(tt.want) {
				t.Errorf("stored %v, want %v", seen, tt.want)
			}
			if mem.Versions("in", "uploads/pic.jpg") != 1 {
				t.Error("the original was modified")
			}
		})
	}
}

func TestIdempotent(t *testing.T) {
	h, mem := newHandler(t)
	req := plan(t, mem, fixtures.JPEG(fixtures.Quadrants(300, 200), 3, false), 300, 200, 3, false)[0] // webp and jpeg
	first, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var firsts []s3iotest.Object
	for _, f := range first.Files {
		a, _ := mem.Latest("out", f.Key)
		firsts = append(firsts, a)
	}
	if _, err := h.Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	for i, f := range first.Files {
		b, _ := mem.Latest("out", f.Key)
		if a := firsts[i]; mem.Versions("out", f.Key) != 2 || !bytes.Equal(a.Body, b.Body) || a.ETag != b.ETag {
			t.Errorf("%s: a second run must write the same bytes to the same key", f.Key)
		}
	}
}

func TestRejectsCorruptPixels(t *testing.T) {
	good := fixtures.JPEG(fixtures.Quadrants(256, 256), 0, false)
	tests := []struct {
		name string
		body []byte
	}{
		{name: "truncated jpeg", body: fixtures.Truncated(good, len(good)/2)},
		{name: "jpeg header without pixels", body: fixtures.JPEGHeader(256, 256)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t)
			req := plan(t, mem, tt.body, 256, 256, 1, false)[0]
			_, err := h.Handle(context.Background(), req)
			rejected, ok := err.(*pipelineerr.ImageRejectedError)
			if !ok || rejected.Reason != pipelineerr.ReasonCorruptImage {
				t.Fatalf("err = %T %v, want ImageRejectedError CorruptImage", err, err)
			}
			if len(mem.Keys("out")) != 0 {
				t.Errorf("a failed resize stored %v", mem.Keys("out"))
			}
		})
	}
}

// TestRejectsLongSide invokes resize directly (as a hand-started execution
// could) with a source longer than MaxSide: the engine refuses it before
// decoding, with the reason validate would have given.
func TestRejectsLongSide(t *testing.T) {
	mem, fake := s3iotest.NewMemory()
	cfg := NewDefaultConfig()
	cfg.OutputBucket = "out"
	if err := LoadFromEnv(cfg, envconfig.Map(map[string]string{"MAX_SIDE": "255"})); err != nil {
		t.Fatal(err)
	}
	h, err := New(cfg, fake, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	req := plan(t, mem, fixtures.JPEG(fixtures.Quadrants(256, 16), 0, false), 256, 16, 1, false)[0]
	_, err = h.Handle(context.Background(), req)
	rejected, ok := err.(*pipelineerr.ImageRejectedError)
	if !ok || rejected.Reason != pipelineerr.ReasonTooLongSide || !strings.Contains(rejected.Detail, "256x16") {
		t.Fatalf("err = %T %v, want ImageRejectedError TooLongSide", err, err)
	}
	cfg.MaxSide = -1
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "MAX_SIDE") {
		t.Errorf("MaxSide -1: Validate() = %v, want a MAX_SIDE error", err)
	}
}

func TestSourceChangedIsRejected(t *testing.T) {
	h, mem := newHandler(t)
	req := plan(t, mem, fixtures.JPEG(fixtures.Quadrants(64, 64), 0, false), 64, 64, 1, false)[0]
	req.Source.VersionID = "" // an unversioned bucket: only the ETag pins the bytes
	mem.Add("in", "uploads/pic.jpg", fixtures.PNG(fixtures.Quadrants(10, 10)), "image/png")
	_, err := h.Handle(context.Background(), req)
	if r, ok := err.(*pipelineerr.ImageRejectedError); !ok || r.Reason != pipelineerr.ReasonSourceChanged {
		t.Fatalf("err = %T %v, want SourceChanged", err, err)
	}
}

func TestRefusesKeysOutsideTheSourceFolder(t *testing.T) {
	tests := []struct{ name, key string }{
		{name: "another source's folder", key: "variants/uploads/other.jpg/xl.jpg"},
		{name: "the old scheme's folder", key: "variants/uploads/pic/xl.jpg"},
		{name: "climbing out", key: "variants/uploads/pic.jpg/../other.jpg/xl.jpg"},
		{name: "no folder", key: "xl.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t)
			req := plan(t, mem, fixtures.JPEG(fixtures.Quadrants(64, 64), 0, false), 64, 64, 1, false)[0]
			req.Variant.Files[1].Key = tt.key // the webp beside it is in the right folder
			_, err := h.Handle(context.Background(), req)
			if _, ok := err.(*pipelineerr.ConfigError); !ok {
				t.Fatalf("err = %T %v, want ConfigError", err, err)
			}
			if keys := mem.Keys("out"); len(keys) != 0 {
				t.Errorf("stored %v", keys)
			}
		})
	}
}

// Orientation is checked end to end in the handler too: the top-left pixel
// of the output must be the colour EXIF says belongs there.
func TestOrientationReachesOutput(t *testing.T) {
	h, mem := newHandler(t)
	// Orientation 6 = rotate 90° clockwise to display: the stored bottom-left
	// (blue) quadrant becomes the displayed top-left.
	req := plan(t, mem, fixtures.JPEG(fixtures.Quadrants(128, 96), 6, false), 128, 96, 6, false)[0]
	v, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := mem.Latest("out", v.Files[1].Key) // the jpeg
	img, err := jpeg.Decode(bytes.NewReader(obj.Body))
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := img.At(5, 5).RGBA()
	if b>>8 < 200 || r>>8 > 60 || g>>8 > 60 {
		t.Errorf("top-left is rgb(%d,%d,%d), want blue", r>>8, g>>8, b>>8)
	}
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

// TestGroupedPlan checks a Map item of several sizes: one invocation makes
// every plan of the group, returns a Variant per plan in a Group, and
// stores exactly the bytes and Content-Types that one invocation per size
// stores; a group that could write a key twice or nests a group is refused
// before anything is stored.
func TestGroupedPlan(t *testing.T) {
	tests := []struct {
		name  string
		body  []byte
		w, h  int
		orien int
		alpha bool
	}{
		{name: "translucent png", body: fixtures.TranslucentPNG(300, 200), w: 300, h: 200, orien: 1, alpha: true},
		{name: "rotated jpeg (a decode per size)", body: fixtures.JPEG(fixtures.Quadrants(320, 240), 6, false), w: 320, h: 240, orien: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, single := newHandler(t)
			reqs := plan(t, single, tt.body, tt.w, tt.h, tt.orien, tt.alpha)
			for _, req := range reqs {
				if _, err := hs.Handle(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			}
			hg, grouped := newHandler(t)
			gr := plan(t, grouped, tt.body, tt.w, tt.h, tt.orien, tt.alpha)[0]
			for _, req := range plan(t, grouped, tt.body, tt.w, tt.h, tt.orien, tt.alpha) {
				gr.Variant.Group = append(gr.Variant.Group, req.Variant)
			}
			gr.Variant = pipeline.VariantPlan{Group: gr.Variant.Group}
			// plan uploaded twice; the last version is the one planned.
			v, err := hg.Handle(context.Background(), gr)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Group) != len(reqs) || len(v.Files) != 0 {
				t.Fatalf("group result %+v, want %d variants in Group", v, len(reqs))
			}
			for i, gv := range v.Group {
				if gv.Preset != reqs[i].Variant.Preset || len(gv.Files) != len(reqs[i].Variant.Files) {
					t.Errorf("variant %d is %+v, want preset %s", i, gv, reqs[i].Variant.Preset)
				}
				for _, f := range gv.Files {
					a, _ := single.Latest("out", f.Key)
					b, _ := grouped.Latest("out", f.Key)
					if !bytes.Equal(a.Body, b.Body) || a.ContentType != b.ContentType || f.ContentType != b.ContentType || f.Bytes != int64(len(b.Body)) {
						t.Errorf("%s: grouped %d bytes %s, one per size %d bytes %s", f.Key, len(b.Body), b.ContentType, len(a.Body), a.ContentType)
					}
				}
			}
		})
	}

	bad := []struct {
		name string
		edit func(g []pipeline.VariantPlan) []pipeline.VariantPlan
	}{
		{name: "key planned by two sizes", edit: func(g []pipeline.VariantPlan) []pipeline.VariantPlan {
			g[1].Files = append(g[1].Files, g[0].Files[0])
			return g
		}},
		{name: "nested group", edit: func(g []pipeline.VariantPlan) []pipeline.VariantPlan {
			return append(g, pipeline.VariantPlan{Group: []pipeline.VariantPlan{g[0]}})
		}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t)
			reqs := plan(t, mem, fixtures.TranslucentPNG(100, 50), 100, 50, 1, true)
			var g []pipeline.VariantPlan
			for _, r := range reqs {
				g = append(g, r.Variant)
			}
			req := pipeline.ResizeRequest{Source: reqs[0].Source, Variant: pipeline.VariantPlan{Group: tt.edit(g)}}
			_, err := h.Handle(context.Background(), req)
			var ce *pipelineerr.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			if keys := mem.Keys("out"); len(keys) != 0 {
				t.Errorf("stored %v", keys)
			}
		})
	}
}
