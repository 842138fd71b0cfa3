package webpenc

// WebP container (RFC 9649 section 2): a RIFF file with a "VP8 " chunk,
// or, with alpha, "VP8X" + "ALPH" + "VP8 ".

func appendChunk(out []byte, fourcc string, data []byte) []byte {
	n := len(data)
	out = append(out, fourcc...)
	out = append(out, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	out = append(out, data...)
	if n&1 == 1 {
		out = append(out, 0)
	}
	return out
}

func riff(body []byte) []byte {
	n := 4 + len(body)
	out := make([]byte, 0, 8+n)
	out = append(out, 'R', 'I', 'F', 'F', byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 'W', 'E', 'B', 'P')
	return append(out, body...)
}

func riffSimple(vp8 []byte) []byte {
	return riff(appendChunk(make([]byte, 0, len(vp8)+9), "VP8 ", vp8))
}

// riffAlpha writes the extended format: VP8X with the alpha flag (0x10)
// and the canvas size minus one in 24 bits each, then ALPH and VP8.
func riffAlpha(vp8, alph []byte, w, h int) []byte {
	x := []byte{0x10, 0, 0, 0,
		byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16),
		byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
	body := make([]byte, 0, len(vp8)+len(alph)+40)
	body = appendChunk(body, "VP8X", x)
	body = appendChunk(body, "ALPH", alph)
	body = appendChunk(body, "VP8 ", vp8)
	return riff(body)
}
