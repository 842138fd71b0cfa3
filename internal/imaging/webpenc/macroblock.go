package webpenc

// Per-macroblock mode decision, quantisation and reconstruction
// (rate–distortion: score = 256·SSE + λ·rate, rate in 1/256 bit, as
// libwebp's RD_OPT_BASIC, i.e. its default method 4 without trellis).

// Block indices in mbLevels: 0..15 luma subblocks (raster), 16..19 U,
// 20..23 V, 24 Y2.
const (
	blkU  = 16
	blkV  = 20
	blkY2 = 24
)

// mbInfo is the coded description of one macroblock.
type mbInfo struct {
	ymode   uint8 // predDC..predTM or predB
	uvmode  uint8
	segment uint8
	skip    bool
	bmodes  [16]uint8
	// nzBottom/nzRight are the non-zero flags of the bottom row / right
	// column of blocks (bits 0-3 luma, 4-5 U, 6-7 V, 8 Y2) as the token
	// contexts of the macroblocks below and right.
	nzBottom, nzRight uint16
}

// mbLevels are the quantised zigzag levels of one macroblock.
type mbLevels [25][16]int16

// mbCoder holds one worker's scratch state.
type mbCoder struct {
	e  *encoder
	yw [17 * bps]uint8 // luma borders + reconstruction
	uw [9 * bps]uint8
	vw [9 * bps]uint8
	ys [16 * bps]uint8 // source
	us [8 * bps]uint8
	vs [8 * bps]uint8

	p16    [numPredModes][256]uint8
	r16    [256]uint8 // best I16 reconstruction
	t16    [256]uint8
	lvl    mbLevels
	lvTmp  [17][16]int16
	coef   [16][16]int16
	pc     [numPredModes][2][64]uint8
	rc     [2][64]uint8
	tc     [2][64]uint8
	uvLv   [8][16]int16
	uvTmp  [8][16]int16
	srcTex [16]int32 // texture4 of the 16 source luma subblocks
}

func newMBCoder(e *encoder) *mbCoder { return &mbCoder{e: e} }

// load copies the source macroblock and sets up the prediction borders
// from the reconstruction of the neighbours.
func (c *mbCoder) load(mbx, mby int) {
	e := c.e
	ys, cs := e.yStride, e.cStride
	for y := 0; y < 16; y++ {
		copy(c.ys[y*bps:y*bps+16], e.srcY[(mby*16+y)*ys+mbx*16:])
	}
	for y := 0; y < 8; y++ {
		copy(c.us[y*bps:y*bps+8], e.srcU[(mby*8+y)*cs+mbx*8:])
		copy(c.vs[y*bps:y*bps+8], e.srcV[(mby*8+y)*cs+mbx*8:])
	}
	if e.tdisto {
		for k := 0; k < 16; k++ {
			c.srcTex[k] = texture4(c.ys[:], (k>>2)*4*bps+(k&3)*4, bps)
		}
	}
	// Top border (with top-left and luma top-right).
	if mby == 0 {
		for i := 3; i < 24; i++ {
			c.yw[i] = 127
		}
		for i := 3; i < 12; i++ {
			c.uw[i] = 127
			c.vw[i] = 127
		}
	} else {
		row := e.recY[(mby*16-1)*ys:]
		copy(c.yw[4:20], row[mbx*16:])
		if mbx < e.mbw-1 {
			copy(c.yw[20:24], row[mbx*16+16:])
		} else {
			v := row[mbx*16+15]
			c.yw[20], c.yw[21], c.yw[22], c.yw[23] = v, v, v, v
		}
		copy(c.uw[4:12], e.recU[(mby*8-1)*cs+mbx*8:])
		copy(c.vw[4:12], e.recV[(mby*8-1)*cs+mbx*8:])
		if mbx > 0 {
			c.yw[3] = row[mbx*16-1]
			c.uw[3] = e.recU[(mby*8-1)*cs+mbx*8-1]
			c.vw[3] = e.recV[(mby*8-1)*cs+mbx*8-1]
		} else {
			c.yw[3], c.uw[3], c.vw[3] = 129, 129, 129
		}
	}
	for r := 4; r < 16; r += 4 {
		copy(c.yw[r*bps+20:r*bps+24], c.yw[20:24])
	}
	// Left border.
	if mbx == 0 {
		for y := 1; y <= 16; y++ {
			c.yw[y*bps+3] = 129
		}
		for y := 1; y <= 8; y++ {
			c.uw[y*bps+3] = 129
			c.vw[y*bps+3] = 129
		}
	} else {
		for y := 0; y < 16; y++ {
			c.yw[(y+1)*bps+3] = e.recY[(mby*16+y)*ys+mbx*16-1]
		}
		for y := 0; y < 8; y++ {
			c.uw[(y+1)*bps+3] = e.recU[(mby*8+y)*cs+mbx*8-1]
			c.vw[(y+1)*bps+3] = e.recV[(mby*8+y)*cs+mbx*8-1]
		}
	}
}

