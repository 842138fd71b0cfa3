package jpeg

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"sync"
)

// unzig maps zig-zag index k to natural (row-major) index, T.81 Figure A.6.
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// maxScans bounds the work a hostile progressive file can ask for: every
// scan walks all of its blocks, even with no data (EOBRUN). Real encoders
// write about ten.
const maxScans = 1000

var (
	errBadHuffCode = formatErr("bad Huffman code")
	errBadDC       = formatErr("bad DC magnitude category")
	errBadAC       = formatErr("AC coefficient index beyond 63")
	errShortData   = formatErr("entropy-coded segment ends early")
)

// scan is one scan header, B.2.3: Ns components (by frame index) with their
// DC/AC table selectors Td/Ta, spectral selection Ss..Se and successive
// approximation bits Ah/Al.
type scan struct {
	n              int
	ci             [maxComponents]int
	td, ta         [maxComponents]uint8
	ss, se, ah, al int
}

// processSOS reads a scan header (B.2.3) and decodes the scan that follows.
func (d *decoder) processSOS(p []byte) error {
	if len(p) < 1 {
		return formatErr("short SOS")
	}
	var s scan
	s.n = int(p[0])
	if s.n < 1 || s.n > d.nComp || len(p) != 4+2*s.n {
		return formatErr("bad SOS length or component count")
	}
	blocks := 0
	for i := 0; i < s.n; i++ {
		id, t := p[1+2*i], p[2+2*i]
		ci := -1
		for j := 0; j < d.nComp; j++ {
			if d.comp[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return formatErr("SOS names an unknown component")
		}
		for j := 0; j < i; j++ {
			if s.ci[j] == ci {
				return formatErr("SOS repeats a component")
			}
		}
		s.ci[i], s.td[i], s.ta[i] = ci, t>>4, t&15
		if s.td[i] > 3 || s.ta[i] > 3 {
			return formatErr("bad Huffman table selector")
		}
		blocks += d.comp[ci].h * d.comp[ci].v
	}
	if s.n > 1 && blocks > 10 {
		return formatErr("too many blocks per MCU")
	}
	q := p[1+2*s.n:]
	s.ss, s.se, s.ah, s.al = int(q[0]), int(q[1]), int(q[2]>>4), int(q[2]&15)
	if d.progressive {
		// G.1.1.1.1: a DC scan has Se = 0; an AC scan has one component.
		if s.ss == 0 && s.se != 0 || s.ss > s.se || s.se > 63 || s.ss > 0 && s.n != 1 {
			return formatErr("bad progressive spectral selection")
		}
		if s.al > 13 || s.ah > 13 || s.ah != 0 && s.ah != s.al+1 {
			return formatErr("bad successive approximation")
		}
	} else if s.ss != 0 || s.se != 63 || s.ah != 0 || s.al != 0 {
		return formatErr("bad sequential scan parameters")
	}
	// Tables a scan needs must exist.
	for i := 0; i < s.n; i++ {
		c := &d.comp[s.ci[i]]
		if !d.quantSet[c.tq] {
			return formatErr("missing quantisation table")
		}
		needDC := s.ss == 0 && s.ah == 0
		needAC := !d.progressive || s.ss > 0
		if needDC && !d.huffSet[0][s.td[i]] || needAC && !d.huffSet[1][s.ta[i]] {
			return formatErr("missing Huffman table")
		}
	}
	if !d.planesReady {
		// Reject a header that promises more blocks than the data can
		// hold before the planes are allocated: a sequential block needs
		// at least 2 bits (DC and EOB codes), a progressive DC first scan
		// 1 bit, and a progressive frame must start with one (G.1.1.1.1).
		total := 0
		for i := 0; i < s.n; i++ {
			c := &d.comp[s.ci[i]]
			total += c.cw * c.ch
		}
		bitsPerBlock := 2
		if d.progressive {
			if s.ss != 0 || s.ah != 0 {
				return formatErr("progressive frame does not start with a DC scan")
			}
			bitsPerBlock = 1
		}
		if (len(d.data)-d.pos)*8 < total*bitsPerBlock {
			return errTruncated
		}
	}
	for i := 0; i < s.n; i++ {
		c := &d.comp[s.ci[i]]
		if c.done && !d.progressive {
			// G.1.1 aside, a sequential frame codes each component once.
			return formatErr("component in more than one sequential scan")
		}
		c.done = true
	}
	if d.scans >= maxScans {
		return formatErr("too many scans")
	}
	d.allocPlanes()
	if !d.progressive {
		for i := 0; i < s.n; i++ {
			c := &d.comp[s.ci[i]]
			c.cbw, c.cbh = c.bw, c.bh
			if s.n == 1 {
				c.cbw, c.cbh = c.cw, c.ch
			}
		}
	}
	if d.progressive && s.ss > 0 && d.comp[s.ci[0]].coefN == 1 {
		// With a 1x1 IDCT only DC is used: AC scans are skipped unread.
		return d.skipScan()
	}
	return d.decodeScan(&s)
}

// skipScan moves past entropy-coded data to the next marker that is not RSTn.
func (d *decoder) skipScan() error {
	p := d.pos
	for {
		i := bytes.IndexByte(d.data[p:], 0xff)
		if i < 0 || p+i+1 >= len(d.data) {
			return errTruncated
		}
		p += i
		m := d.data[p+1]
		if m == 0 || m >= mRST0 && m <= mRST7 {
			p += 2
			continue
		}
		if m == 0xff {
			p++
			continue
		}
		d.pos = p
		return nil
	}
}

// units returns the number of MCUs in the scan and MCUs per row: a
// non-interleaved scan (A.2.2) codes the component's own blocks one per MCU,
// an interleaved one (A.2.3) whole MCUs.
func (d *decoder) units(s *scan) (n, perRow int) {
	if s.n == 1 {
		c := &d.comp[s.ci[0]]
		return c.cw * c.ch, c.cw
	}
	return d.mcusX * d.mcusY, d.mcusX
}

// decodeScan decodes one scan's entropy-coded data (F.2 sequential, G.2
// progressive) with restart handling (F.2.1.3, B.2.5).
func (d *decoder) decodeScan(s *scan) error {
	total, perRow := d.units(s)
	if d.ri > 0 && !d.progressive && total > d.ri && runtime.GOMAXPROCS(0) > 1 {
		if ok, err := d.decodeParallel(s, total); ok || err != nil {
			return err
		}
	}
	var (
		w   worker
		br  = &w.br
		rst = 0
		p   *pipeline
	)
	if !d.progressive && !d.keepCoef && total >= 4*perRow && total*d.blocksPerUnit(s) >= 4096 && runtime.GOMAXPROCS(0) > 1 {
		p = d.startPipeline(s, total, perRow)
		defer p.stop()
	}
	br.reset(d.data, d.pos)
	d.eobRun = 0
	for m := 0; m < total; {
		if p != nil && w.out == nil {
			w.out = <-p.free
			w.out.row, w.slot = m/perRow, 0
		}
		end := total
		if d.ri > 0 {
			end = min(end, (m/d.ri+1)*d.ri)
		}
		// Stop at each row end too, to notice overread early.
		end = min(end, (m/perRow+1)*perRow)
		if err := w.decodeUnits(d, s, m, end); err != nil {
			return err
		}
		if br.overread() {
			return d.shortData(br)
		}
		m = end
		if p != nil && (m%perRow == 0 || m == total) {
			p.ready <- w.out
			w.out = nil
		}
		if d.ri > 0 && m%d.ri == 0 && m < total {
			if err := d.restart(br, rst); err != nil {
				return err
			}
			rst = (rst + 1) & 7
			w.preds = [maxComponents]int32{}
			d.eobRun = 0
		}
	}
	d.pos = br.pos
	return nil
}

// blocksPerUnit is the number of blocks in one MCU of the scan.
func (d *decoder) blocksPerUnit(s *scan) int {
	if s.n == 1 {
		return 1
	}
	n := 0
	for i := 0; i < s.n; i++ {
		c := &d.comp[s.ci[i]]
		n += c.h * c.v
	}
	return n
}

// pipeline overlaps Huffman decoding (the caller's goroutine) with
// dequantisation and IDCT (GOMAXPROCS more goroutines) for sequential scans that
// cannot be split at restart markers: rows of coefficients circulate
// through free and ready.
type pipeline struct {
	free, ready chan *coefRow
	wg          sync.WaitGroup
}

func (d *decoder) startPipeline(s *scan, total, perRow int) *pipeline {
	// GOMAXPROCS IDCT goroutines: with the Huffman goroutine that
	// oversubscribes by one, so that whichever side is slower (the IDCT, on
	// high-quality files) can use the other's idle time. Rows are disjoint
	// in the planes.
	nw := runtime.GOMAXPROCS(0)
	nbuf := 2 * (nw + 1)
	slots := perRow * d.blocksPerUnit(s)
	p := &pipeline{free: make(chan *coefRow, nbuf), ready: make(chan *coefRow, nbuf)}
	for range nbuf {
		p.free <- &coefRow{coef: make([]int16, slots*64), last: make([]uint8, slots)}
	}
	for range nw {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			var blk [64]int32
			for r := range p.ready {
				d.reconstructRow(s, r, total, perRow, &blk)
				p.free <- r
			}
		}()
	}
	return p
}

