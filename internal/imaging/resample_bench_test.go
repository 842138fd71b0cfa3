package imaging

import "testing"

// BenchmarkHorizontal times one horizontal pass over a 4032-px row to 2048.
func BenchmarkHorizontal(b *testing.B) {
	const sw, dw = 4032, 2048
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
}
