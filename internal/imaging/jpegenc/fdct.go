package jpegenc

import "math"

// Forward DCT: the Arai–Agui–Nakajima (AAN) factorisation, 5 multiplies per
// 1-D transform, in integer arithmetic. Its outputs carry a per-coefficient
// scale (8·s[u]·s[v], s[0]=1, s[k]=√2·cos(kπ/16)) that is folded into the
// quantiser reciprocals (quantRecip), so it costs nothing.
//
// Fixed-point formats, all int32 (so that SIMD versions can use 32-bit
// lanes and be bit-identical):
//   - input: level-shifted samples, Q0 integers in [-128, 127];
//   - pass 1 (columns) shifts them left by fdctFracBits (Q5) before the
//     butterflies;
//   - constant multipliers are Q13 (aanC*), products are rounded back to Q5;
//   - output: Q5 AAN-scaled coefficients, |x| < 2^19.
//
// Range: every intermediate is a linear form in the 64 inputs; the largest
// product is pass 2's mulC(t12+t13, aanC0707), whose operand is at most
// 128·2^5·(the form's L1 norm) + rounding < 2^18.3, so the product is
// < 2^30.9 and nothing wraps (TestFDCTRange checks the bound with
// adversarial blocks). Q6 would reach 2^31.8.
//
// fdctQuant's input is the encoder's: samples in [-128, 127].
//
// Q5 (not fewer bits) keeps precision: s[7]² ≈ 0.076, so one Q5 LSB of the
// u=v=7 output is 0.05 of a quality-100 quantiser step (Q2 would be 0.4).
//
// quantRecip therefore divides by q·8·s[u]·s[v]·2^fdctFracBits.
const (
	fdctFracBits = 5
	aanConstBits = 13

	aanC0707 = 5793  // 0.707106781 · 2^13
	aanC0382 = 3135  // 0.382683433 · 2^13
	aanC0541 = 4433  // 0.541196100 · 2^13
	aanC1306 = 10703 // 1.306562965 · 2^13

	recipBits = 32 // quantRecip values are Q32 reciprocals
)

func mulC(x, c int32) int32 { return (x*c + 1<<(aanConstBits-1)) >> aanConstBits }

// aanScale[k] = √2·cos(kπ/16) for k>0, 1 for k=0.
var aanScale = func() (s [8]float64) {
	s[0] = 1
	for k := 1; k < 8; k++ {
		s[k] = math.Sqrt2 * math.Cos(float64(k)*math.Pi/16)
	}
	return s
}()

// quantRecip returns round(2^32 / (q·8·s[u]·s[v]·2^fdctFracBits)) for the
// natural-order table q, in column-major order: index u*8+v for horizontal
// frequency u and vertical frequency v (natural index v*8+u). That is the
// order in which the assembly holds the coefficients after its one
// transpose. Every value is < 2^28.
func quantRecip(q *[64]uint8) (r [64]uint64) {
	for n := 0; n < 64; n++ {
		u, v := n&7, n>>3
		d := float64(q[n]) * 8 * aanScale[u] * aanScale[v] * (1 << fdctFracBits)
		r[u*8+v] = uint64(math.Round(math.Exp2(recipBits) / d))
	}
	return r
}

// fdctQuant transforms the 8×8 block of Q0 level-shifted samples at src
// (row stride `stride`), quantises it with recip (quantRecip's order, Q32)
// and writes the result in zig-zag order to dst. It returns a mask with bit
// k set when dst[k] != 0 for k ≥ 1 (bit 0 is never set). Quantisation
// rounds half away from zero; AC is clamped to ±1023 and DC to
// [-1024, 1023] so every value fits the baseline categories (DC ≤ 11,
// AC ≤ 10).
//
// It is the assembly version where the CPU has one (fdct_amd64.go), else
// fdctQuantGeneric; both give the same output for every input.
var fdctQuant = orGeneric(fdctQuantSIMD, fdctQuantGeneric)

type fdctQuantFunc = func(src []int16, stride int, recip *[64]uint64, dst *[64]int16) uint64

// orGeneric returns simd, or generic when simd is nil (no assembly for this
// CPU or build).
func orGeneric(simd, generic fdctQuantFunc) fdctQuantFunc {
	if simd != nil {
		return simd
	}
	return generic
}

// fdctQuantGeneric is the pure-Go fdctQuant and the assembly's reference.
func fdctQuantGeneric(src []int16, stride int, recip *[64]uint64, dst *[64]int16) uint64 {
	var ws [64]int32
	fdct(src, stride, &ws)
	return quantize(&ws, recip, dst)
}

