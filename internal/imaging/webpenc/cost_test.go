package webpenc

import (
	"math/rand/v2"
	"testing"
)

// tokenByToken is the cost of a block as section 13 codes it, one token
// at a time with an explicit "previous token was zero" state: the plain
// reading of the spec that blockCost and dropLastCost must agree with.
func tokenByToken(ct *costTables, t, ctx int, lv *[16]int16, first, last int) int32 {
	if last < first {
		return int32(ct.eob[t][bands[first]][ctx])
	}
	var c int32
	prevZero := false
	for n := first; n <= last; n++ {
		b := bands[n]
		if !prevZero {
			c += int32(ct.more[t][b][ctx])
		}
		v := int(lv[n])
		if v < 0 {
			v = -v
		}
		if v > maxCostLevel {
			c += int32(ct.level[t][b][ctx][maxCostLevel]) + 256*int32(bitsLen(v)-6)
		} else {
			c += int32(ct.level[t][b][ctx][v])
		}
		prevZero = v == 0
		ctx = min(v, 2)
	}
	if last < 15 {
		c += int32(ct.eob[t][bands[last+1]][ctx])
	}
	return c
}

// randomLevels draws a block shaped like real ones: mostly small levels,
// runs of zeros, an occasional large (DCT_CAT6) one.
func randomLevels(r *rand.Rand) (lv [16]int16, last int) {
	last = -1
	n := r.IntN(17)
	for i := 0; i < n; i++ {
		var v int16
		switch p := r.IntN(10); {
		case p < 5:
			v = 0
		case p < 8:
			v = 1
		case p < 9:
			v = int16(2 + r.IntN(20))
		default:
			v = int16(r.IntN(2048))
		}
		if r.IntN(2) == 0 {
			v = -v
		}
		lv[i] = v
		if v != 0 {
			last = i
		}
	}
	return lv, last
}

func TestBlockCostMatchesTokens(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ct := newCostTables(&defaultCoefProb)
	for i := 0; i < 200000; i++ {
		lv, last := randomLevels(r)
		typ, ctx, first := r.IntN(nPlane), r.IntN(nContext), r.IntN(2)
		if got, want := ct.blockCost(typ, ctx, &lv, first, last), tokenByToken(ct, typ, ctx, &lv, first, last); got != want {
			t.Fatalf("blockCost(t %d, ctx %d, %v, first %d, last %d) = %d, want %d", typ, ctx, lv, first, last, got, want)
		}
	}
}

// TestDropLastCost checks the trimming step's rate against the difference
// of two whole-block costs, the way it was computed before.
func TestDropLastCost(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ct := newCostTables(&defaultCoefProb)
	for i := 0; i < 200000; i++ {
		lv, last := randomLevels(r)
		first := r.IntN(2)
		if last < first {
			continue
		}
		lv[last] = 1 - 2*int16(r.IntN(2))
		prev := last - 1
		for prev >= first && lv[prev] == 0 {
			prev--
		}
		typ, ctx := r.IntN(nPlane), r.IntN(nContext)
		kept := tokenByToken(ct, typ, ctx, &lv, first, last)
		dropped := lv
		dropped[last] = 0
		want := tokenByToken(ct, typ, ctx, &dropped, first, prev) - kept
		if got := ct.dropLastCost(typ, ctx, &lv, first, prev, last); got != want {
			t.Fatalf("dropLastCost(t %d, ctx %d, %v, first %d, prev %d, last %d) = %d, want %d", typ, ctx, lv, first, prev, last, got, want)
		}
	}
}
