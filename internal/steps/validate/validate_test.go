package validate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/presets"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

const presetsFile = "../../../layers/common/assets/presets.json"

func newHandler(t *testing.T, mutate func(*Config)) (*Handler, *s3iotest.Memory) {
	t.Helper()
	mem, fake := s3iotest.NewMemory()
	cfg := NewDefaultConfig()
	cfg.OutputBucket = "out"
	cfg.PresetsFile = presetsFile
	if mutate != nil {
		mutate(cfg)
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h, err := New(cfg, fake, zap.NewNop(), func() time.Time { clock = clock.Add(7 * time.Millisecond); return clock })
	if err != nil {
		t.Fatal(err)
	}
	return h, mem
}

func TestAccepts(t *testing.T) {
	// An iPhone-like HEIC: a 2×2 grid cropped by clap to 110×96, turned by
	// irot and imir (EXIF orientation 7), with an alpha plane.
	heic, err := os.ReadFile("../../imaging/heif/testdata/iphone-grid/image.heic")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		body            []byte
		wantFormat      string
		wantW, wantH    int
		wantOrientation int
		wantVariants    []string // key: WxH
		wantItems       int      // Map items: one group of every size
	}{
		{
			name: "jpeg rotated by exif", body: fixtures.JPEG(fixtures.Quadrants(4000, 3000), 6, true),
			wantFormat: "jpeg", wantW: 3000, wantH: 4000, wantOrientation: 6, wantItems: 1,
			wantVariants: []string{"variants/uploads/photo.jpg/xl.webp:1536x2048", "variants/uploads/photo.jpg/xl.jpg:1536x2048", "variants/uploads/photo.jpg/lg.webp:768x1024", "variants/uploads/photo.jpg/lg.jpg:768x1024",
				"variants/uploads/photo.jpg/md.webp:384x512", "variants/uploads/photo.jpg/md.jpg:384x512", "variants/uploads/photo.jpg/thumb.webp:192x256", "variants/uploads/photo.jpg/thumb.jpg:192x256"},
		},
		{
			name: "png with alpha stays png, small source never upscaled", body: fixtures.TranslucentPNG(300, 200),
			wantFormat: "png", wantW: 300, wantH: 200, wantOrientation: 1, wantItems: 1,
			wantVariants: []string{"variants/uploads/photo.jpg/xl.webp:300x200", "variants/uploads/photo.jpg/xl.png:300x200", "variants/uploads/photo.jpg/lg.webp:300x200", "variants/uploads/photo.jpg/lg.png:300x200",
				"variants/uploads/photo.jpg/md.webp:300x200", "variants/uploads/photo.jpg/md.png:300x200", "variants/uploads/photo.jpg/thumb.webp:256x171", "variants/uploads/photo.jpg/thumb.png:256x171"},
		},
		{
			name: "heic grid oriented by irot and imir, with alpha", body: heic,
			wantFormat: "heic", wantW: 96, wantH: 110, wantOrientation: 7, wantItems: 1,
			wantVariants: []string{"variants/uploads/photo.jpg/xl.webp:96x110", "variants/uploads/photo.jpg/xl.png:96x110", "variants/uploads/photo.jpg/lg.webp:96x110", "variants/uploads/photo.jpg/lg.png:96x110",
				"variants/uploads/photo.jpg/md.webp:96x110", "variants/uploads/photo.jpg/md.png:96x110", "variants/uploads/photo.jpg/thumb.webp:96x110", "variants/uploads/photo.jpg/thumb.png:96x110"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t, nil)
			// The name says .jpg whatever the bytes are: the format comes from the bytes.
			obj := mem.Add("in", "uploads/photo.jpg", tt.body, "image/jpeg")
			resp, err := h.Handle(context.Background(), pipeline.ValidateRequest{Object: pipeline.ObjectRef{Bucket: "in", Key: "uploads/photo.jpg", VersionID: obj.VersionID}})
			if err != nil {
				t.Fatal(err)
			}
			s := resp.Source
			if s.Format != tt.wantFormat || s.Width != tt.wantW || s.Height != tt.wantH || s.Orientation != tt.wantOrientation {
				t.Errorf("source = %s %dx%d orientation %d, want %s %dx%d orientation %d",
					s.Format, s.Width, s.Height, s.Orientation, tt.wantFormat, tt.wantW, tt.wantH, tt.wantOrientation)
			}
			if s.VersionID != obj.VersionID || s.ETag != obj.ETag || s.Bytes != int64(len(tt.body)) {
				t.Errorf("source reference = %+v, want version %s etag %s", s, obj.VersionID, obj.ETag)
			}
			if len(resp.Variants) != tt.wantItems {
				t.Errorf("%d Map items, want %d", len(resp.Variants), tt.wantItems)
			}
			var got []string
			for _, v := range flatPlans(resp.Variants) {
				if v.Bucket != "out" {
					t.Errorf("variant %s goes to bucket %q", v.Preset, v.Bucket)
				}
				for _, f := range v.Files {
					got = append(got, f.Key+":"+itoa(v.Width)+"x"+itoa(v.Height))
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.wantVariants, " ") {
				t.Errorf("variants\n got %v\nwant %v", got, tt.wantVariants)
			}
			if resp.DurationMs != 7 {
				t.Errorf("durationMs = %d, want 7 from the injected clock", resp.DurationMs)
			}
		})
	}
}

