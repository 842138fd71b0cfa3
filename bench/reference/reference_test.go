package reference

import (
	"math"
	"testing"
)

func TestLanczosResize(t *testing.T) {
	flat := &Image{W: 40, H: 30, Pix: make([]float32, 40*30*3)}
	for i := range flat.Pix {
		flat.Pix[i] = 77
	}
	m := Resize(flat, 13, 9)
	for i, v := range m.Pix {
		if i%4 != 3 && v != 77 {
			t.Fatalf("flat image: sample %d = %d, want 77 (weights must sum to 1)", i, v)
		}
	}
	for _, n := range []struct{ in, out int }{{6000, 256}, {4032, 2048}, {500, 500}} {
		ws := newWeights(n.in, n.out)
		for i, w := range ws.w {
			var s float64
			for _, v := range w {
				s += v
			}
			if math.Abs(s-1) > 1e-12 || ws.first[i] < 0 || ws.first[i]+len(w) > n.in {
				t.Fatalf("%d->%d: output %d: sum %v, taps %d..%d", n.in, n.out, i, s, ws.first[i], ws.first[i]+len(w))
			}
		}
	}
}

func TestOrientRGB(t *testing.T) {
	// A 3x2 image whose samples are their stored index.
	m := &Image{W: 3, H: 2, Pix: make([]float32, 18)}
	for i := range 6 {
		m.Pix[3*i] = float32(i)
	}
	tests := []struct {
		o    int
		w, h int
		want []float32 // displayed, row-major, first channel
	}{
		{1, 3, 2, []float32{0, 1, 2, 3, 4, 5}},
		{2, 3, 2, []float32{2, 1, 0, 5, 4, 3}},
		{3, 3, 2, []float32{5, 4, 3, 2, 1, 0}},
		{4, 3, 2, []float32{3, 4, 5, 0, 1, 2}},
		{5, 2, 3, []float32{0, 3, 1, 4, 2, 5}},
		{6, 2, 3, []float32{3, 0, 4, 1, 5, 2}},
		{7, 2, 3, []float32{5, 2, 4, 1, 3, 0}},
		{8, 2, 3, []float32{2, 5, 1, 4, 0, 3}},
	}
	for _, tt := range tests {
		got := orientRGB(m, tt.o)
		if got.W != tt.w || got.H != tt.h {
			t.Fatalf("orientation %d: %dx%d, want %dx%d", tt.o, got.W, got.H, tt.w, tt.h)
		}
		for i, v := range tt.want {
			if got.Pix[3*i] != v {
				t.Fatalf("orientation %d: pixel %d = %v, want %v", tt.o, i, got.Pix[3*i], v)
			}
		}
	}
}
