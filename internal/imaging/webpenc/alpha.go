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

// encodeAlpha returns the ALPH chunk payload (RFC 9649 section 2.7.1.2):
// header byte (no pre-processing, no filter, compression 0 = raw) and the
// plane. Replaced by the smaller of raw and VP8L once the lossless coder
// exists.
func encodeAlpha(a []uint8, w, h int) []byte {
	out := make([]byte, 0, 1+len(a))
	out = append(out, 0)
	return append(out, a...)
}
