//go:build !purego

#include "textflag.h"

// The per-block kernels (kernels_asm.go) in NEON, each giving exactly its
// Go version's output for every input. The assembler lacks most integer
// NEON instructions, so they are WORD encodings, each with its ARM
// mnemonic (GNU syntax: destination first) in a comment.

// neonConsts, at byte offsets 0, 16, ...:
//   0: 1812: fdct4 pass 1 rounding of tmp1 (see kernels_amd64.s)
//   16: 937: of tmp3
//   32: 12000: pass 2 rounding of out1
//   48: 51000: of out3
//   64: 7: of out0 and out2
//   80: multipliers, by element: 2217, 5352 (fdct4), 35468, 85627 (idct4Add)
//   96: 2047: the largest level (quantize, offset 96)
//   112: TBL indices of the zigzag order into the raster int16 (offset 112)
//   144: 1..16: scan position + 1 of each level (offset 144)
//   176: hadamardWeight in texture4Asm's order, as texWeight in kernels_amd64.s (offset 176)
DATA neonConsts<>+0(SB)/8, $0x0000071400000714
DATA neonConsts<>+8(SB)/8, $0x0000071400000714
DATA neonConsts<>+16(SB)/8, $0x000003a9000003a9
DATA neonConsts<>+24(SB)/8, $0x000003a9000003a9
DATA neonConsts<>+32(SB)/8, $0x00002ee000002ee0
DATA neonConsts<>+40(SB)/8, $0x00002ee000002ee0
DATA neonConsts<>+48(SB)/8, $0x0000c7380000c738
DATA neonConsts<>+56(SB)/8, $0x0000c7380000c738
DATA neonConsts<>+64(SB)/8, $0x0000000700000007
DATA neonConsts<>+72(SB)/8, $0x0000000700000007
DATA neonConsts<>+80(SB)/8, $0x000014e8000008a9
DATA neonConsts<>+88(SB)/8, $0x00014e7b00008a8c
DATA neonConsts<>+96(SB)/8, $0x000007ff000007ff
DATA neonConsts<>+104(SB)/8, $0x000007ff000007ff
DATA neonConsts<>+112(SB)/8, $0x1110090803020100
DATA neonConsts<>+120(SB)/8, $0x0d0c070605040b0a
DATA neonConsts<>+128(SB)/8, $0x15141b1a19181312
DATA neonConsts<>+136(SB)/8, $0x1f1e1d1c17160f0e
DATA neonConsts<>+144(SB)/8, $0x0004000300020001
DATA neonConsts<>+152(SB)/8, $0x0008000700060005
DATA neonConsts<>+160(SB)/8, $0x000c000b000a0009
DATA neonConsts<>+168(SB)/8, $0x0010000f000e000d
DATA neonConsts<>+176(SB)/8, $0x0014002000090026
DATA neonConsts<>+184(SB)/8, $0x0004000700020009
DATA neonConsts<>+192(SB)/8, $0x0011001c00070020
DATA neonConsts<>+200(SB)/8, $0x000a001100040014
GLOBL neonConsts<>(SB), RODATA|NOPTR, $208

// func fdct4Asm(src, pred *uint8, ps int, out *[16]int16)
//
// fdct4Generic on four int32 lanes, as the Go code computes it (every
// intermediate fits int32): a transpose puts the residual's columns in
// V4-V7 so that pass 1 (the rows) is lane-wise, a second one gives pass 2
// its columns, and its outputs are the rows of out.
TEXT ·fdct4Asm(SB), NOSPLIT, $0-32
	MOVD src+0(FP), R0
	MOVD pred+8(FP), R1
	MOVD ps+16(FP), R2
	MOVD out+24(FP), R3
	MOVD $neonConsts<>(SB), R9
	WORD $0x4cdf2938 // ld1 {v24.4s, v25.4s, v26.4s, v27.4s}, [x9], #64
	WORD $0x4c40a93c // ld1 {v28.4s, v29.4s}, [x9]
	WORD $0xd2800405 // mov x5, #32
	WORD $0xaa0003e6 // mov x6, x0
	WORD $0x0dc580c0 // ld1 {v0.s}[0], [x6], x5
	WORD $0x0dc590c0 // ld1 {v0.s}[1], [x6], x5
	WORD $0x4dc580c0 // ld1 {v0.s}[2], [x6], x5
	WORD $0x4dc590c0 // ld1 {v0.s}[3], [x6], x5
	CMP $4, R2
	BNE predrows
	WORD $0x4c407021 // ld1 {v1.16b}, [x1] // contiguous: one load
	B loaded
predrows:
	WORD $0xaa0103e6 // mov x6, x1
	WORD $0x0dc280c1 // ld1 {v1.s}[0], [x6], x2
	WORD $0x0dc290c1 // ld1 {v1.s}[1], [x6], x2
	WORD $0x4dc280c1 // ld1 {v1.s}[2], [x6], x2
	WORD $0x4dc290c1 // ld1 {v1.s}[3], [x6], x2
