package hevc

// Slice data syntax (7.3.8): coding tree unit, SAO parameters, coding
// quadtree, coding unit, transform tree and transform unit, decoded and
// reconstructed in one pass.

// chroma422Mode is Table 8-3: the chroma intra mode used with 4:2:2 for
// the mode derived as for 4:2:0.
var chroma422Mode = [35]int{
	0, 1, 2, 2, 2, 2, 3, 5, 7, 8, 10, 12, 13, 15, 17, 18, 19, 20,
	21, 22, 23, 23, 24, 24, 25, 25, 26, 27, 27, 28, 28, 29, 29, 30, 31,
}

// codingTreeUnit parses coding_tree_unit() (7.3.8.2) at luma (x0, y0).
func (d *decoder) codingTreeUnit(x0, y0, rs int) error {
	d.ctbX0, d.ctbY0 = x0, y0
	if d.sh.saoLuma || d.sh.saoChroma {
		d.parseSAO(x0>>d.sps.log2Ctb, y0>>d.sps.log2Ctb, rs)
	}
	return d.codingQuadtree(x0, y0, d.sps.log2Ctb, 0)
}

// parseSAO parses sao() (7.3.8.3) into d.sao[rs].
func (d *decoder) parseSAO(rx, ry, rs int) {
	s, sh, c := d.sps, d.sh, &d.cab
	ts := d.rsToTs[rs]
	if rx > 0 && rs > sh.sliceAddr && d.tileID[ts] == d.tileID[d.rsToTs[rs-1]] {
		if c.decodeBin(&d.ctx[ctxSaoMerge]) == 1 {
			d.sao[rs] = d.sao[rs-1]
			return
		}
	}
	if ry > 0 && rs-s.picWCtb >= sh.sliceAddr && d.tileID[ts] == d.tileID[d.rsToTs[rs-s.picWCtb]] {
		if c.decodeBin(&d.ctx[ctxSaoMerge]) == 1 {
			d.sao[rs] = d.sao[rs-s.picWCtb]
			return
		}
	}
	sp := &d.sao[rs]
	*sp = saoCtb{}
	nComp := 1
	if s.chromaArrayType != 0 {
		nComp = 3
	}
	for cIdx := 0; cIdx < nComp; cIdx++ {
		if (cIdx == 0 && !sh.saoLuma) || (cIdx > 0 && !sh.saoChroma) {
			continue
		}
		typ := uint8(0)
		if cIdx == 2 {
			typ = sp.typ[1]
		} else if c.decodeBin(&d.ctx[ctxSaoType]) == 1 {
			typ = 1 + uint8(c.decodeBypass())
		}
		sp.typ[cIdx] = typ
		if typ == 0 {
			continue
		}
		bd := s.bitDepthY
		if cIdx > 0 {
			bd = s.bitDepthC
		}
		if bd > 10 {
			bd = 10
		}
		cMax := 1<<(bd-5) - 1
		var abs [4]int
		for i := range abs {
			for abs[i] < cMax && c.decodeBypass() == 1 {
				abs[i]++
			}
		}
		if typ == 1 {
			for i := range abs {
				if abs[i] != 0 && c.decodeBypass() == 1 {
					abs[i] = -abs[i]
				}
			}
			sp.class[cIdx] = uint8(c.decodeBypassBits(5))
		} else {
			abs[2], abs[3] = -abs[2], -abs[3]
			if cIdx == 2 {
				sp.class[2] = sp.class[1]
			} else {
				sp.class[cIdx] = uint8(c.decodeBypassBits(2))
			}
		}
		for i := range abs {
			sp.offset[cIdx][i] = int8(abs[i])
		}
	}
}

// idx4 returns the index of the 4x4 block holding luma sample (x, y).
func (d *decoder) idx4(x, y int) int { return (y>>2)*d.w4 + x>>2 }

// fill4 sets m over the luma rectangle (x0, y0, w, h) to v.
func (d *decoder) fill4(m []uint8, x0, y0, w, h int, v uint8) {
	for y := y0 >> 2; y < (y0+h)>>2; y++ {
		row := m[y*d.w4:]
		for x := x0 >> 2; x < (x0+w)>>2; x++ {
			row[x] = v
		}
	}
}

