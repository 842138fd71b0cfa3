//go:build !purego

package jpeg

import "golang.org/x/sys/cpu"

// idct8x8SIMD and idct4x4SIMD are the AVX2 IDCTs on CPUs with AVX2 (and an
// OS that saves the YMM registers), else nil.
var (
	idct8x8SIMD = ifAVX2(idct8x8AVX2)
	idct4x4SIMD = ifAVX2(idct4x4AVX2)
)

func ifAVX2(f func([]byte, int, *[64]int32)) func([]byte, int, *[64]int32) {
	if cpu.X86.HasAVX2 {
		return f
	}
	return nil
}

// idct8x8AVX2 is idct8x8Generic in AVX2 (idct_amd64.s): each 1-D pass runs
// the eight columns (then rows) in the eight int32 lanes of a register.
func idct8x8AVX2(dst []byte, stride int, in *[64]int32) {
	if stride < 0 {
		panic("jpeg: negative stride")
	}
	_ = dst[7*stride+7]
	idct8x8AVX2Asm(&dst[0], stride, in)
}

// idct4x4AVX2 is idct4x4Generic in AVX2 (idct_amd64.s).
func idct4x4AVX2(dst []byte, stride int, in *[64]int32) {
	if stride < 0 {
		panic("jpeg: negative stride")
	}
	_ = dst[3*stride+3]
	idct4x4AVX2Asm(&dst[0], stride, in)
}

//go:noescape
func idct8x8AVX2Asm(dst *byte, stride int, in *[64]int32)

//go:noescape
func idct4x4AVX2Asm(dst *byte, stride int, in *[64]int32)
