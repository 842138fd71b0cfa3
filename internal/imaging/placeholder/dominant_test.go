package placeholder

import (
	"image"
	"image/color"
	"testing"
)

func TestDominantColor(t *testing.T) {
	red := color.NRGBA{220, 20, 30, 255}
	blue := color.NRGBA{20, 40, 200, 255}
	split := func(frac float64, a, b color.NRGBA) *image.NRGBA {
		m := fill(100, 100, b)
		for y := 0; y < int(frac*100); y++ {
			for x := 0; x < 100; x++ {
				m.SetNRGBA(x, y, a)
			}
		}
		return m
	}
	// Near-transparent green covers 70% but must be ignored.
	ghost := split(0.7, color.NRGBA{0, 255, 0, 10}, blue)
	// Many slightly different reds (a gradient) versus one flat blue block of similar size.
	grad := fill(100, 100, blue)
	for y := 0; y < 60; y++ {
		for x := 0; x < 100; x++ {
			grad.SetNRGBA(x, y, color.NRGBA{uint8(180 + x/3), 20, 30, 255})
		}
	}
	tests := []struct {
		name string
		img  image.Image
		want color.NRGBA
		tol  int
	}{
		{"majority wins over mean", split(0.6, red, blue), red, 0},
		{"minority loses", split(0.3, red, blue), blue, 0},
		{"near transparent ignored", ghost, blue, 0},
		{"gradient stays together", grad, color.NRGBA{196, 20, 30, 255}, 12},
		{"fully transparent", fill(10, 10, color.NRGBA{255, 0, 0, 0}), color.NRGBA{}, 0},
		{"empty", image.NewNRGBA(image.Rect(0, 0, 0, 0)), color.NRGBA{}, 0},
		{"large image sampled", fill(3000, 2000, red), red, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DominantColor(tt.img); !near(got, tt.want, tt.tol) {
				t.Fatalf("DominantColor = %v, want %v", got, tt.want)
			}
		})
	}
}
