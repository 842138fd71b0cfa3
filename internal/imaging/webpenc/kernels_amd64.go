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

// fdct4 is fdct4Generic, in AVX2 where the CPU has it (kernels_amd64.s).
func fdct4(src []uint8, so int, pred []uint8, po, ps int, out *[16]int16) {
	if !useSIMD || ps < 0 {
		fdct4Generic(src, so, pred, po, ps, out)
		return
	}
	_ = src[so+3*bps+3]
	_ = pred[po+3*ps+3]
	fdct4AVX2(&src[so], &pred[po], ps, out)
}

// quantize is quantizeGeneric, in AVX2 where the CPU has it.
func (m *matrix) quantize(in *[16]int16, out *[16]int16, first int) int {
	if !useSIMD {
		return m.quantizeGeneric(in, out, first)
	}
	return quantizeAVX2(in, out, m, first)
}

// idct4Add is idct4AddGeneric, in AVX2 where the CPU has it and the
// coefficients are in the assembly's range (all but extreme ones).
func idct4Add(in *[16]int16, pred []uint8, po, ps int, dst []uint8, do, ds int) {
	if useSIMD && ps >= 0 && ds >= 0 {
		_ = pred[po+3*ps+3]
		_ = dst[do+3*ds+3]
		if idct4AddAVX2(in, &pred[po], ps, &dst[do], ds) {
			return
		}
	}
	idct4AddGeneric(in, pred, po, ps, dst, do, ds)
}

// texture4 is texture4Generic, in AVX2 where the CPU has it.
func texture4(p []uint8, o, s int) int32 {
	if !useSIMD || s < 0 {
		return texture4Generic(p, o, s)
	}
	_ = p[o+3*s+3]
	return texture4AVX2(&p[o], s)
}

// sse4 is sse4Generic, in AVX2 where the CPU has it.
func sse4(a []uint8, b *[16]uint8) int64 {
	if !useSIMD {
		return sse4Generic(a, b)
	}
	_ = a[3*bps+3]
	return sse4AVX2(&a[0], b)
}

// sse4Modes is sse4ModesGeneric, in AVX2.
func sse4Modes(a []uint8, preds *[numBModes][16]uint8, out *[numBModes]int64) {
	if !useSIMD {
		sse4ModesGeneric(a, preds, out)
		return
	}
	_ = a[3*bps+3]
	sse4ModesAVX2(&a[0], preds, out)
}

// histAdd is histAddGeneric, in AVX2 where the CPU has it.
func histAdd(dist *[maxCoeffThresh + 1]int, coef *[16]int16) {
	if !useSIMD {
		histAddGeneric(dist, coef)
		return
	}
	histAddAVX2(dist, coef)
}

// recon4 is recon4Generic, in AVX2 where the CPU has it and the
// coefficients are in idct4AddAVX2's range.
func recon4(coef *[16]int16, pred *[16]uint8, src []uint8, rec *[16]uint8) (int64, int32) {
	if useSIMD {
		_ = src[3*bps+3]
		if sse, tex, ok := recon4AVX2(coef, pred, &src[0], rec); ok {
			return sse, tex
		}
	}
	return recon4Generic(coef, pred, src, rec)
}

// sse is sseGeneric, in AVX2 for the 16- and 8-wide blocks.
func sse(a []uint8, as int, b []uint8, bs int, w, h int) int64 {
	if !useSIMD || (w != 16 && w != 8) || h < 1 || as < 0 || bs < 0 {
		return sseGeneric(a, as, b, bs, w, h)
	}
	_ = a[(h-1)*as+w-1]
	_ = b[(h-1)*bs+w-1]
	return sseAVX2(&a[0], as, &b[0], bs, w, h)
}

//go:noescape
func fdct4AVX2(src, pred *uint8, ps int, out *[16]int16)

//go:noescape
func quantizeAVX2(in, out *[16]int16, m *matrix, first int) int

//go:noescape
func idct4AddAVX2(in *[16]int16, pred *uint8, ps int, dst *uint8, ds int) bool

//go:noescape
func sse4AVX2(a *uint8, b *[16]uint8) int64

//go:noescape
func texture4AVX2(p *uint8, s int) int32

//go:noescape
func sseAVX2(a *uint8, as int, b *uint8, bs int, w, h int) int64

// The assembly has the ten modes built in.
var _ = [1]struct{}{}[numBModes-10]

//go:noescape
func sse4ModesAVX2(a *uint8, preds *[numBModes][16]uint8, out *[numBModes]int64)

// histAddAVX2 has the 32 bins built in.
var _ = [1]struct{}{}[maxCoeffThresh-31]

//go:noescape
func histAddAVX2(dist *[maxCoeffThresh + 1]int, coef *[16]int16)

//go:noescape
func recon4AVX2(coef *[16]int16, pred *[16]uint8, src *uint8, rec *[16]uint8) (sse int64, tex int32, ok bool)
