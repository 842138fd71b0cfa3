package imaging

import (
	"image"
	"image/color"
	"math"
)

// HEIC colour: the HEVC planes are Y'CbCr with the matrix and range an nclx
// colour box (or, without one, the bitstream's VUI) declares, ITU-T H.273:
// MatrixCoefficients 1 (BT.709), 5 and 6 (BT.601), 9 and 10 (BT.2020), 0
// (identity: G, B, R), video_full_range_flag. image.YCbCr's own conversion
// is JFIF (full-range BT.601) only, which is what iPhones write but not what
// every encoder does (x265 through libheif writes limited range when asked),
// so the planes are converted here, row by row as the resampler reads them
// (yccImage), with the coefficients below. Primaries other than BT.709's
// (Display P3 on iPhones) are mapped to sRGB after resizing by
// primariesTransform, as an embedded ICC profile would be.

// yccCoeffs converts one Y'CbCr sample triple to R'G'B'. Q16 fixed point:
// R = ys·(Y−yOff) + crR·(Cr−128), G = ys·(Y−yOff) − cbG·(Cb−128) − crG·(Cr−128),
// B = ys·(Y−yOff) + cbB·(Cb−128), rounded to nearest and clamped to 0..255.
type yccCoeffs struct {
	gbr                    bool // matrix 0: Y is G, Cb is B, Cr is R (each scaled by ys/yOff)
	yOff                   int32
	ys, crR, cbG, crG, cbB int32
}

// newYCCCoeffs returns the coefficients of H.273 matrix code point matrix
// and the range; unknown or unspecified matrices are BT.601 (libheif's
// default).
func newYCCCoeffs(matrix int, full bool) *yccCoeffs {
	kr, kb := 0.299, 0.114
	switch matrix {
	case 1:
		kr, kb = 0.2126, 0.0722
	case 4:
		kr, kb = 0.30, 0.11
	case 7:
		kr, kb = 0.212, 0.087
	case 9, 10:
		kr, kb = 0.2627, 0.0593
	}
	ys, cs, off := 1.0, 1.0, int32(0)
	if !full {
		ys, cs, off = 255.0/219, 255.0/224, 16
	}
	q := func(v float64) int32 { return int32(math.Round(v * 65536)) }
	c := &yccCoeffs{gbr: matrix == 0, yOff: off, ys: q(ys)}
	if c.gbr {
		return c
	}
	kg := 1 - kr - kb
	c.crR = q(2 * (1 - kr) * cs)
	c.cbB = q(2 * (1 - kb) * cs)
	c.cbG = q(2 * kb * (1 - kb) / kg * cs)
	c.crG = q(2 * kr * (1 - kr) / kg * cs)
	return c
}

// jfif reports whether the coefficients are image.YCbCr's own (full-range
// BT.601), so the stdlib conversion may be used.
func (c *yccCoeffs) jfif() bool {
	return !c.gbr && c.yOff == 0 && c.crR == newYCCCoeffs(6, true).crR && c.cbB == newYCCCoeffs(6, true).cbB
}

// convert writes one pixel's R, G, B into d[0:3].
func (c *yccCoeffs) convert(d []uint8, yv, cb, cr uint8) {
	c.convertQ3(d, yv, int32(cb)<<3, int32(cr)<<3)
}

// convertQ3 is convert with the chroma samples in Q3 (8× the 8-bit value,
// as the upsampler's interpolations leave them, unrounded).
func (c *yccCoeffs) convertQ3(d []uint8, yv uint8, cb, cr int32) {
	if c.gbr {
		d[0] = clampQ16((cr - c.yOff<<3) * c.ys >> 3)
		d[1] = clampQ16((int32(yv) - c.yOff) * c.ys)
		d[2] = clampQ16((cb - c.yOff<<3) * c.ys >> 3)
		return
	}
	yy := (int32(yv) - c.yOff) * c.ys
	cbv, crv := cb-128<<3, cr-128<<3
	d[0] = clampQ16(yy + c.crR*crv>>3)
	d[1] = clampQ16(yy - (c.cbG*cbv+c.crG*crv)>>3)
	d[2] = clampQ16(yy + c.cbB*cbv>>3)
}

