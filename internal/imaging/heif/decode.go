package heif

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
)

// Codec decodes one coded image item. Package hevc provides the real one
// (DecodeConfig and Decode over the hvcC parameter sets and the item's NAL
// units); tests use a fake.
type Codec interface {
	// DecodeItem decodes the item c whose data (length-prefixed NAL
	// units, see ParseHVCC and SplitNALUnits) is given. The result must
	// be at least c.Width×c.Height (the ispe); any excess right and
	// bottom is ignored. *image.YCbCr and *image.Gray are assembled
	// plane by plane; other types go through color.Model conversion.
	DecodeItem(ctx context.Context, c *Coded, data []byte) (image.Image, error)
}

// Decode decodes img (from PrimaryImage) with codec: it decodes the coded
// item or each grid tile in turn (checking ctx between tiles), copies the
// part of each tile that lies inside img.Layout.Crop into the output, and
// adds the alpha plane. The result is the clean aperture in stored
// orientation, with bounds starting at (0, 0); the caller applies
// img.Layout.Orientation. Memory: the output plus one tile at a time.
//
// The output is *image.YCbCr (*image.NYCbCrA with alpha) or *image.Gray
// when every tile is of that type with the same subsampling and the crop
// and tiles fall on chroma sample boundaries; otherwise *image.NRGBA64.
//
// Errors: those of ItemData, the codec's errors wrapped with the item id,
// *FormatError when a decoded item is smaller than its ispe,
// *UnsupportedError for premultiplied alpha.
func (f *File) Decode(ctx context.Context, img *Image, codec Codec) (image.Image, error) {
	if img.Alpha != nil && img.Premultiplied {
		return nil, unsupported("premultiplied alpha")
	}
	crop := img.Layout.Crop
	if crop.Empty() {
		crop = image.Rect(0, 0, img.Width, img.Height)
	}
	out, err := f.decodePlanes(ctx, img, codec, crop)
	if err != nil {
		return nil, err
	}
	if img.Alpha == nil {
		return out, nil
	}
	a, err := f.decodePlanes(ctx, img.Alpha, codec, crop)
	if err != nil {
		return nil, fmt.Errorf("alpha plane: %w", err)
	}
	return withAlpha(out, a), nil
}

// tileAt is one coded item and where its top-left pixel lies.
type tileAt struct {
	c  *Coded
	at image.Point
}

func (img *Image) tiles() []tileAt {
	if img.Grid == nil {
		return []tileAt{{c: img.Coded}}
	}
	g := img.Grid
	ts := make([]tileAt, len(g.Tiles))
	for i := range g.Tiles {
		ts[i] = tileAt{c: &g.Tiles[i], at: image.Pt(i%g.Columns*g.TileWidth, i/g.Columns*g.TileHeight)}
	}
	return ts
}

// decodePlanes decodes the tiles of img that meet crop into one image of
// crop's size.
func (f *File) decodePlanes(ctx context.Context, img *Image, codec Codec, crop image.Rectangle) (image.Image, error) {
	var out image.Image
	for _, t := range img.tiles() {
		tr := image.Rectangle{Min: t.at, Max: t.at.Add(image.Pt(t.c.Width, t.c.Height))}
		vis := tr.Intersect(crop)
		if vis.Empty() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := f.ItemData(t.c.ID)
		if err != nil {
			return nil, err
		}
		m, err := codec.DecodeItem(ctx, t.c, data)
		if err != nil {
			return nil, fmt.Errorf("heif: item %d: %w", t.c.ID, err)
		}
		b := m.Bounds()
		if b.Dx() < t.c.Width || b.Dy() < t.c.Height {
			return nil, formatErrf("item %d decoded to %dx%d, its ispe is %dx%d", t.c.ID, b.Dx(), b.Dy(), t.c.Width, t.c.Height)
		}
		if img.Grid == nil {
			if v := planesView(m, crop); v != nil {
				return v, nil
			}
		}
		if out == nil {
			out = newOutput(m, img, crop)
		}
		// src point of vis.Min in m's coordinates
		sp := b.Min.Add(vis.Min.Sub(t.at))
		dr := vis.Sub(crop.Min)
		if !copyPlanes(out, m, dr, sp) {
			di, ok := out.(draw.Image)
			if !ok {
				return nil, formatErrf("item %d: tiles differ in sample format", t.c.ID)
			}
			draw.Draw(di, dr, m, sp, draw.Src)
		}
	}
	if out == nil {
		return nil, formatErr("no tile meets the image area")
	}
	return out, nil
}

// planesView returns crop of a single coded item's planes without copying
// them (saving a copy of the picture's size in memory and time), when m is
// *image.YCbCr or *image.Gray with bounds at the origin and the crop starts
// there too: the view's bounds are then crop's size at the origin. It
// returns nil otherwise.
func planesView(m image.Image, crop image.Rectangle) image.Image {
	if crop.Min != (image.Point{}) {
		return nil
	}
	r := image.Rect(0, 0, crop.Dx(), crop.Dy())
	switch m := m.(type) {
	case *image.YCbCr:
		if m.Rect.Min == (image.Point{}) && r.In(m.Rect) {
			v := *m
			v.Rect = r
			return &v
		}
	case *image.Gray:
		if m.Rect.Min == (image.Point{}) && r.In(m.Rect) {
			return &image.Gray{Pix: m.Pix, Stride: m.Stride, Rect: r}
		}
	}
	return nil
}

