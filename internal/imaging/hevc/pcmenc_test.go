package hevc

// A tiny HEVC encoder for tests: it writes I pictures whose CUs are either
// PCM or intra-predicted with no residual, with tiles, so that the tile
// scan, substreams and entry points, PCM and prediction and filtering
// across tile boundaries can be checked against the reference decoders
// (x265 writes neither tiles nor PCM).

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// bitWriter writes an RBSP most significant bit first.
type bitWriter struct {
	b    []byte
	nbit int
}

func (w *bitWriter) u(n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		if w.nbit%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>uint(i)&1 != 0 {
			w.b[len(w.b)-1] |= 0x80 >> uint(w.nbit%8)
		}
		w.nbit++
	}
}

func (w *bitWriter) flag(b bool) {
	if b {
		w.u(1, 1)
	} else {
		w.u(1, 0)
	}
}

func (w *bitWriter) ue(v uint32) {
	v++
	n := 0
	for v>>uint(n) > 1 {
		n++
	}
	w.u(n, 0)
	w.u(n+1, v)
}

func (w *bitWriter) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

func (w *bitWriter) align(bit uint32) {
	for w.nbit%8 != 0 {
		w.u(1, bit)
	}
}

func (w *bitWriter) trailing() {
	w.u(1, 1)
	w.align(0)
}

