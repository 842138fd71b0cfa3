package imaging

import (
	"context"
	"image"
	"runtime"
)

// Planar Y′CbCr resampling (JPEG source to JPEG output).
//
// A baseline JPEG decodes to Y′CbCr planes and the JPEG encoder wants
// Y′CbCr 4:2:0 planes. The RGB path converts the decoded planes to R′G′B′
// (upsampling chroma by replication), resamples three full-resolution
// channels, and the encoder converts back and averages chroma 2×2. The
// planar path resamples the Y′ plane to dw×dh and each chroma plane
// directly from its own resolution to the output's 4:2:0 grid
// (ceil(dw/2)×ceil(dh/2)): half the samples of R′G′B′ and no colour
// conversion either way. Filtering is linear, so filtering Y′CbCr equals
// filtering R′G′B′ and converting, up to rounding and clamping; the chroma
// is filtered with a proper Lanczos3 from its own samples instead of a
// replication, a Lanczos3 and a box, so it is, if anything, sharper.
//
// Siting: JFIF chroma is centred (T.871 §4): the chroma sample k of a
// plane subsampled by 2^s covers luma [k·2^s, (k+1)·2^s). Output chroma j
// covers display luma [2j, 2j+2), so when an EXIF flip reverses an axis
// of odd length the stored-orientation grid is shifted by half a chroma
// sample (chromaKernel), and the flipped planes line up exactly.
//
// Precision: the RGB path's arithmetic (resample.go) on one channel: the
// horizontal pass in packed fixed point (three source rows in the lanes
// the RGB path gives R, G and B; exact sums of Q(q) taps, q <= 11), the
// vertical pass in float32 without fused multiply-adds, rounded to 8 bits
// and clamped. The same bytes on every platform and for every GOMAXPROCS:
// each output row is a pure function of its source rows (lane sums are
// exact, so which rows share a word does not matter).

// planarSource reports whether img can take the planar path: Y′CbCr
// planes at the origin with a subsampling chromaShift knows.
func planarSource(img image.Image) (*image.YCbCr, bool) {
	m, ok := img.(*image.YCbCr)
	if !ok || m.Rect.Min != (image.Point{}) || m.Rect.Empty() {
		return nil, false
	}
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		return m, true
	}
	return nil, false
}

// flipsX and flipsY report whether EXIF orientation o reverses the stored
// x or y axis on display (see orient).
func flipsX(o int) bool { return o == 2 || o == 3 || o == 7 || o == 8 }
func flipsY(o int) bool { return o == 3 || o == 4 || o == 6 || o == 7 }

// chromaKernel returns the kernel from a source chroma axis (in samples,
// each covering 2^sub source luma samples) to the output's 4:2:0 chroma
// axis for a luma axis resized from src to dst samples. flip says the
// axis is reversed on display: its chroma grid then starts at the far end.
func chromaKernel(in, sub, src, dst int, flip bool) kernel {
	out := (dst + 1) / 2
	// Output chroma i is centred on output luma 2i+1 (2i when a flipped
	// odd axis shifts the grid), i.e. source luma (2i+1)·src/dst, i.e.
	// source chroma (2i+1)·src/dst/2^sub = (i+0.5)·scale.
	scale := 2 * float64(src) / float64(dst) / float64(int(1)<<sub)
	shift := 0.0
	if flip && dst%2 == 1 {
		shift = -0.5
	}
	return newKernelShifted(in, scale, out, shift)
}

// plane is an 8-bit sample plane.
type plane struct {
	pix    []uint8
	stride int
	w, h   int
}

