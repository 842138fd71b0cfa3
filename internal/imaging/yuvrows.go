package imaging

import "image"

// packedRowsOf returns a packedRowFunc for the common opaque JPEG case
// (*image.YCbCr at origin, any subsampling), or nil.
//
// Precision: the integer arithmetic of color.YCbCrToRGB (JFIF BT.601 full
// range, Q16 coefficients, result >>16 clamped to 0..255) is reproduced
// exactly, so the output equals packRGB of the 8-bit conversion; the chroma
// terms are computed once per chroma sample and each clamp is one table
// lookup that also places the value in its lane.
func packedRowsOf(img image.Image) packedRowFunc {
	m, ok := img.(*image.YCbCr)
	if !ok || m.Rect.Min != (image.Point{}) {
		return nil
	}
	w := m.Rect.Dx()
	hs, vs := chromaShift(m.SubsampleRatio)
	return func(y int, dst []uint64) {
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		co := (y >> vs) * m.CStride
		cw := (w + 1<<hs - 1) >> hs
		cb, cr := m.Cb[co:co+cw], m.Cr[co:co+cw]
		dst = dst[:w]
		if hs == 1 { // 4:2:2 and 4:2:0: two pixels per chroma sample
			pairs := w / 2
			pb, pr := cb[:pairs], cr[:pairs]
			for cx := range pb {
				cb1 := int32(pb[cx]) - 128
				cr1 := int32(pr[cx]) - 128
				tr := 91881*cr1 + 512<<16
				tg := -22554*cb1 - 46802*cr1 + 512<<16
				tb := 116130*cb1 + 512<<16
				yp := yrow[2*cx : 2*cx+2 : 2*cx+2]
				d := dst[2*cx : 2*cx+2 : 2*cx+2]
				y0, y1 := int32(yp[0])*0x10101, int32(yp[1])*0x10101
				d[0] = clampTab[uint32(y0+tr)>>16&1023] | clampTab[uint32(y0+tg)>>16&1023]<<21 | clampTab[uint32(y0+tb)>>16&1023]<<42
				d[1] = clampTab[uint32(y1+tr)>>16&1023] | clampTab[uint32(y1+tg)>>16&1023]<<21 | clampTab[uint32(y1+tb)>>16&1023]<<42
			}
			if w%2 == 0 {
				return
			}
			cb, cr, yrow = cb[pairs:], cr[pairs:], yrow[2*pairs:]
			dst = dst[2*pairs:]
		}
		step := 1 << hs
		for cx := range cb {
			cb1 := int32(cb[cx]) - 128
			cr1 := int32(cr[cx]) - 128
			tr := 91881 * cr1
			tg := -22554*cb1 - 46802*cr1
			tb := 116130 * cb1
			x0 := cx << hs
			x1 := min(x0+step, len(yrow))
			for x := x0; x < x1; x++ {
				yy := int32(yrow[x]) * 0x10101
				dst[x] = clampTab[(yy+tr)>>16+512] | clampTab[(yy+tg)>>16+512]<<21 | clampTab[(yy+tb)>>16+512]<<42
			}
		}
	}
}

// clampTab maps v>>16 + 512 (v in Q16, |v>>16| < 512) to clamp(v>>16, 0, 255).
// The 4:2:x loop adds the 512 before the shift and masks the index so the
// lookup needs no bounds check.
var clampTab = func() (t [1024]uint64) {
	for i := range t {
		t[i] = uint64(min(max(i-512, 0), 255))
	}
	return t
}()
