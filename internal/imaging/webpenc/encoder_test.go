package webpenc

import (
	"fmt"
	"image"
	"testing"
)

// TestReconstructionMatchesDecoder checks that, with the loop filter off,
// x/image/webp decodes exactly the encoder's own reconstruction: every
// predictor, transform and token is then bit-exact with a real decoder.
func TestReconstructionMatchesDecoder(t *testing.T) {
	tests := []struct {
		name    string
		w, h    int
		kind    string
		quality int
		method  int
	}{
		{"photo-q75", 67, 45, "photo", 75, 4},
		{"photo-q10", 67, 45, "photo", 10, 4},
		{"photo-q100", 40, 33, "photo", 100, 4},
		{"noise-q90", 35, 18, "noise", 90, 4},
		{"flat", 32, 32, "flat", 75, 4},
		{"i16-only", 50, 50, "photo", 60, 1},
		{"1x1", 1, 1, "photo", 75, 4},
		{"tall", 3, 70, "noise", 50, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testImage(tc.w, tc.h, tc.kind, 1)
			data, e := encodeTest(t, m, Options{Quality: tc.quality, Method: tc.method, noFilter: true})
			d := decodeX(t, data)
			if err := samePlanes(d, e); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// samePlanes compares decoded planes with the encoder's reconstruction.
func samePlanes(d *image.YCbCr, e *encoder) error {
	cw, ch := (e.w+1)/2, (e.h+1)/2
	for _, p := range []struct {
		name     string
		got      []uint8
		gs       int
		want     []uint8
		ws, w, h int
	}{
		{"Y", d.Y, d.YStride, e.recY, e.yStride, e.w, e.h},
		{"Cb", d.Cb, d.CStride, e.recU, e.cStride, cw, ch},
		{"Cr", d.Cr, d.CStride, e.recV, e.cStride, cw, ch},
	} {
		for y := 0; y < p.h; y++ {
			for x := 0; x < p.w; x++ {
				if g, w := p.got[y*p.gs+x], p.want[y*p.ws+x]; g != w {
					return fmt.Errorf("%s(%d,%d) = %d, encoder reconstructed %d (mb %d,%d)", p.name, x, y, g, w, x/16, y/16)
				}
			}
		}
	}
	return nil
}
