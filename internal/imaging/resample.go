package imaging

import (
	"context"
	"image"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Separable Lanczos3 resampler.
//
// Precision: source rows arrive as straight 8-bit RGBA (rowFunc), are
// premultiplied into float32 in [0,255] (3 channels when the image is opaque,
// 4 otherwise), filtered horizontally into a float32 intermediate of
// dstW×srcH×channels, filtered vertically, un-premultiplied, rounded
// to nearest and clamped to 8 bits. Weights are computed in float64 and
// normalised to sum to 1 per output pixel, so flat areas and opaque alpha are
// reproduced exactly. Every product is written float32(w*v) so the compiler
// cannot fuse multiply-adds (Go spec, "Floating-point operators"): results are
// the same on amd64 and arm64.
//
// Edges: taps that fall outside the image are dropped and the remaining
// weights renormalised (the Pillow/libvips "clamp window" rule), so no
// border colour leaks in.
//
// Work is split into bands of rows handed out to at most GOMAXPROCS
// goroutines; each output row is computed by exactly one goroutine from the
// same inputs, so the result does not depend on scheduling.

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

func newKernel(in, out int) kernel {
	scale := float64(in) / float64(out)
	fscale := max(scale, 1) // widen the filter when downscaling
	support := lanczosA * fscale
	k := kernel{start: make([]int, out), n: make([]int, out), stride: int(math.Ceil(2*support)) + 2}
	k.w = make([]float32, out*k.stride)
	tmp := make([]float64, k.stride)
	for i := 0; i < out; i++ {
		center := (float64(i) + 0.5) * scale
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

// bandRows is the number of rows a worker takes at a time.
const bandRows = 16

// parallelRows calls fn(y0, y1) for disjoint bands covering [0, rows) on at
// most GOMAXPROCS goroutines, checking ctx between bands. It returns ctx's error
// if the context was cancelled.
func parallelRows(ctx context.Context, rows int, fn func(y0, y1 int)) error {
	workers := min(runtime.GOMAXPROCS(0), (rows+bandRows-1)/bandRows)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				y0 := int(next.Add(bandRows)) - bandRows
				if y0 >= rows {
					return
				}
				fn(y0, min(y0+bandRows, rows))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// resample converts and resizes a sw×sh image read through rows to dw×dh.
// opaque selects a 3-channel path (no alpha work) for images known to be
// fully opaque; the output alpha is then 255.
//
// rows3, if not nil, is a faster source of opaque rows as 3-channel floats.
func resample(ctx context.Context, rows rowFunc, rows3 floatRowFunc, sw, sh, dw, dh int, opaque bool) (*image.NRGBA, error) {
	nc := 4
	if opaque {
		nc = 3
	}
	kx, ky := newKernel(sw, dw), newKernel(sh, dh)
	// Horizontal pass output, premultiplied; only the source rows some output
	// row reads are converted and stored (all of them when downscaling).
	yLo, yHi := ky.start[0], ky.start[dh-1]+ky.n[dh-1]
	tmp := make([]float32, dw*(yHi-yLo)*nc)
	stride := dw * nc

	err := parallelRows(ctx, yHi-yLo, func(r0, r1 int) {
		line := make([]uint8, 4*sw)
		fl := make([]float32, nc*sw)
		for r := r0; r < r1; r++ {
			out := tmp[r*stride : (r+1)*stride]
			if opaque && rows3 != nil {
				rows3(yLo+r, fl)
				horizontal3(out, fl, &kx)
				continue
			}
			rows(yLo+r, line)
			if opaque {
				for i, j := 0, 0; j < len(fl); i, j = i+4, j+3 {
					fl[j], fl[j+1], fl[j+2] = float32(line[i]), float32(line[i+1]), float32(line[i+2])
				}
				horizontal3(out, fl, &kx)
			} else {
				premultiply(fl, line)
				horizontal4(out, fl, &kx)
			}
		}
	})
	if err != nil {
		return nil, err
	}

	// Vertical pass over output rows.
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	err = parallelRows(ctx, dh, func(y0, y1 int) {
		acc := make([]float32, stride)
		for y := y0; y < y1; y++ {
			clear(acc)
			ws := ky.w[y*ky.stride : y*ky.stride+ky.n[y]]
			for k, wk := range ws {
				sy := ky.start[y] + k - yLo
				src := tmp[sy*stride : (sy+1)*stride]
				src = src[:len(acc)]
				for i, v := range src {
					acc[i] += float32(wk * v)
				}
			}
			storeRow(dst.Pix[y*dst.Stride:y*dst.Stride+4*dw], acc, opaque)
		}
	})
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// horizontal3 filters one row of 3-channel samples.
func horizontal3(out, fl []float32, k *kernel) {
	for x := 0; x < len(out)/3; x++ {
		ws := k.w[x*k.stride : x*k.stride+k.n[x]]
		src := fl[k.start[x]*3:]
		src = src[:len(ws)*3]
		var r, g, b float32
		for i, wk := range ws {
			p := src[3*i : 3*i+3 : 3*i+3]
			r += float32(wk * p[0])
			g += float32(wk * p[1])
			b += float32(wk * p[2])
		}
		o := out[3*x : 3*x+3 : 3*x+3]
		o[0], o[1], o[2] = r, g, b
	}
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

// storeRow un-premultiplies, rounds and clamps one row of float32 RGBA.
// acc holds 3 channels when opaque, else 4.
func storeRow(dst []uint8, acc []float32, opaque bool) {
	if opaque {
		for i, j := 0, 0; j+2 < len(acc); i, j = i+4, j+3 {
			dst[i], dst[i+1], dst[i+2], dst[i+3] = clamp8(acc[j]), clamp8(acc[j+1]), clamp8(acc[j+2]), 255
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
