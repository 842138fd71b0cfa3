package png

import (
	"bytes"
	"context"
	stdpng "image/png"
	"testing"
)

// FuzzDecode checks Decode against image/png on any input: it must never
// panic, must accept exactly what image/png accepts and must return the
// same pixels reduced to 8 bits. Inputs declaring more than 1 MP are only
// checked against the limit, so the fuzzer spends its time on decoding.
// Seeds: every colour type and bit depth, interlaced or not, with tRNS.
func FuzzDecode(f *testing.F) {
	for _, c := range []pngFile{
		{w: 5, h: 3, depth: 1, ct: 0, trns: []byte{0, 1}},
		{w: 9, h: 7, depth: 16, ct: 0, interlace: true},
		{w: 9, h: 4, depth: 8, ct: 2, trns: []byte{0, 1, 0, 2, 0, 3}},
		{w: 6, h: 6, depth: 16, ct: 2, interlace: true},
		{w: 11, h: 2, depth: 2, ct: 3, plte: []byte{1, 2, 3, 4, 5, 6}, trns: []byte{9}},
		{w: 4, h: 9, depth: 8, ct: 4, idatSplit: 5},
		{w: 3, h: 3, depth: 16, ct: 4},
		{w: 8, h: 8, depth: 8, ct: 6, interlace: true},
		{w: 7, h: 5, depth: 16, ct: 6},
	} {
		f.Add(c.bytes())
	}
	const limit = 1 << 20
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := stdpng.DecodeConfig(bytes.NewReader(b))
		if err == nil && int64(cfg.Width)*int64(cfg.Height) > limit {
			if _, err := Decode(context.Background(), bytes.NewReader(b), &Options{MaxPixels: limit}); err == nil {
				t.Fatalf("%dx%d decoded despite MaxPixels", cfg.Width, cfg.Height)
			}
			return
		}
		checkSame(t, b)
	})
}
