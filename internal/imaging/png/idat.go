package png

import (
	"compress/zlib"
	"context"
	"image"
	"image/color"
	"io"
)

// pass is one Adam7 interlace pass (§8.2): the pixels (x0 + i·dx, y0 + j·dy).
type pass struct{ x0, y0, dx, dy int }

var adam7 = [7]pass{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}

// ctxRows is how many rows are decoded between checks of ctx.
const ctxRows = 256

// readImage allocates the output image and decodes the zlib stream of the
// IDAT chunks into it (§10), then checks that the stream ends exactly there
// and reads the last IDAT chunk's CRC.
func (d *decoder) readImage(ctx context.Context) error {
	zr, err := zlib.NewReader(d)
	if err != nil {
		return err
	}
	defer zr.Close()
	out := d.newImage()
	passes := []pass{{0, 0, 1, 1}}
	if d.interlace {
		passes = adam7[:]
	}
	for _, p := range passes {
		if err := d.readPass(ctx, zr, out, p); err != nil {
			return err
		}
	}
	// The zlib stream must end here (its checksum is checked at the end),
	// with no data and no IDAT bytes left.
	n := 0
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return io.ErrNoProgress
		}
		n, err = zr.Read(d.tmp[:1])
	}
	if err != nil && err != io.EOF {
		return FormatError(err.Error())
	}
	if n != 0 || d.idatLeft != 0 {
		return FormatError("too much pixel data")
	}
	d.img = out.img
	return d.verifyChecksum()
}

// output is the image being decoded: pix holds its rows, bpp bytes a pixel
// (1 for Gray and Paletted, 4 for NRGBA).
type output struct {
	img    image.Image
	pix    []uint8
	stride int
	bpp    int
}

// newImage allocates the output image for the header (see the package doc).
func (d *decoder) newImage() output {
	r := image.Rect(0, 0, d.width, d.height)
	switch {
	case d.ct == ctGray && !d.hasTRNS:
		m := image.NewGray(r)
		return output{m, m.Pix, m.Stride, 1}
	case d.ct == ctPaletted:
		m := image.NewPaletted(r, color.Palette(d.palette[:]))
		return output{m, m.Pix, m.Stride, 1}
	}
	m := image.NewNRGBA(r)
	return output{m, m.Pix, m.Stride, 4}
}

// readPass decodes the rows of one interlace pass (the whole image when not
// interlaced) into out.
func (d *decoder) readPass(ctx context.Context, zr io.Reader, out output, p pass) error {
	w := (d.width - p.x0 + p.dx - 1) / p.dx
	h := (d.height - p.y0 + p.dy - 1) / p.dy
	if w <= 0 || h <= 0 {
		return nil // an empty pass has no filter bytes either (§8.2)
	}
	bitsPP := d.depth * channels[d.ct]
	bytesPP := (bitsPP + 7) / 8
	rowSize := 1 + (bitsPP*w+7)/8
	cr, pr := make([]uint8, rowSize), make([]uint8, rowSize)
	var tmp []uint8 // one converted pass row, scattered into out
	if p.dx > 1 {
		tmp = make([]uint8, w*out.bpp)
	}
	for y := 0; y < h; y++ {
		if y%ctxRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := io.ReadFull(zr, cr); err != nil {
			if isEOF(err) {
				return errNotEnough
			}
			return err
		}
		if err := unfilter(cr[0], cr[1:], pr[1:], bytesPP); err != nil {
			return err
		}
		oy := p.y0 + y*p.dy
		row := out.pix[oy*out.stride : oy*out.stride+d.width*out.bpp]
		if tmp == nil {
			d.convert(row, cr[1:], w)
		} else {
			d.convert(tmp, cr[1:], w)
			for x := 0; x < w; x++ {
				ox := (p.x0 + x*p.dx) * out.bpp
				copy(row[ox:ox+out.bpp], tmp[x*out.bpp:])
			}
		}
		pr, cr = cr, pr
	}
	return nil
}

// channels is the number of samples a pixel has in each colour type.
var channels = [7]int{ctGray: 1, ctTrueColor: 3, ctPaletted: 1, ctGrayAlpha: 2, ctRGBA: 4}

// Filter types, §9.2.
const (
	ftNone = iota
	ftSub
	ftUp
	ftAverage
	ftPaeth
)

// unfilter reverses the row's filter (§9.2) in place; prev is the
// previous row of the pass, unfiltered (zeros before the first row), and
// bpp the bytes a pixel (at least 1).
func unfilter(ft uint8, cur, prev []uint8, bpp int) error {
	switch ft {
	case ftNone:
	case ftSub:
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case ftUp:
		prev = prev[:len(cur)]
		for i, p := range prev {
			cur[i] += p
		}
	case ftAverage:
		prev = prev[:len(cur)]
		for i := 0; i < bpp && i < len(cur); i++ {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case ftPaeth:
		paeth(cur, prev[:len(cur)], bpp)
	default:
		return FormatError("bad filter type")
	}
	return nil
}

// paeth reverses the Paeth filter (§9.4): each byte adds whichever of
// left (a), up (b) and upper-left (c) is closest to a + b − c, ties in the
// order a, b, c. One channel at a time, so a and c stay in registers (the
// left neighbour of the first pixel, and its upper-left, are 0).
func paeth(cur, prev []uint8, bpp int) {
	for ch := 0; ch < bpp; ch++ {
		a, c := 0, 0
		for i := ch; i < len(cur); i += bpp {
			b := int(prev[i])
			pa, pb := b-c, a-c // p−a and p−b, with p = a+b−c
			pc := iabs(pa + pb)
			pa, pb = iabs(pa), iabs(pb)
			switch {
			case pa <= pb && pa <= pc:
			case pb <= pc:
				a = b
			default:
				a = c
			}
			a = (a + int(cur[i])) & 0xff
			cur[i] = uint8(a)
			c = b
		}
	}
}

// iabs is |x| without a branch.
func iabs(x int) int {
	m := x >> 63
	return (x ^ m) - m
}
