package imaging

import (
	"bytes"
	"context"
	"image"
	"math"
	"testing"
)

// refResample is a direct float64 2-D Lanczos3 on premultiplied values with
// the same clamp-and-renormalise edge rule, used as the reference.
func refResample(src *image.NRGBA, dw, dh int) *image.NRGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	weights := func(in, out, i int) (lo int, ws []float64) {
		scale := float64(in) / float64(out)
		fs := math.Max(scale, 1)
		center := (float64(i) + 0.5) * scale
		lo = max(int(math.Floor(center-3*fs+0.5)), 0)
		hi := min(int(math.Floor(center+3*fs+0.5)), in)
		var sum float64
		for j := lo; j < hi; j++ {
			w := lanczos3((float64(j) + 0.5 - center) / fs)
			ws = append(ws, w)
			sum += w
		}
		for k := range ws {
			ws[k] /= sum
		}
		return lo, ws
	}
	out := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		ylo, wy := weights(sh, dh, y)
		for x := 0; x < dw; x++ {
			xlo, wx := weights(sw, dw, x)
			var acc [4]float64
			for ky, vy := range wy {
				for kx, vx := range wx {
					p := src.Pix[(ylo+ky)*src.Stride+4*(xlo+kx):]
					a := float64(p[3])
					w := vy * vx
					acc[0] += w * float64(p[0]) * a / 255
					acc[1] += w * float64(p[1]) * a / 255
					acc[2] += w * float64(p[2]) * a / 255
					acc[3] += w * a
				}
			}
			o := out.Pix[y*out.Stride+4*x:]
			c8 := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
			o[3] = c8(acc[3])
			if o[3] > 0 {
				for c := 0; c < 3; c++ {
					o[c] = c8(acc[c] * 255 / acc[3])
				}
			}
		}
	}
	return out
}

func noise(w, h int, alpha bool, seed uint32) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	s := seed
	for i := range m.Pix {
		s = s*1664525 + 1013904223
		m.Pix[i] = uint8(s >> 24)
		if i%4 == 3 && !alpha {
			m.Pix[i] = 255
		}
	}
	return m
}

func TestResampleMatchesReference(t *testing.T) {
	tests := []struct {
		name           string
		sw, sh, dw, dh int
		alpha          bool
	}{
		{"downscale 2x", 64, 48, 32, 24, false},
		{"downscale non-integer", 97, 61, 40, 25, false},
		{"downscale large factor", 300, 200, 19, 13, false},
		{"alpha downscale", 80, 60, 33, 25, true},
		{"one dimension only", 50, 40, 50, 17, false},
		{"to 1x1", 20, 20, 1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := noise(tt.sw, tt.sh, tt.alpha, 7)
			got, err := resample(context.Background(), rowsOf(src), nil, tt.sw, tt.sh, tt.dw, tt.dh, !tt.alpha)
			if err != nil {
				t.Fatal(err)
			}
			want := refResample(src, tt.dw, tt.dh)
			worst := 0
			for i := range got.Pix {
				// Colour of nearly transparent pixels is ill-conditioned; compare premultiplied.
				d := int(got.Pix[i]) - int(want.Pix[i])
				if i%4 != 3 && want.Pix[i|3] < 16 {
					d = d * int(want.Pix[i|3]) / 255
				}
				worst = max(worst, d, -d)
			}
			if worst > 1 {
				t.Fatalf("max difference from float64 reference = %d, want <= 1", worst)
			}
		})
	}
}

// TestResampleFlat checks that flat colours stay exactly flat, edges included.
func TestResampleFlat(t *testing.T) {
	tests := []struct {
		name string
		c    [4]uint8
	}{
		{"opaque", [4]uint8{10, 200, 99, 255}},
		{"white", [4]uint8{255, 255, 255, 255}},
		{"semi transparent", [4]uint8{10, 200, 99, 77}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := image.NewNRGBA(image.Rect(0, 0, 123, 77))
			for i := range src.Pix {
				src.Pix[i] = tt.c[i%4]
			}
			got, err := resample(context.Background(), rowsOf(src), nil, 123, 77, 31, 19, tt.c[3] == 255)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got.Pix {
				if v != tt.c[i%4] {
					t.Fatalf("pixel byte %d = %d, want %d", i, v, tt.c[i%4])
				}
			}
		})
	}
}

func TestResampleCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := noise(256, 256, false, 1)
	if _, err := resample(ctx, rowsOf(src), nil, 256, 256, 64, 64, true); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestFloatRowsMatch checks the direct YCbCr→float path against the generic
// 8-bit row path for every chroma subsampling ratio.
func TestFloatRowsMatch(t *testing.T) {
	ratios := []struct {
		name string
		r    image.YCbCrSubsampleRatio
	}{
		{"444", image.YCbCrSubsampleRatio444}, {"422", image.YCbCrSubsampleRatio422},
		{"420", image.YCbCrSubsampleRatio420}, {"440", image.YCbCrSubsampleRatio440},
		{"411", image.YCbCrSubsampleRatio411}, {"410", image.YCbCrSubsampleRatio410},
	}
	for _, tt := range ratios {
		t.Run(tt.name, func(t *testing.T) {
			m := image.NewYCbCr(image.Rect(0, 0, 67, 45), tt.r)
			for i := range m.Y {
				m.Y[i] = uint8(i * 31)
			}
			for i := range m.Cb {
				m.Cb[i], m.Cr[i] = uint8(i*17), uint8(255-i*7)
			}
			a, err := resample(context.Background(), rowsOf(m), packedRowsOf(m), 67, 45, 30, 20, true)
			if err != nil {
				t.Fatal(err)
			}
			b, err := resample(context.Background(), rowsOf(m), nil, 67, 45, 30, 20, true)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Pix, b.Pix) {
				t.Fatal("float path differs from 8-bit path")
			}
		})
	}
}

// TestResampleOrientedMatches checks that folding the orientation into the
// row store gives exactly orient(resample(...)), for every EXIF value, both
// channel paths.
func TestResampleOrientedMatches(t *testing.T) {
	for _, alpha := range []bool{false, true} {
		src := noise(53, 37, alpha, 5)
		want, err := resample(context.Background(), rowsOf(src), nil, 53, 37, 21, 15, !alpha)
		if err != nil {
			t.Fatal(err)
		}
		for o := 1; o <= 8; o++ {
			got, err := resampleOriented(context.Background(), rowsOf(src), nil, 53, 37, 21, 15, !alpha, o)
			if err != nil {
				t.Fatal(err)
			}
			w := orient(want, o)
			if got.Rect != w.Rect || !bytes.Equal(got.Pix, w.Pix) {
				t.Fatalf("alpha=%v orientation %d: folded result differs from orient()", alpha, o)
			}
		}
	}
}

// TestHorizontalPackedUnrolled checks the unrolled tap counts of
// horizontalPacked against the generic loop, bit for bit.
func TestHorizontalPackedUnrolled(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range [][2]int{{4000, 3000}, {2500, 1000}, {4032, 2048}, {3000, 1100}, {6000, 2048}, {4032, 1024}, {997, 256}, {60, 31}, {9, 4}} {
		sw, dw := c[0], c[1]
		kx := newKernel(sw, dw)
		fx := newFixedKernel(&kx, sw)
		seen[fx.n] = true
		px := make([]uint64, sw)
		for i := range px {
			px[i] = packRGB(uint8(i*31+7), uint8(i*i*7), uint8(255-i*13))
		}
		got, want := make([]float32, 3*dw), make([]float32, 3*dw)
		horizontalPacked(got, px, &fx)
		horizontalPackedN(want[:dw], want[dw:2*dw], want[2*dw:], px, &fx)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%d→%d (n=%d): out[%d] = %v, want %v", sw, dw, fx.n, i, got[i], want[i])
			}
		}
	}
	for _, n := range []int{8, 12, 16, 20, 24} {
		if !seen[n] {
			t.Errorf("tap count %d not exercised", n)
		}
	}
}