// flatPlans lists the plans of Map items in order, groups expanded.
func flatPlans(items []pipeline.VariantPlan) []pipeline.VariantPlan {
	var out []pipeline.VariantPlan
	for _, it := range items {
		out = append(out, it.Plans()...)
	}
	return out
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

func TestRejects(t *testing.T) {
	good := fixtures.JPEG(fixtures.Quadrants(64, 48), 0, false)
	tests := []struct {
		name       string
		body       []byte // nil: the object does not exist
		mutate     func(*Config)
		wantReason pipelineerr.Reason
		wantText   string
	}{
		{name: "empty object", body: []byte{}, wantReason: pipelineerr.ReasonEmpty},
		{name: "text named .jpg", body: []byte("hello, this is not a picture\n"), wantReason: pipelineerr.ReasonNotAnImage},
		{name: "png declaring 50000x50000", body: fixtures.PNGHeader(50000, 50000), wantReason: pipelineerr.ReasonTooManyPixels, wantText: "50000x50000"},
		{name: "jpeg declaring 65000x65000", body: fixtures.JPEGHeader(65000, 65000), wantReason: pipelineerr.ReasonTooManyPixels, wantText: "65000x65000"},
		{name: "heic without meta", body: fixtures.HEIC(), wantReason: pipelineerr.ReasonCorruptHeader, wantText: "heic"},
		{name: "avif is unsupported", body: fixtures.AVIF(), wantReason: pipelineerr.ReasonUnsupportedFormat, wantText: "AVIF"},
		{name: "header cut short", body: fixtures.Truncated(good, 40), wantReason: pipelineerr.ReasonCorruptHeader},
		{name: "larger than MaxBytes", body: good, mutate: func(c *Config) { c.MaxBytes = 100 }, wantReason: pipelineerr.ReasonTooManyBytes},
		{name: "more pixels than MaxPixels", body: good, mutate: func(c *Config) { c.MaxPixels = 64*48 - 1 }, wantReason: pipelineerr.ReasonTooManyPixels},
		{name: "png declaring 25000000x1", body: fixtures.PNGHeader(25_000_000, 1), wantReason: pipelineerr.ReasonTooLongSide, wantText: "25000000x1"},
		{name: "longer than MaxSide", body: good, mutate: func(c *Config) { c.MaxSide = 63 }, wantReason: pipelineerr.ReasonTooLongSide, wantText: "64x48"},
		{name: "lossless webp over its own limit", body: losslessWebPHeader(8000, 5001), wantReason: pipelineerr.ReasonTooManyPixels, wantText: "40000000"},
		{name: "object gone", body: nil, wantReason: pipelineerr.ReasonSourceMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t, tt.mutate)
			if tt.body != nil {
				mem.Add("in", "uploads/x.jpg", tt.body, "image/jpeg")
			}
			_, err := h.Handle(context.Background(), pipeline.ValidateRequest{Object: pipeline.ObjectRef{Bucket: "in", Key: "uploads/x.jpg"}})
			rejected, ok := err.(*pipelineerr.ImageRejectedError) // unwrapped: the Lambda runtime names it by its type
			if !ok {
				t.Fatalf("err = %T %v, want *ImageRejectedError", err, err)
			}
			if rejected.Reason != tt.wantReason || !strings.Contains(rejected.Error(), tt.wantText) {
				t.Errorf("rejected with %q, want reason %s mentioning %q", rejected, tt.wantReason, tt.wantText)
			}
			for _, call := range mem.Calls {
				if strings.HasPrefix(call, "PUT") {
					t.Errorf("validate wrote an object: %s", call)
				}
			}
			if tt.body != nil && mem.Versions("in", "uploads/x.jpg") != 1 {
				t.Error("the original was modified")
			}
		})
	}
}

