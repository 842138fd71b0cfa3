package webpenc

import "math"

// The VP8L predictor transform (RFC 9649 section 4.1) for the alpha plane:
// the image is cut into blocks of 2^predBits × 2^predBits pixels, each
// block picks the one of the 14 predictors that makes its residuals
// cheapest, and the residuals (value − prediction, mod 256) are coded
// instead of the values. Only green carries data here (alpha 255, red and
// blue 0 throughout), so every predictor acts on green alone; Select's
// four-channel distance reduces to green's too.

const (
	numPredictors = 14
	transformPred = 0 // PREDICTOR_TRANSFORM
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

// slog2 is v·log2(v), 0 for 0.
func slog2(v uint32) float64 {
	if v < uint32(len(slog2Table)) {
		return slog2Table[v]
	}
	f := float64(v)
	return f * math.Log2(f)
}

var slog2Table = func() (t [4096]float64) {
	for v := 1; v < len(t); v++ {
		t[v] = float64(v) * math.Log2(float64(v))
	}
	return t
}()

// tileCost is libwebp's score of a block's residual histogram (in bits;
// lower is better): the block's own entropy plus the entropy of the
// image's accumulated residual histogram with the block added, so that
// predictors are favoured that keep the residuals low locally and alike
// globally, minus a bonus for zeros and small residuals (decaying with
// the magnitude), and minus predBias for each of the left and above
// blocks that use the same predictor.
func tileCost(tile, acc *[256]uint32) float64 {
	var sumX, sumXY uint32
	var e float64
	for i, x := range tile {
		y := acc[i]
		if x != 0 {
			sumX += x
			sumXY += x + y
			e += slog2(x) + slog2(x+y)
		} else if y != 0 {
			sumXY += y
			e += slog2(y)
		}
	}
	bits := slog2(sumX) + slog2(sumXY) - e
	bonus := float64(tile[0])
	ev := 94.0
	for i := 1; i < 16; i++ {
		bonus += ev * float64(tile[i]+tile[256-i]) / 100
		ev = ev * 6 / 10
	}
	return bits - bonus/10
}

const predBias = 15

// predictTransform returns the residual plane of p (w wide, h high) and
// the predictor mode of every block (row-major, ceil(w/2^bits) per row).
// The top-left pixel is predicted by 0, the rest of the top row by L, the
// left column by T, whatever the block's mode (section 4.1). Each block
// takes the predictor of least tileCost, blocks in raster order.
func predictTransform(p []uint8, w, h int, bits uint) (res []uint8, modes []uint8, bw int) {
	size := 1 << bits
	bw = (w + size - 1) >> bits
	bh := (h + size - 1) >> bits
	modes = make([]uint8, bw*bh)
	res = make([]uint8, len(p))
	var acc [256]uint32
	var histo [numPredictors][256]uint32
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			x0, y0 := bx<<bits, by<<bits
			x1, y1 := min(x0+size, w), min(y0+size, h)
			for m := range histo {
				histo[m] = [256]uint32{}
			}
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					i := y*w + x
					if i == 0 || y == 0 || x == 0 {
						var pred uint8
						switch {
						case i == 0:
						case y == 0:
							pred = p[i-1]
						default:
							pred = p[i-w]
						}
						r := p[i] - pred
						for m := range histo {
							histo[m][r]++
						}
						continue
					}
					v := p[i]
					l, t, tl, tr := p[i-1], p[i-w], p[i-w-1], p[i-w+1]
					histo[0][v]++
					histo[1][v-l]++
					histo[2][v-t]++
					histo[3][v-tr]++
					histo[4][v-tl]++
					histo[5][v-lavg2(lavg2(l, tr), t)]++
					histo[6][v-lavg2(l, tl)]++
					histo[7][v-lavg2(l, t)]++
					histo[8][v-lavg2(tl, t)]++
					histo[9][v-lavg2(t, tr)]++
					histo[10][v-lavg2(lavg2(l, tl), lavg2(t, tr))]++
					histo[11][v-selectPred(l, t, tl)]++
					histo[12][v-clampAddSubFull(l, t, tl)]++
					histo[13][v-clampAddSubHalf(lavg2(l, t), tl)]++
				}
			}
			leftMode, aboveMode := -1, -1
			if bx > 0 {
				leftMode = int(modes[by*bw+bx-1])
			}
			if by > 0 {
				aboveMode = int(modes[(by-1)*bw+bx])
			}
			best, bestCost := 0, math.Inf(1)
			for m := 0; m < numPredictors; m++ {
				c := tileCost(&histo[m], &acc)
				if m == leftMode {
					c -= predBias
				}
				if m == aboveMode {
					c -= predBias
				}
				if c < bestCost {
					best, bestCost = m, c
				}
			}
			for i, v := range histo[best] {
				acc[i] += v
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
