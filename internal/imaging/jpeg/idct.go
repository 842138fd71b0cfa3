package jpeg

// Inverse DCT, T.81 A.3.3:
//
//	s(y,x) = 1/4 sum_u sum_v C(u) C(v) S(v,u) cos((2x+1)u pi/16) cos((2y+1)v pi/16)
//
// with C(0) = 1/sqrt2, C(k>0) = 1. A reduced transform outputs the exact
// box average of each (8/N)x(8/N) group of the full transform's (unrounded)
// output, computed in the DCT domain. In one dimension, averaging outputs 2j
// and 2j+1 multiplies frequency k by w(k) = cos(k pi/16) and samples
// cos((2j+1) k pi/8), which aliases k onto 8-k with a sign flip and kills
// k = 4. So the 4-point output is a 4-point IDCT of folded coefficients
//
//	F'0 = F0, F'k = w(k) Fk - w(8-k) F(8-k)  (k = 1, 2, 3)
//
// and, averaging groups of 4, the 2-point output is (F0 +- F'1)/(2 sqrt2)
// per dimension with F'1 = v1 F1 + v3 F3 + v5 F5 + v7 F7,
// v(k) = (cos(k pi/16) + cos(3k pi/16))/2. The 1x1 case is S(0,0)/8, the
// block mean. (libjpeg's jidctred.c computes the same averages.) Level
// shift (+128) and clamping to [0,255] are folded in.
//
// Input blocks are dequantised coefficients in natural (row-major) order,
// integers (Q0). Constants are Q13 (value * 2^13, rounded).

const (
	constBits = 13
	pass1Bits = 2 // extra fraction bits kept between the two passes

	fix0_298631336 = 2446  // sqrt2 * (-c1 + c3 + c5 - c7)
	fix0_390180644 = 3196  // sqrt2 * (c5 - c3)
	fix0_541196100 = 4433  // sqrt2 * c6
	fix0_765366865 = 6270  // sqrt2 * (c2 - c6)
	fix0_899976223 = 7373  // sqrt2 * (c7 - c3)
	fix1_175875602 = 9633  // sqrt2 * c3
	fix1_501321110 = 12299 // sqrt2 * (c1 + c3 - c5 - c7)
	fix1_847759065 = 15137 // sqrt2 * (-c2 - c6)
	fix1_961570560 = 16069 // sqrt2 * (-c3 - c5)
	fix2_053119869 = 16819 // sqrt2 * (c1 + c3 - c5 + c7)
	fix2_562915447 = 20995 // sqrt2 * (-c1 - c3)
	fix3_072711026 = 25172 // sqrt2 * (c1 + c3 + c5 - c7)

	// 4-point IDCT (c(k) = cos(k pi/8)) with the folding weights
	// w(k) = cos(k pi/16) multiplied in.
	fixC2   = 5793 // c2
	fixW2C2 = 5352 // w2 c2
	fixW6C2 = 2217 // w6 c2
	fixW1C1 = 7423 // w1 c1
	fixW7C1 = 1477 // w7 c1
	fixW3C3 = 2607 // w3 c3
	fixW5C3 = 1742 // w5 c3
	fixW1C3 = 3075 // w1 c3
	fixW7C3 = 612  // w7 c3
	fixW3C1 = 6293 // w3 c1
	fixW5C1 = 4205 // w5 c1

	// 2-point folding weights |v(k)|.
	fixV1 = 7423
	fixV3 = 2607
	fixV5 = 1742
	fixV7 = 1477
)

