//go:build purego || !(amd64 || arm64)

package jpeg

// idct8x8SIMD and idct4x4SIMD are nil: this build has no assembly IDCT.
var (
	idct8x8SIMD func(dst []byte, stride int, in *[64]int32)
	idct4x4SIMD func(dst []byte, stride int, in *[64]int32)
)
