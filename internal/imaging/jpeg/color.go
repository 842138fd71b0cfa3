package jpeg

import (
	"encoding/binary"
	"image"
	"runtime"
	"sync"
)

// JFIF YCbCr -> RGB (ITU-R BT.601 full range):
//
//	R = Y + 1.402 (Cr-128)
//	G = Y - 0.344136 (Cb-128) - 0.714136 (Cr-128)
//	B = Y + 1.772 (Cb-128)
//
// as per-chroma-value tables: crR and cbB are Q0 (rounded), crG and cbG are
// Q16 with the rounding half folded into cbG.
var crR, cbB, crG, cbG [256]int32

func init() {
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (91881*x + 1<<15) >> 16
		cbB[i] = (116130*x + 1<<15) >> 16
		crG[i] = -46802 * x
		cbG[i] = -22554*x + 1<<15
	}
}

// outSize is the decoded image size at the decode scale.
func (d *decoder) outSize() (int, int) {
	return (d.width + d.scale - 1) / d.scale, (d.height + d.scale - 1) / d.scale
}

// image wraps the decoded planes in the image type documented on Decode.
func (d *decoder) image() (image.Image, error) {
	w, h := d.outSize()
	r := image.Rect(0, 0, w, h)
	switch d.colorSpace() {
	case "gray":
		c := &d.comp[0]
		return &image.Gray{Pix: c.pix, Stride: c.stride, Rect: r}, nil
	case "ycbcr":
		if ratio, ok := d.subsampleRatio(); ok {
			return &image.YCbCr{
				Y: d.comp[0].pix, Cb: d.comp[1].pix, Cr: d.comp[2].pix,
				YStride: d.comp[0].stride, CStride: d.comp[1].stride,
				SubsampleRatio: ratio, Rect: r,
			}, nil
		}
	case "cmyk", "ycck":
		return d.cmyk(), nil
	}
	return d.rgba(), nil
}

// subsampleRatio maps the sampling factors to an image.YCbCr ratio: luma
// must have the largest factors and both chroma components equal ones.
func (d *decoder) subsampleRatio() (image.YCbCrSubsampleRatio, bool) {
	y, cb, cr := d.upsampling(0), d.upsampling(1), d.upsampling(2)
	if y != [2]int{1, 1} || cb != cr {
		return 0, false
	}
	switch cb {
	case [2]int{1, 1}:
		return image.YCbCrSubsampleRatio444, true
	case [2]int{2, 1}:
		return image.YCbCrSubsampleRatio422, true
	case [2]int{2, 2}:
		return image.YCbCrSubsampleRatio420, true
	case [2]int{1, 2}:
		return image.YCbCrSubsampleRatio440, true
	case [2]int{4, 1}:
		return image.YCbCrSubsampleRatio411, true
	case [2]int{4, 2}:
		return image.YCbCrSubsampleRatio410, true
	}
	return 0, false
}

// upsampling returns component ci's upsampling factors from its plane to
// the output: the sampling ratio, less what its larger IDCT already did.
func (d *decoder) upsampling(ci int) [2]int {
	c := &d.comp[ci]
	return [2]int{d.maxH * d.bs / (c.h * c.bs), d.maxV * d.bs / (c.v * c.bs)}
}

// parallelRows runs fn over [0,h) split into GOMAXPROCS bands.
func parallelRows(h int, fn func(y0, y1 int)) {
	nw := min(runtime.GOMAXPROCS(0), max(h/16, 1))
	if nw <= 1 {
		fn(0, h)
		return
	}
	var wg sync.WaitGroup
	for g := 0; g < nw; g++ {
		y0, y1 := h*g/nw, h*(g+1)/nw
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(y0, y1)
		}()
	}
	wg.Wait()
}

// rowSampler yields component rows at output resolution. Factors of 2
// use libjpeg's "fancy" triangle filter (each output sample weighs the
// nearer input sample 3/4 and the farther 1/4, chroma being sited between
// luma samples); other factors replicate (box). Rows are built into
// per-goroutine buffers, never as full-size planes.
type rowSampler struct {
	c      *component
	rx, ry int // upsampling factors
	w      int // output width
	cw, ch int // valid input samples per row, rows
	fancy  bool
	buf    []byte
	col    []int32 // vertical blend, 4x (ry == 2)
}

func (d *decoder) sampler(ci, w, h int) rowSampler {
	c := &d.comp[ci]
	u := d.upsampling(ci)
	s := rowSampler{c: c, rx: u[0], ry: u[1], w: w}
	// Like libjpeg, no triangle filter at 1/8 scale (a sample per block).
	s.fancy = d.bs > 1
	s.cw = min((w+s.rx-1)/s.rx, c.stride)
	s.ch = min((h+s.ry-1)/s.ry, len(c.pix)/c.stride)
	if s.rx > 1 || s.ry > 1 {
		s.buf = make([]byte, w)
	}
	if s.ry == 2 || s.rx == 2 {
		s.col = make([]int32, s.cw)
	}
	return s
}

