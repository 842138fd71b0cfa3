package webpenc

// Intra prediction (RFC 6386 section 12). The predictors read a work
// buffer with stride bps: row 0 holds the top border (top-left at column 3,
// top at columns 4.., and for luma the top-right overhang at 20..23), column
// 3 of rows 1.. the left border, and the block itself starts at (1, 4).
// Borders outside the frame are 127 (above) and 129 (left), as the decoder
// synthesises them.

const (
	bps    = 32
	offPix = bps + 4 // first pixel of the block in a work buffer
)

// Macroblock-level luma / chroma modes (section 11.2, 16×16 and 8×8).
const (
	predDC = iota
	predV
	predH
	predTM
	predB // luma: 4×4 subblock modes (B_PRED)

	numPredModes = 4
)

// Subblock modes, numbered in bmode tree leaf order (section 11.2).
const (
	bDC = iota
	bTM
	bVE
	bHE
	bRD
	bVR
	bLD
	bVL
	bHD
	bHU
	numBModes
)

// impliedBMode is the subblock mode a 16×16 mode stands for as the context
// of neighbouring B_PRED subblocks (section 11.3).
var impliedBMode = [numPredModes]uint8{bDC, bVE, bHE, bTM}

func clip255(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// predictBlock writes the n×n (16 or 8) prediction of mode into dst
// (stride n) from work buffer w. hasTop/hasLeft select the DC variants.
func predictBlock(dst []uint8, w []uint8, n int, mode int, hasTop, hasLeft bool) {
	top := w[4 : 4+n]
	switch mode {
	case predDC:
		var sum, cnt int
		if hasTop {
			for _, v := range top {
				sum += int(v)
			}
			cnt += n
		}
		if hasLeft {
			for y := 0; y < n; y++ {
				sum += int(w[(y+1)*bps+3])
			}
			cnt += n
		}
		dc := uint8(128)
		if cnt > 0 {
			dc = uint8((sum + cnt/2) / cnt)
		}
		for i := range dst[:n*n] {
			dst[i] = dc
		}
	case predV:
		for y := 0; y < n; y++ {
			copy(dst[y*n:y*n+n], top)
		}
	case predH:
		for y := 0; y < n; y++ {
			l := w[(y+1)*bps+3]
			row := dst[y*n : y*n+n]
			for x := range row {
				row[x] = l
			}
		}
	case predTM:
		tl := int32(w[3])
		for y := 0; y < n; y++ {
			l := int32(w[(y+1)*bps+3]) - tl
			row := dst[y*n : y*n+n]
			for x := range row {
				row[x] = clip255(l + int32(top[x]))
			}
		}
	}
}

func avg3(a, b, c uint8) uint8 { return uint8((int(a) + 2*int(b) + int(c) + 2) >> 2) }
func avg2(a, b uint8) uint8    { return uint8((int(a) + int(b) + 1) >> 1) }

// predictAll4 writes the 4×4 prediction of every subblock mode into
// preds (stride 4); w points at the subblock's first pixel in a luma work
// buffer, so its top row is w[at-bps:], its left column w[at-1+k*bps] and
// the top-right overhang w[at-bps+4:at-bps+8]. Mode decision ranks all ten
// modes of every subblock, so the edge filters the directional modes
// share (section 12.3) are computed once: the edge e runs from the bottom
// left through the top-left corner to the top right, and every directional
// predictor row is four values of e, of its 3-tap average or of its 2-tap
// average.
func predictAll4(preds *[numBModes][16]uint8, w []uint8, at int) {
	top := w[at-bps-1 : at-bps+8 : at-bps+8] // corner, above, above-right
	var e [edgeLen]uint8
	e[0], e[1], e[2], e[3] = w[at+3*bps-1], w[at+2*bps-1], w[at+bps-1], w[at-1]
	copy(e[4:], top)
	// 256 entries: a uint8 tap needs no bounds check.
	var bank [256]uint8
	copy(bank[:], e[:])
	bank[avg3At] = avg3(e[0], e[0], e[1])
	for i := 1; i < edgeLen-1; i++ {
		bank[avg3At+i] = avg3(e[i-1], e[i], e[i+1])
	}
	bank[avg3At+edgeLen-1] = avg3(e[edgeLen-2], e[edgeLen-1], e[edgeLen-1])
	for i := 0; i+1 < edgeLen; i++ {
		bank[avg2At+i] = avg2(e[i], e[i+1])
	}

	s := 4
	for i := 0; i < 4; i++ {
		s += int(e[3-i]) + int(e[5+i])
	}
	dc := uint8(s >> 3)
	for i := range preds[bDC] {
		preds[bDC][i] = dc
	}
	p := int32(e[4])
	for r := 0; r < 4; r++ {
		l := int32(e[3-r]) - p
		for c := 0; c < 4; c++ {
			preds[bTM][r*4+c] = clip255(l + int32(e[5+c]))
		}
	}
	for m := bVE; m < numBModes; m++ {
		taps := &bmodeTaps[m]
		dst := &preds[m]
		for i := range dst {
			dst[i] = bank[taps[i]]
		}
	}
}

// The value bank of predictAll4: the edge (bottom-left L3 … L0, the corner
// P, the top A0 … A7), then its 3-tap averages centred on each edge
// sample (clamped at the ends), then its 2-tap averages of neighbours.
const (
	edgeLen = 13
	avg3At  = edgeLen
	avg2At  = 2 * edgeLen
)

// bmodeTaps[m][r*4+c] is the bank index of directional mode m's
// prediction at row r, column c: section 12.3's formulas with E[i] the
// edge sample i (E[4] the corner), A[k] = E[5+k] and L[k] = E[3−k].
var bmodeTaps = func() (t [numBModes][16]uint8) {
	a3 := func(i int) uint8 { return uint8(avg3At + i) }
	a2 := func(i int) uint8 { return uint8(avg2At + i) }
	set := func(m int, v uint8, cells ...[2]int) {
		for _, rc := range cells {
			t[m][rc[0]*4+rc[1]] = v
		}
	}
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			t[bVE][r*4+c] = a3(5 + c)
			t[bHE][r*4+c] = a3(3 - r)
			t[bLD][r*4+c] = a3(6 + r + c)
			t[bRD][r*4+c] = a3(4 - r + c)
		}
	}
	set(bVR, a3(2), [2]int{3, 0})
	set(bVR, a3(3), [2]int{2, 0})
	set(bVR, a3(4), [2]int{3, 1}, [2]int{1, 0})
	set(bVR, a2(4), [2]int{2, 1}, [2]int{0, 0})
	set(bVR, a3(5), [2]int{3, 2}, [2]int{1, 1})
	set(bVR, a2(5), [2]int{2, 2}, [2]int{0, 1})
	set(bVR, a3(6), [2]int{3, 3}, [2]int{1, 2})
	set(bVR, a2(6), [2]int{2, 3}, [2]int{0, 2})
	set(bVR, a3(7), [2]int{1, 3})
	set(bVR, a2(7), [2]int{0, 3})

	set(bVL, a2(5), [2]int{0, 0})
	set(bVL, a3(6), [2]int{1, 0})
	set(bVL, a2(6), [2]int{2, 0}, [2]int{0, 1})
	set(bVL, a3(7), [2]int{1, 1}, [2]int{3, 0})
	set(bVL, a2(7), [2]int{2, 1}, [2]int{0, 2})
	set(bVL, a3(8), [2]int{3, 1}, [2]int{1, 2})
	set(bVL, a2(8), [2]int{2, 2}, [2]int{0, 3})
	set(bVL, a3(9), [2]int{3, 2}, [2]int{1, 3})
	set(bVL, a3(10), [2]int{2, 3})
	set(bVL, a3(11), [2]int{3, 3})

	set(bHD, a2(0), [2]int{3, 0})
	set(bHD, a3(1), [2]int{3, 1})
	set(bHD, a2(1), [2]int{2, 0}, [2]int{3, 2})
	set(bHD, a3(2), [2]int{2, 1}, [2]int{3, 3})
	set(bHD, a2(2), [2]int{2, 2}, [2]int{1, 0})
	set(bHD, a3(3), [2]int{2, 3}, [2]int{1, 1})
	set(bHD, a2(3), [2]int{1, 2}, [2]int{0, 0})
	set(bHD, a3(4), [2]int{1, 3}, [2]int{0, 1})
	set(bHD, a3(5), [2]int{0, 2})
	set(bHD, a3(6), [2]int{0, 3})

	set(bHU, a2(2), [2]int{0, 0})
	set(bHU, a3(2), [2]int{0, 1})
	set(bHU, a2(1), [2]int{0, 2}, [2]int{1, 0})
	set(bHU, a3(1), [2]int{0, 3}, [2]int{1, 1})
	set(bHU, a2(0), [2]int{1, 2}, [2]int{2, 0})
	set(bHU, a3(0), [2]int{1, 3}, [2]int{2, 1})
	set(bHU, 0, [2]int{2, 2}, [2]int{2, 3}, [2]int{3, 0}, [2]int{3, 1}, [2]int{3, 2}, [2]int{3, 3})
	return t
}()