// stop ends the IDCT goroutines after they have drained the rows sent so far.
func (p *pipeline) stop() {
	close(p.ready)
	p.wg.Wait()
}

// reconstructRow walks the blocks of coefficient row r in decodeUnits order.
func (d *decoder) reconstructRow(s *scan, r *coefRow, total, perRow int, blk *[64]int32) {
	j := 0
	m0 := r.row * perRow
	m1 := min(total, m0+perRow)
	for m := m0; m < m1; m++ {
		if s.n == 1 {
			c := &d.comp[s.ci[0]]
			d.reconstructBlock(c, m%c.cw, m/c.cw, (*[64]int16)(r.coef[j*64:j*64+64]), int(r.last[j]), blk)
			j++
			continue
		}
		mx, my := m%d.mcusX, m/d.mcusX
		for i := 0; i < s.n; i++ {
			c := &d.comp[s.ci[i]]
			for y := 0; y < c.v; y++ {
				for x := 0; x < c.h; x++ {
					d.reconstructBlock(c, mx*c.h+x, my*c.v+y, (*[64]int16)(r.coef[j*64:j*64+64]), int(r.last[j]), blk)
					j++
				}
			}
		}
	}
}

// shortData reports an overread: at the end of input the file is truncated,
// before a marker the segment is corrupt.
func (d *decoder) shortData(br *bitReader) error {
	if br.pos >= len(br.data)-1 {
		return errTruncated
	}
	return errShortData
}

