//go:build !purego

package webpenc

// useSIMD: every arm64 CPU has NEON (Advanced SIMD). (Tests clear it to
// compare whole encodes with the Go kernels.)
var useSIMD = true

// simdKernels names the assembly in use, for tests and benchmarks.
const simdKernels = "NEON"

// fdct4 is fdct4Generic in NEON (kernels_arm64.s).
func fdct4(src []uint8, so int, pred []uint8, po, ps int, out *[16]int16) {
	if !useSIMD || ps < 0 {
		fdct4Generic(src, so, pred, po, ps, out)
		return
	}
	_ = src[so+3*bps+3]
	_ = pred[po+3*ps+3]
	fdct4NEON(&src[so], &pred[po], ps, out)
}

// quantize is quantizeGeneric in NEON.
func (m *matrix) quantize(in *[16]int16, out *[16]int16, first int) int {
	if !useSIMD {
		return m.quantizeGeneric(in, out, first)
	}
	return quantizeNEON(in, out, m, first)
}

// idct4Add is idct4AddGeneric in NEON (exact for every input).
func idct4Add(in *[16]int16, pred []uint8, po, ps int, dst []uint8, do, ds int) {
	if !useSIMD || ps < 0 || ds < 0 {
		idct4AddGeneric(in, pred, po, ps, dst, do, ds)
		return
	}
	_ = pred[po+3*ps+3]
	_ = dst[do+3*ds+3]
	idct4AddNEON(in, &pred[po], ps, &dst[do], ds)
}

// texture4 is texture4Generic in NEON.
func texture4(p []uint8, o, s int) int32 {
	if !useSIMD || s < 0 {
		return texture4Generic(p, o, s)
	}
	_ = p[o+3*s+3]
	return texture4NEON(&p[o], s)
}

// sse4 is sse4Generic in NEON.
func sse4(a []uint8, b *[16]uint8) int64 {
	if !useSIMD {
		return sse4Generic(a, b)
	}
	_ = a[3*bps+3]
	return sse4NEON(&a[0], b)
}

// sse4Modes is sse4ModesGeneric, in NEON.
func sse4Modes(a []uint8, preds *[numBModes][16]uint8, out *[numBModes]int64) {
	if !useSIMD {
		sse4ModesGeneric(a, preds, out)
		return
	}
	_ = a[3*bps+3]
	sse4ModesNEON(&a[0], preds, out)
}

// histAdd is histAddGeneric in NEON.
func histAdd(dist *[maxCoeffThresh + 1]int, coef *[16]int16) {
	if !useSIMD {
		histAddGeneric(dist, coef)
		return
	}
	histAddNEON(dist, coef)
}

// sse is sseGeneric, in NEON for the 16- and 8-wide blocks.
func sse(a []uint8, as int, b []uint8, bs int, w, h int) int64 {
	if !useSIMD || (w != 16 && w != 8) || h < 1 || as < 0 || bs < 0 {
		return sseGeneric(a, as, b, bs, w, h)
	}
	_ = a[(h-1)*as+w-1]
	_ = b[(h-1)*bs+w-1]
	return sseNEON(&a[0], as, &b[0], bs, w, h)
}

//go:noescape
func fdct4NEON(src, pred *uint8, ps int, out *[16]int16)

//go:noescape
func quantizeNEON(in, out *[16]int16, m *matrix, first int) int

//go:noescape
func idct4AddNEON(in *[16]int16, pred *uint8, ps int, dst *uint8, ds int)

//go:noescape
func sse4NEON(a *uint8, b *[16]uint8) int64

//go:noescape
func texture4NEON(p *uint8, s int) int32

//go:noescape
func sseNEON(a *uint8, as int, b *uint8, bs int, w, h int) int64

// The assembly has the ten modes built in.
var _ = [1]struct{}{}[numBModes-10]

//go:noescape
func sse4ModesNEON(a *uint8, preds *[numBModes][16]uint8, out *[numBModes]int64)

// recon4 is recon4Generic in NEON.
func recon4(coef *[16]int16, pred *[16]uint8, src []uint8, rec *[16]uint8) (int64, int32) {
	if !useSIMD {
		return recon4Generic(coef, pred, src, rec)
	}
	_ = src[3*bps+3]
	return recon4NEON(coef, pred, &src[0], rec)
}

// histAddNEON has the 32 bins built in.
var _ = [1]struct{}{}[maxCoeffThresh-31]

//go:noescape
func histAddNEON(dist *[maxCoeffThresh + 1]int, coef *[16]int16)

//go:noescape
func recon4NEON(coef *[16]int16, pred *[16]uint8, src *uint8, rec *[16]uint8) (sse int64, tex int32)