// expandLUT maps a limited-range (16..235) luma sample to full range.
func (c *yccCoeffs) expandLUT() *[256]uint8 {
	var t [256]uint8
	for v := range t {
		t[v] = clampQ16((int32(v) - c.yOff) * c.ys)
	}
	return &t
}

// yccImage is an HEIC's decoded planes (any subsampling, bounds at the
// origin) with an optional alpha plane (nil when opaque), read as straight
// 8-bit RGBA through rows or At with the picture's own coefficients.
type yccImage struct {
	*image.YCbCr
	alpha   []uint8
	aStride int
	k       *yccCoeffs
}

func (m *yccImage) ColorModel() color.Model { return color.NRGBAModel }

func (m *yccImage) At(x, y int) color.Color {
	if !image.Pt(x, y).In(m.Rect) {
		return color.NRGBA{}
	}
	x, y = x-m.Rect.Min.X, y-m.Rect.Min.Y
	var d [4]uint8
	up := m.upsampler()
	cb, cr := up.at(m.Cb, x, y), up.at(m.Cr, x, y)
	m.k.convertQ3(d[:], m.Y[y*m.YStride+x], cb, cr)
	d[3] = 255
	if m.alpha != nil {
		d[3] = m.alpha[y*m.aStride+x]
	}
	return color.NRGBA{d[0], d[1], d[2], d[3]}
}

// Opaque reports whether every alpha sample is 255.
func (m *yccImage) Opaque() bool {
	if m.alpha == nil {
		return true
	}
	w := m.Rect.Dx()
	for y := 0; y < m.Rect.Dy(); y++ {
		for _, a := range m.alpha[y*m.aStride:][:w] {
			if a != 255 {
				return false
			}
		}
	}
	return true
}

// rows returns the rowFunc: row y as straight 8-bit RGBA, the same values
// as At, chroma upsampled by chromaUpsampler. The bounds must start at the
// origin (heif's output does).
func (m *yccImage) rows() rowFunc {
	w := m.Rect.Dx()
	up := m.upsampler()
	return func(y int, dst []uint8) {
		yrow := m.Y[y*m.YStride:][:w]
		dst = dst[:4*w]
		cbN, cbF, crN, crF, wn, wf := up.rows(m.Cb, m.Cr, y)
		switch up.hs {
		case 0:
			for x, yv := range yrow {
				cb := (wn*int32(cbN[x]) + wf*int32(cbF[x])) << 1
				cr := (wn*int32(crN[x]) + wf*int32(crF[x])) << 1
				m.k.convertQ3(dst[4*x:4*x+4:4*x+4], yv, cb, cr)
			}
		case 1:
			// Pixel 2i sits on chroma column i, pixel 2i+1 halfway to
			// column i+1 (the last column repeats at the right edge).
			last := up.cw - 1
			if !m.k.gbr {
				ycc420Row(dst, yrow, cbN, cbF, crN, crF, wn, wf, last, m.k)
				break
			}
			cb0 := wn*int32(cbN[0]) + wf*int32(cbF[0])
			cr0 := wn*int32(crN[0]) + wf*int32(crF[0])
			for x := 0; x < w; x += 2 {
				m.k.convertQ3(dst[4*x:4*x+4:4*x+4], yrow[x], cb0<<1, cr0<<1)
				if x+1 == w {
					break
				}
				n := min(x/2+1, last)
				cb1 := wn*int32(cbN[n]) + wf*int32(cbF[n])
				cr1 := wn*int32(crN[n]) + wf*int32(crF[n])
				m.k.convertQ3(dst[4*x+4:4*x+8:4*x+8], yrow[x+1], cb0+cb1, cr0+cr1)
				cb0, cr0 = cb1, cr1
			}
		default: // not produced by HEVC: nearest sample
			for x, yv := range yrow {
				cb := (wn*int32(cbN[x>>up.hs]) + wf*int32(cbF[x>>up.hs])) << 1
				cr := (wn*int32(crN[x>>up.hs]) + wf*int32(crF[x>>up.hs])) << 1
				m.k.convertQ3(dst[4*x:4*x+4:4*x+4], yv, cb, cr)
			}
		}
		for x := range w {
			dst[4*x+3] = 255
		}
		if m.alpha != nil {
			for x, a := range m.alpha[y*m.aStride:][:w] {
				dst[4*x+3] = a
			}
		}
	}
}