// codingQuadtree parses coding_quadtree() (7.3.8.4).
func (d *decoder) codingQuadtree(x0, y0, log2Size, depth int) error {
	s := d.sps
	size := 1 << log2Size
	split := log2Size > s.log2MinCb
	if x0+size <= s.width && y0+size <= s.height && log2Size > s.log2MinCb {
		inc := 0
		if d.available(x0, y0, x0-1, y0) && int(d.ctDepth[d.idx4(x0-1, y0)]) > depth {
			inc++
		}
		if d.available(x0, y0, x0, y0-1) && int(d.ctDepth[d.idx4(x0, y0-1)]) > depth {
			inc++
		}
		split = d.cab.decodeBin(&d.ctx[ctxSplitCu+inc]) == 1
	}
	if log2Size >= d.log2MinQG {
		d.newQG = true
		d.cuQpDeltaCoded = false
		d.cuQpDeltaVal = 0
	}
	if !split {
		return d.codingUnit(x0, y0, log2Size, depth)
	}
	h := size >> 1
	for i := 0; i < 4; i++ {
		x1, y1 := x0+(i&1)*h, y0+(i>>1)*h
		if x1 < s.width && y1 < s.height {
			if err := d.codingQuadtree(x1, y1, log2Size-1, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// startQG derives qPY_PRED for the quantization group holding (x0, y0)
// (8.6.1).
func (d *decoder) startQG(x0, y0 int) {
	mask := 1<<d.log2MinQG - 1
	xQg, yQg := x0&^mask, y0&^mask
	prev := d.lastQpY
	if d.resetQpPrev {
		prev = d.sh.qpY
		d.resetQpPrev = false
	}
	ctbMask := d.sps.ctbSize - 1
	qa, qb := prev, prev
	if xQg&ctbMask != 0 {
		qa = int(d.qpMap[d.idx4(xQg-1, yQg)])
	}
	if yQg&ctbMask != 0 {
		qb = int(d.qpMap[d.idx4(xQg, yQg-1)])
	}
	d.qgPredQp = (qa + qb + 1) >> 1
	d.newQG = false
}

// setQp derives QpY from the prediction and CuQpDeltaVal (8.6.1).
func (d *decoder) setQp() {
	off := d.sps.qpBdOffsetY
	d.qpY = (d.qgPredQp+d.cuQpDeltaVal+52+2*off)%(52+off) - off
}

// codingUnit parses coding_unit() (7.3.8.5) of an intra CU and
// reconstructs it.
func (d *decoder) codingUnit(x0, y0, log2Size, depth int) error {
	s, p, c := d.sps, d.pps, &d.cab
	size := 1 << log2Size
	d.cuLog2 = log2Size
	if d.newQG {
		d.startQG(x0, y0)
	}
	d.setQp()
	d.bypass = false
	if p.transquantBypass {
		d.bypass = c.decodeBin(&d.ctx[ctxTransquantBypass]) == 1
	}
	nxn := false
	if log2Size == s.log2MinCb {
		nxn = c.decodeBin(&d.ctx[ctxPartMode]) == 0
		if nxn && log2Size == 3 && s.log2MinTb > 2 {
			return formatErr("NxN partition below the minimum transform size")
		}
	}
	d.fill4(d.ctDepth, x0, y0, size, size, uint8(depth))
	pcm := false
	if !nxn && s.pcmEnabled && log2Size >= s.log2MinPcm && log2Size <= s.log2MaxPcm {
		pcm = c.decodeTerminate() == 1
	}
	if pcm {
		d.fill4(d.intraMode, x0, y0, size, size, 1)
		if err := d.decodePCM(x0, y0, log2Size); err != nil {
			return err
		}
		d.markEdges(x0, y0, size)
	} else {
		d.parseIntraModes(x0, y0, log2Size, nxn)
		maxDepth := s.maxTrDepthIntra
		if nxn {
			maxDepth++
		}
		if err := d.transformTree(x0, y0, x0, y0, x0, y0, log2Size, 0, 0, maxDepth, nxn, 0, 0); err != nil {
			return err
		}
	}
	for y := y0 >> 2; y < (y0+size)>>2; y++ {
		row := d.qpMap[y*d.w4:]
		for x := x0 >> 2; x < (x0+size)>>2; x++ {
			row[x] = int8(d.qpY)
		}
	}
	if d.bypass || (pcm && s.pcmLoopFilterOff) {
		d.fill4(d.noFilter, x0, y0, size, size, 1)
	}
	d.lastQpY = d.qpY
	return nil
}

// parseIntraModes parses prev_intra_luma_pred_flag, mpm_idx,
// rem_intra_luma_pred_mode and intra_chroma_pred_mode and derives the
// prediction modes (8.4.2, 8.4.3).
func (d *decoder) parseIntraModes(x0, y0, log2Size int, nxn bool) {
	s, c := d.sps, &d.cab
	nPB, pbSize := 1, 1<<log2Size
	if nxn {
		nPB, pbSize = 4, pbSize>>1
	}
	var prevFlag [4]int
	for j := 0; j < nPB; j++ {
		prevFlag[j] = c.decodeBin(&d.ctx[ctxPrevIntraLuma])
	}
	var lumaMode [4]int
	for j := 0; j < nPB; j++ {
		xPb, yPb := x0+(j&1)*pbSize, y0+(j>>1)*pbSize
		a, b := 1, 1
		if d.available(xPb, yPb, xPb-1, yPb) {
			a = int(d.intraMode[d.idx4(xPb-1, yPb)])
		}
		if yPb-1 >= d.ctbY0 && d.available(xPb, yPb, xPb, yPb-1) {
			b = int(d.intraMode[d.idx4(xPb, yPb-1)])
		}
		var cand [3]int
		if a == b {
			if a < 2 {
				cand = [3]int{0, 1, 26}
			} else {
				cand = [3]int{a, 2 + (a+29)%32, 2 + (a-2+1)%32}
			}
		} else {
			cand[0], cand[1] = a, b
			switch {
			case a != 0 && b != 0:
				cand[2] = 0
			case a != 1 && b != 1:
				cand[2] = 1
			default:
				cand[2] = 26
			}
		}
		var mode int
		if prevFlag[j] == 1 {
			idx := 0
			if c.decodeBypass() == 1 {
				idx = 1 + c.decodeBypass()
			}
			mode = cand[idx]
		} else {
			mode = int(c.decodeBypassBits(5))
			if cand[0] > cand[1] {
				cand[0], cand[1] = cand[1], cand[0]
			}
			if cand[0] > cand[2] {
				cand[0], cand[2] = cand[2], cand[0]
			}
			if cand[1] > cand[2] {
				cand[1], cand[2] = cand[2], cand[1]
			}
			for i := 0; i < 3; i++ {
				if mode >= cand[i] {
					mode++
				}
			}
		}
		lumaMode[j] = mode
		d.fill4(d.intraMode, xPb, yPb, pbSize, pbSize, uint8(mode))
	}
	if s.chromaArrayType == 0 {
		return
	}
	nC := 1
	if s.chromaArrayType == 3 && nxn {
		nC = 4
	}
	for j := 0; j < nC; j++ {
		idx := 4
		if c.decodeBin(&d.ctx[ctxIntraChroma]) == 1 {
			idx = int(c.decodeBypassBits(2))
		}
		x := lumaMode[j]
		mode := x
		if idx < 4 {
			mode = [4]int{0, 26, 10, 1}[idx]
			if mode == x {
				mode = 34
			}
		}
		d.chromaMode[j] = mode
	}
	if nC == 1 {
		d.chromaMode[1], d.chromaMode[2], d.chromaMode[3] = d.chromaMode[0], d.chromaMode[0], d.chromaMode[0]
	}
}

// decodePCM reads pcm_sample() (7.3.8.7) at the byte position the
// arithmetic decoder stopped at, then restarts the decoder (9.3.2.5).
func (d *decoder) decodePCM(x0, y0, log2Size int) error {
	s := d.sps
	r := newBitReader(d.cab.data[d.cab.pos:])
	size := 1 << log2Size
	read := func(cIdx, x0, y0, w, h, pcmBits, bd int) {
		pl, st := d.plane[cIdx], d.stride[cIdx]
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				pl[(y0+y)*st+x0+x] = uint16(r.u(pcmBits) << uint(bd-pcmBits))
			}
		}
	}
	read(0, x0, y0, size, size, s.pcmBitDepthY, s.bitDepthY)
	if s.chromaArrayType != 0 {
		w, h := size/s.subW, size/s.subH
		read(1, x0/s.subW, y0/s.subH, w, h, s.pcmBitDepthC, s.bitDepthC)
		read(2, x0/s.subW, y0/s.subH, w, h, s.pcmBitDepthC, s.bitDepthC)
	}
	if r.eof {
		return errTruncated
	}
	d.cab.start(d.cab.pos + (r.pos+7)>>3)
	return nil
}

// markEdges records the left and top edges of a luma transform block of
// the given size for deblocking (8.7.2.3), unless they lie on the picture
// boundary, on a slice or tile boundary that must not be filtered, or in
// a slice with deblocking disabled.
func (d *decoder) markEdges(x0, y0, size int) {
	sh := d.sh
	if sh.deblockOff {
		return
	}
	if x0&7 == 0 && x0 > 0 && d.filterAcross(x0, y0, x0-1, y0) {
		for y := y0 >> 2; y < (y0+size)>>2 && y < d.h4; y++ {
			d.edgeV[y*d.w4+x0>>2] = 1
		}
	}
	if y0&7 == 0 && y0 > 0 && d.filterAcross(x0, y0, x0, y0-1) {
		row := d.edgeH[(y0>>2)*d.w4:]
		for x := x0 >> 2; x < (x0+size)>>2 && x < d.w4; x++ {
			row[x] = 1
		}
	}
}

// filterAcross reports whether deblocking may cross from (x, y) to the
// neighbouring luma sample (xN, yN) on the slice and tile level.
func (d *decoder) filterAcross(x, y, xN, yN int) bool {
	s := d.sps
	if x>>s.log2Ctb == xN>>s.log2Ctb && y>>s.log2Ctb == yN>>s.log2Ctb {
		return true
	}
	ctb := (y>>s.log2Ctb)*s.picWCtb + x>>s.log2Ctb
	ctbN := (yN>>s.log2Ctb)*s.picWCtb + xN>>s.log2Ctb
	// The neighbour (left or above) precedes (x, y) in tile scan. From
	// the current segment, it is in the current slice: decoded already,
	// or being decoded by another substream (a tile to the left).
	if int(d.rsToTs[ctbN]) < d.segTs {
		sn := d.ctbSlice[ctbN]
		if sn < 0 {
			return false
		}
		if !d.sh.lfAcrossSlices && d.sliceHdrs[sn].sliceAddr != d.sh.sliceAddr {
			return false
		}
	}
	if !d.pps.loopFilterAcrossTiles && d.tileID[d.rsToTs[ctb]] != d.tileID[d.rsToTs[ctbN]] {
		return false
	}
	return true
}

// transformTree parses transform_tree() (7.3.8.8). (xCu, yCu) is the
// coding unit's origin; cbfCbP and cbfCrP are the parent's chroma flags.
//
// Chroma coded block flags are bit masks: bit 0 for the (upper) chroma
// block, bit 1 for the lower one of a 4:2:2 transform unit.
func (d *decoder) transformTree(xCu, yCu, x0, y0, xBase, yBase, log2Size, depth, blkIdx, maxDepth int, nxn bool, cbfCbP, cbfCrP uint8) error {
	s, c := d.sps, &d.cab
	var split bool
	if log2Size <= s.log2MaxTb && log2Size > s.log2MinTb && depth < maxDepth && !(nxn && depth == 0) {
		split = c.decodeBin(&d.ctx[ctxSplitTransform+5-log2Size]) == 1
	} else {
		split = log2Size > s.log2MaxTb || (nxn && depth == 0)
	}
	cat := s.chromaArrayType
	var cbfCb, cbfCr uint8
	if (log2Size > 2 && cat != 0) || cat == 3 {
		two := cat == 2 && (!split || log2Size == 3)
		if depth == 0 || cbfCbP&1 != 0 {
			cbfCb = uint8(c.decodeBin(&d.ctx[ctxCbfChroma+depth]))
			if two {
				cbfCb |= uint8(c.decodeBin(&d.ctx[ctxCbfChroma+depth])) << 1
			}
		}
		if depth == 0 || cbfCrP&1 != 0 {
			cbfCr = uint8(c.decodeBin(&d.ctx[ctxCbfChroma+depth]))
			if two {
				cbfCr |= uint8(c.decodeBin(&d.ctx[ctxCbfChroma+depth])) << 1
			}
		}
	} else if cat != 0 {
		// 4x4 luma blocks of 4:2:0 and 4:2:2: chroma is coded once, with the
		// parent's flags, after the fourth block.
		cbfCb, cbfCr = cbfCbP, cbfCrP
	}
	if split {
		h := 1 << (log2Size - 1)
		for i := 0; i < 4; i++ {
			if err := d.transformTree(xCu, yCu, x0+(i&1)*h, y0+(i>>1)*h, x0, y0, log2Size-1, depth+1, i, maxDepth, nxn, cbfCb, cbfCr); err != nil {
				return err
			}
		}
		return nil
	}
	inc := 0
	if depth == 0 {
		inc = 1
	}
	cbfLuma := c.decodeBin(&d.ctx[ctxCbfLuma+inc]) == 1
	return d.transformUnit(xCu, yCu, x0, y0, xBase, yBase, log2Size, blkIdx, cbfLuma, cbfCb, cbfCr)
}

// transformUnit parses transform_unit() (7.3.8.10) and reconstructs its
// blocks: each is predicted (8.4.4.1) and its residual added.
func (d *decoder) transformUnit(xCu, yCu, x0, y0, xBase, yBase, log2Size, blkIdx int, cbfLuma bool, cbfCb, cbfCr uint8) error {
	s, p, c := d.sps, d.pps, &d.cab
	d.markEdges(x0, y0, 1<<log2Size)
	// (4:2:2: the boundary between the two chroma blocks of a unit is
	// not a luma transform edge and is not deblocked, 8.7.2.)
	if (cbfLuma || cbfCb != 0 || cbfCr != 0) && p.cuQpDeltaEnabled && !d.cuQpDeltaCoded {
		v := 0
		for v < 5 && c.decodeBin(&d.ctx[ctxCuQpDeltaAbs+min(v, 1)]) == 1 {
			v++
		}
		if v == 5 {
			k := 0
			for c.decodeBypass() == 1 {
				v += 1 << k
				k++
				if k > 20 {
					return formatErr("cu_qp_delta_abs too large")
				}
			}
			v += int(c.decodeBypassBits(k))
		}
		if v > 0 && c.decodeBypass() == 1 {
			v = -v
		}
		lim := 26 + s.qpBdOffsetY/2
		if v < -lim || v > lim-1 {
			return formatErr("CuQpDeltaVal out of range")
		}
		d.cuQpDeltaVal = v
		d.cuQpDeltaCoded = true
		d.setQp()
	}
	mode := int(d.intraMode[d.idx4(x0, y0)])
	if err := d.reconstructBlock(0, x0, y0, log2Size, mode, cbfLuma); err != nil {
		return err
	}
	cat := s.chromaArrayType
	if cat == 0 {
		return nil
	}
	xC, yC, log2C := x0, y0, log2Size
	switch {
	case cat == 3:
	case log2Size > 2:
		xC, yC, log2C = x0/s.subW, y0/s.subH, log2Size-1
	case blkIdx == 3:
		xC, yC, log2C = xBase/s.subW, yBase/s.subH, 2
	default:
		return nil
	}
	cm := d.chromaMode[0]
	if cat == 3 {
		half := 1 << (d.cuLog2 - 1)
		j := 0
		if x0-xCu >= half {
			j |= 1
		}
		if y0-yCu >= half {
			j |= 2
		}
		cm = d.chromaMode[j]
	}
	if cat == 2 {
		cm = chroma422Mode[cm]
	}
	nBlk := 1
	if cat == 2 {
		nBlk = 2
	}
	for cIdx, cbf := range [2]uint8{cbfCb, cbfCr} {
		for t := 0; t < nBlk; t++ {
			if err := d.reconstructBlock(1+cIdx, xC, yC+t<<log2C, log2C, cm, cbf>>t&1 != 0); err != nil {
				return err
			}
		}
	}
	return nil
}
