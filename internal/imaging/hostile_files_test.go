package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

// Generators of the hostile inputs of issue 9: each file is a few bytes to a
// few MB that declares far more work than its size suggests. They are built
// in code, so no test depends on large fixtures.

// zlibZeros returns a zlib stream (RFC 1950) holding n zero bytes: one
// fixed-Huffman deflate block (RFC 1951 §3.2.6) of a literal 0 followed by
// length-258, distance-1 copies, 13 bits for every 258 bytes. Writing it
// costs microseconds where compress/flate would spend seconds on 800 MB.
func zlibZeros(n int64) []byte {
	out := []byte{0x78, 0x01}
	var acc uint64
	var nb uint
	put := func(v uint64, bits uint) { // LSB first, as deflate packs fields
		acc |= v << nb
		nb += bits
		for nb >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			nb -= 8
		}
	}
	code := func(c uint64, bits uint) { // Huffman codes go most significant bit first
		var r uint64
		for i := uint(0); i < bits; i++ {
			r = r<<1 | (c>>i)&1
		}
		put(r, bits)
	}
	put(1, 1) // BFINAL
	put(1, 2) // BTYPE 01: fixed Huffman codes
	total := n
	if n > 0 {
		code(0x30, 8) // literal 0
		n--
	}
	for ; n >= 258; n -= 258 {
		code(0xc5, 8) // length code 285 (258 bytes): 11000101
		code(0, 5)    // distance code 0 (1 byte back)
	}
	for ; n > 0; n-- {
		code(0x30, 8)
	}
	code(0, 7) // end of block (256)
	if nb > 0 {
		out = append(out, byte(acc))
	}
	// Adler-32 of n zeros: A stays 1, B adds A once per byte.
	sum := uint32(total%65521)<<16 | 1
	return binary.BigEndian.AppendUint32(out, sum)
}

// pngChannels is the number of samples a pixel has in each PNG colour type.
var pngChannels = map[byte]int64{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

// adam7 is the interlace pass geometry (PNG §8.2): x0, y0, dx, dy.
var adam7 = [7][4]int64{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}

// pngRawSize is the size of the filtered image data of a w×h PNG: every
// row (of every interlace pass) has a filter byte and its packed samples.
func pngRawSize(w, h int64, depth, ct byte, interlace bool) int64 {
	row := func(w int64) int64 { return 1 + (w*pngChannels[ct]*int64(depth)+7)/8 }
	if !interlace {
		return h * row(w)
	}
	var n int64
	for _, p := range adam7 {
		pw, ph := (w-p[0]+p[2]-1)/p[2], (h-p[1]+p[3]-1)/p[3]
		if pw > 0 && ph > 0 {
			n += ph * row(pw)
		}
	}
	return n
}

// zerosPNG returns a w×h PNG whose filtered data is all zeros (filter None,
// every sample 0: black, or transparent for colour types with alpha). A
// palette image gets a one-entry black palette.
func zerosPNG(w, h uint32, depth, ct byte, interlace bool) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	il := byte(0)
	if interlace {
		il = 1
	}
	ihdr = append(ihdr, depth, ct, 0, 0, il)
	b := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	if ct == 3 {
		b = append(b, pngChunk("PLTE", []byte{0, 0, 0})...)
	}
	b = append(b, pngChunk("IDAT", zlibZeros(pngRawSize(int64(w), int64(h), depth, ct, interlace)))...)
	return append(b, pngChunk("IEND", nil)...)
}

// gifScreen returns a GIF whose logical screen is sw×sh and whose only
// frame is fw×fh at the origin.
func gifScreen(t testing.TB, sw, sh, fw, fh int) []byte {
	t.Helper()
	frame := image.NewPaletted(image.Rect(0, 0, fw, fh), color.Palette{color.NRGBA{200, 30, 30, 255}, color.NRGBA{}})
	var b bytes.Buffer
	err := gif.EncodeAll(&b, &gif.GIF{
		Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: frame.Palette, Width: sw, Height: sh},
	})
	if err != nil {
		t.Fatalf("gif.EncodeAll: %v", err)
	}
	return b.Bytes()
}

// jpegBits writes entropy-coded JPEG data: MSB first, a 0x00 stuffed after
// every 0xFF (T.81 F.1.2.3), padded with 1-bits at the end.
type jpegBits struct {
	out []byte
	acc uint32
	n   uint
}

