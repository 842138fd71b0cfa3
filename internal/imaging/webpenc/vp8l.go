package webpenc

import (
	"math"
	"sort"
)

// A WebP lossless (VP8L, RFC 9649 section 3–5) image-stream writer for
// the alpha plane: the values go in the green channel; the predictor
// transform (vp8lpredict.go), no colour cache; LZ77 by a cost-based
// shortest-path parse over hash-chain matches (vp8lparse.go); meta prefix
// codes when they pay (vp8lhisto.go); length-limited canonical Huffman
// codes.

// lsbWriter packs bits least-significant first, as VP8L reads them.
type lsbWriter struct {
	buf []byte
	acc uint64
	n   uint
}

func (w *lsbWriter) put(v uint32, nbits uint) {
	w.acc |= uint64(v) << w.n
	w.n += nbits
	for w.n >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *lsbWriter) bytes() []byte {
	if w.n > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.n = 0, 0
	}
	return w.buf
}

// Alphabet sizes: green = 256 literals + 24 length prefixes (no cache).
const (
	numLiterals    = 256
	numLengthCodes = 24
	numDistCodes   = 40
	greenAlphabet  = numLiterals + numLengthCodes
	maxMatchLen    = 4096
	minMatchLen    = 3
	hashBits       = 15
	maxChainSteps  = 16
	maxHuffmanLen  = 15
	// maxDistance is the largest backward distance: distance codes are
	// distance+120 and the 40 distance prefix symbols reach 2^20.
	maxDistance     = 1<<20 - 120
	maxCodeLenCodes = 7
)

// predBits is the log2 of the predictor transform's block size.
var predBits uint = 5

var useOptimalParse = true
var parsePasses = 3

// prefixEncode splits a length or distance v ≥ 1 into its prefix symbol,
// number of extra bits and their value (section 4.2.2).
func prefixEncode(v int) (sym int, nbits uint, extra uint32) {
	v--
	if v < 4 {
		return v, 0, 0
	}
	h := bitsLen(v) - 1
	second := v >> (h - 1) & 1
	nbits = uint(h - 1)
	return 2*h + second, nbits, uint32(v & (1<<nbits - 1))
}

// distanceCodes maps (dy, dx+8) of the 120 short 2-D distances to their
// code (1..120), inverting the spec's distance map (section 4.2.2).
var distanceCodes = func() (t [8][17]uint8) {
	table := [120]uint8{
		0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a,
		0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b, 0x36, 0x3a,
		0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b,
		0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b, 0x34, 0x3c, 0x03,
		0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c,
		0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02, 0x67, 0x69, 0x12, 0x1e,
		0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b,
		0x32, 0x3e, 0x78, 0x01, 0x77, 0x79, 0x53, 0x5d, 0x11, 0x1f,
		0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b,
		0x31, 0x3f, 0x63, 0x6d, 0x52, 0x5e, 0x00, 0x74, 0x7c, 0x41,
		0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f,
		0x40, 0x72, 0x7e, 0x61, 0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70,
	}
	for i, dc := range table {
		dy, dx := int(dc>>4), 8-int(dc&15) // dx in -7..8
		if t[dy][dx+8] == 0 {
			t[dy][dx+8] = uint8(i + 1)
		}
	}
	return t
}()

// distanceCode returns the VP8L distance code of a linear distance d in an
// image w pixels wide.
func distanceCode(d, w int) int {
	dy, dx := d/w, d%w
	if dy < 8 && dx <= 8 {
		if c := distanceCodes[dy][dx+8]; c != 0 && dy*w+dx == d {
			return int(c)
		}
	}
	if dy+1 < 8 && dx-w >= -7 {
		if c := distanceCodes[dy+1][dx-w+8]; c != 0 {
			return int(c)
		}
	}
	return d + 120
}

// token is a literal (dist == 0) or a backward reference.
type token struct {
	lit  uint8
	len  uint16
	dist int32 // distance code
}

// costModel holds bit-cost estimates (from a previous tokenisation's
// symbol frequencies) that let lz77 weigh a match against the literals it
// replaces.
type costModel struct {
	lit     [numLiterals]float64
	length  [numLengthCodes]float64
	dist    [numDistCodes]float64
	litCost []float64 // prefix sums of lit over the plane
}

