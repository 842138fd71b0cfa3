//go:build !purego

#include "textflag.h"

// idct8x8NEONAsm is idct8x8Generic (idct.go) in NEON, without its zero
// shortcuts (they compute the same values); see idct_amd64.s for why the
// results are bit-identical. Row v of the block is in V(2v) (columns 0-3)
// and V(2v+1) (columns 4-7); pass 1 runs on the two halves, four 4x4
// transposes give pass 2 its rows (top rows 0-3, bottom rows 4-7), and
// four more turn its results back into rows of pixels.
//
// The assembler lacks the integer NEON instructions used here, so they are
// WORD encodings with register numbers, in ARM operand order (d, n, m).

#define ADD4S(d, n, m) WORD $(0x4ea08400 | ((m)<<16) | ((n)<<5) | (d))
#define SUB4S(d, n, m) WORD $(0x6ea08400 | ((m)<<16) | ((n)<<5) | (d))
// MULE: Vd.4S = Vn.4S * Vm.S[i].
#define MULE(d, n, m, i) WORD $(0x4f808000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))
// MLAE: Vd.4S += Vn.4S * Vm.S[i].
#define MLAE(d, n, m, i) WORD $(0x6f800000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))
#define SHL4S(d, n, s) WORD $(0x4f005400 | ((32+(s))<<16) | ((n)<<5) | (d))
#define SSHR4S(d, n, s) WORD $(0x4f000400 | ((64-(s))<<16) | ((n)<<5) | (d))
#define TRN1S(d, n, m) WORD $(0x4e802800 | ((m)<<16) | ((n)<<5) | (d))
#define TRN2S(d, n, m) WORD $(0x4e806800 | ((m)<<16) | ((n)<<5) | (d))
#define TRN1D(d, n, m) WORD $(0x4ec02800 | ((m)<<16) | ((n)<<5) | (d))
#define TRN2D(d, n, m) WORD $(0x4ec06800 | ((m)<<16) | ((n)<<5) | (d))
// SQXTN Vd.4H, Vn.4S; SQXTN2 Vd.8H, Vn.4S; SQXTUN Vd.8B, Vn.8H.
#define SQXTN(d, n) WORD $(0x0e614800 | ((n)<<5) | (d))
#define SQXTN2(d, n) WORD $(0x4e614800 | ((n)<<5) | (d))
#define SQXTUN(d, n) WORD $(0x2e212800 | ((n)<<5) | (d))

// Constants (see idct.go), loaded into V26-V30.
DATA idctConsts<>+0(SB)/4, $4433     // V26.S[0] fix0_541196100
DATA idctConsts<>+4(SB)/4, $15137    // V26.S[1] fix1_847759065
DATA idctConsts<>+8(SB)/4, $6270     // V26.S[2] fix0_765366865
DATA idctConsts<>+12(SB)/4, $9633    // V26.S[3] fix1_175875602
DATA idctConsts<>+16(SB)/4, $2446    // V27.S[0] fix0_298631336
DATA idctConsts<>+20(SB)/4, $16819   // V27.S[1] fix2_053119869
DATA idctConsts<>+24(SB)/4, $25172   // V27.S[2] fix3_072711026
DATA idctConsts<>+28(SB)/4, $12299   // V27.S[3] fix1_501321110
DATA idctConsts<>+32(SB)/4, $-7373   // V28.S[0] -fix0_899976223
DATA idctConsts<>+36(SB)/4, $-20995  // V28.S[1] -fix2_562915447
DATA idctConsts<>+40(SB)/4, $-16069  // V28.S[2] -fix1_961570560
DATA idctConsts<>+44(SB)/4, $-3196   // V28.S[3] -fix0_390180644
// V29: pass 1 rounding, 1<<(constBits-pass1Bits-1).
DATA idctConsts<>+48(SB)/4, $1024
DATA idctConsts<>+52(SB)/4, $1024
DATA idctConsts<>+56(SB)/4, $1024
DATA idctConsts<>+60(SB)/4, $1024
// V30: pass 2 bias<<constBits, (128<<5 + 1<<4) << 13.
DATA idctConsts<>+64(SB)/4, $33685504
DATA idctConsts<>+68(SB)/4, $33685504
DATA idctConsts<>+72(SB)/4, $33685504
DATA idctConsts<>+76(SB)/4, $33685504
GLOBL idctConsts<>(SB), RODATA|NOPTR, $80