loaded:
	WORD $0x2e212002 // usubl v2.8h, v0.8b, v1.8b // rows 0, 1 of src-pred
	WORD $0x6e212003 // usubl2 v3.8h, v0.16b, v1.16b // rows 2, 3
	WORD $0x0f10a444 // sxtl v4.4s, v2.4h
	WORD $0x4f10a445 // sxtl2 v5.4s, v2.8h
	WORD $0x0f10a466 // sxtl v6.4s, v3.4h
	WORD $0x4f10a467 // sxtl2 v7.4s, v3.8h
	WORD $0x4e852890 // trn1 v16.4s, v4.4s, v5.4s
	WORD $0x4e856891 // trn2 v17.4s, v4.4s, v5.4s
	WORD $0x4e8728d2 // trn1 v18.4s, v6.4s, v7.4s
	WORD $0x4e8768d3 // trn2 v19.4s, v6.4s, v7.4s
	WORD $0x4ed22a04 // trn1 v4.2d, v16.2d, v18.2d
	WORD $0x4ed32a25 // trn1 v5.2d, v17.2d, v19.2d
	WORD $0x4ed26a06 // trn2 v6.2d, v16.2d, v18.2d
	WORD $0x4ed36a27 // trn2 v7.2d, v17.2d, v19.2d
	// Pass 1: V4-V7 are d0..d3 of the four rows.
	WORD $0x4ea78490 // add v16.4s, v4.4s, v7.4s // a0 (unscaled: tmp0 = 8(a0+a1))
	WORD $0x4ea684b1 // add v17.4s, v5.4s, v6.4s // a1
	WORD $0x6ea684b2 // sub v18.4s, v5.4s, v6.4s // a2
	WORD $0x6ea78493 // sub v19.4s, v4.4s, v7.4s // a3
	WORD $0x4eb18614 // add v20.4s, v16.4s, v17.4s
	WORD $0x4f235694 // shl v20.4s, v20.4s, #3 // tmp0
	WORD $0x6eb18616 // sub v22.4s, v16.4s, v17.4s
	WORD $0x4f2356d6 // shl v22.4s, v22.4s, #3 // tmp2
	WORD $0x4f9d8255 // mul v21.4s, v18.4s, v29.s[0]
	WORD $0x6fbd0275 // mla v21.4s, v19.4s, v29.s[1]
	WORD $0x4eb886b5 // add v21.4s, v21.4s, v24.4s
	WORD $0x4f3706b5 // sshr v21.4s, v21.4s, #9 // tmp1
	WORD $0x4f9d8277 // mul v23.4s, v19.4s, v29.s[0]
	WORD $0x6fbd4257 // mls v23.4s, v18.4s, v29.s[1]
	WORD $0x4eb986f7 // add v23.4s, v23.4s, v25.4s
	WORD $0x4f3706f7 // sshr v23.4s, v23.4s, #9 // tmp3
	WORD $0x4e952a90 // trn1 v16.4s, v20.4s, v21.4s
	WORD $0x4e956a91 // trn2 v17.4s, v20.4s, v21.4s
	WORD $0x4e972ad2 // trn1 v18.4s, v22.4s, v23.4s
	WORD $0x4e976ad3 // trn2 v19.4s, v22.4s, v23.4s
	WORD $0x4ed22a14 // trn1 v20.2d, v16.2d, v18.2d
	WORD $0x4ed32a35 // trn1 v21.2d, v17.2d, v19.2d
	WORD $0x4ed26a16 // trn2 v22.2d, v16.2d, v18.2d
	WORD $0x4ed36a37 // trn2 v23.2d, v17.2d, v19.2d
	// Pass 2: V20-V23 are rows 0..3 of tmp.
	WORD $0x4eb78690 // add v16.4s, v20.4s, v23.4s // a0
	WORD $0x4eb686b1 // add v17.4s, v21.4s, v22.4s // a1
	WORD $0x6eb686b2 // sub v18.4s, v21.4s, v22.4s // a2
	WORD $0x6eb78693 // sub v19.4s, v20.4s, v23.4s // a3
	WORD $0x4eb18600 // add v0.4s, v16.4s, v17.4s
	WORD $0x4ebc8400 // add v0.4s, v0.4s, v28.4s
	WORD $0x4f3c0400 // sshr v0.4s, v0.4s, #4 // out row 0
	WORD $0x6eb18602 // sub v2.4s, v16.4s, v17.4s
	WORD $0x4ebc8442 // add v2.4s, v2.4s, v28.4s
	WORD $0x4f3c0442 // sshr v2.4s, v2.4s, #4 // out row 2
	WORD $0x4f9d8241 // mul v1.4s, v18.4s, v29.s[0]
	WORD $0x6fbd0261 // mla v1.4s, v19.4s, v29.s[1]
	WORD $0x4eba8421 // add v1.4s, v1.4s, v26.4s
	WORD $0x4f300421 // sshr v1.4s, v1.4s, #16
	WORD $0x4eb38e65 // cmtst v5.4s, v19.4s, v19.4s // -1 where a3 != 0
	WORD $0x6ea58421 // sub v1.4s, v1.4s, v5.4s // out row 1
	WORD $0x4f9d8263 // mul v3.4s, v19.4s, v29.s[0]
	WORD $0x6fbd4243 // mls v3.4s, v18.4s, v29.s[1]
	WORD $0x4ebb8463 // add v3.4s, v3.4s, v27.4s
	WORD $0x4f300463 // sshr v3.4s, v3.4s, #16 // out row 3
	WORD $0x0e612806 // xtn v6.4h, v0.4s
	WORD $0x4e612826 // xtn2 v6.8h, v1.4s
	WORD $0x0e612847 // xtn v7.4h, v2.4s
	WORD $0x4e612867 // xtn2 v7.8h, v3.4s
	WORD $0x4c00a466 // st1 {v6.8h, v7.8h}, [x3]
	RET