// newCostModel estimates −log2(frequency) per symbol from toks; unused
// symbols cost as much as the rarest plus 2 bits.
func newCostModel(toks []token, p []uint8) *costModel {
	var green [greenAlphabet]float64
	var dist [numDistCodes]float64
	var ng, nd float64
	for _, t := range toks {
		if t.len == 0 {
			green[t.lit]++
			ng++
			continue
		}
		s, _, _ := prefixEncode(int(t.len))
		green[numLiterals+s]++
		ng++
		d, _, _ := prefixEncode(int(t.dist))
		dist[d]++
		nd++
	}
	cost := func(c, n float64) float64 {
		if c == 0 {
			return math.Log2(n+1) + 2
		}
		return math.Log2(n / c)
	}
	cm := &costModel{litCost: make([]float64, len(p)+1)}
	for s := range cm.lit {
		cm.lit[s] = cost(green[s], ng)
	}
	for s := range cm.length {
		cm.length[s] = cost(green[numLiterals+s], ng)
	}
	for s := range cm.dist {
		cm.dist[s] = cost(dist[s], nd)
	}
	for i, v := range p {
		cm.litCost[i+1] = cm.litCost[i] + cm.lit[v]
	}
	return cm
}

// gain is the estimated bits saved by coding p[i:i+l] as a match with
// distance code dc instead of as literals.
func (cm *costModel) gain(i, l, dc int) float64 {
	ls, lb, _ := prefixEncode(l)
	ds, db, _ := prefixEncode(dc)
	return cm.litCost[i+l] - cm.litCost[i] - (cm.length[ls] + float64(lb) + cm.dist[ds] + float64(db))
}

// lz77 tokenises p (w pixels per row). Without a cost model the longest
// match wins; with one, the match that saves the most estimated bits, and
// a match is deferred by one pixel when the match there saves more.
func lz77(p []uint8, w int, cm *costModel) []token {
	n := len(p)
	toks := make([]token, 0, n/4+16)
	head := make([]int32, 1<<hashBits)
	for i := range head {
		head[i] = -1
	}
	prev := make([]int32, n)
	hash := func(i int) int {
		v := uint32(p[i]) | uint32(p[i+1])<<8 | uint32(p[i+2])<<16
		return int((v * 0x9E3779B1) >> (32 - hashBits))
	}
	next := 0 // positions below next are in the hash chains
	insertTo := func(end int) {
		for ; next < end; next++ {
			if next+minMatchLen <= n {
				h := hash(next)
				prev[next] = head[h]
				head[h] = int32(next)
			}
		}
	}
	matchLen := func(i, j int) int {
		m := min(n-i, maxMatchLen)
		l := 0
		for l < m && p[i+l] == p[j+l] {
			l++
		}
		return l
	}
	// best returns the chosen match at i (length 0: none) and its score.
	best := func(i int) (int, int, float64) {
		bestLen, bestDist, bestScore := 0, 0, 0.0
		if i+minMatchLen > n {
			return 0, 0, 0
		}
		insertTo(i)
		try := func(j int) {
			if j < 0 || j >= i || i-j > maxDistance {
				return
			}
			l := matchLen(i, j)
			if l < minMatchLen {
				return
			}
			if cm == nil {
				if l > bestLen {
					bestLen, bestDist, bestScore = l, i-j, float64(l)
				}
				return
			}
			if g := cm.gain(i, l, distanceCode(i-j, w)); g > bestScore {
				bestLen, bestDist, bestScore = l, i-j, g
			}
		}
		try(i - 1)
		try(i - w)
		j := int(head[hash(i)])
		for steps := 0; j >= 0 && i-j <= maxDistance && steps < maxChainSteps && bestLen < maxMatchLen; steps++ {
			try(j)
			j = int(prev[j])
		}
		return bestLen, bestDist, bestScore
	}
	for i := 0; i < n; {
		l, d, sc := best(i)
		if l > 0 && cm != nil && l < maxMatchLen && i+1 < n {
			if _, _, sc1 := best(i + 1); sc1 > sc {
				l = 0
			}
		}
		if l >= minMatchLen {
			toks = append(toks, token{len: uint16(l), dist: int32(distanceCode(d, w))})
			i += l
			continue
		}
		toks = append(toks, token{lit: p[i]})
		i++
	}
	return toks
}

// huffLengths returns code lengths (≤ limit) for the frequencies: Huffman's
// algorithm, with the counts flattened (halved, keeping non-zero) until
// the longest code fits. Ties break by symbol, so it is deterministic.
func huffLengths(freq []uint32, limit int) []uint8 {
	f := append([]uint32(nil), freq...)
	for {
		l := huffmanOnce(f)
		mx := 0
		for _, v := range l {
			mx = max(mx, int(v))
		}
		if mx <= limit {
			return l
		}
		for i, v := range f {
			if v > 0 {
				f[i] = (v + 1) / 2
			}
		}
	}
}

