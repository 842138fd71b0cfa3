// Package png is a PNG decoder (PNG spec, 3rd edition) that streams the
// image data and stores 8 bits a sample: 16-bit samples keep their high
// byte as they are read, and interlaced images are written pass by pass
// into the one output image. So a 100 MP 16-bit RGBA file needs 400 MB,
// not the 800 MB of image/png's *image.NRGBA64 (nor its extra 50% of pass
// images when interlaced).
//
// Files are split by spec concern: reader.go (signature, chunks, §5 and
// §11), idat.go (the IDAT stream, zlib, filters §7.3/§9, interlacing §8)
// and pixels.go (samples to output pixels).
//
// Output: *image.Gray for greyscale without tRNS (any bit depth),
// *image.Paletted for palette images (256 entries: indexes beyond PLTE are
// opaque black, as in libpng and image/png) and *image.NRGBA for
// everything else. The pixels are those of image/png's result reduced to 8
// bits (the high byte of 16-bit samples), and it accepts and rejects the
// same files (within a pixel limit): tests and FuzzDecode check both
// against image/png.
//
// Input policy: chunk CRCs are checked, chunk order is image/png's (IHDR,
// PLTE, tRNS, IDAT..., IEND), the zlib stream must end exactly with the
// image data, and the file must reach IEND. The pixel limit is checked on
// IHDR before anything is allocated; ctx is checked every few rows.
package png

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"image"
	"image/color"
	"io"
)

// FormatError reports that the input is not a valid PNG.
type FormatError string

func (e FormatError) Error() string { return "png: invalid format: " + string(e) }

// UnsupportedError reports a valid PNG feature this package does not
// implement (a compression or filter method other than 0).
type UnsupportedError string

func (e UnsupportedError) Error() string { return "png: unsupported feature: " + string(e) }

// LimitError reports an image whose declared pixel count exceeds
// Options.MaxPixels. It is returned before any pixel buffer is allocated.
type LimitError struct {
	Pixels, Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("png: image has %d pixels, limit is %d", e.Pixels, e.Limit)
}

// Options controls Decode.
type Options struct {
	// MaxPixels is checked against the IHDR width × height before any
	// allocation; 0 means no limit. A row costs 2 × (1 + width × 8) bytes
	// at most on top of the image, so callers should bound the width too.
	MaxPixels int64
}

const signature = "\x89PNG\r\n\x1a\n"

// Colour types, §11.2.1 Table 11.1.
const (
	ctGray      = 0
	ctTrueColor = 2
	ctPaletted  = 3
	ctGrayAlpha = 4
	ctRGBA      = 6
)

// Decoding stages: the chunk order of §5.6 as image/png enforces it.
const (
	stStart = iota
	stIHDR
	stPLTE
	stTRNS
	stIDAT
	stIEND
)

// decoder is the whole decode state.
type decoder struct {
	r   io.Reader
	crc hash.Hash32
	tmp [3 * 256]byte

	width, height int
	depth         int // bits a sample: 1, 2, 4, 8 or 16
	ct            int
	interlace     bool
	stage         int
	idatLeft      uint32 // bytes of the current IDAT chunk not yet read

	palette  [256]color.Color
	paletteN int

	// trns holds the tRNS chunk of a greyscale or truecolour image.
	trns    [6]byte
	hasTRNS bool

	maxPixels int64
	img       image.Image
}

// Decode decodes a PNG. It reads r up to the end of the IEND chunk.
func Decode(ctx context.Context, r io.Reader, opt *Options) (image.Image, error) {
	d := &decoder{r: r, crc: crc32.NewIEEE()}
	if opt != nil {
		d.maxPixels = opt.MaxPixels
	}
	if err := d.decode(ctx); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return d.img, nil
}