func (w *jpegBits) put(v uint32, bits uint) {
	for i := int(bits) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.n++
		if w.n == 8 {
			w.out = append(w.out, byte(w.acc))
			if byte(w.acc) == 0xff {
				w.out = append(w.out, 0)
			}
			w.acc, w.n = 0, 0
		}
	}
}

func (w *jpegBits) flush() []byte {
	if w.n > 0 {
		w.put(0x7f, 8-w.n)
	}
	return w.out
}

// zeroBlocks is the entropy-coded data of a scan that codes n blocks with
// one 1-bit code each (DC category 0, or a DC refinement bit of 0).
func zeroBlocks(n int) []byte {
	out := make([]byte, n/8, n/8+1)
	if n%8 != 0 {
		out = append(out, 0xff>>(n%8)) // the last bits, then 1-padding
	}
	return out
}

// eobRuns is the data of a progressive AC scan over n blocks that are all
// one end-of-band run: EOB14 (the 1-bit code 0) with 14 extra bits of 1s
// codes 32767 blocks (T.81 G.1.2.2).
func eobRuns(n int) []byte {
	var w jpegBits
	for ; n > 0; n -= 32767 {
		w.put(0, 1)
		w.put(1<<14-1, 14)
	}
	return w.flush()
}

// scanScript is one progressive scan: spectral selection and successive
// approximation (T.81 B.2.3).
type scanScript struct{ ss, se, ah, al byte }

// progressiveGray returns a w×h grayscale progressive JPEG (SOF2) whose
// every coefficient is 0, coded with the given scans; each scan's data is
// the least its blocks need (one bit a block for DC scans, end-of-band runs
// for AC scans). One DC table and one AC table, each a single 1-bit code
// (category 0; EOB14). With eoi false the file stops after the last scan.
func progressiveGray(w, h int, scans []scanScript, eoi bool) []byte {
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	var b bytes.Buffer
	b.Write([]byte{0xff, mSOI})
	b.Write(segment(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)))
	b.Write(segment(mSOF2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}))
	one := func(class, sym byte) []byte { // a table with one 1-bit code
		t := make([]byte, 17, 18)
		t[0], t[1] = class<<4, 1
		return append(t, sym)
	}
	b.Write(segment(mDHT, append(one(0, 0x00), one(1, 0xe0)...)))
	for _, s := range scans {
		b.Write(segment(mSOS, []byte{1, 1, 0x00, s.ss, s.se, s.ah<<4 | s.al}))
		if s.ss == 0 {
			b.Write(zeroBlocks(blocks))
		} else {
			b.Write(eobRuns(blocks))
		}
	}
	if eoi {
		b.Write([]byte{0xff, mEOI})
	}
	return b.Bytes()
}

// repeatedScans is a DC scan followed by n copies of the same full AC scan.
func repeatedScans(n int) []scanScript {
	s := []scanScript{{0, 0, 0, 0}}
	for i := 0; i < n; i++ {
		s = append(s, scanScript{1, 63, 0, 0})
	}
	return s
}

// deepestScans is the longest progression T.81 allows one component
// (G.1.1.1): every coefficient band alone, each coded first at Al = 13 and
// then refined bit by bit down to Al = 0: 14 DC and 63×14 AC scans, 896 in
// all.
func deepestScans() []scanScript {
	var s []scanScript
	s = append(s, scanScript{0, 0, 0, 13})
	for al := 12; al >= 0; al-- {
		s = append(s, scanScript{0, 0, byte(al + 1), byte(al)})
	}
	for k := byte(1); k <= 63; k++ {
		s = append(s, scanScript{k, k, 0, 13})
		for al := 12; al >= 0; al-- {
			s = append(s, scanScript{k, k, byte(al + 1), byte(al)})
		}
	}
	return s
}

// baselineGray returns a w×h baseline grayscale JPEG whose blocks are all
// flat mid-grey: a DC difference of 0 and an EOB, 2 bits a block.
func baselineGray(w, h int) []byte {
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	var b bytes.Buffer
	b.Write([]byte{0xff, mSOI})
	b.Write(segment(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)))
	b.Write(segment(mSOF0, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}))
	one := func(class, sym byte) []byte {
		t := make([]byte, 17, 18)
		t[0], t[1] = class<<4, 1
		return append(t, sym)
	}
	b.Write(segment(mDHT, append(one(0, 0x00), one(1, 0x00)...)))
	b.Write(segment(mSOS, []byte{1, 1, 0x00, 0, 63, 0}))
	b.Write(zeroBlocks(2 * blocks))
	b.Write([]byte{0xff, mEOI})
	return b.Bytes()
}

