package jpegenc

import (
	"errors"
	"image"
	"io"
)

// EncodeYCbCr writes m, JFIF Y′CbCr (T.871: full range, BT.601, centred
// chroma) with 4:2:0 subsampling, as a baseline JPEG. The planes are coded
// as they are: no colour conversion and no chroma downsampling, so a
// caller that resamples Y′CbCr planes (a JPEG source) skips both round
// trips. The output is what Encode writes for the same planes, apart from
// the conversion it skips: same tables, bands and markers.
func EncodeYCbCr(w io.Writer, m *image.YCbCr, o *Options) error {
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return errors.New("jpegenc: EncodeYCbCr needs 4:2:0 planes")
	}
	b := m.Bounds()
	opt, err := checkedOptions(o, b)
	if err != nil {
		return err
	}
	e := newEncoder(nil, 0, b.Dx(), b.Dy(), &opt)
	e.ycc = m
	return e.encode(w)
}

// planarRow fills b.y, b.cb, b.cr for MCU row my from e.ycc: 16 luma rows
// and 8 rows of each chroma plane, level-shifted to [-128, 127] (Q0).
// Samples outside the image replicate the last column and row of their
// plane, as convertRow pads.
func (e *encoder) planarRow(b *band, my int) {
	m := e.ycc
	r := m.Rect
	pw := e.mcuW * 16
	cw := pw / 2
	for py := 0; py < 16; py++ {
		y := min(my*16+py, e.h-1) + r.Min.Y
		o := m.YOffset(r.Min.X, y)
		levelShift(b.y[py*pw:(py+1)*pw], m.Y[o:o+e.w])
	}
	half, ch := (e.w+1)/2, (e.h+1)/2
	for py := 0; py < 8; py++ {
		y := min(my*8+py, ch-1)
		o := m.COffset(r.Min.X, r.Min.Y+2*y)
		levelShift(b.cb[py*cw:(py+1)*cw], m.Cb[o:o+half])
		levelShift(b.cr[py*cw:(py+1)*cw], m.Cr[o:o+half])
	}
}

// levelShift stores src−128 in dst and replicates the last sample into
// the rest of dst.
func levelShift(dst []int16, src []uint8) {
	d := dst[:len(src)]
	for i, v := range src {
		d[i] = int16(v) - 128
	}
	last := d[len(d)-1]
	for i := len(src); i < len(dst); i++ {
		dst[i] = last
	}
}
