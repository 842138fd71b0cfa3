package hevc

import (
	"context"
)

// decoder is the state of one picture decode. Per-picture maps are kept at
// 4x4 luma granularity (the smallest transform and prediction block), so
// every lookup is a shift and one index.
type decoder struct {
	ps         paramStore
	maxW, maxH int
	maxPx      int64
	sps        *sps
	pps        *pps
	sliceHdrs  []*sliceHeader
	sh         *sliceHeader
	sliceIdx   int
	segTs      int // first CTB of the current slice segment, in tile scan

	// Planes in decoding order; plane[c][y*stride[c]+x].
	plane     [3][]uint16
	stride    [3]int
	pw, ph    [3]int // plane sizes
	numPlanes int

	// Tiles (6.5.1).
	colBd, rowBd []int
	colStart     []int // per CTB column: first column of its tile
	colTile      []int // per CTB column: its tile column
	rowTile      []int // per CTB row: its tile row
	rsToTs       []int32
	tsToRs       []int32
	tileID       []int32 // by CtbAddrInTs

	ctbSlice []int16 // per CTB (raster): index into sliceHdrs, -1 if not decoded
	sao      []saoCtb

	// 4x4 maps.
	w4, h4    int
	zs        []int32 // MinTbAddrZs at 4x4 granularity
	ctDepth   []uint8
	intraMode []uint8
	qpMap     []int8
	noFilter  []uint8 // 1: pcm with loop filter off, or transquant bypass
	edgeV     []uint8 // 1: filter the vertical edge left of this 4x4 block
	edgeH     []uint8 // 1: filter the horizontal edge above this 4x4 block

	// Scaling factors m[x][y] per sizeId (0..3) and matrixId (0..5); nil
	// when scaling lists are off (flat 16).
	scale [4][6][]uint8

	// Entropy decoding.
	cab    cabac
	ctx    [numCtx]uint8
	ctxWpp [numCtx]uint8
	ctxDs  [numCtx]uint8

	// Coding-unit state.
	log2MinQG      int
	newQG          bool
	resetQpPrev    bool
	qgPredQp       int
	lastQpY        int
	qpY            int
	cuQpDeltaCoded bool
	cuQpDeltaVal   int
	bypass         bool
	chromaMode     [4]int // IntraPredModeC per PB (one for 4:2:0)
	ctbX0, ctbY0   int    // current CTB origin in luma samples
	cuLog2         int

	// workers is the number of goroutines that decode substreams and
	// run the in-loop filters (Options.Workers, at least 1).
	workers int

	// Test hooks: skip the in-loop filters (as dec265 --disable-*).
	noDeblock, noSAO bool
	// Counts for tests: slice segments decoded in parallel, and decoded
	// again sequentially because their entry points did not match.
	nParallel, nRedone int

	ipred intraBuf
	coeff [32 * 32]int32
	tmp   [32 * 32]int32
}

// saoCtb holds the SAO parameters of one CTB for the three components.
type saoCtb struct {
	typ    [3]uint8 // 0 none, 1 band, 2 edge
	class  [3]uint8 // band position or edge class
	offset [3][4]int8
}

func (d *decoder) decode(ctx context.Context, nalus [][]byte) (*Picture, error) {
	started := false
	var prevIndep *sliceHeader
	for _, n := range nalus {
		h, err := parseNALHeader(n)
		if err != nil {
			return nil, err
		}
		if h.layerID != 0 {
			continue
		}
		switch {
		case h.typ == nalVPS || h.typ == nalSPS || h.typ == nalPPS:
			if started {
				// A parameter set after the first slice belongs to the
				// next picture; the active ones stay in force.
				continue
			}
			if _, err := d.ps.add(n); err != nil {
				return nil, err
			}
		case h.typ <= 9 || (h.typ >= nalBLAWLP && h.typ <= nalCRA):
			rbsp, epb := unescapeRBSPPos(n[nalHeaderSize:], true)
			sh, s, p, err := d.parseSliceHeader(rbsp, h.typ, prevIndep)
			if err != nil {
				return nil, err
			}
			if sh.firstInPic && started {
				// Next picture: stop.
				return d.finish(ctx)
			}
			if !started {
				if !sh.firstInPic {
					return nil, formatErr("first slice segment of the picture is missing")
				}
				if err := d.activate(s, p); err != nil {
					return nil, err
				}
				started = true
			} else if p != d.pps {
				return nil, formatErr("slices of one picture refer to different PPSs")
			}
			if !sh.dependent {
				prevIndep = sh
			}
			if err := d.decodeSliceSegment(ctx, sh, rbsp, epb); err != nil {
				return nil, err
			}
		}
	}
	if !started {
		return nil, formatErr("no slice segment")
	}
	return d.finish(ctx)
}