// func quantizeAsm(in, out *[16]int16, m *matrix, first int) int
//
// (*matrix).quantizeGeneric on int32 lanes; see quantizeAsm in kernels_amd64.s for why the
// zthresh test can be left out. XTN truncates as Go's int16 conversion;
// TBL gathers the zigzag order; the last non-zero scan position is the
// largest (position + 1) under the non-zero mask, less 1.
TEXT ·quantizeAsm(SB), NOSPLIT, $0-40
	MOVD in+0(FP), R0
	MOVD out+8(FP), R1
	MOVD m+16(FP), R2
	MOVD first+24(FP), R3
	MOVD $neonConsts<>+96(SB), R9
	MOVHU (R0), R7                       // in[0], kept when first > 0
	WORD $0x4c40a400 // ld1 {v0.8h, v1.8h}, [x0]
	WORD $0x0f10a402 // sxtl v2.4s, v0.4h // c, raster 0..3
	WORD $0x4f10a403 // sxtl2 v3.4s, v0.8h
	WORD $0x0f10a424 // sxtl v4.4s, v1.4h
	WORD $0x4f10a425 // sxtl2 v5.4s, v1.8h
	WORD $0x4ea0a846 // cmlt v6.4s, v2.4s, #0 // sign
	WORD $0x4ea0a867 // cmlt v7.4s, v3.4s, #0 // sign
	WORD $0x4ea0a888 // cmlt v8.4s, v4.4s, #0 // sign
	WORD $0x4ea0a8a9 // cmlt v9.4s, v5.4s, #0 // sign
	WORD $0x4ea0b842 // abs v2.4s, v2.4s
	WORD $0x4ea0b863 // abs v3.4s, v3.4s
	WORD $0x4ea0b884 // abs v4.4s, v4.4s
	WORD $0x4ea0b8a5 // abs v5.4s, v5.4s
	WORD $0x9104004a // add x10, x2, #256
	WORD $0x4c402950 // ld1 {v16.4s, v17.4s, v18.4s, v19.4s}, [x10] // sharpen
	WORD $0x4eb08442 // add v2.4s, v2.4s, v16.4s
	WORD $0x4eb18463 // add v3.4s, v3.4s, v17.4s
	WORD $0x4eb28484 // add v4.4s, v4.4s, v18.4s
	WORD $0x4eb384a5 // add v5.4s, v5.4s, v19.4s
	WORD $0x9101004a // add x10, x2, #64
	WORD $0x4c402950 // ld1 {v16.4s, v17.4s, v18.4s, v19.4s}, [x10] // iq
	WORD $0x4eb09c42 // mul v2.4s, v2.4s, v16.4s
	WORD $0x4eb19c63 // mul v3.4s, v3.4s, v17.4s
	WORD $0x4eb29c84 // mul v4.4s, v4.4s, v18.4s
	WORD $0x4eb39ca5 // mul v5.4s, v5.4s, v19.4s
	WORD $0x9102004a // add x10, x2, #128
	WORD $0x4c402950 // ld1 {v16.4s, v17.4s, v18.4s, v19.4s}, [x10] // bias
	WORD $0x4eb08442 // add v2.4s, v2.4s, v16.4s
	WORD $0x4eb18463 // add v3.4s, v3.4s, v17.4s
	WORD $0x4eb28484 // add v4.4s, v4.4s, v18.4s
	WORD $0x4eb384a5 // add v5.4s, v5.4s, v19.4s
	WORD $0x4c407934 // ld1 {v20.4s}, [x9]
	WORD $0x6f2f0442 // ushr v2.4s, v2.4s, #17
	WORD $0x6eb46c42 // umin v2.4s, v2.4s, v20.4s // level
	WORD $0x6f2f0463 // ushr v3.4s, v3.4s, #17
	WORD $0x6eb46c63 // umin v3.4s, v3.4s, v20.4s // level
	WORD $0x6f2f0484 // ushr v4.4s, v4.4s, #17
	WORD $0x6eb46c84 // umin v4.4s, v4.4s, v20.4s // level
	WORD $0x6f2f04a5 // ushr v5.4s, v5.4s, #17
	WORD $0x6eb46ca5 // umin v5.4s, v5.4s, v20.4s // level
	CBZ R3, signs
	WORD $0x4e041fe2 // mov v2.s[0], wzr
signs:
	WORD $0x4c402850 // ld1 {v16.4s, v17.4s, v18.4s, v19.4s}, [x2] // q
	WORD $0x4eb09c4a // mul v10.4s, v2.4s, v16.4s
	WORD $0x4eb19c6b // mul v11.4s, v3.4s, v17.4s
	WORD $0x4eb29c8c // mul v12.4s, v4.4s, v18.4s
	WORD $0x4eb39cad // mul v13.4s, v5.4s, v19.4s
	WORD $0x6e261d4a // eor v10.16b, v10.16b, v6.16b
	WORD $0x6ea6854a // sub v10.4s, v10.4s, v6.4s
	WORD $0x6e261c42 // eor v2.16b, v2.16b, v6.16b
	WORD $0x6ea68442 // sub v2.4s, v2.4s, v6.4s
	WORD $0x6e271d6b // eor v11.16b, v11.16b, v7.16b
	WORD $0x6ea7856b // sub v11.4s, v11.4s, v7.4s
	WORD $0x6e271c63 // eor v3.16b, v3.16b, v7.16b
	WORD $0x6ea78463 // sub v3.4s, v3.4s, v7.4s
	WORD $0x6e281d8c // eor v12.16b, v12.16b, v8.16b
	WORD $0x6ea8858c // sub v12.4s, v12.4s, v8.4s
	WORD $0x6e281c84 // eor v4.16b, v4.16b, v8.16b
	WORD $0x6ea88484 // sub v4.4s, v4.4s, v8.4s
	WORD $0x6e291dad // eor v13.16b, v13.16b, v9.16b
	WORD $0x6ea985ad // sub v13.4s, v13.4s, v9.4s
	WORD $0x6e291ca5 // eor v5.16b, v5.16b, v9.16b
	WORD $0x6ea984a5 // sub v5.4s, v5.4s, v9.4s
	WORD $0x0e612954 // xtn v20.4h, v10.4s
	WORD $0x4e612974 // xtn2 v20.8h, v11.4s
	WORD $0x0e612995 // xtn v21.4h, v12.4s
	WORD $0x4e6129b5 // xtn2 v21.8h, v13.4s
	WORD $0x4c00a414 // st1 {v20.8h, v21.8h}, [x0] // dequantised
	CBZ R3, levels
	MOVH R7, (R0)