// TestExecutionInput feeds validate the payloads the state machine builds
// from hand-started executions ("object.$": "$"), decoded as the Lambda
// runtime decodes them: whatever the input, the outcome is a success or an
// ImageRejectedError, never a decoder error or a retried one.
func TestExecutionInput(t *testing.T) {
	good := fixtures.JPEG(fixtures.Quadrants(64, 48), 0, false)
	longName := "uploads/" + strings.Repeat("x", 1000) + ".jpg"
	tests := []struct {
		name       string
		input      string // the execution input
		wantReason pipelineerr.Reason
		wantText   string
	}{
		{name: "no versionId is fine", input: `{"bucket":"in","key":"uploads/x.jpg"}`},
		{name: "extra fields are ignored", input: `{"bucket":"in","key":"uploads/x.jpg","comment":"by hand","retry":2}`},
		{name: "no bucket", input: `{"key":"uploads/x.jpg"}`, wantReason: pipelineerr.ReasonInvalidInput, wantText: `no "bucket"`},
		{name: "no bucket and no key", input: `{"versionId":"v1"}`, wantReason: pipelineerr.ReasonInvalidInput, wantText: `no "bucket" and no "key"`},
		{name: "empty key", input: `{"bucket":"in","key":""}`, wantReason: pipelineerr.ReasonInvalidInput, wantText: `no "key"`},
		{name: "key that does not exist", input: `{"bucket":"in","key":"uploads/nope.jpg"}`, wantReason: pipelineerr.ReasonSourceMissing},
		{name: "bucket that does not exist", input: `{"bucket":"nope","key":"uploads/x.jpg"}`, wantReason: pipelineerr.ReasonSourceMissing},
		{name: "a string", input: `"uploads/x.jpg"`, wantReason: pipelineerr.ReasonInvalidInput, wantText: "is a string, not a JSON object"},
		{name: "an array", input: `[{"bucket":"in","key":"uploads/x.jpg"}]`, wantReason: pipelineerr.ReasonInvalidInput, wantText: "is an array"},
		{name: "null", input: `null`, wantReason: pipelineerr.ReasonInvalidInput, wantText: "is null"},
		{name: "a number", input: `7`, wantReason: pipelineerr.ReasonInvalidInput, wantText: "is a number"},
		{name: "key of the wrong type", input: `{"bucket":"in","key":["uploads/x.jpg"]}`, wantReason: pipelineerr.ReasonInvalidInput, wantText: `"key"`},
		{name: "outputs longer than S3 allows", input: `{"bucket":"in","key":"` + longName + `"}`, wantReason: pipelineerr.ReasonKeyTooLong, wantText: "1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t, nil)
			mem.Add("in", "uploads/x.jpg", good, "image/jpeg")
			mem.Add("in", longName, good, "image/jpeg")
			var req pipeline.ValidateRequest
			if err := json.Unmarshal([]byte(`{"object":`+tt.input+`,"executionArn":"arn:x"}`), &req); err != nil {
				t.Fatalf("the payload does not decode: %v", err)
			}
			resp, err := h.Handle(context.Background(), req)
			if tt.wantReason == "" {
				if err != nil || len(resp.Variants) == 0 {
					t.Fatalf("err = %v, variants %v; want a success", err, resp.Variants)
				}
				return
			}
			rejected, ok := err.(*pipelineerr.ImageRejectedError)
			if !ok {
				t.Fatalf("err = %T %v, want *ImageRejectedError", err, err)
			}
			if rejected.Reason != tt.wantReason || !strings.Contains(rejected.Error(), tt.wantText) {
				t.Errorf("rejected with %q, want reason %s mentioning %q", rejected, tt.wantReason, tt.wantText)
			}
		})
	}
}

