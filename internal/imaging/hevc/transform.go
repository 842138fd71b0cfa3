package hevc

// Scaling (dequantisation, 8.6.2 to 8.6.3) and the inverse transforms
// (8.6.4): 4x4 DST-VII for intra luma, 4 to 32 point DCT-II, transform
// skip and transquant bypass.

// levelScale is levelScale[qP%6] (8.6.3).
var levelScale = [6]int64{40, 45, 51, 57, 64, 72}

// transMatrix[k][n] is the 32-point DCT coefficient of basis k at sample
// n (8.6.4.2, equation 8-317); the N-point matrix is rows k*32/N.
var transMatrix = func() (m [32][32]int32) {
	// cosVal[j] approximates 64*sqrt(2)*cos(j*pi/64), as the spec lists.
	cosVal := [33]int32{64, 90, 90, 90, 89, 88, 87, 85, 83, 82, 80, 78, 75, 73, 70, 67,
		64, 61, 57, 54, 50, 46, 43, 38, 36, 31, 25, 22, 18, 13, 9, 4, 0}
	for k := 0; k < 32; k++ {
		for n := 0; n < 32; n++ {
			j := (k * (2*n + 1)) % 128
			if j > 64 {
				j = 128 - j
			}
			if j > 32 {
				m[k][n] = -cosVal[64-j]
			} else {
				m[k][n] = cosVal[j]
			}
		}
	}
	m[0] = [32]int32{64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
		64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64}
	return
}()

// dstMatrix is the 4x4 DST-VII (8-316).
var dstMatrix = [4][4]int32{
	{29, 55, 74, 84},
	{74, 74, 0, -74},
	{84, -29, -74, 55},
	{55, -84, 74, -29},
}

// setupScaling derives ScalingFactor (7.4.5) from the active lists.
func (d *decoder) setupScaling(sl *scalingList) {
	for sizeID := 0; sizeID < 4; sizeID++ {
		n := 4 << sizeID
		for m := 0; m < 6; m++ {
			f := make([]uint8, n*n)
			if sizeID == 0 {
				for i, p := range scanOrder[2][0] {
					f[int(p.y)*4+int(p.x)] = sl.list[0][m][i]
				}
			} else {
				rep := n / 8
				for i, p := range scanOrder[3][0] {
					v := sl.list[sizeID][m][i]
					for dy := 0; dy < rep; dy++ {
						for dx := 0; dx < rep; dx++ {
							f[(int(p.y)*rep+dy)*n+int(p.x)*rep+dx] = v
						}
					}
				}
				if sizeID >= 2 {
					f[0] = sl.dc[sizeID][m]
				}
			}
			d.scale[sizeID][m] = f
		}
	}
}

// chromaQpTable maps qPi in 30..42 to QpC for ChromaArrayType 1 (Table 8-10).
var chromaQpTable = [13]int{29, 30, 31, 32, 33, 33, 34, 34, 35, 35, 36, 36, 37}

// chromaQp maps qPi to QpC (Table 8-10).
func (d *decoder) chromaQp(qPi int) int {
	if d.sps.chromaArrayType != 1 {
		return min(qPi, 51)
	}
	switch {
	case qPi < 30:
		return qPi
	case qPi > 42:
		return qPi - 6
	}
	return chromaQpTable[qPi-30]
}

// reconstructBlock predicts one transform block and, when cbf is set,
// parses its residual and adds it (8.4.4.1).
func (d *decoder) reconstructBlock(cIdx, xTb, yTb, log2Size, mode int, cbf bool) error {
	d.predIntra(cIdx, xTb, yTb, log2Size, mode)
	if !cbf {
		return nil
	}
	s := d.sps
	tskip, maxX, maxY := d.residualCoding(log2Size, cIdx, d.scanIdxFor(cIdx, log2Size, mode))
	bd := s.bitDepthY
	qp := d.qpY + s.qpBdOffsetY
	if cIdx > 0 {
		bd = s.bitDepthC
		off := d.pps.cbQpOffset + d.sh.cbQpOffset
		if cIdx == 2 {
			off = d.pps.crQpOffset + d.sh.crQpOffset
		}
		qPi := min(max(d.qpY+off, -s.qpBdOffsetC), 57)
		qp = d.chromaQp(qPi) + s.qpBdOffsetC
	}
	n := 1 << log2Size
	coeff := d.coeff[:n*n]
	if !d.bypass {
		d.scaleCoeffs(coeff, cIdx, log2Size, qp, bd, tskip, maxX, maxY)
		res := coeff
		bdShift := uint(20 - bd)
		rnd := int32(1) << (bdShift - 1)
		switch {
		case tskip:
			sh := uint(5 + log2Size)
			for i := range res {
				res[i] = (res[i]<<sh + rnd) >> bdShift
			}
		case cIdx == 0 && n == 4:
			d.inverseDST(res, bdShift)
		default:
			d.inverseDCT(res, log2Size, maxX, maxY, bdShift)
		}
	}
	maxV := int32(1)<<uint(bd) - 1
	pl, st := d.plane[cIdx], d.stride[cIdx]
	for y := 0; y < n; y++ {
		row := pl[(yTb+y)*st+xTb : (yTb+y)*st+xTb+n]
		r := coeff[y*n : y*n+n]
		for x := range row {
			row[x] = uint16(clip32(int32(row[x])+r[x], maxV))
		}
	}
	return nil
}