// row returns output row y's samples, w long.
func (s *rowSampler) row(y int) []byte {
	c := s.c
	if s.rx == 1 && s.ry == 1 {
		r := c.pix[y*c.stride:]
		return r[:s.w]
	}
	out := s.buf[:s.w]
	if s.fancy && s.ry == 2 && (s.rx == 1 || s.rx == 2) {
		cy := y >> 1
		fy := cy + 1
		if y&1 == 0 {
			fy = cy - 1
		}
		fy = max(0, min(fy, s.ch-1))
		near := c.pix[cy*c.stride:]
		far := c.pix[fy*c.stride:]
		near, far = near[:s.cw], far[:s.cw]
		col := s.col[:s.cw]
		for i := range col {
			col[i] = 3*int32(near[i]) + int32(far[i])
		}
		if s.rx == 1 {
			// h1v2: rounding bias 1 for the upper output row, 2 for the lower.
			bias := int32(1 + y&1)
			for i, v := range col {
				out[i] = uint8((v + bias) >> 2)
			}
			return out
		}
		// h2v2: horizontal triangle over the 4x column sums, /16.
		n := len(col)
		for i := 0; i < n; i++ {
			l, r := col[max(i-1, 0)], col[min(i+1, n-1)]
			v := 3 * col[i]
			if 2*i < len(out) {
				out[2*i] = uint8((v + l + 8) >> 4)
			}
			if 2*i+1 < len(out) {
				out[2*i+1] = uint8((v + r + 7) >> 4)
			}
		}
		return out
	}
	src := c.pix[(y/s.ry)*c.stride:]
	src = src[:s.cw]
	if s.fancy && s.rx == 2 {
		// h2v1 triangle filter.
		n := len(src)
		for i := 0; i < n; i++ {
			l, r := int32(src[max(i-1, 0)]), int32(src[min(i+1, n-1)])
			v := 3 * int32(src[i])
			if 2*i < len(out) {
				out[2*i] = uint8((v + l + 1) >> 2)
			}
			if 2*i+1 < len(out) {
				out[2*i+1] = uint8((v + r + 2) >> 2)
			}
		}
		return out
	}
	for x := range out {
		out[x] = src[x/s.rx]
	}
	return out
}

// fancyCols returns, for output row y of a component upsampled 2x
// horizontally with the triangle filter, the input-resolution samples the
// horizontal pass interpolates (4x vertical blends for ry == 2, plain
// samples for ry == 1), with the rounding biases and shift of that pass.
func (s *rowSampler) fancyCols(y int) (col []int32, biasE, biasO int32, sh uint) {
	c := s.c
	col = s.col[:s.cw]
	if s.ry == 1 {
		src := c.pix[y*c.stride:]
		src = src[:len(col)]
		for i, v := range src {
			col[i] = int32(v)
		}
		return col, 1, 2, 2
	}
	cy := y >> 1
	fy := cy + 1
	if y&1 == 0 {
		fy = cy - 1
	}
	fy = max(0, min(fy, s.ch-1))
	near := c.pix[cy*c.stride:]
	far := c.pix[fy*c.stride:]
	near, far = near[:len(col)], far[:len(col)]
	for i := range col {
		col[i] = 3*int32(near[i]) + int32(far[i])
	}
	return col, 8, 7, 4
}

// fusedH2 reports whether both chroma components can go through
// rowYCbCrH2: triangle-filtered 2x horizontally, same vertical factor.
func fusedH2(cb, cr *rowSampler) bool {
	return cb.fancy && cb.rx == 2 && cr.rx == 2 && cb.ry == cr.ry && (cb.ry == 1 || cb.ry == 2)
}

// rowYCbCrH2 converts one row whose chroma is halved horizontally, doing
// the horizontal triangle filter (output 2i weighs column i by 3/4 and
// i-1 by 1/4, output 2i+1 column i and i+1) inside the conversion loop.
func rowYCbCrH2(dst, y []byte, cb, cr []int32, biasE, biasO int32, sh uint) {
	n := len(cb)
	cr = cr[:n]
	w := len(y)
	dst = dst[:4*w]
	for i := 0; i < n; i++ {
		l, r := max(i-1, 0), min(i+1, n-1)
		b3, r3 := 3*cb[i], 3*cr[i]
		x := 2 * i
		if x < w {
			b := (b3 + cb[l] + biasE) >> sh
			rr := (r3 + cr[l] + biasE) >> sh
			yy := int32(y[x])
			binary.LittleEndian.PutUint32(dst[4*x:], uint32(clamp8(yy+crR[rr&0xff]))|
				uint32(clamp8(yy+(cbG[b&0xff]+crG[rr&0xff])>>16))<<8|
				uint32(clamp8(yy+cbB[b&0xff]))<<16|0xff000000)
		}
		if x+1 < w {
			b := (b3 + cb[r] + biasO) >> sh
			rr := (r3 + cr[r] + biasO) >> sh
			yy := int32(y[x+1])
			binary.LittleEndian.PutUint32(dst[4*x+4:], uint32(clamp8(yy+crR[rr&0xff]))|
				uint32(clamp8(yy+(cbG[b&0xff]+crG[rr&0xff])>>16))<<8|
				uint32(clamp8(yy+cbB[b&0xff]))<<16|0xff000000)
		}
	}
}