// activate checks the active parameter sets against the limits and the
// features implemented, then allocates the picture.
func (d *decoder) activate(s *sps, p *pps) error {
	if err := checkSupported(s, p); err != nil {
		return err
	}
	px := int64(s.width) * int64(s.height)
	if s.width > d.maxW || s.height > d.maxH || px > d.maxPx {
		lim := d.maxPx
		return &LimitError{Width: s.width, Height: s.height, Pixels: px, Limit: lim}
	}
	d.sps, d.pps = s, p
	if err := d.setupTiles(); err != nil {
		return err
	}
	d.numPlanes = 1
	if s.chromaArrayType != 0 {
		d.numPlanes = 3
	}
	for c := 0; c < d.numPlanes; c++ {
		w, h := s.width, s.height
		if c > 0 {
			w, h = w/s.subW, h/s.subH
		}
		d.pw[c], d.ph[c], d.stride[c] = w, h, w
		d.plane[c] = make([]uint16, w*h)
	}
	nCtb := s.picWCtb * s.picHCtb
	d.ctbSlice = make([]int16, nCtb)
	for i := range d.ctbSlice {
		d.ctbSlice[i] = -1
	}
	d.sao = make([]saoCtb, nCtb)
	d.w4, d.h4 = s.width>>2, s.height>>2
	n4 := d.w4 * d.h4
	d.zs = make([]int32, n4)
	d.ctDepth = make([]uint8, n4)
	d.intraMode = make([]uint8, n4)
	d.qpMap = make([]int8, n4)
	d.noFilter = make([]uint8, n4)
	d.edgeV = make([]uint8, n4)
	d.edgeH = make([]uint8, n4)
	shift := uint(2 * (s.log2Ctb - 2))
	mask := 1<<(s.log2Ctb-2) - 1
	for y := 0; y < d.h4; y++ {
		for x := 0; x < d.w4; x++ {
			ctb := (y>>(s.log2Ctb-2))*s.picWCtb + x>>(s.log2Ctb-2)
			m := mortonTab[(y&mask)<<4|x&mask]
			d.zs[y*d.w4+x] = d.rsToTs[ctb]<<shift | int32(m)
		}
	}
	sl := s.scaling
	if p.scaling != nil && s.scalingEnabled {
		sl = p.scaling
	}
	if s.scalingEnabled && sl != nil {
		d.setupScaling(sl)
	}
	d.log2MinQG = s.log2Ctb - p.diffCuQpDeltaDepth
	return nil
}

// checkSupported refuses parameter sets that use what this package does
// not implement.
func checkSupported(s *sps, p *pps) error {
	switch {
	case s.unsupported != "":
		return UnsupportedError(s.unsupported)
	case p.unsupported != "":
		return UnsupportedError(p.unsupported)
	case s.separateColour:
		return UnsupportedError("separate colour planes")
	case s.bitDepthY > 12 || s.bitDepthC > 12:
		return UnsupportedError("bit depth above 12")
	}
	return nil
}

// mortonTab[y<<4|x] interleaves the bits of x and y (z-scan order of 4x4
// blocks inside a 64x64 CTB).
var mortonTab = func() (t [256]uint8) {
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			var m uint8
			for b := 0; b < 4; b++ {
				m |= uint8((x>>b)&1) << (2 * b)
				m |= uint8((y>>b)&1) << (2*b + 1)
			}
			t[y<<4|x] = m
		}
	}
	return
}()

