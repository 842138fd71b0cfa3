package webpenc

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The kernels (fdct4, quantize, ...) are assembly where kernels_*.go has
// it; these tests compare them with their Go versions bit for bit on
// random and extreme inputs. In a purego build they compare the Go code
// with itself.

// pixelBlocks returns 4×4 source/prediction pairs: random, smooth, and the
// extremes (all 0 against all 255 and back, checkerboards of 0 and 255).
func pixelBlocks(r *rand.Rand, n int) [][2][16]uint8 {
	var out [][2][16]uint8
	for _, f := range []func(i int) (uint8, uint8){
		func(i int) (uint8, uint8) { return 255, 0 },
		func(i int) (uint8, uint8) { return 0, 255 },
		func(i int) (uint8, uint8) { return 255, 255 },
		func(i int) (uint8, uint8) { return 0, 0 },
		func(i int) (uint8, uint8) { return uint8(255 * ((i + i/4) & 1)), uint8(255 * ((i + i/4 + 1) & 1)) },
		func(i int) (uint8, uint8) { return uint8(255 * (i & 1)), 0 },
		func(i int) (uint8, uint8) { return uint8(255 * (i / 4 & 1)), 255 },
		func(i int) (uint8, uint8) { return uint8(255 * (i / 8)), uint8(255 * (i % 4 / 2)) },
	} {
		var b [2][16]uint8
		for i := range 16 {
			b[0][i], b[1][i] = f(i)
		}
		out = append(out, b)
	}
	for k := 0; k < n; k++ {
		var b [2][16]uint8
		amp := []int{4, 32, 256}[k%3]
		for i := range 16 {
			p := r.IntN(256)
			b[0][i] = uint8(min(255, max(0, p+r.IntN(2*amp+1)-amp)))
			b[1][i] = uint8(p)
			if k%5 == 0 { // extremes mixed in
				b[0][i] = uint8(255 * r.IntN(2))
				b[1][i] = uint8(255 * r.IntN(2))
			}
		}
		out = append(out, b)
	}
	return out
}

func TestFDCT4Kernel(t *testing.T) {
	t.Logf("assembly: %q", simdKernels)
	r := rand.New(rand.NewPCG(11, 4))
	blocks := pixelBlocks(r, 20000)
	for _, ps := range []int{4, 8, 16} {
		t.Run(fmt.Sprintf("ps=%d", ps), func(t *testing.T) {
			src := make([]uint8, 3+4*bps)
			pred := make([]uint8, 5+4*ps)
			for i, b := range blocks {
				for j := range 16 {
					src[3+(j/4)*bps+j%4] = b[0][j]
					pred[5+(j/4)*ps+j%4] = b[1][j]
				}
				var got, want [16]int16
				fdct4(src, 3, pred, 5, ps, &got)
				fdct4Generic(src, 3, pred, 5, ps, &want)
				if got != want {
					t.Fatalf("block %d %v:\nkernel %v\nGo     %v", i, b, got, want)
				}
			}
		})
	}
}

// coefBlocks returns coefficient blocks: random over all of int16, random
// within ±2048·q (the level limit), at exactly ±2047·q and ±2048·q, small,
// and zero.
func coefBlocks(r *rand.Rand, q int32, n int) [][16]int16 {
	clamp := func(v int32) int16 { return int16(min(32767, max(-32768, v))) }
	out := [][16]int16{{}}
	for _, v := range []int32{2047 * q, 2048 * q, -2047 * q, -2048 * q, 32767, -32768, 1, -1} {
		var b [16]int16
		for i := range b {
			b[i] = clamp(v)
		}
		out = append(out, b)
	}
	for k := 0; k < n; k++ {
		var b [16]int16
		for i := range b {
			switch k % 4 {
			case 0:
				b[i] = int16(r.Uint32())
			case 1:
				b[i] = clamp(int32(r.IntN(int(4096*q+1))) - 2048*q)
			case 2:
				b[i] = int16(r.IntN(4*int(q)+1) - 2*int(q))
			default:
				if r.IntN(3) == 0 {
					b[i] = int16(r.IntN(2049) - 1024)
				}
			}
		}
		out = append(out, b)
	}
	return out
}

