package heif

import (
	"fmt"
	"io"
	"math"
)

// item is one entry of iinf with what iloc, iref and ipma say about it.
type item struct {
	id          uint32
	typ         string // item_type: "hvc1", "grid", "iden", "Exif", "mime", ...
	name        string
	contentType string // for "mime" items
	hidden      bool
	protected   bool

	loc   *location
	assoc []association       // ipma, in order
	refs  map[string][]uint32 // iref from this item, by reference type
}

// location is an item's iloc entry (ISO/IEC 14496-12 §8.11.3).
type location struct {
	method  uint8 // construction_method: 0 file offset, 1 idat offset, 2 item offset
	dataRef uint16
	base    uint64
	extents []extent
}

type extent struct{ off, len uint64 }

// parseIinf parses the item information box (§8.11.6): version 0 has a
// 16-bit entry count, later versions 32 bits, then infe boxes.
func (f *File) parseIinf(p []byte) error {
	c := newCursor(p, "iinf")
	v, _ := c.fullBox()
	if v == 0 {
		c.u16()
	} else {
		c.u32()
	}
	if c.err != nil {
		return c.err
	}
	// The entry count is not trusted: the infe boxes present are parsed.
	children, err := boxes(c.b, f.opt.MaxItems)
	if err != nil {
		if le, ok := err.(*LimitError); ok {
			le.What = "items"
		}
		return err
	}
	for _, b := range children {
		if b.typ != "infe" {
			continue
		}
		it, err := parseInfe(b.payload)
		if err != nil {
			return err
		}
		if _, dup := f.items[it.id]; dup {
			return formatErrf("item %d is declared twice in iinf", it.id)
		}
		f.items[it.id] = it
		f.order = append(f.order, it.id)
	}
	return nil
}

