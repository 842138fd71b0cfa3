package webpenc

import (
	"context"
)

// Segmentation (RFC 6386 section 9.3): macroblocks are clustered by a
// susceptibility score (mbAlpha) into up to four segments; smooth segments get a finer
// quantiser and less loop filtering than busy ones, with libwebp's
// spatial-noise-shaping law at its default strength (sns 50): the
// compression exponent is modulated by ±0.45 across the segments.
const (
	snsStrength = 50
	numSegments = 4
	// minSegmentMBs: below this many macroblocks the map costs more than
	// it saves; one segment is used.
	minSegmentMBs = 64
)

// Macroblock susceptibility, as libwebp's analysis pass measures it: the
// residual of the source against its DC and TM predictions (neighbours taken
// from the source, as if coded losslessly) is transformed, and the
// coefficient magnitudes (|c|>>3, capped at 31) are histogrammed. A block
// whose coefficients spread far relative to the most populated bin is busy.
// The luma score is the larger of the two modes', the chroma score likewise
// over the U and V blocks; they are mixed 3:1 and inverted, so the result is
// 0 (busy) .. 255 (flat, where quantisation shows most).
const (
	maxAlpha       = 255
	alphaScale     = 2 * maxAlpha
	maxCoeffThresh = 31
)

// histAlpha is the susceptibility of one histogram: alphaScale × the last
// non-empty bin / the count of the fullest bin (0 when that is ≤ 1).
func histAlpha(dist *[maxCoeffThresh + 1]int) int {
	maxV, last := 0, 1
	for k, v := range dist {
		if v > 0 {
			maxV = max(maxV, v)
			last = k
		}
	}
	if maxV <= 1 {
		return 0
	}
	return alphaScale * last / maxV
}

// histAddGeneric bins the magnitudes of coef (|c|>>3, capped) into dist.
// Most fall into bin 0, which is counted in a register. histAdd
// (kernels_*.go) is this or its assembly version.
func histAddGeneric(dist *[maxCoeffThresh + 1]int, coef *[16]int16) {
	zero := 0
	for _, c := range coef {
		v := int32(c)
		v = (v ^ v>>31) - v>>31
		if v < 8 {
			zero++
			continue
		}
		dist[min(v>>3, maxCoeffThresh)]++
	}
	dist[0] += zero
}

// analysisBuf is one worker's scratch for mbAlpha.
type analysisBuf struct {
	ys, us, vs [16 * bps]uint8 // source, block at 0 (stride bps)
	yw, uw, vw [17 * bps]uint8 // prediction borders (layout of predict.go)
	pred       [256]uint8
}

// borders fills w's top row (top-left at 3) and left column from source
// plane p (stride ps) for the n×n block at (x0, y0), with the decoder's
// 127/129 outside the frame.
func borders(w []uint8, p []uint8, ps, x0, y0, n int) {
	if y0 == 0 {
		for i := 3; i < 4+n; i++ {
			w[i] = 127
		}
	} else {
		copy(w[4:4+n], p[(y0-1)*ps+x0:])
		if x0 > 0 {
			w[3] = p[(y0-1)*ps+x0-1]
		} else {
			w[3] = 129
		}
	}
	for y := 0; y < n; y++ {
		if x0 == 0 {
			w[(y+1)*bps+3] = 129
		} else {
			w[(y+1)*bps+3] = p[(y0+y)*ps+x0-1]
		}
	}
}

// mbAlpha returns the mixed, inverted susceptibility of macroblock
// (mbx, mby) (0 busy .. 255 flat) and its raw chroma susceptibility.
func (e *encoder) mbAlpha(mbx, mby int, b *analysisBuf) (alpha, uvAlpha int) {
	ys, cs := e.yStride, e.cStride
	for y := 0; y < 16; y++ {
		copy(b.ys[y*bps:y*bps+16], e.srcY[(mby*16+y)*ys+mbx*16:])
	}
	for y := 0; y < 8; y++ {
		copy(b.us[y*bps:y*bps+8], e.srcU[(mby*8+y)*cs+mbx*8:])
		copy(b.vs[y*bps:y*bps+8], e.srcV[(mby*8+y)*cs+mbx*8:])
	}
	borders(b.yw[:], e.srcY, ys, mbx*16, mby*16, 16)
	borders(b.uw[:], e.srcU, cs, mbx*8, mby*8, 8)
	borders(b.vw[:], e.srcV, cs, mbx*8, mby*8, 8)
	var coef [16]int16
	best := -1
	for _, mode := range [2]int{predDC, predTM} {
		var dist [maxCoeffThresh + 1]int
		predictBlock(b.pred[:], b.yw[:], 16, mode, mby > 0, mbx > 0)
		for k := 0; k < 16; k++ {
			bx, by := (k&3)*4, (k>>2)*4
			fdct4(b.ys[:], by*bps+bx, b.pred[:], by*16+bx, 16, &coef)
			histAdd(&dist, &coef)
		}
		best = max(best, histAlpha(&dist))
	}
	uvBest := -1
	for _, mode := range [2]int{predDC, predTM} {
		var dist [maxCoeffThresh + 1]int
		for _, pl := range [2]struct{ s, w []uint8 }{{b.us[:], b.uw[:]}, {b.vs[:], b.vw[:]}} {
			predictBlock(b.pred[:], pl.w, 8, mode, mby > 0, mbx > 0)
			for k := 0; k < 4; k++ {
				bx, by := (k&1)*4, (k>>1)*4
				fdct4(pl.s, by*bps+bx, b.pred[:], by*8+bx, 8, &coef)
				histAdd(&dist, &coef)
			}
		}
		uvBest = max(uvBest, histAlpha(&dist))
	}
	mixed := (3*best + uvBest + 2) >> 2
	return clampInt(maxAlpha-mixed, 0, maxAlpha), uvBest
}

