package jpegenc

// JFIF RGB→YCbCr (T.871 §7) in Q16 fixed point; each row of coefficients
// sums to exactly 0 or 65536 so grey stays grey.
const (
	yR, yG, yB    = 19595, 38470, 7471    // 0.299, 0.587, 0.114
	cbR, cbG, cbB = -11059, -21709, 32768 // -0.168736, -0.331264, 0.5
	crR, crG, crB = 32768, -27439, -5329  // 0.5, -0.418688, -0.081312
)

// convertRow fills b.y, b.cb, b.cr for MCU row my: Y for 16 pixel rows and
// Cb/Cr for 8, each the mean of a 2×2 pixel block (4:2:0), all level-shifted
// to [-128, 127] (Q0). Chroma is computed from the 2×2 sums of R, G, B, which
// equals averaging the per-pixel Cb/Cr (the transform is linear) with one
// rounding instead of two. Pixels outside the image replicate the last
// column/row, as libjpeg pads.
func (e *encoder) convertRow(b *band, my int) {
	pw := e.mcuW * 16
	cw := pw / 2
	w := e.w
	half := (w + 1) / 2 // chroma samples with real pixels
	for py := 0; py < 8; py++ {
		y0 := min(my*16+2*py, e.h-1)
		y1 := min(y0+1, e.h-1)
		r0 := e.pix[y0*e.stride : y0*e.stride+4*w]
		r1 := e.pix[y1*e.stride : y1*e.stride+4*w]
		ya := b.y[2*py*pw : 2*py*pw+pw]
		yb := b.y[(2*py+1)*pw : (2*py+1)*pw+pw]
		cbr := b.cb[py*cw : py*cw+cw]
		crr := b.cr[py*cw : py*cw+cw]
		for cx := 0; cx < half; cx++ {
			x0 := 2 * cx
			x1 := min(x0+1, w-1)
			p := r0[4*x0 : 4*x0+3 : 4*x0+3]
			q := r0[4*x1 : 4*x1+3 : 4*x1+3]
			s := r1[4*x0 : 4*x0+3 : 4*x0+3]
			t := r1[4*x1 : 4*x1+3 : 4*x1+3]
			R0, G0, B0 := int32(p[0]), int32(p[1]), int32(p[2])
			R1, G1, B1 := int32(q[0]), int32(q[1]), int32(q[2])
			R2, G2, B2 := int32(s[0]), int32(s[1]), int32(s[2])
			R3, G3, B3 := int32(t[0]), int32(t[1]), int32(t[2])
			ya[x0] = int16((yR*R0+yG*G0+yB*B0+1<<15)>>16 - 128)
			ya[x0+1] = int16((yR*R1+yG*G1+yB*B1+1<<15)>>16 - 128)
			yb[x0] = int16((yR*R2+yG*G2+yB*B2+1<<15)>>16 - 128)
			yb[x0+1] = int16((yR*R3+yG*G3+yB*B3+1<<15)>>16 - 128)
			R, G, B := R0+R1+R2+R3, G0+G1+G2+G3, B0+B1+B2+B3
			cbr[cx] = int16((cbR*R + cbG*G + cbB*B + 1<<17) >> 18)
			crr[cx] = int16((crR*R + crG*G + crB*B + 1<<17) >> 18)
		}
		// Right padding: replicate the last real column.
		for x := w; x < pw; x++ {
			ya[x] = ya[w-1]
			yb[x] = yb[w-1]
		}
		for x := half; x < cw; x++ {
			cbr[x] = cbr[half-1]
			crr[x] = crr[half-1]
		}
	}
}