// flatLossless returns a w×h lossless WebP (VP8L, RFC 9649 §3) in which
// every prefix code is a simple code of one symbol: each pixel costs zero
// bits, so a few dozen bytes declare w×h opaque pixels of one colour.
func flatLossless(w, h int) []byte {
	var acc uint64
	var nb uint
	var data []byte
	put := func(v uint64, bits uint) { // LSB first (RFC 9649 §3.1)
		acc |= v << nb
		nb += bits
		for nb >= 8 {
			data = append(data, byte(acc))
			acc >>= 8
			nb -= 8
		}
	}
	data = append(data, 0x2f) // signature
	put(uint64(w-1), 14)
	put(uint64(h-1), 14)
	put(0, 1) // alpha_is_used
	put(0, 3) // version
	put(0, 1) // no transform
	put(0, 1) // no colour cache
	put(0, 1) // no meta prefix codes
	// Green, red, blue, alpha, distance: one symbol each (a simple code).
	for _, sym := range []uint64{0x20, 0x80, 0xe0, 0xff, 0} {
		put(1, 1) // simple code
		put(0, 1) // one symbol
		put(1, 1) // an 8-bit symbol
		put(sym, 8)
	}
	if nb > 0 {
		data = append(data, byte(acc))
	}
	if len(data)%2 == 1 {
		data = append(data, 0)
	}
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(4+8+len(data)))
	b = append(b, "WEBPVP8L"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// vp8BoolWriter is the VP8 boolean entropy encoder (RFC 6386 §7.3).
type vp8BoolWriter struct {
	out    []byte
	rng    uint32
	bottom uint32
	count  int
}

func newVP8BoolWriter() *vp8BoolWriter { return &vp8BoolWriter{rng: 255, count: 24} }

func (e *vp8BoolWriter) carry() {
	for i := len(e.out) - 1; i >= 0; i-- {
		if e.out[i] != 255 {
			e.out[i]++
			return
		}
		e.out[i] = 0
	}
}

// bit writes v with probability prob/256 of being false.
func (e *vp8BoolWriter) bit(prob uint8, v bool) {
	split := 1 + ((e.rng-1)*uint32(prob))>>8
	if v {
		e.bottom += split
		e.rng -= split
	} else {
		e.rng = split
	}
	for e.rng < 128 {
		e.rng <<= 1
		if e.bottom&(1<<31) != 0 {
			e.carry()
		}
		e.bottom <<= 1
		e.count--
		if e.count == 0 {
			e.out = append(e.out, byte(e.bottom>>24))
			e.bottom &= 1<<24 - 1
			e.count = 8
		}
	}
}

// literal writes v in n bits, most significant first, at probability 1/2.
func (e *vp8BoolWriter) literal(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		e.bit(128, v>>uint(i)&1 != 0)
	}
}

func (e *vp8BoolWriter) flush() []byte {
	c := e.count
	v := e.bottom
	if v&(1<<(32-c)) != 0 {
		e.carry()
	}
	v <<= uint(c & 7)
	for c >>= 3; c > 0; c-- {
		v <<= 8
	}
	for i := 0; i < 4; i++ {
		e.out = append(e.out, byte(v>>24))
		v <<= 8
	}
	return append(e.out, 0, 0, 0, 0) // the decoder reads a little ahead
}

