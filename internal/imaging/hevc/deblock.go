package hevc

import "sync"

// Deblocking filter (8.7.2). In an intra picture every transform and
// prediction block edge on the 8x8 grid has boundary strength 2, so the
// edge maps built while decoding (markEdges) are all the filter needs:
// vertical edges of the whole picture are filtered first, then horizontal
// edges on the result, as the spec orders them.

// betaTable and tcTable are Table 8-12 (β′ by Q 0..51, tC′ by Q 0..53).
var betaTable = [52]int{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56,
	58, 60, 62, 64,
}

var tcTable = [54]int{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20,
	22, 24,
}

// bS is the boundary strength of every filtered edge of an intra picture.
const bS = 2

// sliceAt returns the header of the slice holding luma sample (x, y).
func (d *decoder) sliceAt(x, y int) *sliceHeader {
	s := d.sps
	return d.sliceHdrs[d.ctbSlice[(y>>s.log2Ctb)*s.picWCtb+x>>s.log2Ctb]]
}

// deblock filters the vertical edges of the whole picture, then the
// horizontal ones, each pass split into bands of 4-row edge lines run by
// d.workers goroutines. The bands do not interact within a pass: a
// vertical edge segment reads and writes only its own 4 rows, and a
// horizontal edge at row y (a multiple of 8) reads rows y-4..y+3 and
// writes y-3..y+2 (chroma: fewer), which no other edge touches.
func (d *decoder) deblock() {
	any := false
	for _, sh := range d.sliceHdrs {
		if !sh.deblockOff {
			any = true
		}
	}
	if !any {
		return
	}
	for _, vertical := range []bool{true, false} {
		d.bands(d.h4, func(y0, y1 int) { d.deblockRows(vertical, y0, y1) })
	}
}

// bands runs f over [0, n) split into contiguous bands, one per worker,
// and returns when all are done.
func (d *decoder) bands(n int, f func(lo, hi int)) {
	k := min(d.workers, n)
	if k <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i*n/k, (i+1)*n/k)
		}()
	}
	wg.Wait()
}

// deblockRows filters the vertical or the horizontal edges of the 4x4
// block rows y0..y1-1.
func (d *decoder) deblockRows(vertical bool, y0, y1 int) {
	edges := d.edgeH
	if vertical {
		edges = d.edgeV
	}
	for y4 := y0; y4 < y1; y4++ {
		row := edges[y4*d.w4:]
		for x4 := 0; x4 < d.w4; x4++ {
			if row[x4] == 0 {
				continue
			}
			x, y := x4<<2, y4<<2
			d.lumaEdge(x, y, vertical)
			if d.numPlanes == 3 {
				s := d.sps
				// Chroma edges lie on the 8x8 chroma grid.
				if (vertical && (x/s.subW)&7 == 0) || (!vertical && (y/s.subH)&7 == 0) {
					d.chromaEdge(1, x, y, vertical)
					d.chromaEdge(2, x, y, vertical)
				}
			}
		}
	}
}

