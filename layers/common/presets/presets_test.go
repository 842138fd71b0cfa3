package presets

import (
	"errors"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr []string
	}{
		{name: "valid", in: `{"presets":[{"name":"xl","longSide":2048,"format":"auto","quality":82}]}`},
		{name: "empty list", in: `{"presets":[]}`, wantErr: []string{"no presets"}},
		{name: "unknown field", in: `{"presets":[{"name":"xl","longSide":2048,"format":"jpeg","quality":80,"size":9}]}`, wantErr: []string{"unknown field"}},
		{name: "every problem at once",
			in:      `{"presets":[{"name":"XL","longSide":0,"format":"gif","quality":0},{"name":"a","longSide":1,"format":"png","quality":1},{"name":"a","longSide":99999,"format":"jpeg","quality":101}]}`,
			wantErr: []string{`name "XL"`, "longSide 0", `format "gif"`, "quality 0", `duplicate name "a"`, "longSide 99999", "quality 101"}},
		{name: "formats", in: `{"presets":[{"name":"xl","longSide":2048,"formats":["webp","auto"],"quality":82,"webpQuality":85}]}`},
		{name: "single webp", in: `{"presets":[{"name":"xl","longSide":2048,"format":"webp","quality":80}]}`},
		{name: "webp and png", in: `{"presets":[{"name":"xl","longSide":16383,"formats":["png","webp"],"quality":80}]}`},
		{name: "format and formats", in: `{"presets":[{"name":"xl","longSide":2048,"format":"jpeg","formats":["webp"],"quality":80}]}`,
			wantErr: []string{`presets[0]: both format "jpeg" and formats ["webp"] given`}},
		{name: "no format", in: `{"presets":[{"name":"xl","longSide":2048,"quality":80}]}`,
			wantErr: []string{`presets[0].format: no format`}},
		{name: "empty formats", in: `{"presets":[{"name":"xl","longSide":2048,"formats":[],"quality":80}]}`,
			wantErr: []string{`presets[0].formats: empty list`}},
		{name: "bad formats", in: `{"presets":[{"name":"xl","longSide":2048,"formats":["webp","avif","webp"],"quality":80}]}`,
			wantErr: []string{`presets[0].formats[1]: format "avif"`, `presets[0].formats[2]: format "webp" listed twice`}},
		{name: "auto with jpeg", in: `{"presets":[{"name":"xl","longSide":2048,"formats":["auto","jpeg"],"quality":80}]}`,
			wantErr: []string{`presets[0].formats: auto already means jpeg`}},
		{name: "webp quality", in: `{"presets":[{"name":"a","longSide":2048,"formats":["webp"],"quality":80,"webpQuality":101},{"name":"b","longSide":2048,"format":"jpeg","quality":80,"webpQuality":70}]}`,
			wantErr: []string{`presets[0].webpQuality: webpQuality 101 out of range`, `presets[1].webpQuality: webpQuality given but no webp format`}},
		{name: "webp too long", in: `{"presets":[{"name":"xl","longSide":16384,"formats":["webp","jpeg"],"quality":80}]}`,
			wantErr: []string{`presets[0].longSide: longSide 16384: WebP sides are at most 16383`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(f.Presets) != 1 {
					t.Fatalf("got %d presets", len(f.Presets))
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			var fe *FieldError
			if !strings.Contains(err.Error(), "json:") && !errors.As(err, &fe) {
				t.Errorf("error %v (%T) has no *FieldError", err, err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestShippedPresets checks the file the layer deploys.
func TestShippedPresets(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	f, err := Load(filepath.Join(filepath.Dir(file), "..", "assets", "presets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sides []int
	for _, p := range f.Presets {
		sides = append(sides, p.LongSide)
		// Every size as WebP with a JPEG (or, for alpha, PNG) fallback.
		if got := p.OutputFormats(); !slices.Equal(got, []string{FormatWebP, FormatAuto}) {
			t.Errorf("%s: formats %q, want webp and auto", p.Name, got)
		}
		// Calibrated to the JPEG fallback's SSIM (bench/webpenc/sweep.txt):
		// out of this band a size would be visibly worse, or wastefully
		// larger, than its JPEG.
		if q := p.QualityOf(FormatWebP); q < 60 || q > 92 {
			t.Errorf("%s: webp quality %d, want 60..92", p.Name, q)
		}
	}
	want := []int{2048, 1024, 512, 256}
	if len(sides) != len(want) {
		t.Fatalf("long sides %v, want %v", sides, want)
	}
	for i := range want {
		if sides[i] != want[i] {
			t.Fatalf("long sides %v, want %v", sides, want)
		}
	}
}

// TestDefaultIsTheShippedFile checks that the built-in presets are the
// layer's file, so the binary and the layer cannot disagree.
func TestDefaultIsTheShippedFile(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	shipped, err := Load(filepath.Join(filepath.Dir(file), "..", "assets", "presets.json"))
	if err != nil {
		t.Fatal(err)
	}
	builtIn, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(builtIn, shipped) {
		t.Fatalf("built-in presets %+v differ from the shipped file %+v", builtIn, shipped)
	}
}

// TestOldPresetFiles checks that files written for the single "format"
// field load unchanged and resolve to one format each.
func TestOldPresetFiles(t *testing.T) {
	f, err := Parse([]byte(`{"presets":[{"name":"xl","longSide":2048,"format":"auto","quality":82},{"name":"md","longSide":512,"format":"jpeg","quality":80}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p    Preset
		want []string
	}{{f.Presets[0], []string{"auto"}}, {f.Presets[1], []string{"jpeg"}}} {
		if got := tt.p.OutputFormats(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: formats %q, want %q", tt.p.Name, got, tt.want)
		}
	}
	_, file, _, _ := runtime.Caller(0)
	if _, err := Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "bench", "presets.json")); err != nil {
		t.Errorf("bench/presets.json (single format): %v", err)
	}
}

func TestQualityOf(t *testing.T) {
	tests := []struct {
		name   string
		p      Preset
		format string
		want   int
	}{
		{"jpeg", Preset{Quality: 82, WebPQuality: 85}, FormatJPEG, 82},
		{"webp own", Preset{Quality: 82, WebPQuality: 85}, FormatWebP, 85},
		{"webp falls back to quality", Preset{Quality: 82}, FormatWebP, 82},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.QualityOf(tt.format); got != tt.want {
				t.Fatalf("QualityOf(%s) = %d, want %d", tt.format, got, tt.want)
			}
		})
	}
}

// TestDigest: the digest follows the presets' content, not the file's
// formatting, and any change of a field changes it.
func TestDigest(t *testing.T) {
	base := `{"presets":[{"name":"xl","longSide":2048,"formats":["webp","auto"],"quality":80}]}`
	cases := []struct {
		name string
		file string
		same bool
	}{
		{"reformatted", "{\n  \"presets\": [ {\"quality\": 80, \"formats\": [\"webp\", \"auto\"], \"longSide\": 2048, \"name\": \"xl\"} ]\n}", true},
		{"other size", `{"presets":[{"name":"xl","longSide":2000,"formats":["webp","auto"],"quality":80}]}`, false},
		{"other quality", `{"presets":[{"name":"xl","longSide":2048,"formats":["webp","auto"],"quality":81}]}`, false},
		{"format order", `{"presets":[{"name":"xl","longSide":2048,"formats":["auto","webp"],"quality":80}]}`, false},
		{"webp quality", `{"presets":[{"name":"xl","longSide":2048,"formats":["webp","auto"],"quality":80,"webpQuality":70}]}`, false},
	}
	want := mustParse(t, base)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.file)
			if (got == want) != tc.same {
				t.Errorf("digest %s vs %s: same = %v, want %v", got, want, got == want, tc.same)
			}
		})
	}
	if len(want) != len("sha256:")+64 || want[:7] != "sha256:" {
		t.Errorf("digest %q", want)
	}
}

func mustParse(t *testing.T, s string) string {
	t.Helper()
	f, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return Digest(f.Presets)
}
