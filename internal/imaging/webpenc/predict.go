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

// predict4 writes the 4×4 prediction of subblock mode into dst (stride 4);
// w points at the subblock's first pixel in a luma work buffer, so its
// top row is w[-bps:], its left column w[-1+k*bps] and the top-right
// overhang w[-bps+4:-bps+8].
func predict4(dst *[16]uint8, w []uint8, at int, mode int) {
	A := w[at-bps : at-bps+8] // above and above-right
	P := w[at-bps-1]
	L := [4]uint8{w[at-1], w[at+bps-1], w[at+2*bps-1], w[at+3*bps-1]}
	// E is the edge from bottom-left through top-left to top-right.
	E := [9]uint8{L[3], L[2], L[1], L[0], P, A[0], A[1], A[2], A[3]}
	set := func(r, c int, v uint8) { dst[r*4+c] = v }
	switch mode {
	case bDC:
		s := 4
		for i := 0; i < 4; i++ {
			s += int(A[i]) + int(L[i])
		}
		for i := range dst {
			dst[i] = uint8(s >> 3)
		}
	case bTM:
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				set(r, c, clip255(int32(L[r])+int32(A[c])-int32(P)))
			}
		}
	case bVE:
		for c := 0; c < 4; c++ {
			prev := P
			if c > 0 {
				prev = A[c-1]
			}
			v := avg3(prev, A[c], A[c+1])
			for r := 0; r < 4; r++ {
				set(r, c, v)
			}
		}
	case bHE:
		rows := [4]uint8{avg3(P, L[0], L[1]), avg3(L[0], L[1], L[2]), avg3(L[1], L[2], L[3]), avg3(L[2], L[3], L[3])}
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				set(r, c, rows[r])
			}
		}
	case bLD:
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				i := r + c
				if i < 6 {
					set(r, c, avg3(A[i], A[i+1], A[i+2]))
				} else {
					set(r, c, avg3(A[6], A[7], A[7]))
				}
			}
		}
	case bRD:
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				i := 3 - r + c
				set(r, c, avg3(E[i], E[i+1], E[i+2]))
			}
		}
	case bVR:
		set(3, 0, avg3(E[1], E[2], E[3]))
		set(2, 0, avg3(E[2], E[3], E[4]))
		v := avg3(E[3], E[4], E[5])
		set(3, 1, v)
		set(1, 0, v)
		v = avg2(E[4], E[5])
		set(2, 1, v)
		set(0, 0, v)
		v = avg3(E[4], E[5], E[6])
		set(3, 2, v)
		set(1, 1, v)
		v = avg2(E[5], E[6])
		set(2, 2, v)
		set(0, 1, v)
		v = avg3(E[5], E[6], E[7])
		set(3, 3, v)
		set(1, 2, v)
		v = avg2(E[6], E[7])
		set(2, 3, v)
		set(0, 2, v)
		set(1, 3, avg3(E[6], E[7], E[8]))
		set(0, 3, avg2(E[7], E[8]))
	case bVL:
		set(0, 0, avg2(A[0], A[1]))
		set(1, 0, avg3(A[0], A[1], A[2]))
		v := avg2(A[1], A[2])
		set(2, 0, v)
		set(0, 1, v)
		v = avg3(A[1], A[2], A[3])
		set(1, 1, v)
		set(3, 0, v)
		v = avg2(A[2], A[3])
		set(2, 1, v)
		set(0, 2, v)
		v = avg3(A[2], A[3], A[4])
		set(3, 1, v)
		set(1, 2, v)
		v = avg2(A[3], A[4])
		set(2, 2, v)
		set(0, 3, v)
		v = avg3(A[3], A[4], A[5])
		set(3, 2, v)
		set(1, 3, v)
		set(2, 3, avg3(A[4], A[5], A[6]))
		set(3, 3, avg3(A[5], A[6], A[7]))
	case bHD:
		set(3, 0, avg2(E[0], E[1]))
		set(3, 1, avg3(E[0], E[1], E[2]))
		v := avg2(E[1], E[2])
		set(2, 0, v)
		set(3, 2, v)
		v = avg3(E[1], E[2], E[3])
		set(2, 1, v)
		set(3, 3, v)
		v = avg2(E[2], E[3])
		set(2, 2, v)
		set(1, 0, v)
		v = avg3(E[2], E[3], E[4])
		set(2, 3, v)
		set(1, 1, v)
		v = avg2(E[3], E[4])
		set(1, 2, v)
		set(0, 0, v)
		v = avg3(E[3], E[4], E[5])
		set(1, 3, v)
		set(0, 1, v)
		set(0, 2, avg3(E[4], E[5], E[6]))
		set(0, 3, avg3(E[5], E[6], E[7]))
	case bHU:
		set(0, 0, avg2(L[0], L[1]))
		set(0, 1, avg3(L[0], L[1], L[2]))
		v := avg2(L[1], L[2])
		set(0, 2, v)
		set(1, 0, v)
		v = avg3(L[1], L[2], L[3])
		set(0, 3, v)
		set(1, 1, v)
		v = avg2(L[2], L[3])
		set(1, 2, v)
		set(2, 0, v)
		v = avg3(L[2], L[3], L[3])
		set(1, 3, v)
		set(2, 1, v)
		set(2, 2, L[3])
		set(2, 3, L[3])
		for c := 0; c < 4; c++ {
			set(3, c, L[3])
		}
	}
}
