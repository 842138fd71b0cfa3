package imaging

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// Test fixtures are generated here; nothing is read from disk except
// testdata/webp (Go cannot encode WebP).

var (
	red    = color.NRGBA{255, 0, 0, 255}
	green  = color.NRGBA{0, 255, 0, 255}
	blue   = color.NRGBA{0, 0, 255, 255}
	yellow = color.NRGBA{255, 255, 0, 255}
)

// quads returns a w×h image whose quadrants are tl, tr, bl, br.
func quads(w, h int, tl, tr, bl, br color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := tl
			switch {
			case x >= w/2 && y < h/2:
				c = tr
			case x < w/2 && y >= h/2:
				c = bl
			case x >= w/2 && y >= h/2:
				c = br
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatalf("jpeg.Encode: %v", err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatalf("png.Encode: %v", err)
	}
	return b.Bytes()
}

// insertSegments puts marker segments right after the SOI of a JPEG.
func insertSegments(j []byte, segs ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

// segment builds a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, payload...)
}

// tiffEXIF builds a TIFF structure with IFD0 holding Orientation (if o > 0)
// and, if gps, a GPS IFD pointer to a one-entry GPS IFD.
func tiffEXIF(bo binary.ByteOrder, o int, gps bool) []byte {
	var b bytes.Buffer
	if bo == binary.LittleEndian {
		b.WriteString("II")
	} else {
		b.WriteString("MM")
	}
	w16 := func(v uint16) { binary.Write(&b, bo, v) }
	w32 := func(v uint32) { binary.Write(&b, bo, v) }
	w16(42)
	w32(8)
	n := 0
	if o > 0 {
		n++
	}
	if gps {
		n++
	}
	w16(uint16(n))
	if o > 0 {
		w16(tagOrientation)
		w16(tiffShort)
		w32(1)
		w16(uint16(o))
		w16(0)
	}
	gpsOff := uint32(8 + 2 + 12*n + 4)
	if gps {
		w16(tagGPSIFD)
		w16(tiffLong)
		w32(1)
		w32(gpsOff)
	}
	w32(0) // no next IFD
	if gps {
		w16(1) // GPSLatitudeRef "N"
		w16(1)
		w16(2) // ASCII
		w32(2)
		b.WriteString("N\x00\x00\x00")
		w32(0)
	}
	return b.Bytes()
}

func exifSegment(bo binary.ByteOrder, o int, gps bool) []byte {
	return segment(mAPP1, append([]byte(exifHeader), tiffEXIF(bo, o, gps)...))
}

func iccSegment() []byte {
	return segment(mAPP2, append([]byte(iccHeader+"\x01\x01"), bytes.Repeat([]byte{0x42}, 128)...))
}

// pngChunk builds one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngHeader returns signature + IHDR (8-bit RGBA) declaring w×h, plus a tiny
// IDAT, so the header is valid and the pixel data is nonsense.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})...)
	return append(b, pngChunk("IEND", nil)...)
}

// insertPNGChunks inserts chunks right after IHDR.
func insertPNGChunks(p []byte, chunks ...[]byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte{}, p[:afterIHDR]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[afterIHDR:]...)
}

// sofHeader returns SOI + a frame header (marker sof) with nf components,
// then a DHT-free SOS and EOI: enough for Probe, not for decoding.
func sofHeader(sof byte, prec byte, w, h int, nf int) []byte {
	p := []byte{prec, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(nf)}
	for i := 0; i < nf; i++ {
		p = append(p, byte(i+1), 0x11, 0)
	}
	b := append([]byte{0xff, mSOI}, segment(sof, p)...)
	return append(b, 0xff, mEOI)
}