levels:
	WORD $0x0e612850 // xtn v16.4h, v2.4s
	WORD $0x4e612870 // xtn2 v16.8h, v3.4s
	WORD $0x0e612891 // xtn v17.4h, v4.4s
	WORD $0x4e6128b1 // xtn2 v17.8h, v5.4s
	WORD $0x9100412a // add x10, x9, #16
	WORD $0x4c40a156 // ld1 {v22.16b, v23.16b}, [x10]
	WORD $0x4e162212 // tbl v18.16b, {v16.16b, v17.16b}, v22.16b
	WORD $0x4e172213 // tbl v19.16b, {v16.16b, v17.16b}, v23.16b
	WORD $0x4c00a432 // st1 {v18.8h, v19.8h}, [x1] // levels, zigzag
	WORD $0x9100c12a // add x10, x9, #48
	WORD $0x4c40a556 // ld1 {v22.8h, v23.8h}, [x10]
	WORD $0x4e728e52 // cmtst v18.8h, v18.8h, v18.8h
	WORD $0x4e738e73 // cmtst v19.8h, v19.8h, v19.8h
	WORD $0x4e361e52 // and v18.16b, v18.16b, v22.16b
	WORD $0x4e371e73 // and v19.16b, v19.16b, v23.16b
	WORD $0x6e736652 // umax v18.8h, v18.8h, v19.8h
	WORD $0x6e70aa52 // umaxv h18, v18.8h
	WORD $0x0e023e44 // umov w4, v18.h[0]
	SUB $1, R4
	MOVD R4, ret+32(FP)
	RET

// IDCT4 is the two passes of idct4AddGeneric on the coefficients at R0,
// in int32 lanes (R9 points at its constants, neonConsts+80): the residual
// rows (>> 3) end in V4-V7 for idct4AddNEON and recon4NEON to add to their
// prediction. Clobbers V0, V1 and V16-V29.
#define IDCT4 \
	WORD $0x4c40793d /* ld1 {v29.4s}, [x9] */ \
	WORD $0x4c40a400 /* ld1 {v0.8h, v1.8h}, [x0] */ \
	WORD $0x0f10a404 /* sxtl v4.4s, v0.4h */ \
	WORD $0x4f10a405 /* sxtl2 v5.4s, v0.8h */ \
	WORD $0x0f10a426 /* sxtl v6.4s, v1.4h */ \
	WORD $0x4f10a427 /* sxtl2 v7.4s, v1.8h */ \
	WORD $0x4ea68490 /* add v16.4s, v4.4s, v6.4s // a */ \
	WORD $0x6ea68491 /* sub v17.4s, v4.4s, v6.4s // b */ \
	WORD $0x4f9d88b2 /* mul v18.4s, v5.4s, v29.s[2] */ \
	WORD $0x4f300652 /* sshr v18.4s, v18.4s, #16 */ \
	WORD $0x4fbd88f4 /* mul v20.4s, v7.4s, v29.s[3] */ \
	WORD $0x4f300694 /* sshr v20.4s, v20.4s, #16 */ \
	WORD $0x6eb48652 /* sub v18.4s, v18.4s, v20.4s // c */ \
	WORD $0x4fbd88b3 /* mul v19.4s, v5.4s, v29.s[3] */ \
	WORD $0x4f300673 /* sshr v19.4s, v19.4s, #16 */ \
	WORD $0x4f9d88f4 /* mul v20.4s, v7.4s, v29.s[2] */ \
	WORD $0x4f300694 /* sshr v20.4s, v20.4s, #16 */ \
	WORD $0x4eb48673 /* add v19.4s, v19.4s, v20.4s // d */ \
	WORD $0x4eb38614 /* add v20.4s, v16.4s, v19.4s */ \
	WORD $0x4eb28635 /* add v21.4s, v17.4s, v18.4s */ \
	WORD $0x6eb28636 /* sub v22.4s, v17.4s, v18.4s */ \
	WORD $0x6eb38617 /* sub v23.4s, v16.4s, v19.4s */ \
	WORD $0x4e952a98 /* trn1 v24.4s, v20.4s, v21.4s */ \
	WORD $0x4e956a99 /* trn2 v25.4s, v20.4s, v21.4s */ \
	WORD $0x4e972ada /* trn1 v26.4s, v22.4s, v23.4s */ \
	WORD $0x4e976adb /* trn2 v27.4s, v22.4s, v23.4s */ \
	WORD $0x4eda2b14 /* trn1 v20.2d, v24.2d, v26.2d */ \
	WORD $0x4edb2b35 /* trn1 v21.2d, v25.2d, v27.2d */ \
	WORD $0x4eda6b16 /* trn2 v22.2d, v24.2d, v26.2d */ \
	WORD $0x4edb6b37 /* trn2 v23.2d, v25.2d, v27.2d */ \
	WORD $0x4f000498 /* movi v24.4s, #4 */ \
	WORD $0x4eb88694 /* add v20.4s, v20.4s, v24.4s // dc */ \
	WORD $0x4eb68690 /* add v16.4s, v20.4s, v22.4s // a */ \
	WORD $0x6eb68691 /* sub v17.4s, v20.4s, v22.4s // b */ \
	WORD $0x4f9d8ab2 /* mul v18.4s, v21.4s, v29.s[2] */ \
	WORD $0x4f300652 /* sshr v18.4s, v18.4s, #16 */ \
	WORD $0x4fbd8af8 /* mul v24.4s, v23.4s, v29.s[3] */ \
	WORD $0x4f300718 /* sshr v24.4s, v24.4s, #16 */ \
	WORD $0x6eb88652 /* sub v18.4s, v18.4s, v24.4s // c */ \
	WORD $0x4fbd8ab3 /* mul v19.4s, v21.4s, v29.s[3] */ \
	WORD $0x4f300673 /* sshr v19.4s, v19.4s, #16 */ \
	WORD $0x4f9d8af8 /* mul v24.4s, v23.4s, v29.s[2] */ \
	WORD $0x4f300718 /* sshr v24.4s, v24.4s, #16 */ \
	WORD $0x4eb88673 /* add v19.4s, v19.4s, v24.4s // d */ \
	WORD $0x4eb38604 /* add v4.4s, v16.4s, v19.4s */ \
	WORD $0x4eb28625 /* add v5.4s, v17.4s, v18.4s */ \
	WORD $0x6eb28626 /* sub v6.4s, v17.4s, v18.4s */ \
	WORD $0x6eb38607 /* sub v7.4s, v16.4s, v19.4s */ \
	WORD $0x4f3d0484 /* sshr v4.4s, v4.4s, #3 */ \
	WORD $0x4f3d04a5 /* sshr v5.4s, v5.4s, #3 */ \
	WORD $0x4f3d04c6 /* sshr v6.4s, v6.4s, #3 */ \
	WORD $0x4f3d04e7 /* sshr v7.4s, v7.4s, #3 */ \
	WORD $0x4e852890 /* trn1 v16.4s, v4.4s, v5.4s */ \
	WORD $0x4e856891 /* trn2 v17.4s, v4.4s, v5.4s */ \
	WORD $0x4e8728d2 /* trn1 v18.4s, v6.4s, v7.4s */ \
	WORD $0x4e8768d3 /* trn2 v19.4s, v6.4s, v7.4s */ \
	WORD $0x4ed22a04 /* trn1 v4.2d, v16.2d, v18.2d */ \
	WORD $0x4ed32a25 /* trn1 v5.2d, v17.2d, v19.2d */ \
	WORD $0x4ed26a06 /* trn2 v6.2d, v16.2d, v18.2d */ \
	WORD $0x4ed36a27 /* trn2 v7.2d, v17.2d, v19.2d */

