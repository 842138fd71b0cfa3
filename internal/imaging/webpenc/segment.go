package webpenc

import (
	"context"
	"math/bits"
	"sync"
)

// Segmentation (RFC 6386 section 9.3): macroblocks are clustered by a
// smoothness score into up to four segments; smooth segments get a finer
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

// mbSmoothness returns 0 (busy) .. 255 (flat) for macroblock (mbx, mby)
// of the source: the mean absolute AC coefficient of its 16 luma 4×4
// blocks (each against its own mean), on a log scale.
func (e *encoder) mbSmoothness(mbx, mby int) uint8 {
	var src [4 * bps]uint8
	var flat [16]uint8
	var coef [16]int16
	var sum int64
	for k := 0; k < 16; k++ {
		bx, by := k&3, k>>2
		mean := 0
		for y := 0; y < 4; y++ {
			row := e.srcY[(mby*16+by*4+y)*e.yStride+mbx*16+bx*4:]
			copy(src[y*bps:y*bps+4], row[:4])
			mean += int(row[0]) + int(row[1]) + int(row[2]) + int(row[3])
		}
		for i := range flat {
			flat[i] = uint8((mean + 8) >> 4)
		}
		fdct4(src[:], 0, flat[:], 0, 4, &coef)
		for i := 1; i < 16; i++ {
			c := int64(coef[i])
			if c < 0 {
				c = -c
			}
			sum += c
		}
	}
	// sum/256 is the mean |AC| per pixel (×8 DCT scale); score it as
	// 32·log2(1 + sum/64), integer-only.
	v := uint64(sum/64) + 1
	l := bits.Len64(v) - 1
	frac := int((v << 8 >> uint(l)) & 255) // 8-bit linear mantissa
	c := 32*l + frac/8
	return uint8(255 - min(c, 255))
}

// analyze computes every macroblock's smoothness (rows in parallel) and,
// when it pays, clusters them into segments with their quantisers and
// filter levels. It sets numSeg, segMap and seg.
func (e *encoder) analyze(ctx context.Context, quality int) error {
	n := e.mbw * e.mbh
	q := qualityToIndex(float64(quality), 1)
	if n < minSegmentMBs {
		e.oneSegment(q)
		return nil
	}
	score := make([]uint8, n)
	var wg sync.WaitGroup
	workers := max(1, min(e.workers, e.mbh))
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for y := w; y < e.mbh; y += workers {
				for x := 0; x < e.mbw; x++ {
					score[y*e.mbw+x] = e.mbSmoothness(x, y)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var hist [256]int
	for _, s := range score {
		hist[s]++
	}
	centers, assign := kmeans(&hist)
	e.segMap = make([]uint8, n)
	for i, s := range score {
		e.segMap[i] = assign[s]
	}
	// Centre/normalise the cluster centres as libwebp does: alpha in
	// ±127 around the weighted mean, beta 0..255 from the least smooth.
	lo, hi := centers[0], centers[0]
	var wsum, cnt int
	for s := 0; s < numSegments; s++ {
		lo, hi = min(lo, centers[s]), max(hi, centers[s])
	}
	for v, h := range hist {
		wsum += v * h
		cnt += h
	}
	mid := (wsum + cnt/2) / cnt
	if hi == lo {
		hi = lo + 1
	}
	amp := 0.9 * snsStrength / 100. / 128.
	for s := 0; s < numSegments; s++ {
		alpha := clampInt(255*(centers[s]-mid)/(hi-lo), -127, 127)
		beta := clampInt(255*(centers[s]-lo)/(hi-lo), 0, 255)
		qs := qualityToIndex(float64(quality), 1-amp*float64(alpha))
		e.seg[s] = newSegmentQuant(qs)
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
		e.seg[s] = newSegmentQuant(q)
		e.seg[s].filterLevel = filterLevelFor(q, filterStrength, 0)
	}
	e.filterLevel = e.seg[0].filterLevel
}

// kmeans clusters the score histogram into numSegments centres (initially
// spread evenly over the used range, then 8 Lloyd iterations) and returns
// the centres and the segment of every score value.
func kmeans(hist *[256]int) ([numSegments]int, [256]uint8) {
	lo, hi := 0, 255
	for lo < 255 && hist[lo] == 0 {
		lo++
	}
	for hi > 0 && hist[hi] == 0 {
		hi--
	}
	var c [numSegments]int
	for s := range c {
		c[s] = lo + (2*s+1)*(hi-lo)/(2*numSegments)
	}
	var assign [256]uint8
	for iter := 0; iter < 8; iter++ {
		var sum, cnt [numSegments]int
		for v := lo; v <= hi; v++ {
			best := 0
			for s := 1; s < numSegments; s++ {
				if abs(v-c[s]) < abs(v-c[best]) {
					best = s
				}
			}
			assign[v] = uint8(best)
			sum[best] += v * hist[v]
			cnt[best] += hist[v]
		}
		for s := range c {
			if cnt[s] > 0 {
				c[s] = (sum[s] + cnt[s]/2) / cnt[s]
			}
		}
	}
	return c, assign
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
