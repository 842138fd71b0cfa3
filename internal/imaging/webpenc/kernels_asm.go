//go:build (amd64 || arm64) && !purego

package webpenc

// The kernels' assembly (kernels_amd64.s: AVX2, kernels_arm64.s: NEON)
// behind one set of wrappers: each falls back to its Go version where
// useSIMD is off (kernels_amd64.go, kernels_arm64.go say when) or the
// arguments are outside what the assembly takes, and checks the slices'
// bounds before the assembly reads through pointers.

// fdct4 is fdct4Generic in assembly.
func fdct4(src []uint8, so int, pred []uint8, po, ps int, out *[16]int16) {
	if !useSIMD || ps < 0 {
		fdct4Generic(src, so, pred, po, ps, out)
		return
	}
	_ = src[so+3*bps+3]
	_ = pred[po+3*ps+3]
	fdct4Asm(&src[so], &pred[po], ps, out)
}

// quantize is quantizeGeneric in assembly.
func (m *matrix) quantize(in *[16]int16, out *[16]int16, first int) int {
	if !useSIMD {
		return m.quantizeGeneric(in, out, first)
	}
	return quantizeAsm(in, out, m, first)
}

// idct4Add is idct4AddGeneric in assembly where the coefficients are in
// its range (AVX2's 16-bit lanes decline extreme ones; NEON takes all).
func idct4Add(in *[16]int16, pred []uint8, po, ps int, dst []uint8, do, ds int) {
	if useSIMD && ps >= 0 && ds >= 0 {
		_ = pred[po+3*ps+3]
		_ = dst[do+3*ds+3]
		if idct4AddAsm(in, &pred[po], ps, &dst[do], ds) {
			return
		}
	}
	idct4AddGeneric(in, pred, po, ps, dst, do, ds)
}

// texture4 is texture4Generic in assembly.
func texture4(p []uint8, o, s int) int32 {
	if !useSIMD || s < 0 {
		return texture4Generic(p, o, s)
	}
	_ = p[o+3*s+3]
	return texture4Asm(&p[o], s)
}

// sse4 is sse4Generic in assembly.
func sse4(a []uint8, b *[16]uint8) int64 {
	if !useSIMD {
		return sse4Generic(a, b)
	}
	_ = a[3*bps+3]
	return sse4Asm(&a[0], b)
}

// sse4Modes is sse4ModesGeneric in assembly.
func sse4Modes(a []uint8, preds *[numBModes][16]uint8, out *[numBModes]int64) {
	if !useSIMD {
		sse4ModesGeneric(a, preds, out)
		return
	}
	_ = a[3*bps+3]
	sse4ModesAsm(&a[0], preds, out)
}

// histAdd is histAddGeneric in assembly.
func histAdd(dist *[maxCoeffThresh + 1]int, coef *[16]int16) {
	if !useSIMD {
		histAddGeneric(dist, coef)
		return
	}
	histAddAsm(dist, coef)
}

// recon4 is recon4Generic in assembly where the coefficients are in
// idct4AddAsm's range.
func recon4(coef *[16]int16, pred *[16]uint8, src []uint8, rec *[16]uint8) (int64, int32) {
	if useSIMD {
		_ = src[3*bps+3]
		if sse, tex, ok := recon4Asm(coef, pred, &src[0], rec); ok {
			return sse, tex
		}
	}
	return recon4Generic(coef, pred, src, rec)
}

// sse is sseGeneric, in assembly for the 16- and 8-wide blocks.
func sse(a []uint8, as int, b []uint8, bs int, w, h int) int64 {
	if !useSIMD || (w != 16 && w != 8) || h < 1 || as < 0 || bs < 0 {
		return sseGeneric(a, as, b, bs, w, h)
	}
	_ = a[(h-1)*as+w-1]
	_ = b[(h-1)*bs+w-1]
	return sseAsm(&a[0], as, &b[0], bs, w, h)
}

//go:noescape
func fdct4Asm(src, pred *uint8, ps int, out *[16]int16)

//go:noescape
func quantizeAsm(in, out *[16]int16, m *matrix, first int) int

//go:noescape
func sse4Asm(a *uint8, b *[16]uint8) int64

//go:noescape
func texture4Asm(p *uint8, s int) int32

//go:noescape
func sseAsm(a *uint8, as int, b *uint8, bs int, w, h int) int64

// The assembly has the ten modes built in.
var _ = [1]struct{}{}[numBModes-10]

//go:noescape
func sse4ModesAsm(a *uint8, preds *[numBModes][16]uint8, out *[numBModes]int64)

// histAddAsm has the 32 bins built in.
var _ = [1]struct{}{}[maxCoeffThresh-31]

//go:noescape
func histAddAsm(dist *[maxCoeffThresh + 1]int, coef *[16]int16)
