package imaging

import (
	"context"
	"testing"
)

// BenchmarkHorizontal times one horizontal pass over a row: 4032 px to 2048
// (12 taps), 6000 to 2048 (20) and 3000 to 2000 (generic loop).
func BenchmarkHorizontal(b *testing.B) {
	for _, c := range [][2]int{{4032, 2048}, {6000, 2048}, {3000, 2000}} {
		sw, dw := c[0], c[1]
		b.Run(itoaTest(sw)+"to"+itoaTest(dw), func(b *testing.B) {
			kx := newKernel(sw, dw)
			fx := newFixedKernel(&kx, sw)
			px := make([]uint64, sw)
			for i := range px {
				px[i] = packRGB(uint8(i), uint8(i*7), uint8(i*13))
			}
			out := make([]float32, 3*dw)
			for b.Loop() {
				horizontalPacked(out, px, &fx)
			}
		})
	}
}

// BenchmarkOrient6 times the separate orientation copy of a 2048×1536 result.
func BenchmarkOrient6(b *testing.B) {
	m := noise(2048, 1536, false, 3)
	for b.Loop() {
		orient(m, 6)
	}
}

// BenchmarkResizeOrient6 times a 4000×3000 → 2048×1536 resize with
// orientation 6, folded (resampleOriented) and as a separate copy.
func BenchmarkResizeOrient6(b *testing.B) {
	src := noise(4000, 3000, false, 9)
	b.Run("folded", func(b *testing.B) {
		for b.Loop() {
			if _, err := resampleOriented(context.Background(), rowsOf(src), nil, 4000, 3000, 2048, 1536, true, 6); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("separate", func(b *testing.B) {
		for b.Loop() {
			m, err := resample(context.Background(), rowsOf(src), nil, 4000, 3000, 2048, 1536, true)
			if err != nil {
				b.Fatal(err)
			}
			orient(m, 6)
		}
	})
}