func TestQuantizeKernel(t *testing.T) {
	t.Logf("assembly: %q", simdKernels)
	r := rand.New(rand.NewPCG(7, 9))
	for _, dq := range []int{minDQUV, 0, maxDQUV} {
		for qi := 0; qi < 128; qi++ {
			sq := newSegmentQuant(qi, dq)
			for kind, m := range []*matrix{&sq.y1, &sq.y2, &sq.uv} {
				for _, c := range coefBlocks(r, m.q[1], 60) {
					for first := 0; first < 2; first++ {
						gotIn, wantIn := c, c
						var gotOut, wantOut [16]int16
						gotOut[0], wantOut[0] = 99, 99
						gl := m.quantize(&gotIn, &gotOut, first)
						wl := m.quantizeGeneric(&wantIn, &wantOut, first)
						if gl != wl || gotIn != wantIn || gotOut != wantOut {
							t.Fatalf("q%d dq%d kind %d first %d in %v:\nkernel last %d %v %v\nGo     last %d %v %v",
								qi, dq, kind, first, c, gl, gotOut, gotIn, wl, wantOut, wantIn)
						}
					}
				}
			}
		}
	}
}

// idctBlocks returns coefficient blocks for idct4Add: those of
// coefBlocks, and every sign pattern at ±idctLimit (the assembly's bound,
// where its 16-bit intermediates are closest to overflowing) and one
// above it.
func idctBlocks(r *rand.Rand) [][16]int16 {
	const idctLimit = 2212
	out := coefBlocks(r, 157, 3000)
	for _, mag := range []int16{idctLimit, idctLimit + 1} {
		for signs := 0; signs < 1<<16; signs++ {
			var b [16]int16
			for i := range b {
				b[i] = mag
				if signs>>i&1 != 0 {
					b[i] = -mag
				}
			}
			out = append(out, b)
		}
	}
	return out
}

func TestIDCT4AddKernel(t *testing.T) {
	t.Logf("assembly: %q", simdKernels)
	r := rand.New(rand.NewPCG(5, 5))
	blocks := idctBlocks(r)
	for _, st := range []struct{ ps, ds int }{{4, 4}, {16, 16}, {8, 8}, {4, bps}} {
		t.Run(fmt.Sprintf("ps=%d,ds=%d", st.ps, st.ds), func(t *testing.T) {
			pred := make([]uint8, 1+4*st.ps)
			got := make([]uint8, 2+4*st.ds)
			want := make([]uint8, 2+4*st.ds)
			for i, c := range blocks {
				for j := range pred {
					switch i % 3 {
					case 0:
						pred[j] = uint8(r.IntN(256))
					case 1:
						pred[j] = uint8(255 * r.IntN(2))
					default:
						pred[j] = 128
					}
				}
				for j := range got {
					got[j] = uint8(j)
					want[j] = uint8(j)
				}
				in := c
				idct4Add(&in, pred, 1, st.ps, got, 2, st.ds)
				if in != c {
					t.Fatalf("block %d: input changed", i)
				}
				idct4AddGeneric(&c, pred, 1, st.ps, want, 2, st.ds)
				if string(got) != string(want) {
					t.Fatalf("block %d %v pred %v:\nkernel %v\nGo     %v", i, c, pred, got, want)
				}
			}
		})
	}
}

func TestSSE4Kernel(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	a := make([]uint8, 4*bps)
	for i, b := range pixelBlocks(r, 5000) {
		for j := range 16 {
			a[(j/4)*bps+j%4] = b[0][j]
		}
		if got, want := sse4(a, &b[1]), sse4Generic(a, &b[1]); got != want {
			t.Fatalf("block %d %v: kernel %d, Go %d", i, b, got, want)
		}
	}
}

