package webpenc

// Transforms (RFC 6386 section 14). The inverse transforms are the
// normative decoder arithmetic, so the encoder's reconstruction is
// bit-exact with every conforming decoder; the forward transforms only
// need to invert them closely.

// fdct4Generic computes the forward DCT of the 4×4 residual src−pred (both stride
// bps for src at so, pred stride ps at po) into out, raster order. Q0
// pixels in; out is scaled like the decoder's inverse expects (DC = 8 × the
// mean residual), 12/16-bit fixed-point rotations (2217 = 4096·sin(π/8)·√2,
// 5352 = 4096·cos(π/8)·√2), rounded. fdct4 (kernels_*.go) is this or
// its assembly version.
func fdct4Generic(src []uint8, so int, pred []uint8, po, ps int, out *[16]int16) {
	var tmp [16]int32
	for i := 0; i < 4; i++ {
		s := src[so+i*bps : so+i*bps+4]
		p := pred[po+i*ps : po+i*ps+4]
		d0 := int32(s[0]) - int32(p[0])
		d1 := int32(s[1]) - int32(p[1])
		d2 := int32(s[2]) - int32(p[2])
		d3 := int32(s[3]) - int32(p[3])
		a0 := (d0 + d3) * 8
		a1 := (d1 + d2) * 8
		a2 := (d1 - d2) * 8
		a3 := (d0 - d3) * 8
		tmp[i*4+0] = a0 + a1
		tmp[i*4+2] = a0 - a1
		tmp[i*4+1] = (a2*2217 + a3*5352 + 14500) >> 12
		tmp[i*4+3] = (a3*2217 - a2*5352 + 7500) >> 12
	}
	for i := 0; i < 4; i++ {
		a0 := tmp[i] + tmp[12+i]
		a1 := tmp[4+i] + tmp[8+i]
		a2 := tmp[4+i] - tmp[8+i]
		a3 := tmp[i] - tmp[12+i]
		out[i] = int16((a0 + a1 + 7) >> 4)
		out[8+i] = int16((a0 - a1 + 7) >> 4)
		nz := int32(0)
		if a3 != 0 {
			nz = 1
		}
		out[4+i] = int16((a2*2217+a3*5352+12000)>>16 + nz)
		out[12+i] = int16((a3*2217 - a2*5352 + 51000) >> 16)
	}
}

// idct4AddGeneric reconstructs dst (stride ds, at do) = clip(pred + IDCT(in))
// exactly as section 14.3 (20091/65536 = cos(π/8)·√2 − 1,
// 35468/65536 = sin(π/8)·√2). idct4Add (kernels_*.go) is this or its
// assembly version.
func idct4AddGeneric(in *[16]int16, pred []uint8, po, ps int, dst []uint8, do, ds int) {
	const c1, c2 = 85627, 35468
	if in[1]|in[2]|in[3]|in[4]|in[5]|in[6]|in[7]|in[8]|in[9]|in[10]|in[11]|in[12]|in[13]|in[14]|in[15] == 0 {
		// DC only: every output is pred + (dc+4)>>3, the same arithmetic.
		dc := (int32(in[0]) + 4) >> 3
		for j := 0; j < 4; j++ {
			p := pred[po+j*ps : po+j*ps+4]
			o := dst[do+j*ds : do+j*ds+4]
			if dc == 0 {
				copy(o, p)
				continue
			}
			o[0] = clip255(int32(p[0]) + dc)
			o[1] = clip255(int32(p[1]) + dc)
			o[2] = clip255(int32(p[2]) + dc)
			o[3] = clip255(int32(p[3]) + dc)
		}
		return
	}
	var m [16]int32
	for i := 0; i < 4; i++ {
		i0, i4, i8, i12 := int32(in[i]), int32(in[4+i]), int32(in[8+i]), int32(in[12+i])
		a := i0 + i8
		b := i0 - i8
		c := (i4*c2)>>16 - (i12*c1)>>16
		d := (i4*c1)>>16 + (i12*c2)>>16
		m[i*4+0] = a + d
		m[i*4+1] = b + c
		m[i*4+2] = b - c
		m[i*4+3] = a - d
	}
	for j := 0; j < 4; j++ {
		dc := m[j] + 4
		a := dc + m[8+j]
		b := dc - m[8+j]
		c := (m[4+j]*c2)>>16 - (m[12+j]*c1)>>16
		d := (m[4+j]*c1)>>16 + (m[12+j]*c2)>>16
		p := pred[po+j*ps : po+j*ps+4]
		o := dst[do+j*ds : do+j*ds+4]
		o[0] = clip255(int32(p[0]) + (a+d)>>3)
		o[1] = clip255(int32(p[1]) + (b+c)>>3)
		o[2] = clip255(int32(p[2]) + (b-c)>>3)
		o[3] = clip255(int32(p[3]) + (a-d)>>3)
	}
}

// fwht computes the forward Walsh–Hadamard transform of the 16 luma DC
// coefficients (raster order of the subblocks) so that iwht inverts it:
// out[0] = sum/2 of the inputs, rounded toward zero as the reference.
func fwht(in *[16]int16, out *[16]int16) {
	var tmp [16]int32
	for i := 0; i < 4; i++ {
		r := in[i*4 : i*4+4]
		a0 := (int32(r[0]) + int32(r[2])) * 4
		a1 := (int32(r[1]) + int32(r[3])) * 4
		a2 := (int32(r[1]) - int32(r[3])) * 4
		a3 := (int32(r[0]) - int32(r[2])) * 4
		v := a0 + a1
		if a0 != 0 {
			v++
		}
		tmp[i*4+0] = v
		tmp[i*4+1] = a3 + a2
		tmp[i*4+2] = a3 - a2
		tmp[i*4+3] = a0 - a1
	}
	for i := 0; i < 4; i++ {
		a0 := tmp[i] + tmp[8+i]
		a1 := tmp[4+i] + tmp[12+i]
		a2 := tmp[4+i] - tmp[12+i]
		a3 := tmp[i] - tmp[8+i]
		b := [4]int32{a0 + a1, a3 + a2, a3 - a2, a0 - a1}
		for k, v := range b {
			if v < 0 {
				v++
			}
			out[k*4+i] = int16((v + 3) >> 3)
		}
	}
}

// iwht is the decoder's inverse WHT (section 14.3): out[k] is the DC of
// luma subblock k.
func iwht(in *[16]int16, out *[16]int16) {
	var m [16]int32
	for i := 0; i < 4; i++ {
		a0 := int32(in[i]) + int32(in[12+i])
		a1 := int32(in[4+i]) + int32(in[8+i])
		a2 := int32(in[4+i]) - int32(in[8+i])
		a3 := int32(in[i]) - int32(in[12+i])
		m[i] = a0 + a1
		m[8+i] = a0 - a1
		m[4+i] = a3 + a2
		m[12+i] = a3 - a2
	}
	for i := 0; i < 4; i++ {
		dc := m[i*4] + 3
		a0 := dc + m[i*4+3]
		a1 := m[i*4+1] + m[i*4+2]
		a2 := m[i*4+1] - m[i*4+2]
		a3 := dc - m[i*4+3]
		out[i*4+0] = int16((a0 + a1) >> 3)
		out[i*4+1] = int16((a3 + a2) >> 3)
		out[i*4+2] = int16((a0 - a1) >> 3)
		out[i*4+3] = int16((a3 - a2) >> 3)
	}
}
