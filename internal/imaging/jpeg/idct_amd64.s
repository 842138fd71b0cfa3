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

// idct4x4 constants (see idct.go): each in eight lanes, then pairs with one
// constant in the low four lanes and another in the high four.
#define D4(off, v) DATA idct4Consts<>+(off)+0(SB)/4, $v; DATA idct4Consts<>+(off)+4(SB)/4, $v; DATA idct4Consts<>+(off)+8(SB)/4, $v; DATA idct4Consts<>+(off)+12(SB)/4, $v
#define D8(off, v) D4(off, v); D4((off)+16, v)

D8(0, 5793)         // fixC2
D8(32, 5352)        // fixW2C2
D8(64, -2217)       // -fixW6C2
D8(96, 7423)        // fixW1C1
D8(128, -1477)      // -fixW7C1
D8(160, 2607)       // fixW3C3
D8(192, -1742)      // -fixW5C3
D8(224, 3075)       // fixW1C3
D8(256, -612)       // -fixW7C3
D8(288, -6293)      // -fixW3C1
D8(320, 4205)       // fixW5C1
D8(352, 1024)       // pass 1 rounding
D8(384, 16842752)   // pass 2 bias: 128<<17 + 1<<16
D4(416, 5352)       // fixW2C2 | -fixW6C2
D4(432, -2217)
D4(448, 7423)       // fixW1C1 | -fixW5C3
D4(464, -1742)
D4(480, 2607)       // fixW3C3 | -fixW7C1
D4(496, -1477)
D4(512, 3075)       // fixW1C3 | fixW5C1
D4(528, 4205)
D4(544, -6293)      // -fixW3C1 | -fixW7C3
D4(560, -612)
GLOBL idct4Consts<>(SB), RODATA|NOPTR, $576

#define K4(off) idct4Consts<>+(off)(SB)

// func idct4x4AVX2Asm(dst *byte, stride int, in *[64]int32)
//
// Pass 1 runs the eight columns in the lanes (column 4 is computed and not
// used); a 4x8 transpose leaves row[k] and row[k+4] of the four output rows
// in the two halves of one register, so pass 2 multiplies two frequencies
// per instruction and adds the halves.
TEXT ·idct4x4AVX2Asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), SI
	MOVQ in+16(FP), AX

	VMOVDQU 0(AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3
	VMOVDQU 160(AX), Y5
	VMOVDQU 192(AX), Y6
	VMOVDQU 224(AX), Y7

	// Pass 1: columns, Q0 in, Q2 out.
	VPMULLD K4(0), Y0, Y8
	VPADDD K4(352), Y8, Y8    // t0
	VPMULLD K4(32), Y2, Y9
	VPMULLD K4(64), Y6, Y10
	VPADDD Y10, Y9, Y9        // t2
	VPADDD Y9, Y8, Y10        // e0
	VPSUBD Y9, Y8, Y11        // e1
	VPMULLD K4(96), Y1, Y12
	VPMULLD K4(128), Y7, Y13
	VPADDD Y13, Y12, Y12
	VPMULLD K4(160), Y3, Y13
	VPADDD Y13, Y12, Y12
	VPMULLD K4(192), Y5, Y13
	VPADDD Y13, Y12, Y12      // o0
	VPMULLD K4(224), Y1, Y14
	VPMULLD K4(256), Y7, Y15
	VPADDD Y15, Y14, Y14
	VPMULLD K4(288), Y3, Y15
	VPADDD Y15, Y14, Y14
	VPMULLD K4(320), Y5, Y15
	VPADDD Y15, Y14, Y14      // o1
	VPADDD Y12, Y10, Y0
	VPADDD Y14, Y11, Y1
	VPSUBD Y14, Y11, Y2
	VPSUBD Y12, Y10, Y3
	VPSRAD $11, Y0, Y0        // ws row 0
	VPSRAD $11, Y1, Y1        // ws row 1
	VPSRAD $11, Y2, Y2        // ws row 2
	VPSRAD $11, Y3, Y3        // ws row 3

	// Transpose: Y(k) = row[k] | row[k+4], lanes y.
	VPUNPCKLDQ Y1, Y0, Y4
	VPUNPCKHDQ Y1, Y0, Y5
	VPUNPCKLDQ Y3, Y2, Y6
	VPUNPCKHDQ Y3, Y2, Y7
	VPUNPCKLQDQ Y6, Y4, Y0
	VPUNPCKHQDQ Y6, Y4, Y1
	VPUNPCKLQDQ Y7, Y5, Y2
	VPUNPCKHQDQ Y7, Y5, Y3

	// Pass 2: rows, Q2 in, level-shifted pixels out.
	VPMULLD K4(416), Y2, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD X5, X4, X4         // t2
	VPMULLD K4(448), Y1, Y5
	VPMULLD K4(480), Y3, Y6
	VPADDD Y6, Y5, Y5
	VEXTRACTI128 $1, Y5, X6
	VPADDD X6, X5, X5         // o0
	VPMULLD K4(512), Y1, Y6
	VPMULLD K4(544), Y3, Y7
	VPADDD Y7, Y6, Y6
	VEXTRACTI128 $1, Y6, X7
	VPADDD X7, X6, X6         // o1
	VPMULLD K4(0), X0, X7
	VPADDD K4(384), X7, X7    // t0 + bias
	VPADDD X4, X7, X8         // e0
	VPSUBD X4, X7, X9         // e1
	VPADDD X5, X8, X0
	VPADDD X6, X9, X1
	VPSUBD X6, X9, X2
	VPSUBD X5, X8, X3
	VPSRAD $17, X0, X0        // x = 0, lanes y
	VPSRAD $17, X1, X1
	VPSRAD $17, X2, X2
	VPSRAD $17, X3, X3

	VPACKSSDW X1, X0, X0
	VPACKSSDW X3, X2, X2
	VPACKUSWB X2, X0, X0      // x0 y0-3, x1 y0-3, x2 y0-3, x3 y0-3
	VPSHUFB K(448), X0, X0    // rows
	LEAQ (SI)(SI*2), BX
	VMOVD X0, (DI)
	VPEXTRD $1, X0, (DI)(SI*1)
	VPEXTRD $2, X0, (DI)(SI*2)
	VPEXTRD $3, X0, (DI)(BX*1)
	VZEROUPPER
	RET