// IDCT1D is one 1-D pass of idct8x8Generic on four lanes, with register
// numbers: inputs a0..a7 (frequency k in ak), temporaries t0..t4, rnd the
// register holding the rounding added after <<constBits, sh the final
// arithmetic shift. Outputs (position k in ak) replace the inputs.
#define IDCT1D(a0, a1, a2, a3, a4, a5, a6, a7, t0, t1, t2, t3, t4, rnd, sh) \
	ADD4S(t0, a2, a6) \
	MULE(t0, t0, 26, 0)  /* z1 */ \
	MULE(t1, a6, 26, 1) \
	SUB4S(t1, t0, t1)    /* t2 */ \
	MULE(t2, a2, 26, 2) \
	ADD4S(t2, t0, t2)    /* t3 */ \
	ADD4S(t0, a0, a4) \
	SHL4S(t0, t0, 13) \
	ADD4S(t0, t0, rnd)   /* t0 */ \
	SUB4S(t3, a0, a4) \
	SHL4S(t3, t3, 13) \
	ADD4S(t3, t3, rnd)   /* t1 */ \
	ADD4S(a0, t0, t2)    /* t10 */ \
	SUB4S(a6, t0, t2)    /* t13 */ \
	ADD4S(a2, t3, t1)    /* t11 */ \
	SUB4S(a4, t3, t1)    /* t12 */ \
	ADD4S(t0, a7, a1)    /* z1 */ \
	ADD4S(t1, a5, a3)    /* z2 */ \
	ADD4S(t2, a7, a3)    /* z3 */ \
	ADD4S(t3, a5, a1)    /* z4 */ \
	ADD4S(t4, t2, t3) \
	MULE(t4, t4, 26, 3)  /* z5 */ \
	MULE(a7, a7, 27, 0) \
	MULE(a5, a5, 27, 1) \
	MULE(a3, a3, 27, 2) \
	MULE(a1, a1, 27, 3) \
	MULE(t0, t0, 28, 0) \
	MULE(t1, t1, 28, 1) \
	MULE(t2, t2, 28, 2) \
	ADD4S(t2, t2, t4)    /* z3 */ \
	MULE(t3, t3, 28, 3) \
	ADD4S(t3, t3, t4)    /* z4 */ \
	ADD4S(a7, a7, t0) \
	ADD4S(a7, a7, t2)    /* o0 */ \
	ADD4S(a5, a5, t1) \
	ADD4S(a5, a5, t3)    /* o1 */ \
	ADD4S(a3, a3, t1) \
	ADD4S(a3, a3, t2)    /* o2 */ \
	ADD4S(a1, a1, t0) \
	ADD4S(a1, a1, t3)    /* o3 */ \
	SUB4S(t0, a0, a1)    /* 7: t10 - o3 */ \
	ADD4S(a0, a0, a1)    /* 0: t10 + o3 */ \
	ADD4S(a1, a2, a3)    /* 1: t11 + o2 */ \
	SUB4S(t1, a2, a3)    /* 6: t11 - o2 */ \
	ADD4S(a2, a4, a5)    /* 2: t12 + o1 */ \
	SUB4S(t2, a4, a5)    /* 5: t12 - o1 */ \
	ADD4S(a3, a6, a7)    /* 3: t13 + o0 */ \
	SUB4S(t3, a6, a7)    /* 4: t13 - o0 */ \
	SSHR4S(a0, a0, sh) \
	SSHR4S(a1, a1, sh) \
	SSHR4S(a2, a2, sh) \
	SSHR4S(a3, a3, sh) \
	SSHR4S(a4, t3, sh) \
	SSHR4S(a5, t2, sh) \
	SSHR4S(a6, t1, sh) \
	SSHR4S(a7, t0, sh)

// TR4 transposes the 4x4 int32 matrix whose rows are a, b, c, d in place,
// with temporaries t0..t3.
#define TR4(a, b, c, d, t0, t1, t2, t3) \
	TRN1S(t0, a, b) \
	TRN2S(t1, a, b) \
	TRN1S(t2, c, d) \
	TRN2S(t3, c, d) \
	TRN1D(a, t0, t2) \
	TRN2D(c, t0, t2) \
	TRN1D(b, t1, t3) \
	TRN2D(d, t1, t3)

