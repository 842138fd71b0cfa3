package webpenc

// Residual token coding (RFC 6386 section 13) and the per-frame
// coefficient probability updates (section 13.4).

type coefProbs = [nPlane][nBand][nContext][nProb]uint8

// tokenStats counts, for every token-tree node, how often a 0 and a 1 was
// coded.
type tokenStats [nPlane][nBand][nContext][nProb][2]uint32

// add adds o's counts to s.
func (s *tokenStats) add(o *tokenStats) {
	for t := range s {
		for b := range s[t] {
			for c := range s[t][b] {
				for n := range s[t][b][c] {
					s[t][b][c][n][0] += o[t][b][c][n][0]
					s[t][b][c][n][1] += o[t][b][c][n][1]
				}
			}
		}
	}
}

// tokenSink receives the token-tree decisions of a block: either a bool
// encoder (with the final probabilities) or statistics.
type tokenSink struct {
	e     *boolEncoder
	probs *coefProbs
	stats *tokenStats
}

func (s *tokenSink) bit(b bool, t, band, ctx, node int) {
	if s.e != nil {
		s.e.putBit(b, s.probs[t][band][ctx][node])
		return
	}
	if b {
		s.stats[t][band][ctx][node][1]++
	} else {
		s.stats[t][band][ctx][node][0]++
	}
}

func (s *tokenSink) fixed(b bool, prob uint8) {
	if s.e != nil {
		s.e.putBit(b, prob)
	}
}

// putBlock codes the zigzag levels lv[first:] of a block of type t in
// neighbour context ctx and returns whether any level was non-zero.
func (s *tokenSink) putBlock(t, ctx int, lv *[16]int16, first int) bool {
	last := -1
	for n := 15; n >= first; n-- {
		if lv[n] != 0 {
			last = n
			break
		}
	}
	n := first
	if last < 0 {
		s.bit(false, t, int(bands[n]), ctx, 0)
		return false
	}
	s.bit(true, t, int(bands[n]), ctx, 0)
	for {
		b := int(bands[n])
		v := int(lv[n])
		neg := v < 0
		if neg {
			v = -v
		}
		if v == 0 {
			s.bit(false, t, b, ctx, 1)
			n++
			ctx = 0
			continue // no EOB after DCT_0
		}
		s.bit(true, t, b, ctx, 1)
		if v == 1 {
			s.bit(false, t, b, ctx, 2)
			ctx = 1
		} else {
			s.bit(true, t, b, ctx, 2)
			if v <= 4 {
				s.bit(false, t, b, ctx, 3)
				if v == 2 {
					s.bit(false, t, b, ctx, 4)
				} else {
					s.bit(true, t, b, ctx, 4)
					s.bit(v == 4, t, b, ctx, 5)
				}
			} else {
				s.bit(true, t, b, ctx, 3)
				cat := catOf(v)
				if cat < 2 {
					s.bit(false, t, b, ctx, 6)
					s.bit(cat == 1, t, b, ctx, 7)
				} else {
					s.bit(true, t, b, ctx, 6)
					s.bit(cat >= 4, t, b, ctx, 8)
					if cat < 4 {
						s.bit(cat == 3, t, b, ctx, 9)
					} else {
						s.bit(cat == 5, t, b, ctx, 10)
					}
				}
				probs := &catProbs[cat]
				nb := 0
				for probs[nb] != 0 {
					nb++
				}
				extra := v - catBase[cat]
				for i := 0; i < nb; i++ {
					s.fixed(extra>>(nb-1-i)&1 != 0, probs[i])
				}
			}
			ctx = 2
		}
		s.fixed(neg, 128)
		n++
		if n == 16 {
			return true
		}
		s.bit(n <= last, t, int(bands[n]), ctx, 0)
		if n > last {
			return true
		}
	}
}

// putMB codes the residuals of one non-skipped macroblock; tnz/lnz are the
// top and left non-zero flags (bits as mbInfo.nzBottom), updated in place.
func (s *tokenSink) putMB(m *mbInfo, lv *mbLevels, tnz, lnz *uint16) {
	first, yt := 0, typeI4
	if m.ymode != predB {
		ctx := int(*tnz>>8&1 + *lnz>>8&1)
		nz := b2u(s.putBlock(typeY2, ctx, &lv[blkY2], 0))
		*tnz = *tnz&^0x100 | nz<<8
		*lnz = *lnz&^0x100 | nz<<8
		first, yt = 1, typeI16AC
	}
	for k := 0; k < 16; k++ {
		bx, by := uint(k&3), uint(k>>2)
		ctx := int(*tnz>>bx&1 + *lnz>>by&1)
		nz := b2u(s.putBlock(yt, ctx, &lv[k], first))
		*tnz = *tnz&^(1<<bx) | nz<<bx
		*lnz = *lnz&^(1<<by) | nz<<by
	}
	for pl := uint(0); pl < 2; pl++ {
		for k := 0; k < 4; k++ {
			bx, by := uint(k&1)+4+2*pl, uint(k>>1)+4+2*pl
			ctx := int(*tnz>>bx&1 + *lnz>>by&1)
			nz := b2u(s.putBlock(typeUV, ctx, &lv[blkU+int(pl)*4+k], 0))
			*tnz = *tnz&^(1<<bx) | nz<<bx
			*lnz = *lnz&^(1<<by) | nz<<by
		}
	}
}

func b2u(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}

// skipNZ applies a skipped macroblock to the contexts: all flags clear,
// except Y2's for B_PRED (which has no Y2 block).
func skipNZ(m *mbInfo, tnz, lnz *uint16) {
	if m.ymode == predB {
		*tnz &= 0x100
		*lnz &= 0x100
	} else {
		*tnz, *lnz = 0, 0
	}
}

// updateProbs chooses, for every token probability, between the default
// and the value fitted to stats, keeping the update only when the bits it
// saves exceed its cost (flag + 8-bit value). It returns the probabilities
// to code with and the update flags.
func updateProbs(st *tokenStats) (coefProbs, [nPlane][nBand][nContext][nProb]bool) {
	probs := defaultCoefProb
	var upd [nPlane][nBand][nContext][nProb]bool
	for t := range st {
		for b := range st[t] {
			for c := range st[t][b] {
				for n := range st[t][b][c] {
					n0, n1 := st[t][b][c][n][0], st[t][b][c][n][1]
					if n0+n1 == 0 {
						continue
					}
					old := defaultCoefProb[t][b][c][n]
					np := fitProb(n0, n1)
					up := coefUpdateProb[t][b][c][n]
					oldCost := int64(n0)*int64(cost0(old)) + int64(n1)*int64(cost1(old)) + int64(cost0(up))
					newCost := int64(n0)*int64(cost0(np)) + int64(n1)*int64(cost1(np)) + int64(cost1(up)) + 8*256
					if newCost < oldCost {
						probs[t][b][c][n] = np
						upd[t][b][c][n] = true
					}
				}
			}
		}
	}
	return probs, upd
}

// fitProb is the 8-bit probability of a 0 given the counts, in 1..255.
func fitProb(n0, n1 uint32) uint8 {
	p := (uint64(n0)*255 + uint64(n0+n1)/2) / uint64(n0+n1)
	return uint8(clampInt(int(p), 1, 255))
}
