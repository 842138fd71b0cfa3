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
		if 64*dD+lambda*int64(ct.dropLastCost(t, ctx, lv, first, prev, last)) >= 0 {
			break
		}
		lv[last] = 0
		deq[j] = 0
		last = prev
	}
	return last
}

// dropLastCost is blockCost without the ±1 level at scan position last
// minus blockCost with it, where prev is the non-zero position before last
// (first−1: none). Only the tokens after prev differ, so this is the
// trimming loop's rate term at the price of a few table reads instead of
// two whole-block costs per step.
func (ct *costTables) dropLastCost(t, ctx0 int, lv *[16]int16, first, prev, last int) int32 {
	ctx := ctx0 // the context the token after prev is coded in
	if prev >= first {
		ctx = levelContext(lv[prev])
	}
	more, level, eob := &ct.more[t], &ct.level[t], &ct.eob[t]
	// Kept: "more" at prev+1, the zeros up to last, the ±1, then EOB (in
	// context 1) unless last is the final position.
	b := bands[prev+1]
	old := int32(more[b][ctx])
	c := ctx
	for n := prev + 1; n < last; n++ {
		old += int32(level[bands[n]][c][0])
		c = 0
	}
	old += int32(level[bands[last]][c][1])
	if last < 15 {
		old += int32(eob[bands[last+1]][1])
	}
	// Dropped: EOB right after prev.
	return int32(eob[b][ctx]) - old
}

// levelContext is the context a level leaves for the next token.
func levelContext(v int16) int {
	switch v {
	case 0:
		return 0
	case 1, -1:
		return 1
	}
	return 2
}
