package hevc

// Sample adaptive offset (8.7.3), applied per CTB to the deblocked
// picture. Neighbours are read from a copy of the deblocked planes.

// saoEdgeOffsets is (hPos, vPos) of the two neighbours per edge class
// (Table 8-13).
var saoEdgeOffsets = [4][2][2]int{
	{{-1, 0}, {1, 0}},
	{{0, -1}, {0, 1}},
	{{-1, -1}, {1, 1}},
	{{1, -1}, {-1, 1}},
}

// saoEdgeMap maps 2 + Sign(a) + Sign(b) to edgeIdx (8-388).
var saoEdgeMap = [5]int{1, 2, 0, 3, 4}

// applySAO applies SAO to every component, in bands of CTB rows run by
// d.workers goroutines. SAO reads the deblocked samples around each one,
// so each band works from copies of deblocked rows: its own, the row
// above it and the row below it, the last two saved before any band
// starts.
func (d *decoder) applySAO() {
	any := false
	for _, sh := range d.sliceHdrs {
		if sh.saoLuma || sh.saoChroma {
			any = true
		}
	}
	if !any {
		return
	}
	s := d.sps
	n := s.picHCtb
	k := max(min(d.workers, n), 1)
	for cIdx := 0; cIdx < d.numPlanes; cIdx++ {
		subH := 1
		if cIdx > 0 {
			subH = s.subH
		}
		ctbH := s.ctbSize / subH
		w, h, st := d.pw[cIdx], d.ph[cIdx], d.stride[cIdx]
		pl := d.plane[cIdx]
		// The deblocked rows on either side of each band boundary (bands
		// as d.bands splits them).
		above := make([][]uint16, n+1)
		below := make([][]uint16, n+1)
		for i := 1; i < k; i++ {
			y := i * n / k * ctbH
			above[i*n/k] = append([]uint16(nil), pl[(y-1)*st:(y-1)*st+w]...)
			below[i*n/k] = append([]uint16(nil), pl[y*st:y*st+w]...)
		}
		d.bands(n, func(ry0, ry1 int) {
			d.saoRows(cIdx, ry0, ry1, ctbH, w, h, above[ry0], below[ry1])
		})
	}
}

// saoRows applies SAO to component cIdx of CTB rows ry0..ry1-1; above and
// below are the deblocked rows next to the band (nil at the picture
// edges or when there is a single band: then the plane has them).
func (d *decoder) saoRows(cIdx, ry0, ry1, ctbH, w, h int, above, below []uint16) {
	s := d.sps
	st := d.stride[cIdx]
	pl := d.plane[cIdx]
	// buf holds the deblocked rows y0-1 .. y1 of one CTB row; prev
	// keeps the deblocked last row of the previous CTB row, which SAO
	// has overwritten in the plane by then.
	buf := make([]uint16, (ctbH+2)*w)
	prev := make([]uint16, w)
	if ry0 > 0 {
		if above == nil {
			above = pl[(ry0*ctbH-1)*st:]
		}
		copy(prev, above[:w])
	}
	for ry := ry0; ry < ry1; ry++ {
		y0 := ry * ctbH
		y1 := min(y0+ctbH, h)
		on := false
		for rx := 0; rx < s.picWCtb; rx++ {
			rs := ry*s.picWCtb + rx
			sh := d.sliceHdrs[d.ctbSlice[rs]]
			if d.sao[rs].typ[cIdx] != 0 && ((cIdx == 0 && sh.saoLuma) || (cIdx > 0 && sh.saoChroma)) {
				on = true
			}
		}
		if on {
			if ry > 0 {
				copy(buf, prev)
			}
			for y := y0; y < y1; y++ {
				copy(buf[(y-y0+1)*w:(y-y0+2)*w], pl[y*st:y*st+w])
			}
			if y1 < h {
				next := pl[y1*st : y1*st+w]
				if ry == ry1-1 && below != nil {
					next = below
				}
				copy(buf[(y1-y0+1)*w:(y1-y0+2)*w], next)
			}
		}
		copy(prev, pl[(y1-1)*st:(y1-1)*st+w])
		if !on {
			continue
		}
		for rx := 0; rx < s.picWCtb; rx++ {
			rs := ry*s.picWCtb + rx
			sh := d.sliceHdrs[d.ctbSlice[rs]]
			if (cIdx == 0 && !sh.saoLuma) || (cIdx > 0 && !sh.saoChroma) || d.sao[rs].typ[cIdx] == 0 {
				continue
			}
			d.saoCTB(cIdx, rx, ry, buf, y0-1)
		}
	}
}

