//go:build !purego

package jpegenc

// fdctQuantSIMD is fdctQuantNEON: every arm64 CPU has NEON (Advanced SIMD).
var fdctQuantSIMD fdctQuantFunc = fdctQuantNEON

// fdctQuantNEON is fdctQuantGeneric in NEON (fdct_arm64.s): each pass runs
// four columns (then rows) in the four int32 lanes of a register.
func fdctQuantNEON(src []int16, stride int, recip *[64]uint64, dst *[64]int16) uint64 {
	if stride < 0 {
		panic("jpegenc: negative stride")
	}
	_ = src[7*stride+7]
	return fdctQuantNEONAsm(&src[0], stride, recip, dst)
}

//go:noescape
func fdctQuantNEONAsm(src *int16, stride int, recip *[64]uint64, dst *[64]int16) uint64
