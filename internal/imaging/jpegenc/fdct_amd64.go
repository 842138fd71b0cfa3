//go:build !purego

package jpegenc

import "golang.org/x/sys/cpu"

// fdctQuantSIMD is fdctQuantAVX2 on CPUs with AVX2 (and an OS that saves
// the YMM registers), else nil.
var fdctQuantSIMD = func() fdctQuantFunc {
	if cpu.X86.HasAVX2 {
		return fdctQuantAVX2
	}
	return nil
}()

// fdctQuantAVX2 is fdctQuantGeneric in AVX2 (fdct_amd64.s): the column
// pass runs the eight columns in the eight int32 lanes of a register, one
// transpose, the row pass likewise; quantisation multiplies in 64 bits.
func fdctQuantAVX2(src []int16, stride int, recip *[64]uint64, dst *[64]int16) uint64 {
	if stride < 0 {
		panic("jpegenc: negative stride")
	}
	_ = src[7*stride+7]
	return fdctQuantAVX2Asm(&src[0], stride, recip, dst)
}

//go:noescape
func fdctQuantAVX2Asm(src *int16, stride int, recip *[64]uint64, dst *[64]int16) uint64
