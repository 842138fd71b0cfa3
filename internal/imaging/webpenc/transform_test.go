package webpenc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFDCTAgainstFloat compares fdct4 with the orthonormal float DCT-II
// scaled by 8/... (DC = 8 × mean residual, i.e. 2× orthonormal): every
// coefficient within 1.5 of the float value.
func TestFDCTAgainstFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	tests := []struct {
		name string
		amp  int
	}{{"small", 8}, {"medium", 64}, {"full", 255}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for iter := 0; iter < 2000; iter++ {
				var src [4 * bps]uint8
				var pred [16]uint8
				var res [16]float64
				for i := 0; i < 16; i++ {
					p := r.IntN(256)
					s := min(255, max(0, p+r.IntN(2*tc.amp+1)-tc.amp))
					src[(i/4)*bps+i%4], pred[i] = uint8(s), uint8(p)
					res[i] = float64(s - p)
				}
				var got [16]int16
				fdct4(src[:], 0, pred[:], 0, 4, &got)
				for u := 0; u < 4; u++ {
					for v := 0; v < 4; v++ {
						var sum float64
						for y := 0; y < 4; y++ {
							for x := 0; x < 4; x++ {
								sum += res[y*4+x] * math.Cos(float64(2*x+1)*float64(v)*math.Pi/8) * math.Cos(float64(2*y+1)*float64(u)*math.Pi/8)
							}
						}
						cu, cv := math.Sqrt(0.5), math.Sqrt(0.5)
						if u == 0 {
							cu = 0.5
						}
						if v == 0 {
							cv = 0.5
						}
						want := 2 * cu * cv * sum
						if d := math.Abs(float64(got[u*4+v]) - want); d > 1.5 {
							t.Fatalf("coef (%d,%d) = %d, float %.2f", u, v, got[u*4+v], want)
						}
					}
				}
			}
		})
	}
}

// TestDCTRoundTrip checks that the inverse of the forward transform (no
// quantisation) reproduces the residual within ±1.
func TestDCTRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for iter := 0; iter < 5000; iter++ {
		var src [4 * bps]uint8
		var pred, out [16]uint8
		for i := 0; i < 16; i++ {
			src[(i/4)*bps+i%4], pred[i] = uint8(r.IntN(256)), uint8(r.IntN(256))
		}
		var c [16]int16
		fdct4(src[:], 0, pred[:], 0, 4, &c)
		idct4Add(&c, pred[:], 0, 4, out[:], 0, 4)
		for i := range out {
			if d := int(out[i]) - int(src[(i/4)*bps+i%4]); d < -1 || d > 1 {
				t.Fatalf("pixel %d: %d, source %d", i, out[i], src[(i/4)*bps+i%4])
			}
		}
	}
}

// TestWHTRoundTrip checks iwht(fwht(x)) == x within ±1 and the DC scale.
func TestWHTRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	tests := []struct {
		name string
		amp  int
	}{{"small", 20}, {"large", 2040}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for iter := 0; iter < 5000; iter++ {
				var in, mid, out [16]int16
				for i := range in {
					in[i] = int16(r.IntN(2*tc.amp+1) - tc.amp)
				}
				fwht(&in, &mid)
				iwht(&mid, &out)
				for i := range in {
					if d := int(out[i]) - int(in[i]); d < -1 || d > 1 {
						t.Fatalf("dc %d: %d, want %d", i, out[i], in[i])
					}
				}
			}
		})
	}
}

// TestBoolEncoderProbabilityCost checks that the coded size of random bits
// matches their entropy under the coding probability (within 1 %), and
// that putBit's carry handling round-trips through the x/image decoder in
// the end-to-end tests.
func TestBoolEncoderProbabilityCost(t *testing.T) {
	tests := []struct {
		name string
		prob uint8
		p1   float64 // frequency of ones
	}{{"p128", 128, 0.5}, {"skewed", 240, 0.06}, {"mismatched", 20, 0.5}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 5))
			e := newBoolEncoder(1 << 16)
			const n = 200000
			var ideal float64
			p0 := float64(tc.prob) / 256
			for i := 0; i < n; i++ {
				b := r.Float64() < tc.p1
				e.putBit(b, tc.prob)
				if b {
					ideal -= math.Log2(1 - p0)
				} else {
					ideal -= math.Log2(p0)
				}
			}
			got := float64(len(e.finish()) * 8)
			if got > ideal*1.01+64 || got < ideal*0.99-64 {
				t.Errorf("coded %.0f bits, entropy %.0f", got, ideal)
			}
		})
	}
}

// TestLog2Q8 checks the integer log table against math.Log2.
func TestLog2Q8(t *testing.T) {
	for x := uint32(1); x <= 256; x++ {
		want := math.Log2(float64(x)/256) * 256
		if d := math.Abs(float64(log2Q8(x)) - want); d > 1 {
			t.Errorf("log2Q8(%d) = %d, want %.2f", x, log2Q8(x), want)
		}
	}
}
