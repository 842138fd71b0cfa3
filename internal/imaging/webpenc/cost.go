package webpenc

// Rate estimation. Costs are in 1/256 bit; the tables are built with
// integer arithmetic only, so mode decisions (and so the output bytes) are
// the same on every architecture.

// log2Q8 returns log2(x/256)·256 rounded, for x in 1..256 (≤ 0).
func log2Q8(x uint32) int32 {
	// Fixed-point log2 by repeated squaring (Q30 mantissa, 16 fraction bits).
	if x == 0 {
		return -8 * 256 * 4
	}
	ip := 0
	v := uint64(x) << 30 // value·2^30
	for v >= 2<<30 {
		v >>= 1
		ip++
	}
	frac := 0
	for i := 0; i < 16; i++ {
		v = v * v >> 30
		frac <<= 1
		if v >= 2<<30 {
			v >>= 1
			frac |= 1
		}
	}
	l := (ip-8)<<16 + frac // log2(x/256) in Q16
	return int32((l*256 + 1<<15) >> 16)
}

// bitCost[p] is the cost of coding a 0 with probability p/256; the cost of
// a 1 is bitCost[256-p].
var bitCost [257]uint16

func init() {
	for p := 1; p <= 256; p++ {
		bitCost[p] = uint16(-log2Q8(uint32(p)))
	}
	bitCost[0] = bitCost[1]
}

func cost0(p uint8) int32 { return int32(bitCost[p]) }
func cost1(p uint8) int32 { return int32(bitCost[256-int(p)]) }
func costBit(b bool, p uint8) int32 {
	if b {
		return cost1(p)
	}
	return cost0(p)
}

// maxCostLevel is the largest level with an exact entry in levelCosts;
// larger levels add the DCT_CAT6 extra bits as 1 bit each.
const maxCostLevel = 67

// costTables are the token costs for one set of coefficient probabilities.
// level[t][b][c][v] is the cost of coding magnitude v (0 = DCT_0) in type
// t, band b, context c, from the "not EOB" node on, including the sign;
// eob[t][b][c] and more[t][b][c] the cost of the EOB decision (0 / 1).
type costTables struct {
	level [nPlane][nBand][nContext][maxCostLevel + 1]uint16
	eob   [nPlane][nBand][nContext]uint16
	more  [nPlane][nBand][nContext]uint16
}

func newCostTables(p *[nPlane][nBand][nContext][nProb]uint8) *costTables {
	ct := &costTables{}
	for t := range p {
		for b := range p[t] {
			for c := range p[t][b] {
				pr := &p[t][b][c]
				ct.eob[t][b][c] = uint16(cost0(pr[0]))
				ct.more[t][b][c] = uint16(cost1(pr[0]))
				for v := 0; v <= maxCostLevel; v++ {
					ct.level[t][b][c][v] = uint16(tokenCost(pr, v))
				}
			}
		}
	}
	return ct
}

// tokenCost is the cost of magnitude v from node 1 of the token tree
// (section 13.2), with its extra bits and sign.
func tokenCost(p *[nProb]uint8, v int) int32 {
	if v == 0 {
		return cost0(p[1])
	}
	c := cost1(p[1]) + 256 // sign
	if v == 1 {
		return c + cost0(p[2])
	}
	c += cost1(p[2])
	if v <= 4 {
		c += cost0(p[3])
		if v == 2 {
			return c + cost0(p[4])
		}
		return c + cost1(p[4]) + costBit(v == 4, p[5])
	}
	c += cost1(p[3])
	cat := catOf(v)
	switch cat {
	case 0, 1:
		c += cost0(p[6]) + costBit(cat == 1, p[7])
	default:
		c += cost1(p[6]) + costBit(cat >= 4, p[8])
		if cat < 4 {
			c += costBit(cat == 3, p[9])
		} else {
			c += costBit(cat == 5, p[10])
		}
	}
	e := v - catBase[cat]
	probs := &catProbs[cat]
	n := 0
	for probs[n] != 0 {
		n++
	}
	for i := 0; i < n; i++ {
		c += costBit(e>>(n-1-i)&1 != 0, probs[i])
	}
	return c
}

// catOf returns the DCT_CATn index (0..5) of a magnitude ≥ 5.
func catOf(v int) int {
	switch {
	case v < 7:
		return 0
	case v < 11:
		return 1
	case v < 19:
		return 2
	case v < 35:
		return 3
	case v < 67:
		return 4
	}
	return 5
}

// blockCost is the cost of coding the zigzag levels of one block of type t
// whose first coded position is first and last non-zero position is last
// (−1: none), in neighbour context ctx. It is the inner loop of every mode
// decision, so the "more" (not EOB) decision is charged where it is
// coded, after each non-zero level, instead of testing a flag per
// position.
func (ct *costTables) blockCost(t int, ctx int, lv *[16]int16, first, last int) int32 {
	if last < first {
		return int32(ct.eob[t][bands[first]][ctx])
	}
	more, level := &ct.more[t], &ct.level[t]
	c := int32(more[bands[first]][ctx])
	for n := first; n < last; n++ {
		v := int32(lv[n&15])
		v = (v ^ v>>31) - v>>31
		lvc := &level[bands[n&15]&7][ctx]
		if v == 0 {
			c += int32(lvc[0])
			ctx = 0
			continue
		}
		c += levelCost(lvc, v)
		ctx = int(min(v, 2))
		c += int32(more[bands[n+1]&7][ctx])
	}
	v := int32(lv[last&15])
	v = (v ^ v>>31) - v>>31
	c += levelCost(&level[bands[last&15]&7][ctx], v)
	if last < 15 {
		c += int32(ct.eob[t][bands[last+1]&7][min(v, 2)])
	}
	return c
}

// levelCost is the cost of magnitude v ≥ 0 from a context's table: exact
// up to maxCostLevel, then one bit per further DCT_CAT6 extra bit.
func levelCost(lvc *[maxCostLevel + 1]uint16, v int32) int32 {
	if v > maxCostLevel {
		return int32(lvc[maxCostLevel]) + 256*int32(bitsLen(int(v))-6)
	}
	return int32(lvc[v])
}

func bitsLen(v int) int {
	n := 0
	for v > 0 {
		n++
		v >>= 1
	}
	return n
}