// lumaEdge filters the 4-sample luma edge segment whose first q0 sample
// is (x, y) (8.7.2.5.3, 8.7.2.5.6, 8.7.2.5.7).
func (d *decoder) lumaEdge(x, y int, vertical bool) {
	s := d.sps
	xp, yp := x-1, y
	if !vertical {
		xp, yp = x, y-1
	}
	iq, ip := d.idx4(x, y), d.idx4(xp, yp)
	qpL := (int(d.qpMap[iq]) + int(d.qpMap[ip]) + 1) >> 1
	sh := d.sliceAt(x, y)
	bd := s.bitDepthY
	beta := betaTable[min(max(qpL+sh.betaOffsetDiv2*2, 0), 51)] << uint(bd-8)
	tc := tcTable[min(max(qpL+2*(bS-1)+sh.tcOffsetDiv2*2, 0), 53)] << uint(bd-8)
	if tc == 0 && beta == 0 {
		return
	}
	st := d.stride[0]
	pl := d.plane[0]
	across, along := 1, st
	if !vertical {
		across, along = st, 1
	}
	base := y*st + x
	P := func(i, k int) int { return int(pl[base+k*along-(i+1)*across]) }
	Q := func(i, k int) int { return int(pl[base+k*along+i*across]) }
	dp0 := abs(P(2, 0) - 2*P(1, 0) + P(0, 0))
	dp3 := abs(P(2, 3) - 2*P(1, 3) + P(0, 3))
	dq0 := abs(Q(2, 0) - 2*Q(1, 0) + Q(0, 0))
	dq3 := abs(Q(2, 3) - 2*Q(1, 3) + Q(0, 3))
	dpq0, dpq3 := dp0+dq0, dp3+dq3
	if dpq0+dpq3 >= beta {
		return
	}
	sam := func(k, dpq int) bool {
		return dpq < beta>>2 && abs(P(3, k)-P(0, k))+abs(Q(0, k)-Q(3, k)) < beta>>3 &&
			abs(P(0, k)-Q(0, k)) < (5*tc+1)>>1
	}
	strong := sam(0, 2*dpq0) && sam(3, 2*dpq3)
	dEp := dp0+dp3 < (beta+beta>>1)>>3
	dEq := dq0+dq3 < (beta+beta>>1)>>3
	filterP := d.noFilter[ip] == 0
	filterQ := d.noFilter[iq] == 0
	maxV := 1<<uint(bd) - 1
	for k := 0; k < 4; k++ {
		o := base + k*along
		p0, p1, p2, p3 := P(0, k), P(1, k), P(2, k), P(3, k)
		q0, q1, q2, q3 := Q(0, k), Q(1, k), Q(2, k), Q(3, k)
		if strong {
			if filterP {
				pl[o-across] = uint16(clip3(p0-2*tc, p0+2*tc, (p2+2*p1+2*p0+2*q0+q1+4)>>3))
				pl[o-2*across] = uint16(clip3(p1-2*tc, p1+2*tc, (p2+p1+p0+q0+2)>>2))
				pl[o-3*across] = uint16(clip3(p2-2*tc, p2+2*tc, (2*p3+3*p2+p1+p0+q0+4)>>3))
			}
			if filterQ {
				pl[o] = uint16(clip3(q0-2*tc, q0+2*tc, (p1+2*p0+2*q0+2*q1+q2+4)>>3))
				pl[o+across] = uint16(clip3(q1-2*tc, q1+2*tc, (p0+q0+q1+q2+2)>>2))
				pl[o+2*across] = uint16(clip3(q2-2*tc, q2+2*tc, (p0+q0+q1+3*q2+2*q3+4)>>3))
			}
			continue
		}
		delta := (9*(q0-p0) - 3*(q1-p1) + 8) >> 4
		if abs(delta) >= tc*10 {
			continue
		}
		delta = clip3(-tc, tc, delta)
		if filterP {
			pl[o-across] = uint16(clip3(0, maxV, p0+delta))
			if dEp {
				dp := clip3(-(tc >> 1), tc>>1, (((p2+p0+1)>>1)-p1+delta)>>1)
				pl[o-2*across] = uint16(clip3(0, maxV, p1+dp))
			}
		}
		if filterQ {
			pl[o] = uint16(clip3(0, maxV, q0-delta))
			if dEq {
				dq := clip3(-(tc >> 1), tc>>1, (((q2+q0+1)>>1)-q1-delta)>>1)
				pl[o+across] = uint16(clip3(0, maxV, q1+dq))
			}
		}
	}
}

// chromaEdge filters the chroma samples of component cIdx along the luma
// edge segment starting at (x, y) (8.7.2.5.5).
func (d *decoder) chromaEdge(cIdx, x, y int, vertical bool) {
	s, p := d.sps, d.pps
	xp, yp := x-1, y
	if !vertical {
		xp, yp = x, y-1
	}
	iq, ip := d.idx4(x, y), d.idx4(xp, yp)
	off := p.cbQpOffset
	if cIdx == 2 {
		off = p.crQpOffset
	}
	qPi := ((int(d.qpMap[iq]) + int(d.qpMap[ip]) + 1) >> 1) + off
	qpC := d.chromaQp(qPi)
	sh := d.sliceAt(x, y)
	bd := s.bitDepthC
	tc := tcTable[min(max(qpC+2*(bS-1)+sh.tcOffsetDiv2*2, 0), 53)] << uint(bd-8)
	if tc == 0 {
		return
	}
	st := d.stride[cIdx]
	pl := d.plane[cIdx]
	xc, yc := x/s.subW, y/s.subH
	across, along, n := 1, st, 4/s.subH
	if !vertical {
		across, along, n = st, 1, 4/s.subW
	}
	filterP := d.noFilter[ip] == 0
	filterQ := d.noFilter[iq] == 0
	maxV := 1<<uint(bd) - 1
	for k := 0; k < n; k++ {
		o := yc*st + xc + k*along
		p0, p1 := int(pl[o-across]), int(pl[o-2*across])
		q0, q1 := int(pl[o]), int(pl[o+across])
		delta := clip3(-tc, tc, ((((q0 - p0) << 2) + p1 - q1 + 4) >> 3))
		if filterP {
			pl[o-across] = uint16(clip3(0, maxV, p0+delta))
		}
		if filterQ {
			pl[o] = uint16(clip3(0, maxV, q0-delta))
		}
	}
}

func clip3(lo, hi, v int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