// uvACDelta maps the mean chroma susceptibility (typically 30 .. 100 around
// 64) to the chroma AC quantiser delta, scaled by the SNS strength, as
// libwebp does: chroma that hides quantisation better is quantised coarser.
func uvACDelta(uvAlpha int) int {
	const midAlpha, minA, maxA = 64, 30, 100
	d := (uvAlpha - midAlpha) * (maxDQUV - minDQUV) / (maxA - minA)
	d = d * snsStrength / 100
	return clampInt(d, minDQUV, maxDQUV)
}

// analyze computes every macroblock's smoothness (rows in parallel) and,
// when it pays, clusters them into segments with their quantisers and
// filter levels. It sets numSeg, segMap and seg.
func (e *encoder) analyze(ctx context.Context, quality int) error {
	n := e.mbw * e.mbh
	score := make([]uint8, n)
	uvSums := make([]int, e.mbh)
	bufs := make([]analysisBuf, e.rowWorkers(e.mbh))
	e.eachRow(e.mbh, func(w, y int) {
		for x := 0; x < e.mbw; x++ {
			a, uv := e.mbAlpha(x, y, &bufs[w])
			score[y*e.mbw+x] = uint8(a)
			uvSums[y] += uv
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	var uvSum int
	for _, v := range uvSums {
		uvSum += v
	}
	e.dqUVAC = uvACDelta(uvSum / n)
	if n < minSegmentMBs {
		e.oneSegment(qualityToIndex(float64(quality), e.expnScale))
		return nil
	}
	var hist [256]int
	for _, s := range score {
		hist[s]++
	}
	centers, mid, assign := kmeans(&hist)
	e.segMap = make([]uint8, n)
	for i, s := range score {
		e.segMap[i] = assign[s]
	}
	// Centre/normalise the cluster centres as libwebp does: alpha in
	// ±127 around the weighted mean, beta 0..255 from the least smooth.
	lo, hi := centers[0], centers[0]
	for s := 0; s < numSegments; s++ {
		lo, hi = min(lo, centers[s]), max(hi, centers[s])
	}
	if hi == lo {
		hi = lo + 1
	}
	amp := 0.9 * snsStrength / 100. / 128.
	for s := 0; s < numSegments; s++ {
		alpha := clampInt(255*(centers[s]-mid)/(hi-lo), -127, 127)
		beta := clampInt(255*(centers[s]-lo)/(hi-lo), 0, 255)
		qs := qualityToIndex(float64(quality), e.expnScale*(1-amp*float64(alpha)))
		e.seg[s] = newSegmentQuant(qs, e.dqUVAC)
		e.seg[s].filterLevel = filterLevelFor(qs, filterStrength, beta)
	}
	e.numSeg = numSegments
	e.segProbs = e.segmentProbs()
	e.filterLevel = e.seg[0].filterLevel
	return nil
}

// oneSegment configures a single segment with quantiser index q.
func (e *encoder) oneSegment(q int) {
	e.numSeg = 1
	e.segMap = nil
	for s := range e.seg {
		e.seg[s] = newSegmentQuant(q, e.dqUVAC)
		e.seg[s].filterLevel = filterLevelFor(q, filterStrength, 0)
	}
	e.filterLevel = e.seg[0].filterLevel
}

// kmeans clusters the score histogram into numSegments centres: initially
// spread evenly over the used range, then Lloyd iterations (at most 6,
// until the centres move less than 5 in all). It returns the centres,
// their population-weighted mean and the segment of every score value.
func kmeans(hist *[256]int) (c [numSegments]int, mid int, assign [256]uint8) {
	lo, hi := 0, 255
	for lo < 255 && hist[lo] == 0 {
		lo++
	}
	for hi > lo && hist[hi] == 0 {
		hi--
	}
	for s := range c {
		c[s] = lo + (2*s+1)*(hi-lo)/(2*numSegments)
	}
	for iter := 0; iter < 6; iter++ {
		var sum, cnt [numSegments]int
		best := 0
		for v := lo; v <= hi; v++ {
			if hist[v] == 0 {
				continue
			}
			for best+1 < numSegments && abs(v-c[best+1]) < abs(v-c[best]) {
				best++
			}
			assign[v] = uint8(best)
			sum[best] += v * hist[v]
			cnt[best] += hist[v]
		}
		moved, wsum, total := 0, 0, 0
		for s := range c {
			if cnt[s] > 0 {
				nc := (sum[s] + cnt[s]/2) / cnt[s]
				moved += abs(c[s] - nc)
				c[s] = nc
				wsum += nc * cnt[s]
				total += cnt[s]
			}
		}
		mid = (wsum + total/2) / total
		if moved < 5 {
			break
		}
	}
	return c, mid, assign
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
