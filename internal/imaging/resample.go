package imaging

import (
	"context"
	"image"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Separable Lanczos3 resampler, streamed.
//
// Precision: source rows arrive as straight 8-bit RGBA (rowFunc) or, for
// opaque YCbCr, packed (packedRowFunc). Opaque images are filtered
// horizontally in packed fixed point (see horizontalPacked) into 3 planar
// float32 channels; images with alpha are premultiplied into 4 interleaved
// float32 channels in [0,255] and filtered horizontally in float. Then rows
// are filtered
// vertically, un-premultiplied, rounded to nearest and clamped to 8 bits.
// Weights are computed in float64 and normalised to sum to 1 per output
// pixel, so flat areas and opaque alpha are reproduced exactly. Every product
// is written float32(w*v) so the compiler cannot fuse multiply-adds (Go spec,
// "Floating-point operators"): results are the same on amd64 and arm64.
//
// Edges: taps that fall outside the image are dropped and the remaining
// weights renormalised (the Pillow/libvips "clamp window" rule), so no
// border colour leaks in.
//
// Large shrinks (boxMinScale and beyond) first average integer boxes of
// source pixels (box.go), so the weight tables are bounded by the output
// size, not the source's.
//
// Memory: there is no full-height intermediate. Output rows are split into
// bands; a worker filters the source rows its band needs horizontally into a
// small ring (as many rows as the widest vertical window) and emits each
// output row as soon as its window is complete. Neighbouring bands recompute
// the few source rows they share. Each intermediate row is a pure function of
// its source row and each output row sums the same rows in the same order,
// so the result does not depend on GOMAXPROCS or scheduling.

const lanczosA = 3

func lanczos3(x float64) float64 {
	x = math.Abs(x)
	if x >= lanczosA {
		return 0
	}
	if x < 1e-9 {
		return 1
	}
	px := math.Pi * x
	return lanczosA * math.Sin(px) * math.Sin(px/lanczosA) / (px * px)
}

// kernel holds the filter taps for one axis: output i reads source samples
// start[i] .. start[i]+n[i]-1 with weights w[i*stride : i*stride+n[i]].
type kernel struct {
	start, n []int
	w        []float32
	stride   int
}

func newKernel(in, out int) kernel { return newKernelExtent(in, float64(in), out) }

// newKernelExtent is newKernel for in samples that span extent units of
// the output's coordinates (extent/out per output pixel): after a box
// shrink by f the samples cover sw/f, not ceil(sw/f) (the last box is
// partial). newKernelExtent(in, float64(in), out) is newKernel(in, out).
func newKernelExtent(in int, extent float64, out int) kernel {
	return newKernelShifted(in, extent/float64(out), out, 0)
}

// newKernelShifted is newKernel for output sample i centred at
// (i+0.5+shift)·scale in the input's coordinates (input sample j is centred
// at j+0.5): scale input units per output sample, shift in output samples.
// A non-zero shift sites a chroma grid (planar.go).
func newKernelShifted(in int, scale float64, out int, shift float64) kernel {
	fscale := max(scale, 1) // widen the filter when downscaling
	support := lanczosA * fscale
	k := kernel{start: make([]int, out), n: make([]int, out), stride: int(math.Ceil(2*support)) + 2}
	k.w = make([]float32, out*k.stride)
	tmp := make([]float64, k.stride)
	for i := 0; i < out; i++ {
		center := (float64(i) + 0.5 + shift) * scale
		lo := max(int(math.Floor(center-support+0.5)), 0)
		hi := min(int(math.Floor(center+support+0.5)), in)
		hi = min(hi, lo+k.stride)
		var sum float64
		for j := lo; j < hi; j++ {
			v := lanczos3((float64(j) + 0.5 - center) / fscale)
			tmp[j-lo] = v
			sum += v
		}
		// Trim zero taps at both ends.
		for lo < hi && tmp[0] == 0 {
			copy(tmp, tmp[1:hi-lo])
			lo++
		}
		for hi > lo && tmp[hi-lo-1] == 0 {
			hi--
		}
		if hi == lo || sum == 0 { // cannot happen for a sane kernel; keep nearest sample
			lo, hi, tmp[0], sum = min(int(center), in-1), min(int(center), in-1)+1, 1, 1
		}
		k.start[i], k.n[i] = lo, hi-lo
		for j := 0; j < hi-lo; j++ {
			k.w[i*k.stride+j] = float32(tmp[j] / sum)
		}
	}
	return k
}

// minBandRows and maxBandRows bound the output rows a worker takes at a time.
// Larger bands recompute fewer shared source rows; smaller ones balance load.
const (
	minBandRows = 8
	maxBandRows = 128
)

// parallelBands calls fn(y0, y1) for disjoint bands of bh rows covering
// [0, rows) on at most GOMAXPROCS goroutines, checking ctx between bands.
// fn receives the worker's index so it can reuse per-worker buffers. It
// returns ctx's error if the context was cancelled.
func parallelBands(ctx context.Context, rows, bh int, fn func(w, y0, y1 int)) error {
	workers := max(min(runtime.GOMAXPROCS(0), (rows+bh-1)/bh), 1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				y0 := int(next.Add(int64(bh))) - bh
				if y0 >= rows {
					return
				}
				fn(w, y0, min(y0+bh, rows))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// parallelRows calls fn(y0, y1) for disjoint bands of 16 rows covering
// [0, rows) on at most GOMAXPROCS goroutines (see parallelBands).
func parallelRows(ctx context.Context, rows int, fn func(y0, y1 int)) error {
	return parallelBands(ctx, rows, 16, func(_, y0, y1 int) { fn(y0, y1) })
}

// ringRows returns how many intermediate rows a worker must keep so that,
// computing source rows in increasing order up to the end of each output
// row's window, the whole window is still held.
func ringRows(k *kernel) int {
	r, end := 1, 0
	for i := range k.start {
		end = max(end, k.start[i]+k.n[i])
		r = max(r, end-k.start[i])
	}
	return r
}

// packedRowFunc writes row y of an opaque image into dst (len width) as
// 8-bit R, G and B packed into the 21-bit lanes of a uint64 (see packRGB).
type packedRowFunc func(y int, dst []uint64)

// resample converts and resizes a sw×sh image read through rows to dw×dh.
// opaque selects a 3-channel path (no alpha work) for images known to be
// fully opaque; the output alpha is then 255.
//
// rows3, if not nil, is a faster source of opaque rows, already packed.
func resample(ctx context.Context, rows rowFunc, rows3 packedRowFunc, sw, sh, dw, dh int, opaque bool) (*image.NRGBA, error) {
	return resampleOriented(ctx, rows, rows3, sw, sh, dw, dh, opaque, 1)
}

// resampleOriented is resample followed by orient(·, o), with the
// orientation folded into the store of each output row: the result is the
// dw×dh stored-orientation image as displayed (dh×dw when o swaps axes),
// byte-identical to orient(resample(...), o) without the extra copy.
func resampleOriented(ctx context.Context, rows rowFunc, rows3 packedRowFunc, sw, sh, dw, dh int, opaque bool, o int) (*image.NRGBA, error) {
	if o < 2 || o > 8 {
		o = 1
	}
	nc := 4
	if opaque {
		nc = 3
	}
	ex, ey := float64(sw), float64(sh) // the source's extent, in source pixels
	if fx, fy := boxFactor(sw, dw), boxFactor(sh, dh); fx > 1 || fy > 1 {
		small, err := boxShrink(ctx, rows, sw, sh, fx, fy)
		if err != nil {
			return nil, err
		}
		rows, rows3 = rowsOf(small), nil
		ex, ey = float64(sw)/float64(fx), float64(sh)/float64(fy)
		sw, sh = small.Rect.Dx(), small.Rect.Dy()
	}
	kx, ky := newKernelExtent(sw, ex, dw), newKernelExtent(sh, ey, dh)
	var fx fixedKernel
	if opaque {
		fx = newFixedKernel(&kx, sw)
	}
	ring := ringRows(&ky)
	stride := dw * nc // one intermediate row

	workers := max(runtime.GOMAXPROCS(0), 1)
	bh := min(max((dh+6*workers-1)/(6*workers), minBandRows), maxBandRows)
	type scratch struct {
		ring []float32 // ring × stride
		line []uint8   // 4 × sw
		fl   []float32 // 4 × sw (alpha path)
		px   []uint64  // sw (opaque path)
		acc  []float32 // stride
		row  []uint8   // tileRows × 4 × dw, output rows before orienting
	}
	scr := make([]*scratch, workers)

	ow, oh := dw, dh
	if swapsAxes(o) {
		ow, oh = dh, dw
	}
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	err := parallelBands(ctx, dh, bh, func(w, y0, y1 int) {
		s := scr[w]
		if s == nil {
			s = &scratch{
				ring: make([]float32, ring*stride),
				line: make([]uint8, 4*sw),
				fl:   make([]float32, 4*sw),
				px:   make([]uint64, sw),
				acc:  make([]float32, stride),
				row:  make([]uint8, tileRows*4*dw),
			}
			scr[w] = s
		}
		// hrow filters source row sy horizontally into its ring slot.
		hrow := func(sy int) {
			out := s.ring[(sy%ring)*stride : (sy%ring+1)*stride]
			if opaque {
				if rows3 != nil {
					rows3(sy, s.px)
				} else {
					rows(sy, s.line)
					packRow(s.px, s.line)
				}
				horizontalPacked(out, s.px, &fx)
				return
			}
			rows(sy, s.line)
			premultiply(s.fl, s.line)
			horizontal4(out, s.fl, &kx)
		}
		next := ky.start[y0] // next source row to filter
		for y := y0; y < y1; y++ {
			lo, n := ky.start[y], ky.n[y]
			next = max(next, lo)
			for ; next < lo+n; next++ {
				hrow(next)
			}
			acc := s.acc
			verticalPass(acc, s.ring, stride, ring, lo, ky.w[y*ky.stride:y*ky.stride+n])
			if o == 1 {
				storeRow(dst.Pix[y*dst.Stride:y*dst.Stride+4*dw], acc, opaque)
				continue
			}
			// Orientations that swap axes write stored rows as display
			// columns; collecting tileRows rows first turns that into
			// runs of tileRows adjacent pixels.
			t := (y - y0) % tileRows
			storeRow(s.row[t*4*dw:(t+1)*4*dw], acc, opaque)
			if t == tileRows-1 || y == y1-1 {
				placeRows(dst, s.row[:(t+1)*4*dw], y-t, dw, dh, o)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// verticalPass sets acc to the weighted sum of the len(ws) filtered rows
// from source row lo on, held in a ring of ringRows rows of stride floats:
// the vertical Lanczos3 pass of one output row, four rows at a time and
// always summed in the same order, so the result never depends on how
// the work is split.
func verticalPass(acc, ring []float32, stride, ringRows, lo int, ws []float32) {
	row := func(k int) []float32 { return ring[((lo+k)%ringRows)*stride:][:len(acc)] }
	k := 0
	for ; k+3 < len(ws); k += 4 {
		if k == 0 {
			vertical4Set(acc, row(0), row(1), row(2), row(3), ws[0], ws[1], ws[2], ws[3])
		} else {
			vertical4(acc, row(k), row(k+1), row(k+2), row(k+3), ws[k], ws[k+1], ws[k+2], ws[k+3])
		}
	}
	for ; k < len(ws); k++ {
		if k == 0 {
			vertical1Set(acc, row(0), ws[0])
		} else {
			vertical1(acc, row(k), ws[k])
		}
	}
}

// vertical4Set sets acc = w0·a + w1·b + w2·c + w3·d, summed left to right
// (the same as accumulating from zero, one row at a time).
func vertical4Set(acc, a, b, c, d []float32, w0, w1, w2, w3 float32) {
	a, b, c, d = a[:len(acc)], b[:len(acc)], c[:len(acc)], d[:len(acc)]
	for i := range acc {
		acc[i] = float32(w0*a[i]) + float32(w1*b[i]) + float32(w2*c[i]) + float32(w3*d[i])
	}
}

// vertical4 adds w0·a, w1·b, w2·c, w3·d to acc in that order.
func vertical4(acc, a, b, c, d []float32, w0, w1, w2, w3 float32) {
	a, b, c, d = a[:len(acc)], b[:len(acc)], c[:len(acc)], d[:len(acc)]
	for i := range acc {
		acc[i] = acc[i] + float32(w0*a[i]) + float32(w1*b[i]) + float32(w2*c[i]) + float32(w3*d[i])
	}
}

func vertical1Set(acc, a []float32, w0 float32) {
	a = a[:len(acc)]
	for i := range acc {
		acc[i] = float32(w0 * a[i])
	}
}

func vertical1(acc, a []float32, w0 float32) {
	a = a[:len(acc)]
	for i := range acc {
		acc[i] += float32(w0 * a[i])
	}
}

// Packed fixed-point horizontal pass (opaque images).
//
// A pixel's 8-bit R, G and B sit in bits 0-20, 21-41 and 42-63 of a uint64.
// Multiplying the packed word by an integer weight and summing in wrapping
// 64-bit arithmetic computes all three channel sums at once (the map is
// linear modulo 2^64); each lane is then recovered by sign-extending its low
// bits and subtracting it from the word. This is exact as long as every
// channel sum fits a signed 21-bit lane, which newFixedKernel guarantees by
// its choice of precision.
//
// Precision: input 8-bit integers; weights in Q(q), q <= 11, rounded from
// the float64 weights with the rounding remainder put on the largest tap so
// that each output pixel's weights sum to exactly 1<<q (flat areas stay
// exact); output float32 = sum / 2^q, exact. Rounding the weights moves an
// output value by at most 255·n·2^-(q+1) (~0.4 at n=13, q=11; typically
// <0.05), on top of the float pass below.

// packRGB packs 8-bit r, g, b into the three lanes of a uint64.
func packRGB(r, g, b uint8) uint64 { return uint64(r) | uint64(g)<<21 | uint64(b)<<42 }

// packRow packs a row of 8-bit RGBA, dropping alpha.
func packRow(dst []uint64, src []uint8) {
	src = src[:4*len(dst)]
	for x := range dst {
		p := src[4*x : 4*x+3 : 4*x+3]
		dst[x] = packRGB(p[0], p[1], p[2])
	}
}

// fixedKernel is a kernel's weights in Q(q) as wrapping uint64 multipliers,
// with every output pixel given the same tap count n (windows cut by an
// image edge are shifted inwards and padded with zero weights) so the inner
// loop has no per-pixel bookkeeping: output x reads px[start[x]:start[x]+n]
// with weights w[x*n : x*n+n].
type fixedKernel struct {
	w     []uint64
	start []int
	n     int
	inv   float32 // 2^-q
}

func newFixedKernel(k *kernel, in int) fixedKernel {
	q := 11
	for ; q > 4; q-- { // keep 255·Σ|w|·2^q (plus rounding) below 2^20
		worst := 0.0
		for i := range k.start {
			var sum float64
			for _, v := range k.w[i*k.stride : i*k.stride+k.n[i]] {
				sum += math.Abs(float64(v)) + 1/float64(int(1)<<q)
			}
			worst = max(worst, sum)
		}
		if 255*worst*float64(int(1)<<q) < 1<<20-1024 {
			break
		}
	}
	n := 0
	for _, v := range k.n {
		n = max(n, v)
	}
	if n4 := (n + 3) &^ 3; n4 <= in {
		n = n4 // lets horizontalPacked unroll by four
	}
	n = min(n, in)
	one := int64(1) << q
	f := fixedKernel{w: make([]uint64, len(k.start)*n), start: make([]int, len(k.start)), n: n, inv: float32(1 / float64(one))}
	for i := range k.start {
		ws := k.w[i*k.stride : i*k.stride+k.n[i]]
		s := min(k.start[i], in-n) // shift a short window inwards
		f.start[i] = s
		off := k.start[i] - s
		var sum int64
		big := 0
		for j, v := range ws {
			iv := int64(math.Round(float64(v) * float64(one)))
			f.w[i*n+off+j] = uint64(iv)
			sum += iv
			if math.Abs(float64(v)) > math.Abs(float64(ws[big])) {
				big = j
			}
		}
		f.w[i*n+off+big] += uint64(one - sum)
	}
	return f
}

// horizontalPacked filters one row of packed pixels into out, which holds
// the three output planes R, G, B of len(out)/3 each, as float32 in [0,255]
// (plus ringing).
func horizontalPacked(out []float32, px []uint64, f *fixedKernel) {
	dw := len(out) / 3
	horizontalPacked3(out[:dw], out[dw:2*dw], out[2*dw:3*dw], px, f)
}

// horizontalPacked3 is horizontalPacked with the three output planes
// apart, each len(or) long (the planar path's three source rows).
func horizontalPacked3(or, og, ob []float32, px []uint64, f *fixedKernel) {
	dw := len(or)
	og, ob = og[:dw], ob[:dw]
	inv, n, start := f.inv, f.n, f.start[:dw]
	w := f.w[:dw*n]
	// Fully unrolled loops for the common tap counts (12 for 2:1, 20 for
	// ~3:1, 24 for 4:1): measured about twice as fast as the generic loop
	// (BenchmarkHorizontal).
	switch n {
	case 8:
		for x, s := range start {
			a, b := (*[8]uint64)(w[x*8:x*8+8]), (*[8]uint64)(px[s:s+8])
			t0 := a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3]
			t1 := a[4]*b[4] + a[5]*b[5] + a[6]*b[6] + a[7]*b[7]
			or[x], og[x], ob[x] = unpackSum(t0+t1, inv)
		}
	case 12:
		for x, s := range start {
			a, b := (*[12]uint64)(w[x*12:x*12+12]), (*[12]uint64)(px[s:s+12])
			t0 := a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3]
			t1 := a[4]*b[4] + a[5]*b[5] + a[6]*b[6] + a[7]*b[7]
			t2 := a[8]*b[8] + a[9]*b[9] + a[10]*b[10] + a[11]*b[11]
			or[x], og[x], ob[x] = unpackSum(t0+t1+t2, inv)
		}
	case 16:
		for x, s := range start {
			a, b := (*[16]uint64)(w[x*16:x*16+16]), (*[16]uint64)(px[s:s+16])
			t0 := a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3]
			t1 := a[4]*b[4] + a[5]*b[5] + a[6]*b[6] + a[7]*b[7]
			t2 := a[8]*b[8] + a[9]*b[9] + a[10]*b[10] + a[11]*b[11]
			t3 := a[12]*b[12] + a[13]*b[13] + a[14]*b[14] + a[15]*b[15]
			or[x], og[x], ob[x] = unpackSum(t0+t1+t2+t3, inv)
		}
	case 20:
		for x, s := range start {
			a, b := (*[20]uint64)(w[x*20:x*20+20]), (*[20]uint64)(px[s:s+20])
			t0 := a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3]
			t1 := a[4]*b[4] + a[5]*b[5] + a[6]*b[6] + a[7]*b[7]
			t2 := a[8]*b[8] + a[9]*b[9] + a[10]*b[10] + a[11]*b[11]
			t3 := a[12]*b[12] + a[13]*b[13] + a[14]*b[14] + a[15]*b[15]
			t4 := a[16]*b[16] + a[17]*b[17] + a[18]*b[18] + a[19]*b[19]
			or[x], og[x], ob[x] = unpackSum(t0+t1+t2+t3+t4, inv)
		}
	case 24:
		for x, s := range start {
			a, b := (*[24]uint64)(w[x*24:x*24+24]), (*[24]uint64)(px[s:s+24])
			t0 := a[0]*b[0] + a[1]*b[1] + a[2]*b[2] + a[3]*b[3]
			t1 := a[4]*b[4] + a[5]*b[5] + a[6]*b[6] + a[7]*b[7]
			t2 := a[8]*b[8] + a[9]*b[9] + a[10]*b[10] + a[11]*b[11]
			t3 := a[12]*b[12] + a[13]*b[13] + a[14]*b[14] + a[15]*b[15]
			t4 := a[16]*b[16] + a[17]*b[17] + a[18]*b[18] + a[19]*b[19]
			t5 := a[20]*b[20] + a[21]*b[21] + a[22]*b[22] + a[23]*b[23]
			or[x], og[x], ob[x] = unpackSum(t0+t1+t2+t3+t4+t5, inv)
		}
	default:
		horizontalPackedN(or, og, ob, px, f)
	}
}

// horizontalPackedN is horizontalPacked for any tap count.
func horizontalPackedN(or, og, ob []float32, px []uint64, f *fixedKernel) {
	dw := len(or)
	inv, n, start := f.inv, f.n, f.start[:dw]
	w := f.w[:dw*n]
	for x, s := range start {
		ws := w[x*n : x*n+n]
		p := px[s:][:len(ws)]
		var t uint64
		if len(ws)%4 == 0 {
			// Two independent sums (wrapping addition is associative,
			// so the result is the same) and array views without
			// per-tap bounds checks; measured by BenchmarkHorizontal.
			var t1 uint64
			for i := 0; i+4 <= len(ws) && i+4 <= len(p); i += 4 {
				a, b := (*[4]uint64)(ws[i:i+4]), (*[4]uint64)(p[i:i+4])
				t += a[0]*b[0] + a[1]*b[1]
				t1 += a[2]*b[2] + a[3]*b[3]
			}
			t += t1
		} else {
			for i, wi := range ws {
				t += wi * p[i]
			}
		}
		or[x], og[x], ob[x] = unpackSum(t, inv)
	}
}

// unpackSum splits a packed sum into its three signed lanes, scaled by inv.
func unpackSum(t uint64, inv float32) (float32, float32, float32) {
	r := int64(t<<43) >> 43
	t2 := int64(t-uint64(r)) >> 21
	g := (t2 << 43) >> 43
	b := (t2 - g) >> 21
	return float32(r) * inv, float32(g) * inv, float32(b) * inv
}

// horizontal4 filters one row of 4-channel premultiplied samples.
func horizontal4(out, fl []float32, k *kernel) {
	for x := 0; x < len(out)/4; x++ {
		ws := k.w[x*k.stride : x*k.stride+k.n[x]]
		src := fl[k.start[x]*4:]
		src = src[:len(ws)*4]
		var r, g, b, a float32
		for i, wk := range ws {
			p := src[4*i : 4*i+4 : 4*i+4]
			r += float32(wk * p[0])
			g += float32(wk * p[1])
			b += float32(wk * p[2])
			a += float32(wk * p[3])
		}
		o := out[4*x : 4*x+4 : 4*x+4]
		o[0], o[1], o[2], o[3] = r, g, b, a
	}
}

// premultiply converts straight 8-bit RGBA to premultiplied float32 in [0,255].
func premultiply(dst []float32, src []uint8) {
	for i := 0; i+3 < len(src); i += 4 {
		a := float32(src[i+3])
		f := a / 255
		dst[i] = float32(float32(src[i]) * f)
		dst[i+1] = float32(float32(src[i+1]) * f)
		dst[i+2] = float32(float32(src[i+2]) * f)
		dst[i+3] = a
	}
}

// tileRows is how many output rows are oriented together.
const tileRows = 16

// placeRows writes rows y0, y0+1, ... of a w×h stored-orientation image,
// held consecutively in rows (4·w bytes each), into dst, the image as
// displayed under EXIF orientation o (see orient for the mapping).
func placeRows(dst *image.NRGBA, rows []uint8, y0, w, h, o int) {
	n := len(rows) / (4 * w)
	ds, pix := dst.Stride, dst.Pix
	if !swapsAxes(o) { // 2, 3, 4: each row stays a row, maybe mirrored
		for t := 0; t < n; t++ {
			y := y0 + t
			if o != 2 {
				y = h - 1 - y
			}
			row := rows[t*4*w : (t+1)*4*w]
			d := pix[y*ds : y*ds+4*w]
			if o == 4 {
				copy(d, row)
				continue
			}
			for x := 0; x < w; x++ {
				copy(d[4*(w-1-x):4*(w-1-x)+4:4*(w-1-x)+4], row[4*x:4*x+4:4*x+4])
			}
		}
		return
	}
	// 5..8: stored (x, y) goes to display row x (5, 6) or w-1-x (7, 8),
	// column y (5, 8) or h-1-y (6, 7).
	colStep, col0 := 4, 4*y0
	if o == 6 || o == 7 {
		colStep, col0 = -4, 4*(h-1-y0)
	}
	for x := 0; x < w; x++ {
		dy := x
		if o == 7 || o == 8 {
			dy = w - 1 - x
		}
		off := dy*ds + col0
		for t := 0; t < n; t++ {
			copy(pix[off:off+4:off+4], rows[t*4*w+4*x:t*4*w+4*x+4])
			off += colStep
		}
	}
}

// storeRow un-premultiplies, rounds and clamps one row of float32 RGBA.
// acc holds 3 planes (R, G, B) when opaque, else interleaved RGBA.
func storeRow(dst []uint8, acc []float32, opaque bool) {
	if opaque {
		dw := len(acc) / 3
		r, g, b := acc[:dw], acc[dw:2*dw], acc[2*dw:3*dw]
		dst = dst[:4*dw]
		for x := range r {
			d := dst[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = clamp8(r[x]), clamp8(g[x]), clamp8(b[x]), 255
		}
		return
	}
	for i := 0; i+3 < len(acc); i += 4 {
		a := acc[i+3]
		a8 := clamp8(a)
		if a8 == 0 {
			dst[i], dst[i+1], dst[i+2], dst[i+3] = 0, 0, 0, 0
			continue
		}
		f := 255 / a
		dst[i] = clamp8(float32(acc[i] * f))
		dst[i+1] = clamp8(float32(acc[i+1] * f))
		dst[i+2] = clamp8(float32(acc[i+2] * f))
		dst[i+3] = a8
	}
}

func clamp8(v float32) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 254.5 {
		return 255
	}
	return uint8(v + 0.5)
}
