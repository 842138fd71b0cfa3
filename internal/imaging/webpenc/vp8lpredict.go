package webpenc

// The VP8L predictor transform (RFC 9649 section 4.1) for the alpha plane:
// the image is cut into blocks of 2^predBits × 2^predBits pixels, each
// block picks the one of the 14 predictors that makes its residuals
// cheapest, and the residuals (value − prediction, mod 256) are coded
// instead of the values. Only green carries data here (alpha 255, red and
// blue 0 throughout), so every predictor acts on green alone; Select's
// four-channel distance reduces to green's too.

const (
	predBits       = 4
	numPredictors  = 14
	transformPred  = 0 // PREDICTOR_TRANSFORM
	predBlockPixel = 1 << predBits
)

// lavg2 is VP8L's Average2 (truncating, unlike VP8's avg2).
func lavg2(a, b uint8) uint8 { return uint8((uint16(a) + uint16(b)) >> 1) }

func clampAddSubFull(a, b, c uint8) uint8 {
	return clip255(int32(a) + int32(b) - int32(c))
}

func clampAddSubHalf(a, b uint8) uint8 {
	return clip255(int32(a) + (int32(a)-int32(b))/2)
}

// selectPred is the Select predictor on green alone: of L and T, the one
// nearer the gradient estimate L+T−TL (its distance to L is |T−TL|, to T
// |L−TL|), T on a tie.
func selectPred(l, t, tl uint8) uint8 {
	pl := abs(int(t) - int(tl))
	pt := abs(int(l) - int(tl))
	if pl < pt {
		return l
	}
	return t
}

// predictPixel is predictor mode m for the pixel at linear index i of a
// plane w wide that is not on the top row or the left column.
func predictPixel(p []uint8, i, w, m int) uint8 {
	l, t, tl, tr := p[i-1], p[i-w], p[i-w-1], p[i-w+1]
	switch m {
	case 0:
		return 0 // ARGB 0xff000000: green 0
	case 1:
		return l
	case 2:
		return t
	case 3:
		return tr
	case 4:
		return tl
	case 5:
		return lavg2(lavg2(l, tr), t)
	case 6:
		return lavg2(l, tl)
	case 7:
		return lavg2(l, t)
	case 8:
		return lavg2(tl, t)
	case 9:
		return lavg2(t, tr)
	case 10:
		return lavg2(lavg2(l, tl), lavg2(t, tr))
	case 11:
		return selectPred(l, t, tl)
	case 12:
		return clampAddSubFull(l, t, tl)
	default:
		return clampAddSubHalf(lavg2(l, t), tl)
	}
}

// residualCost approximates the bits of a residual: small magnitudes
// (as signed bytes) are cheap.
var residualCost = func() (t [256]uint16) {
	for r := range t {
		v := r
		if v > 128 {
			v = 256 - v
		}
		c := 1
		for v > 0 {
			c += 2
			v >>= 1
		}
		t[r] = uint16(c)
	}
	return t
}()

// predictTransform returns the residual plane of p (w wide, h high) and
// the predictor mode of every block (row-major, ceil(w/16) per row). The
// top-left pixel is predicted by 0, the rest of the top row by L, the
// left column by T, whatever the block's mode (section 4.1).
func predictTransform(p []uint8, w, h int) (res []uint8, modes []uint8, bw int) {
	bw = (w + predBlockPixel - 1) >> predBits
	bh := (h + predBlockPixel - 1) >> predBits
	modes = make([]uint8, bw*bh)
	res = make([]uint8, len(p))
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			x0, y0 := bx<<predBits, by<<predBits
			x1, y1 := min(x0+predBlockPixel, w), min(y0+predBlockPixel, h)
			best, bestCost := 0, -1
			for m := 0; m < numPredictors; m++ {
				cost := 0
				for y := max(y0, 1); y < y1; y++ {
					for x := max(x0, 1); x < x1; x++ {
						i := y*w + x
						cost += int(residualCost[p[i]-predictPixel(p, i, w, m)])
					}
				}
				if bestCost < 0 || cost < bestCost {
					best, bestCost = m, cost
				}
			}
			modes[by*bw+bx] = uint8(best)
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					i := y*w + x
					var pred uint8
					switch {
					case i == 0:
						pred = 0
					case y == 0:
						pred = p[i-1]
					case x == 0:
						pred = p[i-w]
					default:
						pred = predictPixel(p, i, w, best)
					}
					res[i] = p[i] - pred
				}
			}
		}
	}
	return res, modes, bw
}