// TestReadsOnlyWhereAllowed: the function may read only the upload prefix of
// the upload bucket (its IAM policy says so on AWS), so a hand-started input
// naming anything else is refused as the user's mistake before any S3 call,
// not left to an AccessDenied that would be retried as a StorageError.
func TestReadsOnlyWhereAllowed(t *testing.T) {
	good := fixtures.JPEG(fixtures.Quadrants(64, 48), 0, false)
	tests := []struct {
		name       string
		ref        pipeline.ObjectRef
		wantReason pipelineerr.Reason
		wantText   string
	}{
		{name: "upload prefix of the upload bucket", ref: pipeline.ObjectRef{Bucket: "in", Key: "uploads/x.jpg"}},
		{name: "another bucket", ref: pipeline.ObjectRef{Bucket: "other", Key: "uploads/x.jpg"},
			wantReason: pipelineerr.ReasonInvalidInput, wantText: `not the upload bucket "in"`},
		{name: "outside the upload prefix", ref: pipeline.ObjectRef{Bucket: "in", Key: "manual/x.jpg"},
			wantReason: pipelineerr.ReasonInvalidInput, wantText: `outside the upload prefix "uploads/"`},
		{name: "the output prefix", ref: pipeline.ObjectRef{Bucket: "in", Key: "variants/uploads/x.jpg/xl.jpg"},
			wantReason: pipelineerr.ReasonInvalidInput, wantText: "outside the upload prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, mem := newHandler(t, func(c *Config) { c.UploadBucket = "in" })
			for _, b := range []string{"in", "other"} {
				for _, k := range []string{"uploads/x.jpg", "manual/x.jpg", "variants/uploads/x.jpg/xl.jpg"} {
					mem.Add(b, k, good, "image/jpeg")
				}
			}
			_, err := h.Handle(context.Background(), pipeline.ValidateRequest{Object: tt.ref})
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("err = %v, want a success", err)
				}
				return
			}
			rejected, ok := err.(*pipelineerr.ImageRejectedError)
			if !ok || rejected.Reason != tt.wantReason || !strings.Contains(rejected.Error(), tt.wantText) {
				t.Fatalf("err = %T %v, want %s mentioning %q", err, err, tt.wantReason, tt.wantText)
			}
		})
	}
}

func TestReadsOnlyTheHeader(t *testing.T) {
	h, mem := newHandler(t, nil)
	// A JPEG padded to 3 MB after its EOI: validating it must not download it.
	body := fixtures.JPEG(fixtures.Quadrants(640, 480), 3, false)
	body = append(body, bytes.Repeat([]byte{0}, 3<<20)...)
	mem.Add("in", "uploads/big.jpg", body, "image/jpeg")
	if _, err := h.Handle(context.Background(), pipeline.ValidateRequest{Object: pipeline.ObjectRef{Bucket: "in", Key: "uploads/big.jpg"}}); err != nil {
		t.Fatal(err)
	}
	var gets []string
	for _, c := range mem.Calls {
		if strings.HasPrefix(c, "GET") {
			gets = append(gets, c)
		}
	}
	if len(gets) != 1 || !strings.HasSuffix(gets[0], "bytes=0-65535") {
		t.Errorf("GETs = %q, want one ranged GET of the first 64 KiB", gets)
	}
}