// restart consumes the RSTn marker expected after a restart interval,
// tolerating bytes before it (as libjpeg does), and resets the reader.
func (d *decoder) restart(br *bitReader, n int) error {
	p := br.pos
	for {
		i := bytes.IndexByte(d.data[p:], 0xff)
		if i < 0 || p+i+1 >= len(d.data) {
			return errTruncated
		}
		p += i
		m := d.data[p+1]
		if m == 0xff || m == 0 {
			p++
			continue
		}
		if m != mRST0+byte(n) {
			return formatErr("missing RST marker")
		}
		br.reset(d.data, p+2)
		return nil
	}
}

// worker is the per-goroutine decode state: bit reader, DC predictors
// (F.2.1.3.1) and one coefficient block.
type worker struct {
	br    bitReader
	preds [maxComponents]int32
	blk   [64]int32
	coef  [64]int16
	// out, when set, receives decoded coefficients instead of the planes
	// (the Huffman side of decodePipelined); slot is the next block.
	out  *coefRow
	slot int
	// chunk (number chunkID in decoder.chunks) receives kept coefficients
	// from index used on (keepBlock).
	chunk   []int16
	chunkID uint32
	used    int
}

// coefRow is one MCU row of quantised coefficients, 64 per block in decode
// order, handed from the Huffman goroutine to the IDCT goroutine.
type coefRow struct {
	row  int
	coef []int16
	last []uint8
}

