//go:build !purego

#include "textflag.h"

// fdctQuantAVX2Asm is fdctQuantGeneric (fdct.go) in AVX2. All fdct
// arithmetic is int32 like the Go code (no intermediate wraps, see fdct.go;
// and the order of additions would not matter if one did), and the
// quantiser's uint64 products are VPMULUDQ's, so the output is identical.
//
// Pass 1 keeps row y of the block in Y(y) (lane x), so the column
// transforms are lane-wise; a transpose puts row v's values in lane v of
// Y(8+u); after pass 2, Y(8+u) lane v holds coefficient (u, v), the order
// of quantRecip's table. The quantised int16 go to a 128-byte frame buffer
// and are copied to dst in zig-zag order with scalar moves.

#define C8(off, v) DATA fdctConsts<>+(off)+0(SB)/4, $v; DATA fdctConsts<>+(off)+4(SB)/4, $v; DATA fdctConsts<>+(off)+8(SB)/4, $v; DATA fdctConsts<>+(off)+12(SB)/4, $v; DATA fdctConsts<>+(off)+16(SB)/4, $v; DATA fdctConsts<>+(off)+20(SB)/4, $v; DATA fdctConsts<>+(off)+24(SB)/4, $v; DATA fdctConsts<>+(off)+28(SB)/4, $v

C8(0, 5793)      // aanC0707
C8(32, 3135)     // aanC0382
C8(64, 4433)     // aanC0541
C8(96, 10703)    // aanC1306
C8(128, 4096)    // mulC rounding, 1<<(aanConstBits-1)
// Quantiser rounding, 1<<(recipBits-1) in each uint64.
DATA fdctConsts<>+160(SB)/8, $0x80000000
DATA fdctConsts<>+168(SB)/8, $0x80000000
DATA fdctConsts<>+176(SB)/8, $0x80000000
DATA fdctConsts<>+184(SB)/8, $0x80000000
C8(192, 1023)    // AC magnitude limit
// Column u=0: DC (lane 0) limit 1024 (then min 1023 after the sign), AC 1023.
DATA fdctConsts<>+224(SB)/4, $1024
DATA fdctConsts<>+228(SB)/4, $1023
DATA fdctConsts<>+232(SB)/8, $0x000003ff000003ff
DATA fdctConsts<>+240(SB)/8, $0x000003ff000003ff
DATA fdctConsts<>+248(SB)/8, $0x000003ff000003ff
GLOBL fdctConsts<>(SB), RODATA|NOPTR, $256

#define K(off) fdctConsts<>+(off)(SB)

// MULC is mulC(x, c) in place: (x*c + 1<<12) >> 13.
#define MULC(x, c) VPMULLD c, x, x; VPADDD K(128), x, x; VPSRAD $13, x, x

// FDCT1D is one 1-D pass of fdct on eight lanes: inputs a0..a7 (sample k
// in ak), temporaries t0..t7; outputs (frequency k in ak) replace the
// inputs.
#define FDCT1D(a0, a1, a2, a3, a4, a5, a6, a7, t0, t1, t2, t3, t4, t5, t6, t7) \
	VPADDD a7, a0, t0 \
	VPSUBD a7, a0, t7 \
	VPADDD a6, a1, t1 \
	VPSUBD a6, a1, t6 \
	VPADDD a5, a2, t2 \
	VPSUBD a5, a2, t5 \
	VPADDD a4, a3, t3 \
	VPSUBD a4, a3, t4 \
	/* Even part. */ \
	VPADDD t3, t0, a1    /* t10 */ \
	VPSUBD t3, t0, a3    /* t13 */ \
	VPADDD t2, t1, a5    /* t11 */ \
	VPSUBD t2, t1, a7    /* t12 */ \
	VPADDD a5, a1, a0    /* 0 */ \
	VPSUBD a5, a1, a4    /* 4 */ \
	VPADDD a3, a7, a7 \
	MULC(a7, K(0))       /* z1 */ \
	VPADDD a7, a3, a2    /* 2 */ \
	VPSUBD a7, a3, a6    /* 6 */ \
	/* Odd part. */ \
	VPADDD t5, t4, t0    /* a */ \
	VPADDD t6, t5, t1    /* b */ \
	VPADDD t7, t6, t2    /* c */ \
	VPSUBD t2, t0, t3 \
	MULC(t3, K(32))      /* z5 */ \
	MULC(t0, K(64)) \
	VPADDD t3, t0, t0    /* z2 */ \
	MULC(t2, K(96)) \
	VPADDD t3, t2, t2    /* z4 */ \
	MULC(t1, K(0))       /* z3 */ \
	VPADDD t1, t7, t4    /* z11 */ \
	VPSUBD t1, t7, t5    /* z13 */ \
	VPADDD t0, t5, a5    /* 5 */ \
	VPSUBD t0, t5, a3    /* 3 */ \
	VPADDD t2, t4, a1    /* 1 */ \
	VPSUBD t2, t4, a7    /* 7 */

