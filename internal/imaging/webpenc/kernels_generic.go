//go:build purego || !(amd64 || arm64)

package webpenc

// Without assembly for this build or architecture, the per-block kernels
// are their Go versions.

// simdKernels names the assembly in use: none.
const simdKernels = ""

func fdct4(src []uint8, so int, pred []uint8, po, ps int, out *[16]int16) {
	fdct4Generic(src, so, pred, po, ps, out)
}

func (m *matrix) quantize(in *[16]int16, out *[16]int16, first int) int {
	return m.quantizeGeneric(in, out, first)
}

func idct4Add(in *[16]int16, pred []uint8, po, ps int, dst []uint8, do, ds int) {
	idct4AddGeneric(in, pred, po, ps, dst, do, ds)
}

func texture4(p []uint8, o, s int) int32 { return texture4Generic(p, o, s) }

func sse4(a []uint8, b *[16]uint8) int64 { return sse4Generic(a, b) }

func sse(a []uint8, as int, b []uint8, bs int, w, h int) int64 {
	return sseGeneric(a, as, b, bs, w, h)
}

func sse4Modes(a []uint8, preds *[numBModes][16]uint8, out *[numBModes]int64) {
	sse4ModesGeneric(a, preds, out)
}

func histAdd(dist *[maxCoeffThresh + 1]int, coef *[16]int16) { histAddGeneric(dist, coef) }

func recon4(coef *[16]int16, pred *[16]uint8, src []uint8, rec *[16]uint8) (int64, int32) {
	return recon4Generic(coef, pred, src, rec)
}