// ycc420Row is rows' loop for horizontally halved chroma and a Y'CbCr
// matrix (not gbr), with convertQ3 written out: the same values, without
// a call per pixel (convertQ3 is too large to inline).
func ycc420Row(dst, yrow, cbN, cbF, crN, crF []uint8, wn, wf int32, last int, k *yccCoeffs) {
	yOff, ys, crR, cbG, crG, cbB := k.yOff, k.ys, k.crR, k.cbG, k.crG, k.cbB
	put := func(d []uint8, yv uint8, cb, cr int32) {
		yy := (int32(yv) - yOff) * ys
		cbv, crv := cb-128<<3, cr-128<<3
		d[0] = clampQ16(yy + crR*crv>>3)
		d[1] = clampQ16(yy - (cbG*cbv+crG*crv)>>3)
		d[2] = clampQ16(yy + cbB*cbv>>3)
	}
	w := len(yrow)
	cb0 := wn*int32(cbN[0]) + wf*int32(cbF[0])
	cr0 := wn*int32(crN[0]) + wf*int32(crF[0])
	for x := 0; x < w; x += 2 {
		put(dst[4*x:4*x+3:4*x+3], yrow[x], cb0<<1, cr0<<1)
		if x+1 == w {
			break
		}
		n := min(x/2+1, last)
		cb1 := wn*int32(cbN[n]) + wf*int32(cbF[n])
		cr1 := wn*int32(crN[n]) + wf*int32(crF[n])
		put(dst[4*x+4:4*x+7:4*x+7], yrow[x+1], cb0+cb1, cr0+cr1)
		cb0, cr0 = cb1, cr1
	}
}

func (m *yccImage) upsampler() chromaUpsampler {
	return newChromaUpsampler(m.SubsampleRatio, m.Rect.Dx(), m.Rect.Dy(), m.CStride)
}

// chromaUpsampler interpolates HEVC chroma planes to luma resolution,
// bilinearly, at the positions ITU-T H.265 assigns to chroma samples
// with chroma_sample_loc_type 0 (Annex E, figure E.1), the default that
// x265, libheif and iPhones use (none of them signals another):
//   - horizontally, chroma sample i is co-sited with luma column 2i, so
//     luma column 2i takes it as is and column 2i+1 the mean of i and i+1;
//   - vertically (4:2:0 only), chroma row j lies halfway between luma rows
//     2j and 2j+1, so luma row 2j weighs row j by 3/4 and row j-1 by 1/4,
//     row 2j+1 weighs row j by 3/4 and row j+1 by 1/4.
//
// JPEG (JFIF) sites chroma in the middle of its luma samples both ways,
// which is why libjpeg's triangle filter weighs 3/4 and 1/4 horizontally
// too; applied to HEVC planes it would shift colour a quarter of a chroma
// sample to the right. Edges repeat the outermost sample.
//
// Precision: 8-bit samples in, Q3 out (8× the 8-bit value, unrounded: the
// vertical weights are quarters, the horizontal mean a half), so no
// rounding happens before the colour conversion.
type chromaUpsampler struct {
	hs, vs uint // chroma shifts (chromaShift)
	cw, ch int  // chroma samples per row, rows
	stride int
}

func newChromaUpsampler(r image.YCbCrSubsampleRatio, w, h, stride int) chromaUpsampler {
	hs, vs := chromaShift(r)
	return chromaUpsampler{hs: hs, vs: vs, cw: (w + 1<<hs - 1) >> hs, ch: (h + 1<<vs - 1) >> vs, stride: stride}
}