func TestSSE4ModesKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2))
	blocks := pixelBlocks(r, 3000)
	a := make([]uint8, 4*bps)
	for i, b := range blocks {
		for j := range 16 {
			a[(j/4)*bps+j%4] = b[0][j]
		}
		var preds [numBModes][16]uint8
		for m := range preds {
			preds[m] = blocks[(i+m*7)%len(blocks)][1]
		}
		var got, want [numBModes]int64
		sse4Modes(a, &preds, &got)
		sse4ModesGeneric(a, &preds, &want)
		if got != want {
			t.Fatalf("block %d: kernel %v, Go %v", i, got, want)
		}
	}
}

func TestHistAddKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	var got, want [maxCoeffThresh + 1]int
	for i, c := range coefBlocks(r, 8, 20000) {
		histAdd(&got, &c)
		histAddGeneric(&want, &c)
		if got != want {
			t.Fatalf("block %d %v: kernel %v, Go %v", i, c, got, want)
		}
	}
}

func TestRecon4Kernel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 8))
	blocks := idctBlocks(r)
	src := make([]uint8, 4*bps)
	for i, c := range blocks {
		var pred, gotRec, wantRec [16]uint8
		for j := range 16 {
			pred[j] = uint8(r.IntN(256))
			src[(j/4)*bps+j%4] = uint8(r.IntN(256))
			if i%3 == 0 {
				pred[j] = uint8(255 * r.IntN(2))
				src[(j/4)*bps+j%4] = uint8(255 * r.IntN(2))
			}
		}
		in := c
		gs, gt := recon4(&in, &pred, src, &gotRec)
		want := c
		idct4AddGeneric(&want, pred[:], 0, 4, wantRec[:], 0, 4)
		ws, wt := sse4Generic(src, &wantRec), texture4Generic(wantRec[:], 0, 4)
		if in != c || gotRec != wantRec || gs != ws || gt != wt {
			t.Fatalf("block %d %v: kernel %v %d %d, Go %v %d %d", i, c, gotRec, gs, gt, wantRec, ws, wt)
		}
	}
}

func TestTexture4Kernel(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 9))
	for _, s := range []int{4, 16, bps} {
		p := make([]uint8, 3+4*s)
		for i, b := range pixelBlocks(r, 5000) {
			for k := range 2 {
				for j := range 16 {
					p[3+(j/4)*s+j%4] = b[k][j]
				}
				if got, want := texture4(p, 3, s), texture4Generic(p, 3, s); got != want {
					t.Fatalf("stride %d block %d %v: kernel %d, Go %d", s, i, b[k], got, want)
				}
			}
		}
	}
}

func TestSSEKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	tests := []struct{ w, h, as, bs int }{
		{16, 16, bps, 16}, {8, 8, bps, 8}, {16, 16, 17, 19}, {8, 8, 8, 8}, {16, 1, 16, 16}, {8, 3, 9, 11}, {4, 4, bps, 4}, {5, 2, 7, 5},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dx%d,as=%d,bs=%d", tc.w, tc.h, tc.as, tc.bs), func(t *testing.T) {
			a := make([]uint8, (tc.h-1)*tc.as+tc.w)
			b := make([]uint8, (tc.h-1)*tc.bs+tc.w)
			for n := 0; n < 2000; n++ {
				for i := range a {
					a[i] = uint8(r.IntN(256))
					if n%4 == 0 {
						a[i] = 255
					}
				}
				for i := range b {
					b[i] = uint8(r.IntN(256))
					if n%4 == 0 {
						b[i] = 0
					}
				}
				if got, want := sse(a, tc.as, b, tc.bs, tc.w, tc.h), sseGeneric(a, tc.as, b, tc.bs, tc.w, tc.h); got != want {
					t.Fatalf("case %d: kernel %d, Go %d", n, got, want)
				}
			}
		})
	}
}

