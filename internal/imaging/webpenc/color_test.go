package webpenc

import (
	"image"
	"math"
	"testing"
)

// TestRGBToYUV pins the BT.601 limited-range conversion: black, white,
// grey and primaries against the float formulas (±1), and chroma of grey
// exactly 128.
func TestRGBToYUV(t *testing.T) {
	tests := []struct {
		name    string
		r, g, b uint8
	}{
		{"black", 0, 0, 0}, {"white", 255, 255, 255}, {"grey", 128, 128, 128},
		{"red", 255, 0, 0}, {"green", 0, 255, 0}, {"blue", 0, 0, 255}, {"skin", 224, 172, 138},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := image.NewNRGBA(image.Rect(0, 0, 2, 2))
			for i := 0; i < 4; i++ {
				copy(m.Pix[4*i:], []uint8{tc.r, tc.g, tc.b, 255})
			}
			e := newEncoder(2, 2)
			e.importRGBA(m.Pix, m.Stride, 0, 2)
			R, G, B := float64(tc.r), float64(tc.g), float64(tc.b)
			y := 16 + (65.481*R+128.553*G+24.966*B)/255
			u := 128 + (-37.797*R-74.203*G+112*B)/255
			v := 128 + (112*R-93.786*G-18.214*B)/255
			if d := math.Abs(float64(e.srcY[0]) - y); d > 1 {
				t.Errorf("Y = %d, want %.1f", e.srcY[0], y)
			}
			if d := math.Abs(float64(e.srcU[0]) - u); d > 1 {
				t.Errorf("U = %d, want %.1f", e.srcU[0], u)
			}
			if d := math.Abs(float64(e.srcV[0]) - v); d > 1 {
				t.Errorf("V = %d, want %.1f", e.srcV[0], v)
			}
			if tc.r == tc.g && tc.g == tc.b && (e.srcU[0] != 128 || e.srcV[0] != 128) {
				t.Errorf("grey chroma = %d,%d, want 128,128", e.srcU[0], e.srcV[0])
			}
		})
	}
}
