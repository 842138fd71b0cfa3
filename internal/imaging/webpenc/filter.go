package webpenc

import "context"

// Loop-filter level selection. The decoder applies VP8's normal loop
// filter (RFC 6386 section 15.3) after reconstruction; the encoder
// reproduces it on the luma of a sample of macroblock rows for a few
// candidate levels per segment and keeps, per segment, the level with the
// smallest squared error against the source. Levels are multiples of
// libwebp's "-f 60" level for the segment's quantiser.

// filterMults are the candidate multiples of the base level, in quarters.
var filterMults = [...]int{0, 2, 4, 6, 8, 10}

// measureFilterRow filters macroblock row y (and the 4 rows above it that
// its top edge touches) at every candidate multiple of the segments' base
// levels, into band, and adds each result's squared error against the
// source to errs[segment][multiple].
func (e *encoder) measureFilterRow(y int, base *[4]int, band []uint8, errs *[4][len(filterMults)]int64) {
	ys := e.yStride
	for k, mlt := range filterMults {
		for r := -4; r < 16; r++ {
			src := max(y*16+r, 0)
			copy(band[(r+4)*ys:(r+5)*ys], e.recY[src*ys:(src+1)*ys])
		}
		for x := 0; x < e.mbw; x++ {
			m := &e.mbs[y*e.mbw+x]
			lvl := min(base[m.segment]*mlt/4, 63)
			filterLumaMB(band, 4*ys+x*16, ys, lvl, hasInnerEdges(m), x > 0, y > 0)
		}
		for x := 0; x < e.mbw; x++ {
			seg := e.mbs[y*e.mbw+x].segment
			var d int64
			for r := 0; r < 16; r++ {
				py := y*16 + r
				if py >= e.h {
					break
				}
				w := min(16, e.w-x*16)
				d += sse(band[(r+4)*ys+x*16:], ys, e.srcY[py*ys+x*16:], ys, w, 1)
			}
			errs[seg][k] += d
		}
	}
}

// filterSampleStep: every filterSampleStep-th macroblock row is measured.
const filterSampleStep = 3