// func idct4AddNEON(in *[16]int16, pred *uint8, ps int, dst *uint8, ds int)
//
// idct4AddGeneric on int32 lanes with the Go code's operations (products
// wrap as Go's int32 do, shifts are arithmetic), so it is exact for every
// input. Pass 1 is lane-wise on the rows of in (lane = column); a
// transpose gives pass 2 its inputs and another one the output rows;
// SQXTUN then UQXTN clip pred + residual to 0..255.
TEXT ·idct4AddNEON(SB), NOSPLIT, $0-40
	MOVD in+0(FP), R0
	MOVD pred+8(FP), R1
	MOVD ps+16(FP), R2
	MOVD dst+24(FP), R3
	MOVD ds+32(FP), R4
	MOVD $neonConsts<>+80(SB), R9
	IDCT4
	CMP $4, R2
	BNE predrows
	WORD $0x4c407038 // ld1 {v24.16b}, [x1] // contiguous: one load
	B predok
predrows:
	WORD $0xaa0103e6 // mov x6, x1
	WORD $0x0dc280d8 // ld1 {v24.s}[0], [x6], x2
	WORD $0x0dc290d8 // ld1 {v24.s}[1], [x6], x2
	WORD $0x4dc280d8 // ld1 {v24.s}[2], [x6], x2
	WORD $0x4dc290d8 // ld1 {v24.s}[3], [x6], x2
predok:
	WORD $0x2f08a719 // uxtl v25.8h, v24.8b
	WORD $0x6f08a71a // uxtl2 v26.8h, v24.16b
	WORD $0x0e791084 // saddw v4.4s, v4.4s, v25.4h
	WORD $0x4e7910a5 // saddw2 v5.4s, v5.4s, v25.8h
	WORD $0x0e7a10c6 // saddw v6.4s, v6.4s, v26.4h
	WORD $0x4e7a10e7 // saddw2 v7.4s, v7.4s, v26.8h
	WORD $0x2e612880 // sqxtun v0.4h, v4.4s
	WORD $0x6e6128a0 // sqxtun2 v0.8h, v5.4s
	WORD $0x2e6128c1 // sqxtun v1.4h, v6.4s
	WORD $0x6e6128e1 // sqxtun2 v1.8h, v7.4s
	WORD $0x2e214800 // uqxtn v0.8b, v0.8h
	WORD $0x6e214820 // uqxtn2 v0.16b, v1.8h
	CMP $4, R4
	BNE dstrows
	WORD $0x4c007060 // st1 {v0.16b}, [x3] // contiguous: one store
	RET
dstrows:
	WORD $0xaa0303e6 // mov x6, x3
	WORD $0x0d8480c0 // st1 {v0.s}[0], [x6], x4
	WORD $0x0d8490c0 // st1 {v0.s}[1], [x6], x4
	WORD $0x4d8480c0 // st1 {v0.s}[2], [x6], x4
	WORD $0x4d8490c0 // st1 {v0.s}[3], [x6], x4
	RET

