//go:build !purego

package jpeg

// idct8x8SIMD and idct4x4SIMD are the NEON IDCTs: every arm64 CPU has NEON
// (Advanced SIMD).
var (
	idct8x8SIMD = idct8x8NEON
	idct4x4SIMD = idct4x4NEON
)

// idct8x8NEON is idct8x8Generic in NEON (idct_arm64.s): each 1-D pass runs
// four columns (then rows) in the four int32 lanes of a register.
func idct8x8NEON(dst []byte, stride int, in *[64]int32) {
	if stride < 0 {
		panic("jpeg: negative stride")
	}
	_ = dst[7*stride+7]
	idct8x8NEONAsm(&dst[0], stride, in)
}

// idct4x4NEON is idct4x4Generic in NEON (idct_arm64.s).
func idct4x4NEON(dst []byte, stride int, in *[64]int32) {
	if stride < 0 {
		panic("jpeg: negative stride")
	}
	_ = dst[3*stride+3]
	idct4x4NEONAsm(&dst[0], stride, in)
}

//go:noescape
func idct8x8NEONAsm(dst *byte, stride int, in *[64]int32)

//go:noescape
func idct4x4NEONAsm(dst *byte, stride int, in *[64]int32)