// escapeNAL prefixes a NAL header and inserts emulation prevention bytes.
func escapeNAL(typ int, rbsp []byte) []byte {
	out := []byte{byte(typ << 1), 1}
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// cabacEnc is the arithmetic encoder of 9.3.5.
type cabacEnc struct {
	w           *bitWriter
	low, rng    uint32
	first       bool
	outstanding int
}

func (e *cabacEnc) init(w *bitWriter) {
	*e = cabacEnc{w: w, rng: 510, first: true}
}

func (e *cabacEnc) putBit(b uint32) {
	if e.first {
		e.first = false
	} else {
		e.w.u(1, b)
	}
	for ; e.outstanding > 0; e.outstanding-- {
		e.w.u(1, 1-b)
	}
}

func (e *cabacEnc) renorm() {
	for e.rng < 256 {
		switch {
		case e.low < 256:
			e.putBit(0)
		case e.low >= 512:
			e.low -= 512
			e.putBit(1)
		default:
			e.low -= 256
			e.outstanding++
		}
		e.rng <<= 1
		e.low <<= 1
	}
}

func (e *cabacEnc) bin(m *uint8, b int) {
	state, mps := *m>>1, int(*m&1)
	lps := uint32(rangeTabLps[state][(e.rng>>6)&3])
	e.rng -= lps
	if b != mps {
		e.low += e.rng
		e.rng = lps
		if state == 0 {
			mps = 1 - mps
		}
		*m = transIdxLps[state]<<1 | uint8(mps)
	} else {
		*m = transIdxMps[state]<<1 | uint8(mps)
	}
	e.renorm()
}

func (e *cabacEnc) bypass(b int) {
	e.low <<= 1
	if b != 0 {
		e.low += e.rng
	}
	switch {
	case e.low >= 1024:
		e.putBit(1)
		e.low -= 1024
	case e.low < 512:
		e.putBit(0)
	default:
		e.low -= 512
		e.outstanding++
	}
}

// terminate encodes a terminating bin; a 1 flushes the engine and byte
// aligns the output with zero bits (9.3.5.5, 9.3.5.6).
func (e *cabacEnc) terminate(b int) {
	e.rng -= 2
	if b == 0 {
		e.renorm()
		return
	}
	e.low += e.rng
	e.rng = 2
	e.renorm()
	e.putBit((e.low >> 9) & 1)
	e.w.u(2, ((e.low>>7)&3)|1)
	e.w.align(0)
}

// spsFields are the SPS values the test encoder can vary.
type spsFields struct {
	chromaFormat, separateColour int
	w, h                         int
	confWin                      []int // left, right, top, bottom (chroma units); nil: none
	bitDepthLuma, bitDepthChroma int   // minus 8
	log2MinCbMinus3, log2DiffCb  int
	log2MinTbMinus2, log2DiffTb  int
	maxTrDepthIntra              int
	pcmBits                      int // 0: PCM off
	pcmLoopFilterOff             bool
}

// defaultSPSFields: 4:2:0 8-bit, 8x8 minimum CBs in 16x16 CTBs, 4 to 16
// transforms, 8-bit PCM.
func defaultSPSFields(w, h int) spsFields {
	return spsFields{chromaFormat: 1, w: w, h: h, log2DiffCb: 1, log2DiffTb: 2, pcmBits: 8}
}

// writeSPS returns an SPS RBSP (7.3.2.2).
func writeSPS(f spsFields) []byte {
	var sps bitWriter
	sps.u(4, 0)
	sps.u(3, 0)
	sps.u(1, 1)
	sps.u(2, 0)
	sps.u(1, 0)
	sps.u(5, 1)
	sps.u(32, 0x60000000)
	sps.u(4, 0x9)
	sps.u(32, 0)
	sps.u(12, 0)
	sps.u(8, 93)
	sps.ue(0)
	sps.ue(uint32(f.chromaFormat))
	if f.chromaFormat == 3 {
		sps.u(1, uint32(f.separateColour))
	}
	sps.ue(uint32(f.w))
	sps.ue(uint32(f.h))
	sps.flag(f.confWin != nil)
	for _, v := range f.confWin {
		sps.ue(uint32(v))
	}
	sps.ue(uint32(f.bitDepthLuma))
	sps.ue(uint32(f.bitDepthChroma))
	sps.ue(4)
	sps.flag(true)
	sps.ue(0)
	sps.ue(0)
	sps.ue(0)
	sps.ue(uint32(f.log2MinCbMinus3))
	sps.ue(uint32(f.log2DiffCb))
	sps.ue(uint32(f.log2MinTbMinus2))
	sps.ue(uint32(f.log2DiffTb))
	sps.ue(0)
	sps.ue(uint32(f.maxTrDepthIntra))
	sps.flag(false) // scaling lists
	sps.flag(false) // amp
	sps.flag(false) // sao
	sps.flag(f.pcmBits > 0)
	if f.pcmBits > 0 {
		sps.u(4, uint32(f.pcmBits-1))
		sps.u(4, uint32(f.pcmBits-1))
		sps.ue(0) // min PCM 8
		sps.ue(1) // max PCM 16
		sps.flag(f.pcmLoopFilterOff)
	}
	sps.ue(0)
	sps.flag(false)
	sps.flag(false)
	sps.flag(false) // strong intra smoothing
	sps.flag(false) // vui
	sps.flag(false)
	sps.trailing()
	return sps.b
}

// pcmStream describes a test picture for encodePCMStream.
type pcmStream struct {
	w, h             int   // multiples of 16
	tileCols         []int // column widths in CTBs (nil: one column)
	tileRows         []int
	lfAcrossTiles    bool
	pcmBits          int // PCM sample bit depth (1..8)
	pcmLoopFilterOff bool
	// intraCU reports whether the CTB at (x, y) (in CTBs) is coded as an
	// intra CU without residual instead of PCM.
	intraCU func(x, y int) bool
	// segStarts lists the tile-scan indices where a new slice segment
	// starts; dependent[k] makes the segment at segStarts[k] dependent
	// (nil: dependent slice segments disabled).
	segStarts      []int
	dependent      []bool
	lfAcrossSlices bool
	wpp            bool // entropy_coding_sync_enabled_flag
}

// encodePCMStream writes VPS, SPS, PPS and one IDR slice of 16x16 CTBs,
// each one CU, for the 8-bit 4:2:0 picture yuv.
func encodePCMStream(t *testing.T, vps []byte, ps pcmStream, yuv []byte) []byte {
	t.Helper()
	sf := defaultSPSFields(ps.w, ps.h)
	sf.pcmBits, sf.pcmLoopFilterOff = ps.pcmBits, ps.pcmLoopFilterOff
	sps := writeSPS(sf)

	wCtb, hCtb := ps.w/16, ps.h/16
	cols, rows := ps.tileCols, ps.tileRows
	if cols == nil {
		cols = []int{wCtb}
	}
	if rows == nil {
		rows = []int{hCtb}
	}
	var pps bitWriter
	pps.ue(0)
	pps.ue(0)
	pps.flag(ps.dependent != nil)
	pps.flag(false)
	pps.u(3, 0)
	pps.flag(false)
	pps.flag(false)
	pps.ue(0)
	pps.ue(0)
	pps.se(0)
	pps.flag(false)
	pps.flag(false)
	pps.flag(false) // cu_qp_delta
	pps.se(0)
	pps.se(0)
	pps.flag(false)
	pps.flag(false)
	pps.flag(false)
	pps.flag(false) // transquant bypass
	tiles := len(cols) > 1 || len(rows) > 1
	pps.flag(tiles)
	pps.flag(ps.wpp)
	if tiles {
		pps.ue(uint32(len(cols) - 1))
		pps.ue(uint32(len(rows) - 1))
		pps.flag(false) // explicit spacing
		for _, c := range cols[:len(cols)-1] {
			pps.ue(uint32(c - 1))
		}
		for _, r := range rows[:len(rows)-1] {
			pps.ue(uint32(r - 1))
		}
		pps.flag(ps.lfAcrossTiles)
	}
	pps.flag(ps.lfAcrossSlices)
	pps.flag(false)
	pps.flag(false)
	pps.flag(false)
	pps.ue(0)
	pps.flag(false)
	pps.flag(false)
	pps.trailing()

	// Tile scan order of CTBs.
	var order [][2]int
	var substreamStart, tileStart []bool
	var tileX0 []int
	y0 := 0
	for _, rh := range rows {
		x0 := 0
		for _, cw := range cols {
			for y := y0; y < y0+rh; y++ {
				for x := x0; x < x0+cw; x++ {
					order = append(order, [2]int{x, y})
					substreamStart = append(substreamStart, (x == x0 && y == y0) || (ps.wpp && x == x0))
					tileStart = append(tileStart, x == x0 && y == y0)
					tileX0 = append(tileX0, x0)
				}
			}
			x0 += cw
		}
		y0 += rh
	}
	// Slice segments: segs[k] is the tile-scan index of the first CTB of
	// segment k.
	segs := append([]int{0}, ps.segStarts...)
	out := []byte{}
	for _, n := range [][]byte{vps, escapeNAL(nalSPS, sps), escapeNAL(nalPPS, pps.b)} {
		out = append(out, 0, 0, 0, 1)
		out = append(out, n...)
	}
	var enc cabacEnc
	var ctx, ctxDs, ctxWpp [numCtx]uint8
	tsOf := make(map[[2]int]int)
	for i, p := range order {
		tsOf[p] = i
	}
	sliceStart := 0
	cw, ch := ps.w/2, ps.h/2
	sliceQp := 26
	for k, start := range segs {
		end := len(order)
		if k+1 < len(segs) {
			end = segs[k+1]
		}
		dep := k > 0 && ps.dependent != nil && ps.dependent[k-1]
		if !dep {
			sliceQp = 26 + 3*(k%3) - 2
			sliceStart = start
		}
		var subs [][]byte
		var w bitWriter
		for i := start; i < end; i++ {
			p := order[i]
			if i == start || substreamStart[i] {
				if i > start {
					subs = append(subs, w.b)
				}
				w = bitWriter{}
				enc.init(&w)
				// Top-right CTB for WPP: coded, in this slice and tile.
				tr, ok := tsOf[[2]int{p[0] + 1, p[1] - 1}]
				trAvail := ok && tr >= sliceStart && p[0]+1 < tileX0[i]+cols[tileCol(cols, tileX0[i])]
				switch {
				case i == start && dep && !substreamStart[i]:
					ctx = ctxDs
				case ps.wpp && !tileStart[i] && !(i == start && !dep) && trAvail:
					ctx = ctxWpp
				default:
					initContexts(&ctx, sliceQp)
				}
			}
			enc.bin(&ctx[ctxSplitCu], 0)
			x, y := p[0]*16, p[1]*16
			if ps.intraCU != nil && ps.intraCU(p[0], p[1]) {
				enc.terminate(0)                   // pcm_flag
				enc.bin(&ctx[ctxPrevIntraLuma], 1) // prev_intra_luma_pred_flag
				enc.bypass(0)                      // mpm_idx 0
				enc.bin(&ctx[ctxIntraChroma], 0)   // DM chroma mode
				enc.bin(&ctx[ctxCbfChroma], 0)
				enc.bin(&ctx[ctxCbfChroma], 0)
				enc.bin(&ctx[ctxCbfLuma+1], 0)
			} else {
				enc.terminate(1)
				sh := uint(8 - ps.pcmBits)
				for yy := 0; yy < 16; yy++ {
					for xx := 0; xx < 16; xx++ {
						w.u(ps.pcmBits, uint32(yuv[(y+yy)*ps.w+x+xx])>>sh)
					}
				}
				for c := 0; c < 2; c++ {
					base := ps.w*ps.h + c*cw*ch
					for yy := 0; yy < 8; yy++ {
						for xx := 0; xx < 8; xx++ {
							w.u(ps.pcmBits, uint32(yuv[base+(y/2+yy)*cw+x/2+xx])>>sh)
						}
					}
				}
				enc.init(&w)
			}
			if ps.wpp && p[0]-tileX0[i] == 1 {
				ctxWpp = ctx
			}
			if i == end-1 {
				ctxDs = ctx
				enc.terminate(1) // end_of_slice_segment_flag
				break
			}
			enc.terminate(0)
			if substreamStart[i+1] {
				enc.terminate(1) // end_of_subset_one_bit
			}
		}
		subs = append(subs, w.b)
		first := order[start]
		nal := sliceNAL(t, sliceHdr{
			first: k == 0, depEnabled: ps.dependent != nil, dependent: dep,
			addr: first[1]*wCtb + first[0], addrBits: ceilLog2(wCtb * hCtb),
			qpDelta: sliceQp - 26, lfAcrossSlices: ps.lfAcrossSlices, entry: tiles || ps.wpp,
		}, subs)
		out = append(out, 0, 0, 0, 1)
		out = append(out, nal...)
	}
	return out
}

// tileCol returns the index of the tile column starting at CTB column x0.
func tileCol(cols []int, x0 int) int {
	for i, c := range cols {
		if x0 == 0 {
			return i
		}
		x0 -= c
	}
	return len(cols) - 1
}

// sliceHdr holds the slice segment header fields the test encoder writes.
type sliceHdr struct {
	first, depEnabled, dependent bool
	addr, addrBits               int
	qpDelta                      int
	lfAcrossSlices, entry        bool // entry: tiles or WPP, entry points present
}

// sliceNAL writes one slice segment NAL unit. Its entry points are
// measured in escaped bytes, which depend on the header itself: iterate to
// a fixed point.
func sliceNAL(t *testing.T, h sliceHdr, subs [][]byte) []byte {
	t.Helper()
	sizes := make([]int, len(subs))
	for i, s := range subs {
		sizes[i] = len(s)
	}
	for iter := 0; iter < 10; iter++ {
		var sh bitWriter
		sh.flag(h.first)
		sh.flag(false) // no_output_of_prior_pics_flag
		sh.ue(0)
		if !h.first {
			if h.depEnabled {
				sh.flag(h.dependent)
			}
			sh.u(h.addrBits, uint32(h.addr))
		}
		if !h.dependent {
			sh.ue(2) // I slice
			sh.se(int32(h.qpDelta))
			if h.lfAcrossSlices {
				sh.flag(true) // slice_loop_filter_across_slices_enabled_flag
			}
		}
		if h.entry {
			sh.ue(uint32(len(subs) - 1))
			if len(subs) > 1 {
				sh.ue(31)
				for _, n := range sizes[:len(sizes)-1] {
					sh.u(32, uint32(n-1))
				}
			}
		}
		sh.trailing() // byte_alignment()
		hdrLen := len(sh.b)
		rbsp := append([]byte(nil), sh.b...)
		var bounds []int
		for _, s := range subs {
			rbsp = append(rbsp, s...)
			bounds = append(bounds, len(rbsp))
		}
		esc := escapedPositions(rbsp)
		got := make([]int, len(subs))
		prev := esc[hdrLen]
		for i, b := range bounds {
			got[i] = esc[b] - prev
			prev = esc[b]
		}
		if equalInts(got, sizes) {
			return escapeNAL(nalIDRWRADL, rbsp)
		}
		sizes = got
	}
	t.Fatal("entry points did not converge")
	return nil
}

// escapedPositions maps each RBSP byte offset (0..len) to its offset in
// the escaped payload.
func escapedPositions(rbsp []byte) []int {
	pos := make([]int, len(rbsp)+1)
	zeros, o := 0, 0
	for i, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			o++
			zeros = 0
		}
		pos[i] = o
		o++
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	pos[len(rbsp)] = o
	return pos
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var pcmCases = []struct {
	name string
	ps   pcmStream
}{
	{"pcm_only", pcmStream{w: 64, h: 48, pcmBits: 8, pcmLoopFilterOff: true}},
	{"pcm_deblocked", pcmStream{w: 64, h: 48, pcmBits: 6}},
	{"pcm5_intra", pcmStream{w: 96, h: 64, pcmBits: 5, intraCU: func(x, y int) bool { return (x+2*y)%3 == 0 }}},
	{"tiles_2x2", pcmStream{w: 96, h: 64, pcmBits: 8, tileCols: []int{2, 4}, tileRows: []int{3, 1},
		lfAcrossTiles: true, intraCU: func(x, y int) bool { return (x+y)%2 == 0 }}},
	{"tiles_3x1_nolf", pcmStream{w: 128, h: 48, pcmBits: 7, tileCols: []int{3, 2, 3},
		intraCU: func(x, y int) bool { return x%3 != 1 }}},
	{"slices_mid_row", pcmStream{w: 96, h: 64, pcmBits: 8, segStarts: []int{5, 13, 20},
		intraCU: func(x, y int) bool { return (x+y)%3 != 0 }}},
	{"slices_lf_across", pcmStream{w: 96, h: 64, pcmBits: 8, segStarts: []int{4, 15}, lfAcrossSlices: true,
		intraCU: func(x, y int) bool { return (x*y)%2 == 0 }}},
	{"dependent_segments", pcmStream{w: 96, h: 64, pcmBits: 8, segStarts: []int{3, 7, 12, 19},
		dependent: []bool{true, false, true, true}, intraCU: func(x, y int) bool { return x != 2 }}},
	{"tiles_slices", pcmStream{w: 96, h: 64, pcmBits: 8, tileCols: []int{2, 4}, tileRows: []int{2, 2},
		segStarts: []int{4, 12, 16}, dependent: []bool{false, true, false}, lfAcrossTiles: true,
		intraCU: func(x, y int) bool { return (x+y)%2 == 1 }}},
	{"pcm_wpp", pcmStream{w: 96, h: 64, pcmBits: 8, wpp: true, intraCU: func(x, y int) bool { return (x+y)%3 != 0 }}},
	{"pcm_wpp_slices", pcmStream{w: 96, h: 80, pcmBits: 8, wpp: true, segStarts: []int{6, 9, 12, 18, 21, 24},
		dependent: []bool{false, false, false, true, true, false}, intraCU: func(x, y int) bool { return x != y }}},
	{"pcm_wpp_one_column", pcmStream{w: 16, h: 64, pcmBits: 8, wpp: true, intraCU: func(x, y int) bool { return y%2 == 0 }}},
	{"tiles_pcm_lf_off", pcmStream{w: 96, h: 96, pcmBits: 8, tileCols: []int{1, 5}, tileRows: []int{2, 2, 2},
		lfAcrossTiles: true, pcmLoopFilterOff: true, intraCU: func(x, y int) bool { return x == y }}},
}

// TestTilesPCM encodes tiled PCM/intra pictures with the test encoder and
// compares the decoded planes with dec265 and ffmpeg.
func TestTilesPCM(t *testing.T) {
	vps := testVPS(t)
	have265 := dec265Path() != ""
	dir := t.TempDir()
	for _, tc := range pcmCases {
		t.Run(tc.name, func(t *testing.T) {
			yuv := synthYUV(tc.ps.w, tc.ps.h, 8, "420", int64(tc.ps.w+tc.ps.h))
			stream := encodePCMStream(t, vps, tc.ps, yuv)
			pic, err := decodeAnnexB(stream)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got := rawPlanes(pic)
			if tc.ps.intraCU == nil && tc.ps.pcmBits == 8 && tc.ps.pcmLoopFilterOff && !bytes.Equal(got, yuv) {
				t.Fatalf("PCM-only picture differs from its input: %s", firstDiff(pic, got, yuv))
			}
			if os.Getenv("HEVC_KEEP") != "" {
				os.WriteFile(filepath.Join(os.Getenv("HEVC_KEEP"), tc.name+".h265"), stream, 0o644)
			}
			if ff := ffmpegDecode(t, dir, tc.name, stream); ff != nil && !bytes.Equal(got, ff) {
				t.Errorf("output differs from ffmpeg: %s", firstDiff(pic, got, ff))
			}
			if !have265 {
				t.Skip("dec265 not installed")
			}
			if want := refDecode(t, dir, tc.name, stream); !bytes.Equal(got, want) {
				t.Errorf("output differs from dec265: %s", firstDiff(pic, got, want))
			}
		})
	}
}

// testVPS returns a VPS NAL unit for the test encoder (any valid one).
func testVPS(t testing.TB) []byte {
	return fixtureNALUs(t, fixture{name: "sao"})[0]
}
