//go:build !purego

#include "textflag.h"

// idct8x8AVX2Asm is idct8x8Generic (idct.go) in AVX2, without its zero
// shortcuts (they compute the same values). Every step is int32 arithmetic
// modulo 2^32 like the Go code, and only the final shifts are not ring
// operations, so the order of the additions does not change the result.
//
// Pass 1 (columns) keeps row v of the block in Y(v): lane x is column x.
// An 8x8 transpose then puts row[k] of every output row y in one register
// (lane y) for pass 2, whose results, register x lane y, are packed to
// bytes with saturation (= clamp8), transposed and stored.

// Constants, each in eight int32 lanes (see idct.go).
#define C8(off, v) DATA idctConsts<>+(off)+0(SB)/4, $v; DATA idctConsts<>+(off)+4(SB)/4, $v; DATA idctConsts<>+(off)+8(SB)/4, $v; DATA idctConsts<>+(off)+12(SB)/4, $v; DATA idctConsts<>+(off)+16(SB)/4, $v; DATA idctConsts<>+(off)+20(SB)/4, $v; DATA idctConsts<>+(off)+24(SB)/4, $v; DATA idctConsts<>+(off)+28(SB)/4, $v

C8(0, 4433)      // fix0_541196100
C8(32, 15137)    // fix1_847759065
C8(64, 6270)     // fix0_765366865
C8(96, 9633)     // fix1_175875602
C8(128, 2446)    // fix0_298631336
C8(160, 16819)   // fix2_053119869
C8(192, 25172)   // fix3_072711026
C8(224, 12299)   // fix1_501321110
C8(256, -7373)   // -fix0_899976223
C8(288, -20995)  // -fix2_562915447
C8(320, -16069)  // -fix1_961570560
C8(352, -3196)   // -fix0_390180644
C8(384, 1024)    // pass 1 rounding: 1<<(constBits-pass1Bits-1)
C8(416, 33685504) // pass 2 bias<<constBits: (128<<5 + 1<<4) << 13
// VPSHUFB mask transposing the 4x4 bytes of each 16-byte lane.
DATA idctConsts<>+448(SB)/8, $0x0d0905010c080400
DATA idctConsts<>+456(SB)/8, $0x0f0b07030e0a0602
DATA idctConsts<>+464(SB)/8, $0x0d0905010c080400
DATA idctConsts<>+472(SB)/8, $0x0f0b07030e0a0602
GLOBL idctConsts<>(SB), RODATA|NOPTR, $480

#define K(off) idctConsts<>+(off)(SB)

// IDCT1D is one 1-D pass of idct8x8Generic on eight lanes: inputs a0..a7
// (frequency k in ak), temporaries t0..t4, rnd the rounding added to the
// even part after <<constBits, sh the final arithmetic shift. Outputs
// (position k in ak) replace the inputs.
#define IDCT1D(a0, a1, a2, a3, a4, a5, a6, a7, t0, t1, t2, t3, t4, rnd, sh) \
	/* Even part. */ \
	VPADDD a6, a2, t0 \
	VPMULLD K(0), t0, t0    /* z1 */ \
	VPMULLD K(32), a6, t1 \
	VPSUBD t1, t0, t1       /* t2 = z1 - z3*fix1_847759065 */ \
	VPMULLD K(64), a2, t2 \
	VPADDD t2, t0, t2       /* t3 = z1 + z2*fix0_765366865 */ \
	VPADDD a4, a0, t0 \
	VPSLLD $13, t0, t0 \
	VPADDD rnd, t0, t0      /* t0 */ \
	VPSUBD a4, a0, t3 \
	VPSLLD $13, t3, t3 \
	VPADDD rnd, t3, t3      /* t1 */ \
	VPADDD t2, t0, a0       /* t10 */ \
	VPSUBD t2, t0, a6       /* t13 */ \
	VPADDD t1, t3, a2       /* t11 */ \
	VPSUBD t1, t3, a4       /* t12 */ \
	/* Odd part: o0..o3 are a7, a5, a3, a1. */ \
	VPADDD a1, a7, t0       /* z1 */ \
	VPADDD a3, a5, t1       /* z2 */ \
	VPADDD a3, a7, t2       /* z3 */ \
	VPADDD a1, a5, t3       /* z4 */ \
	VPADDD t3, t2, t4 \
	VPMULLD K(96), t4, t4   /* z5 */ \
	VPMULLD K(128), a7, a7 \
	VPMULLD K(160), a5, a5 \
	VPMULLD K(192), a3, a3 \
	VPMULLD K(224), a1, a1 \
	VPMULLD K(256), t0, t0 \
	VPMULLD K(288), t1, t1 \
	VPMULLD K(320), t2, t2 \
	VPADDD t4, t2, t2       /* z3 */ \
	VPMULLD K(352), t3, t3 \
	VPADDD t4, t3, t3       /* z4 */ \
	VPADDD t0, a7, a7 \
	VPADDD t2, a7, a7       /* o0 */ \
	VPADDD t1, a5, a5 \
	VPADDD t3, a5, a5       /* o1 */ \
	VPADDD t1, a3, a3 \
	VPADDD t2, a3, a3       /* o2 */ \
	VPADDD t0, a1, a1 \
	VPADDD t3, a1, a1       /* o3 */ \
	/* Outputs. */ \
	VPSUBD a1, a0, t0       /* 7: t10 - o3 */ \
	VPADDD a1, a0, a0       /* 0: t10 + o3 */ \
	VPADDD a3, a2, a1       /* 1: t11 + o2 */ \
	VPSUBD a3, a2, t1       /* 6: t11 - o2 */ \
	VPADDD a5, a4, a2       /* 2: t12 + o1 */ \
	VPSUBD a5, a4, t2       /* 5: t12 - o1 */ \
	VPADDD a7, a6, a3       /* 3: t13 + o0 */ \
	VPSUBD a7, a6, t3       /* 4: t13 - o0 */ \
	VPSRAD $sh, a0, a0 \
	VPSRAD $sh, a1, a1 \
	VPSRAD $sh, a2, a2 \
	VPSRAD $sh, a3, a3 \
	VPSRAD $sh, t3, a4 \
	VPSRAD $sh, t2, a5 \
	VPSRAD $sh, t1, a6 \
	VPSRAD $sh, t0, a7

