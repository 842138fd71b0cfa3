//go:build !purego

#include "textflag.h"

// fdctQuantNEONAsm is fdctQuantGeneric (fdct.go) in NEON; see
// fdct_amd64.s for why the results are identical (mulC's rounding shift is
// SRSHR, exact because x*c never wraps for samples in [-128, 127]; the
// quantiser's uint64 products are UMULL's, rounded and narrowed by RSHRN).
//
// Row y of the block is in V(2y) (columns 0-3) and V(2y+1) (columns 4-7)
// for pass 1; four 4x4 transposes give pass 2 its rows. Coefficients
// (u, v) then sit in T(u) (v = 0..3) and B(u) (v = 4..7), T = V0, V2, V4,
// V6, V1, V3, V5, V7 and B = V8, V10, V12, V14, V9, V11, V13, V15. After
// quantisation column u is narrowed to int16 in V(16+u), and TBL/TBX with
// fdctZigzag's indices gather the zig-zag order.
//
// The assembler lacks most integer NEON instructions, so they are WORD
// encodings with register numbers, in ARM operand order (d, n, m).

#define ADD4S(d, n, m) WORD $(0x4ea08400 | ((m)<<16) | ((n)<<5) | (d))
#define SUB4S(d, n, m) WORD $(0x6ea08400 | ((m)<<16) | ((n)<<5) | (d))
// MULE: Vd.4S = Vn.4S * Vm.S[i].
#define MULE(d, n, m, i) WORD $(0x4f808000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))
// SRSHR Vd.4S, Vn.4S, #s: (x + 1<<(s-1)) >> s.
#define SRSHR4S(d, n, s) WORD $(0x4f002400 | ((64-(s))<<16) | ((n)<<5) | (d))
// SSHLL Vd.4S, Vn.4H, #s and SSHLL2 Vd.4S, Vn.8H, #s: widen and shift.
#define SSHLL(d, n, s) WORD $(0x0f00a400 | ((16+(s))<<16) | ((n)<<5) | (d))
#define SSHLL2(d, n, s) WORD $(0x4f00a400 | ((16+(s))<<16) | ((n)<<5) | (d))
#define TRN1S(d, n, m) WORD $(0x4e802800 | ((m)<<16) | ((n)<<5) | (d))
#define TRN2S(d, n, m) WORD $(0x4e806800 | ((m)<<16) | ((n)<<5) | (d))
#define TRN1D(d, n, m) WORD $(0x4ec02800 | ((m)<<16) | ((n)<<5) | (d))
#define TRN2D(d, n, m) WORD $(0x4ec06800 | ((m)<<16) | ((n)<<5) | (d))
#define ABS4S(d, n) WORD $(0x4ea0b800 | ((n)<<5) | (d))
// UMULL Vd.2D, Vn.2S, Vm.2S (lanes 0, 1); UMULL2 (lanes 2, 3).
#define UMULL(d, n, m) WORD $(0x2ea0c000 | ((m)<<16) | ((n)<<5) | (d))
#define UMULL2(d, n, m) WORD $(0x6ea0c000 | ((m)<<16) | ((n)<<5) | (d))
// RSHRN Vd.2S, Vn.2D, #32 and RSHRN2 Vd.4S, Vn.2D, #32: (x + 1<<31) >> 32.
#define RSHRN32(d, n) WORD $(0x0f208c00 | ((n)<<5) | (d))
#define RSHRN32_2(d, n) WORD $(0x4f208c00 | ((n)<<5) | (d))
#define UMIN4S(d, n, m) WORD $(0x6ea06c00 | ((m)<<16) | ((n)<<5) | (d))
#define SMIN4S(d, n, m) WORD $(0x4ea06c00 | ((m)<<16) | ((n)<<5) | (d))
// CMLT Vd.4S, Vn.4S, #0: all ones where negative.
#define CMLT0(d, n) WORD $(0x4ea0a800 | ((n)<<5) | (d))
#define EOR16B(d, n, m) WORD $(0x6e201c00 | ((m)<<16) | ((n)<<5) | (d))
// XTN Vd.4H, Vn.4S; XTN2 Vd.8H, Vn.4S.
#define XTN(d, n) WORD $(0x0e612800 | ((n)<<5) | (d))
#define XTN2(d, n) WORD $(0x4e612800 | ((n)<<5) | (d))
// SQXTN Vd.8B, Vn.8H; SQXTN2 Vd.16B, Vn.8H.
#define SQXTNB(d, n) WORD $(0x0e214800 | ((n)<<5) | (d))
#define SQXTNB2(d, n) WORD $(0x4e214800 | ((n)<<5) | (d))
// CMTST Vd.16B, Vn.16B, Vm.16B: all ones where n&m != 0.
#define CMTST16B(d, n, m) WORD $(0x4e208c00 | ((m)<<16) | ((n)<<5) | (d))

