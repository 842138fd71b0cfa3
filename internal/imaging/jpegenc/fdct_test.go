package jpegenc

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestFDCTFloat compares the integer AAN transform, unscaled, with the T.81
// A.3.3 definition evaluated in float64.
func TestFDCTFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var worst float64
	for n := 0; n < 2000; n++ {
		src := make([]int16, 64)
		for i := range src {
			switch n % 3 {
			case 0:
				src[i] = int16(r.IntN(256) - 128)
			case 1: // extremes: the range check
				src[i] = int16(-128 + 255*r.IntN(2))
			default: // smooth
				src[i] = int16(min(127, (i&7)*16+(i>>3)*14-128+r.IntN(4)))
			}
		}
		var ws [64]int32
		fdct(src, 8, &ws)
		for v := 0; v < 8; v++ {
			for u := 0; u < 8; u++ {
				var sum float64
				for y := 0; y < 8; y++ {
					for x := 0; x < 8; x++ {
						sum += float64(src[y*8+x]) *
							math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) *
							math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
					}
				}
				cu, cv := 1.0, 1.0
				if u == 0 {
					cu = 1 / math.Sqrt2
				}
				if v == 0 {
					cv = 1 / math.Sqrt2
				}
				want := cu * cv * sum / 4
				got := float64(ws[v*8+u]) / (8 * aanScale[u] * aanScale[v] * (1 << fdctFracBits))
				worst = max(worst, math.Abs(got-want))
			}
		}
	}
	// A quantiser step is ≥ 1, so this is < 1/4 step at quality 100.
	if worst > 0.25 {
		t.Errorf("max |fdct - float| = %.4f, want <= 0.25", worst)
	}
	t.Logf("max |fdct - float| = %.4f", worst)
}

// TestAAN1D: the written-out passes in fdct equal aan1D applied to
// columns then rows.
func TestAAN1D(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 200; n++ {
		src := make([]int16, 64)
		for i := range src {
			src[i] = int16(r.IntN(256) - 128)
		}
		var ws, ref [64]int32
		fdct(src, 8, &ws)
		var col [8]int32
		for x := 0; x < 8; x++ {
			d := func(i int) int32 { return int32(src[i*8+x]) << fdctFracBits }
			aan1D(col[:], d(0)+d(7), d(1)+d(6), d(2)+d(5), d(3)+d(4), d(3)-d(4), d(2)-d(5), d(1)-d(6), d(0)-d(7))
			for y := range col {
				ref[y*8+x] = col[y]
			}
		}
		for y := 0; y < 8; y++ {
			d := func(i int) int32 { return ref[y*8+i] }
			aan1D(ref[y*8:y*8+8], d(0)+d(7), d(1)+d(6), d(2)+d(5), d(3)+d(4), d(3)-d(4), d(2)-d(5), d(1)-d(6), d(0)-d(7))
		}
		if ws != ref {
			t.Fatalf("fdct differs from aan1D reference")
		}
	}
}

// fdctBlocks returns level-shifted sample blocks (values in [-128, 127],
// as the encoder produces): random, smooth, flat at both extremes, and for
// every frequency (u, v) the sign pattern of its basis function at ±128,
// which drives that output and the intermediates feeding it to their
// largest magnitudes.
func fdctBlocks() [][64]int16 {
	r := rand.New(rand.NewPCG(7, 8))
	var blocks [][64]int16
	for n := 0; n < 1500; n++ {
		var b [64]int16
		for i := range b {
			switch n % 4 {
			case 0:
				b[i] = int16(r.IntN(256) - 128)
			case 1:
				b[i] = int16(-128 + 255*r.IntN(2))
			case 2:
				b[i] = int16(min(127, (i&7)*16+(i>>3)*14-128+r.IntN(4)))
			default: // near-flat: mostly zero coefficients after quantisation
				b[i] = int16(r.IntN(3) - 1 + n%200 - 100)
			}
		}
		blocks = append(blocks, b)
	}
	for _, v := range []int16{-128, 127, 0} {
		var b [64]int16
		for i := range b {
			b[i] = v
		}
		blocks = append(blocks, b)
	}
	for v := 0; v < 8; v++ {
		for u := 0; u < 8; u++ {
			for _, hi := range []int16{127, -128} {
				var b [64]int16
				for y := 0; y < 8; y++ {
					for x := 0; x < 8; x++ {
						c := math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
						b[y*8+x] = hi
						if c < 0 {
							b[y*8+x] = -1 - hi
						}
					}
				}
				blocks = append(blocks, b)
			}
		}
	}
	return blocks
}