// setupTiles derives colBd, rowBd, CtbAddrRsToTs and TileId (6.5.1).
func (d *decoder) setupTiles() error {
	s, p := d.sps, d.pps
	W, H := s.picWCtb, s.picHCtb
	nc, nr := p.numTileCols, p.numTileRows
	if nc > W || nr > H {
		return formatErr("more tiles than CTBs")
	}
	colW := make([]int, nc)
	rowH := make([]int, nr)
	if p.uniformSpacing {
		for i := 0; i < nc; i++ {
			colW[i] = (i+1)*W/nc - i*W/nc
		}
		for j := 0; j < nr; j++ {
			rowH[j] = (j+1)*H/nr - j*H/nr
		}
	} else {
		sum := 0
		for i := 0; i < nc-1; i++ {
			colW[i] = p.colWidth[i]
			sum += colW[i]
		}
		if sum >= W {
			return formatErr("tile columns wider than the picture")
		}
		colW[nc-1] = W - sum
		sum = 0
		for j := 0; j < nr-1; j++ {
			rowH[j] = p.rowHeight[j]
			sum += rowH[j]
		}
		if sum >= H {
			return formatErr("tile rows taller than the picture")
		}
		rowH[nr-1] = H - sum
	}
	d.colBd = make([]int, nc+1)
	d.rowBd = make([]int, nr+1)
	for i := 0; i < nc; i++ {
		d.colBd[i+1] = d.colBd[i] + colW[i]
	}
	for j := 0; j < nr; j++ {
		d.rowBd[j+1] = d.rowBd[j] + rowH[j]
	}
	n := W * H
	d.rsToTs = make([]int32, n)
	d.tsToRs = make([]int32, n)
	d.tileID = make([]int32, n)
	// Tile column and row of each CTB column and row.
	tileOfX := make([]int, W)
	tileOfY := make([]int, H)
	d.colTile, d.rowTile = tileOfX, tileOfY
	d.colStart = make([]int, W)
	for i := 0; i < nc; i++ {
		for x := d.colBd[i]; x < d.colBd[i+1]; x++ {
			tileOfX[x] = i
			d.colStart[x] = d.colBd[i]
		}
	}
	for j := 0; j < nr; j++ {
		for y := d.rowBd[j]; y < d.rowBd[j+1]; y++ {
			tileOfY[y] = j
		}
	}
	for rs := 0; rs < n; rs++ {
		tbX, tbY := rs%W, rs/W
		tileX, tileY := tileOfX[tbX], tileOfY[tbY]
		// CTBs of the tile rows above, then of the tiles to the left in
		// this tile row, then within the tile.
		v := d.rowBd[tileY]*W + d.colBd[tileX]*rowH[tileY]
		v += (tbY-d.rowBd[tileY])*colW[tileX] + tbX - d.colBd[tileX]
		d.rsToTs[rs] = int32(v)
		d.tsToRs[v] = int32(rs)
		d.tileID[v] = int32(tileY*nc + tileX)
	}
	return nil
}

// tileColStart returns the first CTB column of the tile holding ctbX.
func (d *decoder) tileColStart(ctbX int) int { return d.colStart[ctbX] }

// available is the z-scan order availability process (6.4.1) for the
// luma location (xN, yN) seen from (xC, yC).
func (d *decoder) available(xC, yC, xN, yN int) bool {
	s := d.sps
	if xN < 0 || yN < 0 || xN >= s.width || yN >= s.height {
		return false
	}
	if d.zs[(yN>>2)*d.w4+xN>>2] > d.zs[(yC>>2)*d.w4+xC>>2] {
		return false
	}
	ctbN := (yN>>s.log2Ctb)*s.picWCtb + xN>>s.log2Ctb
	ctbC := (yC>>s.log2Ctb)*s.picWCtb + xC>>s.log2Ctb
	if ctbN == ctbC {
		return true
	}
	// Tiles first: another tile's CTBs may be being decoded in parallel.
	if d.tileID[d.rsToTs[ctbN]] != d.tileID[d.rsToTs[ctbC]] {
		return false
	}
	sn := d.ctbSlice[ctbN]
	return sn >= 0 && d.sliceHdrs[sn].sliceAddr == d.sliceHdrs[d.ctbSlice[ctbC]].sliceAddr
}

// decodeSliceSegment decodes slice_segment_data() (7.3.8.1). epb lists
// the positions of the emulation prevention bytes removed from the NAL
// unit payload to give rbsp. With several workers and entry points, the
// substreams are decoded in parallel (decodeParallel); otherwise, or when
// the entry points do not match the substreams, one after another.
func (d *decoder) decodeSliceSegment(ctx context.Context, sh *sliceHeader, rbsp []byte, epb []int) error {
	if len(d.sliceHdrs) >= 1<<15-1 {
		return formatErr("too many slice segments")
	}
	d.sliceHdrs = append(d.sliceHdrs, sh)
	d.sliceIdx = len(d.sliceHdrs) - 1
	d.sh = sh
	ts := int(d.rsToTs[sh.segmentAddr])
	d.segTs = ts
	if sh.dependent && ts > 0 && d.ctbSlice[d.tsToRs[ts-1]] < 0 {
		return formatErr("dependent slice segment does not follow its slice")
	}
	// Context initialisation at the start of the segment (9.3.1).
	if !sh.dependent {
		d.resetQpPrev = true
	}
	if d.workers > 1 && len(sh.entryOffsets) > 0 {
		if subs := d.planSubstreams(sh, ts, rbsp, epb); subs != nil {
			done, err := d.decodeParallel(ctx, rbsp, subs)
			if done {
				d.nParallel++
				return err
			}
			d.nRedone++
			// The entry points disagree with the substreams: decode
			// again one after another, as the data says.
			d.undecode(subs)
		}
	}
	d.cab = cabac{data: rbsp}
	d.cab.start(sh.dataOffset)
	first := true
	for {
		next, end, err := d.decodeSubstream(ctx, ts, first, nil)
		if err != nil || end {
			return err
		}
		d.cab.start(d.cab.pos)
		ts, first = next, false
	}
}

