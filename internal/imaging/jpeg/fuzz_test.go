package jpeg

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode decodes arbitrary input at every scale: it must never panic,
// a successful decode has the size DecodeConfig promised, DecodeCoefficients
// succeeds exactly when a full-scale Decode does, and its Image at each
// scale equals Decode's. Seeds are the
// fixtures plus testdata/fuzz/FuzzDecode (truncated, corrupt and hostile
// headers). Inputs whose header declares more than 4 MP are only
// header-checked, so the fuzzer spends its time on the decoder.
func FuzzDecode(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.jpg"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatalf("read seed: %v", err)
		}
		f.Add(b)
	}
	const limit = 1 << 22
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return
		}
		if int64(cfg.Width)*int64(cfg.Height) > limit {
			if _, err := Decode(bytes.NewReader(b), &Options{MaxPixels: limit}); err == nil {
				t.Fatalf("%dx%d decoded despite MaxPixels", cfg.Width, cfg.Height)
			}
			return
		}
		coefs, cerr := DecodeCoefficients(context.Background(), bytes.NewReader(b), &Options{MaxPixels: limit})
		for _, s := range []int{1, 2, 4, 8} {
			m, err := Decode(bytes.NewReader(b), &Options{Scale: s, MaxPixels: limit})
			if s == 1 && (err == nil) != (cerr == nil) {
				t.Fatalf("Decode: %v, DecodeCoefficients: %v", err, cerr)
			}
			if err != nil {
				continue
			}
			want := image.Rect(0, 0, (cfg.Width+s-1)/s, (cfg.Height+s-1)/s)
			if m.Bounds() != want {
				t.Fatalf("1:%d: bounds %v, want %v", s, m.Bounds(), want)
			}
			if cerr != nil {
				continue // stricter than a reduced Decode (AC data is read)
			}
			got, err := coefs.Image(context.Background(), s)
			if err != nil || !reflect.DeepEqual(got, m) {
				t.Fatalf("1:%d: Image (err %v) differs from Decode", s, err)
			}
		}
		if m, err := DecodeRGBA(bytes.NewReader(b), &Options{Scale: 2, MaxPixels: limit}); err == nil && m.Bounds().Dx() != (cfg.Width+1)/2 {
			t.Fatalf("DecodeRGBA width %d", m.Bounds().Dx())
		}
	})
}