// rows returns, for luma row y, the chroma rows to blend (near and far for
// both planes) and their weights, which add up to 4.
func (u chromaUpsampler) rows(cbPlane, crPlane []uint8, y int) (cbN, cbF, crN, crF []uint8, wn, wf int32) {
	cy := y >> u.vs
	fy, wn, wf := cy, int32(4), int32(0)
	if u.vs == 1 {
		wn, wf = 3, 1
		if y&1 == 0 {
			fy = max(cy-1, 0)
		} else {
			fy = min(cy+1, u.ch-1)
		}
	}
	n, f := cy*u.stride, fy*u.stride
	return cbPlane[n:][:u.cw], cbPlane[f:][:u.cw], crPlane[n:][:u.cw], crPlane[f:][:u.cw], wn, wf
}

// at returns plane's upsampled value at luma (x, y), in Q3, as rows does.
func (u chromaUpsampler) at(plane []uint8, x, y int) int32 {
	near, far, _, _, wn, wf := u.rows(plane, plane, y)
	col := func(i int) int32 { return wn*int32(near[i]) + wf*int32(far[i]) }
	if u.hs != 1 {
		return col(x>>u.hs) << 1
	}
	i := x >> 1
	if x&1 == 0 {
		return col(i) << 1
	}
	return col(i) + col(min(i+1, u.cw-1))
}

// primariesTransform returns the transform from the H.273 colour primaries
// code point to sRGB's (BT.709's), or nil for BT.709, unspecified and
// unknown code points. The transfer is taken as sRGB's curve (iPhones
// write transfer 13, sRGB; HDR transfers are not tone-mapped). Both sides
// are D65, so M = inverse(sRGB RGB→XYZ) × (source RGB→XYZ).
func primariesTransform(code int) *colorTransform {
	xy, ok := map[int][3][2]float64{
		5:  {{0.64, 0.33}, {0.29, 0.60}, {0.15, 0.06}},
		6:  {{0.630, 0.340}, {0.310, 0.595}, {0.155, 0.070}},
		7:  {{0.630, 0.340}, {0.310, 0.595}, {0.155, 0.070}},
		9:  {{0.708, 0.292}, {0.170, 0.797}, {0.131, 0.046}},
		12: {{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}, // Display P3
	}[code]
	if !ok {
		return nil
	}
	src, ok1 := rgbToXYZ(xy)
	srgb, ok2 := rgbToXYZ([3][2]float64{{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}})
	inv, ok3 := invert3(srgb)
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	m := mul3(inv, src)
	var ct colorTransform
	identity := true
	for i := range 3 {
		for j := range 3 {
			ct.m[i][j] = float32(m[i][j])
			want := 0.0
			if i == j {
				want = 1
			}
			identity = identity && math.Abs(m[i][j]-want) < 0.002
		}
	}
	if identity {
		return nil
	}
	for c := range 3 {
		for v := range 256 {
			ct.lin[c][v] = float32(srgbToLinear(float64(v) / 255))
		}
	}
	return &ct
}

// rgbToXYZ returns the RGB→XYZ matrix (columns r, g, b) of primaries with
// chromaticities xy and the D65 white point.
func rgbToXYZ(xy [3][2]float64) ([3][3]float64, bool) {
	var p [3][3]float64
	for c := range 3 {
		x, y := xy[c][0], xy[c][1]
		p[0][c], p[1][c], p[2][c] = x/y, 1, (1-x-y)/y
	}
	inv, ok := invert3(p)
	if !ok {
		return p, false
	}
	const wx, wy = 0.3127, 0.3290
	w := [3]float64{wx / wy, 1, (1 - wx - wy) / wy}
	for c := range 3 {
		s := inv[c][0]*w[0] + inv[c][1]*w[1] + inv[c][2]*w[2]
		for r := range 3 {
			p[r][c] *= s
		}
	}
	return p, true
}
