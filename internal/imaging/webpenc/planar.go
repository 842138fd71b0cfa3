package webpenc

import (
	"context"
	"image"
	"io"
)

// EncodeYCbCr writes m, JFIF Y′CbCr (T.871: full range, BT.601) with
// 4:2:0 subsampling, as a lossy WebP, converting the planes to VP8's
// limited range sample by sample instead of from RGB: a caller that
// resamples Y′CbCr planes (a JPEG source) skips the colour conversion both
// ways and libwebp's chroma averaging. The rest is Encode's (opaque, no
// ALPH chunk).
//
// The range conversion uses libwebp's own scale factors (its RGB→Y′ row
// is 56318/65536 of JFIF's and its chroma rows 28800/32768), so a grey
// picture codes to the bytes Encode writes for its pixels
// (TestEncodeYCbCrGrey).
func EncodeYCbCr(ctx context.Context, w io.Writer, m *image.YCbCr, opt *Options) error {
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return UnsupportedError("EncodeYCbCr needs 4:2:0 planes")
	}
	o, err := checkedOptions(opt, m.Bounds())
	if err != nil {
		return err
	}
	data, err := encodePlanes(ctx, m, &o)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// encodePlanes is encodeNRGBA with the source planes imported from m and
// no alpha (TestEncodeYCbCrGrey checks that a grey picture gives the same
// bytes either way).
func encodePlanes(ctx context.Context, m *image.YCbCr, o *Options) ([]byte, error) {
	b := m.Bounds()
	e := newConfiguredEncoder(b.Dx(), b.Dy(), o)
	e.importJFIF(m)
	vp8, err := e.encodeFrame(ctx, o)
	if err != nil {
		return nil, err
	}
	return riffSimple(vp8), nil
}

// jfifToY and jfifToC map full-range samples to VP8's limited range
// (Y′ 16..235, Cb/Cr 16..240), rounded half up as rgbToY and clipUV.
var jfifToY, jfifToC = func() (y, c [256]uint8) {
	for v := range 256 {
		y[v] = uint8((56318*v + yuvHalf + 16<<yuvFix) >> yuvFix)
		c[v] = uint8((28800*(v-128) + 1<<14 + 128<<15) >> 15)
	}
	return y, c
}()

// importJFIF fills the source planes from full-range 4:2:0 planes.
func (e *encoder) importJFIF(m *image.YCbCr) {
	r := m.Rect
	for y := 0; y < e.h; y++ {
		src := m.Y[m.YOffset(r.Min.X, r.Min.Y+y):][:e.w]
		dst := e.srcY[y*e.yStride:][:e.w]
		for x, v := range src {
			dst[x] = jfifToY[v]
		}
	}
	cw := (e.w + 1) / 2
	for y := 0; y < (e.h+1)/2; y++ {
		o := m.COffset(r.Min.X, r.Min.Y+2*y)
		cb, cr := m.Cb[o:][:cw], m.Cr[o:][:cw]
		du, dv := e.srcU[y*e.cStride:][:cw], e.srcV[y*e.cStride:][:cw]
		for x := range cb {
			du[x], dv[x] = jfifToC[cb[x]], jfifToC[cr[x]]
		}
	}
}
