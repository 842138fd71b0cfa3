package webpenc

// Cost-based LZ77 parse for the VP8L coder, after libwebp's
// TraceBackwards: each position gets one match candidate (the longest
// found), and a shortest-path search over the positions picks, for every
// pixel, literal or a copy of some length 2..candidate, by estimated bits.

const (
	matchIters  = 16 // hash-chain candidates per position
	matchWindow = 64 // rows back the hash chain looks
	goodLen     = 256
)

// findMatches returns, per position, the distance and length of the
// longest match found (length 0: none). Positions are searched from the
// end; a match found at i also holds, one longer, at i−1 when the pixels
// before both intervals are equal, and is then reused without a search
// (libwebp's left extension), which keeps long runs cheap.
func findMatches(p []uint8, w int) (dist []int32, length []uint16) {
	n := len(p)
	dist = make([]int32, n)
	length = make([]uint16, n)
	if n < 3 {
		return dist, length
	}
	// Hash chain over byte pairs, runs hashed by (value, run length) so
	// that a position in a run finds positions with as much run ahead.
	const hb = 17
	head := make([]int32, 1<<hb)
	for i := range head {
		head[i] = -1
	}
	chain := make([]int32, n)
	hashOf := func(a, b uint32) int { return int(((a<<16 | b) * 0x9E3779B1) >> (32 - hb)) }
	for i := 0; i < n-1; {
		if i+2 < n && p[i] == p[i+1] && p[i+1] == p[i+2] {
			run := 1
			for i+run+1 < n && p[i+run+1] == p[i] {
				run++
			}
			// run = pixels after i equal to p[i], i+run+1 differs or ends.
			for ; run > 0 && i < n-1; run-- {
				h := hashOf(uint32(p[i])|0x100, uint32(min(run, 1<<15)))
				chain[i] = head[h]
				head[h] = int32(i)
				i++
			}
			continue
		}
		h := hashOf(uint32(p[i]), uint32(p[i+1]))
		chain[i] = head[h]
		head[h] = int32(i)
		i++
	}
	window := min(w*matchWindow, maxDistance)
	mismatch := func(a, b, maxLen int) int {
		l := 0
		for l < maxLen && p[a+l] == p[b+l] {
			l++
		}
		return l
	}
	for base := n - 2; base > 0; {
		maxLen := min(n-base, maxMatchLen)
		bestLen, bestDist := 0, 0
		if base >= w {
			if l := mismatch(base-w, base, maxLen); l > bestLen {
				bestLen, bestDist = l, w
			}
		}
		if l := mismatch(base-1, base, maxLen); l > bestLen {
			bestLen, bestDist = l, 1
		}
		minPos := max(base-window, 0)
		iter := matchIters
		for j := int(chain[base]); j >= minPos && bestLen < maxLen && iter > 0; j = int(chain[j]) {
			iter--
			if p[j+bestLen] != p[base+bestLen] {
				continue
			}
			if l := mismatch(j, base, maxLen); l > bestLen {
				bestLen, bestDist = l, base-j
				if bestLen >= goodLen {
					break
				}
			}
		}
		if bestLen < 2 {
			base--
			continue
		}
		top := base
		for {
			dist[base], length[base] = int32(bestDist), uint16(bestLen)
			base--
			if base <= 0 || base < bestDist || p[base-bestDist] != p[base] {
				break
			}
			if bestLen == maxMatchLen && bestDist != 1 && base+maxMatchLen < top {
				break
			}
			if bestLen < maxMatchLen {
				bestLen++
				top = base
			}
		}
	}
	return dist, length
}

// lenCandidates are the copy lengths tried below a candidate's full
// length: the short ones, and the longest of each length prefix bucket
// (within a bucket the cost is the same, so the longest reaches furthest).
var lenCandidates = func() []int {
	var c []int
	for l := 2; l <= maxMatchLen; l++ {
		s, _, _ := prefixEncode(l)
		s1, _, _ := prefixEncode(l + 1)
		if l <= 8 || s1 != s {
			c = append(c, l)
		}
	}
	return c
}()

// optimalParse tokenises p with the matches of findMatches, minimising the
// bits of cm (1/1 bit, float).
func optimalParse(p []uint8, w int, mdist []int32, mlen []uint16, cm *costModel) []token {
	n := len(p)
	cost := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = 1e300
	}
	from := make([]uint16, n+1) // length of the token ending here (1: literal)
	fromDist := make([]int32, n+1)
	var lenCost [maxMatchLen + 1]float64
	for l := 1; l <= maxMatchLen; l++ {
		s, nb, _ := prefixEncode(l)
		lenCost[l] = cm.length[s] + float64(nb)
	}
	prevDist, dcost := int32(-1), 0.0
	for i := 0; i < n; i++ {
		c0 := cost[i]
		if c := c0 + cm.lit[p[i]]; c < cost[i+1] {
			cost[i+1], from[i+1] = c, 1
		}
		L := int(mlen[i])
		if L < 2 {
			continue
		}
		if mdist[i] != prevDist {
			prevDist = mdist[i]
			dc := distanceCode(int(prevDist), w)
			s, nb, _ := prefixEncode(dc)
			dcost = cm.dist[s] + float64(nb)
		}
		base := c0 + dcost
		relax := func(l int) {
			if c := base + lenCost[l]; c < cost[i+l] {
				cost[i+l], from[i+l], fromDist[i+l] = c, uint16(l), prevDist
			}
		}
		for _, l := range lenCandidates {
			if l >= L {
				break
			}
			relax(l)
		}
		relax(L)
	}
	// Trace back.
	var rev []token
	for i := n; i > 0; {
		l := int(from[i])
		if l == 1 {
			rev = append(rev, token{lit: p[i-1]})
		} else {
			rev = append(rev, token{len: uint16(l), dist: int32(distanceCode(int(fromDist[i]), w))})
		}
		i -= l
	}
	for a, b := 0, len(rev)-1; a < b; a, b = a+1, b-1 {
		rev[a], rev[b] = rev[b], rev[a]
	}
	return rev
}
