package heif

import (
	"errors"
	"io"
	"slices"
)

// Default limits (see Options).
const (
	DefaultMaxPixels   int64 = 100_000_000
	DefaultMaxMetaSize int64 = 16 << 20
	DefaultMaxItems          = 8192
	DefaultMaxTiles          = 2048
	DefaultMaxRefs           = 1 << 16

	// maxTopBoxes bounds the top-level boxes scanned before meta; real
	// files have three to six (ftyp, meta, mdat, free, sometimes moov).
	maxTopBoxes = 1024
	// maxChildren bounds the children of meta, iref, iprp and ipco that
	// are not items or properties.
	maxChildren = 4096
	// maxProperties is the largest property index ipma can express.
	maxProperties = 1<<15 - 1
)

// Options are the safety limits of Parse and Probe; a zero field means its
// default. Every limit is checked before the memory it guards is allocated.
type Options struct {
	// MaxPixels bounds the primary image's size after grid assembly
	// (output_width × output_height of a grid, ispe of a coded image).
	// Tiles may together cover at most twice as much.
	MaxPixels int64
	// MaxMetaSize bounds the meta box, which is read into memory whole.
	MaxMetaSize int64
	// MaxItems bounds the items of iinf, iloc and ipma.
	MaxItems int
	// MaxTiles bounds the tiles of a grid.
	MaxTiles int
	// MaxRefs bounds the item references of iref, all types together.
	MaxRefs int
	// MaxExifSkip bounds how far Probe reads past meta on a source that
	// cannot seek to reach the Exif item (DefaultMaxExifSkip).
	MaxExifSkip int64
}

func (o *Options) withDefaults() Options {
	var d Options
	if o != nil {
		d = *o
	}
	if d.MaxPixels <= 0 {
		d.MaxPixels = DefaultMaxPixels
	}
	if d.MaxMetaSize <= 0 {
		d.MaxMetaSize = DefaultMaxMetaSize
	}
	if d.MaxItems <= 0 {
		d.MaxItems = DefaultMaxItems
	}
	if d.MaxTiles <= 0 {
		d.MaxTiles = DefaultMaxTiles
	}
	if d.MaxRefs <= 0 {
		d.MaxRefs = DefaultMaxRefs
	}
	if d.MaxExifSkip <= 0 {
		d.MaxExifSkip = DefaultMaxExifSkip
	}
	return d
}

// File is a parsed HEIF file: the brands and the meta box (items, their
// locations, references and properties). Item data stays in the source and
// is read by ItemData.
type File struct {
	MajorBrand       string
	CompatibleBrands []string

	r         io.ReaderAt
	size      int64
	sizeKnown bool // false for Probe's sequential source (size is math.MaxInt64)
	opt       Options

	primary uint32
	items   map[uint32]*item
	order   []uint32   // item ids in iinf order
	props   []property // ipco children; property index i is props[i-1]
	idat    []byte
}

// Parse reads the top-level boxes of a HEIF file of size bytes up to the
// meta box and parses meta. It reads no item data, so it works on a
// io.ReaderAt that fetches ranges lazily; ItemData reads items later.
//
// Box order: iPhone and libheif files put meta right after ftyp, so Parse
// reads the first few KiB, then the header of each later top-level box
// (mdat) to check that it fits in size. Files with mdat before meta are
// valid; Parse then reads mdat's header, skips its payload and reads meta
// after it (two more small reads). See Probe for sequential readers.
//
// Errors: *FormatError (corrupt or truncated boxes; an end of input inside
// a box wraps io.ErrUnexpectedEOF), *UnsupportedError (AVIF, other brands,
// a handler other than pict), *LimitError, or a read error of r other than
// io.EOF, returned as is.
func Parse(r io.ReaderAt, size int64, opt *Options) (*File, error) {
	return parse(r, size, true, opt.withDefaults())
}

// parse is Parse; when sizeKnown is false (Probe's sequential source), size
// is math.MaxInt64 and the end of input between boxes ends the scan.
func parse(r io.ReaderAt, size int64, sizeKnown bool, o Options) (*File, error) {
	var ftyp, meta []byte
	haveMoov := false
	var off int64
	// With a known size, the boxes after meta are checked to fit in the
	// file (one header read each), so a truncated mdat is found here.
	for n := 0; off < size && (meta == nil || sizeKnown); n++ {
		if n == maxTopBoxes {
			return nil, &LimitError{What: "top-level boxes", Value: int64(n) + 1, Limit: maxTopBoxes}
		}
		var h [32]byte
		m := int(min(int64(len(h)), size-off))
		k, err := r.ReadAt(h[:m], off)
		if k < m {
			if err == nil || (!errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)) {
				return nil, err
			}
			if sizeKnown || k >= 8 {
				m = k // a short last box: boxHeader decides
			} else if k == 0 {
				break // the end of a sequential source
			} else {
				return nil, errTruncated("box header")
			}
		}
		typ, hdr, bsize, err := boxHeader(h[:m], uint64(size-off))
		if err != nil {
			return nil, err
		}
		if n == 0 && typ != "ftyp" {
			return nil, formatErr("the file does not start with an ftyp box")
		}
		switch typ {
		case "ftyp", "meta":
			if (typ == "ftyp" && n > 0) || (typ == "meta" && meta != nil) {
				return nil, formatErr("second " + typ + " box")
			}
			plen := int64(bsize) - int64(hdr)
			if !sizeKnown && size-off == int64(bsize) && typ == "meta" {
				return nil, unsupported("meta box of size 0 (to the end of the file) in a sequential read")
			}
			if plen > o.MaxMetaSize {
				return nil, &LimitError{What: typ + " bytes", Value: plen, Limit: o.MaxMetaSize}
			}
			buf := make([]byte, plen)
			if k, err := r.ReadAt(buf, off+int64(hdr)); int64(k) < plen {
				return nil, wrapRead(typ+" box", err)
			}
			if typ == "ftyp" {
				ftyp = buf
				if err := checkBrands(ftyp); err != nil {
					return nil, err
				}
			} else {
				meta = buf
			}
		case "moov":
			haveMoov = true
		}
		off += int64(bsize)
	}
	f, err := newFile(r, size, o, ftyp, meta, haveMoov)
	if err != nil {
		return nil, err
	}
	f.sizeKnown = sizeKnown
	return f, nil
}