// clamp8 saturates v to [0,255].
func clamp8(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// idct8x8 writes the 8x8 IDCT of in to dst (stride bytes per row): the
// assembly version where the CPU has one (idct_amd64.go, idct_arm64.go),
// else idct8x8Generic. Both give the same bytes for every input.
var idct8x8 = orGeneric(idct8x8SIMD, idct8x8Generic)

// orGeneric returns simd, or generic when simd is nil (no assembly for this
// CPU or build).
func orGeneric(simd, generic func([]byte, int, *[64]int32)) func([]byte, int, *[64]int32) {
	if simd != nil {
		return simd
	}
	return generic
}

// idct8x8Generic is the pure-Go idct8x8 and the reference for the assembly.
//
// It is the Loeffler-Ligtenberg-Moschytz factorisation (12 multiplies per
// 1-D transform): each 1-D pass scales its output by sqrt8 = 2*sqrt2.
// Pass 1 (columns): Q0 in, Q13 products, descaled to Q2 (pass1Bits) of
// sqrt8 * column IDCT. Pass 2 (rows): Q2 in, Q15 products, descaled by
// 2^(13+2+3) (the 3 removes the 8 = sqrt8^2) to Q0 pixels, +128, clamped.
// Intermediates fit int32 for coefficients of magnitude < 2^15 (any valid
// 8-bit JPEG); larger, corrupt values wrap but cannot panic.
//
// The zero-column and zero-row shortcuts compute exactly what the full
// butterflies compute, wrapping included, so that the assembly versions
// (which have no shortcuts) match this function bit for bit on any input.
func idct8x8Generic(dst []byte, stride int, in *[64]int32) {
	var ws [64]int32
	for x := 0; x < 8; x++ {
		if in[8+x]|in[16+x]|in[24+x]|in[32+x]|in[40+x]|in[48+x]|in[56+x] == 0 {
			// in[x] << pass1Bits unless the shift by constBits wraps.
			dc := (in[x]<<constBits + 1<<(constBits-pass1Bits-1)) >> (constBits - pass1Bits)
			ws[x], ws[8+x], ws[16+x], ws[24+x] = dc, dc, dc, dc
			ws[32+x], ws[40+x], ws[48+x], ws[56+x] = dc, dc, dc, dc
			continue
		}
		// Even part.
		z2, z3 := in[16+x], in[48+x]
		z1 := (z2 + z3) * fix0_541196100
		t2 := z1 - z3*fix1_847759065
		t3 := z1 + z2*fix0_765366865
		z2, z3 = in[x], in[32+x]
		t0 := (z2+z3)<<constBits + 1<<(constBits-pass1Bits-1)
		t1 := (z2-z3)<<constBits + 1<<(constBits-pass1Bits-1)
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		// Odd part.
		o0, o1, o2, o3 := in[56+x], in[40+x], in[24+x], in[8+x]
		z1, z2, z3 = o0+o3, o1+o2, o0+o2
		z4 := o1 + o3
		z5 := (z3 + z4) * fix1_175875602
		o0 *= fix0_298631336
		o1 *= fix2_053119869
		o2 *= fix3_072711026
		o3 *= fix1_501321110
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		o0 += z1 + z3
		o1 += z2 + z4
		o2 += z2 + z3
		o3 += z1 + z4
		const sh = constBits - pass1Bits
		ws[x] = (t10 + o3) >> sh
		ws[56+x] = (t10 - o3) >> sh
		ws[8+x] = (t11 + o2) >> sh
		ws[48+x] = (t11 - o2) >> sh
		ws[16+x] = (t12 + o1) >> sh
		ws[40+x] = (t12 - o1) >> sh
		ws[24+x] = (t13 + o0) >> sh
		ws[32+x] = (t13 - o0) >> sh
	}
	// Pass-2 input is Q2 of 8x the pixel value, so +128 level shift and +0.5
	// rounding are 128.5 * 2^(pass1Bits+3) added to the DC term.
	const bias = 128<<(pass1Bits+3) + 1<<(pass1Bits+2)
	for y := 0; y < 8; y++ {
		row := ws[8*y : 8*y+8 : 8*y+8]
		d := dst[y*stride:]
		d = d[:8]
		r0 := row[0] + bias
		if row[1]|row[2]|row[3]|row[4]|row[5]|row[6]|row[7] == 0 {
			// r0 >> (pass1Bits+3) unless the shift by constBits wraps.
			v := clamp8((r0 << constBits) >> (constBits + pass1Bits + 3))
			d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = v, v, v, v, v, v, v, v
			continue
		}
		z2, z3 := row[2], row[6]
		z1 := (z2 + z3) * fix0_541196100
		t2 := z1 - z3*fix1_847759065
		t3 := z1 + z2*fix0_765366865
		t0 := (r0 + row[4]) << constBits
		t1 := (r0 - row[4]) << constBits
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		o0, o1, o2, o3 := row[7], row[5], row[3], row[1]
		z1, z2, z3 = o0+o3, o1+o2, o0+o2
		z4 := o1 + o3
		z5 := (z3 + z4) * fix1_175875602
		o0 *= fix0_298631336
		o1 *= fix2_053119869
		o2 *= fix3_072711026
		o3 *= fix1_501321110
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		o0 += z1 + z3
		o1 += z2 + z4
		o2 += z2 + z3
		o3 += z1 + z4
		const sh = constBits + pass1Bits + 3
		d[0] = clamp8((t10 + o3) >> sh)
		d[7] = clamp8((t10 - o3) >> sh)
		d[1] = clamp8((t11 + o2) >> sh)
		d[6] = clamp8((t11 - o2) >> sh)
		d[2] = clamp8((t12 + o1) >> sh)
		d[5] = clamp8((t12 - o1) >> sh)
		d[3] = clamp8((t13 + o0) >> sh)
		d[4] = clamp8((t13 - o0) >> sh)
	}
}

// idct4x4 writes the 4x4 reduced IDCT (1/2 scale) of in to dst: the
// assembly version where the CPU has one, else idct4x4Generic.
var idct4x4 = orGeneric(idct4x4SIMD, idct4x4Generic)

// idct4x4Generic writes the 4x4 reduced IDCT (1/2 scale): 2x2 box averages
// of the full IDCT, from all coefficients but row and column 4.
// Q formats: Q0 in; pass 1 keeps Q13 products descaled to Q2 (of 2 x the
// 1-D result, the 1/2 weight deferred); pass 2 descales by 2^(13+2+2).
// It has no shortcuts, so the assembly (int32 arithmetic modulo 2^32 in
// any order, then the same shifts) matches it on every input.
func idct4x4Generic(dst []byte, stride int, in *[64]int32) {
	var ws [32]int32 // 4 rows x 8 horizontal frequencies
	for u := 0; u < 8; u++ {
		if u == 4 {
			continue
		}
		f0, f1, f2, f3 := in[u], in[8+u], in[16+u], in[24+u]
		f5, f6, f7 := in[40+u], in[48+u], in[56+u]
		const round = 1 << (constBits - pass1Bits - 1)
		t0 := f0*fixC2 + round
		t2 := f2*fixW2C2 - f6*fixW6C2
		e0, e1 := t0+t2, t0-t2
		o0 := f1*fixW1C1 - f7*fixW7C1 + f3*fixW3C3 - f5*fixW5C3
		o1 := f1*fixW1C3 - f7*fixW7C3 - f3*fixW3C1 + f5*fixW5C1
		const sh = constBits - pass1Bits
		ws[u] = (e0 + o0) >> sh
		ws[8+u] = (e1 + o1) >> sh
		ws[16+u] = (e1 - o1) >> sh
		ws[24+u] = (e0 - o0) >> sh
	}
	const sh = constBits + pass1Bits + 2
	const bias = 128<<sh + 1<<(sh-1)
	for y := 0; y < 4; y++ {
		r := ws[8*y : 8*y+8 : 8*y+8]
		t0 := r[0]*fixC2 + bias
		t2 := r[2]*fixW2C2 - r[6]*fixW6C2
		e0, e1 := t0+t2, t0-t2
		o0 := r[1]*fixW1C1 - r[7]*fixW7C1 + r[3]*fixW3C3 - r[5]*fixW5C3
		o1 := r[1]*fixW1C3 - r[7]*fixW7C3 - r[3]*fixW3C1 + r[5]*fixW5C1
		d := dst[y*stride:]
		d = d[:4]
		d[0] = clamp8((e0 + o0) >> sh)
		d[1] = clamp8((e1 + o1) >> sh)
		d[2] = clamp8((e1 - o1) >> sh)
		d[3] = clamp8((e0 - o0) >> sh)
	}
}

// idct2x2 writes the 2x2 reduced IDCT (1/4 scale): 4x4 box averages of the
// full IDCT, from frequencies 0, 1, 3, 5 and 7 in each direction.
// Q formats: Q0 in; pass 1 Q13 products descaled to Q2; pass 2 descales by
// 2^(13+2+3), the 3 being the two 1/(2 sqrt2) factors' 1/8.
func idct2x2(dst []byte, stride int, in *[64]int32) {
	var ws [16]int32 // 2 rows x 8 horizontal frequencies
	// Constant columns: once inlined, the indices are constants and need
	// no bounds checks (BenchmarkStage/idct2x2).
	idct2x2Col(&ws, in, 0)
	idct2x2Col(&ws, in, 1)
	idct2x2Col(&ws, in, 3)
	idct2x2Col(&ws, in, 5)
	idct2x2Col(&ws, in, 7)
	const sh = constBits + pass1Bits + 3
	const bias = 128<<sh + 1<<(sh-1)
	for y := 0; y < 2; y++ {
		r := ws[8*y : 8*y+8 : 8*y+8]
		c0 := r[0]<<constBits + bias
		c1 := r[1]*fixV1 - r[3]*fixV3 + r[5]*fixV5 - r[7]*fixV7
		d := dst[y*stride:]
		d = d[:2]
		d[0] = clamp8((c0 + c1) >> sh)
		d[1] = clamp8((c0 - c1) >> sh)
	}
}

// idct2x2Col is pass 1 of idct2x2 for horizontal frequency u: Q0 in, Q2 out.
func idct2x2Col(ws *[16]int32, in *[64]int32, u int) {
	const round = 1 << (constBits - pass1Bits - 1)
	c0 := in[u]<<constBits + round
	c1 := in[8+u]*fixV1 - in[24+u]*fixV3 + in[40+u]*fixV5 - in[56+u]*fixV7
	ws[u] = (c0 + c1) >> (constBits - pass1Bits)
	ws[8+u] = (c0 - c1) >> (constBits - pass1Bits)
}

// dcPixel is the 1x1 IDCT (1/8 scale): S00/8 + 128, rounded. Q0 in and out.
func dcPixel(s00 int32) uint8 {
	return clamp8((s00 + 128*8 + 4) >> 3)
}