// decodeSubstream decodes CTUs in tile scan order from ts, the CABAC
// engine positioned at their data, up to the end of the slice segment or
// of the substream (a tile, or a CTB row of a tile with WPP). first marks
// the first CTU of the slice segment. It returns the address of the CTU
// after the last one decoded and whether the slice segment ended there.
// row, when not nil, is the substream's place in a wavefront: each CTU
// waits for the CTUs it depends on and reports its completion.
func (d *decoder) decodeSubstream(ctx context.Context, ts int, first bool, row *wfRow) (int, bool, error) {
	s, p, sh := d.sps, d.pps, d.sh
	nCtb := s.picWCtb * s.picHCtb
	for i := 0; ; i++ {
		if row != nil {
			if err := row.wait(d, i); err != nil {
				return ts, false, err
			}
		}
		rs := int(d.tsToRs[ts])
		ctbX, ctbY := rs%s.picWCtb, rs/s.picWCtb
		if d.ctbSlice[rs] >= 0 {
			return ts, false, formatErr("CTB decoded twice")
		}
		d.ctbSlice[rs] = int16(d.sliceIdx)
		x0, y0 := ctbX<<s.log2Ctb, ctbY<<s.log2Ctb
		firstInTile := ts == 0 || d.tileID[ts] != d.tileID[ts-1]
		rowStart := p.entropySync && ctbX == d.tileColStart(ctbX)
		if i == 0 || firstInTile || rowStart {
			switch {
			case first && i == 0 && !sh.dependent:
				initContexts(&d.ctx, sh.qpY)
			case firstInTile:
				initContexts(&d.ctx, sh.qpY)
			case rowStart:
				if d.available(x0, y0, x0+s.ctbSize, y0-s.ctbSize) {
					d.ctx = d.ctxWpp
				} else {
					initContexts(&d.ctx, sh.qpY)
				}
			case first && i == 0: // first CTU of a dependent segment
				d.ctx = d.ctxDs
			}
			if firstInTile || rowStart {
				d.resetQpPrev = true
			}
		}
		if err := d.codingTreeUnit(x0, y0, rs); err != nil {
			return ts, false, err
		}
		wppSave := p.entropySync && ctbX-d.tileColStart(ctbX) == 1
		if wppSave {
			d.ctxWpp = d.ctx
		}
		end := d.cab.decodeTerminate() == 1
		if d.cab.overrun {
			return ts, false, errTruncated
		}
		if row != nil {
			row.advance(d, i, wppSave)
		}
		if end {
			if p.dependentSlices {
				d.ctxDs = d.ctx
			}
			return ts + 1, true, nil
		}
		ts++
		if ts >= nCtb {
			return ts, false, formatErr("slice data runs past the end of the picture")
		}
		nrs := int(d.tsToRs[ts])
		nX := nrs % s.picWCtb
		if (p.tilesEnabled && d.tileID[ts] != d.tileID[ts-1]) ||
			(p.entropySync && nX == d.tileColStart(nX)) {
			if d.cab.decodeTerminate() != 1 {
				return ts, false, formatErr("end_of_subset_one_bit is 0")
			}
			return ts, false, ctx.Err()
		}
		if ctbX == s.picWCtb-1 || nX == d.tileColStart(nX) {
			if err := ctx.Err(); err != nil {
				return ts, false, err
			}
		}
	}
}

// finish runs the in-loop filters and returns the cropped picture.
func (d *decoder) finish(ctx context.Context) (*Picture, error) {
	for _, sl := range d.ctbSlice {
		if sl < 0 {
			return nil, formatErr("picture has undecoded CTBs (missing slices)")
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !d.noDeblock {
		d.deblock()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !d.noSAO {
		d.applySAO()
	}
	s := d.sps
	cfg := s.config()
	pic := &Picture{
		Width: cfg.Width, Height: cfg.Height,
		BitDepth: s.bitDepthY, BitDepthChroma: s.bitDepthC,
		ChromaFormat: s.chromaFormat,
		YStride:      d.stride[0],
		FullRange:    s.fullRange, ColourPrimaries: s.colourPrimaries,
		TransferCharacteristics: s.transfer, MatrixCoeffs: s.matrixCoeffs,
	}
	left, top := s.confWin[0], s.confWin[2]
	pic.Y = d.plane[0][top*d.stride[0]+left:]
	if d.numPlanes == 3 {
		pic.CStride = d.stride[1]
		pic.ChromaWidth, pic.ChromaHeight = cfg.Width/s.subW, cfg.Height/s.subH
		off := (top/s.subH)*d.stride[1] + left/s.subW
		pic.Cb = d.plane[1][off:]
		pic.Cr = d.plane[2][off:]
	}
	return pic, nil
}
