package heif

import (
	"fmt"
	"slices"
)

// Auxiliary image types (auxC) that mark an alpha plane: HEVC's (ISO/IEC
// 23008-12 §6.5.8 before 2017) and MPEG-B CICP's, which newer writers use.
const (
	AuxAlphaHEVC = "urn:mpeg:hevc:2015:auxid:1"
	AuxAlphaCICP = "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"
)

// maxDerivation bounds chains of derived images (iden of iden of grid).
const maxDerivation = 8

// Image is a resolved image: the primary image of a file, or its alpha
// plane. It is either one coded item or a grid of coded tiles; an iden
// derivation is resolved to its source with its own transforms appended.
type Image struct {
	ID   uint32 // the item that was resolved (the primary item for the primary image)
	Type string // "hvc1" or "grid": the kind of its pixels' source

	// Width and Height are the decoded size: the ispe of the coded item,
	// or the grid's output size (tiles cropped to it).
	Width, Height int

	Coded *Coded // Type "hvc1"
	Grid  *Grid  // Type "grid"

	// Transforms are irot, imir and clap in the order ipma lists them
	// (those of an iden derivation after its source's). Layout folds them.
	Transforms []Transform
	Layout     Layout

	Color    Color
	BitDepth []uint8 // pixi: bits per channel; nil when absent

	// Alpha is the alpha plane (an auxl auxiliary image whose auxC type is
	// AuxAlphaHEVC or AuxAlphaCICP), nil when there is none. It has the
	// same decoded size and Layout as its master (its own transforms must
	// fold to the master's; an alpha plane that does not fit is ignored),
	// so the master's Layout applies to both.
	Alpha *Image
	// Premultiplied is set when a prem reference says the colour planes
	// are premultiplied by Alpha.
	Premultiplied bool

	// ExifID and XMPID are the metadata items describing the image (cdsc
	// references); 0 when there is none (item id 0 is reserved).
	ExifID, XMPID uint32
}

// Coded is one HEVC-coded item.
type Coded struct {
	ID            uint32
	Width, Height int    // ispe
	Config        []byte // hvcC payload
}

// Grid is a grid derivation (ISO/IEC 23008-12 §6.6.2.3): Rows×Columns
// tiles of TileWidth×TileHeight, row-major, placed edge to edge and
// cropped to the image's Width×Height.
type Grid struct {
	Rows, Columns         int
	TileWidth, TileHeight int
	Tiles                 []Coded
}

// imageProps is what the properties of one item say.
type imageProps struct {
	w, h       uint32
	haveIspe   bool
	hvcC       []byte
	transforms []Transform
	color      Color
	pixi       []uint8
	auxType    string
}

// itemProps parses the properties associated with an item. An unknown
// property marked essential makes the item *UnsupportedError; unknown
// non-essential ones are skipped.
func (f *File) itemProps(it *item) (imageProps, error) {
	var p imageProps
	for _, a := range it.assoc {
		if a.index == 0 {
			continue
		}
		pr := f.props[a.index-1]
		var err error
		switch pr.typ {
		case "ispe":
			p.w, p.h, err = parseIspe(pr.payload)
			p.haveIspe = true
		case "hvcC":
			p.hvcC = pr.payload
		case "colr":
			err = parseColr(pr.payload, &p.color)
		case "pixi":
			p.pixi, err = parsePixi(pr.payload)
		case "auxC":
			p.auxType, err = parseAuxC(pr.payload)
		case "irot", "imir", "clap":
			var t Transform
			switch pr.typ {
			case "irot":
				t, err = parseIrot(pr.payload)
			case "imir":
				t, err = parseImir(pr.payload)
			default:
				t, err = parseClap(pr.payload)
			}
			if err == nil {
				p.transforms = append(p.transforms, t)
			}
		case "pasp", "rloc", "lsel", "udes", "a1op", "a1lx":
			// Pixel aspect ratio (iPhones write 1:1), relative location,
			// layer selection, descriptions, AV1 layers: no effect here.
		default:
			if a.essential {
				return p, unsupported(fmt.Sprintf("item %d has the essential property %q", it.id, printable(pr.typ)))
			}
		}
		if err != nil {
			return p, fmt.Errorf("item %d: %w", it.id, err)
		}
	}
	return p, nil
}

