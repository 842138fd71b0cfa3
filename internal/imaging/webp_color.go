package imaging

import (
	"context"
	"image"
	"image/color"
	"io"

	"golang.org/x/image/webp"
)

// decodeWebP decodes a WebP image. Lossy WebP (VP8) stores limited-range
// ("studio swing", Y 16..235) BT.601 YCbCr, but x/image/webp returns it as
// an image.YCbCr, whose conversion assumes full-range JFIF YCbCr: the
// colours would come out washed out (golang/go#40173). Lossy planes are
// therefore converted with the VP8 coefficients, as libwebp does, row by
// row as the resampler reads them (studioYCbCr): a 100 MP lossy WebP keeps
// its 150 MB of planes and gains no 400 MB RGBA copy. Lossless WebP is RGB
// already and passes through.
func decodeWebP(_ context.Context, r io.Reader, _ Info, _ image.Point) (image.Image, error) {
	m, err := webp.Decode(r)
	if err != nil {
		return nil, err
	}
	switch y := m.(type) {
	case *image.NYCbCrA:
		return &studioYCbCr{YCbCr: &y.YCbCr, alpha: y.A, aStride: y.AStride}, nil
	case *image.YCbCr:
		return &studioYCbCr{YCbCr: y}, nil
	}
	return m, nil
}

// studioYCbCr is limited-range BT.601 YCbCr with an optional alpha plane
// (nil when opaque), read as 8-bit RGB through rows or At.
type studioYCbCr struct {
	*image.YCbCr
	alpha   []uint8
	aStride int
}

func (m *studioYCbCr) ColorModel() color.Model { return color.NRGBAModel }

func (m *studioYCbCr) At(x, y int) color.Color {
	if !image.Pt(x, y).In(m.Rect) {
		return color.NRGBA{}
	}
	var p [4]uint8
	m.pixel(p[:], x, y)
	return color.NRGBA{p[0], p[1], p[2], p[3]}
}

// Opaque reports whether every alpha sample is 255.
func (m *studioYCbCr) Opaque() bool {
	if m.alpha == nil {
		return true
	}
	w := m.Rect.Dx()
	for y := 0; y < m.Rect.Dy(); y++ {
		for _, a := range m.alpha[y*m.aStride : y*m.aStride+w] {
			if a != 255 {
				return false
			}
		}
	}
	return true
}

// rows returns the rowFunc: row y (from 0) as straight 8-bit RGBA, the
// same values as pixel.
func (m *studioYCbCr) rows() rowFunc {
	b := m.Rect
	hs, vs := chromaShift(m.SubsampleRatio)
	if b.Min != (image.Point{}) || m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return func(y int, dst []uint8) {
			for x := 0; x < b.Dx(); x++ {
				m.pixel(dst[4*x:4*x+4:4*x+4], b.Min.X+x, b.Min.Y+y)
			}
		}
	}
	w := b.Dx()
	return func(y int, dst []uint8) { // VP8's 4:2:0, offsets per row
		yrow := m.Y[y*m.YStride:][:w]
		co := (y >> vs) * m.CStride
		cb, cr := m.Cb[co:], m.Cr[co:]
		var arow []uint8
		if m.alpha != nil {
			arow = m.alpha[y*m.aStride:][:w]
		}
		for x, yv := range yrow {
			yy := (int32(yv) - 16) * 76284
			cbv, crv := int32(cb[x>>hs])-128, int32(cr[x>>hs])-128
			d := dst[4*x : 4*x+4 : 4*x+4]
			d[0] = clampQ16(yy + 104595*crv)
			d[1] = clampQ16(yy - 53281*crv - 25625*cbv)
			d[2] = clampQ16(yy + 132252*cbv)
			d[3] = 255
			if arow != nil {
				d[3] = arow[x]
			}
		}
	}
}

// pixel converts the pixel at (x, y) into d. Coefficients in Q16, as
// libwebp's VP8YUVToR/G/B: R = 1.164(Y−16) + 1.596(V−128), G = 1.164(Y−16)
// − 0.813(V−128) − 0.391(U−128), B = 1.164(Y−16) + 2.018(U−128).
func (m *studioYCbCr) pixel(d []uint8, x, y int) {
	yy := (int32(m.Y[m.YOffset(x, y)]) - 16) * 76284 // 1.164 in Q16
	ci := m.COffset(x, y)
	cb, cr := int32(m.Cb[ci])-128, int32(m.Cr[ci])-128
	d[0] = clampQ16(yy + 104595*cr)
	d[1] = clampQ16(yy - 53281*cr - 25625*cb)
	d[2] = clampQ16(yy + 132252*cb)
	d[3] = 255
	if m.alpha != nil {
		d[3] = m.alpha[(y-m.Rect.Min.Y)*m.aStride+(x-m.Rect.Min.X)]
	}
}

func clampQ16(v int32) uint8 {
	v = (v + 1<<15) >> 16
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}