func TestOverwrittenUnversionedObjectIsRejected(t *testing.T) {
	h, mem := newHandler(t, nil)
	obj := mem.Add("in", "uploads/x.jpg", fixtures.JPEG(fixtures.Quadrants(8, 8), 0, false), "")
	_, err := h.Handle(context.Background(), pipeline.ValidateRequest{Object: pipeline.ObjectRef{Bucket: "in", Key: "uploads/x.jpg", ETag: "not-" + obj.ETag}})
	var rejected *pipelineerr.ImageRejectedError
	if !errors.As(err, &rejected) || rejected.Reason != pipelineerr.ReasonSourceChanged {
		t.Fatalf("an overwritten unversioned object: err = %v, want SourceChanged", err)
	}
}

func TestStorageFailureIsRetryable(t *testing.T) {
	_, fake := s3iotest.NewMemory()
	fake.HeadObjectFunc = func(context.Context, *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "SlowDown", Message: "Please reduce your request rate."}
	}
	cfg := NewDefaultConfig()
	cfg.OutputBucket = "out"
	cfg.PresetsFile = presetsFile
	h, err := New(cfg, fake, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Handle(context.Background(), pipeline.ValidateRequest{Object: pipeline.ObjectRef{Bucket: "in", Key: "uploads/x.jpg"}})
	if _, ok := err.(*pipelineerr.StorageError); !ok {
		t.Fatalf("err = %T %v, want *StorageError (the state machine retries it)", err, err)
	}
}

func TestMaxSideFromEnv(t *testing.T) {
	env := map[string]string{"OUTPUT_BUCKET": "out", "MAX_SIDE": "12345"}
	cfg := NewDefaultConfig()
	if cfg.MaxSide != imaging.DefaultMaxSide {
		t.Errorf("default MaxSide = %d, want %d", cfg.MaxSide, imaging.DefaultMaxSide)
	}
	if err := LoadFromEnv(cfg, envconfig.Map(env)); err != nil || cfg.MaxSide != 12345 {
		t.Fatalf("MAX_SIDE=12345: MaxSide = %d, err %v", cfg.MaxSide, err)
	}
	cfg.MaxSide = 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "MAX_SIDE") {
		t.Errorf("MaxSide 0: Validate() = %v, want a MAX_SIDE error", err)
	}
}

// losslessWebPHeader is the start of a lossless WebP (RIFF, VP8L chunk
// header, signature and the packed size): enough for the header checks.
func losslessWebPHeader(w, h int) []byte {
	v := uint32(w-1) | uint32(h-1)<<14
	return append([]byte("RIFF\x00\x01\x00\x00WEBPVP8L\x40\x00\x00\x00\x2f"), byte(v), byte(v>>8), byte(v>>16), byte(v>>24), 0, 0, 0)
}