// PrimaryImage resolves the primary item: its kind, size, tiles, layout,
// colour, alpha plane and metadata items. It reads the grid descriptors
// (a few bytes, usually in idat) but no coded data. Thumbnails (thmb),
// depth maps and other auxiliary images (auxl with another auxC type,
// such as Apple's HDR gain map) are ignored.
//
// Errors: *FormatError for an inconsistent item graph (loops, missing
// items or properties, tiles that do not cover the grid), *UnsupportedError
// for items coded with something other than HEVC (AVIF's av01 with Format
// "avif"), *LimitError when the image is larger than Options.MaxPixels or
// a grid has more tiles than Options.MaxTiles.
func (f *File) PrimaryImage() (*Image, error) {
	img, err := f.resolve(f.primary, nil)
	if err != nil {
		return nil, err
	}
	chain := f.chain(f.primary)
	for _, id := range f.order {
		it := f.items[id]
		if id == f.primary || !refersTo(it.refs["auxl"], chain) {
			continue
		}
		p, err := f.itemProps(it)
		if err != nil || (p.auxType != AuxAlphaHEVC && p.auxType != AuxAlphaCICP) {
			continue // depth maps, gain maps and broken auxiliaries are not ours to judge
		}
		alpha, err := f.resolve(id, nil)
		if err != nil {
			return nil, fmt.Errorf("alpha plane: %w", err)
		}
		// The alpha plane carries its own transforms (libheif decodes it
		// with them); one that does not end up on the master's pixels is
		// ignored, as libheif ignores one of another size.
		if alpha.Width != img.Width || alpha.Height != img.Height || alpha.Layout != img.Layout {
			continue
		}
		img.Alpha = alpha
		img.Premultiplied = refersTo(f.items[f.primary].refs["prem"], []uint32{id})
		break
	}
	for _, id := range f.order {
		it := f.items[id]
		if !refersTo(it.refs["cdsc"], chain) {
			continue
		}
		switch {
		case it.typ == "Exif" && img.ExifID == 0:
			img.ExifID = id
		case it.typ == "mime" && it.contentType == "application/rdf+xml" && img.XMPID == 0:
			img.XMPID = id
		}
	}
	return img, nil
}

// chain lists id and the items it derives from through iden, which
// metadata and auxiliary images may be attached to instead.
func (f *File) chain(id uint32) []uint32 {
	out := []uint32{id}
	for range maxDerivation {
		it := f.items[id]
		if it == nil || it.typ != "iden" || len(it.refs["dimg"]) != 1 {
			break
		}
		id = it.refs["dimg"][0]
		if slices.Contains(out, id) {
			break
		}
		out = append(out, id)
	}
	return out
}

func refersTo(to, ids []uint32) bool {
	return slices.ContainsFunc(to, func(x uint32) bool { return slices.Contains(ids, x) })
}

// resolve resolves an image item; path holds the derived items being
// resolved, to detect reference loops.
func (f *File) resolve(id uint32, path []uint32) (*Image, error) {
	if slices.Contains(path, id) {
		return nil, formatErrf("item %d derives from itself", id)
	}
	if len(path) >= maxDerivation {
		return nil, formatErr("derived images nested too deeply")
	}
	it, ok := f.items[id]
	if !ok {
		return nil, formatErrf("item %d does not exist", id)
	}
	if it.protected {
		return nil, unsupported(fmt.Sprintf("item %d is protected (encrypted)", id))
	}
	p, err := f.itemProps(it)
	if err != nil {
		return nil, err
	}
	img := &Image{ID: id, Type: it.typ, Color: p.color, BitDepth: p.pixi}
	switch it.typ {
	case "hvc1":
		c, err := f.coded(it, p)
		if err != nil {
			return nil, err
		}
		img.Coded = c
		img.Width, img.Height = c.Width, c.Height
	case "grid":
		if err := f.grid(it, p, img); err != nil {
			return nil, err
		}
	case "iden":
		src := it.refs["dimg"]
		if len(src) != 1 {
			return nil, formatErrf("iden item %d has %d sources", id, len(src))
		}
		base, err := f.resolve(src[0], append(path, id))
		if err != nil {
			return nil, err
		}
		base.ID = id
		base.Transforms = append(slices.Clip(base.Transforms), p.transforms...)
		if p.color.NCLX != nil {
			base.Color.NCLX = p.color.NCLX
		}
		if p.color.ICC != nil {
			base.Color.ICC = p.color.ICC
		}
		if p.pixi != nil {
			base.BitDepth = p.pixi
		}
		img = base
		p.transforms = nil
	case "av01":
		return nil, &UnsupportedError{Format: "avif", Reason: fmt.Sprintf("item %d is AV1-coded (AVIF)", id)}
	default:
		return nil, unsupported(fmt.Sprintf("item %d has type %q", id, printable(it.typ)))
	}
	img.Transforms = append(img.Transforms, p.transforms...)
	if img.Layout, err = computeLayout(img.Width, img.Height, img.Transforms); err != nil {
		return nil, fmt.Errorf("item %d: %w", id, err)
	}
	return img, nil
}

// checkSize validates an ispe-like size against MaxPixels.
func (f *File) checkSize(id uint32, w, h uint32) error {
	if w == 0 || h == 0 {
		return formatErrf("item %d has size %dx%d", id, w, h)
	}
	if px := int64(w) * int64(h); px > f.opt.MaxPixels {
		return &LimitError{What: "pixels", Value: px, Limit: f.opt.MaxPixels}
	}
	return nil
}