// newOutput allocates the output in the first tile's type when every
// tile boundary and the crop origin fall on chroma sample boundaries.
func newOutput(first image.Image, img *Image, crop image.Rectangle) image.Image {
	r := image.Rect(0, 0, crop.Dx(), crop.Dy())
	switch m := first.(type) {
	case *image.Gray:
		return image.NewGray(r)
	case *image.YCbCr:
		sx, sy := subsampling(m.SubsampleRatio)
		aligned := func(v int, s int) bool { return v%s == 0 }
		ok := aligned(crop.Min.X, sx) && aligned(crop.Min.Y, sy) && sx > 0
		if img.Grid != nil {
			ok = ok && aligned(img.Grid.TileWidth, sx) && aligned(img.Grid.TileHeight, sy)
		}
		if ok {
			return image.NewYCbCr(r, m.SubsampleRatio)
		}
	}
	return image.NewNRGBA64(r)
}

// subsampling returns the chroma subsampling factors of a ratio, (0, 0)
// for ratios this package does not assemble plane by plane.
func subsampling(r image.YCbCrSubsampleRatio) (sx, sy int) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	}
	return 0, 0
}

// copyPlanes copies dr of dst from src at sp plane by plane when both have
// the same planar type; it reports false when it did not.
func copyPlanes(dst, src image.Image, dr image.Rectangle, sp image.Point) bool {
	switch d := dst.(type) {
	case *image.Gray:
		s, ok := src.(*image.Gray)
		if !ok {
			return false
		}
		for y := 0; y < dr.Dy(); y++ {
			copy(d.Pix[d.PixOffset(dr.Min.X, dr.Min.Y+y):][:dr.Dx()], s.Pix[s.PixOffset(sp.X, sp.Y+y):])
		}
		return true
	case *image.YCbCr:
		s, ok := src.(*image.YCbCr)
		if !ok || s.SubsampleRatio != d.SubsampleRatio || (sp.X-s.Rect.Min.X)%2 != 0 || (sp.Y-s.Rect.Min.Y)%2 != 0 {
			return false
		}
		for y := 0; y < dr.Dy(); y++ {
			copy(d.Y[d.YOffset(dr.Min.X, dr.Min.Y+y):][:dr.Dx()], s.Y[s.YOffset(sp.X, sp.Y+y):])
		}
		sx, sy := subsampling(d.SubsampleRatio)
		cw := (dr.Max.X+sx-1)/sx - dr.Min.X/sx
		for cy := dr.Min.Y / sy; cy < (dr.Max.Y+sy-1)/sy; cy++ {
			y := cy * sy // a luma row of this chroma row, in dst
			do := d.COffset(dr.Min.X, y)
			so := s.COffset(sp.X, sp.Y+y-dr.Min.Y)
			copy(d.Cb[do:do+cw], s.Cb[so:])
			copy(d.Cr[do:do+cw], s.Cr[so:])
		}
		return true
	}
	return false
}

// withAlpha combines the colour planes with the alpha plane (its luma).
func withAlpha(m, a image.Image) image.Image {
	b := m.Bounds()
	alpha := image.NewGray(b)
	switch s := a.(type) {
	case *image.YCbCr:
		for y := 0; y < b.Dy(); y++ {
			copy(alpha.Pix[y*alpha.Stride:][:b.Dx()], s.Y[s.YOffset(0, y):])
		}
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			copy(alpha.Pix[y*alpha.Stride:][:b.Dx()], s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y+y):])
		}
	default:
		draw.Draw(alpha, b, lumaOf{a}, image.Point{}, draw.Src)
	}
	switch c := m.(type) {
	case *image.YCbCr:
		return &image.NYCbCrA{YCbCr: *c, A: alpha.Pix, AStride: alpha.Stride}
	case *image.NRGBA64:
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				i := c.PixOffset(x, y) + 6
				v := alpha.Pix[alpha.PixOffset(x, y)]
				c.Pix[i], c.Pix[i+1] = v, v
			}
		}
		return c
	}
	out := image.NewNRGBA(b) // *image.Gray colour planes
	draw.Draw(out, b, m, image.Point{}, draw.Src)
	for i, v := range alpha.Pix {
		out.Pix[i*4+3] = v
	}
	return out
}

// lumaOf reads any image as the luma of its colours: an alpha plane coded
// as YCbCr or wider than 8 bits.
type lumaOf struct{ image.Image }

func (l lumaOf) ColorModel() color.Model { return color.GrayModel }

func (l lumaOf) At(x, y int) color.Color {
	switch c := l.Image.At(x, y).(type) {
	case color.YCbCr:
		return color.Gray{Y: c.Y}
	case color.Gray16:
		return color.Gray{Y: uint8(c.Y >> 8)}
	default:
		return color.GrayModel.Convert(c)
	}
}