func huffmanOnce(freq []uint32) []uint8 {
	type node struct {
		w           uint64
		sym         int // leaf symbol or −1
		left, right int
	}
	var nodes []node
	var live []int
	for s, v := range freq {
		if v > 0 {
			nodes = append(nodes, node{w: uint64(v), sym: s, left: -1, right: -1})
			live = append(live, len(nodes)-1)
		}
	}
	lengths := make([]uint8, len(freq))
	if len(live) == 1 {
		lengths[nodes[0].sym] = 1
		return lengths
	}
	less := func(a, b int) bool {
		if nodes[a].w != nodes[b].w {
			return nodes[a].w < nodes[b].w
		}
		return a < b
	}
	for len(live) > 1 {
		sort.Slice(live, func(i, j int) bool { return less(live[i], live[j]) })
		a, b := live[0], live[1]
		nodes = append(nodes, node{w: nodes[a].w + nodes[b].w, sym: -1, left: a, right: b})
		live = append(live[2:], len(nodes)-1)
	}
	var walk func(i, d int)
	walk = func(i, d int) {
		if nodes[i].sym >= 0 {
			lengths[nodes[i].sym] = uint8(d)
			return
		}
		walk(nodes[i].left, d+1)
		walk(nodes[i].right, d+1)
	}
	if len(live) == 1 {
		walk(live[0], 0)
	}
	return lengths
}

// canonicalCodes assigns canonical codes (shorter first, then by symbol)
// and returns them bit-reversed for the LSB-first writer, with the number
// of bits each costs (0 for the only symbol of a one-symbol code).
func canonicalCodes(lengths []uint8) (codes []uint32, nbits []uint8) {
	codes = make([]uint32, len(lengths))
	nbits = make([]uint8, len(lengths))
	used := 0
	for _, l := range lengths {
		if l > 0 {
			used++
		}
	}
	if used <= 1 {
		return codes, nbits
	}
	var count [maxHuffmanLen + 2]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	var next [maxHuffmanLen + 2]uint32
	code := uint32(0)
	for l := 1; l <= maxHuffmanLen+1; l++ {
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		r := uint32(0)
		for i := 0; i < int(l); i++ {
			r = r<<1 | (c>>i)&1
		}
		codes[s], nbits[s] = r, l
	}
	return codes, nbits
}