// store writes the chosen reconstruction (in yw/uw/vw) to the frame.
func (c *mbCoder) store(mbx, mby int) {
	e := c.e
	ys, cs := e.yStride, e.cStride
	for y := 0; y < 16; y++ {
		copy(e.recY[(mby*16+y)*ys+mbx*16:(mby*16+y)*ys+mbx*16+16], c.yw[offPix+y*bps:])
	}
	for y := 0; y < 8; y++ {
		copy(e.recU[(mby*8+y)*cs+mbx*8:(mby*8+y)*cs+mbx*8+8], c.uw[offPix+y*bps:])
		copy(e.recV[(mby*8+y)*cs+mbx*8:(mby*8+y)*cs+mbx*8+8], c.vw[offPix+y*bps:])
	}
}

func countNZ(lv *[16]int16) int {
	n := 0
	for _, v := range lv {
		if v != 0 {
			n++
		}
	}
	return n
}

const flatPenalty = 140 // ~1 bit per block: keeps flat areas on DC

// encodeMB decides and codes macroblock (mbx, mby) given the neighbour
// contexts, fills info and levels, and updates the reconstruction.
func (c *mbCoder) encodeMB(mbx, mby int, info *mbInfo, lv *mbLevels, topNZ, leftNZ uint16, topModes, leftModes *[4]uint8) {
	e := c.e
	sq := &e.seg[info.segment]
	c.load(mbx, mby)
	hasTop, hasLeft := mby > 0, mbx > 0

	// Intra 16×16.
	bestMode, bestScore := -1, int64(0)
	var bestD, bestR int64
	for _, mode := range c.rankModes(16, e.i16Candidates, sq.lambdaI16, hasTop, hasLeft) {
		p := &c.p16[mode]
		d, r := c.tryI16(p, sq, topNZ, leftNZ, mode)
		score := d + sq.lambdaI16*r
		if bestMode < 0 || score < bestScore {
			bestMode, bestScore, bestD, bestR = mode, score, d, r
			c.r16, c.t16 = c.t16, c.r16
			lv[blkY2] = c.lvTmp[16]
			copy(lv[:16], c.lvTmp[:16])
		}
	}
	i16Score := bestD + sq.lambdaMode*bestR
	info.ymode = uint8(bestMode)

	// Intra 4×4, greedy per subblock; abandoned once it cannot win.
	if e.method >= 2 && c.tryI4(sq, info, lv, topNZ, leftNZ, topModes, leftModes, i16Score) {
		info.ymode = predB
	} else {
		for y := 0; y < 16; y++ {
			copy(c.yw[offPix+y*bps:offPix+y*bps+16], c.r16[y*16:])
		}
	}

	// Chroma.
	c.pickUV(sq, info, lv, topNZ, leftNZ, hasTop, hasLeft)

	// Non-zero flags and skip.
	any := false
	for b := 0; b < 25; b++ {
		if b == blkY2 && info.ymode == predB {
			continue
		}
		for _, v := range lv[b] {
			if v != 0 {
				any = true
				break
			}
		}
	}
	info.skip = !any
	c.store(mbx, mby)
}

// tryI16 codes the luma with the 16×16 prediction p into c.t16 and
// c.lvTmp and returns the distortion and rate (with the mode cost).
func (c *mbCoder) tryI16(p *[256]uint8, sq *segmentQuant, topNZ, leftNZ uint16, mode int) (int64, int64) {
	ct := c.e.costs
	var dc, y2 [16]int16
	for k := 0; k < 16; k++ {
		so := (k>>2)*4*bps + (k&3)*4
		po := (k>>2)*64 + (k&3)*4
		fdct4(c.ys[:], so, p[:], po, 16, &c.coef[k])
		dc[k] = c.coef[k][0]
	}
	fwht(&dc, &y2)
	last := sq.y2.quantize(&y2, &c.lvTmp[16], 0)
	ctx := int(topNZ>>8&1 + leftNZ>>8&1)
	rate := int64(ymodeCost[mode]) + int64(ct.blockCost(typeY2, ctx, &c.lvTmp[16], 0, last))
	var dq [16]int16
	iwht(&y2, &dq)
	top := topNZ & 15
	left := leftNZ & 15
	for k := 0; k < 16; k++ {
		bx, by := k&3, k>>2
		orig := c.coef[k]
		l := sq.y1.quantize(&c.coef[k], &c.lvTmp[k], 1)
		ctx := int(top>>bx&1 + left>>by&1)
		if c.e.trim {
			l = ct.trimTail(&orig, &c.lvTmp[k], &c.coef[k], &sq.y1, typeI16AC, ctx, 1, l, sq.lambdaI4)
		}
		rate += int64(ct.blockCost(typeI16AC, ctx, &c.lvTmp[k], 1, l))
		nz := uint16(0)
		if l >= 0 {
			nz = 1
		}
		top = top&^(1<<bx) | nz<<bx
		left = left&^(1<<by) | nz<<by
		c.coef[k][0] = dq[k]
		po := by*64 + bx*4
		idct4Add(&c.coef[k], p[:], po, 16, c.t16[:], po, 16)
	}
	d := 256 * sse(c.ys[:], bps, c.t16[:], 16, 16, 16)
	if c.e.tdisto {
		var td int64
		for k := 0; k < 16; k++ {
			td += tdisto4(c.srcTex[k], c.t16[:], (k>>2)*64+(k&3)*4, 16)
		}
		d += 256 * sdScore(sq.tlambda, td)
	}
	return d, rate
}

