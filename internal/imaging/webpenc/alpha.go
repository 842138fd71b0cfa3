package webpenc

// alphaPlane returns the alpha channel, or nil when it is all 255.
func alphaPlane(pix []uint8, stride, w, h int) []uint8 {
	opaque := true
	for y := 0; y < h && opaque; y++ {
		row := pix[y*stride : y*stride+4*w]
		for x := 3; x < len(row); x += 4 {
			if row[x] != 255 {
				opaque = false
				break
			}
		}
	}
	if opaque {
		return nil
	}
	a := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*w]
		for x := 0; x < w; x++ {
			a[y*w+x] = row[4*x+3]
		}
	}
	return a
}

// Alpha filters (RFC 9649 section 2.7.1.2): the plane is coded as the
// difference (mod 256) to a prediction from its left (A), above (B) and
// above-left (C) neighbours.
const (
	filterNone = iota
	filterHorizontal
	filterVertical
	filterGradient
)

// filterAlpha returns the residual plane of a under filter f. The first
// pixel is predicted by 0, the rest of the first row by the left pixel and
// the rest of the first column by the pixel above, whatever f is.
func filterAlpha(a []uint8, w, h, f int) []uint8 {
	if f == filterNone {
		return a
	}
	out := make([]uint8, len(a))
	for y := 0; y < h; y++ {
		row := a[y*w : y*w+w]
		o := out[y*w : y*w+w]
		for x := 0; x < w; x++ {
			var pred uint8
			switch {
			case x == 0 && y == 0:
				pred = 0
			case y == 0:
				pred = row[x-1]
			case x == 0:
				pred = a[(y-1)*w]
			default:
				A, B, C := int32(row[x-1]), int32(a[(y-1)*w+x]), int32(a[(y-1)*w+x-1])
				switch f {
				case filterHorizontal:
					pred = uint8(A)
				case filterVertical:
					pred = uint8(B)
				default:
					pred = clip255(A + B - C)
				}
			}
			o[x] = row[x] - pred
		}
	}
	return out
}

// encodeAlpha returns the ALPH chunk payload: a header byte (bits 0-1
// compression: 0 raw, 1 lossless; bits 2-3 filter) and the data. Two
// lossless codings are tried, the unfiltered plane under the VP8L
// predictor transform (whose 14 predictors per block subsume the ALPH
// filters, and which wins on drawings and photos' masks alike) and the
// plane under the ALPH filter whose residuals have the least entropy,
// without transform; the smaller wins, the raw plane if that is smaller
// still.
func encodeAlpha(a []uint8, w, h int) []byte {
	best := append([]byte{0}, a...)
	try := func(f int, pred bool) {
		data, _ := encodeLossless(filterAlpha(a, w, h, f), w, pred)
		if 1+len(data) < len(best) {
			best = append([]byte{byte(1 | f<<2)}, data...)
		}
	}
	try(filterNone, true)
	bestF, bestBits := filterNone, 0.0
	for f := filterNone; f <= filterGradient; f++ {
		var hist [256]uint32
		for _, v := range filterAlpha(a, w, h, f) {
			hist[v]++
		}
		if bits, _ := entropyBits(hist[:]); f == filterNone || bits < bestBits {
			bestF, bestBits = f, bits
		}
	}
	try(bestF, false)
	return best
}

// flattenTransparent makes the colour of fully transparent areas cheap to
// code, as libwebp does unless asked to keep it exactly: every 8×8 luma
// block (and its 4×4 chroma) whose pixels all have alpha 0 is filled with
// the flat value of the previous such block in the row, or its own mean;
// in a partly transparent block the luma of the transparent pixels becomes
// the mean luma of the visible ones (smoothenTransparent). Visible pixels
// are untouched, so the decoded image is the same wherever alpha > 0.
func (e *encoder) flattenTransparent(a []uint8) {
	w, h := e.w, e.h
	for by := 0; by*8 < h; by++ {
		have := false
		var fy, fu, fv uint8
		for bx := 0; bx*8 < w; bx++ {
			x0, y0 := bx*8, by*8
			x1, y1 := min(x0+8, w), min(y0+8, h)
			clear := true
			for y := y0; y < y1 && clear; y++ {
				for x := x0; x < x1; x++ {
					if a[y*w+x] != 0 {
						clear = false
						break
					}
				}
			}
			if !clear {
				have = false
				e.smoothenTransparent(a, x0, y0, x1, y1)
				continue
			}
			// The chroma samples of this block cover pixels x0..x1+1 at
			// odd edges; only flatten chroma fully inside the block.
			cx0, cy0 := x0/2, y0/2
			cx1, cy1 := x1/2, y1/2
			if !have {
				var sy, su, sv, n, nc int
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						sy += int(e.srcY[y*e.yStride+x])
						n++
					}
				}
				for y := cy0; y < cy1; y++ {
					for x := cx0; x < cx1; x++ {
						su += int(e.srcU[y*e.cStride+x])
						sv += int(e.srcV[y*e.cStride+x])
						nc++
					}
				}
				fy = uint8((sy + n/2) / n)
				fu, fv = 128, 128
				if nc > 0 {
					fu, fv = uint8((su+nc/2)/nc), uint8((sv+nc/2)/nc)
				}
				have = true
			}
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					e.srcY[y*e.yStride+x] = fy
				}
			}
			for y := cy0; y < cy1; y++ {
				for x := cx0; x < cx1; x++ {
					e.srcU[y*e.cStride+x] = fu
					e.srcV[y*e.cStride+x] = fv
				}
			}
		}
	}
}

// smoothenTransparent sets the luma of the pixels with alpha 0 in the block
// [x0,x1)×[y0,y1) to the mean luma of its visible pixels, so that a stroke
// on a transparent background does not cost the edges of whatever colour
// the transparent pixels happened to hold.
func (e *encoder) smoothenTransparent(a []uint8, x0, y0, x1, y1 int) {
	w := e.w
	sum, n := 0, 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if a[y*w+x] != 0 {
				sum += int(e.srcY[y*e.yStride+x])
				n++
			}
		}
	}
	if n == 0 || n == (x1-x0)*(y1-y0) {
		return
	}
	avg := uint8(sum / n)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if a[y*w+x] == 0 {
				e.srcY[y*e.yStride+x] = avg
			}
		}
	}
}
