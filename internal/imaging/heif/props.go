package heif

import (
	"math"
	"math/big"
)

// property is one child box of ipco, parsed on demand: a property that no
// image of interest uses is never looked at, so a broken thumbnail
// property cannot fail the primary image.
type property struct {
	typ     string
	payload []byte
}

// association is one ipma entry of an item (ISO/IEC 23008-12 §9.3.3):
// a 1-based property index (0: none) and the essential flag.
type association struct {
	index     uint16
	essential bool
}

// parseIprp parses the item properties box: one ipco and any number of ipma.
func (f *File) parseIprp(p []byte) error {
	children, err := boxes(p, maxChildren)
	if err != nil {
		return err
	}
	seenIpco := false
	for _, b := range children {
		if b.typ != "ipco" {
			continue
		}
		if seenIpco {
			return formatErr("more than one ipco box")
		}
		seenIpco = true
		props, err := boxes(b.payload, maxProperties)
		if err != nil {
			if le, ok := err.(*LimitError); ok {
				le.What = "properties"
			}
			return err
		}
		f.props = make([]property, len(props))
		for i, pb := range props {
			f.props[i] = property{typ: pb.typ, payload: pb.payload}
		}
	}
	if !seenIpco {
		return formatErr("iprp box has no ipco box")
	}
	seen := map[uint32]bool{}
	for _, b := range children {
		if b.typ != "ipma" {
			continue
		}
		if err := f.parseIpma(b.payload, seen); err != nil {
			return err
		}
	}
	return nil
}

// parseIpma parses an item property association box (§9.3.2): version 0
// has 16-bit item ids, version 1 32-bit ones; flag 1 selects 15-bit
// property indices (else 7-bit), each with an essential bit on top.
func (f *File) parseIpma(p []byte, seen map[uint32]bool) error {
	c := newCursor(p, "ipma")
	v, flags := c.fullBox()
	n := c.u32()
	if c.err != nil {
		return c.err
	}
	if v > 1 {
		return formatErrf("ipma box version %d", v)
	}
	if n > uint32(f.opt.MaxItems) {
		return &LimitError{What: "items", Value: int64(n), Limit: int64(f.opt.MaxItems)}
	}
	for range n {
		var id uint32
		if v == 0 {
			id = uint32(c.u16())
		} else {
			id = c.u32()
		}
		k := int(c.u8())
		if c.err != nil {
			return c.err
		}
		if seen[id] {
			return formatErrf("item %d appears twice in ipma", id)
		}
		seen[id] = true
		size := 1 + int(flags&1)
		if k*size > c.remaining() {
			return errTruncated("ipma box")
		}
		assoc := make([]association, k)
		for i := range assoc {
			var a association
			if flags&1 != 0 {
				x := c.u16()
				a = association{index: x & 0x7fff, essential: x&0x8000 != 0}
			} else {
				x := c.u8()
				a = association{index: uint16(x & 0x7f), essential: x&0x80 != 0}
			}
			if int(a.index) > len(f.props) {
				return formatErrf("ipma: item %d names property %d of %d", id, a.index, len(f.props))
			}
			assoc[i] = a
		}
		if it, ok := f.items[id]; ok {
			it.assoc = assoc
		}
	}
	return c.err
}

// Property values (ISO/IEC 23008-12 §6.5).

// NCLX is a colr box of type nclx: ITU-T H.273 code points.
type NCLX struct {
	Primaries, Transfer, Matrix uint16
	FullRange                   bool
}

// Color is what the colr properties of an image say; an image may have an
// nclx box and an ICC box together.
type Color struct {
	NCLX *NCLX  // nil when absent
	ICC  []byte // "prof" (restricted or unrestricted) or "rICC" profile; nil when absent
}

// Clap is a clean aperture (ISO/IEC 14496-12 §12.1.4): a width and
// height and a centre offset, each a fraction.
type Clap struct {
	WidthN, WidthD   uint32
	HeightN, HeightD uint32
	HorizOffN        int32
	HorizOffD        uint32
	VertOffN         int32
	VertOffD         uint32
}

// TransformKind is a transformative property type.
type TransformKind string

// Transformative properties, applied in the order ipma lists them.
const (
	Rotate TransformKind = "irot" // anticlockwise by Angle degrees
	Mirror TransformKind = "imir" // Mode 0: top and bottom exchanged, 1: left and right exchanged
	Crop   TransformKind = "clap" // clean aperture
)

// Transform is one transformative property of an image.
type Transform struct {
	Kind  TransformKind
	Angle int // Rotate: 0, 90, 180 or 270, anticlockwise
	// Mode is Mirror's field (called axis before ISO/IEC 23008-12:2017
	// Amd 2, whose wording was read both ways): 0 exchanges top and
	// bottom, 1 left and right, as iPhones and libheif write and read it.
	Mode int
	Clap Clap
}