// tryI4 searches the 16 subblock modes; it returns false (leaving yw's
// pixel area scratched) when intra 4×4 cannot beat i16Score.
func (c *mbCoder) tryI4(sq *segmentQuant, info *mbInfo, lv *mbLevels, topNZ, leftNZ uint16, topModes, leftModes *[4]uint8, i16Score int64) bool {
	ct := c.e.costs
	total := sq.lambdaMode * int64(ymodeCost[predB])
	top := topNZ & 15
	left := leftNZ & 15
	var modes [16]uint8
	var pred, bestRec [16]uint8
	var coef [16]int16
	var lvl [16]int16
	var i4lv [16][16]int16
	for k := 0; k < 16; k++ {
		bx, by := k&3, k>>2
		at := offPix + by*4*bps + bx*4
		so := by*4*bps + bx*4
		var above, leftM uint8
		if by > 0 {
			above = modes[k-4]
		} else {
			above = topModes[bx]
		}
		if bx > 0 {
			leftM = modes[k-1]
		} else {
			leftM = leftModes[by]
		}
		costs := &bmodeCost[above][leftM]
		ctx := int(top>>bx&1 + left>>by&1)
		best, bestScore := -1, int64(0)
		var bestD, bestR int64
		bestLast := -1
		// Rank the modes by prediction error and mode cost; only the best
		// i4Candidates are quantised and costed (all with method ≥ 5).
		var preds [numBModes][16]uint8
		var order [numBModes]int
		var rank [numBModes]int64
		var sses [numBModes]int64
		predictAll4(&preds, c.yw[:], at)
		sse4Modes(c.ys[so:], &preds, &sses)
		for mode := 0; mode < numBModes; mode++ {
			rank[mode] = 256*sses[mode] + sq.lambdaI4*int64(costs[mode])
			order[mode] = mode
			for i := mode; i > 0 && rank[order[i]] < rank[order[i-1]]; i-- {
				order[i], order[i-1] = order[i-1], order[i]
			}
		}
		for _, mode := range order[:c.e.i4Candidates] {
			pred = preds[mode]
			fdct4(c.ys[:], so, pred[:], 0, 4, &coef)
			orig := coef
			last := sq.y1.quantize(&coef, &lvl, 0)
			if c.e.trim {
				last = ct.trimTail(&orig, &lvl, &coef, &sq.y1, typeI4, ctx, 0, last, sq.lambdaI4)
			}
			r := int64(costs[mode])
			if mode > 0 && countNZ(&lvl) <= 3 {
				r += flatPenalty
			}
			// Distortion needs the reconstruction.
			var rec [16]uint8
			se, tex := recon4(&coef, &pred, c.ys[so:], &rec)
			d := 256 * se
			if c.e.tdisto {
				d += 256 * sdScore(sq.tlambda, texDisto(c.srcTex[k], tex))
			}
			if best >= 0 && d+sq.lambdaI4*r >= bestScore {
				continue
			}
			r += int64(ct.blockCost(typeI4, ctx, &lvl, 0, last))
			score := d + sq.lambdaI4*r
			if best < 0 || score < bestScore {
				best, bestScore, bestD, bestR, bestLast = mode, score, d, r, last
				bestRec = rec
				i4lv[k] = lvl
			}
		}
		total += bestD + sq.lambdaMode*bestR
		if total >= i16Score {
			return false
		}
		modes[k] = uint8(best)
		// The chosen subblock's reconstruction goes in place for its
		// neighbours.
		for y := 0; y < 4; y++ {
			copy(c.yw[at+y*bps:at+y*bps+4], bestRec[y*4:y*4+4])
		}
		nz := uint16(0)
		if bestLast >= 0 {
			nz = 1
		}
		top = top&^(1<<bx) | nz<<bx
		left = left&^(1<<by) | nz<<by
	}
	info.bmodes = modes
	copy(lv[:16], i4lv[:])
	lv[blkY2] = [16]int16{}
	return true
}