// QUANT quantises x (the eight coefficients (u, v), lanes v) in place:
// magnitude times the uint64 reciprocals at off(DX), rounded, >> 32,
// limited to limit, sign restored. y0/x0, y1, y2/x2 are one scratch
// register each, by its Y and X names.
#define QUANT(x, off, limit, y0, x0, y1, y2, x2) \
	VPABSD x, y0 \
	VPMOVZXDQ x0, y1 \
	VEXTRACTI128 $1, y0, x2 \
	VPMOVZXDQ x2, y2 \
	VPMULUDQ (off)(DX), y1, y1 \
	VPMULUDQ (off)+32(DX), y2, y2 \
	VPADDQ K(160), y1, y1 \
	VPADDQ K(160), y2, y2 \
	VSHUFPS $0xdd, y2, y1, y0   /* high halves: v0 v1 v4 v5 | v2 v3 v6 v7 */ \
	VPERMQ $0xd8, y0, y0 \
	VPMINUD limit, y0, y0 \
	VPSIGND x, y0, x

// func fdctQuantAVX2Asm(src *int16, stride int, recip *[64]uint64, dst *[64]int16) uint64
TEXT ·fdctQuantAVX2Asm(SB), NOSPLIT, $128-40
	MOVQ src+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ recip+16(FP), DX
	MOVQ dst+24(FP), DI
	SHLQ $1, BX
	LEAQ (BX)(BX*2), CX

	VPMOVSXWD (SI), Y0
	VPMOVSXWD (SI)(BX*1), Y1
	VPMOVSXWD (SI)(BX*2), Y2
	VPMOVSXWD (SI)(CX*1), Y3
	LEAQ (SI)(BX*4), SI
	VPMOVSXWD (SI), Y4
	VPMOVSXWD (SI)(BX*1), Y5
	VPMOVSXWD (SI)(BX*2), Y6
	VPMOVSXWD (SI)(CX*1), Y7
	VPSLLD $5, Y0, Y0          // Q0 -> Q5 (fdctFracBits)
	VPSLLD $5, Y1, Y1
	VPSLLD $5, Y2, Y2
	VPSLLD $5, Y3, Y3
	VPSLLD $5, Y4, Y4
	VPSLLD $5, Y5, Y5
	VPSLLD $5, Y6, Y6
	VPSLLD $5, Y7, Y7

	// Pass 1: columns.
	FDCT1D(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)

	// Transpose: Y(8+u) = element u of rows 0..7.
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

	// Pass 2: rows. Y(8+u) lane v = coefficient (u, v), Q5.
	FDCT1D(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

	// Quantise (recip is column-major: (u, v) at u*8+v).
	QUANT(Y8, 0, K(224), Y0, X0, Y1, Y2, X2)
	QUANT(Y9, 64, K(192), Y3, X3, Y4, Y5, X5)
	VPMINSD K(192), Y8, Y8     // DC: [-1024, 1023]
	QUANT(Y10, 128, K(192), Y0, X0, Y1, Y2, X2)
	QUANT(Y11, 192, K(192), Y3, X3, Y4, Y5, X5)
	QUANT(Y12, 256, K(192), Y0, X0, Y1, Y2, X2)
	QUANT(Y13, 320, K(192), Y3, X3, Y4, Y5, X5)
	QUANT(Y14, 384, K(192), Y0, X0, Y1, Y2, X2)
	QUANT(Y15, 448, K(192), Y3, X3, Y4, Y5, X5)

	// To int16 in the frame: 32 bytes per pair of columns u, u+1:
	// u v0-3, u+1 v0-3, u v4-7, u+1 v4-7.
	VPACKSSDW Y9, Y8, Y0
	VPACKSSDW Y11, Y10, Y1
	VPACKSSDW Y13, Y12, Y2
	VPACKSSDW Y15, Y14, Y3
	VMOVDQU Y0, 0(SP)
	VMOVDQU Y1, 32(SP)
	VMOVDQU Y2, 64(SP)
	VMOVDQU Y3, 96(SP)

	// Zig-zag: dst[k] = coefficient zigzag[k] (generated from the layout
	// above; TestFDCTQuantSIMD checks every position).
	MOVWLZX 0(SP), AX
	MOVWLZX 8(SP), BX
	MOVWLZX 2(SP), CX
	MOVWLZX 4(SP), DX
	MOVWLZX 10(SP), R8
	MOVWLZX 32(SP), R9
	MOVWLZX 40(SP), R10
	MOVWLZX 34(SP), R11
	MOVW AX, 0(DI)
	MOVW BX, 2(DI)
	MOVW CX, 4(DI)
	MOVW DX, 6(DI)
	MOVW R8, 8(DI)
	MOVW R9, 10(DI)
	MOVW R10, 12(DI)
	MOVW R11, 14(DI)
	MOVWLZX 12(SP), AX
	MOVWLZX 6(SP), BX
	MOVWLZX 16(SP), CX
	MOVWLZX 14(SP), DX
	MOVWLZX 36(SP), R8
	MOVWLZX 42(SP), R9
	MOVWLZX 64(SP), R10
	MOVWLZX 72(SP), R11
	MOVW AX, 16(DI)
	MOVW BX, 18(DI)
	MOVW CX, 20(DI)
	MOVW DX, 22(DI)
	MOVW R8, 24(DI)
	MOVW R9, 26(DI)
	MOVW R10, 28(DI)
	MOVW R11, 30(DI)
	MOVWLZX 66(SP), AX
	MOVWLZX 44(SP), BX
	MOVWLZX 38(SP), CX
	MOVWLZX 24(SP), DX
	MOVWLZX 18(SP), R8
	MOVWLZX 20(SP), R9
	MOVWLZX 26(SP), R10
	MOVWLZX 48(SP), R11
	MOVW AX, 32(DI)
	MOVW BX, 34(DI)
	MOVW CX, 36(DI)
	MOVW DX, 38(DI)
	MOVW R8, 40(DI)
	MOVW R9, 42(DI)
	MOVW R10, 44(DI)
	MOVW R11, 46(DI)
	MOVWLZX 46(SP), AX
	MOVWLZX 68(SP), BX
	MOVWLZX 74(SP), CX
	MOVWLZX 96(SP), DX
	MOVWLZX 104(SP), R8
	MOVWLZX 98(SP), R9
	MOVWLZX 76(SP), R10
	MOVWLZX 70(SP), R11
	MOVW AX, 48(DI)
	MOVW BX, 50(DI)
	MOVW CX, 52(DI)
	MOVW DX, 54(DI)
	MOVW R8, 56(DI)
	MOVW R9, 58(DI)
	MOVW R10, 60(DI)
	MOVW R11, 62(DI)
	MOVWLZX 56(SP), AX
	MOVWLZX 50(SP), BX
	MOVWLZX 28(SP), CX
	MOVWLZX 22(SP), DX
	MOVWLZX 30(SP), R8
	MOVWLZX 52(SP), R9
	MOVWLZX 58(SP), R10
	MOVWLZX 80(SP), R11
	MOVW AX, 64(DI)
	MOVW BX, 66(DI)
	MOVW CX, 68(DI)
	MOVW DX, 70(DI)
	MOVW R8, 72(DI)
	MOVW R9, 74(DI)
	MOVW R10, 76(DI)
	MOVW R11, 78(DI)
	MOVWLZX 78(SP), AX
	MOVWLZX 100(SP), BX
	MOVWLZX 106(SP), CX
	MOVWLZX 108(SP), DX
	MOVWLZX 102(SP), R8
	MOVWLZX 88(SP), R9
	MOVWLZX 82(SP), R10
	MOVWLZX 60(SP), R11
	MOVW AX, 80(DI)
	MOVW BX, 82(DI)
	MOVW CX, 84(DI)
	MOVW DX, 86(DI)
	MOVW R8, 88(DI)
	MOVW R9, 90(DI)
	MOVW R10, 92(DI)
	MOVW R11, 94(DI)
	MOVWLZX 54(SP), AX
	MOVWLZX 62(SP), BX
	MOVWLZX 84(SP), CX
	MOVWLZX 90(SP), DX
	MOVWLZX 112(SP), R8
	MOVWLZX 110(SP), R9
	MOVWLZX 120(SP), R10
	MOVWLZX 114(SP), R11
	MOVW AX, 96(DI)
	MOVW BX, 98(DI)
	MOVW CX, 100(DI)
	MOVW DX, 102(DI)
	MOVW R8, 104(DI)
	MOVW R9, 106(DI)
	MOVW R10, 108(DI)
	MOVW R11, 110(DI)
	MOVWLZX 92(SP), AX
	MOVWLZX 86(SP), BX
	MOVWLZX 94(SP), CX
	MOVWLZX 116(SP), DX
	MOVWLZX 122(SP), R8
	MOVWLZX 124(SP), R9
	MOVWLZX 118(SP), R10
	MOVWLZX 126(SP), R11
	MOVW AX, 112(DI)
	MOVW BX, 114(DI)
	MOVW CX, 116(DI)
	MOVW DX, 118(DI)
	MOVW R8, 120(DI)
	MOVW R9, 122(DI)
	MOVW R10, 124(DI)
	MOVW R11, 126(DI)

	// Mask: bit k set when dst[k] != 0, bit 0 clear.
	VPXOR Y15, Y15, Y15
	VPCMPEQW 0(DI), Y15, Y0
	VPCMPEQW 32(DI), Y15, Y1
	VPCMPEQW 64(DI), Y15, Y2
	VPCMPEQW 96(DI), Y15, Y3
	VPACKSSWB Y1, Y0, Y0       // k 0-7, 16-23 | 8-15, 24-31
	VPACKSSWB Y3, Y2, Y2
	VPERMQ $0xd8, Y0, Y0
	VPERMQ $0xd8, Y2, Y2
	VPMOVMSKB Y0, AX
	VPMOVMSKB Y2, BX
	SHLQ $32, BX
	ORQ BX, AX
	NOTQ AX
	ANDQ $-2, AX
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET
