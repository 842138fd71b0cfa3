//go:build !purego

#include "textflag.h"

// The per-block kernels (kernels_asm.go) in AVX2. Each gives exactly
// its Go version's output for every input: integer arithmetic whose
// intermediates are shown (in the comments and kernels_test.go) to fit
// the lanes they are computed in, and int16 truncations done as the Go
// conversions do.

// fdctShufS: d0 d1 d0 d1 of each row (VPSHUFB).
DATA fdctShufS<>+0(SB)/8, $0x0302010003020100
DATA fdctShufS<>+8(SB)/8, $0x0b0a09080b0a0908
DATA fdctShufS<>+16(SB)/8, $0x0302010003020100
DATA fdctShufS<>+24(SB)/8, $0x0b0a09080b0a0908
GLOBL fdctShufS<>(SB), RODATA|NOPTR, $32

// fdctShufT: d3 d2 d3 d2 of each row.
DATA fdctShufT<>+0(SB)/8, $0x0504070605040706
DATA fdctShufT<>+8(SB)/8, $0x0d0c0f0e0d0c0f0e
DATA fdctShufT<>+16(SB)/8, $0x0504070605040706
DATA fdctShufT<>+24(SB)/8, $0x0d0c0f0e0d0c0f0e
GLOBL fdctShufT<>(SB), RODATA|NOPTR, $32

// fdctSign: VPSIGNW's signs, giving d3 d2 -d3 -d2.
DATA fdctSign<>+0(SB)/8, $0xffffffff00010001
DATA fdctSign<>+8(SB)/8, $0xffffffff00010001
DATA fdctSign<>+16(SB)/8, $0xffffffff00010001
DATA fdctSign<>+24(SB)/8, $0xffffffff00010001
GLOBL fdctSign<>(SB), RODATA|NOPTR, $32

// fdctK1: (a0, a1)·(4096, 4096) and (a3, a2)·(5352, 2217).
DATA fdctK1<>+0(SB)/8, $0x08a914e810001000
DATA fdctK1<>+8(SB)/8, $0x08a914e810001000
DATA fdctK1<>+16(SB)/8, $0x08a914e810001000
DATA fdctK1<>+24(SB)/8, $0x08a914e810001000
GLOBL fdctK1<>(SB), RODATA|NOPTR, $32

// fdctK2: (a0, a1)·(4096, -4096) and (a3, a2)·(2217, -5352).
DATA fdctK2<>+0(SB)/8, $0xeb1808a9f0001000
DATA fdctK2<>+8(SB)/8, $0xeb1808a9f0001000
DATA fdctK2<>+16(SB)/8, $0xeb1808a9f0001000
DATA fdctK2<>+24(SB)/8, $0xeb1808a9f0001000
GLOBL fdctK2<>(SB), RODATA|NOPTR, $32

// fdctR1: pass 1 rounding of tmp0 (exact: a multiple of 512) and tmp1.
DATA fdctR1<>+0(SB)/8, $0x0000071400000000
DATA fdctR1<>+8(SB)/8, $0x0000071400000000
DATA fdctR1<>+16(SB)/8, $0x0000071400000000
DATA fdctR1<>+24(SB)/8, $0x0000071400000000
GLOBL fdctR1<>(SB), RODATA|NOPTR, $32

// fdctR2: pass 1 rounding of tmp2 and tmp3.
DATA fdctR2<>+0(SB)/8, $0x000003a900000000
DATA fdctR2<>+8(SB)/8, $0x000003a900000000
DATA fdctR2<>+16(SB)/8, $0x000003a900000000
DATA fdctR2<>+24(SB)/8, $0x000003a900000000
GLOBL fdctR2<>(SB), RODATA|NOPTR, $32

// fdctSeven: pass 2 rounding of out0 and out2.
DATA fdctSeven<>+0(SB)/8, $0x0007000700070007
DATA fdctSeven<>+8(SB)/8, $0x0007000700070007
GLOBL fdctSeven<>(SB), RODATA|NOPTR, $16

// fdctK3: (a2, a3)·(2217, 5352).
DATA fdctK3<>+0(SB)/8, $0x14e808a914e808a9
DATA fdctK3<>+8(SB)/8, $0x14e808a914e808a9
GLOBL fdctK3<>(SB), RODATA|NOPTR, $16

// fdctK4: (a2, a3)·(-5352, 2217).
DATA fdctK4<>+0(SB)/8, $0x08a9eb1808a9eb18
DATA fdctK4<>+8(SB)/8, $0x08a9eb1808a9eb18
GLOBL fdctK4<>(SB), RODATA|NOPTR, $16

// fdctR3: 12000 plus the 1 of out1's (a3 != 0), taken back where a3 == 0.
DATA fdctR3<>+0(SB)/8, $0x00012ee000012ee0
DATA fdctR3<>+8(SB)/8, $0x00012ee000012ee0
GLOBL fdctR3<>(SB), RODATA|NOPTR, $16

// fdctR4: 51000.
DATA fdctR4<>+0(SB)/8, $0x0000c7380000c738
DATA fdctR4<>+8(SB)/8, $0x0000c7380000c738
GLOBL fdctR4<>(SB), RODATA|NOPTR, $16

// fdctLowQ: the low 4 words.
DATA fdctLowQ<>+0(SB)/8, $0xffffffffffffffff
DATA fdctLowQ<>+8(SB)/8, $0x0000000000000000
GLOBL fdctLowQ<>(SB), RODATA|NOPTR, $16

// quantMax: the largest level.
DATA quantMax<>+0(SB)/8, $0x000007ff000007ff
DATA quantMax<>+8(SB)/8, $0x000007ff000007ff
DATA quantMax<>+16(SB)/8, $0x000007ff000007ff
DATA quantMax<>+24(SB)/8, $0x000007ff000007ff
GLOBL quantMax<>(SB), RODATA|NOPTR, $32

// quantNoDC: clears position 0 (first = 1).
DATA quantNoDC<>+0(SB)/8, $0xffffffff00000000
DATA quantNoDC<>+8(SB)/8, $0xffffffffffffffff
DATA quantNoDC<>+16(SB)/8, $0xffffffffffffffff
DATA quantNoDC<>+24(SB)/8, $0xffffffffffffffff
GLOBL quantNoDC<>(SB), RODATA|NOPTR, $32

// quantLo16: the low 16 bits of each int32, for a truncating VPACKUSDW.
DATA quantLo16<>+0(SB)/8, $0x0000ffff0000ffff
DATA quantLo16<>+8(SB)/8, $0x0000ffff0000ffff
DATA quantLo16<>+16(SB)/8, $0x0000ffff0000ffff
DATA quantLo16<>+24(SB)/8, $0x0000ffff0000ffff
GLOBL quantLo16<>(SB), RODATA|NOPTR, $32

// quantZzA: zigzag order from the same 128-bit lane (0x80: none).
DATA quantZzA<>+0(SB)/8, $0x8080090803020100
DATA quantZzA<>+8(SB)/8, $0x0d0c070605040b0a
DATA quantZzA<>+16(SB)/8, $0x05040b0a09080302
DATA quantZzA<>+24(SB)/8, $0x0f0e0d0c07068080
GLOBL quantZzA<>(SB), RODATA|NOPTR, $32

// quantZzB: zigzag order from the other lane: raster 8 to scan 3, raster 7 to scan 12.
DATA quantZzB<>+0(SB)/8, $0x0100808080808080
DATA quantZzB<>+8(SB)/8, $0x8080808080808080
DATA quantZzB<>+16(SB)/8, $0x8080808080808080
DATA quantZzB<>+24(SB)/8, $0x8080808080800f0e
GLOBL quantZzB<>(SB), RODATA|NOPTR, $32

// idctBound: the largest |coefficient| for which every 16-bit intermediate of idct4AddAsm is exact.
DATA idctBound<>+0(SB)/8, $0x08a408a408a408a4
DATA idctBound<>+8(SB)/8, $0x08a408a408a408a4
GLOBL idctBound<>(SB), RODATA|NOPTR, $16

// idctK1: (x·20091)>>16, + x = (x·85627)>>16.
DATA idctK1<>+0(SB)/8, $0x4e7b4e7b4e7b4e7b
DATA idctK1<>+8(SB)/8, $0x4e7b4e7b4e7b4e7b
GLOBL idctK1<>(SB), RODATA|NOPTR, $16

// idctK2: (x·(35468-65536))>>16, + x = (x·35468)>>16.
DATA idctK2<>+0(SB)/8, $0x8a8c8a8c8a8c8a8c
DATA idctK2<>+8(SB)/8, $0x8a8c8a8c8a8c8a8c
GLOBL idctK2<>(SB), RODATA|NOPTR, $16

// idctSignAB: (x | y) to (x | -y).
DATA idctSignAB<>+0(SB)/8, $0x0001000100010001
DATA idctSignAB<>+8(SB)/8, $0xffffffffffffffff
GLOBL idctSignAB<>(SB), RODATA|NOPTR, $16

// idctSignCD: (x | y) to (-x | y).
DATA idctSignCD<>+0(SB)/8, $0xffffffffffffffff
DATA idctSignCD<>+8(SB)/8, $0x0001000100010001
GLOBL idctSignCD<>(SB), RODATA|NOPTR, $16

// idctFour: the rounding 4 of pass 2, added to its dc (the low 4 words).
DATA idctFour<>+0(SB)/8, $0x0004000400040004
DATA idctFour<>+8(SB)/8, $0x0000000000000000
GLOBL idctFour<>(SB), RODATA|NOPTR, $16

// texSwapW: swaps adjacent words (VPSHUFB).
DATA texSwapW<>+0(SB)/8, $0x0504070601000302
DATA texSwapW<>+8(SB)/8, $0x0d0c0f0e09080b0a
DATA texSwapW<>+16(SB)/8, $0x0504070601000302
DATA texSwapW<>+24(SB)/8, $0x0d0c0f0e09080b0a
GLOBL texSwapW<>(SB), RODATA|NOPTR, $32

// texWeight: hadamardWeight in texture4Asm's order: lane 0 vertical frequencies 0 and 3, lane 1 1 and 2; horizontal 0, 3, 1, 2 in each.
DATA texWeight<>+0(SB)/8, $0x0014002000090026
DATA texWeight<>+8(SB)/8, $0x0004000700020009
DATA texWeight<>+16(SB)/8, $0x0011001c00070020
DATA texWeight<>+24(SB)/8, $0x000a001100040014
GLOBL texWeight<>(SB), RODATA|NOPTR, $32

// histMax: maxCoeffThresh, the last histogram bin.
DATA histMax<>+0(SB)/8, $0x001f001f001f001f
DATA histMax<>+8(SB)/8, $0x001f001f001f001f
GLOBL histMax<>(SB), RODATA|NOPTR, $16

