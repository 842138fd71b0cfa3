package webpenc

import "math"

// Meta prefix codes (RFC 9649 section 5.2.2): the main image is cut into
// tiles of 2^bits × 2^bits pixels, tiles with alike statistics share a
// group of prefix codes, and an entropy image gives each tile's group.
// Grouping, after libwebp's histogram clustering: tiles are binned by their
// literal entropy and share of copied pixels, bins are merged greedily
// while merging saves estimated bits, then each tile moves to the group
// whose codes code it cheapest, a few rounds.

const (
	histoSize   = greenAlphabet + numDistCodes
	maxGroups   = 256 // group index in green only
	entropyBins = 8   // per axis of the initial binning
)

// histo counts the green (literal and length) and distance symbols.
type histo [histoSize]uint32

func (h *histo) add(o *histo) {
	for i, v := range o {
		h[i] += v
	}
}

// entropyBits is the ideal code size of the symbols of a (one alphabet).
func entropyBits(a []uint32) (bits float64, used int) {
	var n uint32
	var s float64
	for _, v := range a {
		if v != 0 {
			n += v
			s += slog2(v)
			used++
		}
	}
	return slog2(n) - s, used
}

// cost estimates a group's bits: the symbols' entropy plus its codes'
// headers (about 4 bits per used symbol, a few per empty alphabet).
func (h *histo) cost() float64 {
	g, ng := entropyBits(h[:greenAlphabet])
	d, nd := entropyBits(h[greenAlphabet:])
	return g + d + headerBits(ng) + headerBits(nd) + 3*4
}

func headerBits(used int) float64 {
	if used <= 2 {
		return 12
	}
	return 30 + 4*float64(used)
}

// tokenHisto adds token t to h.
func (h *histo) addToken(t token) {
	if t.len == 0 {
		h[t.lit]++
		return
	}
	s, _, _ := prefixEncode(int(t.len))
	h[numLiterals+s]++
	d, _, _ := prefixEncode(int(t.dist))
	h[greenAlphabet+d]++
}

// groupTiles returns the group of every tile (tw×th tiles of 2^bits) for
// the tokens of a w-wide image, and the number of groups.
func groupTiles(toks []token, w, h int, bits uint) (groups []uint8, n int) {
	tw := (w + 1<<bits - 1) >> bits
	th := (h + 1<<bits - 1) >> bits
	tiles := make([]histo, tw*th)
	pixels := make([]uint32, tw*th) // pixels coded by copies
	pos := 0
	for _, t := range toks {
		ti := (pos/w)>>bits*tw + (pos%w)>>bits
		tiles[ti].addToken(t)
		if t.len == 0 {
			pos++
		} else {
			pixels[ti] += uint32(t.len)
			pos += int(t.len)
		}
	}
	// Initial bins by literal entropy per token and copied share.
	type key struct{ lit, cp float64 }
	keys := make([]key, len(tiles))
	lo, hi := math.Inf(1), math.Inf(-1)
	var live []int
	for i := range tiles {
		lits, _ := entropyBits(tiles[i][:numLiterals])
		var nt, nl uint32
		for s, v := range tiles[i][:greenAlphabet] {
			nt += v
			if s >= numLiterals {
				nl += v
			}
		}
		if nt == 0 {
			continue
		}
		live = append(live, i)
		nlit := nt - nl
		k := key{cp: float64(pixels[i]) / float64(pixels[i]+nlit)}
		if nlit > 0 {
			k.lit = lits / float64(nlit)
		}
		keys[i] = k
		lo, hi = min(lo, k.lit), max(hi, k.lit)
	}
	groups = make([]uint8, len(tiles))
	if len(live) == 0 {
		return groups, 1
	}
	binOf := make(map[int]int)
	var clusters []histo
	member := make([]int, len(tiles))
	for _, i := range live {
		b0 := 0
		if hi > lo {
			b0 = min(int((keys[i].lit-lo)/(hi-lo)*entropyBins), entropyBins-1)
		}
		b1 := min(int(keys[i].cp*entropyBins), entropyBins-1)
		b := b0*entropyBins + b1
		c, ok := binOf[b]
		if !ok {
			c = len(clusters)
			binOf[b] = c
			clusters = append(clusters, histo{})
		}
		clusters[c].add(&tiles[i])
		member[i] = c
	}
	// Greedy merging while it saves bits.
	costs := make([]float64, len(clusters))
	for c := range clusters {
		costs[c] = clusters[c].cost()
	}
	alive := make([]bool, len(clusters))
	for c := range alive {
		alive[c] = true
	}
	var m histo
	for {
		bestGain, ba, bb := 0.0, -1, -1
		for a := range clusters {
			if !alive[a] {
				continue
			}
			for b := a + 1; b < len(clusters); b++ {
				if !alive[b] {
					continue
				}
				m = clusters[a]
				m.add(&clusters[b])
				if g := costs[a] + costs[b] - m.cost(); g > bestGain {
					bestGain, ba, bb = g, a, b
				}
			}
		}
		if ba < 0 {
			break
		}
		clusters[ba].add(&clusters[bb])
		costs[ba] = clusters[ba].cost()
		alive[bb] = false
		for _, i := range live {
			if member[i] == bb {
				member[i] = ba
			}
		}
	}
	var final []histo
	for c := range clusters {
		if alive[c] {
			final = append(final, clusters[c])
		}
	}
	// Refinement: each tile to the group that codes it cheapest.
	codeLen := make([][histoSize]float64, len(final))
	for round := 0; round < 3 && len(final) > 1; round++ {
		for c := range final {
			symbolBits(&final[c], &codeLen[c])
		}
		for _, i := range live {
			best, bestBits := 0, math.Inf(1)
			for c := range final {
				var b float64
				for s, v := range tiles[i] {
					if v != 0 {
						b += float64(v) * codeLen[c][s]
					}
				}
				if b < bestBits {
					best, bestBits = c, b
				}
			}
			member[i] = best
		}
		next := make([]histo, len(final))
		for _, i := range live {
			next[member[i]].add(&tiles[i])
		}
		remap := make([]int, len(final))
		final = final[:0]
		for c := range next {
			remap[c] = len(final)
			var any bool
			for _, v := range next[c] {
				if v != 0 {
					any = true
					break
				}
			}
			if any {
				final = append(final, next[c])
			}
		}
		for _, i := range live {
			member[i] = remap[member[i]]
		}
	}
	if len(final) > maxGroups {
		return groups, 1
	}
	for _, i := range live {
		groups[i] = uint8(member[i])
	}
	return groups, max(len(final), 1)
}

// symbolBits sets the estimated code length of every symbol of h: its
// ideal length, or that of a symbol seen once plus 2 bits when unseen.
func symbolBits(h *histo, out *[histoSize]float64) {
	for _, r := range [2][2]int{{0, greenAlphabet}, {greenAlphabet, histoSize}} {
		var n uint32
		for _, v := range h[r[0]:r[1]] {
			n += v
		}
		nf := float64(n + 1)
		for s := r[0]; s < r[1]; s++ {
			if v := h[s]; v != 0 {
				out[s] = math.Log2(nf / float64(v))
			} else {
				out[s] = math.Log2(nf) + 2
			}
		}
	}
}
