package webpenc

// trimTail is a light rate–distortion quantisation pass (in the spirit of
// libwebp's trellis, which it uses from method 5 on): trailing ±1 levels
// are dropped, last first, while that lowers 256·ΔSSE + λ·Δrate. orig
// holds the unquantised coefficients (raster), lv the zigzag levels and
// deq the dequantised coefficients (raster, updated). The coefficients are
// 2× orthonormal, so a coefficient error e costs e²/4 in pixel SSE. It
// returns the new last non-zero scan position.
func (ct *costTables) trimTail(orig, lv, deq *[16]int16, m *matrix, t, ctx, first, last int, lambda int64) int {
	if last < first || (lv[last] != 1 && lv[last] != -1) {
		return last
	}
	rOld := int64(ct.blockCost(t, ctx, lv, first, last))
	for last >= first {
		v := lv[last]
		if v != 1 && v != -1 {
			break
		}
		j := zigzag[last]
		o := int64(orig[j])
		e := o - int64(deq[j])
		dD := (o*o - e*e) // ×4 pixel SSE
		prev := last - 1
		for prev >= first && lv[prev] == 0 {
			prev--
		}
		lv[last] = 0
		rNew := int64(ct.blockCost(t, ctx, lv, first, prev))
		if 64*dD+lambda*(rNew-rOld) >= 0 {
			lv[last] = v
			break
		}
		deq[j] = 0
		last = prev
		rOld = rNew
	}
	return last
}