// func idct8x8NEONAsm(dst *byte, stride int, in *[64]int32)
TEXT ·idct8x8NEONAsm(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD stride+8(FP), R1
	MOVD in+16(FP), R2
	MOVD $idctConsts<>(SB), R3
	VLD1.P 64(R3), [V26.S4, V27.S4, V28.S4, V29.S4]
	VLD1 (R3), [V30.S4]

	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1 (R2), [V12.S4, V13.S4, V14.S4, V15.S4]

	// Pass 1: columns 0-3, then 4-7. Q0 in, Q2 out.
	IDCT1D(0, 2, 4, 6, 8, 10, 12, 14, 16, 17, 18, 19, 20, 29, 11)
	IDCT1D(1, 3, 5, 7, 9, 11, 13, 15, 21, 22, 23, 24, 25, 29, 11)

	// Transpose: top rows 0-3 get row[k] in V0, V2, V4, V6 (k = 0..3) and
	// V1, V3, V5, V7 (k = 4..7); bottom rows 4-7 in V8..V15 likewise.
	TR4(0, 2, 4, 6, 16, 17, 18, 19)
	TR4(1, 3, 5, 7, 20, 21, 22, 23)
	TR4(8, 10, 12, 14, 16, 17, 18, 19)
	TR4(9, 11, 13, 15, 20, 21, 22, 23)

	// Pass 2: rows, Q2 in, level-shifted pixels out (output x in the
	// register that held row[x]).
	IDCT1D(0, 2, 4, 6, 1, 3, 5, 7, 16, 17, 18, 19, 20, 30, 18)
	IDCT1D(8, 10, 12, 14, 9, 11, 13, 15, 21, 22, 23, 24, 25, 30, 18)

	// Back to rows: row y is V(2y) (x = 0..3) and V(2y+1) (x = 4..7).
	TR4(0, 2, 4, 6, 16, 17, 18, 19)
	TR4(1, 3, 5, 7, 20, 21, 22, 23)
	TR4(8, 10, 12, 14, 16, 17, 18, 19)
	TR4(9, 11, 13, 15, 20, 21, 22, 23)

	// Saturate to int16, then to uint8 (= clamp8), and store.
	SQXTN(16, 0)
	SQXTN2(16, 1)
	SQXTN(17, 2)
	SQXTN2(17, 3)
	SQXTN(18, 4)
	SQXTN2(18, 5)
	SQXTN(19, 6)
	SQXTN2(19, 7)
	SQXTN(20, 8)
	SQXTN2(20, 9)
	SQXTN(21, 10)
	SQXTN2(21, 11)
	SQXTN(22, 12)
	SQXTN2(22, 13)
	SQXTN(23, 14)
	SQXTN2(23, 15)
	SQXTUN(16, 16)
	SQXTUN(17, 17)
	SQXTUN(18, 18)
	SQXTUN(19, 19)
	SQXTUN(20, 20)
	SQXTUN(21, 21)
	SQXTUN(22, 22)
	SQXTUN(23, 23)
	VST1.P [V16.B8], (R0)(R1)
	VST1.P [V17.B8], (R0)(R1)
	VST1.P [V18.B8], (R0)(R1)
	VST1.P [V19.B8], (R0)(R1)
	VST1.P [V20.B8], (R0)(R1)
	VST1.P [V21.B8], (R0)(R1)
	VST1.P [V22.B8], (R0)(R1)
	VST1 [V23.B8], (R0)
	RET

// idct4x4 constants (see idct.go), loaded into V26-V30.
DATA idct4Consts<>+0(SB)/4, $5793    // V26.S[0] fixC2
DATA idct4Consts<>+4(SB)/4, $5352    // V26.S[1] fixW2C2
DATA idct4Consts<>+8(SB)/4, $-2217   // V26.S[2] -fixW6C2
DATA idct4Consts<>+12(SB)/4, $7423   // V26.S[3] fixW1C1
DATA idct4Consts<>+16(SB)/4, $-1477  // V27.S[0] -fixW7C1
DATA idct4Consts<>+20(SB)/4, $2607   // V27.S[1] fixW3C3
DATA idct4Consts<>+24(SB)/4, $-1742  // V27.S[2] -fixW5C3
DATA idct4Consts<>+28(SB)/4, $3075   // V27.S[3] fixW1C3
DATA idct4Consts<>+32(SB)/4, $-612   // V28.S[0] -fixW7C3
DATA idct4Consts<>+36(SB)/4, $-6293  // V28.S[1] -fixW3C1
DATA idct4Consts<>+40(SB)/4, $4205   // V28.S[2] fixW5C1
DATA idct4Consts<>+44(SB)/4, $0
// V29: pass 1 rounding; V30: pass 2 bias, 128<<17 + 1<<16.
DATA idct4Consts<>+48(SB)/4, $1024
DATA idct4Consts<>+52(SB)/4, $1024
DATA idct4Consts<>+56(SB)/4, $1024
DATA idct4Consts<>+60(SB)/4, $1024
DATA idct4Consts<>+64(SB)/4, $16842752
DATA idct4Consts<>+68(SB)/4, $16842752
DATA idct4Consts<>+72(SB)/4, $16842752
DATA idct4Consts<>+76(SB)/4, $16842752
GLOBL idct4Consts<>(SB), RODATA|NOPTR, $80

// IDCT4 is one 1-D pass of idct4x4Generic on four lanes: inputs f0..f3,
// f5..f7 (frequency k in fk), temporaries t0..t3, rnd the register holding
// the rounding, sh the final shift. Outputs 0..3 replace f0..f3.
#define IDCT4(f0, f1, f2, f3, f5, f6, f7, t0, t1, t2, t3, rnd, sh) \
	MULE(t0, f0, 26, 0) \
	ADD4S(t0, t0, rnd)     /* t0 */ \
	MULE(t1, f2, 26, 1) \
	MLAE(t1, f6, 26, 2)    /* t2 */ \
	MULE(t2, f1, 26, 3) \
	MLAE(t2, f7, 27, 0) \
	MLAE(t2, f3, 27, 1) \
	MLAE(t2, f5, 27, 2)    /* o0 */ \
	MULE(t3, f1, 27, 3) \
	MLAE(t3, f7, 28, 0) \
	MLAE(t3, f3, 28, 1) \
	MLAE(t3, f5, 28, 2)    /* o1 */ \
	ADD4S(f0, t0, t1)      /* e0 */ \
	SUB4S(t0, t0, t1)      /* e1 */ \
	ADD4S(f1, t0, t3) \
	SUB4S(f2, t0, t3) \
	SUB4S(f3, f0, t2) \
	ADD4S(f0, f0, t2) \
	SSHR4S(f0, f0, sh) \
	SSHR4S(f1, f1, sh) \
	SSHR4S(f2, f2, sh) \
	SSHR4S(f3, f3, sh)

// func idct4x4NEONAsm(dst *byte, stride int, in *[64]int32)
//
// Same layout as idct8x8NEONAsm: pass 1 on columns 0-3 and 4-7 (column 4
// is computed and not used), a transpose, pass 2 on the four rows at once,
// a transpose back.
TEXT ·idct4x4NEONAsm(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD stride+8(FP), R1
	MOVD in+16(FP), R2
	MOVD $idct4Consts<>(SB), R3
	VLD1.P 64(R3), [V26.S4, V27.S4, V28.S4, V29.S4]
	VLD1 (R3), [V30.S4]

	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1 (R2), [V12.S4, V13.S4, V14.S4, V15.S4]

	// Pass 1: ws rows 0-3 in V0, V2, V4, V6 (columns 0-3) and V1, V3, V5,
	// V7 (columns 4-7). Q0 in, Q2 out.
	IDCT4(0, 2, 4, 6, 10, 12, 14, 16, 17, 18, 19, 29, 11)
	IDCT4(1, 3, 5, 7, 11, 13, 15, 20, 21, 22, 23, 29, 11)

	// Transpose: row[k] of the four output rows in V0, V2, V4, V6 (k = 0..3)
	// and V1, V3, V5, V7 (k = 4..7).
	TR4(0, 2, 4, 6, 16, 17, 18, 19)
	TR4(1, 3, 5, 7, 20, 21, 22, 23)

	// Pass 2: rows, Q2 in, pixels out (x in V0, V2, V4, V6, lanes y).
	IDCT4(0, 2, 4, 6, 3, 5, 7, 16, 17, 18, 19, 30, 17)
	TR4(0, 2, 4, 6, 16, 17, 18, 19)

	// Saturate to int16, then uint8 (= clamp8): rows 0, 1 in V16, rows 2,
	// 3 in V17, four bytes each.
	SQXTN(16, 0)
	SQXTN2(16, 2)
	SQXTN(17, 4)
	SQXTN2(17, 6)
	SQXTUN(16, 16)
	SQXTUN(17, 17)
	VST1.P V16.S[0], (R0)(R1)
	VST1.P V16.S[1], (R0)(R1)
	VST1.P V17.S[0], (R0)(R1)
	VST1 V17.S[1], (R0)
	RET
