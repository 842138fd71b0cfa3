package webpenc

// Go versions of the per-block kernels that have no other home; the
// dispatch to assembly is in kernels_*.go.

// sse4Generic is sse for a 4×4 block of a (stride bps) against b (stride 4).
func sse4Generic(a []uint8, b *[16]uint8) int64 {
	var s int32
	for y := 0; y < 4; y++ {
		ra := a[y*bps : y*bps+4 : y*bps+4]
		rb := b[y*4 : y*4+4 : y*4+4]
		d0 := int32(ra[0]) - int32(rb[0])
		d1 := int32(ra[1]) - int32(rb[1])
		d2 := int32(ra[2]) - int32(rb[2])
		d3 := int32(ra[3]) - int32(rb[3])
		s += d0*d0 + d1*d1 + d2*d2 + d3*d3
	}
	return int64(s)
}

// recon4Generic reconstructs the 4×4 block rec = pred + IDCT(coef) (both
// stride 4, as idct4Add) and returns sse4(src, rec) and texture4(rec):
// what tryI4 measures of each candidate, one call in the assembly.
func recon4Generic(coef *[16]int16, pred *[16]uint8, src []uint8, rec *[16]uint8) (int64, int32) {
	idct4Add(coef, pred[:], 0, 4, rec[:], 0, 4)
	return sse4(src, rec), texture4(rec[:], 0, 4)
}

// sse4ModesGeneric sets out[m] to sse4(a, &preds[m]) for the ten
// subblock modes: tryI4's ranking, one call instead of ten.
func sse4ModesGeneric(a []uint8, preds *[numBModes][16]uint8, out *[numBModes]int64) {
	for m := range preds {
		out[m] = sse4Generic(a, &preds[m])
	}
}

// sseGeneric is the sum of squared differences of the w×h blocks at a
// (stride as) and b (stride bs).
func sseGeneric(a []uint8, as int, b []uint8, bs int, w, h int) int64 {
	var s int64
	for y := 0; y < h; y++ {
		ra := a[y*as : y*as+w]
		rb := b[y*bs : y*bs+w]
		for x := range ra {
			d := int32(ra[x]) - int32(rb[x])
			s += int64(d * d)
		}
	}
	return s
}