// decodeUnits decodes MCUs [m0, m1) of a scan.
func (w *worker) decodeUnits(d *decoder, s *scan, m0, m1 int) error {
	if s.n == 1 {
		c := &d.comp[s.ci[0]]
		if d.progressive && s.ss > 0 {
			return w.acUnits(d, s, c, m0, m1)
		}
		for m := m0; m < m1; m++ {
			if err := w.block(d, s, 0, c, m%c.cw, m/c.cw); err != nil {
				return err
			}
		}
		return nil
	}
	for m := m0; m < m1; m++ {
		mx, my := m%d.mcusX, m/d.mcusX
		for i := 0; i < s.n; i++ {
			c := &d.comp[s.ci[i]]
			for y := 0; y < c.v; y++ {
				for x := 0; x < c.h; x++ {
					if err := w.block(d, s, i, c, mx*c.h+x, my*c.v+y); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// acUnits decodes blocks [m0, m1) of a progressive AC scan (one component,
// A.2.2 order). Blocks inside an end-of-band run (G.1.2.2) are not visited
// one by one: a first scan leaves them as they are, and a refinement scan
// only has correction bits for blocks that already hold a nonzero
// coefficient in the band, found by skipping zero bytes of last eight at a
// time. So a scan of runs costs time in proportion to its data, not to the
// image: a 100 MP file of 1000 scans that code nothing used to take 7.6 s.
func (w *worker) acUnits(d *decoder, s *scan, c *component, m0, m1 int) error {
	for m := m0; m < m1; {
		if d.eobRun == 0 {
			if err := w.block(d, s, 0, c, m%c.cw, m/c.cw); err != nil {
				return err
			}
			m++
			continue
		}
		// The rest of the run, up to the end of this block row.
		bx, by := m%c.cw, m/c.cw
		n := min(d.eobRun, m1-m, c.cw-bx)
		d.eobRun -= n
		m += n
		if s.ah == 0 {
			continue
		}
		base := by * c.bw
		last := c.last[base+bx : base+bx+n]
		for i := 0; i < len(last); i++ {
			if i+8 <= len(last) && binary.LittleEndian.Uint64(last[i:]) == 0 {
				i += 7 // no block of these eight has a nonzero AC coefficient
				continue
			}
			if int(last[i]) >= s.ss {
				b := base + bx + i
				w.refineRun(s, c.coef[b*c.coefN:][:c.coefN], int(last[i]))
			}
		}
	}
	return nil
}

// block decodes one block of scan component i at block position (bx, by).
func (w *worker) block(d *decoder, s *scan, i int, c *component, bx, by int) error {
	if !d.progressive {
		return w.sequentialBlock(d, s, i, c, bx, by)
	}
	coef := c.coef[(by*c.bw+bx)*c.coefN:]
	coef = coef[:c.coefN]
	switch {
	case s.ss == 0 && s.ah == 0:
		return w.dcFirst(d, s, i, coef)
	case s.ss == 0:
		if w.br.bit() {
			coef[0] |= 1 << s.al
		}
		return nil
	case s.ah == 0:
		return w.acFirst(d, s, i, coef, &c.last[by*c.bw+bx])
	default:
		return w.acRefine(d, s, i, coef, &c.last[by*c.bw+bx])
	}
}

// decodeDC reads a DC difference (F.2.2.1) and updates the predictor.
func (w *worker) decodeDC(h *huffTable, pred *int32) error {
	br := &w.br
	if br.n < 32 {
		br.fill()
	}
	if h.dcFast {
		// Symbols are sizes 0..11, so a fastAC entry has run 0 and its
		// value is the sign-extended difference (size 0 is not in fastAC).
		if e := h.fastAC[br.acc>>(64-lookBits)]; e != 0 {
			l := uint(e & 0xff)
			br.acc <<= l
			br.n -= l
			*pred += e >> 16
			return nil
		}
	}
	t, ok := br.decode(h)
	if !ok {
		return errBadHuffCode
	}
	if t > 11 {
		return errBadDC
	}
	*pred += br.receiveExtend(t)
	return nil
}

// sequentialBlock decodes a baseline or extended sequential block (F.2.2)
// and either reconstructs it now or, when the worker feeds a pipeline,
// leaves its coefficients in the next slot of the current coefficient row.
func (w *worker) sequentialBlock(d *decoder, s *scan, i int, c *component, bx, by int) error {
	if d.keepCoef {
		last, err := w.decodeBlock(d, s, i, false, &w.coef)
		if err != nil {
			return err
		}
		w.keepBlock(d, c, by*c.bw+bx, last)
		return nil
	}
	var cf *[64]int16
	if w.out != nil {
		j := w.slot
		w.slot++
		cf = (*[64]int16)(w.out.coef[j*64 : j*64+64])
	} else {
		cf = &w.coef
	}
	last, err := w.decodeBlock(d, s, i, c.coefN == 1, cf)
	if err != nil {
		return err
	}
	if w.out != nil {
		w.out.last[w.slot-1] = uint8(last)
		return nil
	}
	d.reconstructBlock(c, bx, by, cf, last, &w.blk)
	return nil
}

// chunkBits is log2 of a coefficient chunk's length (128 KB): offsets in
// component.loc take the low bits, the chunk index the rest.
const chunkBits = 16

// chunkStore is the list of coefficient chunks, to which the goroutines
// decoding restart intervals add under mu. It is only read once they are
// done. Chunks are n long: 1<<chunkBits, or the whole frame's 64 a block
// when that is less.
type chunkStore struct {
	mu sync.Mutex
	n  int
	c  [][]int16
}

// add appends a new chunk and returns it with its index.
func (s *chunkStore) add() ([]int16, uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make([]int16, s.n)
	s.c = append(s.c, ch)
	return ch, uint32(len(s.c) - 1)
}

// keepBlock moves block b's coefficients 0..last from w.coef (leaving it
// zero) to the end of the worker's chunk, taking a new chunk when they do
// not fit, and records where in c.loc. Only the coded extent is kept, so
// a photo's coefficients take a fraction of 64 a block, and the memory
// written (and faulted in) is what the entropy data holds.
func (w *worker) keepBlock(d *decoder, c *component, b, last int) {
	n := last + 1
	if len(w.chunk)-w.used < n {
		w.chunk, w.chunkID = d.chunks.add()
		w.used = 0
	}
	copy(w.chunk[w.used:], w.coef[:n])
	clear(w.coef[:n])
	c.loc[b] = w.chunkID<<chunkBits | uint32(w.used)
	c.last[b] = uint8(last)
	w.used += n
}

// decodeBlock reads one sequential block's coefficients (F.2.2.1, F.2.2.2)
// into cf, zig-zag order, quantised, and returns the index of the last
// nonzero one. cf must be zero. With dcOnly the AC codes are read and
// dropped (a 1x1 IDCT needs only DC). DC values are the predictor wrapped
// to 16 bits; valid 8-bit files never exceed 11 bits.
func (w *worker) decodeBlock(d *decoder, s *scan, i int, dcOnly bool, cf *[64]int16) (int, error) {
	br := &w.br
	ci := s.ci[i]
	if err := w.decodeDC(&d.huff[0][s.td[i]], &w.preds[ci]); err != nil {
		return 0, err
	}
	cf[0] = int16(w.preds[ci])
	ac := &d.huff[1][s.ta[i]]
	if dcOnly {
		for k := 1; k < 64; k++ {
			if br.n < 32 {
				br.fill()
			}
			if e := ac.skipAC[br.acc>>(64-lookBits)]; e != 0 {
				// Code and magnitude bits in one step (at most 9 + 15 bits,
				// and n >= 32 here).
				l := uint(e >> 8)
				br.acc <<= l
				br.n -= l
				if e&15 == 0 {
					if e&0xf0 != 0xf0 {
						break // EOB
					}
					k += 15
					continue
				}
				k += int(e>>4) & 15
				continue
			}
			rs, ok := br.decode(ac)
			if !ok {
				return 0, errBadHuffCode
			}
			r, sz := int(rs>>4), rs&15
			if sz == 0 {
				if r != 15 {
					break
				}
				k += 15
				continue
			}
			k += r
			br.acc <<= sz
			br.n -= uint(sz)
		}
		return 0, nil
	}
	last := 0
	for k := 1; k < 64; k++ {
		if br.n < 32 {
			br.fill()
		}
		if e := ac.fastAC[br.acc>>(64-lookBits)]; e != 0 {
			l := uint(e & 0xff)
			br.acc <<= l
			br.n -= l
			k += int(e>>8) & 0xff
			if k > 63 {
				return 0, errBadAC
			}
			cf[k] = int16(e >> 16)
			last = k
			continue
		}
		rs, ok := br.decode(ac)
		if !ok {
			return 0, errBadHuffCode
		}
		r, sz := int(rs>>4), rs&15
		if sz == 0 {
			if r != 15 {
				break
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return 0, errBadAC
		}
		cf[k] = int16(br.receiveExtend(sz))
		last = k
	}
	return last, nil
}

// reconstructBlock dequantises cf (zig-zag, nonzero up to last) into blk,
// runs the component's IDCT into its plane at block (bx, by), and clears
// cf and blk for reuse.
func (d *decoder) reconstructBlock(c *component, bx, by int, cf *[64]int16, last int, blk *[64]int32) {
	q := &d.quant[c.tq]
	bs := c.bs
	dst := c.pix[by*bs*c.stride+bx*bs:]
	if bs == 1 {
		dst[0] = dcPixel(int32(cf[0]) * int32(q[0]))
		clear(cf[:last+1])
		return
	}
	// Ranging over cf[:last+1] and masking the unzig index lets the
	// compiler drop the per-coefficient bounds checks.
	cs := cf[:last+1]
	for k, v := range cs {
		blk[unzig[k]&63] = int32(v) * int32(q[k])
	}
	clear(cs)
	reconstruct(dst, c.stride, bs, blk, last)
	for k := range cs {
		blk[unzig[k]&63] = 0
	}
}

// reconstruct writes block blk (natural order, dequantised, nonzero only up
// to zig-zag index last) at bs x bs pixels.
func reconstruct(dst []byte, stride, bs int, blk *[64]int32, last int) {
	switch bs {
	case 8:
		if last == 0 {
			v := dcPixel(blk[0])
			for y := 0; y < 8; y++ {
				r := dst[y*stride:]
				r = r[:8]
				r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = v, v, v, v, v, v, v, v
			}
			return
		}
		idct8x8(dst, stride, blk)
	case 4:
		if last == 0 {
			v := dcPixel(blk[0])
			for y := 0; y < 4; y++ {
				r := dst[y*stride:]
				r = r[:4]
				r[0], r[1], r[2], r[3] = v, v, v, v
			}
			return
		}
		idct4x4(dst, stride, blk)
	case 2:
		idct2x2(dst, stride, blk)
	default:
		dst[0] = dcPixel(blk[0])
	}
}

// dcFirst decodes a progressive DC first scan block, G.1.2.1.
func (w *worker) dcFirst(d *decoder, s *scan, i int, coef []int16) error {
	ci := s.ci[i]
	if err := w.decodeDC(&d.huff[0][s.td[i]], &w.preds[ci]); err != nil {
		return err
	}
	coef[0] = int16(w.preds[ci] << s.al)
	return nil
}

// acFirst decodes a progressive AC first scan block, G.1.2.2, with EOBRUN.
// last tracks the block's highest zig-zag index ever set, so that the
// final IDCT pass reads no more than it must.
func (w *worker) acFirst(d *decoder, s *scan, i int, coef []int16, last *uint8) error {
	if d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	br := &w.br
	h := &d.huff[1][s.ta[i]]
	for k := s.ss; k <= s.se; k++ {
		if br.n < 32 {
			br.fill()
		}
		if e := h.fastAC[br.acc>>(64-lookBits)]; e != 0 {
			l := uint(e & 0xff)
			br.acc <<= l
			br.n -= l
			k += int(e>>8) & 0xff
			if k > 63 {
				return errBadAC
			}
			coef[k] = int16((e >> 16) << s.al)
			*last = max(*last, uint8(k))
			continue
		}
		rs, ok := br.decode(h)
		if !ok {
			return errBadHuffCode
		}
		r, sz := int(rs>>4), rs&15
		if sz == 0 {
			if r != 15 {
				// EOBr: 2^r + r extra bits blocks end here, this one included.
				d.eobRun = 1<<r + int(br.bits(uint(r))) - 1
				return nil
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return errBadAC
		}
		coef[k] = int16(br.receiveExtend(sz) << s.al)
		*last = max(*last, uint8(k))
	}
	return nil
}

// acRefine decodes a progressive AC refinement scan block, G.1.2.3: new
// coefficients are +-1<<Al and every already-nonzero coefficient in the
// band gets a correction bit.
func (w *worker) acRefine(d *decoder, s *scan, i int, coef []int16, last *uint8) error {
	br := &w.br
	h := &d.huff[1][s.ta[i]]
	p1 := int16(1) << s.al
	m1 := int16(-1) << s.al
	k := s.ss
	if d.eobRun == 0 {
		for k <= s.se {
			if br.n < 32 {
				br.fill()
			}
			rs, ok := br.decode(h)
			if !ok {
				return errBadHuffCode
			}
			r, sz := int(rs>>4), rs&15
			var z int16
			switch sz {
			case 0:
				if r != 15 {
					d.eobRun = 1<<r + int(br.bits(uint(r)))
					goto eob
				}
			case 1:
				if br.bit() {
					z = p1
				} else {
					z = m1
				}
			default:
				return formatErr("bad AC refinement magnitude")
			}
			// Skip r zero-history coefficients (refining nonzero ones on
			// the way), then place z.
			for ; k <= s.se; k++ {
				if coef[k] != 0 {
					refine(br, &coef[k], p1, m1)
					continue
				}
				if r == 0 {
					if z != 0 {
						coef[k] = z
						*last = max(*last, uint8(k))
					}
					k++
					break
				}
				r--
			}
		}
		return nil
	}
eob:
	w.refineFrom(s, coef, k, int(*last))
	d.eobRun--
	return nil
}

// refineRun gives the correction bits of a block inside an end-of-band run
// of a refinement scan; last is its highest nonzero zig-zag index.
func (w *worker) refineRun(s *scan, coef []int16, last int) { w.refineFrom(s, coef, s.ss, last) }

// refineFrom reads a correction bit for every nonzero coefficient from k to
// the end of the band. Only coefficients up to the block's last nonzero one
// can need one.
func (w *worker) refineFrom(s *scan, coef []int16, k, last int) {
	p1 := int16(1) << s.al
	m1 := int16(-1) << s.al
	for end := min(s.se, last); k <= end; k++ {
		if coef[k] != 0 {
			refine(&w.br, &coef[k], p1, m1)
		}
	}
}

// refine applies one correction bit to a nonzero coefficient.
func refine(br *bitReader, c *int16, p1, m1 int16) {
	if br.bit() && *c&p1 == 0 {
		if *c >= 0 {
			*c += p1
		} else {
			*c += m1
		}
	}
}

// decodeParallel decodes a sequential scan whose restart intervals are
// split over GOMAXPROCS goroutines, each with its own bit reader and DC
// predictors (F.2.1.3: every interval starts afresh). It returns false when
// the intervals cannot be found as expected (truncated or damaged data), and
// the serial path then decodes and reports.
func (d *decoder) decodeParallel(s *scan, total int) (bool, error) {
	want := (total + d.ri - 1) / d.ri
	starts := make([]int, 1, want+1)
	starts[0] = d.pos
	p, end := d.pos, -1
	for end < 0 {
		i := bytes.IndexByte(d.data[p:], 0xff)
		if i < 0 || p+i+1 >= len(d.data) {
			return false, nil
		}
		p += i
		switch m := d.data[p+1]; {
		case m == 0:
			p += 2
		case m == 0xff:
			p++
		case m >= mRST0 && m <= mRST7:
			if len(starts) >= want || m != mRST0+byte((len(starts)-1)&7) {
				return false, nil
			}
			starts = append(starts, p+2)
			p += 2
		default:
			end = p
		}
	}
	if len(starts) != want {
		return false, nil
	}
	starts = append(starts, end+2) // sentinel: interval j ends at starts[j+1]-2
	nw := min(runtime.GOMAXPROCS(0), want)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for g := 0; g < nw; g++ {
		j0, j1 := want*g/nw, want*(g+1)/nw
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w worker
			for j := j0; j < j1; j++ {
				w.br.reset(d.data[:starts[j+1]-2], starts[j])
				w.preds = [maxComponents]int32{}
				m0 := j * d.ri
				err := w.decodeUnits(d, s, m0, min(m0+d.ri, total))
				if err == nil && w.br.overread() {
					err = errShortData
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	d.pos = end
	return true, first
}

// reconstructProgressive runs the (scaled) IDCT over every stored block
// (cbw x cbh of each component) once all scans are in, splitting block
// rows over GOMAXPROCS goroutines.
func (d *decoder) reconstructProgressive() {
	var wg sync.WaitGroup
	nw := runtime.GOMAXPROCS(0)
	for ci := 0; ci < d.nComp; ci++ {
		c := &d.comp[ci]
		for g := 0; g < nw; g++ {
			y0, y1 := c.cbh*g/nw, c.cbh*(g+1)/nw
			if y0 == y1 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.reconstructRows(c, y0, y1)
			}()
		}
	}
	wg.Wait()
}

func (d *decoder) reconstructRows(c *component, y0, y1 int) {
	q := &d.quant[c.tq]
	bs := c.bs
	if bs == 1 {
		// The block mean: DC only, whether or not AC was kept.
		n := c.coefN
		for by := y0; by < y1; by++ {
			row := c.pix[by*c.stride:]
			row = row[:c.cbw]
			if c.loc != nil {
				loc := c.loc[by*c.bw:]
				loc = loc[:len(row)]
				for bx, l := range loc {
					row[bx] = dcPixel(int32(d.chunks.c[l>>chunkBits][l&(1<<chunkBits-1)]) * int32(q[0]))
				}
				continue
			}
			coef := c.coef[by*c.bw*n:]
			for bx := range row {
				row[bx] = dcPixel(int32(coef[bx*n]) * int32(q[0]))
			}
		}
		return
	}
	var blk [64]int32
	for by := y0; by < y1; by++ {
		for bx := 0; bx < c.cbw; bx++ {
			b := by*c.bw + bx
			last := int(c.last[b] & 63)
			var coef []int16
			if c.loc != nil {
				l := c.loc[b]
				coef = d.chunks.c[l>>chunkBits][l&(1<<chunkBits-1):]
			} else {
				coef = c.coef[b*64:]
			}
			coef = coef[:last+1]
			for k, v := range coef {
				blk[unzig[k]] = int32(v) * int32(q[k])
			}
			reconstruct(c.pix[by*bs*c.stride+bx*bs:], c.stride, bs, &blk, last)
			for k := range coef {
				blk[unzig[k]] = 0
			}
		}
	}
}