// saoCTB applies SAO to component cIdx of the CTB at (rx, ry); src holds
// deblocked rows from srcY0 on, with the plane's width as stride.
func (d *decoder) saoCTB(cIdx, rx, ry int, src []uint16, srcY0 int) {
	s, p := d.sps, d.pps
	sp := &d.sao[ry*s.picWCtb+rx]
	subW, subH, bd := 1, 1, s.bitDepthY
	if cIdx > 0 {
		subW, subH, bd = s.subW, s.subH, s.bitDepthC
	}
	ctbW, ctbH := s.ctbSize/subW, s.ctbSize/subH
	x0, y0 := rx*ctbW, ry*ctbH
	x1, y1 := min(x0+ctbW, d.pw[cIdx]), min(y0+ctbH, d.ph[cIdx])
	st := d.stride[cIdx]
	sst := d.pw[cIdx]
	dst := d.plane[cIdx]
	maxV := 1<<uint(bd) - 1
	var off [5]int
	for i := 0; i < 4; i++ {
		off[i+1] = int(sp.offset[cIdx][i])
	}
	checkNF := s.pcmLoopFilterOff || p.transquantBypass
	if sp.typ[cIdx] == 1 {
		var band [32]int
		pos := int(sp.class[cIdx])
		for k := 0; k < 4; k++ {
			band[(k+pos)&31] = k + 1
		}
		shift := uint(bd - 5)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if checkNF && d.noFilter[d.idx4(x*subW, y*subH)] != 0 {
					continue
				}
				v := int(src[(y-srcY0)*sst+x])
				if b := band[v>>shift]; b != 0 {
					dst[y*st+x] = uint16(clip3(0, maxV, v+off[b]))
				}
			}
		}
		return
	}
	// Which neighbouring CTBs may be read (8.7.3.2: picture, slice and
	// tile boundaries).
	var usable [3][3]bool
	curRs := ry*s.picWCtb + rx
	curTs := d.rsToTs[curRs]
	cur := d.sliceHdrs[d.ctbSlice[curRs]]
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			nx, ny := rx+dx, ry+dy
			if nx < 0 || ny < 0 || nx >= s.picWCtb || ny >= s.picHCtb {
				continue
			}
			nRs := ny*s.picWCtb + nx
			nTs := d.rsToTs[nRs]
			nb := d.sliceHdrs[d.ctbSlice[nRs]]
			ok := true
			if nb.sliceAddr != cur.sliceAddr {
				if (nTs < curTs && !cur.lfAcrossSlices) || (nTs > curTs && !nb.lfAcrossSlices) {
					ok = false
				}
			}
			if !p.loopFilterAcrossTiles && d.tileID[nTs] != d.tileID[curTs] {
				ok = false
			}
			usable[dy+1][dx+1] = ok
		}
	}
	eo := saoEdgeOffsets[sp.class[cIdx]]
	// Neighbour offsets in src for the fast path.
	oa := eo[0][1]*sst + eo[0][0]
	ob := eo[1][1]*sst + eo[1][0]
	for y := y0; y < y1; y++ {
		srow := (y - srcY0) * sst
		innerRow := y > y0 && y < y1-1
		for x := x0; x < x1; x++ {
			if checkNF && d.noFilter[d.idx4(x*subW, y*subH)] != 0 {
				continue
			}
			i := srow + x
			v := int(src[i])
			edge := 2
			if innerRow && x > x0 && x < x1-1 {
				// Both neighbours lie inside this CTB.
				a, b := int(src[i+oa]), int(src[i+ob])
				if v > a {
					edge++
				} else if v < a {
					edge--
				}
				if v > b {
					edge++
				} else if v < b {
					edge--
				}
			} else {
				skip := false
				for _, o := range eo {
					nx, ny := x+o[0], y+o[1]
					cx, cy := 1, 1
					if nx < x0 {
						cx = 0
					} else if nx >= x0+ctbW {
						cx = 2
					}
					if ny < y0 {
						cy = 0
					} else if ny >= y0+ctbH {
						cy = 2
					}
					if nx >= d.pw[cIdx] || ny >= d.ph[cIdx] || !usable[cy][cx] {
						skip = true
						break
					}
					n := int(src[(ny-srcY0)*sst+nx])
					if v > n {
						edge++
					} else if v < n {
						edge--
					}
				}
				if skip {
					continue
				}
			}
			if k := saoEdgeMap[edge]; k != 0 {
				dst[y*st+x] = uint16(clip3(0, maxV, v+off[k]))
			}
		}
	}
}
