package metric

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func gradient(w, h int, f func(x, y int) uint8) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := f(x, y)
			m.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return m
}

func TestSSIM(t *testing.T) {
	base := gradient(64, 48, func(x, y int) uint8 { return uint8((x*7 + y*3) % 256) })
	tests := []struct {
		name   string
		other  image.Image
		lo, hi float64
	}{
		{"identical", base, 1, 1},
		{"noise lowers it", gradient(64, 48, func(x, y int) uint8 {
			v := int((x*7+y*3)%256) + (x*31+y*17)%21 - 10
			return uint8(min(max(v, 0), 255))
		}), 0.3, 0.99},
		{"inverted is far", gradient(64, 48, func(x, y int) uint8 { return 255 - uint8((x*7+y*3)%256) }), -1, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SSIM(base, tt.other)
			if got < tt.lo-1e-12 || got > tt.hi+1e-12 {
				t.Fatalf("ssim = %v, want in [%v, %v]", got, tt.lo, tt.hi)
			}
		})
	}
	if got := SSIM(base, gradient(63, 48, func(x, y int) uint8 { return 0 })); !math.IsNaN(got) {
		t.Fatalf("different sizes: ssim = %v, want NaN", got)
	}
}

// TestSSIMConstantShift checks the formula on flat images, where only the
// luminance term is left: (2·a·b + C1) / (a² + b² + C1).
func TestSSIMConstantShift(t *testing.T) {
	a := gradient(20, 20, func(int, int) uint8 { return 100 })
	b := gradient(20, 20, func(int, int) uint8 { return 110 })
	c1 := math.Pow(0.01*255, 2)
	want := (2*100*110 + c1) / (100*100 + 110*110 + c1)
	if got := SSIM(a, b); math.Abs(got-want) > 1e-9 {
		t.Fatalf("ssim = %v, want %v", got, want)
	}
}

// TestLumaYCbCrAsDisplayed checks that a Y′CbCr image's luma is that of
// its clamped R′G′B′, not its Y′ plane: Y′ 128 with Cr 255 is a red
// outside the gamut whose displayed luma is not 128.
func TestLumaYCbCrAsDisplayed(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = 128
	}
	m.Cb[0], m.Cr[0] = 128, 255
	r, g, b := color.YCbCrToRGB(128, 128, 255)
	want := 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
	_, _, y := Luma(m)
	for i, v := range y {
		if math.Abs(v-want) > 1e-9 {
			t.Fatalf("luma[%d] = %v, want %v (the clamped R′G′B′'s, not Y′ 128)", i, v, want)
		}
	}
	if math.Abs(want-128) < 1 {
		t.Fatalf("test colour is not out of gamut: luma %v", want)
	}
}