func parseIspe(p []byte) (w, h uint32, err error) {
	c := newCursor(p, "ispe")
	c.fullBox()
	w, h = c.u32(), c.u32()
	return w, h, c.err
}

func parseColr(p []byte, col *Color) error {
	c := newCursor(p, "colr")
	switch c.fourCC() {
	case "nclx":
		n := &NCLX{Primaries: c.u16(), Transfer: c.u16(), Matrix: c.u16(), FullRange: c.u8()&0x80 != 0}
		if c.err == nil && col.NCLX == nil {
			col.NCLX = n
		}
	case "prof", "rICC":
		if c.err == nil && col.ICC == nil {
			col.ICC = c.b
		}
	}
	return c.err // other colour types (e.g. nclc) are ignored
}

func parsePixi(p []byte) ([]uint8, error) {
	c := newCursor(p, "pixi")
	c.fullBox()
	n := int(c.u8())
	b := c.take(n)
	if c.err != nil {
		return nil, c.err
	}
	return append([]uint8(nil), b...), nil
}

func parseAuxC(p []byte) (string, error) {
	c := newCursor(p, "auxC")
	c.fullBox()
	s := c.cstring()
	return s, c.err
}

func parseIrot(p []byte) (Transform, error) {
	c := newCursor(p, "irot")
	a := c.u8()
	return Transform{Kind: Rotate, Angle: int(a&3) * 90}, c.err
}

func parseImir(p []byte) (Transform, error) {
	c := newCursor(p, "imir")
	a := c.u8()
	return Transform{Kind: Mirror, Mode: int(a & 1)}, c.err
}

func parseClap(p []byte) (Transform, error) {
	c := newCursor(p, "clap")
	k := Clap{
		WidthN: c.u32(), WidthD: c.u32(), HeightN: c.u32(), HeightD: c.u32(),
		HorizOffN: int32(c.u32()), HorizOffD: c.u32(), VertOffN: int32(c.u32()), VertOffD: c.u32(),
	}
	if c.err != nil {
		return Transform{}, c.err
	}
	if k.WidthD == 0 || k.HeightD == 0 || k.HorizOffD == 0 || k.VertOffD == 0 {
		return Transform{}, formatErr("clap: zero denominator")
	}
	return Transform{Kind: Crop, Clap: k}, nil
}

// rect returns the clean aperture of a w×h image as a pixel rectangle
// [x0, x1) × [y0, y1): the centre is at (w-1)/2 + horizOff; the left edge
// is rounded down, the top edge and the size to the nearest integer
// (halves up), and the result is clamped to the image, as libheif does
// (writers round sloppily). ok is false when nothing of the aperture lies
// inside the image. Exact rational arithmetic: no overflow on hostile
// fractions.
func (k Clap) rect(w, h int) (x0, y0, x1, y1 int, ok bool) {
	edge := func(size int, offN int32, offD uint32, apN, apD uint32, roundLo bool) (lo, hi int, ok bool) {
		if apN > math.MaxInt32 || apD > math.MaxInt32 || offD > math.MaxInt32 {
			return 0, 0, false // libheif's range: these are int32 in practice
		}
		// lo = off + (size-1)/2 - (ap-1)/2
		ap := big.NewRat(int64(apN), int64(apD))
		l := new(big.Rat).SetFrac64(int64(offN), int64(offD))
		l.Add(l, big.NewRat(int64(size-1), 2))
		half := new(big.Rat).Sub(ap, big.NewRat(1, 1))
		half.Mul(half, big.NewRat(1, 2))
		l.Sub(l, half)
		if roundLo {
			l.Add(l, big.NewRat(1, 2))
		}
		fl := new(big.Int).Div(l.Num(), l.Denom()) // Euclidean: floor for a positive denominator
		// round(ap) = floor(ap + 1/2)
		ap.Add(ap, big.NewRat(1, 2))
		n := new(big.Int).Div(ap.Num(), ap.Denom())
		end := new(big.Int).Add(fl, n)
		lo64 := max(fl.Int64(), 0)
		if !fl.IsInt64() || !end.IsInt64() || n.Sign() <= 0 {
			return 0, 0, false
		}
		hi64 := min(end.Int64(), int64(size))
		if lo64 >= hi64 {
			return 0, 0, false
		}
		return int(lo64), int(hi64), true
	}
	x0, x1, okx := edge(w, k.HorizOffN, k.HorizOffD, k.WidthN, k.WidthD, false)
	y0, y1, oky := edge(h, k.VertOffN, k.VertOffD, k.HeightN, k.HeightD, true)
	if !okx || !oky {
		return 0, 0, 0, 0, false
	}
	return x0, y0, x1, y1, true
}
