package imaging

import (
	"context"
	"image"
	"io"

	"golang.org/x/image/webp"
)

// decodeWebP decodes a WebP image. Lossy WebP (VP8) stores limited-range
// ("studio swing", Y 16..235) BT.601 YCbCr, but x/image/webp returns it as
// an image.YCbCr, whose conversion assumes full-range JFIF YCbCr: the
// colours would come out washed out (golang/go#40173). Lossy planes are
// therefore converted here with the VP8 coefficients, as libwebp does.
// Lossless WebP is RGB already and passes through.
func decodeWebP(_ context.Context, r io.Reader, _ Info, _ image.Point) (image.Image, error) {
	m, err := webp.Decode(r)
	if err != nil {
		return nil, err
	}
	switch y := m.(type) {
	case *image.NYCbCrA:
		return studioToNRGBA(&y.YCbCr, y.A, y.AStride), nil
	case *image.YCbCr:
		return studioToNRGBA(y, nil, 0), nil
	}
	return m, nil
}

// studioToNRGBA converts limited-range BT.601 YCbCr (with an optional
// alpha plane) to 8-bit RGB. Coefficients in Q16, as libwebp's
// VP8YUVToR/G/B: R = 1.164(Y−16) + 1.596(V−128), G = 1.164(Y−16) −
// 0.813(V−128) − 0.391(U−128), B = 1.164(Y−16) + 2.018(U−128).
func studioToNRGBA(m *image.YCbCr, alpha []uint8, aStride int) *image.NRGBA {
	b := m.Rect
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := out.Pix[(y-b.Min.Y)*out.Stride:]
		for x := b.Min.X; x < b.Max.X; x++ {
			yy := (int32(m.Y[m.YOffset(x, y)]) - 16) * 76284 // 1.164 in Q16
			ci := m.COffset(x, y)
			cb, cr := int32(m.Cb[ci])-128, int32(m.Cr[ci])-128
			d := row[4*(x-b.Min.X) : 4*(x-b.Min.X)+4 : 4*(x-b.Min.X)+4]
			d[0] = clampQ16(yy + 104595*cr)
			d[1] = clampQ16(yy - 53281*cr - 25625*cb)
			d[2] = clampQ16(yy + 132252*cb)
			d[3] = 255
			if alpha != nil {
				d[3] = alpha[(y-b.Min.Y)*aStride+(x-b.Min.X)]
			}
		}
	}
	return out
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
