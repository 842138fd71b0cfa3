package hevc

// Residual coding (7.3.8.11) and the context selection of its syntax
// elements (9.3.4.2.4 to 9.3.4.2.7).

// scanPos is one (x, y) position of a scan.
type scanPos struct{ x, y uint8 }

// scanOrder[log2BlockSize][scanIdx] lists the positions of a 1x1 to 8x8
// array in up-right diagonal (0), horizontal (1) and vertical (2) order
// (6.5.3 to 6.5.5); scanInv maps a position back to its index.
var scanOrder, scanInv = buildScans()

func buildScans() (ord [4][3][]scanPos, inv [4][3][64]uint8) {
	for l := 0; l < 4; l++ {
		n := 1 << l
		var diag []scanPos
		x, y := 0, 0
		for len(diag) < n*n {
			for y >= 0 {
				if x < n && y < n {
					diag = append(diag, scanPos{uint8(x), uint8(y)})
				}
				y--
				x++
			}
			y = x
			x = 0
		}
		var hor, ver []scanPos
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				hor = append(hor, scanPos{uint8(x), uint8(y)})
				ver = append(ver, scanPos{uint8(y), uint8(x)})
			}
		}
		ord[l] = [3][]scanPos{diag, hor, ver}
		for s := 0; s < 3; s++ {
			for i, p := range ord[l][s] {
				inv[l][s][int(p.y)*n+int(p.x)] = uint8(i)
			}
		}
	}
	return
}

// ctxIdxMap is the sig_coeff_flag context map for 4x4 blocks (9-39).
var ctxIdxMap = [16]uint8{0, 1, 4, 5, 2, 3, 4, 5, 6, 6, 8, 8, 7, 7, 8, 8}

// sigPattern[prevCsbf][yP*4+xP] is the sig_coeff_flag context before its
// offsets for blocks larger than 4x4 (9.3.4.2.5): it depends on which of
// the right and lower sub-blocks are coded.
var sigPattern = func() (t [4][16]uint8) {
	for p := 0; p < 4; p++ {
		for yP := 0; yP < 4; yP++ {
			for xP := 0; xP < 4; xP++ {
				var v uint8
				switch p {
				case 0:
					switch s := xP + yP; {
					case s == 0:
						v = 2
					case s < 3:
						v = 1
					}
				case 1:
					v = uint8(max(0, 2-yP))
				case 2:
					v = uint8(max(0, 2-xP))
				default:
					v = 2
				}
				t[p][yP*4+xP] = v
			}
		}
	}
	return
}()

// scanIdxFor returns scanIdx (7.4.9.11) for an intra block.
func (d *decoder) scanIdxFor(cIdx, log2Size, mode int) int {
	if log2Size == 2 || (log2Size == 3 && (cIdx == 0 || d.sps.chromaArrayType == 3)) {
		if mode >= 6 && mode <= 14 {
			return 2
		}
		if mode >= 22 && mode <= 30 {
			return 1
		}
	}
	return 0
}