// TestPlanFormats resolves presets' formats and qualities: auto by the
// source's alpha, WebP's own quality, and single-format presets as before.
func TestPlanFormats(t *testing.T) {
	ps := []presets.Preset{
		{Name: "xl", LongSide: 2048, Formats: []string{"webp", "auto"}, Quality: 82, WebPQuality: 85},
		{Name: "md", LongSide: 512, Format: "auto", Quality: 80},
		{Name: "sm", LongSide: 128, Formats: []string{"png", "webp"}, Quality: 70},
	}
	tests := []struct {
		name  string
		alpha bool
		want  []string // preset: format/quality/key name...
	}{
		{"opaque", false, []string{"xl: webp/85/xl.webp jpeg/82/xl.jpg", "md: jpeg/80/md.jpg", "sm: png/70/sm.png webp/70/sm.webp"}},
		{"alpha", true, []string{"xl: webp/85/xl.webp png/82/xl.png", "md: png/80/md.png", "sm: png/70/sm.png webp/70/sm.webp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := pipeline.Source{Key: "a b/c%.jpg", Width: 4000, Height: 3000, HasAlpha: tt.alpha}
			var got []string
			for _, p := range Plan(src, ps, "out", "v") {
				s := p.Preset + ":"
				for _, f := range p.Files {
					if !strings.HasPrefix(f.Key, "v/a b/c%25.jpg/") {
						t.Errorf("key %q not in the escaped-key-v1 folder", f.Key)
					}
					s += fmt.Sprintf(" %s/%d/%s", f.Format, f.Quality, path.Base(f.Key))
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("plans\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestItems checks the Map items planned per source format: every format
// gets one group of every size (one read and one entropy or full decode
// of the source), and a single size is never grouped. The plans inside are
// Plan's, in order, and the JSON of an ungrouped item is what it was
// before groups existed.
func TestItems(t *testing.T) {
	ps := []presets.Preset{
		{Name: "xl", LongSide: 2048, Formats: []string{"webp", "auto"}, Quality: 82, WebPQuality: 85},
		{Name: "lg", LongSide: 1024, Formats: []string{"webp", "auto"}, Quality: 80},
		{Name: "md", LongSide: 512, Formats: []string{"webp", "auto"}, Quality: 80},
		{Name: "thumb", LongSide: 256, Formats: []string{"webp", "auto"}, Quality: 78},
	}
	tests := []struct {
		name      string
		format    imaging.Format
		presets   []presets.Preset
		wantItems int
		wantGroup bool
	}{
		{name: "jpeg: one group", format: imaging.JPEG, presets: ps, wantItems: 1, wantGroup: true},
		{name: "heic: one group", format: imaging.HEIC, presets: ps, wantItems: 1, wantGroup: true},
		{name: "png: one group", format: imaging.PNG, presets: ps, wantItems: 1, wantGroup: true},
		{name: "webp: one group", format: imaging.WebP, presets: ps, wantItems: 1, wantGroup: true},
		{name: "gif: one group", format: imaging.GIF, presets: ps, wantItems: 1, wantGroup: true},
		{name: "jpeg, two presets: one group", format: imaging.JPEG, presets: ps[2:], wantItems: 1, wantGroup: true},
		{name: "heic, one preset: not grouped", format: imaging.HEIC, presets: ps[:1], wantItems: 1},
		{name: "jpeg, one preset", format: imaging.JPEG, presets: ps[3:], wantItems: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := pipeline.Source{Key: "uploads/p", Format: string(tt.format), Width: 4032, Height: 3024}
			plans := Plan(src, tt.presets, "out", "v")
			items := Items(plans)
			if len(items) != tt.wantItems {
				t.Fatalf("%d items, want %d", len(items), tt.wantItems)
			}
			if grouped := len(items[0].Group) > 0; grouped != tt.wantGroup {
				t.Fatalf("grouped = %t, want %t", grouped, tt.wantGroup)
			}
			got, _ := json.Marshal(flatPlans(items))
			want, _ := json.Marshal(plans)
			if !bytes.Equal(got, want) {
				t.Errorf("plans in the items\n got %s\nwant %s", got, want)
			}
			b, err := json.Marshal(items)
			if err != nil {
				t.Fatal(err)
			}
			var shapes []map[string]json.RawMessage
			if err := json.Unmarshal(b, &shapes); err != nil {
				t.Fatal(err)
			}
			for _, it := range shapes {
				_, hasGroup := it["group"]
				switch {
				case tt.wantGroup && (!hasGroup || len(it) != 1):
					t.Errorf("group item has fields %v, want group alone", slices.Sorted(maps.Keys(it)))
				case !tt.wantGroup && hasGroup:
					t.Errorf("item of one size has a group: %s", b)
				}
			}
			var back []pipeline.VariantPlan
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if again, _ := json.Marshal(back); !bytes.Equal(again, b) {
				t.Errorf("items do not round-trip:\n got %s\nwant %s", again, b)
			}
		})
	}
}