// flatLossy returns a w×h lossy WebP (one VP8 key frame, RFC 6386) in which
// every macroblock is skipped (no coefficients) and predicted DC: about 3.5
// bits a 16×16 macroblock, so 170 KB declare 100 MP of mid-grey. level is
// the loop filter level (0..63): the filter runs over every macroblock
// edge, the most work a skipped macroblock can ask for.
func flatLossy(w, h, level int) []byte {
	e := newVP8BoolWriter()
	e.literal(0, 1) // colour space
	e.literal(0, 1) // clamping type
	e.literal(0, 1) // no segmentation
	e.literal(0, 1) // normal loop filter
	e.literal(uint32(level), 6)
	e.literal(0, 3)  // sharpness
	e.literal(0, 1)  // no loop filter deltas
	e.literal(0, 2)  // one DCT partition
	e.literal(40, 7) // y_ac_qi
	for i := 0; i < 5; i++ {
		e.literal(0, 1) // no quantiser deltas
	}
	e.literal(0, 1) // refresh_entropy_probs
	for _, p := range vp8CoeffUpdateProbs {
		e.bit(p, false) // keep the default token probabilities
	}
	e.literal(1, 1) // mb_no_coeff_skip
	e.literal(1, 8) // prob_skip_false: a skip is nearly free
	for mb := ((w + 15) / 16) * ((h + 15) / 16); mb > 0; mb-- {
		e.bit(1, true)    // skip
		e.bit(145, true)  // 16×16 luma prediction,
		e.bit(156, false) // DC_PRED
		e.bit(163, false)
		e.bit(142, false) // chroma DC_PRED
	}
	first := e.flush()
	tokens := newVP8BoolWriter().flush() // the DCT partition: nothing to read
	var f []byte
	tag := uint32(len(first))<<5 | 1<<4 // key frame, version 0, shown
	f = append(f, byte(tag), byte(tag>>8), byte(tag>>16), 0x9d, 0x01, 0x2a)
	f = binary.LittleEndian.AppendUint16(f, uint16(w))
	f = binary.LittleEndian.AppendUint16(f, uint16(h))
	f = append(f, first...)
	f = append(f, tokens...)
	if len(f)%2 == 1 {
		f = append(f, 0)
	}
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(4+8+len(f)))
	b = append(b, "WEBPVP8 "...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
	return append(b, f...)
}

// vp8CoeffUpdateProbs are the probabilities of the token probability update
// flags, RFC 6386 §13.4 (coeff_update_probs), in [i][j][k][l] order.
var vp8CoeffUpdateProbs = [4 * 8 * 3 * 11]uint8{
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 176, 246, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 223, 241, 252, 255, 255, 255, 255, 255, 255, 255, 255, 249, 253,
	253, 255, 255, 255, 255, 255, 255, 255, 255, 255, 244, 252, 255, 255, 255, 255, 255, 255, 255,
	255, 234, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 253, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 246, 254, 255, 255, 255, 255, 255, 255, 255, 255, 239, 253, 254, 255,
	255, 255, 255, 255, 255, 255, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	248, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 255, 254, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 253, 254, 255, 255, 255,
	255, 255, 255, 255, 255, 251, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 254,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 253, 255, 254, 255, 255, 255, 255, 255, 255,
	250, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 217, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 225, 252, 241, 253, 255, 255, 254, 255, 255, 255,
	255, 234, 250, 241, 250, 253, 255, 253, 254, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 223, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 238, 253, 254, 254,
	255, 255, 255, 255, 255, 255, 255, 255, 248, 254, 255, 255, 255, 255, 255, 255, 255, 255, 249,
	254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 253, 255, 255, 255, 255, 255, 255, 255, 255, 255, 247, 254, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 253, 254,
	255, 255, 255, 255, 255, 255, 255, 255, 252, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 254, 255, 255, 255, 255, 255,
	255, 255, 255, 253, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 254, 253, 255, 255, 255, 255, 255, 255, 255, 255, 250, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 186, 251, 250, 255,
	255, 255, 255, 255, 255, 255, 255, 234, 251, 244, 254, 255, 255, 255, 255, 255, 255, 255, 251,
	251, 243, 253, 254, 255, 254, 255, 255, 255, 255, 255, 253, 254, 255, 255, 255, 255, 255, 255,
	255, 255, 236, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 253, 253, 254, 254, 255,
	255, 255, 255, 255, 255, 255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 254, 254,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 254, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 248, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 250, 254, 252, 254, 255, 255, 255, 255, 255, 255, 255, 248, 254, 249,
	253, 255, 255, 255, 255, 255, 255, 255, 255, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255,
	246, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255, 252, 254, 251, 254, 254, 255, 255, 255,
	255, 255, 255, 255, 254, 252, 255, 255, 255, 255, 255, 255, 255, 255, 248, 254, 253, 255, 255,
	255, 255, 255, 255, 255, 255, 253, 255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251,
	254, 255, 255, 255, 255, 255, 255, 255, 255, 245, 251, 254, 255, 255, 255, 255, 255, 255, 255,
	255, 253, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 251, 253, 255, 255, 255, 255,
	255, 255, 255, 255, 252, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 252, 255, 255, 255, 255, 255, 255, 255, 255, 255, 249,
	255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 253, 255, 255, 255, 255, 255, 255, 255, 255, 250, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
}