// scaleCoeffs applies the scaling process for transform coefficients
// (8.6.3) in place; the result is clipped to 16 bits.
func (d *decoder) scaleCoeffs(coeff []int32, cIdx, log2Size, qp, bd int, tskip bool, maxX, maxY int) {
	n := 1 << log2Size
	bdShift := uint(bd + log2Size - 5)
	rnd := int64(1) << (bdShift - 1)
	ls := levelScale[qp%6] << uint(qp/6)
	var sf []uint8
	if d.sps.scalingEnabled && !(tskip && n > 4) {
		sf = d.scale[log2Size-2][cIdx]
	}
	for y := 0; y <= maxY; y++ {
		for x := 0; x <= maxX; x++ {
			c := coeff[y*n+x]
			if c == 0 {
				continue
			}
			m := int64(16)
			if sf != nil {
				m = int64(sf[y*n+x])
			}
			v := (int64(c)*m*ls + rnd) >> bdShift
			if v < -32768 {
				v = -32768
			} else if v > 32767 {
				v = 32767
			}
			coeff[y*n+x] = int32(v)
		}
	}
}

func clip16(v int32) int32 {
	if v < -32768 {
		return -32768
	}
	if v > 32767 {
		return 32767
	}
	return v
}

// inverseDST is the 4x4 inverse DST (8.6.4.2, trType 1) in place: input
// scaled coefficients, output residuals after the final bdShift.
func (d *decoder) inverseDST(b []int32, bdShift uint) {
	var t [16]int32
	for x := 0; x < 4; x++ { // columns
		for y := 0; y < 4; y++ {
			var s int32
			for k := 0; k < 4; k++ {
				s += dstMatrix[k][y] * b[k*4+x]
			}
			t[y*4+x] = clip16((s + 64) >> 7)
		}
	}
	rnd := int32(1) << (bdShift - 1)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			var s int32
			for k := 0; k < 4; k++ {
				s += dstMatrix[k][x] * t[y*4+k]
			}
			b[y*4+x] = (s + rnd) >> bdShift
		}
	}
}

// inverseDCT is the two-stage inverse DCT (8.6.4.2, trType 0) of an
// n = 1<<log2Size block in place, using only the coefficients inside the
// nonzero bounding box (maxX, maxY). Input: scaled coefficients (16-bit);
// the first stage is clipped to 16 bits after a 7-bit shift, the second
// shifted by bdShift, as the spec orders. A DC-only block is a constant.
func (d *decoder) inverseDCT(b []int32, log2Size, maxX, maxY int, bdShift uint) {
	n := 1 << log2Size
	rnd := int32(1) << (bdShift - 1)
	if maxX == 0 && maxY == 0 {
		v := (64*clip16((64*b[0]+64)>>7) + rnd) >> bdShift
		for i := range b[:n*n] {
			b[i] = v
		}
		return
	}
	t := d.tmp[:n*n]
	var col, out [32]int32
	// First stage: columns 0..maxX; the others are all zero.
	for x := 0; x <= maxX; x++ {
		for k := 0; k <= maxY; k++ {
			col[k] = b[k*n+x]
		}
		idct1D(&col, n, maxY, &out)
		for y := 0; y < n; y++ {
			t[y*n+x] = clip16((out[y] + 64) >> 7)
		}
	}
	for y := 0; y < n; y++ {
		copy(col[:maxX+1], t[y*n:y*n+maxX+1])
		idct1D(&col, n, maxX, &out)
		row := b[y*n : y*n+n]
		for x := range row {
			row[x] = (out[x] + rnd) >> bdShift
		}
	}
}

// idct1D is the n-point 1-D inverse DCT of c[0..kMax] (the rest taken as
// zero) by even/odd decomposition: the even coefficients form an
// n/2-point inverse DCT E, the odd ones a sum O, and out[i] = E[i]+O[i],
// out[n-1-i] = E[i]-O[i]. Exact integer arithmetic, so it equals the
// matrix product of 8.6.4.2.
func idct1D(c *[32]int32, n, kMax int, out *[32]int32) {
	if n == 4 {
		var c1, c2, c3 int32
		if kMax >= 1 {
			c1 = c[1]
		}
		if kMax >= 2 {
			c2 = c[2]
		}
		if kMax >= 3 {
			c3 = c[3]
		}
		e0, e1 := 64*(c[0]+c2), 64*(c[0]-c2)
		o0, o1 := 83*c1+36*c3, 36*c1-83*c3
		out[0], out[1], out[2], out[3] = e0+o0, e1+o1, e1-o1, e0-o0
		return
	}
	var ce, e [32]int32
	for k := 0; 2*k <= kMax; k++ {
		ce[k] = c[2*k]
	}
	idct1D(&ce, n/2, kMax/2, &e)
	step := 32 / n
	h := n / 2
	for i := 0; i < h; i++ {
		var o int32
		for k := 1; k <= kMax; k += 2 {
			o += transMatrix[k*step][i] * c[k]
		}
		out[i] = e[i] + o
		out[n-1-i] = e[i] - o
	}
}
