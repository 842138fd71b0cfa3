package jpeg

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode decodes arbitrary input at every scale: it must never panic,
// and a successful decode has the size DecodeConfig promised. Seeds are the
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
		for _, s := range []int{1, 2, 4, 8} {
			m, err := Decode(bytes.NewReader(b), &Options{Scale: s, MaxPixels: limit})
			if err != nil {
				continue
			}
			want := image.Rect(0, 0, (cfg.Width+s-1)/s, (cfg.Height+s-1)/s)
			if m.Bounds() != want {
				t.Fatalf("1:%d: bounds %v, want %v", s, m.Bounds(), want)
			}
		}
		if m, err := DecodeRGBA(bytes.NewReader(b), &Options{Scale: 2, MaxPixels: limit}); err == nil && m.Bounds().Dx() != (cfg.Width+1)/2 {
			t.Fatalf("DecodeRGBA width %d", m.Bounds().Dx())
		}
	})
}
