// Package heifmux assembles HEIF files from items, properties and
// references, for tests and benchmarks: iPhone-like grid files from tiles
// that heif-enc wrote, and hostile files that no encoder writes. It is not
// a general muxer: it trusts its input and panics on misuse.
package heifmux

import (
	"bytes"
	"encoding/binary"
)

// Box returns a box of type typ (four characters) with the payload parts
// concatenated.
func Box(typ string, payload ...[]byte) []byte {
	if len(typ) != 4 {
		panic("heifmux: box type " + typ)
	}
	body := bytes.Join(payload, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	out = append(out, typ...)
	return append(out, body...)
}

// FullBox is Box with a version and flags word first.
func FullBox(typ string, version uint8, flags uint32, payload ...[]byte) []byte {
	return Box(typ, append([][]byte{U32(uint32(version)<<24 | flags&0xffffff)}, payload...)...)
}

// U8, U16, U32 and U64 encode big-endian fields.
func U8(v uint8) []byte   { return []byte{v} }
func U16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func U32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func U64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// CString is a NUL-terminated string.
func CString(s string) []byte { return append([]byte(s), 0) }

// Ispe is an image spatial extents property.
func Ispe(w, h uint32) []byte { return FullBox("ispe", 0, 0, U32(w), U32(h)) }

// Irot rotates by angle×90° anticlockwise.
func Irot(angle uint8) []byte { return Box("irot", U8(angle)) }

// Imir mirrors: mode 0 exchanges top and bottom, 1 left and right.
func Imir(mode uint8) []byte { return Box("imir", U8(mode)) }

// Clap is a clean aperture of w×h pixels whose centre is offset by
// (dx/2, dy/2) pixels from the image centre.
func Clap(w, h uint32, dx, dy int32) []byte {
	return Box("clap", U32(w), U32(1), U32(h), U32(1), U32(uint32(dx)), U32(2), U32(uint32(dy)), U32(2))
}

// Pixi gives the bits per channel.
func Pixi(bits ...uint8) []byte { return FullBox("pixi", 0, 0, U8(uint8(len(bits))), bits) }

// AuxC names an auxiliary image type.
func AuxC(urn string) []byte { return FullBox("auxC", 0, 0, CString(urn)) }

// ColrNCLX is an nclx colour property.
func ColrNCLX(primaries, transfer, matrix uint16, full bool) []byte {
	var f uint8
	if full {
		f = 0x80
	}
	return Box("colr", []byte("nclx"), U16(primaries), U16(transfer), U16(matrix), U8(f))
}

// ColrICC is an ICC colour property of type "prof" or "rICC".
func ColrICC(typ string, icc []byte) []byte { return Box("colr", []byte(typ), icc) }

// GridData is an ImageGrid descriptor with 16-bit (or, when large, 32-bit)
// output sizes.
func GridData(rows, cols int, w, h uint32) []byte {
	if w > 0xffff || h > 0xffff {
		return bytes.Join([][]byte{{0, 1, uint8(rows - 1), uint8(cols - 1)}, U32(w), U32(h)}, nil)
	}
	return bytes.Join([][]byte{{0, 0, uint8(rows - 1), uint8(cols - 1)}, U16(uint16(w)), U16(uint16(h))}, nil)
}

// ExifData is an Exif item's payload: the 4-byte offset to the TIFF
// header, then the TIFF structure.
func ExifData(tiff []byte) []byte { return append(U32(0), tiff...) }

// Prop is one property association of an item: the property box and its
// essential flag. Equal boxes are stored once in ipco.
type Prop struct {
	Box       []byte
	Essential bool
}

// Item is one item of the file.
type Item struct {
	ID          uint32
	Type        string // "hvc1", "grid", "iden", "Exif", "mime", ...
	Name        string
	ContentType string // for "mime"
	Hidden      bool
	Data        []byte
	InIdat      bool // construction method 1 (needs iloc version 1 or 2)
	Extents     int  // split Data into this many extents (0 or 1: one)
	Props       []Prop
	NoLocation  bool // leave the item out of iloc
}

// Ref is one item reference.
type Ref struct {
	Type string
	From uint32
	To   []uint32
}

// File describes a whole file. Zero versions pick the smallest that fits
// (iloc version 1 when any item is in idat).
type File struct {
	Major      string
	Compatible []string
	Primary    uint32
	Items      []Item
	Refs       []Ref

	MdatFirst   bool  // write mdat before meta
	InfeVersion uint8 // 2 (16-bit ids) or 3 (32-bit)
	IlocVersion uint8
	IrefVersion uint8
	IpmaVersion uint8
	IpmaLarge   bool // 15-bit property indices
	PitmVersion uint8
	OffsetSize  int // iloc offset_size and length_size: 4 (default) or 8
	ExtraMeta   [][]byte
	// MetaLargeSize writes meta with size 1 and a 64-bit largesize.
	MetaLargeSize bool
}

// Bytes writes the file: ftyp, meta, mdat (or ftyp, mdat, meta).
func (f *File) Bytes() []byte {
	ftyp := f.ftyp()
	mdatPayload, offs := f.mdat()
	// Offsets in iloc have fixed sizes, so meta's length does not depend
	// on where mdat lands: build it once to measure, once for real.
	meta := f.meta(offs, 0)
	var start uint64
	if f.MdatFirst {
		start = uint64(len(ftyp)) + 8
		return bytes.Join([][]byte{ftyp, Box("mdat", mdatPayload), f.meta(offs, start)}, nil)
	}
	start = uint64(len(ftyp)+len(meta)) + 8
	return bytes.Join([][]byte{ftyp, f.meta(offs, start), Box("mdat", mdatPayload)}, nil)
}

func (f *File) ftyp() []byte {
	major := f.Major
	if major == "" {
		major = "heic"
	}
	compat := f.Compatible
	if compat == nil {
		compat = []string{"mif1", "heic"}
	}
	var b []byte
	for _, c := range compat {
		b = append(b, c...)
	}
	return Box("ftyp", []byte(major), U32(0), b)
}

// mdat concatenates the data of items outside idat; offs[i] is item i's
// offset in the mdat payload.
func (f *File) mdat() ([]byte, []uint64) {
	var b []byte
	offs := make([]uint64, len(f.Items))
	for i, it := range f.Items {
		if it.InIdat {
			continue
		}
		offs[i] = uint64(len(b))
		b = append(b, it.Data...)
	}
	return b, offs
}

func (f *File) meta(offs []uint64, mdatStart uint64) []byte {
	parts := [][]byte{
		FullBox("hdlr", 0, 0, U32(0), []byte("pict"), make([]byte, 12), CString("")),
		f.pitm(),
		f.iinf(),
		f.iloc(offs, mdatStart),
	}
	if len(f.Refs) > 0 {
		parts = append(parts, f.iref())
	}
	parts = append(parts, f.iprp())
	var idat []byte
	for _, it := range f.Items {
		if it.InIdat {
			idat = append(idat, it.Data...)
		}
	}
	if idat != nil {
		parts = append(parts, Box("idat", idat))
	}
	parts = append(parts, f.ExtraMeta...)
	m := FullBox("meta", 0, 0, parts...)
	if f.MetaLargeSize {
		m = bytes.Join([][]byte{U32(1), []byte("meta"), U64(uint64(len(m) + 8)), m[8:]}, nil)
	}
	return m
}

func (f *File) pitm() []byte {
	if f.PitmVersion == 0 && f.Primary <= 0xffff {
		return FullBox("pitm", 0, 0, U16(uint16(f.Primary)))
	}
	return FullBox("pitm", 1, 0, U32(f.Primary))
}

func (f *File) iinf() []byte {
	var entries [][]byte
	for _, it := range f.Items {
		v := f.InfeVersion
		if v == 0 {
			v = 2
			if it.ID > 0xffff {
				v = 3
			}
		}
		var flags uint32
		if it.Hidden {
			flags = 1
		}
		id := U16(uint16(it.ID))
		if v == 3 {
			id = U32(it.ID)
		}
		body := [][]byte{id, U16(0), []byte(it.Type), CString(it.Name)}
		if it.Type == "mime" {
			body = append(body, CString(it.ContentType))
		}
		entries = append(entries, FullBox("infe", v, flags, body...))
	}
	return FullBox("iinf", 0, 0, append([][]byte{U16(uint16(len(f.Items)))}, entries...)...)
}

func (f *File) iloc(offs []uint64, mdatStart uint64) []byte {
	v := f.IlocVersion
	wide := false
	for _, it := range f.Items {
		if it.InIdat && v == 0 {
			v = 1
		}
		wide = wide || it.ID > 0xffff
	}
	if wide {
		v = 2
	}
	size := f.OffsetSize
	if size == 0 {
		size = 4
	}
	field := func(x uint64) []byte {
		if size == 8 {
			return U64(x)
		}
		return U32(uint32(x))
	}
	var body [][]byte
	body = append(body, U16(uint16(size<<12|size<<8))) // base_offset_size 0, index_size 0
	var n int
	var items [][]byte
	var idatOff uint64
	for i, it := range f.Items {
		if it.NoLocation {
			continue
		}
		n++
		var e [][]byte
		if v < 2 {
			e = append(e, U16(uint16(it.ID)))
		} else {
			e = append(e, U32(it.ID))
		}
		base := mdatStart + offs[i]
		if v >= 1 {
			method := uint16(0)
			if it.InIdat {
				method = 1
				base = idatOff
				idatOff += uint64(len(it.Data))
			}
			e = append(e, U16(method))
		}
		e = append(e, U16(0)) // data_reference_index
		k := max(it.Extents, 1)
		e = append(e, U16(uint16(k)))
		for j := range k {
			lo, hi := len(it.Data)*j/k, len(it.Data)*(j+1)/k
			e = append(e, field(base+uint64(lo)), field(uint64(hi-lo)))
		}
		items = append(items, bytes.Join(e, nil))
	}
	if v < 2 {
		body = append(body, U16(uint16(n)))
	} else {
		body = append(body, U32(uint32(n)))
	}
	return FullBox("iloc", v, 0, append(body, items...)...)
}

func (f *File) iref() []byte {
	v := f.IrefVersion
	for _, r := range f.Refs {
		for _, id := range append([]uint32{r.From}, r.To...) {
			if id > 0xffff {
				v = 1
			}
		}
	}
	id := func(x uint32) []byte {
		if v == 0 {
			return U16(uint16(x))
		}
		return U32(x)
	}
	var boxes [][]byte
	for _, r := range f.Refs {
		body := append(id(r.From), U16(uint16(len(r.To)))...)
		for _, t := range r.To {
			body = append(body, id(t)...)
		}
		boxes = append(boxes, Box(r.Type, body))
	}
	return FullBox("iref", v, 0, boxes...)
}

func (f *File) iprp() []byte {
	var props [][]byte
	index := func(b []byte) int {
		for i, p := range props {
			if bytes.Equal(p, b) {
				return i + 1
			}
		}
		props = append(props, b)
		return len(props)
	}
	large := f.IpmaLarge
	v := f.IpmaVersion
	type assoc struct {
		id  uint32
		idx []int
		ess []bool
	}
	var as []assoc
	for _, it := range f.Items {
		if len(it.Props) == 0 {
			continue
		}
		a := assoc{id: it.ID}
		for _, p := range it.Props {
			i := index(p.Box)
			large = large || i > 0x7f
			a.idx = append(a.idx, i)
			a.ess = append(a.ess, p.Essential)
		}
		if it.ID > 0xffff {
			v = 1
		}
		as = append(as, a)
	}
	var flags uint32
	if large {
		flags = 1
	}
	body := [][]byte{U32(uint32(len(as)))}
	for _, a := range as {
		if v == 0 {
			body = append(body, U16(uint16(a.id)))
		} else {
			body = append(body, U32(a.id))
		}
		body = append(body, U8(uint8(len(a.idx))))
		for j, i := range a.idx {
			switch {
			case large && a.ess[j]:
				body = append(body, U16(uint16(i)|0x8000))
			case large:
				body = append(body, U16(uint16(i)))
			case a.ess[j]:
				body = append(body, U8(uint8(i)|0x80))
			default:
				body = append(body, U8(uint8(i)))
			}
		}
	}
	return Box("iprp", Box("ipco", props...), FullBox("ipma", v, flags, body...))
}
