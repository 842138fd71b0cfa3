package imaging

import (
	"context"
	"image"
	"image/color"
)

// rowFunc writes row y of an image as straight (non-premultiplied) 8-bit sRGB
// RGBA into dst (len 4*width). Every colour model the decoders produce is
// converted here: YCbCr (all subsampling ratios), NYCbCrA, gray, gray16,
// CMYK (Adobe CMYK and YCCK arrive as image.CMYK), RGBA, NRGBA, 16-bit
// variants and paletted. Other types use the slow generic path.
type rowFunc func(y int, dst []uint8)

// rowsOf returns a rowFunc for img, whose bounds must start at (0, 0).
func rowsOf(img image.Image) rowFunc {
	w := img.Bounds().Dx()
	if img.Bounds().Min != (image.Point{}) {
		return genericRows(img)
	}
	switch m := img.(type) {
	case *image.NRGBA:
		return func(y int, dst []uint8) { copy(dst, m.Pix[y*m.Stride:y*m.Stride+4*w]) }
	case *image.RGBA:
		return func(y int, dst []uint8) {
			unpremultiply(dst, m.Pix[y*m.Stride:y*m.Stride+4*w])
		}
	case *image.YCbCr:
		return ycbcrRows(m, nil, 0)
	case *image.NYCbCrA:
		return ycbcrRows(&m.YCbCr, m.A, m.AStride)
	case *image.Gray:
		return func(y int, dst []uint8) {
			for x, v := range m.Pix[y*m.Stride : y*m.Stride+w] {
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = v, v, v, 255
			}
		}
	case *image.Gray16:
		return func(y int, dst []uint8) {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			for x := 0; x < w; x++ {
				v := row[2*x]
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = v, v, v, 255
			}
		}
	case *profiledCMYK: // CMYK with an embedded profile (icc_lut.go)
		return func(y int, dst []uint8) {
			m.lut.convertRow(dst[:4*w], m.Pix[y*m.Stride:y*m.Stride+4*w])
		}
	case *image.CMYK:
		return func(y int, dst []uint8) {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for i := 0; i < len(row); i += 4 {
				dst[i], dst[i+1], dst[i+2] = cmykToRGB(row[i], row[i+1], row[i+2], row[i+3])
				dst[i+3] = 255
			}
		}
	case *image.NRGBA64:
		return func(y int, dst []uint8) {
			row := m.Pix[y*m.Stride : y*m.Stride+8*w]
			for x := 0; x < w; x++ {
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = row[8*x], row[8*x+2], row[8*x+4], row[8*x+6]
			}
		}
	case *image.RGBA64: // 16-bit opaque PNG decodes to this; values are premultiplied
		return func(y int, dst []uint8) {
			row := m.Pix[y*m.Stride : y*m.Stride+8*w]
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(color.RGBA64{
					R: uint16(row[8*x])<<8 | uint16(row[8*x+1]), G: uint16(row[8*x+2])<<8 | uint16(row[8*x+3]),
					B: uint16(row[8*x+4])<<8 | uint16(row[8*x+5]), A: uint16(row[8*x+6])<<8 | uint16(row[8*x+7]),
				}).(color.NRGBA)
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = c.R, c.G, c.B, c.A
			}
		}
	case *image.Paletted:
		pal := nrgbaPalette(m.Palette)
		return func(y int, dst []uint8) {
			for x, ix := range m.Pix[y*m.Stride : y*m.Stride+w] {
				c := pal[ix] // indexes beyond the palette read as transparent black
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = c.R, c.G, c.B, c.A
			}
		}
	case *gifCanvas:
		return m.rows()
	case *studioYCbCr: // lossy WebP (webp_color.go)
		return m.rows()
	case *yccImage: // HEIC (heic_color.go)
		return m.rows()
	}
	return genericRows(img)
}

// nrgbaPalette converts a palette to straight 8-bit RGBA; indexes beyond it
// read as transparent black.
func nrgbaPalette(p color.Palette) *[256]color.NRGBA {
	var pal [256]color.NRGBA
	for i, c := range p {
		if i < len(pal) {
			pal[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
		}
	}
	return &pal
}

func genericRows(img image.Image) rowFunc {
	b := img.Bounds()
	return func(y int, dst []uint8) {
		for x := 0; x < b.Dx(); x++ {
			c := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8), uint8(c.A>>8)
		}
	}
}

// ycbcrRows converts JFIF YCbCr (ITU-R BT.601 full range) with any chroma
// subsampling, plus an optional alpha plane, using color.YCbCrToRGB so results
// match image/jpeg's own conversion bit for bit.
func ycbcrRows(m *image.YCbCr, alpha []uint8, aStride int) rowFunc {
	w := m.Rect.Dx()
	hs, vs := chromaShift(m.SubsampleRatio) // chroma sample of (x, y) is (x>>hs, y>>vs)
	return func(y int, dst []uint8) {
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		co := (y >> vs) * m.CStride
		cb, cr := m.Cb[co:], m.Cr[co:]
		for x, yy := range yrow {
			r, g, b := color.YCbCrToRGB(yy, cb[x>>hs], cr[x>>hs])
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = r, g, b, 255
		}
		if alpha != nil {
			for x, a := range alpha[y*aStride : y*aStride+w] {
				dst[4*x+3] = a
			}
		}
	}
}

// chromaShift returns the horizontal and vertical chroma subsampling shifts.
func chromaShift(r image.YCbCrSubsampleRatio) (hs, vs uint) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}

// unpremultiply converts premultiplied RGBA to straight RGBA, rounding to nearest.
func unpremultiply(dst, src []uint8) {
	for i := 0; i+3 < len(src); i += 4 {
		a := uint32(src[i+3])
		switch a {
		case 255:
			dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i], src[i+1], src[i+2], 255
		case 0:
			dst[i], dst[i+1], dst[i+2], dst[i+3] = 0, 0, 0, 0
		default:
			dst[i] = uint8(min((uint32(src[i])*255+a/2)/a, 255))
			dst[i+1] = uint8(min((uint32(src[i+1])*255+a/2)/a, 255))
			dst[i+2] = uint8(min((uint32(src[i+2])*255+a/2)/a, 255))
			dst[i+3] = uint8(a)
		}
	}
}

// cmykToRGB converts one CMYK pixel (ink amounts, 255 = full ink; image/jpeg has
// already undone the Adobe inversion) to sRGB with the naive multiplicative
// model R = (255-C)(255-K)/255, rounded to nearest, for CMYK JPEGs without a
// usable embedded profile (those with one become *profiledCMYK, icc_lut.go).
// This matches browsers showing a CMYK JPEG that has no embedded profile.
func cmykToRGB(c, m, y, k uint8) (r, g, b uint8) {
	w := 255 - uint32(k)
	return uint8(((255-uint32(c))*w + 127) / 255),
		uint8(((255-uint32(m))*w + 127) / 255),
		uint8(((255-uint32(y))*w + 127) / 255)
}

// toNRGBA converts img to a new *image.NRGBA with bounds at (0, 0), in
// parallel row bands.
func toNRGBA(ctx context.Context, img image.Image) (*image.NRGBA, error) {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	rows := rowsOf(img)
	err := parallelRows(ctx, b.Dy(), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			rows(y, out.Pix[y*out.Stride:y*out.Stride+4*b.Dx()])
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