// func fdct4Asm(src, pred *uint8, ps int, out *[16]int16)
//
// fdct4Generic with libwebp's FTransform_SSE2 scheme. Pass 1 works on the
// four rows at once, two per 128-bit lane: d = src-pred as words, shuffled
// per row to (a0, a1, a3, a2) so that VPMADDWD forms 4096(a0±a1) (>>9 is
// then 8(a0±a1), exactly) and a3·c ± a2·c' in int32. (The Go code scales
// a0..a3 by 8 first and shifts by 12 with rounding 14500 and 7500; with
// the unscaled values that is >>9 with 1812 and 937: floor((8x+14500)/4096)
// = floor((x+1812.5)/512) = floor((x+1812)/512) for integer x.) Pass 2
// works on words: |tmp| <= 8160, so a0+a1 of a column fits in int16.
TEXT ·fdct4Asm(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ pred+8(FP), DI
	MOVQ ps+16(FP), DX
	MOVQ out+24(FP), BX
	LEAQ (DX)(DX*2), R8
	VMOVD (SI), X0
	VPINSRD $1, 32(SI), X0, X0
	VPINSRD $2, 64(SI), X0, X0
	VPINSRD $3, 96(SI), X0, X0
	CMPQ DX, $4
	JNE predrows
	VMOVDQU (DI), X1                   // contiguous: one load (and store forwarding)
	JMP loaded

predrows:
	VMOVD (DI), X1
	VPINSRD $1, (DI)(DX*1), X1, X1
	VPINSRD $2, (DI)(DX*2), X1, X1
	VPINSRD $3, (DI)(R8*1), X1, X1

loaded:
	VPMOVZXBW X0, Y0
	VPMOVZXBW X1, Y1
	VPSUBW Y1, Y0, Y0                  // d: rows 0, 1 | rows 2, 3
	VPSHUFB fdctShufS<>(SB), Y0, Y1    // d0 d1 d0 d1
	VPSHUFB fdctShufT<>(SB), Y0, Y2    // d3 d2 d3 d2
	VPSIGNW fdctSign<>(SB), Y2, Y2     // d3 d2 -d3 -d2
	VPADDW Y2, Y1, Y1                  // a0 a1 a3 a2
	VPMADDWD fdctK1<>(SB), Y1, Y2
	VPMADDWD fdctK2<>(SB), Y1, Y3
	VPADDD fdctR1<>(SB), Y2, Y2
	VPADDD fdctR2<>(SB), Y3, Y3
	VPSRAD $9, Y2, Y2                  // tmp0 tmp1 of each row
	VPSRAD $9, Y3, Y3                  // tmp2 tmp3
	VPUNPCKLQDQ Y3, Y2, Y4             // row 0 | row 2 (int32)
	VPUNPCKHQDQ Y3, Y2, Y5             // row 1 | row 3
	VPACKSSDW Y5, Y4, Y4               // R0 R1 | R2 R3 (int16, exact)
	VEXTRACTI128 $1, Y4, X5
	VPSHUFD $0x4e, X5, X5              // R3 R2
	VPADDW X5, X4, X6                  // a0 | a1 (lane = column)
	VPSUBW X5, X4, X7                  // a3 | a2
	VPSHUFD $0x4e, X6, X8              // a1 | a0
	VPADDW X8, X6, X9
	VPSUBW X8, X6, X10
	VPUNPCKLQDQ X10, X9, X9            // a0+a1 | a0-a1
	VPADDW fdctSeven<>(SB), X9, X9
	VPSRAW $4, X9, X9                  // out row 0 | out row 2
	VPSHUFD $0x4e, X7, X8              // a2 | a3
	VPUNPCKLWD X7, X8, X10             // (a2, a3) of each column
	VPMADDWD fdctK3<>(SB), X10, X11
	VPMADDWD fdctK4<>(SB), X10, X12
	VPADDD fdctR3<>(SB), X11, X11
	VPADDD fdctR4<>(SB), X12, X12
	VPSRAD $16, X11, X11
	VPSRAD $16, X12, X12
	VPACKSSDW X12, X11, X11            // out row 1 (+1) | out row 3
	VPXOR X13, X13, X13
	VPCMPEQW X13, X7, X13              // -1 where a3 == 0
	VPAND fdctLowQ<>(SB), X13, X13
	VPADDW X13, X11, X11
	VPUNPCKLQDQ X11, X9, X0
	VPUNPCKHQDQ X11, X9, X1
	VMOVDQU X0, (BX)
	VMOVDQU X1, 16(BX)
	VZEROUPPER
	RET

// func quantizeAsm(in, out *[16]int16, m *matrix, first int) int
//
// (*matrix).quantizeGeneric on 16 int32 lanes. The zthresh test is left
// out: a <= zthresh = (2^17-1-bias)/iq exactly when a·iq + bias < 2^17,
// i.e. when the level is 0 anyway. a·iq fits in uint32: a <= 32768 +
// sharpen and iq = 2^17/q <= 2^15 (q >= 4 in every table). The level
// is clamped to 2047 before the sign; the dequantised lv·q is truncated
// to int16 as Go's conversion does (mask, then VPACKUSDW).
TEXT ·quantizeAsm(SB), NOSPLIT, $0-40
	MOVQ in+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ m+16(FP), DX
	MOVQ first+24(FP), CX
	MOVW (SI), R9                      // in[0], kept when first > 0
	VPMOVSXWD (SI), Y0                 // c, raster 0..7
	VPMOVSXWD 16(SI), Y1               // raster 8..15
	VPSRAD $31, Y0, Y2                 // sign
	VPSRAD $31, Y1, Y3
	VPABSD Y0, Y0
	VPABSD Y1, Y1
	VPADDD 256(DX), Y0, Y0             // + sharpen
	VPADDD 288(DX), Y1, Y1
	VPMULLD 64(DX), Y0, Y0             // · iq
	VPMULLD 96(DX), Y1, Y1
	VPADDD 128(DX), Y0, Y0             // + bias
	VPADDD 160(DX), Y1, Y1
	VPSRLD $17, Y0, Y0
	VPSRLD $17, Y1, Y1
	VPMINSD quantMax<>(SB), Y0, Y0
	VPMINSD quantMax<>(SB), Y1, Y1
	TESTQ CX, CX
	JEQ signs
	VPAND quantNoDC<>(SB), Y0, Y0

signs:
	VPMULLD (DX), Y0, Y4               // lv·q
	VPMULLD 32(DX), Y1, Y5
	VPXOR Y2, Y0, Y0
	VPSUBD Y2, Y0, Y0
	VPXOR Y3, Y1, Y1
	VPSUBD Y3, Y1, Y1
	VPXOR Y2, Y4, Y4
	VPSUBD Y2, Y4, Y4
	VPXOR Y3, Y5, Y5
	VPSUBD Y3, Y5, Y5
	VPAND quantLo16<>(SB), Y4, Y4
	VPAND quantLo16<>(SB), Y5, Y5
	VPACKUSDW Y5, Y4, Y4               // 0-3 8-11 | 4-7 12-15
	VPERMQ $0xd8, Y4, Y4
	VMOVDQU X4, (SI)                   // two 16-byte stores, which the
	VEXTRACTI128 $1, Y4, 16(SI)        // 16-byte loads of idct4Add can forward
	TESTQ CX, CX
	JEQ levels
	MOVW R9, (SI)

levels:
	VPACKSSDW Y1, Y0, Y0
	VPERMQ $0xd8, Y0, Y0               // raster order
	VPERMQ $0x4e, Y0, Y1               // halves swapped
	VPSHUFB quantZzA<>(SB), Y0, Y0
	VPSHUFB quantZzB<>(SB), Y1, Y1
	VPOR Y1, Y0, Y0                    // zigzag order
	VMOVDQU X0, (DI)
	VEXTRACTI128 $1, Y0, 16(DI)
	VPXOR Y1, Y1, Y1
	VPCMPEQW Y1, Y0, Y0
	VPMOVMSKB Y0, AX                   // two bits per zero level
	VZEROUPPER
	NOTL AX
	MOVQ $-1, BX
	TESTL AX, AX
	JEQ done
	BSRL AX, BX
	SHRQ $1, BX

done:
	MOVQ BX, ret+32(FP)
	RET

// IDCTPASS is one pass of idct4AddGeneric on four lanes (columns, then
// rows after TRANSPOSE), with the rows of the input as P = (r0 | r1) and
// Q = (r2 | r3): a = r0+r2, b = r0-r2, c = M2(r1)-M1(r3), d = M1(r1)+M2(r3)
// where M1(x) = (x·85627)>>16 = x + (x·20091)>>16 and M2(x) = (x·35468)>>16
// = x + (x·(35468-65536))>>16, each VPMULHW exact. Out: O1 = (a+d | b+c),
// O2 = (a-d | b-c). Clobbers X8-X13.
#define IDCTPASS(P, Q, O1, O2) \
	VPUNPCKLQDQ Q, P, X8 \
	VPUNPCKHQDQ Q, P, X9 \
	VPUNPCKLQDQ X8, X8, X10 \
	VPUNPCKHQDQ X8, X8, X11 \
	VPSIGNW idctSignAB<>(SB), X11, X11 \
	VPADDW X11, X10, X10 \
	VPMULHW idctK2<>(SB), X9, X12 \
	VPADDW X9, X12, X12 \
	VPMULHW idctK1<>(SB), X9, X13 \
	VPADDW X9, X13, X13 \
	VPSHUFD $0x4e, X13, X13 \
	VPSIGNW idctSignCD<>(SB), X13, X13 \
	VPADDW X13, X12, X12 \
	VPSHUFD $0x4e, X12, X12 \
	VPADDW X12, X10, O1 \
	VPSUBW X12, X10, O2

// TRANSPOSE takes the rows t0..t3 of a 4×4 word matrix as A = (t0 | t1),
// B = (t3 | t2) to its columns, C = (c0 | c1), D = (c2 | c3). Clobbers
// X8-X10.
#define TRANSPOSE(A, B, C, D) \
	VPSHUFD $0x4e, B, X8 \
	VPUNPCKLWD X8, A, X9 \
	VPUNPCKHWD X8, A, X10 \
	VPUNPCKLWD X10, X9, C \
	VPUNPCKHWD X10, X9, D

// func idct4AddAsm(in *[16]int16, pred *uint8, ps int, dst *uint8, ds int) bool
//
// idct4AddGeneric in 16-bit lanes, as libwebp's ITransform_SSE2: exact
// when every |coefficient| <= 2212 (idctBound), where the largest
// intermediate, a+d of pass 2, is at most 3.8478·(3.8478·2212+2)+6 <
// 32767; larger ones (never produced by this encoder's quantisers in
// practice) return false and the caller runs the Go code.
TEXT ·idct4AddAsm(SB), NOSPLIT, $0-41
	MOVQ in+0(FP), SI
	VMOVDQU (SI), X0                   // rows 0 | 1
	VMOVDQU 16(SI), X1                 // rows 2 | 3
	VPABSW X0, X2
	VPABSW X1, X3
	VPMAXUW X3, X2, X2                 // (|-32768| is 32768 unsigned)
	VPSUBUSW idctBound<>(SB), X2, X2
	VPTEST X2, X2
	JNE fallback
	IDCTPASS(X0, X1, X2, X3)
	TRANSPOSE(X2, X3, X0, X1)
	VPADDW idctFour<>(SB), X0, X0
	IDCTPASS(X0, X1, X2, X3)
	VPSRAW $3, X2, X2
	VPSRAW $3, X3, X3
	TRANSPOSE(X2, X3, X0, X1)          // residual rows 0 | 1, 2 | 3
	MOVQ pred+8(FP), DI
	MOVQ ps+16(FP), DX
	CMPQ DX, $4
	JNE predrows
	VPMOVZXBW (DI), X4                 // contiguous
	VPMOVZXBW 8(DI), X5
	JMP predok

predrows:
	VMOVD (DI), X4
	VPINSRD $1, (DI)(DX*1), X4, X4
	LEAQ (DI)(DX*2), DI
	VMOVD (DI), X5
	VPINSRD $1, (DI)(DX*1), X5, X5
	VPMOVZXBW X4, X4
	VPMOVZXBW X5, X5

predok:
	VPADDW X4, X0, X0
	VPADDW X5, X1, X1
	VPACKUSWB X1, X0, X0               // clip to 0..255
	MOVQ dst+24(FP), DI
	MOVQ ds+32(FP), DX
	CMPQ DX, $4
	JNE dstrows
	VMOVDQU X0, (DI)                   // contiguous: one store, which sse4's
	MOVB $1, ret+40(FP)                // 16-byte load can forward
	RET

dstrows:
	VMOVD X0, (DI)
	VPEXTRD $1, X0, (DI)(DX*1)
	LEAQ (DI)(DX*2), DI
	VPEXTRD $2, X0, (DI)
	VPEXTRD $3, X0, (DI)(DX*1)
	MOVB $1, ret+40(FP)
	RET

fallback:
	MOVB $0, ret+40(FP)
	RET

// LOAD4x4 loads the 4×4 bytes at R (stride S, a register, S3 = 3·S) into
// X.
#define LOAD4x4(R, S, S3, X) \
	VMOVD (R), X \
	VPINSRD $1, (R)(S*1), X, X \
	VPINSRD $2, (R)(S*2), X, X \
	VPINSRD $3, (R)(S3*1), X, X

// HSUMD adds the eight int32 of Y (X its low half) into AX. Clobbers X15.
#define HSUMD(Y, X) \
	VEXTRACTI128 $1, Y, X15 \
	VPADDD X15, X, X \
	VPSHUFD $0x4e, X, X15 \
	VPADDD X15, X, X \
	VPSHUFD $0xb1, X, X15 \
	VPADDD X15, X, X \
	VMOVD X, AX

// func sse4Asm(a *uint8, b *[16]uint8) int64
//
// sse4Generic: a has stride bps. Differences are 9-bit, their squares
// summed in pairs by VPMADDWD.
TEXT ·sse4Asm(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	VMOVD (SI), X0
	VPINSRD $1, 32(SI), X0, X0
	VPINSRD $2, 64(SI), X0, X0
	VPINSRD $3, 96(SI), X0, X0
	VPMOVZXBW X0, Y0
	VPMOVZXBW (DI), Y1
	VPSUBW Y1, Y0, Y0
	VPMADDWD Y0, Y0, Y0
	HSUMD(Y0, X0)
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET

// TEXTURE4 is texture4Generic of the 16 pixels in X0 (rows 0..3, four
// bytes each) into AX: the Hadamard transform is exact integer arithmetic,
// so the passes may run in either order; here vertical first, on the rows
// (r0 r1 | r2 r3) of one register, then horizontal within each row. The
// outputs' signs and order differ from the Go code's (v3 is negated;
// each row comes out as h0 -h3 -h1 h2), which the absolute values and
// texWeight's order undo. Clobbers Y0-Y5, X15.
#define TEXTURE4 \
	VPMOVZXBW X0, Y0 \
	VEXTRACTI128 $1, Y0, X1 \
	VPADDW X1, X0, X2 \
	VPSUBW X1, X0, X3 \
	VINSERTI128 $1, X3, Y2, Y2 \
	VPSHUFD $0x4e, Y2, Y3 \
	VPADDW Y3, Y2, Y4 \
	VPSUBW Y3, Y2, Y5 \
	VPUNPCKLQDQ Y5, Y4, Y0 \
	VPSHUFD $0xb1, Y0, Y1 \
	VPADDW Y1, Y0, Y2 \
	VPSUBW Y1, Y0, Y3 \
	VPBLENDW $0xcc, Y3, Y2, Y0 \
	VPSHUFB texSwapW<>(SB), Y0, Y1 \
	VPADDW Y1, Y0, Y2 \
	VPSUBW Y1, Y0, Y3 \
	VPBLENDW $0xaa, Y3, Y2, Y0 \
	VPABSW Y0, Y0 \
	VPMADDWD texWeight<>(SB), Y0, Y0 \
	HSUMD(Y0, X0)

// func texture4Asm(p *uint8, s int) int32
//
// texture4Generic (see TEXTURE4).
TEXT ·texture4Asm(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), SI
	MOVQ s+8(FP), DX
	LEAQ (DX)(DX*2), R8
	LOAD4x4(SI, DX, R8, X0)
	TEXTURE4
	VZEROUPPER
	MOVL AX, ret+16(FP)
	RET

// func sseAsm(a *uint8, as int, b *uint8, bs int, w, h int) int64
//
// sseGeneric for w = 16 or 8 (the caller checks), h >= 1: per row, the
// differences as words, squared and summed in pairs by VPMADDWD into int32
// lanes (at most 256·255² in all, no overflow).
TEXT ·sseAsm(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ as+8(FP), AX
	MOVQ b+16(FP), DI
	MOVQ bs+24(FP), BX
	MOVQ w+32(FP), CX
	MOVQ h+40(FP), DX
	VPXOR Y0, Y0, Y0
	CMPQ CX, $16
	JNE rows8

rows16:
	VPMOVZXBW (SI), Y1
	VPMOVZXBW (DI), Y2
	VPSUBW Y2, Y1, Y1
	VPMADDWD Y1, Y1, Y1
	VPADDD Y1, Y0, Y0
	ADDQ AX, SI
	ADDQ BX, DI
	DECQ DX
	JNE rows16
	JMP sum

rows8:
	VPMOVZXBW (SI), X1
	VPMOVZXBW (DI), X2
	VPSUBW X2, X1, X1
	VPMADDWD X1, X1, X1
	VPADDD Y1, Y0, Y0
	ADDQ AX, SI
	ADDQ BX, DI
	DECQ DX
	JNE rows8

sum:
	HSUMD(Y0, X0)
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// SSE4MODE leaves in X the four int32 partial sums of the squared
// differences between Y0 (the source block, words) and the 16 bytes at
// off(DI). Clobbers X15.
#define SSE4MODE(off, Y, X) \
	VPMOVZXBW off(DI), Y \
	VPSUBW Y, Y0, Y \
	VPMADDWD Y, Y, Y \
	VEXTRACTI128 $1, Y, X15 \
	VPADDD X15, X, X

// func sse4ModesAsm(a *uint8, preds *[10][16]uint8, out *[10]int64)
//
// sse4Generic of the source block at a (stride bps) against each of the
// ten 4×4 predictions: the source is loaded once, and VPHADDD finishes
// four sums at a time.
TEXT ·sse4ModesAsm(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), SI
	MOVQ preds+8(FP), DI
	MOVQ out+16(FP), BX
	VMOVD (SI), X0
	VPINSRD $1, 32(SI), X0, X0
	VPINSRD $2, 64(SI), X0, X0
	VPINSRD $3, 96(SI), X0, X0
	VPMOVZXBW X0, Y0
	SSE4MODE(0, Y1, X1)
	SSE4MODE(16, Y2, X2)
	SSE4MODE(32, Y3, X3)
	SSE4MODE(48, Y4, X4)
	VPHADDD X2, X1, X1
	VPHADDD X4, X3, X3
	VPHADDD X3, X1, X1                 // modes 0..3
	VPMOVZXDQ X1, Y1
	VMOVDQU Y1, (BX)
	SSE4MODE(64, Y1, X1)
	SSE4MODE(80, Y2, X2)
	SSE4MODE(96, Y3, X3)
	SSE4MODE(112, Y4, X4)
	VPHADDD X2, X1, X1
	VPHADDD X4, X3, X3
	VPHADDD X3, X1, X1                 // modes 4..7
	VPMOVZXDQ X1, Y1
	VMOVDQU Y1, 32(BX)
	SSE4MODE(128, Y1, X1)
	SSE4MODE(144, Y2, X2)
	VPHADDD X2, X1, X1
	VPHADDD X1, X1, X1                 // modes 8, 9, 8, 9
	VPMOVZXDQ X1, X1
	VMOVDQU X1, 64(BX)
	VZEROUPPER
	RET

// func histAddAsm(dist *[32]int, coef *[16]int16)
//
// histAddGeneric: the bins min(|c|>>3, 31) of all 16 coefficients at once
// (VPABSW's |-32768| is 32768 unsigned, so VPSRLW and VPMINUW bin it as
// the Go code does); bin 0 is counted with POPCNT, the others are added
// one by one over the bits of the non-zero-bin mask.
TEXT ·histAddAsm(SB), NOSPLIT, $16-16
	MOVQ dist+0(FP), DI
	MOVQ coef+8(FP), SI
	VMOVDQU (SI), X0
	VMOVDQU 16(SI), X1
	VPABSW X0, X0
	VPABSW X1, X1
	VPSRLW $3, X0, X0
	VPSRLW $3, X1, X1
	VPMINUW histMax<>(SB), X0, X0
	VPMINUW histMax<>(SB), X1, X1
	VPACKUSWB X1, X0, X0               // the 16 bins, bytes
	VMOVDQU X0, bins-16(SP)
	VPXOR X1, X1, X1
	VPCMPEQB X1, X0, X1
	VPMOVMSKB X1, AX
	XORL $0xffff, AX                   // coefficients not in bin 0
	POPCNTL AX, CX
	MOVQ $16, DX
	SUBQ CX, DX
	ADDQ DX, (DI)
	TESTL AX, AX
	JEQ done

loop:
	BSFL AX, CX
	MOVBLZX bins-16(SP)(CX*1), DX
	INCQ (DI)(DX*8)
	LEAL -1(AX), R8
	ANDL R8, AX
	JNE loop

done:
	RET

// func recon4Asm(coef *[16]int16, pred *[16]uint8, src *uint8, rec *[16]uint8) (sse int64, tex int32, ok bool)
//
// idct4AddAsm with contiguous pred and rec, then sse4Asm of src (stride
// bps) against rec and TEXTURE4 of rec, on the reconstruction still in a
// register. ok is false, and nothing written, when a coefficient is
// beyond idctBound.
TEXT ·recon4Asm(SB), NOSPLIT, $0-45
	MOVQ coef+0(FP), SI
	VMOVDQU (SI), X0
	VMOVDQU 16(SI), X1
	VPABSW X0, X2
	VPABSW X1, X3
	VPMAXUW X3, X2, X2
	VPSUBUSW idctBound<>(SB), X2, X2
	VPTEST X2, X2
	JNE fallback
	IDCTPASS(X0, X1, X2, X3)
	TRANSPOSE(X2, X3, X0, X1)
	VPADDW idctFour<>(SB), X0, X0
	IDCTPASS(X0, X1, X2, X3)
	VPSRAW $3, X2, X2
	VPSRAW $3, X3, X3
	TRANSPOSE(X2, X3, X0, X1)
	MOVQ pred+8(FP), DI
	VPMOVZXBW (DI), X4
	VPMOVZXBW 8(DI), X5
	VPADDW X4, X0, X0
	VPADDW X5, X1, X1
	VPACKUSWB X1, X0, X0               // rec
	MOVQ rec+24(FP), DI
	VMOVDQU X0, (DI)
	MOVQ src+16(FP), SI
	VMOVD (SI), X1
	VPINSRD $1, 32(SI), X1, X1
	VPINSRD $2, 64(SI), X1, X1
	VPINSRD $3, 96(SI), X1, X1
	VPMOVZXBW X1, Y1
	VPMOVZXBW X0, Y2
	VPSUBW Y2, Y1, Y1
	VPMADDWD Y1, Y1, Y1
	HSUMD(Y1, X1)
	MOVQ AX, sse+32(FP)
	TEXTURE4
	VZEROUPPER
	MOVL AX, tex+40(FP)
	MOVB $1, ok+44(FP)
	RET

fallback:
	MOVB $0, ok+44(FP)
	RET