// func sse4Asm(a *uint8, b *[16]uint8) int64
//
// sse4Generic: |a-b| by UABD, squared by UMULL (at most 255², fits
// uint16), summed pairwise into uint32.
TEXT ·sse4Asm(SB), NOSPLIT, $0-24
	MOVD a+0(FP), R0
	MOVD b+8(FP), R1
	WORD $0xd2800405 // mov x5, #32
	WORD $0xaa0003e6 // mov x6, x0
	WORD $0x0dc580c0 // ld1 {v0.s}[0], [x6], x5
	WORD $0x0dc590c0 // ld1 {v0.s}[1], [x6], x5
	WORD $0x4dc580c0 // ld1 {v0.s}[2], [x6], x5
	WORD $0x4dc590c0 // ld1 {v0.s}[3], [x6], x5
	WORD $0x4c407021 // ld1 {v1.16b}, [x1]
	WORD $0x6e217402 // uabd v2.16b, v0.16b, v1.16b
	WORD $0x2e22c043 // umull v3.8h, v2.8b, v2.8b
	WORD $0x6e22c044 // umull2 v4.8h, v2.16b, v2.16b
	WORD $0x6e602863 // uaddlp v3.4s, v3.8h
	WORD $0x6e606883 // uadalp v3.4s, v4.8h
	WORD $0x4eb1b863 // addv s3, v3.4s
	WORD $0x1e260064 // fmov w4, s3
	MOVD R4, ret+16(FP)
	RET

// TEXTURE4 is texture4Generic of the 16 pixels in V0 (rows 0..3, 4 bytes
// each) into W4, as texture4Asm and recon4NEON need it; R9 points at the
// Hadamard weights (neonConsts+176). Clobbers V1-V7, V16-V20.
#define TEXTURE4 \
	WORD $0x2f08a401 /* uxtl v1.8h, v0.8b */ \
	WORD $0x6f08a402 /* uxtl2 v2.8h, v0.16b */ \
	WORD $0x4e628423 /* add v3.8h, v1.8h, v2.8h // a0 | a1 */ \
	WORD $0x6e628424 /* sub v4.8h, v1.8h, v2.8h // a3 | a2 */ \
	WORD $0x6e034065 /* ext v5.16b, v3.16b, v3.16b, #8 */ \
	WORD $0x4e658466 /* add v6.8h, v3.8h, v5.8h */ \
	WORD $0x6e658467 /* sub v7.8h, v3.8h, v5.8h */ \
	WORD $0x4ec728d0 /* trn1 v16.2d, v6.2d, v7.2d // v0 | v3 */ \
	WORD $0x6e044085 /* ext v5.16b, v4.16b, v4.16b, #8 */ \
	WORD $0x4e658486 /* add v6.8h, v4.8h, v5.8h */ \
	WORD $0x6e658487 /* sub v7.8h, v4.8h, v5.8h */ \
	WORD $0x4ec728d1 /* trn1 v17.2d, v6.2d, v7.2d // v1 | v2 */ \
	WORD $0x4ea00a05 /* rev64 v5.4s, v16.4s */ \
	WORD $0x4e658606 /* add v6.8h, v16.8h, v5.8h */ \
	WORD $0x6e658607 /* sub v7.8h, v16.8h, v5.8h */ \
	WORD $0x4e8728d0 /* trn1 v16.4s, v6.4s, v7.4s */ \
	WORD $0x6e600a05 /* rev32 v5.8h, v16.8h */ \
	WORD $0x4e658606 /* add v6.8h, v16.8h, v5.8h */ \
	WORD $0x6e658607 /* sub v7.8h, v16.8h, v5.8h */ \
	WORD $0x4e4728d0 /* trn1 v16.8h, v6.8h, v7.8h */ \
	WORD $0x4e60ba10 /* abs v16.8h, v16.8h */ \
	WORD $0x4ea00a25 /* rev64 v5.4s, v17.4s */ \
	WORD $0x4e658626 /* add v6.8h, v17.8h, v5.8h */ \
	WORD $0x6e658627 /* sub v7.8h, v17.8h, v5.8h */ \
	WORD $0x4e8728d1 /* trn1 v17.4s, v6.4s, v7.4s */ \
	WORD $0x6e600a25 /* rev32 v5.8h, v17.8h */ \
	WORD $0x4e658626 /* add v6.8h, v17.8h, v5.8h */ \
	WORD $0x6e658627 /* sub v7.8h, v17.8h, v5.8h */ \
	WORD $0x4e4728d1 /* trn1 v17.8h, v6.8h, v7.8h */ \
	WORD $0x4e60ba31 /* abs v17.8h, v17.8h */ \
	WORD $0x4c40a532 /* ld1 {v18.8h, v19.8h}, [x9] */ \
	WORD $0x0e72c214 /* smull v20.4s, v16.4h, v18.4h */ \
	WORD $0x4e728214 /* smlal2 v20.4s, v16.8h, v18.8h */ \
	WORD $0x0e738234 /* smlal v20.4s, v17.4h, v19.4h */ \
	WORD $0x4e738234 /* smlal2 v20.4s, v17.8h, v19.8h */ \
	WORD $0x4eb1ba94 /* addv s20, v20.4s */ \
	WORD $0x1e260284 /* fmov w4, s20 */

// func texture4Asm(p *uint8, s int) int32
//
// texture4Generic as texture4AVX2: vertical pass on (r0 r1 | r2 r3), then
// horizontal within each row; signs and order differ from the Go code's,
// which the absolute values and the weights' order undo.
TEXT ·texture4Asm(SB), NOSPLIT, $0-20
	MOVD p+0(FP), R0
	MOVD s+8(FP), R1
	MOVD $neonConsts<>+176(SB), R9
	WORD $0xaa0003e6 // mov x6, x0
	WORD $0x0dc180c0 // ld1 {v0.s}[0], [x6], x1
	WORD $0x0dc190c0 // ld1 {v0.s}[1], [x6], x1
	WORD $0x4dc180c0 // ld1 {v0.s}[2], [x6], x1
	WORD $0x4dc190c0 // ld1 {v0.s}[3], [x6], x1
	TEXTURE4
	MOVW R4, ret+16(FP)
	RET