// fdct computes the AAN-scaled Q5 coefficients of the Q0 block at src into
// ws (natural order): ws[v*8+u] = 8·s[u]·s[v]·2^5 · F(u,v), where F is the
// T.81 A.3.3 FDCT. Columns first, then rows (the order the assembly needs:
// its lanes hold a row, so the column pass needs no transpose).
func fdct(src []int16, stride int, ws *[64]int32) {
	// Pass 1: columns, Q0 -> Q5. The butterflies of aan1D, written out
	// here (and in pass 2) because the call does not inline.
	r0 := src[0:8:8]
	r1 := src[stride : stride+8 : stride+8]
	r2 := src[2*stride : 2*stride+8 : 2*stride+8]
	r3 := src[3*stride : 3*stride+8 : 3*stride+8]
	r4 := src[4*stride : 4*stride+8 : 4*stride+8]
	r5 := src[5*stride : 5*stride+8 : 5*stride+8]
	r6 := src[6*stride : 6*stride+8 : 6*stride+8]
	r7 := src[7*stride : 7*stride+8 : 7*stride+8]
	for x := 0; x < 8; x++ {
		d0, d1, d2, d3 := int32(r0[x]), int32(r1[x]), int32(r2[x]), int32(r3[x])
		d4, d5, d6, d7 := int32(r4[x]), int32(r5[x]), int32(r6[x]), int32(r7[x])
		t0, t7 := (d0+d7)<<fdctFracBits, (d0-d7)<<fdctFracBits
		t1, t6 := (d1+d6)<<fdctFracBits, (d1-d6)<<fdctFracBits
		t2, t5 := (d2+d5)<<fdctFracBits, (d2-d5)<<fdctFracBits
		t3, t4 := (d3+d4)<<fdctFracBits, (d3-d4)<<fdctFracBits
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		ws[x] = t10 + t11
		ws[32+x] = t10 - t11
		z1 := mulC(t12+t13, aanC0707)
		ws[16+x] = t13 + z1
		ws[48+x] = t13 - z1
		a, b, c := t4+t5, t5+t6, t6+t7
		z5 := mulC(a-c, aanC0382)
		z2 := mulC(a, aanC0541) + z5
		z4 := mulC(c, aanC1306) + z5
		z3 := mulC(b, aanC0707)
		z11, z13 := t7+z3, t7-z3
		ws[40+x] = z13 + z2
		ws[24+x] = z13 - z2
		ws[8+x] = z11 + z4
		ws[56+x] = z11 - z4
	}
	// Pass 2: rows, Q5 -> Q5.
	for y := 0; y < 8; y++ {
		o := ws[y*8 : y*8+8 : y*8+8]
		t0, t7 := o[0]+o[7], o[0]-o[7]
		t1, t6 := o[1]+o[6], o[1]-o[6]
		t2, t5 := o[2]+o[5], o[2]-o[5]
		t3, t4 := o[3]+o[4], o[3]-o[4]
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		o[0] = t10 + t11
		o[4] = t10 - t11
		z1 := mulC(t12+t13, aanC0707)
		o[2] = t13 + z1
		o[6] = t13 - z1
		a, b, c := t4+t5, t5+t6, t6+t7
		z5 := mulC(a-c, aanC0382)
		z2 := mulC(a, aanC0541) + z5
		z4 := mulC(c, aanC1306) + z5
		z3 := mulC(b, aanC0707)
		z11, z13 := t7+z3, t7-z3
		o[5] = z13 + z2
		o[3] = z13 - z2
		o[1] = z11 + z4
		o[7] = z11 - z4
	}
}

// quantize divides the fdct output by the quantiser (multiplying its
// magnitude by the Q32 reciprocal in uint64, rounding half up) into
// zig-zag order. It is branch-free per coefficient: sign via x>>31,
// non-zero bit via (v|-v)>>31.
func quantize(ws *[64]int32, recip *[64]uint64, dst *[64]int16) uint64 {
	// DC: clamp to [-1024, 1023] so a DC difference fits category 11.
	x := ws[0]
	sg := x >> 31
	v := int32((uint64(uint32((x^sg)-sg))*recip[0] + 1<<(recipBits-1)) >> recipBits)
	v = (v ^ sg) - sg
	dst[0] = int16(min(max(v, -1024), 1023))
	// AC in natural order (sequential loads), scattered to zig-zag.
	var mask uint64
	for n := 1; n < 64; n++ {
		x := ws[n]
		k := unzigzag[n] & 63
		sg := x >> 31
		m := (uint64(uint32((x^sg)-sg))*recip[(n&7)<<3|n>>3] + 1<<(recipBits-1)) >> recipBits
		v := int32(min(m, 1023)) // AC category ≤ 10
		v = (v ^ sg) - sg
		mask |= uint64(uint32(v|-v)>>31) << k
		dst[k] = int16(v)
	}
	return mask
}

// aan1D is one AAN butterfly network (the reference form of the code
// written out in fdct; TestAAN1D checks they agree) after the first stage: t0..t3 are
// d0+d7, d1+d6, d2+d5, d3+d4 and t4..t7 are d3-d4, d2-d5, d1-d6, d0-d7.
// Outputs are the AAN-scaled coefficients 0..7 in the input's Q format.
func aan1D(o []int32, t0, t1, t2, t3, t4, t5, t6, t7 int32) {
	_ = o[7]
	// Even part.
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2
	o[0] = t10 + t11
	o[4] = t10 - t11
	z1 := mulC(t12+t13, aanC0707)
	o[2] = t13 + z1
	o[6] = t13 - z1
	// Odd part.
	a := t4 + t5
	b := t5 + t6
	c := t6 + t7
	z5 := mulC(a-c, aanC0382)
	z2 := mulC(a, aanC0541) + z5
	z4 := mulC(c, aanC1306) + z5
	z3 := mulC(b, aanC0707)
	z11 := t7 + z3
	z13 := t7 - z3
	o[5] = z13 + z2
	o[3] = z13 - z2
	o[1] = z11 + z4
	o[7] = z11 - z4
}