// parseInfe parses an item info entry (§8.11.6.2). Versions 2 and 3 are
// HEIF's (16- and 32-bit item ids); versions 0 and 1 have no item type
// and yield an item of type "" that no image uses.
func parseInfe(p []byte) (*item, error) {
	c := newCursor(p, "infe")
	v, flags := c.fullBox()
	it := &item{}
	switch {
	case v <= 1:
		it.id = uint32(c.u16())
		it.protected = c.u16() != 0
		it.name = c.cstring()
	case v == 2 || v == 3:
		if v == 2 {
			it.id = uint32(c.u16())
		} else {
			it.id = c.u32()
		}
		it.protected = c.u16() != 0
		it.typ = c.fourCC()
		it.name = c.cstring()
		if it.typ == "mime" {
			it.contentType = c.cstring()
		}
		it.hidden = flags&1 != 0
	default:
		if c.err == nil {
			return nil, formatErrf("infe box version %d", v)
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return it, nil
}

// parseIloc parses the item location box (§8.11.3), versions 0 to 2.
func (f *File) parseIloc(p []byte) error {
	c := newCursor(p, "iloc")
	v, _ := c.fullBox()
	if c.err == nil && v > 2 {
		return formatErrf("iloc box version %d", v)
	}
	sizes := c.u16()
	offSize, lenSize, baseSize := int(sizes>>12), int(sizes>>8&15), int(sizes>>4&15)
	idxSize := 0
	if v >= 1 {
		idxSize = int(sizes & 15)
	}
	for _, s := range []int{offSize, lenSize, baseSize, idxSize} {
		if s != 0 && s != 4 && s != 8 {
			return formatErrf("iloc field size %d", s)
		}
	}
	var count uint32
	if v < 2 {
		count = uint32(c.u16())
	} else {
		count = c.u32()
	}
	if c.err != nil {
		return c.err
	}
	if count > uint32(f.opt.MaxItems) {
		return &LimitError{What: "items", Value: int64(count), Limit: int64(f.opt.MaxItems)}
	}
	for range count {
		var id uint32
		if v < 2 {
			id = uint32(c.u16())
		} else {
			id = c.u32()
		}
		loc := &location{}
		if v >= 1 {
			loc.method = uint8(c.u16() & 15)
		}
		loc.dataRef = c.u16()
		loc.base = c.uintN(baseSize)
		n := int(c.u16())
		// Each extent takes at least one byte unless all sizes are 0;
		// check the count against what is left before allocating.
		per := offSize + lenSize + idxSize
		if c.err != nil || (per > 0 && n > c.remaining()/per) {
			return errTruncated("iloc box")
		}
		if per == 0 && n > 1 {
			return formatErr("iloc: several extents without offsets or lengths")
		}
		loc.extents = make([]extent, n)
		for i := range loc.extents {
			c.uintN(idxSize) // extent_index: only for construction method 2
			loc.extents[i] = extent{off: c.uintN(offSize), len: c.uintN(lenSize)}
		}
		if c.err != nil {
			return c.err
		}
		it, ok := f.items[id]
		if !ok {
			continue // a location for an undeclared item is harmless
		}
		if it.loc != nil {
			return formatErrf("item %d has two iloc entries", id)
		}
		it.loc = loc
	}
	return c.err
}

// parseIref parses the item reference box (§8.11.12): version 0 has 16-bit
// item ids, version 1 32-bit ones. References to or from undeclared items
// are errors only when an image uses them.
func (f *File) parseIref(p []byte) error {
	c := newCursor(p, "iref")
	v, _ := c.fullBox()
	if c.err != nil {
		return c.err
	}
	if v > 1 {
		return formatErrf("iref box version %d", v)
	}
	children, err := boxes(c.b, maxChildren+f.opt.MaxRefs)
	if err != nil {
		return err
	}
	total := 0
	for _, b := range children {
		rc := newCursor(b.payload, "iref "+printable(b.typ))
		read := func() uint32 {
			if v == 0 {
				return uint32(rc.u16())
			}
			return rc.u32()
		}
		from := read()
		n := int(rc.u16())
		if rc.err != nil {
			return rc.err
		}
		total += n
		if total > f.opt.MaxRefs {
			return &LimitError{What: "references", Value: int64(total), Limit: int64(f.opt.MaxRefs)}
		}
		idSize := 2 << v
		if n*idSize > rc.remaining() {
			return errTruncated("iref " + printable(b.typ) + " box")
		}
		to := make([]uint32, n)
		for i := range to {
			to[i] = read()
		}
		it, ok := f.items[from]
		if !ok {
			continue
		}
		if it.refs == nil {
			it.refs = map[string][]uint32{}
		}
		if _, dup := it.refs[b.typ]; dup {
			// ISO/IEC 14496-12 allows one box per (type, from) pair;
			// order matters for dimg, so a second one is ambiguous.
			return formatErrf("item %d has two %q references", from, printable(b.typ))
		}
		it.refs[b.typ] = to
	}
	return nil
}

// span is one extent resolved to an offset in the file or in idat.
type span struct{ off, len uint64 }

// ItemData returns the bytes of an item: its iloc extents concatenated,
// read from the file (construction method 0) or from idat (method 1).
// Construction method 2 (item offset) and external data references are
// *UnsupportedError; an extent outside the file or idat is a *FormatError
// wrapping io.ErrUnexpectedEOF. The total is bounded by the file size, so
// an item never allocates more than the file holds.
func (f *File) ItemData(id uint32) ([]byte, error) {
	it, ok := f.items[id]
	if !ok {
		return nil, formatErrf("item %d does not exist", id)
	}
	if it.loc == nil {
		return nil, formatErrf("item %d has no iloc entry", id)
	}
	loc := it.loc
	if loc.dataRef != 0 {
		return nil, unsupported(fmt.Sprintf("item %d is in another file (data_reference_index %d)", id, loc.dataRef))
	}
	var srcSize uint64
	switch loc.method {
	case 0:
		srcSize = uint64(f.size)
	case 1:
		srcSize = uint64(len(f.idat))
	case 2:
		return nil, unsupported(fmt.Sprintf("item %d uses construction method 2 (item offset)", id))
	default:
		return nil, formatErrf("item %d: construction method %d", id, loc.method)
	}
	spans := make([]span, 0, len(loc.extents))
	var total uint64
	for _, e := range loc.extents {
		off := loc.base + e.off
		if off < loc.base || off > srcSize {
			return nil, &FormatError{Reason: fmt.Sprintf("item %d: extent offset past the end of its data", id), Err: io.ErrUnexpectedEOF}
		}
		n := e.len
		if n == 0 { // length 0: the extent runs to the end of the source
			n = srcSize - off
		}
		if n > srcSize-off {
			return nil, &FormatError{Reason: fmt.Sprintf("item %d: extent past the end of its data", id), Err: io.ErrUnexpectedEOF}
		}
		total += n
		if total > srcSize {
			return nil, formatErrf("item %d: extents add up to more than the file", id)
		}
		spans = append(spans, span{off, n})
	}
	if total > math.MaxInt32 {
		return nil, &LimitError{What: "item bytes", Value: int64(total), Limit: math.MaxInt32}
	}
	if !f.sizeKnown && loc.method == 0 {
		return f.readUnsized(id, spans)
	}
	out := make([]byte, 0, total)
	for _, s := range spans {
		if loc.method == 1 {
			out = append(out, f.idat[s.off:s.off+s.len]...)
			continue
		}
		start := len(out)
		out = out[:start+int(s.len)]
		if k, err := f.r.ReadAt(out[start:], int64(s.off)); k < int(s.len) {
			return nil, wrapRead(fmt.Sprintf("item %d data", id), err)
		}
	}
	return out, nil
}

// readUnsized reads extents from a source of unknown size in chunks, so a
// hostile length costs no more memory than the data actually present.
func (f *File) readUnsized(id uint32, spans []span) ([]byte, error) {
	const chunk = 1 << 20
	var out []byte
	for _, s := range spans {
		for done := uint64(0); done < s.len; {
			n := min(s.len-done, chunk)
			start := len(out)
			out = append(out, make([]byte, n)...)
			if k, err := f.r.ReadAt(out[start:], int64(s.off+done)); uint64(k) < n {
				return nil, wrapRead(fmt.Sprintf("item %d data", id), err)
			}
			done += n
		}
	}
	return out, nil
}
