package webpenc

import (
	"fmt"
	"sync"
)

// writeFrame entropy-codes the decided macroblocks and returns the VP8
// key frame (RFC 6386 section 9 and 19): frame tag, start code, size,
// first partition (header and modes) and the token partitions.
func (e *encoder) writeFrame() ([]byte, error) {
	// Token statistics for the probability updates, rows in parallel: a
	// row's top contexts come from the levels of the row above, as in the
	// partitions below.
	workers := e.rowWorkers(e.mbh)
	stats := make([]tokenStats, workers)
	skips := make([]int, workers)
	tnzs := make([][]uint16, workers)
	for w := range tnzs {
		tnzs[w] = make([]uint16, e.mbw)
	}
	e.eachRow(e.mbh, func(w, y int) {
		counter := tokenSink{stats: &stats[w]}
		tnz := tnzs[w]
		if y > 0 {
			e.rowNZ(y-1, tnz)
		} else {
			clear(tnz)
		}
		var lnz uint16
		for x := 0; x < e.mbw; x++ {
			m := &e.mbs[y*e.mbw+x]
			if m.skip {
				skips[w]++
				skipNZ(m, &tnz[x], &lnz)
				continue
			}
			counter.putMB(m, &e.levels[y*e.mbw+x], &tnz[x], &lnz)
		}
	})
	st := &stats[0]
	nSkip := skips[0]
	for w := 1; w < workers; w++ {
		st.add(&stats[w])
		nSkip += skips[w]
	}
	probs, upd := updateProbs(st)
	total := e.mbw * e.mbh
	skipProb := uint8(clampInt((total-nSkip)*255/total, 1, 254))
	useSkip := nSkip > 0

	// Token partitions, coded in parallel (each is independent given the
	// probabilities; macroblock row y goes to partition y % numParts).
	parts := make([][]byte, e.numParts)
	var wg sync.WaitGroup
	for p := range parts {
		code := func() {
			be := newBoolEncoder(total * 64 / e.numParts)
			s := tokenSink{e: be, probs: &probs}
			tnz := make([]uint16, e.mbw)
			for y := p; y < e.mbh; y += e.numParts {
				// Top contexts come from the row above, which may be in
				// another partition: recompute them from its levels.
				if y > 0 {
					e.rowNZ(y-1, tnz)
				}
				var lnz uint16
				for x := 0; x < e.mbw; x++ {
					m := &e.mbs[y*e.mbw+x]
					if m.skip && useSkip {
						skipNZ(m, &tnz[x], &lnz)
						continue
					}
					s.putMB(m, &e.levels[y*e.mbw+x], &tnz[x], &lnz)
				}
			}
			parts[p] = be.finish()
		}
		if e.workers > 1 && e.numParts > 1 {
			wg.Go(code)
		} else {
			code()
		}
	}
	wg.Wait()

	// First partition.
	hdr := newBoolEncoder(total*4 + 1024)
	hdr.putBit(false, 128) // colour space: YUV (BT.601)
	hdr.putBit(false, 128) // clamping required
	e.putSegmentHeader(hdr)
	hdr.putBit(false, 128) // normal loop filter
	hdr.putLiteral(uint32(e.filterLevel), 6)
	hdr.putLiteral(uint32(e.sharpness), 3)
	hdr.putBit(false, 128) // no mode/ref filter deltas
	hdr.putLiteral(uint32(log2(e.numParts)), 2)
	hdr.putLiteral(uint32(e.seg[0].index), 7)
	hdr.putSignedOpt(dqY1DC, 4)
	hdr.putSignedOpt(dqY2DC, 4)
	hdr.putSignedOpt(dqY2AC, 4)
	hdr.putSignedOpt(dqUVDC, 4)
	hdr.putSignedOpt(e.dqUVAC, 4)
	hdr.putBit(false, 128) // refresh_entropy_probs: irrelevant for a still
	for t := range probs {
		for b := range probs[t] {
			for c := range probs[t][b] {
				for n := range probs[t][b][c] {
					u := upd[t][b][c][n]
					hdr.putBit(u, coefUpdateProb[t][b][c][n])
					if u {
						hdr.putLiteral(uint32(probs[t][b][c][n]), 8)
					}
				}
			}
		}
	}
	hdr.putBit(useSkip, 128)
	if useSkip {
		hdr.putLiteral(uint32(skipProb), 8)
	}
	for y := 0; y < e.mbh; y++ {
		var left [4]uint8
		for x := 0; x < e.mbw; x++ {
			i := y*e.mbw + x
			m := &e.mbs[i]
			if e.numSeg > 1 {
				e.putSegmentID(hdr, int(m.segment))
			}
			if useSkip {
				hdr.putBit(m.skip, skipProb)
			}
			putYMode(hdr, int(m.ymode))
			if x == 0 {
				left = [4]uint8{}
			}
			if m.ymode == predB {
				var top [4]uint8
				if y > 0 {
					top = bottomModes(&e.mbs[i-e.mbw])
				}
				for k := 0; k < 16; k++ {
					a := top[k&3]
					if k >= 4 {
						a = m.bmodes[k-4]
					}
					l := left[k>>2]
					if k&3 != 0 {
						l = m.bmodes[k-1]
					}
					putBMode(hdr, int(m.bmodes[k]), &bmodeProb[a][l])
				}
			}
			left = rightModes(m)
			putUVMode(hdr, int(m.uvmode))
		}
	}
	first := hdr.finish()
	if len(first) >= 1<<19 {
		// The frame tag has 19 bits for the first partition's size.
		return nil, UnsupportedError(fmt.Sprintf("first partition of %d bytes (limit 512 KiB): image too large", len(first)))
	}
	for _, p := range parts {
		if len(p) >= 1<<24 {
			return nil, UnsupportedError(fmt.Sprintf("token partition of %d bytes (limit 16 MiB)", len(p)))
		}
	}

	size := 10 + len(first) + 3*(e.numParts-1)
	for _, p := range parts {
		size += len(p)
	}
	out := make([]byte, 0, size)
	tag := uint32(len(first))<<5 | 1<<4 // key frame, version 0, shown
	out = append(out, byte(tag), byte(tag>>8), byte(tag>>16), 0x9d, 0x01, 0x2a,
		byte(e.w), byte(e.w>>8), byte(e.h), byte(e.h>>8))
	out = append(out, first...)
	for _, p := range parts[:len(parts)-1] {
		n := len(p)
		out = append(out, byte(n), byte(n>>8), byte(n>>16))
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// rowNZ sets tnz to the bottom non-zero flags of macroblock row y as the
// token coder leaves them (equal to mbInfo.nzBottom, except that a
// skipped B_PRED macroblock passes Y2 through, which nzBottom does too).
func (e *encoder) rowNZ(y int, tnz []uint16) {
	for x := range tnz {
		tnz[x] = e.mbs[y*e.mbw+x].nzBottom
	}
}

func log2(n int) int {
	l := 0
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}

// Segment map tree probabilities are fitted to the segment counts.
func (e *encoder) segmentProbs() [3]uint8 {
	var cnt [4]int
	for _, s := range e.segMap {
		cnt[s]++
	}
	p := func(a, b int) uint8 {
		if a+b == 0 {
			return 255
		}
		return uint8(clampInt((a*255+(a+b)/2)/(a+b), 1, 255))
	}
	return [3]uint8{p(cnt[0]+cnt[1], cnt[2]+cnt[3]), p(cnt[0], cnt[1]), p(cnt[2], cnt[3])}
}

// putSegmentHeader writes update_segmentation (section 9.3): absolute
// quantiser indices and filter levels per segment, and the map's tree
// probabilities.
func (e *encoder) putSegmentHeader(hdr *boolEncoder) {
	hdr.putBit(e.numSeg > 1, 128)
	if e.numSeg <= 1 {
		return
	}
	hdr.putBit(true, 128) // update map
	hdr.putBit(true, 128) // update data
	hdr.putBit(true, 128) // absolute values
	for s := 0; s < 4; s++ {
		hdr.putSignedOpt(e.seg[s].index, 7)
	}
	for s := 0; s < 4; s++ {
		hdr.putSignedOpt(e.seg[s].filterLevel, 6)
	}
	for _, p := range e.segmentProbs() {
		if p == 255 {
			hdr.putBit(false, 128)
			continue
		}
		hdr.putBit(true, 128)
		hdr.putLiteral(uint32(p), 8)
	}
}

func (e *encoder) putSegmentID(hdr *boolEncoder, s int) {
	p := e.segProbs
	if hdr.putBit2(s >= 2, p[0]) {
		hdr.putBit(s == 3, p[2])
	} else {
		hdr.putBit(s == 1, p[1])
	}
}