// resamplePlanar resizes the Y′CbCr planes of m to a dw×dh 4:2:0 image
// (luma dw×dh in stored orientation) and applies EXIF orientation o, so
// the result is the image as displayed (dh×dw when o swaps axes).
func resamplePlanar(ctx context.Context, m *image.YCbCr, dw, dh, o int) (*image.YCbCr, error) {
	if o < 2 || o > 8 {
		o = 1
	}
	sw, sh := m.Rect.Dx(), m.Rect.Dy()
	hs, vs := chromaShift(m.SubsampleRatio)
	csw, csh := (sw+(1<<hs)-1)>>hs, (sh+(1<<vs)-1)>>vs
	ow, oh := dw, dh
	if swapsAxes(o) {
		ow, oh = dh, dw
	}
	dst := image.NewYCbCr(image.Rect(0, 0, ow, oh), image.YCbCrSubsampleRatio420)

	ky, kyv := newKernel(sw, dw), newKernel(sh, dh)
	err := resamplePlane(ctx, plane{m.Y, m.YStride, sw, sh}, plane{dst.Y, dst.YStride, ow, oh}, &ky, &kyv, o)
	if err != nil {
		return nil, err
	}
	kc := chromaKernel(csw, int(hs), sw, dw, flipsX(o))
	kcv := chromaKernel(csh, int(vs), sh, dh, flipsY(o))
	cw, ch := (ow+1)/2, (oh+1)/2
	for _, p := range [][2][]uint8{{m.Cb, dst.Cb}, {m.Cr, dst.Cr}} {
		err := resamplePlane(ctx, plane{p[0], m.CStride, csw, csh}, plane{p[1], dst.CStride, cw, ch}, &kc, &kcv, o)
		if err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// resamplePlane filters src with kx (horizontal) and ky (vertical) into
// dst, which is the result as displayed under orientation o, in parallel
// bands of output rows. Each worker keeps a ring of horizontally filtered
// source rows, as resampleOriented does. Three source rows are filtered at
// once, packed into the three lanes the RGB path gives R, G and B
// (horizontalPacked3): one multiply per tap for three samples.
func resamplePlane(ctx context.Context, src, dst plane, kx, ky *kernel, o int) error {
	dw, dh := len(kx.start), len(ky.start)
	copies := identity(kx, src.w) && identity(ky, src.h)
	fx := newFixedKernel(kx, src.w)
	ring := ringRows(ky) + 2 // a window, and the two rows filtered ahead with its last
	workers := max(runtime.GOMAXPROCS(0), 1)
	bh := min(max((dh+6*workers-1)/(6*workers), minBandRows), maxBandRows)
	type scratch struct {
		ring  []float32 // ring × dw
		px    []uint64  // src.w: three rows, packed
		zero  []uint8   // src.w zeros: the missing rows of the last group
		spare []float32 // dw: their output
		acc   []float32 // dw
		rows  []uint8   // tileRows × dw, output rows before orienting
	}
	scr := make([]*scratch, workers)
	return parallelBands(ctx, dh, bh, func(w, y0, y1 int) {
		s := scr[w]
		if s == nil {
			s = &scratch{ring: make([]float32, ring*dw), px: make([]uint64, src.w), zero: make([]uint8, src.w),
				spare: make([]float32, dw), acc: make([]float32, dw), rows: make([]uint8, tileRows*dw)}
			scr[w] = s
		}
		srcRow := func(sy int) []uint8 {
			if sy >= src.h {
				return s.zero
			}
			return src.pix[sy*src.stride : sy*src.stride+src.w]
		}
		outRow := func(sy int) []float32 {
			if sy >= src.h {
				return s.spare
			}
			r := sy % ring
			return s.ring[r*dw : (r+1)*dw]
		}
		next := ky.start[y0] // next source row to filter
		for y := y0; y < y1; y++ {
			t := (y - y0) % tileRows
			if copies { // a JPEG decoded at the size wanted
				sr := srcRow(y)
				if o == 1 {
					copy(dst.pix[y*dst.stride:y*dst.stride+dw], sr)
					continue
				}
				copy(s.rows[t*dw:(t+1)*dw], sr)
				if t == tileRows-1 || y == y1-1 {
					placePlaneRows(dst, s.rows[:(t+1)*dw], y-t, dw, dh, o)
				}
				continue
			}
			lo, n := ky.start[y], ky.n[y]
			next = max(next, lo)
			for ; next < lo+n; next += 3 {
				pack3(s.px, srcRow(next), srcRow(next+1), srcRow(next+2))
				horizontalPacked3(outRow(next), outRow(next+1), outRow(next+2), s.px, &fx)
			}
			acc := s.acc
			verticalPass(acc, s.ring, dw, ring, lo, ky.w[y*ky.stride:y*ky.stride+n])
			if o == 1 {
				store8(dst.pix[y*dst.stride:y*dst.stride+dw], acc)
				continue
			}
			store8(s.rows[t*dw:(t+1)*dw], acc)
			if t == tileRows-1 || y == y1-1 {
				placePlaneRows(dst, s.rows[:(t+1)*dw], y-t, dw, dh, o)
			}
		}
	})
}

// identity reports whether k maps in samples to themselves.
func identity(k *kernel, in int) bool {
	if len(k.start) != in {
		return false
	}
	for i, s := range k.start {
		if s != i || k.n[i] != 1 || k.w[i*k.stride] != 1 {
			return false
		}
	}
	return true
}

// pack3 packs three rows of 8-bit samples into the lanes of dst (packRGB).
func pack3(dst []uint64, a, b, c []uint8) {
	a, b, c = a[:len(dst)], b[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] = packRGB(a[i], b[i], c[i])
	}
}

// store8 rounds one row of float32 samples to 8 bits, clamped.
func store8(dst []uint8, acc []float32) {
	acc = acc[:len(dst)]
	for i, v := range acc {
		dst[i] = clamp8(v)
	}
}

// placePlaneRows writes rows y0, y0+1, ... of a w×h stored-orientation
// plane, held consecutively in rows (w bytes each), into dst, the plane as
// displayed under EXIF orientation o (as placeRows, one byte a sample).
func placePlaneRows(dst plane, rows []uint8, y0, w, h, o int) {
	n := len(rows) / w
	ds, pix := dst.stride, dst.pix
	if !swapsAxes(o) { // 2, 3, 4: each row stays a row, maybe mirrored
		for t := 0; t < n; t++ {
			y := y0 + t
			if o != 2 {
				y = h - 1 - y
			}
			row := rows[t*w : (t+1)*w]
			d := pix[y*ds : y*ds+w]
			if o == 4 {
				copy(d, row)
				continue
			}
			for x, v := range row {
				d[w-1-x] = v
			}
		}
		return
	}
	// 5..8: stored (x, y) goes to display row x (5, 6) or w-1-x (7, 8),
	// column y (5, 8) or h-1-y (6, 7).
	colStep, col0 := 1, y0
	if o == 6 || o == 7 {
		colStep, col0 = -1, h-1-y0
	}
	for x := 0; x < w; x++ {
		dy := x
		if o == 7 || o == 8 {
			dy = w - 1 - x
		}
		off := dy*ds + col0
		for t := 0; t < n; t++ {
			pix[off] = rows[t*w+x]
			off += colStep
		}
	}
}
