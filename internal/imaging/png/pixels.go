package png

// convert turns one unfiltered row of w pixels (§7.2: samples packed big
// end first, 16-bit samples big-endian) into w output pixels: greyscale or
// palette index bytes, or straight 8-bit RGBA.
//
// The values are image/png's reduced to 8 bits: low bit depths of grey
// scale to 0..255 (×255, ×85, ×17), 16-bit samples keep their high byte,
// and a tRNS colour makes a pixel transparent where image/png's would be.
// As in image/png, an 8-bit-or-less image compares the low byte of each
// tRNS sample after that scaling, a 16-bit one all 16 bits.
func (d *decoder) convert(dst, src []uint8, w int) {
	switch d.ct {
	case ctGray:
		d.convertGray(dst, src, w)
	case ctPaletted:
		unpack(dst[:w], src, d.depth)
	case ctGrayAlpha:
		s := 2 * d.depth / 8 // bytes a pixel: 2 or 4
		for x := 0; x < w; x++ {
			v, a := src[s*x], src[s*x+s/2]
			p := dst[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = v, v, v, a
		}
	case ctTrueColor:
		d.convertRGB(dst, src, w)
	case ctRGBA:
		if d.depth == 8 {
			copy(dst[:4*w], src)
			return
		}
		for x := 0; x < w; x++ {
			q := src[8*x : 8*x+8 : 8*x+8]
			p := dst[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = q[0], q[2], q[4], q[6]
		}
	}
}

// scale maps a grey sample of 1, 2 or 4 bits to 8 bits.
var scale = [5]uint8{1: 0xff, 2: 0x55, 4: 0x11}

func (d *decoder) convertGray(dst, src []uint8, w int) {
	if !d.hasTRNS { // *image.Gray
		switch d.depth {
		case 8:
			copy(dst[:w], src)
		case 16:
			for x := range dst[:w] {
				dst[x] = src[2*x]
			}
		default:
			unpack(dst[:w], src, d.depth)
			m := scale[d.depth]
			for x, v := range dst[:w] {
				dst[x] = v * m
			}
		}
		return
	}
	// *image.NRGBA, transparent where the sample equals tRNS.
	for x := 0; x < w; x++ {
		var v uint8
		var clear bool
		switch d.depth {
		case 16:
			v = src[2*x]
			clear = src[2*x] == d.trns[0] && src[2*x+1] == d.trns[1]
		case 8:
			v = src[x]
			clear = v == d.trns[1]
		default:
			shift := 8 - d.depth - (x*d.depth)%8
			v = (src[x*d.depth/8] >> shift) & (1<<d.depth - 1) * scale[d.depth]
			clear = v == d.trns[1]*scale[d.depth]
		}
		a := uint8(0xff)
		if clear {
			a = 0
		}
		p := dst[4*x : 4*x+4 : 4*x+4]
		p[0], p[1], p[2], p[3] = v, v, v, a
	}
}

func (d *decoder) convertRGB(dst, src []uint8, w int) {
	if d.depth == 8 {
		tr, tg, tb := d.trns[1], d.trns[3], d.trns[5]
		for x := 0; x < w; x++ {
			q := src[3*x : 3*x+3 : 3*x+3]
			p := dst[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = q[0], q[1], q[2], 0xff
			if d.hasTRNS && q[0] == tr && q[1] == tg && q[2] == tb {
				p[3] = 0
			}
		}
		return
	}
	t := d.trns
	for x := 0; x < w; x++ {
		q := src[6*x : 6*x+6 : 6*x+6]
		p := dst[4*x : 4*x+4 : 4*x+4]
		p[0], p[1], p[2], p[3] = q[0], q[2], q[4], 0xff
		if d.hasTRNS && q[0] == t[0] && q[1] == t[1] && q[2] == t[2] && q[3] == t[3] && q[4] == t[4] && q[5] == t[5] {
			p[3] = 0
		}
	}
}

// unpack writes len(dst) samples of depth bits (1, 2, 4 or 8), packed big
// end first in src, one a byte.
func unpack(dst, src []uint8, depth int) {
	if depth == 8 {
		copy(dst, src)
		return
	}
	perByte := 8 / depth
	mask := uint8(1<<depth - 1)
	for x := range dst {
		shift := uint(8 - depth - (x%perByte)*depth)
		dst[x] = src[x/perByte] >> shift & mask
	}
}