func (d *decoder) decode(ctx context.Context) error {
	if _, err := io.ReadFull(d.r, d.tmp[:len(signature)]); err != nil {
		return err
	}
	if string(d.tmp[:len(signature)]) != signature {
		return FormatError("not a PNG file")
	}
	for d.stage != stIEND {
		if err := d.chunk(ctx); err != nil {
			return err
		}
	}
	return nil
}

var errChunkOrder = FormatError("chunk out of order")

func (d *decoder) paletted() bool  { return d.ct == ctPaletted }
func (d *decoder) truecolor() bool { return d.ct == ctTrueColor }

// chunk reads one chunk (§5.3) and acts on it.
func (d *decoder) chunk(ctx context.Context) error {
	if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
		return err
	}
	length := binary.BigEndian.Uint32(d.tmp[:4])
	d.crc.Reset()
	d.crc.Write(d.tmp[4:8])
	switch string(d.tmp[4:8]) {
	case "IHDR":
		if d.stage != stStart {
			return errChunkOrder
		}
		d.stage = stIHDR
		return d.parseIHDR(length)
	case "PLTE":
		if d.stage != stIHDR {
			return errChunkOrder
		}
		d.stage = stPLTE
		return d.parsePLTE(length)
	case "tRNS":
		switch {
		case d.paletted():
			if d.stage != stPLTE {
				return errChunkOrder
			}
		case d.truecolor():
			if d.stage != stIHDR && d.stage != stPLTE {
				return errChunkOrder
			}
		case d.stage != stIHDR:
			return errChunkOrder
		}
		d.stage = stTRNS
		return d.parseTRNS(length)
	case "IDAT":
		if d.stage < stIHDR || d.stage > stIDAT || d.stage == stIHDR && d.paletted() {
			return errChunkOrder
		}
		if d.stage == stIDAT {
			break // trailing IDAT chunks after the image data are ignored, as image/png does
		}
		d.stage = stIDAT
		d.idatLeft = length
		return d.readImage(ctx)
	case "IEND":
		if d.stage != stIDAT {
			return errChunkOrder
		}
		d.stage = stIEND
		if length != 0 {
			return FormatError("bad IEND length")
		}
		return d.verifyChecksum()
	}
	if length > 0x7fffffff {
		return FormatError(fmt.Sprintf("Bad chunk length: %d", length))
	}
	for length > 0 { // an ancillary chunk: skipped, its CRC checked
		n, err := io.ReadFull(d.r, d.tmp[:min(len(d.tmp), int(length))])
		if err != nil {
			return err
		}
		d.crc.Write(d.tmp[:n])
		length -= uint32(n)
	}
	return d.verifyChecksum()
}

func (d *decoder) verifyChecksum() error {
	if _, err := io.ReadFull(d.r, d.tmp[:4]); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(d.tmp[:4]) != d.crc.Sum32() {
		return FormatError("invalid checksum")
	}
	return nil
}

// parseIHDR reads the image header, §11.2.1, and checks the pixel limit.
func (d *decoder) parseIHDR(length uint32) error {
	if length != 13 {
		return FormatError("bad IHDR length")
	}
	if _, err := io.ReadFull(d.r, d.tmp[:13]); err != nil {
		return err
	}
	d.crc.Write(d.tmp[:13])
	if d.tmp[10] != 0 {
		return UnsupportedError("compression method")
	}
	if d.tmp[11] != 0 {
		return UnsupportedError("filter method")
	}
	if d.tmp[12] > 1 {
		return FormatError("invalid interlace method")
	}
	d.interlace = d.tmp[12] == 1
	w := int32(binary.BigEndian.Uint32(d.tmp[0:4]))
	h := int32(binary.BigEndian.Uint32(d.tmp[4:8]))
	if w <= 0 || h <= 0 {
		return FormatError("non-positive dimension")
	}
	d.depth, d.ct = int(d.tmp[8]), int(d.tmp[9])
	valid := map[int]string{ctGray: "\x01\x02\x04\x08\x10", ctTrueColor: "\x08\x10", ctPaletted: "\x01\x02\x04\x08", ctGrayAlpha: "\x08\x10", ctRGBA: "\x08\x10"}
	ok := false
	for _, v := range []byte(valid[d.ct]) {
		ok = ok || int(v) == d.depth
	}
	if !ok {
		return UnsupportedError(fmt.Sprintf("bit depth %d, color type %d", d.tmp[8], d.tmp[9]))
	}
	px := int64(w) * int64(h)
	if d.maxPixels > 0 && px > d.maxPixels {
		return &LimitError{Pixels: px, Limit: d.maxPixels}
	}
	if px > 1<<62/8 || int64(int(px)) != px {
		return UnsupportedError("dimension overflow")
	}
	d.width, d.height = int(w), int(h)
	return d.verifyChecksum()
}

