package webpenc

// Fixed mode-tree probabilities of key frames (RFC 6386 section 11.2–11.4).
var (
	ymodeProb  = [4]uint8{145, 156, 163, 128}
	uvmodeProb = [3]uint8{142, 114, 183}
)

// putYMode codes a key-frame luma mode (predDC..predTM or predB).
func putYMode(e *boolEncoder, m int) {
	e.putBit(m != predB, ymodeProb[0])
	if m == predB {
		return
	}
	if e.putBit2(m == predH || m == predTM, ymodeProb[1]) {
		e.putBit(m == predTM, ymodeProb[3])
	} else {
		e.putBit(m == predV, ymodeProb[2])
	}
}

func putUVMode(e *boolEncoder, m int) {
	if e.putBit2(m != predDC, uvmodeProb[0]) {
		if e.putBit2(m != predV, uvmodeProb[1]) {
			e.putBit(m == predTM, uvmodeProb[2])
		}
	}
}

// putBMode codes subblock mode m given the modes above and left of it.
func putBMode(e *boolEncoder, m int, p *[9]uint8) {
	if !e.putBit2(m != bDC, p[0]) {
		return
	}
	if !e.putBit2(m != bTM, p[1]) {
		return
	}
	if !e.putBit2(m != bVE, p[2]) {
		return
	}
	if !e.putBit2(m >= bLD, p[3]) {
		if e.putBit2(m != bHE, p[4]) {
			e.putBit(m != bRD, p[5])
		}
		return
	}
	if e.putBit2(m != bLD, p[6]) {
		if e.putBit2(m != bVL, p[7]) {
			e.putBit(m != bHD, p[8])
		}
	}
}

// putBit2 is putBit returning the bit, for tree walks.
func (e *boolEncoder) putBit2(bit bool, prob uint8) bool {
	e.putBit(bit, prob)
	return bit
}

// Mode costs in 1/256 bit.
var (
	ymodeCost  [5]int32 // predDC..predTM, predB
	uvmodeCost [numPredModes]int32
	bmodeCost  [numBModes][numBModes][numBModes]int32 // [above][left][mode]
)

func init() {
	ymodeCost[predB] = cost0(ymodeProb[0])
	ymodeCost[predDC] = cost1(ymodeProb[0]) + cost0(ymodeProb[1]) + cost0(ymodeProb[2])
	ymodeCost[predV] = cost1(ymodeProb[0]) + cost0(ymodeProb[1]) + cost1(ymodeProb[2])
	ymodeCost[predH] = cost1(ymodeProb[0]) + cost1(ymodeProb[1]) + cost0(ymodeProb[3])
	ymodeCost[predTM] = cost1(ymodeProb[0]) + cost1(ymodeProb[1]) + cost1(ymodeProb[3])
	uvmodeCost[predDC] = cost0(uvmodeProb[0])
	uvmodeCost[predV] = cost1(uvmodeProb[0]) + cost0(uvmodeProb[1])
	uvmodeCost[predH] = cost1(uvmodeProb[0]) + cost1(uvmodeProb[1]) + cost0(uvmodeProb[2])
	uvmodeCost[predTM] = cost1(uvmodeProb[0]) + cost1(uvmodeProb[1]) + cost1(uvmodeProb[2])
	for a := 0; a < numBModes; a++ {
		for l := 0; l < numBModes; l++ {
			p := &bmodeProb[a][l]
			for m := 0; m < numBModes; m++ {
				bmodeCost[a][l][m] = bmodeTreeCost(m, p)
			}
		}
	}
}

func bmodeTreeCost(m int, p *[9]uint8) int32 {
	if m == bDC {
		return cost0(p[0])
	}
	c := cost1(p[0])
	if m == bTM {
		return c + cost0(p[1])
	}
	c += cost1(p[1])
	if m == bVE {
		return c + cost0(p[2])
	}
	c += cost1(p[2])
	if m < bLD {
		c += cost0(p[3])
		if m == bHE {
			return c + cost0(p[4])
		}
		return c + cost1(p[4]) + costBit(m != bRD, p[5])
	}
	c += cost1(p[3])
	if m == bLD {
		return c + cost0(p[6])
	}
	c += cost1(p[6])
	if m == bVL {
		return c + cost0(p[7])
	}
	return c + cost1(p[7]) + costBit(m != bHD, p[8])
}