// fdct64 is fdct in int64: equal to fdct exactly when nothing in fdct's
// int32 arithmetic wraps.
func fdct64(src []int16, ws *[64]int64) {
	mul := func(x, c int64) int64 { return (x*c + 1<<(aanConstBits-1)) >> aanConstBits }
	pass := func(d [8]int64) (o [8]int64) {
		t0, t7 := d[0]+d[7], d[0]-d[7]
		t1, t6 := d[1]+d[6], d[1]-d[6]
		t2, t5 := d[2]+d[5], d[2]-d[5]
		t3, t4 := d[3]+d[4], d[3]-d[4]
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		o[0], o[4] = t10+t11, t10-t11
		z1 := mul(t12+t13, aanC0707)
		o[2], o[6] = t13+z1, t13-z1
		a, b, c := t4+t5, t5+t6, t6+t7
		z5 := mul(a-c, aanC0382)
		z2 := mul(a, aanC0541) + z5
		z4 := mul(c, aanC1306) + z5
		z3 := mul(b, aanC0707)
		z11, z13 := t7+z3, t7-z3
		o[5], o[3], o[1], o[7] = z13+z2, z13-z2, z11+z4, z11-z4
		return o
	}
	for x := 0; x < 8; x++ {
		var d [8]int64
		for y := range d {
			d[y] = int64(src[y*8+x]) << fdctFracBits
		}
		o := pass(d)
		for y := range o {
			ws[y*8+x] = o[y]
		}
	}
	for y := 0; y < 8; y++ {
		o := pass([8]int64(ws[y*8 : y*8+8]))
		copy(ws[y*8:], o[:])
	}
}

// TestFDCTRange: fdct's int32 arithmetic never wraps (it equals the same
// transform in int64) on the adversarial blocks, and the outputs stay
// below 2^19 as fdct.go states.
func TestFDCTRange(t *testing.T) {
	var peak int64
	for i, b := range fdctBlocks() {
		var ws [64]int32
		var ref [64]int64
		fdct(b[:], 8, &ws)
		fdct64(b[:], &ref)
		for n := range ws {
			if int64(ws[n]) != ref[n] {
				t.Fatalf("block %d: coefficient %d = %d, int64 %d", i, n, ws[n], ref[n])
			}
			peak = max(peak, ref[n], -ref[n])
		}
	}
	if peak >= 1<<19 {
		t.Errorf("peak |coefficient| %d >= 2^19", peak)
	}
	t.Logf("peak |coefficient| = %d (2^%.2f)", peak, math.Log2(float64(peak)))
}

// TestFDCTQuantSIMD: the assembly fdctQuant equals fdctQuantGeneric (every
// coefficient and the mask) on every block of fdctBlocks, with the
// quantisers of qualities 1 to 100, read at a stride other than 8.
func TestFDCTQuantSIMD(t *testing.T) {
	if fdctQuantSIMD == nil {
		t.Skip("no assembly fdctQuant in this build or on this CPU")
	}
	const stride = 13
	blocks := fdctBlocks()
	for _, q := range []int{1, 10, 50, 75, 80, 90, 95, 98, 100} {
		for tab := range baseQuant {
			t.Run(fmt.Sprintf("q%d/table%d", q, tab), func(t *testing.T) {
				qt := scaleQuant(&baseQuant[tab], q)
				recip := quantRecip(&qt)
				for i, b := range blocks {
					src := make([]int16, 7*stride+8+5)
					for y := 0; y < 8; y++ {
						copy(src[5+y*stride:], b[y*8:y*8+8])
					}
					var want, got [64]int16
					wm := fdctQuantGeneric(src[5:], stride, &recip, &want)
					gm := fdctQuantSIMD(src[5:], stride, &recip, &got)
					if got != want || gm != wm {
						t.Fatalf("block %d %v:\nsimd    %v %#x\ngeneric %v %#x", i, b, got, gm, want, wm)
					}
				}
			})
		}
	}
}

// TestEncodeFallbackEqualsSIMD: whole encodes with the assembly fdctQuant
// and with the pure-Go fallback forced give the same bytes (the fallback
// is what a purego build or a CPU without AVX2 runs).
func TestEncodeFallbackEqualsSIMD(t *testing.T) {
	if fdctQuantSIMD == nil {
		t.Skip("no assembly fdctQuant in this build or on this CPU")
	}
	m := photoLike(301, 203, 3)
	encode := func(f fdctQuantFunc, q int) []byte {
		t.Helper()
		saved := fdctQuant
		defer func() { fdctQuant = saved }()
		fdctQuant = f
		var buf bytes.Buffer
		if err := Encode(&buf, m, &Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, q := range []int{30, 80, 100} {
		if !bytes.Equal(encode(fdctQuantSIMD, q), encode(fdctQuantGeneric, q)) {
			t.Errorf("q%d: SIMD and fallback encodes differ", q)
		}
	}
}

// BenchmarkFDCTQuant times fdctQuant (the dispatch: assembly where there
// is one) and fdctQuantGeneric on one photo-like block at quality 80.
func BenchmarkFDCTQuant(b *testing.B) {
	blocks := fdctBlocks()
	src := blocks[2][:] // smooth
	qt := scaleQuant(&baseQuant[0], 80)
	recip := quantRecip(&qt)
	var dst [64]int16
	b.Run("dispatch", func(b *testing.B) {
		for b.Loop() {
			fdctQuant(src, 8, &recip, &dst)
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			fdctQuantGeneric(src, 8, &recip, &dst)
		}
	})
}