// func idct8x8AVX2Asm(dst *byte, stride int, in *[64]int32)
TEXT ·idct8x8AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), SI
	MOVQ in+16(FP), AX

	VMOVDQU 0(AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3
	VMOVDQU 128(AX), Y4
	VMOVDQU 160(AX), Y5
	VMOVDQU 192(AX), Y6
	VMOVDQU 224(AX), Y7

	// Pass 1: columns, Q0 in, Q2 out.
	IDCT1D(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, K(384), 11)

	// Transpose: Y(8+k) = element k of rows 0..7.
	VPUNPCKLDQ Y1, Y0, Y8
	VPUNPCKHDQ Y1, Y0, Y9
	VPUNPCKLDQ Y3, Y2, Y10
	VPUNPCKHDQ Y3, Y2, Y11
	VPUNPCKLDQ Y5, Y4, Y12
	VPUNPCKHDQ Y5, Y4, Y13
	VPUNPCKLDQ Y7, Y6, Y14
	VPUNPCKHDQ Y7, Y6, Y15
	VPUNPCKLQDQ Y10, Y8, Y0
	VPUNPCKHQDQ Y10, Y8, Y1
	VPUNPCKLQDQ Y11, Y9, Y2
	VPUNPCKHQDQ Y11, Y9, Y3
	VPUNPCKLQDQ Y14, Y12, Y4
	VPUNPCKHQDQ Y14, Y12, Y5
	VPUNPCKLQDQ Y15, Y13, Y6
	VPUNPCKHQDQ Y15, Y13, Y7
	VPERM2I128 $0x20, Y4, Y0, Y8
	VPERM2I128 $0x31, Y4, Y0, Y12
	VPERM2I128 $0x20, Y5, Y1, Y9
	VPERM2I128 $0x31, Y5, Y1, Y13
	VPERM2I128 $0x20, Y6, Y2, Y10
	VPERM2I128 $0x31, Y6, Y2, Y14
	VPERM2I128 $0x20, Y7, Y3, Y11
	VPERM2I128 $0x31, Y7, Y3, Y15

	// Pass 2: rows, Q2 in, level-shifted pixels out (Y(8+x) lane y).
	IDCT1D(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, Y0, Y1, Y2, Y3, Y4, K(416), 18)

	// Saturate to int16, then to uint8: the same as clamp8.
	VPACKSSDW Y9, Y8, Y0    // x0 y0-3, x1 y0-3 | x0 y4-7, x1 y4-7
	VPACKSSDW Y11, Y10, Y1
	VPACKSSDW Y13, Y12, Y2
	VPACKSSDW Y15, Y14, Y3
	VPACKUSWB Y1, Y0, Y0    // x0..x3 of y0-3 | of y4-7, x-major
	VPACKUSWB Y3, Y2, Y2    // x4..x7
	VPSHUFB K(448), Y0, Y0  // y-major: y0 x0-3, y1 x0-3, ...
	VPSHUFB K(448), Y2, Y2
	VPUNPCKLDQ Y2, Y0, Y1   // rows 0, 1 | rows 4, 5
	VPUNPCKHDQ Y2, Y0, Y3   // rows 2, 3 | rows 6, 7

	LEAQ (SI)(SI*2), BX
	MOVQ X1, (DI)
	VPEXTRQ $1, X1, (DI)(SI*1)
	MOVQ X3, (DI)(SI*2)
	VPEXTRQ $1, X3, (DI)(BX*1)
	LEAQ (DI)(SI*4), DI
	VEXTRACTI128 $1, Y1, X1
	VEXTRACTI128 $1, Y3, X3
	MOVQ X1, (DI)
	VPEXTRQ $1, X1, (DI)(SI*1)
	MOVQ X3, (DI)(SI*2)
	VPEXTRQ $1, X3, (DI)(BX*1)
	VZEROUPPER
	RET