// residualCoding parses residual_coding() for one transform block into
// d.coeff (row-major, size 1<<log2Size) and returns transform_skip_flag
// and the bounding box of the nonzero coefficients.
func (d *decoder) residualCoding(log2Size, cIdx, scanIdx int) (tskip bool, maxX, maxY int) {
	c := &d.cab
	ctx := &d.ctx
	size := 1 << log2Size
	coeff := d.coeff[:size*size]
	clear(coeff)
	if d.pps.transformSkip && !d.bypass && log2Size <= 2 {
		i := 0
		if cIdx > 0 {
			i = 1
		}
		tskip = c.decodeBin(&ctx[ctxTransformSkip+i]) == 1
	}
	var ctxOff, ctxShift int
	if cIdx == 0 {
		ctxOff, ctxShift = 3*(log2Size-2)+((log2Size-1)>>2), (log2Size+1)>>2
	} else {
		ctxOff, ctxShift = 15, log2Size-2
	}
	maxPrefix := log2Size<<1 - 1
	lastX := 0
	for lastX < maxPrefix && c.decodeBin(&ctx[ctxLastXPrefix+ctxOff+lastX>>ctxShift]) == 1 {
		lastX++
	}
	lastY := 0
	for lastY < maxPrefix && c.decodeBin(&ctx[ctxLastYPrefix+ctxOff+lastY>>ctxShift]) == 1 {
		lastY++
	}
	if lastX > 3 {
		n := lastX>>1 - 1
		lastX = (1<<n)*(2+lastX&1) + int(c.decodeBypassBits(n))
	}
	if lastY > 3 {
		n := lastY>>1 - 1
		lastY = (1<<n)*(2+lastY&1) + int(c.decodeBypassBits(n))
	}
	if scanIdx == 2 {
		lastX, lastY = lastY, lastX
	}
	log2SB := log2Size - 2
	nSB := 1 << log2SB
	sbScan := scanOrder[log2SB][scanIdx]
	posScan := scanOrder[2][scanIdx]
	lastSubBlock := int(scanInv[log2SB][scanIdx][(lastY>>2)*nSB+lastX>>2])
	lastScanPos := int(scanInv[2][scanIdx][(lastY&3)*4+lastX&3])

	signHiding := d.pps.signHiding && !d.bypass
	var csbf [64]uint8
	greater1Ctx := 1
	firstSB := true
	sigBase := ctxSigCoeff
	if cIdx > 0 {
		sigBase += 27
	}
	g1Base := ctxGreater1
	g2Base := ctxGreater2
	if cIdx > 0 {
		g1Base += 16
		g2Base += 4
	}
	for i := lastSubBlock; i >= 0; i-- {
		xS, yS := int(sbScan[i].x), int(sbScan[i].y)
		right := xS+1 < nSB && csbf[yS*8+xS+1] != 0
		below := yS+1 < nSB && csbf[(yS+1)*8+xS] != 0
		inferSbDc := false
		coded := true
		if i < lastSubBlock && i > 0 {
			inc := 0
			if right || below {
				inc = 1
			}
			if cIdx > 0 {
				inc += 2
			}
			coded = c.decodeBin(&ctx[ctxCodedSubBlock+inc]) == 1
			inferSbDc = true
		}
		if coded {
			csbf[yS*8+xS] = 1
		}
		var sigPos [16]uint8
		nSig := 0
		n := 15
		if i == lastSubBlock {
			sigPos[0] = uint8(lastScanPos)
			nSig = 1
			n = lastScanPos - 1
		}
		if coded {
			prevCsbf := 0
			if right {
				prevCsbf |= 1
			}
			if below {
				prevCsbf |= 2
			}
			pattern := &sigPattern[prevCsbf]
			sigOff := 0
			if cIdx == 0 {
				if i > 0 {
					sigOff = 3
				}
				switch {
				case log2Size > 3:
					sigOff += 21
				case scanIdx == 0:
					sigOff += 9
				default:
					sigOff += 15
				}
			} else if log2Size == 3 {
				sigOff = 9
			} else {
				sigOff = 12
			}
			for ; n >= 0; n-- {
				xP, yP := int(posScan[n].x), int(posScan[n].y)
				if n == 0 && inferSbDc {
					sigPos[nSig] = 0
					nSig++
					break
				}
				var sigCtx int
				switch {
				case log2Size == 2:
					sigCtx = int(ctxIdxMap[yP<<2+xP])
				case i == 0 && xP == 0 && yP == 0:
					sigCtx = 0
				default:
					sigCtx = int(pattern[yP<<2+xP]) + sigOff
				}
				if c.decodeBin(&ctx[sigBase+sigCtx]) == 1 {
					sigPos[nSig] = uint8(n)
					nSig++
					inferSbDc = false
				}
			}
		}
		if nSig == 0 {
			continue
		}
		// coeff_abs_level_greater1_flag and greater2_flag.
		ctxSet := 0
		if i != 0 && cIdx == 0 {
			ctxSet = 2
		}
		if !firstSB && greater1Ctx == 0 {
			ctxSet++
		}
		firstSB = false
		greater1Ctx = 1
		var absLvl [16]int32
		firstG1 := -1
		nG1 := min(nSig, 8)
		for k := 0; k < nG1; k++ {
			absLvl[k] = 1
			if c.decodeBin(&ctx[g1Base+ctxSet*4+greater1Ctx]) == 1 {
				absLvl[k] = 2
				greater1Ctx = 0
				if firstG1 < 0 {
					firstG1 = k
				}
			} else if greater1Ctx > 0 && greater1Ctx < 3 {
				greater1Ctx++
			}
		}
		for k := nG1; k < nSig; k++ {
			absLvl[k] = 1
		}
		if firstG1 >= 0 && c.decodeBin(&ctx[g2Base+ctxSet]) == 1 {
			absLvl[firstG1] = 3
		}
		hidden := signHiding && int(sigPos[0])-int(sigPos[nSig-1]) > 3
		nSigns := nSig
		if hidden {
			nSigns--
		}
		signs := c.decodeBypassBits(nSigns) << uint(32-nSigns)
		// coeff_abs_level_remaining.
		rice := 0
		sum := int32(0)
		for k := 0; k < nSig; k++ {
			base := absLvl[k]
			thr := int32(1)
			if k < 8 {
				thr = 2
				if k == firstG1 {
					thr = 3
				}
			}
			lvl := base
			if base == thr {
				lvl = base + c.decodeRemaining(rice)
				if lvl > 3*(1<<rice) {
					rice = min(rice+1, 4)
				}
			}
			sum += lvl
			v := lvl
			if k < nSigns {
				if signs&(1<<31) != 0 {
					v = -v
				}
				signs <<= 1
			} else if sum&1 != 0 {
				v = -v
			}
			if v > 32767 {
				v = 32767
			} else if v < -32768 {
				v = -32768
			}
			xC := xS<<2 + int(posScan[sigPos[k]].x)
			yC := yS<<2 + int(posScan[sigPos[k]].y)
			coeff[yC*size+xC] = v
			maxX = max(maxX, xC)
			maxY = max(maxY, yC)
		}
	}
	return tskip, maxX, maxY
}

// decodeRemaining decodes coeff_abs_level_remaining (9.3.3.11) with Rice
// parameter rice: a unary prefix, then a Rice or Exp-Golomb suffix. The
// result is capped so hostile input cannot overflow.
func (c *cabac) decodeRemaining(rice int) int32 {
	prefix := 0
	for prefix < 32 && c.decodeBypass() == 1 {
		prefix++
	}
	if prefix <= 3 {
		return int32(prefix<<uint(rice)) + int32(c.decodeBypassBits(rice))
	}
	n := prefix - 3 + rice
	if n > 24 {
		// Far beyond any valid level: consume the bits and saturate.
		c.decodeBypassBits(min(n, 32))
		return 1 << 20
	}
	return int32(((1<<uint(prefix-3))+2)<<uint(rice)) + int32(c.decodeBypassBits(n))
}