// BenchmarkKernels times each kernel (the dispatch: assembly where there
// is one) against its Go version on photo-like blocks.
func BenchmarkKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	blocks := pixelBlocks(r, 64)[8:]
	src := make([]uint8, 4*bps*len(blocks))
	pred := make([]uint8, 16*len(blocks))
	for k, bl := range blocks {
		for j := range 16 {
			src[k*4*bps+(j/4)*bps+j%4] = bl[0][j]
			pred[k*16+j] = bl[1][j]
		}
	}
	coefs := make([][16]int16, len(blocks))
	for k := range blocks {
		fdct4Generic(src, k*4*bps, pred, k*16, 4, &coefs[k])
	}
	sq := newSegmentQuant(30, 0)
	deq := make([][16]int16, len(coefs))
	for k := range coefs {
		deq[k] = coefs[k]
		var lv [16]int16
		sq.y1.quantizeGeneric(&deq[k], &lv, 0)
	}
	var out, lv [16]int16
	var rec [16]uint8
	for _, impl := range []struct {
		name  string
		fdct  func(src []uint8, so int, pred []uint8, po, ps int, out *[16]int16)
		quant func(m *matrix, in, out *[16]int16, first int) int
		idct  func(in *[16]int16, pred []uint8, po, ps int, dst []uint8, do, ds int)
		sse4  func(a []uint8, b *[16]uint8) int64
		tex   func(p []uint8, o, s int) int32
		sse   func(a []uint8, as int, b []uint8, bs int, w, h int) int64
		modes func(a []uint8, preds *[numBModes][16]uint8, out *[numBModes]int64)
		hist  func(dist *[maxCoeffThresh + 1]int, coef *[16]int16)
	}{
		{"kernel", fdct4, (*matrix).quantize, idct4Add, sse4, texture4, sse, sse4Modes, histAdd},
		{"Go", fdct4Generic, (*matrix).quantizeGeneric, idct4AddGeneric, sse4Generic, texture4Generic, sseGeneric, sse4ModesGeneric, histAddGeneric},
	} {
		b.Run("fdct4/"+impl.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				k := i % len(blocks)
				impl.fdct(src, k*4*bps, pred, k*16, 4, &out)
			}
		})
		b.Run("quantize/"+impl.name, func(b *testing.B) {
			var c [16]int16
			for i := 0; b.Loop(); i++ {
				c = coefs[i%len(coefs)]
				impl.quant(&sq.y1, &c, &lv, 0)
			}
		})
		b.Run("idct4Add/"+impl.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				k := i % len(deq)
				impl.idct(&deq[k], pred, k*16, 4, rec[:], 0, 4)
			}
		})
		b.Run("sse4/"+impl.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				k := i % len(blocks)
				impl.sse4(src[k*4*bps:], &blocks[k][1])
			}
		})
		b.Run("texture4/"+impl.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				k := i % len(blocks)
				impl.tex(src, k*4*bps, bps)
			}
		})
		b.Run("sse4Modes/"+impl.name, func(b *testing.B) {
			var preds [numBModes][16]uint8
			var out [numBModes]int64
			for m := range preds {
				preds[m] = blocks[m][1]
			}
			for i := 0; b.Loop(); i++ {
				k := i % len(blocks)
				impl.modes(src[k*4*bps:], &preds, &out)
			}
		})
		b.Run("histAdd/"+impl.name, func(b *testing.B) {
			var dist [maxCoeffThresh + 1]int
			for i := 0; b.Loop(); i++ {
				impl.hist(&dist, &coefs[i%len(coefs)])
			}
		})
		b.Run("sse16x16/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.sse(src, bps, src[8:], 16, 16, 16)
			}
		})
		b.Run("sse8x8/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.sse(src, bps, src[8:], 8, 8, 8)
			}
		})
	}
}