// coded checks a coded item's properties.
func (f *File) coded(it *item, p imageProps) (*Coded, error) {
	if !p.haveIspe {
		return nil, formatErrf("item %d has no ispe property", it.id)
	}
	if p.hvcC == nil {
		return nil, formatErrf("item %d has no hvcC property", it.id)
	}
	if err := f.checkSize(it.id, p.w, p.h); err != nil {
		return nil, err
	}
	if it.loc == nil {
		return nil, formatErrf("item %d has no iloc entry", it.id)
	}
	return &Coded{ID: it.id, Width: int(p.w), Height: int(p.h), Config: p.hvcC}, nil
}

// grid parses an ImageGrid item (ISO/IEC 23008-12 §6.6.2.3.2) and its
// tiles: version 0, flags bit 0 for 32-bit output sizes, rows_minus_one,
// columns_minus_one, output_width, output_height; the dimg references
// list the tiles in row-major order.
func (f *File) grid(it *item, p imageProps, img *Image) error {
	data, err := f.itemDataMax(it.id, 12)
	if err != nil {
		return err
	}
	c := newCursor(data, "grid")
	v, flags := c.u8(), c.u8()
	rows, cols := int(c.u8())+1, int(c.u8())+1
	var ow, oh uint32
	if flags&1 != 0 {
		ow, oh = c.u32(), c.u32()
	} else {
		ow, oh = uint32(c.u16()), uint32(c.u16())
	}
	if c.err != nil {
		return c.err
	}
	if v != 0 {
		return formatErrf("grid item %d has version %d", it.id, v)
	}
	if err := f.checkSize(it.id, ow, oh); err != nil {
		return err
	}
	if p.haveIspe && (p.w != ow || p.h != oh) {
		return formatErrf("grid item %d: ispe %dx%d differs from the output size %dx%d", it.id, p.w, p.h, ow, oh)
	}
	if n := rows * cols; n > f.opt.MaxTiles {
		return &LimitError{What: "tiles", Value: int64(n), Limit: int64(f.opt.MaxTiles)}
	}
	refs := it.refs["dimg"]
	if len(refs) != rows*cols {
		return formatErrf("grid item %d is %dx%d tiles but has %d dimg references", it.id, cols, rows, len(refs))
	}
	g := &Grid{Rows: rows, Columns: cols, Tiles: make([]Coded, len(refs))}
	for i, ref := range refs {
		if ref == it.id {
			return formatErrf("grid item %d uses itself as a tile", it.id)
		}
		t, ok := f.items[ref]
		if !ok {
			return formatErrf("grid item %d: tile item %d does not exist", it.id, ref)
		}
		switch t.typ {
		case "hvc1":
		case "av01":
			return &UnsupportedError{Format: "avif", Reason: fmt.Sprintf("tile item %d is AV1-coded (AVIF)", ref)}
		default:
			return unsupported(fmt.Sprintf("grid item %d: tile item %d has type %q", it.id, ref, printable(t.typ)))
		}
		if t.protected {
			return unsupported(fmt.Sprintf("tile item %d is protected (encrypted)", ref))
		}
		tp, err := f.itemProps(t)
		if err != nil {
			return err
		}
		tc, err := f.coded(t, tp)
		if err != nil {
			return err
		}
		if i == 0 {
			g.TileWidth, g.TileHeight = tc.Width, tc.Height
		} else if tc.Width != g.TileWidth || tc.Height != g.TileHeight {
			return formatErrf("grid item %d: tile %d is %dx%d, tile 0 %dx%d", it.id, i, tc.Width, tc.Height, g.TileWidth, g.TileHeight)
		}
		g.Tiles[i] = *tc
	}
	// The tiles must cover the output, and each row and column of tiles
	// must reach into it (no tile wholly outside): this bounds the decoded
	// tile area by about twice the output area.
	tw, th := int64(g.TileWidth), int64(g.TileHeight)
	if int64(cols)*tw < int64(ow) || int64(rows)*th < int64(oh) {
		return formatErrf("grid item %d: %dx%d tiles of %dx%d do not cover %dx%d", it.id, cols, rows, tw, th, ow, oh)
	}
	if int64(cols-1)*tw >= int64(ow) || int64(rows-1)*th >= int64(oh) {
		return formatErrf("grid item %d: tiles lie wholly outside the %dx%d output", it.id, ow, oh)
	}
	if px := int64(len(refs)) * tw * th; px > 2*f.opt.MaxPixels {
		return &LimitError{What: "tile pixels", Value: px, Limit: 2 * f.opt.MaxPixels}
	}
	img.Grid = g
	img.Width, img.Height = int(ow), int(oh)
	return nil
}

// itemDataMax is ItemData for items of at most max bytes (descriptors),
// checked before reading.
func (f *File) itemDataMax(id uint32, max uint64) ([]byte, error) {
	it := f.items[id]
	if it == nil || it.loc == nil {
		return nil, formatErrf("item %d has no iloc entry", id)
	}
	var n uint64
	for _, e := range it.loc.extents {
		// length 0 runs to the end of the data: too long for a descriptor
		if e.len == 0 || e.len > max-n {
			return nil, formatErrf("item %d is too long for a %d-byte descriptor", id, max)
		}
		n += e.len
	}
	return f.ItemData(id)
}