// parsePLTE reads the palette, §11.2.2. Entries beyond it are opaque black.
func (d *decoder) parsePLTE(length uint32) error {
	np := int(length / 3)
	if length%3 != 0 || np <= 0 || np > 256 || np > 1<<uint(d.depth) {
		return FormatError("bad PLTE length")
	}
	n, err := io.ReadFull(d.r, d.tmp[:3*np])
	if err != nil {
		return err
	}
	d.crc.Write(d.tmp[:n])
	switch d.ct {
	case ctPaletted:
		for i := range d.palette {
			d.palette[i] = color.RGBA{0, 0, 0, 0xff}
			if i < np {
				d.palette[i] = color.RGBA{d.tmp[3*i], d.tmp[3*i+1], d.tmp[3*i+2], 0xff}
			}
		}
		d.paletteN = np
	case ctTrueColor, ctRGBA:
		// A suggested palette (§11.2.2): ignored.
	default:
		return FormatError("PLTE, color type mismatch")
	}
	return d.verifyChecksum()
}

// parseTRNS reads the transparency chunk, §11.3.2.1.
func (d *decoder) parseTRNS(length uint32) error {
	switch d.ct {
	case ctGray, ctTrueColor:
		want := uint32(2)
		if d.ct == ctTrueColor {
			want = 6
		}
		if length != want {
			return FormatError("bad tRNS length")
		}
		n, err := io.ReadFull(d.r, d.tmp[:length])
		if err != nil {
			return err
		}
		d.crc.Write(d.tmp[:n])
		copy(d.trns[:], d.tmp[:n])
		d.hasTRNS = true
	case ctPaletted:
		if length > 256 {
			return FormatError("bad tRNS length")
		}
		n, err := io.ReadFull(d.r, d.tmp[:length])
		if err != nil {
			return err
		}
		d.crc.Write(d.tmp[:n])
		for i := 0; i < n; i++ {
			c := d.palette[i].(color.RGBA)
			d.palette[i] = color.NRGBA{c.R, c.G, c.B, d.tmp[i]}
		}
	default:
		return FormatError("tRNS, color type mismatch")
	}
	return d.verifyChecksum()
}

// Read presents the consecutive IDAT chunks as one stream (§10.1),
// checking each chunk's CRC as it ends.
func (d *decoder) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for d.idatLeft == 0 {
		if err := d.verifyChecksum(); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
			return 0, err
		}
		d.idatLeft = binary.BigEndian.Uint32(d.tmp[:4])
		if string(d.tmp[4:8]) != "IDAT" {
			return 0, FormatError("not enough pixel data")
		}
		d.crc.Reset()
		d.crc.Write(d.tmp[4:8])
	}
	if int32(d.idatLeft) < 0 {
		return 0, UnsupportedError("IDAT chunk length overflow")
	}
	n, err := d.r.Read(p[:min(len(p), int(d.idatLeft))])
	d.crc.Write(p[:n])
	d.idatLeft -= uint32(n)
	return n, err
}

var errNotEnough = FormatError("not enough pixel data")

// isEOF reports an end of input inside the image data.
func isEOF(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) }