var codeLengthOrder = [19]uint8{17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// writeCode writes the prefix code with the given lengths (section 5.2.2):
// the simple form when at most two symbols below 256 are used, otherwise
// run-length-coded code lengths under a code-length code.
func writeCode(w *lsbWriter, lengths []uint8) {
	var syms []int
	for s, l := range lengths {
		if l > 0 {
			syms = append(syms, s)
		}
	}
	if len(syms) == 0 {
		syms = []int{0} // an unused alphabet: any single symbol
	}
	if len(syms) <= 2 && syms[len(syms)-1] < 256 {
		w.put(1, 1)
		w.put(uint32(len(syms)-1), 1)
		if syms[0] < 2 {
			w.put(0, 1)
			w.put(uint32(syms[0]), 1)
		} else {
			w.put(1, 1)
			w.put(uint32(syms[0]), 8)
		}
		if len(syms) == 2 {
			w.put(uint32(syms[1]), 8)
		}
		return
	}
	// Run-length tokens: 0..15 literal lengths, 16 repeat previous
	// (3..6), 17 zeros (3..10), 18 zeros (11..138).
	type rl struct {
		sym   uint8
		extra uint32
	}
	var toks []rl
	for i := 0; i < len(lengths); {
		l := lengths[i]
		run := 1
		for i+run < len(lengths) && lengths[i+run] == l {
			run++
		}
		if l == 0 {
			for r := run; r > 0; {
				switch {
				case r >= 11:
					k := min(r, 138)
					toks = append(toks, rl{18, uint32(k - 11)})
					r -= k
				case r >= 3:
					toks = append(toks, rl{17, uint32(r - 3)})
					r = 0
				default:
					toks = append(toks, rl{0, 0})
					r--
				}
			}
		} else {
			toks = append(toks, rl{l, 0})
			for r := run - 1; r > 0; {
				if r >= 3 {
					k := min(r, 6)
					toks = append(toks, rl{16, uint32(k - 3)})
					r -= k
				} else {
					toks = append(toks, rl{l, 0})
					r--
				}
			}
		}
		i += run
	}
	freq := make([]uint32, 19)
	for _, t := range toks {
		freq[t.sym]++
	}
	clen := huffLengths(freq, maxCodeLenCodes)
	ccodes, cbits := canonicalCodes(clen)
	n := 19
	for n > 4 && clen[codeLengthOrder[n-1]] == 0 {
		n--
	}
	w.put(0, 1) // normal code
	w.put(uint32(n-4), 4)
	for i := 0; i < n; i++ {
		w.put(uint32(clen[codeLengthOrder[i]]), 3)
	}
	w.put(0, 1) // max_symbol = alphabet size
	for _, t := range toks {
		w.put(ccodes[t.sym], uint(cbits[t.sym]))
		switch t.sym {
		case 16:
			w.put(t.extra, 2)
		case 17:
			w.put(t.extra, 3)
		case 18:
			w.put(t.extra, 7)
		}
	}
}

// encodeLossless returns the VP8L image stream (without the VP8L header,
// as ALPH carries it) of the w×h plane p in the green channel, with the
// predictor transform when pred is set, and whether it used meta prefix
// codes.
func encodeLossless(p []uint8, w int, pred bool) ([]byte, bool) {
	wr := &lsbWriter{buf: make([]byte, 0, len(p)/4+64)}
	if pred {
		res, modes, bw := predictTransform(p, w, len(p)/w, predBits)
		wr.put(1, 1) // a transform
		wr.put(transformPred, 2)
		wr.put(uint32(predBits-2), 3)
		writeImageData(wr, modes, bw, false)
		p = res
	}
	wr.put(0, 1) // no (more) transforms
	meta := writeImageData(wr, p, w, true)
	return wr.bytes(), meta
}

// writeImageData writes an entropy-coded image (section 5.2): no colour
// cache, the five prefix codes (green = the values, red/blue/alpha unused)
// and the LZ77 tokens of p; for the main image, with meta prefix codes
// when that is smaller (then it returns true).
func writeImageData(wr *lsbWriter, p []uint8, w int, main bool) bool {
	toks := lz77(p, w, nil)
	if useOptimalParse {
		md, ml := findMatches(p, w)
		for range parsePasses {
			toks = optimalParse(p, w, md, ml, newCostModel(toks, p))
		}
	} else {
		toks = lz77(p, w, newCostModel(toks, p))
	}
	wr.put(0, 1) // no colour cache
	if !main {
		writeTokens(wr, toks, w, nil, 0, 1)
		return false
	}
	plain := &lsbWriter{}
	plain.put(0, 1) // no meta prefix codes
	writeTokens(plain, toks, w, nil, 0, 1)
	best := plain
	h := len(p) / w
	for _, bits := range metaBits {
		groups, n := groupTiles(toks, w, h, bits)
		if n < 2 {
			continue
		}
		m := &lsbWriter{}
		m.put(1, 1)
		m.put(uint32(bits-2), 3)
		writeImageData(m, groups, (w+1<<bits-1)>>bits, false)
		writeTokens(m, toks, w, groups, bits, n)
		if m.bitLen() < best.bitLen() {
			best = m
		}
	}
	wr.append(best)
	return best != plain
}

// metaBits are the tile sizes (log2) tried for meta prefix codes.
var metaBits = []uint{5, 6}

func (w *lsbWriter) bitLen() int { return 8*len(w.buf) + int(w.n) }

// append writes all bits of o.
func (w *lsbWriter) append(o *lsbWriter) {
	for _, b := range o.buf {
		w.put(uint32(b), 8)
	}
	if o.n > 0 {
		w.put(uint32(o.acc), o.n)
	}
}

// writeTokens writes the prefix codes of n groups (the group of each
// 2^bits tile in groups; nil: one group) and the tokens.
func writeTokens(wr *lsbWriter, toks []token, w int, groups []uint8, bits uint, n int) {
	hs := make([]histo, n)
	tw := 0
	if groups != nil {
		tw = (w + 1<<bits - 1) >> bits
	}
	groupAt := func(pos int) int {
		if groups == nil {
			return 0
		}
		return int(groups[(pos/w)>>bits*tw+(pos%w)>>bits])
	}
	pos := 0
	for _, t := range toks {
		hs[groupAt(pos)].addToken(t)
		if t.len == 0 {
			pos++
		} else {
			pos += int(t.len)
		}
	}
	type codes struct {
		gc, dc []uint32
		gb, db []uint8
	}
	cs := make([]codes, n)
	zero := make([]uint8, 256)
	for g := range hs {
		gl := huffLengths(hs[g][:greenAlphabet], maxHuffmanLen)
		dl := huffLengths(hs[g][greenAlphabet:], maxHuffmanLen)
		cs[g].gc, cs[g].gb = canonicalCodes(gl)
		cs[g].dc, cs[g].db = canonicalCodes(dl)
		writeCode(wr, gl)
		writeCode(wr, zero) // red: always 0
		writeCode(wr, zero) // blue
		writeCode(wr, zero) // alpha
		writeCode(wr, dl)
	}
	pos = 0
	for _, t := range toks {
		c := &cs[groupAt(pos)]
		if t.len == 0 {
			wr.put(c.gc[t.lit], uint(c.gb[t.lit]))
			pos++
			continue
		}
		s, nb, ex := prefixEncode(int(t.len))
		wr.put(c.gc[numLiterals+s], uint(c.gb[numLiterals+s]))
		wr.put(ex, nb)
		s, nb, ex = prefixEncode(int(t.dist))
		wr.put(c.dc[s], uint(c.db[s]))
		wr.put(ex, nb)
		pos += int(t.len)
	}
}
