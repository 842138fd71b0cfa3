//go:build !purego

package webpenc

import "golang.org/x/sys/cpu"

// useSIMD is set once, at package initialisation: the CPU has AVX2 (and
// the OS saves the YMM registers). Without it the kernels are the Go ones.
// (Tests set it to compare whole encodes.)
var useSIMD = cpu.X86.HasAVX2

// simdKernels names the assembly in use, for tests and benchmarks.
var simdKernels = func() string {
	if useSIMD {
		return "AVX2"
	}
	return ""
}()

// idct4AddAsm declines (false) coefficients beyond its 16-bit lanes'
// exact range.
//
//go:noescape
func idct4AddAsm(in *[16]int16, pred *uint8, ps int, dst *uint8, ds int) bool

//go:noescape
func recon4Asm(coef *[16]int16, pred *[16]uint8, src *uint8, rec *[16]uint8) (sse int64, tex int32, ok bool)