// cmykJPEG writes a baseline 4-component Adobe JPEG (transform 0 = CMYK,
// values stored inverted as Adobe does) in which every 8×8 block is flat: the
// entropy data holds only DC terms (T.81 §F.1.2.1) and an EOB per block.
// inks[by][bx] is the CMYK ink of block (bx, by).
func cmykJPEG(inks [][]color.CMYK) []byte {
	bh, bw := len(inks), len(inks[0])
	var b bytes.Buffer
	b.Write([]byte{0xff, mSOI})
	b.Write(segment(mAPP14, []byte("Adobe\x00\x64\x00\x00\x00\x00\x00")))
	dqt := append([]byte{0}, bytes.Repeat([]byte{8}, 64)...)
	b.Write(segment(0xdb, dqt))
	sof := []byte{8, byte(bh * 8 >> 8), byte(bh * 8), byte(bw * 8 >> 8), byte(bw * 8), 4}
	for c := 1; c <= 4; c++ {
		sof = append(sof, byte(c), 0x11, 0)
	}
	b.Write(segment(mSOF0, sof))
	// DC table: 12 symbols (categories 0..11), all 4-bit codes 0000..1011.
	dc := append([]byte{0x00}, make([]byte, 16)...)
	dc[1+3] = 12
	for s := 0; s < 12; s++ {
		dc = append(dc, byte(s))
	}
	b.Write(segment(mDHT, dc))
	// AC table: only EOB (0x00), code "0".
	ac := append([]byte{0x10}, make([]byte, 16)...)
	ac[1] = 1
	ac = append(ac, 0x00)
	b.Write(segment(mDHT, ac))
	sos := []byte{4}
	for c := 1; c <= 4; c++ {
		sos = append(sos, byte(c), 0x00)
	}
	sos = append(sos, 0, 63, 0)
	b.Write(segment(mSOS, sos))

	var acc uint32
	var nbits uint
	var ecs []byte
	put := func(v uint32, n uint) {
		for i := int(n) - 1; i >= 0; i-- {
			acc = acc<<1 | (v>>uint(i))&1
			nbits++
			if nbits == 8 {
				ecs = append(ecs, byte(acc))
				if byte(acc) == 0xff {
					ecs = append(ecs, 0)
				}
				acc, nbits = 0, 0
			}
		}
	}
	var pred [4]int
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			k := inks[by][bx]
			for c, ink := range []uint8{k.C, k.M, k.Y, k.K} {
				v := int(255-ink) - 128 // Adobe stores inverted; level shift (§A.3.1)
				diff := v - pred[c]
				pred[c] = v
				s, mag := uint(0), diff
				if mag < 0 {
					mag = -mag
				}
				for mag > 0 {
					s++
					mag >>= 1
				}
				put(uint32(s), 4)
				if s > 0 {
					bits := diff
					if diff < 0 {
						bits = diff + (1 << s) - 1
					}
					put(uint32(bits), s)
				}
				put(0, 1) // EOB
			}
		}
	}
	if nbits > 0 {
		put(0xff, 8-nbits) // pad with 1-bits
	}
	b.Write(ecs)
	b.Write([]byte{0xff, mEOI})
	return b.Bytes()
}

// jpegMarkers lists the markers of a JPEG up to and including SOS.
func jpegMarkers(t testing.TB, j []byte) []byte {
	t.Helper()
	var ms []byte
	i := 2
	for i+4 <= len(j) {
		if j[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m := j[i+1]
		ms = append(ms, m)
		if m == mSOS {
			break
		}
		i += 2 + (int(j[i+2])<<8 | int(j[i+3]))
	}
	return ms
}

// pngChunkTypes lists the chunk types of a PNG.
func pngChunkTypes(t testing.TB, p []byte) []string {
	t.Helper()
	var ts []string
	for i := 8; i+8 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[i:]))
		ts = append(ts, string(p[i+4:i+8]))
		i += 12 + n
	}
	return ts
}

// near reports whether two colours differ by at most tol per channel. When
// both are fully transparent their colour channels are not compared.
func near(a, b color.NRGBA, tol int) bool {
	if a.A == 0 && b.A == 0 {
		return true
	}
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

// decodeOutput decodes Process output with the standard library.
func decodeOutput(t testing.TB, b []byte) image.Image {
	t.Helper()
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode output: %v", err)
	}
	return m
}

func at(m image.Image, x, y int) color.NRGBA {
	return color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
}