// pickUV chooses the chroma mode and codes both chroma planes.
func (c *mbCoder) pickUV(sq *segmentQuant, info *mbInfo, lv *mbLevels, topNZ, leftNZ uint16, hasTop, hasLeft bool) {
	ct := c.e.costs
	best, bestScore := -1, int64(0)
	for _, mode := range c.rankModes(8, c.e.uvCandidates, sq.lambdaUV, hasTop, hasLeft) {
		pu, pv := &c.pc[mode][0], &c.pc[mode][1]
		var d, r int64
		nzTotal := 0
		for pl := 0; pl < 2; pl++ {
			src := c.us[:]
			p := pu
			if pl == 1 {
				src, p = c.vs[:], pv
			}
			shift := uint(4 + 2*pl)
			top := topNZ >> shift & 3
			left := leftNZ >> shift & 3
			for k := 0; k < 4; k++ {
				bx, by := k&1, k>>1
				so := by*4*bps + bx*4
				po := by*32 + bx*4
				var coef [16]int16
				fdct4(src, so, p[:], po, 8, &coef)
				orig := coef
				lvl := &c.uvTmp[pl*4+k]
				last := sq.uv.quantize(&coef, lvl, 0)
				ctx := int(top>>bx&1 + left>>by&1)
				if c.e.trim {
					last = ct.trimTail(&orig, lvl, &coef, &sq.uv, typeUV, ctx, 0, last, sq.lambdaUV)
				}
				nzTotal += countNZ(lvl)
				r += int64(ct.blockCost(typeUV, ctx, lvl, 0, last))
				nz := uint16(0)
				if last >= 0 {
					nz = 1
				}
				top = top&^(1<<bx) | nz<<bx
				left = left&^(1<<by) | nz<<by
				idct4Add(&coef, p[:], po, 8, c.tc[pl][:], po, 8)
			}
			d += sse(src, bps, c.tc[pl][:], 8, 8, 8)
		}
		r += int64(uvmodeCost[mode])
		if mode > 0 && nzTotal <= 2 {
			r += 8 * flatPenalty
		}
		score := 256*d + sq.lambdaUV*r
		if best < 0 || score < bestScore {
			best, bestScore = mode, score
			c.rc, c.tc = c.tc, c.rc
			copy(lv[blkU:blkU+8], c.uvTmp[:])
		}
	}
	info.uvmode = uint8(best)
	for y := 0; y < 8; y++ {
		copy(c.uw[offPix+y*bps:offPix+y*bps+8], c.rc[0][y*8:])
		copy(c.vw[offPix+y*bps:offPix+y*bps+8], c.rc[1][y*8:])
	}
}

// rankModes predicts the luma (n = 16) or chroma (n = 8) block with all
// four modes and returns the k best by prediction SSE plus λ·mode cost,
// best first (ties: lower mode), as the candidates to code fully.
func (c *mbCoder) rankModes(n, k int, lambda int64, hasTop, hasLeft bool) []int {
	var rank [numPredModes]int64
	order := [numPredModes]int{0, 1, 2, 3}
	for mode := 0; mode < numPredModes; mode++ {
		if n == 16 {
			p := &c.p16[mode]
			predictBlock(p[:], c.yw[:], 16, mode, hasTop, hasLeft)
			if k < numPredModes {
				rank[mode] = 256*sse(c.ys[:], bps, p[:], 16, 16, 16) + lambda*int64(ymodeCost[mode])
			}
		} else {
			pu, pv := &c.pc[mode][0], &c.pc[mode][1]
			predictBlock(pu[:], c.uw[:], 8, mode, hasTop, hasLeft)
			predictBlock(pv[:], c.vw[:], 8, mode, hasTop, hasLeft)
			if k < numPredModes {
				rank[mode] = 256*(sse(c.us[:], bps, pu[:], 8, 8, 8)+sse(c.vs[:], bps, pv[:], 8, 8, 8)) + lambda*int64(uvmodeCost[mode])
			}
		}
		for i := mode; i > 0 && rank[order[i]] < rank[order[i-1]]; i-- {
			order[i], order[i-1] = order[i-1], order[i]
		}
	}
	out := order[:k]
	return out
}