// newFile builds a File from the ftyp and meta payloads.
func newFile(r io.ReaderAt, size int64, o Options, ftyp, meta []byte, haveMoov bool) (*File, error) {
	if ftyp == nil {
		return nil, formatErr("no ftyp box")
	}
	if meta == nil {
		if haveMoov {
			return nil, unsupported("image sequence without a primary image (moov only)")
		}
		return nil, formatErr("no meta box")
	}
	f := &File{r: r, size: size, opt: o}
	f.MajorBrand, f.CompatibleBrands = brands(ftyp)
	if err := f.parseMeta(meta); err != nil {
		return nil, err
	}
	return f, nil
}

// brands splits an ftyp payload (ISO/IEC 14496-12 §4.3): major_brand,
// minor_version, compatible_brands[].
func brands(ftyp []byte) (major string, compat []string) {
	if len(ftyp) >= 4 {
		major = string(ftyp[:4])
	}
	for i := 8; i+4 <= len(ftyp); i += 4 {
		compat = append(compat, string(ftyp[i:i+4]))
	}
	return major, compat
}

// checkBrands accepts the HEIF image brands of ISO/IEC 23008-12 Annex B
// (heic, heix, mif1, msf1) and refuses AVIF (avif, avis) and anything else.
func checkBrands(ftyp []byte) error {
	if len(ftyp) < 8 {
		return errTruncated("ftyp box")
	}
	major, compat := brands(ftyp)
	all := append([]string{major}, compat...)
	heic := slices.ContainsFunc(all, func(b string) bool { return b == "heic" || b == "heix" })
	avif := slices.ContainsFunc(all, func(b string) bool { return b == "avif" || b == "avis" })
	if major == "avif" || major == "avis" || (avif && !heic) {
		return &UnsupportedError{Format: "avif", Reason: "AVIF (AV1 in HEIF) is not supported"}
	}
	if heic || slices.ContainsFunc(all, func(b string) bool { return b == "mif1" || b == "msf1" }) {
		return nil
	}
	return &UnsupportedError{Format: "iso-bmff", Reason: "brand " + printable(major) + " is not a HEIF image brand"}
}

// parseMeta parses the meta box (ISO/IEC 14496-12 §8.11.1) and checks the
// item graph's consistency where it cannot be done lazily.
func (f *File) parseMeta(payload []byte) error {
	c := newCursor(payload, "meta")
	if v, _ := c.fullBox(); c.err == nil && v != 0 {
		return formatErrf("meta box version %d", v)
	}
	if c.err != nil {
		return c.err
	}
	children, err := boxes(c.b, maxChildren)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	f.items = map[uint32]*item{}
	var iloc, iref, iprp []byte
	haveHdlr, havePitm := false, false
	for _, b := range children {
		switch b.typ {
		case "hdlr", "pitm", "iinf", "iloc", "iref", "iprp", "idat":
			if seen[b.typ] {
				return formatErr("more than one " + b.typ + " box in meta")
			}
			seen[b.typ] = true
		}
		switch b.typ {
		case "hdlr":
			if err := parseHdlr(b.payload); err != nil {
				return err
			}
			haveHdlr = true
		case "pitm":
			if f.primary, err = parsePitm(b.payload); err != nil {
				return err
			}
			havePitm = true
		case "iinf":
			if err := f.parseIinf(b.payload); err != nil {
				return err
			}
		case "iloc":
			iloc = b.payload
		case "iref":
			iref = b.payload
		case "iprp":
			iprp = b.payload
		case "idat":
			f.idat = b.payload
		}
	}
	if !haveHdlr {
		return formatErr("meta box has no hdlr box")
	}
	if !havePitm {
		return formatErr("meta box has no pitm box (no primary item)")
	}
	// iloc, iref and iprp name items, so they are parsed after iinf.
	if iloc != nil {
		if err := f.parseIloc(iloc); err != nil {
			return err
		}
	}
	if iref != nil {
		if err := f.parseIref(iref); err != nil {
			return err
		}
	}
	if iprp != nil {
		if err := f.parseIprp(iprp); err != nil {
			return err
		}
	}
	if _, ok := f.items[f.primary]; !ok {
		return formatErrf("primary item %d is not in iinf", f.primary)
	}
	return nil
}

// parseHdlr checks that the meta box holds images (handler "pict").
func parseHdlr(p []byte) error {
	c := newCursor(p, "hdlr")
	c.fullBox()
	c.u32() // pre_defined
	h := c.fourCC()
	if c.err != nil {
		return c.err
	}
	if h != "pict" {
		return unsupported("meta handler " + printable(h) + " is not pict")
	}
	return nil
}

// parsePitm reads the primary item id (version 0: 16 bits, else 32).
func parsePitm(p []byte) (uint32, error) {
	c := newCursor(p, "pitm")
	v, _ := c.fullBox()
	var id uint32
	if v == 0 {
		id = uint32(c.u16())
	} else {
		id = c.u32()
	}
	return id, c.err
}