// rgba converts the planes to RGBA, fusing upsampling and colour
// conversion row by row, in parallel bands.
func (d *decoder) rgba() *image.RGBA {
	w, h := d.outSize()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cs := d.colorSpace()
	parallelRows(h, func(y0, y1 int) {
		var ss [maxComponents]rowSampler
		for i := 0; i < d.nComp; i++ {
			ss[i] = d.sampler(i, w, h)
		}
		for y := y0; y < y1; y++ {
			dst := img.Pix[y*img.Stride:]
			dst = dst[:4*w]
			switch cs {
			case "gray":
				g := ss[0].row(y)
				for x, v := range g {
					p := dst[4*x : 4*x+4 : 4*x+4]
					p[0], p[1], p[2], p[3] = v, v, v, 255
				}
			case "rgb":
				rowRGB(dst, ss[0].row(y), ss[1].row(y), ss[2].row(y))
			case "ycbcr":
				if fusedH2(&ss[1], &ss[2]) {
					cb, be, bo, sh := ss[1].fancyCols(y)
					cr, _, _, _ := ss[2].fancyCols(y)
					rowYCbCrH2(dst, ss[0].row(y), cb, cr, be, bo, sh)
				} else {
					rowYCbCr(dst, ss[0].row(y), ss[1].row(y), ss[2].row(y))
				}
			case "cmyk", "ycck":
				var rows [4][]byte
				for i := range rows {
					rows[i] = ss[i].row(y)
				}
				for x := 0; x < w; x++ {
					c, m, yy, k := d.cmykAt(rows[0][x], rows[1][x], rows[2][x], rows[3][x])
					kk := 255 - uint32(k)
					p := dst[4*x : 4*x+4 : 4*x+4]
					p[0] = uint8((255 - uint32(c)) * kk / 255)
					p[1] = uint8((255 - uint32(m)) * kk / 255)
					p[2] = uint8((255 - uint32(yy)) * kk / 255)
					p[3] = 255
				}
			}
		}
	})
	return img
}

func rowRGB(dst, r, g, b []byte) {
	for x := range r {
		p := dst[4*x : 4*x+4 : 4*x+4]
		p[0], p[1], p[2], p[3] = r[x], g[x], b[x], 255
	}
}

// rowYCbCr converts one row with co-sited chroma, one 32-bit store per
// pixel.
func rowYCbCr(dst, y, cb, cr []byte) {
	cb = cb[:len(y)]
	cr = cr[:len(y)]
	dst = dst[:4*len(y)]
	for x, yv := range y {
		yy := int32(yv)
		b, r := cb[x], cr[x]
		v := uint32(clamp8(yy+crR[r])) | uint32(clamp8(yy+(cbG[b]+crG[r])>>16))<<8 |
			uint32(clamp8(yy+cbB[b]))<<16 | 0xff000000
		binary.LittleEndian.PutUint32(dst[4*x:], v)
	}
}

// cmykAt converts one stored 4-component sample to standard CMYK (0 = no
// ink). Adobe files store CMYK inverted (Adobe TN 5116); YCCK is YCbCr of
// the inverted C, M, Y, so its RGB result already is standard C, M, Y.
func (d *decoder) cmykAt(a, b, c, k uint8) (uint8, uint8, uint8, uint8) {
	if d.adobe && d.adobeTransform == 2 {
		yy := int32(a)
		return clamp8(yy + crR[c]), clamp8(yy + (cbG[b]+crG[c])>>16), clamp8(yy + cbB[b]), 255 - k
	}
	if d.adobe {
		return 255 - a, 255 - b, 255 - c, 255 - k
	}
	return a, b, c, k
}

// cmyk builds an *image.CMYK in standard semantics.
func (d *decoder) cmyk() *image.CMYK {
	w, h := d.outSize()
	img := image.NewCMYK(image.Rect(0, 0, w, h))
	parallelRows(h, func(y0, y1 int) {
		var ss [4]rowSampler
		for i := range ss {
			ss[i] = d.sampler(i, w, h)
		}
		for y := y0; y < y1; y++ {
			dst := img.Pix[y*img.Stride:]
			dst = dst[:4*w]
			r0, r1, r2, r3 := ss[0].row(y), ss[1].row(y), ss[2].row(y), ss[3].row(y)
			for x := 0; x < w; x++ {
				p := dst[4*x : 4*x+4 : 4*x+4]
				p[0], p[1], p[2], p[3] = d.cmykAt(r0[x], r1[x], r2[x], r3[x])
			}
		}
	})
	return img
}