// func sseAsm(a *uint8, as int, b *uint8, bs int, w, h int) int64
//
// sseGeneric for w = 16 or 8 (the caller checks), h >= 1: per row UABD,
// UMULL (squares fit uint16) and UADALP into uint32 lanes.
TEXT ·sseAsm(SB), NOSPLIT, $0-56
	MOVD a+0(FP), R0
	MOVD as+8(FP), R1
	MOVD b+16(FP), R2
	MOVD bs+24(FP), R3
	MOVD w+32(FP), R4
	MOVD h+40(FP), R5
	WORD $0x4f000400 // movi v0.4s, #0
	WORD $0x4f000401 // movi v1.4s, #0
	CMP $16, R4
	BNE rows8
rows16:
	WORD $0x4c407002 // ld1 {v2.16b}, [x0]
	WORD $0x4c407043 // ld1 {v3.16b}, [x2]
	WORD $0x6e237442 // uabd v2.16b, v2.16b, v3.16b
	WORD $0x2e22c043 // umull v3.8h, v2.8b, v2.8b
	WORD $0x6e22c044 // umull2 v4.8h, v2.16b, v2.16b
	WORD $0x6e606860 // uadalp v0.4s, v3.8h
	WORD $0x6e606881 // uadalp v1.4s, v4.8h
	ADD R1, R0
	ADD R3, R2
	SUBS $1, R5
	BNE rows16
	B sum
rows8:
	WORD $0x0c407002 // ld1 {v2.8b}, [x0]
	WORD $0x0c407043 // ld1 {v3.8b}, [x2]
	WORD $0x2e237442 // uabd v2.8b, v2.8b, v3.8b
	WORD $0x2e22c043 // umull v3.8h, v2.8b, v2.8b
	WORD $0x6e606860 // uadalp v0.4s, v3.8h
	ADD R1, R0
	ADD R3, R2
	SUBS $1, R5
	BNE rows8
sum:
	WORD $0x4ea18400 // add v0.4s, v0.4s, v1.4s
	WORD $0x4eb1b800 // addv s0, v0.4s
	WORD $0x1e260004 // fmov w4, s0
	MOVD R4, ret+48(FP)
	RET


// func sse4ModesAsm(a *uint8, preds *[10][16]uint8, out *[10]int64)
//
// sse4Generic of the source block at a (stride bps) against each of the
// ten 4×4 predictions: the source is loaded once, ADDP finishes four
// sums at a time, UXTL widens them to int64.
TEXT ·sse4ModesAsm(SB), NOSPLIT, $0-24
	MOVD a+0(FP), R0
	MOVD preds+8(FP), R1
	MOVD out+16(FP), R2
	WORD $0xd2800405 // mov x5, #32
	WORD $0xaa0003e6 // mov x6, x0
	WORD $0x0dc580c0 // ld1 {v0.s}[0], [x6], x5
	WORD $0x0dc590c0 // ld1 {v0.s}[1], [x6], x5
	WORD $0x4dc580c0 // ld1 {v0.s}[2], [x6], x5
	WORD $0x4dc590c0 // ld1 {v0.s}[3], [x6], x5
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c030 // umull v16.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602a10 // uaddlp v16.4s, v16.8h
	WORD $0x6e606850 // uadalp v16.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c031 // umull v17.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602a31 // uaddlp v17.4s, v17.8h
	WORD $0x6e606851 // uadalp v17.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c032 // umull v18.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602a52 // uaddlp v18.4s, v18.8h
	WORD $0x6e606852 // uadalp v18.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c033 // umull v19.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602a73 // uaddlp v19.4s, v19.8h
	WORD $0x6e606853 // uadalp v19.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c034 // umull v20.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602a94 // uaddlp v20.4s, v20.8h
	WORD $0x6e606854 // uadalp v20.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c035 // umull v21.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602ab5 // uaddlp v21.4s, v21.8h
	WORD $0x6e606855 // uadalp v21.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c036 // umull v22.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602ad6 // uaddlp v22.4s, v22.8h
	WORD $0x6e606856 // uadalp v22.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c037 // umull v23.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602af7 // uaddlp v23.4s, v23.8h
	WORD $0x6e606857 // uadalp v23.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c038 // umull v24.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602b18 // uaddlp v24.4s, v24.8h
	WORD $0x6e606858 // uadalp v24.4s, v2.8h
	WORD $0x4cdf7021 // ld1 {v1.16b}, [x1], #16
	WORD $0x6e217401 // uabd v1.16b, v0.16b, v1.16b
	WORD $0x2e21c039 // umull v25.8h, v1.8b, v1.8b
	WORD $0x6e21c022 // umull2 v2.8h, v1.16b, v1.16b
	WORD $0x6e602b39 // uaddlp v25.4s, v25.8h
	WORD $0x6e606859 // uadalp v25.4s, v2.8h
	WORD $0x4eb1be10 // addp v16.4s, v16.4s, v17.4s
	WORD $0x4eb3be52 // addp v18.4s, v18.4s, v19.4s
	WORD $0x4eb2be10 // addp v16.4s, v16.4s, v18.4s // modes 0..3
	WORD $0x2f20a602 // uxtl v2.2d, v16.2s
	WORD $0x6f20a603 // uxtl2 v3.2d, v16.4s
	WORD $0x4c9fac42 // st1 {v2.2d, v3.2d}, [x2], #32
	WORD $0x4eb5be94 // addp v20.4s, v20.4s, v21.4s
	WORD $0x4eb7bed6 // addp v22.4s, v22.4s, v23.4s
	WORD $0x4eb6be94 // addp v20.4s, v20.4s, v22.4s // modes 4..7
	WORD $0x2f20a682 // uxtl v2.2d, v20.2s
	WORD $0x6f20a683 // uxtl2 v3.2d, v20.4s
	WORD $0x4c9fac42 // st1 {v2.2d, v3.2d}, [x2], #32
	WORD $0x4eb9bf18 // addp v24.4s, v24.4s, v25.4s
	WORD $0x4eb8bf18 // addp v24.4s, v24.4s, v24.4s // modes 8, 9, 8, 9
	WORD $0x2f20a702 // uxtl v2.2d, v24.2s
	WORD $0x4c007c42 // st1 {v2.2d}, [x2]
	RET


