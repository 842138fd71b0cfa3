package hevc

// Intra sample prediction (8.4.4.2): reference sample availability and
// substitution, filtering (with strong intra smoothing), and the planar,
// DC and angular modes.

// intraPredAngle is Table 8-5 for modes 2..34.
var intraPredAngle = [35]int{
	0, 0, 32, 26, 21, 17, 13, 9, 5, 2, 0, -2, -5, -9, -13, -17, -21, -26,
	-32, -26, -21, -17, -13, -9, -5, -2, 0, 2, 5, 9, 13, 17, 21, 26, 32,
}

// invAngle is Table 8-6 for modes 11..25 (indexed by mode).
var invAngle = [35]int{
	11: -4096, 12: -1638, 13: -910, 14: -630, 15: -482, 16: -390, 17: -315,
	18: -256, 19: -315, 20: -390, 21: -482, 22: -630, 23: -910, 24: -1638, 25: -4096,
}

// intraBuf is scratch space for predIntra, kept in the decoder so that
// no call zeroes kilobytes of stack.
type intraBuf struct {
	p, f   [4*32 + 1]int32
	av     [4*32 + 1]bool
	lf, tp [2*32 + 1]int32
	ref    [3*64 + 2]int32
}

// predIntra writes the prediction of the nTbS = 1<<log2Size block at
// (xTb, yTb) of component cIdx with mode into the plane.
func (d *decoder) predIntra(cIdx, xTb, yTb, log2Size, mode int) {
	s := d.sps
	n := 1 << log2Size
	subW, subH, bd := 1, 1, s.bitDepthY
	if cIdx > 0 {
		subW, subH, bd = s.subW, s.subH, s.bitDepthC
	}
	pl, st := d.plane[cIdx], d.stride[cIdx]
	// p holds the reference samples in substitution order (8.4.4.2.2):
	// p[0..2n-1] = p[-1][2n-1..0], p[2n] = p[-1][-1], p[2n+1+x] = p[x][-1].
	ib := &d.ipred
	total := 4*n + 1
	p := ib.p[:total]
	av := ib.av[:total]
	clear(av)
	xY, yY := xTb*subW, yTb*subH
	any := false
	// Left column, bottom to top, in units of one 4x4 luma block.
	unitL := 4 / subH
	for y := 2*n - 1; y >= 0; y -= unitL {
		yy := y - (y % unitL)
		if d.available(xY, yY, xY-1, (yTb+yy)*subH) {
			any = true
			for k := yy; k < yy+unitL; k++ {
				av[2*n-1-k] = true
				p[2*n-1-k] = int32(pl[(yTb+k)*st+xTb-1])
			}
		}
	}
	if d.available(xY, yY, xY-1, yY-1) {
		any = true
		av[2*n] = true
		p[2*n] = int32(pl[(yTb-1)*st+xTb-1])
	}
	unitT := 4 / subW
	for x := 0; x < 2*n; x += unitT {
		if d.available(xY, yY, (xTb+x)*subW, yY-1) {
			any = true
			row := pl[(yTb-1)*st+xTb:]
			for k := x; k < x+unitT; k++ {
				av[2*n+1+k] = true
				p[2*n+1+k] = int32(row[k])
			}
		}
	}
	if !any {
		v := int32(1) << uint(bd-1)
		for i := range p {
			p[i] = v
		}
	} else {
		if !av[0] {
			for i := 1; i < total; i++ {
				if av[i] {
					p[0] = p[i]
					break
				}
			}
		}
		for i := 1; i < total; i++ {
			if !av[i] {
				p[i] = p[i-1]
			}
		}
	}
	// Filtering (8.4.4.2.3).
	if (cIdx == 0 || s.chromaArrayType == 3) && mode != 1 && n != 4 {
		dist := min(abs(mode-26), abs(mode-10))
		thr := 0
		switch n {
		case 8:
			thr = 7
		case 16:
			thr = 1
		}
		if dist > thr {
			f := ib.f[:total]
			c, bl, tr := p[2*n], p[0], p[4*n]
			if s.strongIntraSmooth && cIdx == 0 && n == 32 &&
				abs32(c+tr-2*p[2*n+n]) < 1<<uint(bd-5) &&
				abs32(c+bl-2*p[n]) < 1<<uint(bd-5) {
				f[2*n] = c
				for i := 0; i < 63; i++ {
					f[2*n-1-i] = (int32(63-i)*c + int32(i+1)*bl + 32) >> 6
					f[2*n+1+i] = (int32(63-i)*c + int32(i+1)*tr + 32) >> 6
				}
				f[0], f[4*n] = bl, tr
			} else {
				f[0], f[total-1] = p[0], p[total-1]
				for i := 1; i < total-1; i++ {
					f[i] = (p[i-1] + 2*p[i] + p[i+1] + 2) >> 2
				}
			}
			p = f
		}
	}
	// lf[1+y] = p[-1][y] and tp[1+x] = p[x][-1] for x, y in -1..2n-1.
	lf, tp := ib.lf[:2*n+1], ib.tp[:2*n+1]
	for i := range lf {
		lf[i] = p[2*n-i]
	}
	copy(tp, p[2*n:])
	maxV := int32(1)<<uint(bd) - 1
	dst := pl[yTb*st+xTb:]
	switch {
	case mode == 0: // planar (8.4.4.2.5)
		tr, bl := tp[1+n], lf[1+n]
		sh := uint(log2Size + 1)
		for y := 0; y < n; y++ {
			row := dst[y*st : y*st+n]
			ly := lf[1+y]
			for x := range row {
				row[x] = uint16((int32(n-1-x)*ly + int32(x+1)*tr + int32(n-1-y)*tp[1+x] + int32(y+1)*bl + int32(n)) >> sh)
			}
		}
	case mode == 1: // DC (8.4.4.2.6)
		sum := int32(n)
		for i := 0; i < n; i++ {
			sum += tp[1+i] + lf[1+i]
		}
		dc := sum >> uint(log2Size+1)
		for y := 0; y < n; y++ {
			row := dst[y*st : y*st+n]
			for x := range row {
				row[x] = uint16(dc)
			}
		}
		if cIdx == 0 && n < 32 {
			dst[0] = uint16((lf[1] + 2*dc + tp[1] + 2) >> 2)
			for x := 1; x < n; x++ {
				dst[x] = uint16((tp[1+x] + 3*dc + 2) >> 2)
			}
			for y := 1; y < n; y++ {
				dst[y*st] = uint16((lf[1+y] + 3*dc + 2) >> 2)
			}
		}
	default: // angular (8.4.4.2.6)
		angle := intraPredAngle[mode]
		refBuf := &ib.ref // ref[i] at refBuf[64+i], i in [-n, 2n]
		if mode >= 18 {
			for x := 0; x <= n; x++ {
				refBuf[64+x] = tp[x]
			}
			if angle < 0 {
				if (n*angle)>>5 < -1 {
					for x := (n * angle) >> 5; x <= -1; x++ {
						refBuf[64+x] = lf[(x*invAngle[mode]+128)>>8]
					}
				}
			} else {
				for x := n + 1; x <= 2*n; x++ {
					refBuf[64+x] = tp[x]
				}
			}
			for y := 0; y < n; y++ {
				iIdx := ((y + 1) * angle) >> 5
				iFact := int32(((y + 1) * angle) & 31)
				row := dst[y*st : y*st+n]
				r := refBuf[64+iIdx+1 : 64+iIdx+2+n]
				if iFact != 0 {
					for x := range row {
						row[x] = uint16(((32-iFact)*r[x] + iFact*r[x+1] + 16) >> 5)
					}
				} else {
					for x := range row {
						row[x] = uint16(r[x])
					}
				}
			}
			if mode == 26 && cIdx == 0 && n < 32 {
				for y := 0; y < n; y++ {
					dst[y*st] = uint16(clip32(tp[1]+((lf[1+y]-lf[0])>>1), maxV))
				}
			}
		} else {
			for x := 0; x <= n; x++ {
				refBuf[64+x] = lf[x]
			}
			if angle < 0 {
				if (n*angle)>>5 < -1 {
					for x := (n * angle) >> 5; x <= -1; x++ {
						refBuf[64+x] = tp[(x*invAngle[mode]+128)>>8]
					}
				}
			} else {
				for x := n + 1; x <= 2*n; x++ {
					refBuf[64+x] = lf[x]
				}
			}
			for x := 0; x < n; x++ {
				iIdx := ((x + 1) * angle) >> 5
				iFact := int32(((x + 1) * angle) & 31)
				r := refBuf[64+iIdx+1 : 64+iIdx+2+n]
				if iFact != 0 {
					for y := 0; y < n; y++ {
						dst[y*st+x] = uint16(((32-iFact)*r[y] + iFact*r[y+1] + 16) >> 5)
					}
				} else {
					for y := 0; y < n; y++ {
						dst[y*st+x] = uint16(r[y])
					}
				}
			}
			if mode == 10 && cIdx == 0 && n < 32 {
				for x := 0; x < n; x++ {
					dst[x] = uint16(clip32(lf[1]+((tp[1+x]-tp[0])>>1), maxV))
				}
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// clip32 clips v to [0, maxV].
func clip32(v, maxV int32) int32 {
	if v < 0 {
		return 0
	}
	if v > maxV {
		return maxV
	}
	return v
}
