package imaging

import (
	"bytes"
	"context"
	"image"
	"math"
	"testing"

	"github.com/imgflow/imgflow/bench/metric"
)

func TestBoxFactor(t *testing.T) {
	tests := []struct{ in, out, want int }{
		{6000, 256, 1},  // a 24 MP photo to a thumbnail: Lanczos3 alone
		{8191, 256, 1},  // just below boxMinScale
		{8192, 256, 10}, // at it: 8192/(3·256) = 10.7
		{25_000_000, 2048, 4069},
		{100, 0, 1},
	}
	for _, tt := range tests {
		if got := boxFactor(tt.in, tt.out); got != tt.want {
			t.Errorf("boxFactor(%d, %d) = %d, want %d", tt.in, tt.out, got, tt.want)
		}
		if f := boxFactor(tt.in, tt.out); f > 1 {
			if r := float64(tt.in) / float64(f*tt.out); r < boxGap || r >= 2*boxGap {
				t.Errorf("boxFactor(%d, %d): Lanczos3 is left %.2f, want [%d, %d)", tt.in, tt.out, r, boxGap, 2*boxGap)
			}
		}
	}
}

// TestBoxShrink checks the averages, the partial edge boxes and alpha
// weighting against a direct computation.
func TestBoxShrink(t *testing.T) {
	src := noise(23, 11, true, 3)
	for i := 0; i < 23*4; i += 4 { // a fully transparent row lends no colour
		src.Pix[4*23*5+i+3] = 0
	}
	got, err := boxShrink(context.Background(), rowsOf(src), 23, 11, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rect != image.Rect(0, 0, 5, 4) {
		t.Fatalf("bounds %v, want 5x4", got.Rect)
	}
	for oy := 0; oy < 4; oy++ {
		for ox := 0; ox < 5; ox++ {
			var c [3]float64
			var a, n float64
			for y := oy * 3; y < min(oy*3+3, 11); y++ {
				for x := ox * 5; x < min(ox*5+5, 23); x++ {
					p := src.Pix[y*src.Stride+4*x:]
					for k := range c {
						c[k] += float64(p[k]) * float64(p[3])
					}
					a += float64(p[3])
					n++
				}
			}
			g := got.Pix[oy*got.Stride+4*ox:]
			if want := math.Round(a / n); float64(g[3]) != want {
				t.Fatalf("(%d,%d) alpha %d, want %v", ox, oy, g[3], want)
			}
			for k := range c {
				if want := math.Round(c[k] / a); a > 0 && float64(g[k]) != want {
					t.Fatalf("(%d,%d) channel %d = %d, want %v", ox, oy, k, g[k], want)
				}
			}
		}
	}
}

// TestResampleFlatBoxed checks that flat colours stay exactly flat through
// the box pre-shrink too.
func TestResampleFlatBoxed(t *testing.T) {
	for _, c := range [][4]uint8{{10, 200, 99, 255}, {10, 200, 99, 77}} {
		src := image.NewNRGBA(image.Rect(0, 0, 1333, 70))
		for i := range src.Pix {
			src.Pix[i] = c[i%4]
		}
		got, err := resample(context.Background(), rowsOf(src), nil, 1333, 70, 40, 2, c[3] == 255) // 33× and 35×
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got.Pix {
			if v != c[i%4] {
				t.Fatalf("%v: pixel byte %d = %d, want %d", c, i, v, c[i%4])
			}
		}
	}
}

// smoothTestImage is an opaque image with detail at every scale: a sum of
// sinusoids of a few periods, from about 2% to about 50% of the width.
func smoothTestImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := 128 + 50*math.Sin(2*math.Pi*3*fx) + 40*math.Cos(2*math.Pi*5*fy) + 30*math.Sin(2*math.Pi*(17*fx+11*fy))
			p := m.Pix[y*m.Stride+4*x:]
			p[0], p[1], p[2], p[3] = uint8(v), uint8(255-v), uint8(v/2+60), 255
		}
	}
	return m
}

// TestBoxKeepsQuality compares the box + Lanczos3 path with Lanczos3 alone
// (the float64 reference) at a 40× shrink: the SSIM must stay above 0.99.
func TestBoxKeepsQuality(t *testing.T) {
	src := smoothTestImage(2000, 1440)
	got, err := resample(context.Background(), rowsOf(src), nil, 2000, 1440, 50, 36, true)
	if err != nil {
		t.Fatal(err)
	}
	want := refResample(src, 50, 36)
	s := metric.SSIM(got, want)
	t.Logf("SSIM(box + Lanczos3, Lanczos3) = %.4f", s)
	if s < 0.99 {
		t.Errorf("SSIM against Lanczos3 alone = %.4f, want >= 0.99", s)
	}
}

// TestLongRowTablesBounded resizes a 2,000,000×1 image: without the box
// pre-shrink the weight tables alone took 140 MB (6 taps a source pixel,
// float32 and uint64 copies).
func TestLongRowTablesBounded(t *testing.T) {
	const w = 2_000_000
	src := &image.Gray{Pix: bytes.Repeat([]byte{77}, w), Stride: w, Rect: image.Rect(0, 0, w, 1)}
	var got *image.NRGBA
	var err error
	alloc := countAlloc(func() {
		got, err = resample(context.Background(), rowsOf(src), nil, w, 1, 2048, 1, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Pix {
		if want := [4]uint8{77, 77, 77, 255}[i%4]; v != want {
			t.Fatalf("byte %d = %d, want %d", i, v, want)
		}
	}
	// One 4-byte source row for the box pass (one output row: one worker);
	// the rest is small.
	if limit := uint64(4*w) + 4<<20; alloc > limit {
		t.Errorf("allocated %d MB, want <= %d MB", alloc>>20, limit>>20)
	}
}