// func histAddAsm(dist *[32]int, coef *[16]int16)
//
// histAddGeneric: the bins min(|c|>>3, 31) of all 16 coefficients at once
// (ABS of -32768 is 32768 read unsigned, so USHR and UMIN bin it as the Go
// code does); bin 0 is counted by ADDV, the others are added one by one,
// lowest non-zero byte first, from the two halves in R4 and R5.
TEXT ·histAddAsm(SB), NOSPLIT, $0-16
	MOVD dist+0(FP), R0
	MOVD coef+8(FP), R1
	WORD $0x4c40a420 // ld1 {v0.8h, v1.8h}, [x1]
	WORD $0x4e60b800 // abs v0.8h, v0.8h
	WORD $0x4e60b821 // abs v1.8h, v1.8h
	WORD $0x6f1d0400 // ushr v0.8h, v0.8h, #3
	WORD $0x6f1d0421 // ushr v1.8h, v1.8h, #3
	WORD $0x4f0087e2 // movi v2.8h, #31
	WORD $0x6e626c00 // umin v0.8h, v0.8h, v2.8h
	WORD $0x6e626c21 // umin v1.8h, v1.8h, v2.8h
	WORD $0x0e212800 // xtn v0.8b, v0.8h
	WORD $0x4e212820 // xtn2 v0.16b, v1.8h // the 16 bins
	WORD $0x4e209803 // cmeq v3.16b, v0.16b, #0
	WORD $0x6f090463 // ushr v3.16b, v3.16b, #7
	WORD $0x4e31b863 // addv b3, v3.16b // how many in bin 0
	WORD $0x0e013c66 // umov w6, v3.b[0]
	WORD $0x4e083c04 // umov x4, v0.d[0]
	WORD $0x4e183c05 // umov x5, v0.d[1]
	MOVD (R0), R7
	ADD R6, R7
	MOVD R7, (R0)
	MOVD $0xff, R10
loop:
	CBNZ R4, bin
	CBZ R5, done
	MOVD R5, R4
	MOVD $0, R5
bin:
	RBIT R4, R6
	CLZ R6, R6
	LSR $3, R6
	LSL $3, R6                           // the lowest non-zero byte's shift
	LSR R6, R4, R7
	AND $0xff, R7
	LSL R6, R10, R8
	BIC R8, R4, R4
	MOVD (R0)(R7<<3), R9
	ADD $1, R9
	MOVD R9, (R0)(R7<<3)
	B loop
done:
	RET


// func recon4NEON(coef *[16]int16, pred *[16]uint8, src *uint8, rec *[16]uint8) (sse int64, tex int32)
//
// idct4AddNEON with contiguous pred and rec, then sse4Asm of src (stride
// bps) against rec and texture4Asm of rec, on the reconstruction still
// in V0.
TEXT ·recon4NEON(SB), NOSPLIT, $0-44
	MOVD coef+0(FP), R0
	MOVD pred+8(FP), R1
	MOVD src+16(FP), R2
	MOVD rec+24(FP), R3
	MOVD $neonConsts<>+80(SB), R9
	IDCT4
	WORD $0x4c407038 // ld1 {v24.16b}, [x1]
	WORD $0x2f08a719 // uxtl v25.8h, v24.8b
	WORD $0x6f08a71a // uxtl2 v26.8h, v24.16b
	WORD $0x0e791084 // saddw v4.4s, v4.4s, v25.4h
	WORD $0x4e7910a5 // saddw2 v5.4s, v5.4s, v25.8h
	WORD $0x0e7a10c6 // saddw v6.4s, v6.4s, v26.4h
	WORD $0x4e7a10e7 // saddw2 v7.4s, v7.4s, v26.8h
	WORD $0x2e612880 // sqxtun v0.4h, v4.4s
	WORD $0x6e6128a0 // sqxtun2 v0.8h, v5.4s
	WORD $0x2e6128c1 // sqxtun v1.4h, v6.4s
	WORD $0x6e6128e1 // sqxtun2 v1.8h, v7.4s
	WORD $0x2e214800 // uqxtn v0.8b, v0.8h
	WORD $0x6e214820 // uqxtn2 v0.16b, v1.8h
	WORD $0x4c007060 // st1 {v0.16b}, [x3] // rec
	WORD $0xd2800405 // mov x5, #32
	WORD $0xaa0203e6 // mov x6, x2
	WORD $0x0dc580c1 // ld1 {v1.s}[0], [x6], x5
	WORD $0x0dc590c1 // ld1 {v1.s}[1], [x6], x5
	WORD $0x4dc580c1 // ld1 {v1.s}[2], [x6], x5
	WORD $0x4dc590c1 // ld1 {v1.s}[3], [x6], x5
	WORD $0x6e207422 // uabd v2.16b, v1.16b, v0.16b
	WORD $0x2e22c043 // umull v3.8h, v2.8b, v2.8b
	WORD $0x6e22c044 // umull2 v4.8h, v2.16b, v2.16b
	WORD $0x6e602863 // uaddlp v3.4s, v3.8h
	WORD $0x6e606883 // uadalp v3.4s, v4.8h
	WORD $0x4eb1b863 // addv s3, v3.4s
	WORD $0x1e260064 // fmov w4, s3
	MOVD R4, sse+32(FP)
	MOVD $neonConsts<>+176(SB), R9
	TEXTURE4
	MOVW R4, tex+40(FP)
	RET
