package heif

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// DefaultMaxExifSkip is how far Probe reads past meta, by default, to reach
// the Exif item of a source that cannot seek.
const DefaultMaxExifSkip = 1 << 20

// Info is what Probe reports about the primary image: the facts
// validate needs, without decoding.
type Info struct {
	MajorBrand string
	// Width and Height are the decoded size after the clean aperture
	// (Layout.Crop), in stored orientation: EXIF-style, the display size
	// is Height×Width for orientations 5 to 8.
	Width, Height int
	// Orientation is the EXIF orientation equal to the irot and imir
	// properties (1 when there are none). The Exif item's Orientation tag
	// must not be applied as well (ISO/IEC 23008-12 §6.5.10 NOTE).
	Orientation int
	HasAlpha    bool
	Grid        bool
	Tiles       int // grid tiles; 1 for a coded image
	// BitDepth and ChromaFormat are those of the (first tile's) hvcC.
	BitDepth     int
	ChromaFormat int
	Color        Color
	HasEXIF      bool
	// Exif is the TIFF structure of the Exif item (from the "MM" or "II"
	// byte-order mark), nil when there is none or when Probe could not
	// reach it (see Probe).
	Exif   []byte
	HasXMP bool
}

// Probe reads a HEIF file from a sequential source: ftyp, the boxes before
// meta (skipped), meta, the grid descriptor when it is in mdat, and the
// Exif item. It decodes nothing.
//
// Reading order: iPhones and libheif write ftyp, meta, mdat, so Probe
// reads a few KiB, then the Exif item if it lies within
// Options.MaxExifSkip bytes after meta (1 MiB by default). When mdat comes first, or an item lies
// behind what was read, Probe needs to go back: it does so when r is an
// io.Seeker; otherwise it reads the whole mdat to reach meta (bounded by
// the source's length, which the caller limits) and leaves Info.Exif nil
// with HasEXIF set. Probe never buffers more than a box header besides
// ftyp and meta.
//
// r must be at the file's first byte; when it is an io.Seeker, offsets are
// file offsets (io.SeekStart). Errors are those of Parse and PrimaryImage,
// plus *UnsupportedError when a grid descriptor lies behind what a source
// that cannot seek has read.
func Probe(r io.Reader, opt *Options) (*Info, error) {
	o := opt.withDefaults()
	fr := &forwardReader{r: r}
	if s, ok := r.(io.Seeker); ok {
		fr.seeker = s
	}
	f, err := parse(fr, math.MaxInt64, false, o)
	if err != nil {
		return nil, err
	}
	img, err := f.PrimaryImage()
	if errors.Is(err, errBehind) {
		return nil, unsupported("the grid descriptor lies before meta: probing it needs a seekable source")
	}
	if err != nil {
		return nil, err
	}
	info := f.Info(img)
	if img.ExifID != 0 {
		fr.maxSkip = o.MaxExifSkip
		exif, err := f.Exif(img)
		var fe *FormatError
		switch {
		case err == nil:
			info.Exif = exif
		case errors.Is(err, errBehind), errors.Is(err, errTooFar), errors.As(err, &fe):
			// Unreachable without seeking, or corrupt: the image is fine.
		default:
			return nil, err // a read error of the source
		}
	}
	return info, nil
}

// Info summarises a resolved primary image (see Probe); Exif is left nil.
func (f *File) Info(img *Image) *Info {
	info := &Info{
		MajorBrand:  f.MajorBrand,
		Width:       img.Layout.Crop.Dx(),
		Height:      img.Layout.Crop.Dy(),
		Orientation: img.Layout.Orientation,
		HasAlpha:    img.Alpha != nil,
		Grid:        img.Grid != nil,
		Tiles:       1,
		Color:       img.Color,
		HasEXIF:     img.ExifID != 0,
		HasXMP:      img.XMPID != 0,
	}
	cfg := img.Coded
	if img.Grid != nil {
		info.Tiles = len(img.Grid.Tiles)
		cfg = &img.Grid.Tiles[0]
	}
	if h, err := ParseHVCC(cfg.Config); err == nil {
		info.BitDepth, info.ChromaFormat = h.BitDepthLuma, h.ChromaFormat
	}
	return info
}

// Exif returns the TIFF structure of the image's Exif item (ISO/IEC
// 23008-12 Annex A.2.1: a 4-byte exif_tiff_header_offset, then that many
// bytes, usually "Exif\0\0", then the TIFF header), or nil when there is
// no Exif item.
func (f *File) Exif(img *Image) ([]byte, error) {
	if img.ExifID == 0 {
		return nil, nil
	}
	b, err := f.ItemData(img.ExifID)
	if err != nil {
		return nil, err
	}
	if len(b) < 4 {
		return nil, errTruncated("Exif item")
	}
	off := binary.BigEndian.Uint32(b)
	if uint64(off) > uint64(len(b)-4) {
		return nil, formatErr("Exif item: TIFF header offset past the end of the item")
	}
	return b[4+off:], nil
}

var (
	errBehind = errors.New("heif: data lies before what a sequential source has read")
	errTooFar = errors.New("heif: data lies too far ahead in a sequential source")
)

// forwardReader is an io.ReaderAt over a sequential source. It reads
// forward only, discarding gaps, and remembers the last bytes read so that
// a payload read right after its box header works; a read behind that
// seeks when the source can, and fails with errBehind when not. Once
// maxSkip is set, a gap larger than it fails with errTooFar.
type forwardReader struct {
	r       io.Reader
	seeker  io.Seeker
	pos     int64  // offset of the next byte of r
	keep    []byte // the bytes just before pos
	maxSkip int64
}

const keepLen = 64

func (f *forwardReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if start := f.pos - int64(len(f.keep)); off >= start && off < f.pos {
		n = copy(p, f.keep[off-start:])
		off += int64(n)
	}
	if n == len(p) {
		return n, nil
	}
	switch gap := off - f.pos; {
	case gap < 0 || (gap > 0 && f.seeker != nil):
		if f.seeker == nil {
			return n, errBehind
		}
		if _, err := f.seeker.Seek(off, io.SeekStart); err != nil {
			return n, err
		}
		f.pos, f.keep = off, nil
	case gap > 0:
		if f.maxSkip > 0 && gap > f.maxSkip {
			return n, errTooFar
		}
		k, err := io.CopyN(io.Discard, f.r, gap)
		f.pos += k
		f.keep = nil
		if err != nil {
			return n, err
		}
	}
	k, err := io.ReadFull(f.r, p[n:])
	f.pos += int64(k)
	got := p[:n+k]
	if len(got) > keepLen {
		got = got[len(got)-keepLen:]
	}
	f.keep = append(f.keep[:0], got...)
	return n + k, err
}
