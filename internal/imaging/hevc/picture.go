package hevc

// Planes8 returns the cropped planes as tightly packed 8-bit samples
// (stride Width for Y, ChromaWidth for Cb and Cr). Deeper samples are
// rounded to nearest: (v + 2^(bd-9)) >> (bd-8), clipped to 255. For
// Chroma400 cb and cr are nil.
func (p *Picture) Planes8() (y, cb, cr []uint8) {
	y = to8(p.Y, p.YStride, p.Width, p.Height, p.BitDepth)
	if p.Cb != nil {
		cb = to8(p.Cb, p.CStride, p.ChromaWidth, p.ChromaHeight, p.BitDepthChroma)
		cr = to8(p.Cr, p.CStride, p.ChromaWidth, p.ChromaHeight, p.BitDepthChroma)
	}
	return y, cb, cr
}

func to8(src []uint16, stride, w, h, bd int) []uint8 {
	out := make([]uint8, w*h)
	sh := uint(bd - 8)
	var rnd uint32
	if sh > 0 {
		rnd = 1 << (sh - 1)
	}
	for yy := 0; yy < h; yy++ {
		row := src[yy*stride : yy*stride+w]
		o := out[yy*w : yy*w+w]
		if sh == 0 {
			// 8-bit samples are at most 255 (reconstruction clips them).
			for x, v := range row {
				o[x] = uint8(v)
			}
			continue
		}
		for x, v := range row {
			o[x] = uint8(min((uint32(v)+rnd)>>sh, 255))
		}
	}
	return out
}
