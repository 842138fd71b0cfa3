package imaging

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// realImages is the shared folder of real photographs (see its MANIFEST.txt).
// Tests using it skip when it is absent; the files are never copied here.
const realImages = "/work/shared/images"

func realImage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realImages, name))
	if err != nil {
		t.Skipf("real image not available: %v", err)
	}
	return b
}

func TestRealImages(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: decodes real photos")
	}
	tests := []struct {
		name        string
		file        string
		orientation int
		model       string
		dispW       int
		dispH       int
	}{
		{"orientation 6 camera", "o6_canon-sx60.jpg", 6, ModelYCbCr, 1536, 2048},
		{"cmyk with icc (ycck)", "cmyk_icc-swop.jpg", 1, ModelYCCK, 500, 333},
		{"cmyk without icc", "cmyk_noicc-giunchedi.jpg", 1, ModelYCCK, 800, 533},
		{"png alpha", "alpha_paper.png", 1, ModelRGBA, 2048, 1536},
		{"tiny", "tiny_olympus-ep3_504.jpg", 1, ModelYCbCr, 504, 378},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := realImage(t, tt.file)
			info, err := Probe(bytes.NewReader(src))
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			w, h := info.DisplaySize()
			if info.Orientation != tt.orientation || info.ColorModel != tt.model || w != tt.dispW || h != tt.dispH {
				t.Fatalf("Probe = %+v", info)
			}
			out, o := process(t, src, Spec{LongSide: 256, Format: JPEG})
			ww, wh := Fit(w, h, 256)
			if o.Width != ww || o.Height != wh {
				t.Fatalf("output %dx%d, want %dx%d", o.Width, o.Height, ww, wh)
			}
			decodeOutput(t, out)
		})
	}
}

// TestRealProgressiveEqualsBaseline compares the small variants of the same
// photo stored progressive and re-encoded baseline (q92): they must be close.
func TestRealProgressiveEqualsBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: decodes 24 MP photos")
	}
	prog := realImage(t, "p24_craftbeer_prog.jpg")
	base := realImage(t, "p24_craftbeer_base-q92.jpg")
	a, _, err := Decode(context.Background(), bytes.NewReader(prog), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Decode(context.Background(), bytes.NewReader(base), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Rect != b.Rect {
		t.Fatalf("sizes differ: %v vs %v", a.Rect, b.Rect)
	}
	var sum int64
	for i := range a.Pix {
		d := int64(a.Pix[i]) - int64(b.Pix[i])
		sum += max(d, -d)
	}
	if mean := float64(sum) / float64(len(a.Pix)); mean > 3 {
		t.Fatalf("mean abs difference %.2f, want <= 3", mean)
	}
}

// BenchmarkProcessReal runs Process on the 12 MP camera JPEG when available.
func BenchmarkProcessReal(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(realImages, "p12_olympus-ep3.jpg"))
	if err != nil {
		b.Skipf("real image not available: %v", err)
	}
	for _, long := range []int{2048, 256} {
		b.Run("p12_to_"+itoaTest(long), func(b *testing.B) {
			for b.Loop() {
				if _, err := Process(context.Background(), bytes.NewReader(src), io.Discard, Spec{LongSide: long, Format: JPEG, Quality: 82}, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRealICC checks that real embedded profiles are recognised: the sRGB
// IEC61966-2.1 profile needs no conversion, a CMYK profile is left to the
// LUT path (icc_lut.go), not the matrix/TRC one.
func TestRealICC(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"srgb IEC61966-2.1", "p24_craftbeer_prog.jpg"},
		{"cmyk swop", "cmyk_icc-swop.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, profile, err := probe(bytes.NewReader(realImage(t, tt.file)))
			if err != nil || !info.HasICC || profile == nil {
				t.Fatalf("probe: %v, HasICC %v, profile %d bytes", err, info.HasICC, len(profile))
			}
			if parseICC(profile) != nil {
				t.Fatal("profile would convert colours")
			}
			if cmyk := parseCMYKProfile(profile) != nil; cmyk != (info.ColorModel == ModelYCCK) {
				t.Fatalf("CMYK LUT profile parsed: %v", cmyk)
			}
		})
	}
}