func abs8(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func clampS(v, lo, hi int32) int32 { return min(max(v, lo), hi) }

// filterEdge filters n pixels across one edge of plane p: pixel i of the
// edge is at at+i·step, its neighbours across the edge at ±k·across.
// edge/interior/hev are the thresholds; mb selects the macroblock-edge
// (6-tap) filter, otherwise the subblock (4-tap) one.
func filterEdge(p []uint8, at, step, across, n int, edge, interior, hev int32, mb bool) {
	for ; n > 0; n, at = n-1, at+step {
		p3 := int32(p[at-4*across])
		p2 := int32(p[at-3*across])
		p1 := int32(p[at-2*across])
		p0 := int32(p[at-across])
		q0 := int32(p[at])
		q1 := int32(p[at+across])
		q2 := int32(p[at+2*across])
		q3 := int32(p[at+3*across])
		if 2*abs8(p0-q0)+abs8(p1-q1)>>1 > edge {
			continue
		}
		if abs8(p3-p2) > interior || abs8(p2-p1) > interior || abs8(p1-p0) > interior ||
			abs8(q1-q0) > interior || abs8(q2-q1) > interior || abs8(q3-q2) > interior {
			continue
		}
		if abs8(p1-p0) > hev || abs8(q1-q0) > hev {
			a := clampS(3*(q0-p0)+clampS(p1-q1, -128, 127), -128, 127)
			a1 := clampS((a+4)>>3, -16, 15)
			a2 := clampS((a+3)>>3, -16, 15)
			p[at-across] = clip255(p0 + a2)
			p[at] = clip255(q0 - a1)
			continue
		}
		if !mb {
			a := clampS(3*(q0-p0), -128, 127)
			a1 := clampS((a+4)>>3, -16, 15)
			a2 := clampS((a+3)>>3, -16, 15)
			a3 := (a1 + 1) >> 1
			p[at-2*across] = clip255(p1 + a3)
			p[at-across] = clip255(p0 + a2)
			p[at] = clip255(q0 - a1)
			p[at+across] = clip255(q1 - a3)
			continue
		}
		a := clampS(3*(q0-p0)+clampS(p1-q1, -128, 127), -128, 127)
		a1 := (27*a + 63) >> 7
		a2 := (18*a + 63) >> 7
		a3 := (9*a + 63) >> 7
		p[at-3*across] = clip255(p2 + a3)
		p[at-2*across] = clip255(p1 + a2)
		p[at-across] = clip255(p0 + a1)
		p[at] = clip255(q0 - a1)
		p[at+across] = clip255(q1 - a2)
		p[at+2*across] = clip255(q2 - a3)
	}
}

// filterThresholds returns the edge limits (macroblock and subblock
// edges), interior limit and high-edge-variance threshold of a level
// (sharpness 0, key frame).
func filterThresholds(level int) (mbEdge, subEdge, interior, hev int32) {
	il := int32(max(level, 1))
	l := int32(level)
	switch {
	case level >= 40:
		hev = 2
	case level >= 15:
		hev = 1
	}
	return 2*(l+2) + il, 2*l + il, il, hev
}

// filterLumaMB filters the luma of macroblock (mbx, row) in buffer p
// (stride s, the macroblock's top-left at o), in decoder order.
func filterLumaMB(p []uint8, o, s int, level int, inner, left, top bool) {
	if level == 0 {
		return
	}
	mbE, subE, in, hev := filterThresholds(level)
	if left {
		filterEdge(p, o, s, 1, 16, mbE, in, hev, true)
	}
	if inner {
		for x := 4; x < 16; x += 4 {
			filterEdge(p, o+x, s, 1, 16, subE, in, hev, false)
		}
	}
	if top {
		filterEdge(p, o, 1, s, 16, mbE, in, hev, true)
	}
	if inner {
		for y := 4; y < 16; y += 4 {
			filterEdge(p, o+y*s, 1, s, 16, subE, in, hev, false)
		}
	}
}

// hasInnerEdges reports whether the decoder filters the subblock edges of
// a macroblock: it has coefficients or uses 4×4 prediction.
func hasInnerEdges(m *mbInfo) bool { return !m.skip || m.ymode == predB }

// chooseFilterLevels sets every segment's filter level (and the frame's)
// from measurements on the reconstruction.
func (e *encoder) chooseFilterLevels(ctx context.Context) error {
	var base [4]int
	for s := 0; s < e.numSeg; s++ {
		base[s] = filterLevelFor(e.seg[s].index, filterStrength, 0)
	}
	// Sampled rows are measured in parallel, each worker with its own
	// band and error sums (added up after: the same totals for any number
	// of workers).
	ys := e.yStride
	rows := (e.mbh + filterSampleStep - 1) / filterSampleStep
	workers := e.rowWorkers(rows)
	errsOf := make([][4][len(filterMults)]int64, workers)
	bands := make([][]uint8, workers)
	for w := range bands {
		bands[w] = make([]uint8, 20*ys)
	}
	e.eachRow(rows, func(w, i int) {
		if ctx.Err() != nil {
			return
		}
		e.measureFilterRow(i*filterSampleStep, &base, bands[w], &errsOf[w])
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs [4][len(filterMults)]int64
	for w := range errsOf {
		for s := range errs {
			for k := range errs[s] {
				errs[s][k] += errsOf[w][s][k]
			}
		}
	}
	for s := 0; s < 4; s++ {
		best := 2 // 1× base when a segment was never sampled
		for k := range filterMults {
			if errs[s][k] < errs[s][best] {
				best = k
			}
		}
		e.seg[s].filterLevel = min(base[s]*filterMults[best]/4, 63)
	}
	if e.numSeg == 1 {
		for s := 1; s < 4; s++ {
			e.seg[s].filterLevel = e.seg[0].filterLevel
		}
	}
	// libwebp turns the filter off for the whole frame when the frame
	// level is 0, whatever the segments say: use the largest.
	e.filterLevel = 0
	for s := 0; s < e.numSeg; s++ {
		e.filterLevel = max(e.filterLevel, e.seg[s].filterLevel)
	}
	return nil
}
