//go:build !purego

package jpeg

import "golang.org/x/sys/cpu"

// idct8x8SIMD is idct8x8AVX2 on CPUs with AVX2 (and an OS that saves the
// YMM registers), else nil.
var idct8x8SIMD = func() func([]byte, int, *[64]int32) {
	if cpu.X86.HasAVX2 {
		return idct8x8AVX2
	}
	return nil
}()

// idct8x8AVX2 is idct8x8Generic in AVX2 (idct_amd64.s): each 1-D pass runs
// the eight columns (then rows) in the eight int32 lanes of a register.
func idct8x8AVX2(dst []byte, stride int, in *[64]int32) {
	if stride < 0 {
		panic("jpeg: negative stride")
	}
	_ = dst[7*stride+7]
	idct8x8AVX2Asm(&dst[0], stride, in)
}

//go:noescape
func idct8x8AVX2Asm(dst *byte, stride int, in *[64]int32)