// V30: mulC constants; V28: AC magnitude limit; V29: DC column limit;
// V31: the bit weights of the mask.
DATA fdctConsts<>+0(SB)/4, $5793     // V30.S[0] aanC0707
DATA fdctConsts<>+4(SB)/4, $3135     // V30.S[1] aanC0382
DATA fdctConsts<>+8(SB)/4, $4433     // V30.S[2] aanC0541
DATA fdctConsts<>+12(SB)/4, $10703   // V30.S[3] aanC1306
DATA fdctConsts<>+16(SB)/8, $0x000003ff000003ff
DATA fdctConsts<>+24(SB)/8, $0x000003ff000003ff
DATA fdctConsts<>+32(SB)/8, $0x000003ff00000400 // DC limit 1024 (then min 1023)
DATA fdctConsts<>+40(SB)/8, $0x000003ff000003ff
DATA fdctConsts<>+48(SB)/8, $0x8040201008040201
DATA fdctConsts<>+56(SB)/8, $0x8040201008040201
GLOBL fdctConsts<>(SB), RODATA|NOPTR, $64

// fdctZigzag: for each 8 outputs (16 bytes), TBL indices into columns 0-3
// (V16-V19) then TBX indices into columns 4-7 (V20-V23); 0xff = other table.
DATA fdctZigzag<>+0(SB)/8, $0x0504030211100100
DATA fdctZigzag<>+8(SB)/8, $0x2322313021201312
DATA fdctZigzag<>+16(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+24(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+32(SB)/8, $0x1716090807061514
DATA fdctZigzag<>+40(SB)/8, $0xffffffff33322524
DATA fdctZigzag<>+48(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+56(SB)/8, $0x11100100ffffffff
DATA fdctZigzag<>+64(SB)/8, $0x191827263534ffff
DATA fdctZigzag<>+72(SB)/8, $0x29281b1a0d0c0b0a
DATA fdctZigzag<>+80(SB)/8, $0xffffffffffff0302
DATA fdctZigzag<>+88(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+96(SB)/8, $0xffffffffffff3736
DATA fdctZigzag<>+104(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+112(SB)/8, $0x212013120504ffff
DATA fdctZigzag<>+120(SB)/8, $0x0706151423223130
DATA fdctZigzag<>+128(SB)/8, $0x0f0e1d1c2b2a3938
DATA fdctZigzag<>+136(SB)/8, $0xffff3b3a2d2c1f1e
DATA fdctZigzag<>+144(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+152(SB)/8, $0x0908ffffffffffff
DATA fdctZigzag<>+160(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+168(SB)/8, $0x3d3cffffffffffff
DATA fdctZigzag<>+176(SB)/8, $0x3534333225241716
DATA fdctZigzag<>+184(SB)/8, $0xffff0b0a19182726
DATA fdctZigzag<>+192(SB)/8, $0xffffffff3f3e2f2e
DATA fdctZigzag<>+200(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+208(SB)/8, $0x1b1a0d0cffffffff
DATA fdctZigzag<>+216(SB)/8, $0x2b2a393837362928
DATA fdctZigzag<>+224(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+232(SB)/8, $0xffffffffffffffff
DATA fdctZigzag<>+240(SB)/8, $0x2d2c1f1e0f0e1d1c
DATA fdctZigzag<>+248(SB)/8, $0x3f3e2f2e3d3c3b3a
GLOBL fdctZigzag<>(SB), RODATA|NOPTR, $256

// FDCT1D is one 1-D pass of fdct on four lanes, with register numbers:
// inputs a0..a7, temporaries t0..t7, constants in V30. Outputs (frequency
// k in ak) replace the inputs.
#define MULC(x, i) MULE(x, x, 30, i); SRSHR4S(x, x, 13)
#define FDCT1D(a0, a1, a2, a3, a4, a5, a6, a7, t0, t1, t2, t3, t4, t5, t6, t7) \
	ADD4S(t0, a0, a7) \
	SUB4S(t7, a0, a7) \
	ADD4S(t1, a1, a6) \
	SUB4S(t6, a1, a6) \
	ADD4S(t2, a2, a5) \
	SUB4S(t5, a2, a5) \
	ADD4S(t3, a3, a4) \
	SUB4S(t4, a3, a4) \
	ADD4S(a1, t0, t3)    /* t10 */ \
	SUB4S(a3, t0, t3)    /* t13 */ \
	ADD4S(a5, t1, t2)    /* t11 */ \
	SUB4S(a7, t1, t2)    /* t12 */ \
	ADD4S(a0, a1, a5)    /* 0 */ \
	SUB4S(a4, a1, a5)    /* 4 */ \
	ADD4S(a7, a7, a3) \
	MULC(a7, 0)          /* z1 */ \
	ADD4S(a2, a3, a7)    /* 2 */ \
	SUB4S(a6, a3, a7)    /* 6 */ \
	ADD4S(t0, t4, t5)    /* a */ \
	ADD4S(t1, t5, t6)    /* b */ \
	ADD4S(t2, t6, t7)    /* c */ \
	SUB4S(t3, t0, t2) \
	MULC(t3, 1)          /* z5 */ \
	MULC(t0, 2) \
	ADD4S(t0, t0, t3)    /* z2 */ \
	MULC(t2, 3) \
	ADD4S(t2, t2, t3)    /* z4 */ \
	MULC(t1, 0)          /* z3 */ \
	ADD4S(t4, t7, t1)    /* z11 */ \
	SUB4S(t5, t7, t1)    /* z13 */ \
	ADD4S(a5, t5, t0)    /* 5 */ \
	SUB4S(a3, t5, t0)    /* 3 */ \
	ADD4S(a1, t4, t2)    /* 1 */ \
	SUB4S(a7, t4, t2)    /* 7 */

#define TR4(a, b, c, d, t0, t1, t2, t3) \
	TRN1S(t0, a, b) \
	TRN2S(t1, a, b) \
	TRN1S(t2, c, d) \
	TRN2S(t3, c, d) \
	TRN1D(a, t0, t2) \
	TRN2D(c, t0, t2) \
	TRN1D(b, t1, t3) \
	TRN2D(d, t1, t3)

// QUANT4 quantises x (four coefficients) in place with the reciprocals r
// (uint32 lanes, overwritten), limit lim, scratch s0, s1.
#define QUANT4(x, r, lim, s0, s1) \
	ABS4S(s0, x) \
	UMULL(s1, s0, r) \
	UMULL2(s0, s0, r) \
	RSHRN32(r, s1) \
	RSHRN32_2(r, s0) \
	UMIN4S(r, r, lim) \
	CMLT0(s0, x) \
	EOR16B(r, r, s0) \
	SUB4S(x, r, s0)

// QUANTU quantises column u: top t (v 0-3) and bottom b (v 4-7), with the
// next 64 bytes of recip (R2): LD2 keeps the low halves of the uint64s.
#define QUANTU(t, b, lim) \
	VLD2.P 32(R2), [V24.S4, V25.S4] \
	VLD2.P 32(R2), [V26.S4, V27.S4] \
	QUANT4(t, 24, lim, 16, 17) \
	QUANT4(b, 26, 28, 18, 19)

// func fdctQuantNEONAsm(src *int16, stride int, recip *[64]uint64, dst *[64]int16) uint64
TEXT ·fdctQuantNEONAsm(SB), NOSPLIT, $0-40
	MOVD src+0(FP), R0
	MOVD stride+8(FP), R1
	MOVD recip+16(FP), R2
	MOVD dst+24(FP), R3
	LSL $1, R1, R1

	VLD1.P (R0)(R1), [V24.H8]
	VLD1.P (R0)(R1), [V25.H8]
	VLD1.P (R0)(R1), [V26.H8]
	VLD1.P (R0)(R1), [V27.H8]
	VLD1.P (R0)(R1), [V28.H8]
	VLD1.P (R0)(R1), [V29.H8]
	VLD1.P (R0)(R1), [V30.H8]
	VLD1 (R0), [V31.H8]
	// Widen to int32, Q0 -> Q5 (fdctFracBits).
	SSHLL(0, 24, 5)
	SSHLL2(1, 24, 5)
	SSHLL(2, 25, 5)
	SSHLL2(3, 25, 5)
	SSHLL(4, 26, 5)
	SSHLL2(5, 26, 5)
	SSHLL(6, 27, 5)
	SSHLL2(7, 27, 5)
	SSHLL(8, 28, 5)
	SSHLL2(9, 28, 5)
	SSHLL(10, 29, 5)
	SSHLL2(11, 29, 5)
	SSHLL(12, 30, 5)
	SSHLL2(13, 30, 5)
	SSHLL(14, 31, 5)
	SSHLL2(15, 31, 5)
	MOVD $fdctConsts<>(SB), R4
	VLD1.P 16(R4), [V30.S4]
	VLD1.P 32(R4), [V28.S4, V29.S4]
	VLD1 (R4), [V31.B16]

	// Pass 1: columns 0-3, then 4-7.
	FDCT1D(0, 2, 4, 6, 8, 10, 12, 14, 16, 17, 18, 19, 20, 21, 22, 23)
	FDCT1D(1, 3, 5, 7, 9, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23)

	// Transpose (see the layout above).
	TR4(0, 2, 4, 6, 16, 17, 18, 19)
	TR4(1, 3, 5, 7, 20, 21, 22, 23)
	TR4(8, 10, 12, 14, 16, 17, 18, 19)
	TR4(9, 11, 13, 15, 20, 21, 22, 23)

	// Pass 2: rows v 0-3, then 4-7.
	FDCT1D(0, 2, 4, 6, 1, 3, 5, 7, 16, 17, 18, 19, 20, 21, 22, 23)
	FDCT1D(8, 10, 12, 14, 9, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23)

	// Quantise (recip is column-major: (u, v) at u*8+v).
	QUANTU(0, 8, 29)
	SMIN4S(0, 0, 28)         // DC: [-1024, 1023]
	QUANTU(2, 10, 28)
	QUANTU(4, 12, 28)
	QUANTU(6, 14, 28)
	QUANTU(1, 9, 28)
	QUANTU(3, 11, 28)
	QUANTU(5, 13, 28)
	QUANTU(7, 15, 28)

	// Column u to int16 in V(16+u).
	XTN(16, 0)
	XTN2(16, 8)
	XTN(17, 2)
	XTN2(17, 10)
	XTN(18, 4)
	XTN2(18, 12)
	XTN(19, 6)
	XTN2(19, 14)
	XTN(20, 1)
	XTN2(20, 9)
	XTN(21, 3)
	XTN2(21, 11)
	XTN(22, 5)
	XTN2(22, 13)
	XTN(23, 7)
	XTN2(23, 15)

	// Zig-zag: outputs 8i..8i+7 in V(i).
	MOVD $fdctZigzag<>(SB), R4
	VLD1.P 64(R4), [V24.B16, V25.B16, V26.B16, V27.B16]
	VLD1.P 64(R4), [V28.B16, V29.B16, V30.B16, V31.B16]
	VTBL V24.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V0.B16
	VTBX V25.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V0.B16
	VTBL V26.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V1.B16
	VTBX V27.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V1.B16
	VTBL V28.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V2.B16
	VTBX V29.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V2.B16
	VTBL V30.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V3.B16
	VTBX V31.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V3.B16
	VLD1.P 64(R4), [V24.B16, V25.B16, V26.B16, V27.B16]
	VLD1 (R4), [V28.B16, V29.B16, V30.B16, V31.B16]
	VTBL V24.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V4.B16
	VTBX V25.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V4.B16
	VTBL V26.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V5.B16
	VTBX V27.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V5.B16
	VTBL V28.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V6.B16
	VTBX V29.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V6.B16
	VTBL V30.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V7.B16
	VTBX V31.B16, [V20.B16, V21.B16, V22.B16, V23.B16], V7.B16
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R3)
	VST1 [V4.B16, V5.B16, V6.B16, V7.B16], (R3)

	// Mask: nonzero bytes (saturating narrowing keeps non-zero values
	// non-zero), weighted 1, 2, ..., 128, summed pairwise into 8 bytes.
	MOVD $fdctConsts<>+48(SB), R4
	VLD1 (R4), [V12.B16]
	SQXTNB(8, 0)
	SQXTNB2(8, 1)
	SQXTNB(9, 2)
	SQXTNB2(9, 3)
	SQXTNB(10, 4)
	SQXTNB2(10, 5)
	SQXTNB(11, 6)
	SQXTNB2(11, 7)
	CMTST16B(8, 8, 8)
	CMTST16B(9, 9, 9)
	CMTST16B(10, 10, 10)
	CMTST16B(11, 11, 11)
	VAND V12.B16, V8.B16, V8.B16
	VAND V12.B16, V9.B16, V9.B16
	VAND V12.B16, V10.B16, V10.B16
	VAND V12.B16, V11.B16, V11.B16
	VADDP V9.B16, V8.B16, V8.B16
	VADDP V11.B16, V10.B16, V10.B16
	VADDP V10.B16, V8.B16, V8.B16
	VADDP V8.B16, V8.B16, V8.B16
	VMOV V8.D[0], R5
	AND $-2, R5, R5
	MOVD R5, ret+32(FP)
	RET
