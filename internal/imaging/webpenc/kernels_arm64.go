//go:build !purego

package webpenc

// useSIMD: every arm64 CPU has NEON (Advanced SIMD). (Tests clear it to
// compare whole encodes with the Go kernels.)
var useSIMD = true

// simdKernels names the assembly in use, for tests and benchmarks.
const simdKernels = "NEON"

// idct4AddAsm is idct4AddNEON, which computes in 32-bit lanes and so takes
// every input.
func idct4AddAsm(in *[16]int16, pred *uint8, ps int, dst *uint8, ds int) bool {
	idct4AddNEON(in, pred, ps, dst, ds)
	return true
}

// recon4Asm is recon4NEON, which, as idct4AddNEON, takes every input.
func recon4Asm(coef *[16]int16, pred *[16]uint8, src *uint8, rec *[16]uint8) (int64, int32, bool) {
	sse, tex := recon4NEON(coef, pred, src, rec)
	return sse, tex, true
}

//go:noescape
func idct4AddNEON(in *[16]int16, pred *uint8, ps int, dst *uint8, ds int)

//go:noescape
func recon4NEON(coef *[16]int16, pred *[16]uint8, src *uint8, rec *[16]uint8) (sse int64, tex int32)
