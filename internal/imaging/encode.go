package imaging

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"io"

	"github.com/imgflow/imgflow/internal/imaging/jpegenc"
	"github.com/imgflow/imgflow/internal/imaging/webpenc"
)

// webpMethod is the WebP encoder's speed/size trade-off: cwebp's default
// -m 4, the level bench/webpenc measures against libwebp.
const webpMethod = 4

// encodeStep writes the image once per encoding, in order: j.flat for the
// formats without alpha, j.out for the others. The encoders write no
// metadata at all (no EXIF, GPS, ICC, XMP, text chunks), and are
// deterministic. jpegenc and webpenc each spread one image over GOMAXPROCS
// goroutines (restart-marker bands; a macroblock-row wavefront) without
// their output depending on it, so the encodings run one after the other.
func encodeStep(ctx context.Context, j *job) error {
	j.res = make([]Output, 0, len(j.encs))
	for _, e := range j.encs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if j.ycc != nil && e.takesPlanes() { // planar path (resizeStep)
			n, err := encodePlanar(ctx, e, j.ycc)
			if err != nil {
				return err
			}
			j.res = append(j.res, Output{Width: j.ycc.Rect.Dx(), Height: j.ycc.Rect.Dy(), Format: e.Format, Bytes: n})
			continue
		}
		m := j.out
		if e.flattens() {
			m = j.flat
		}
		n, err := encode(ctx, e, m)
		if err != nil {
			return err
		}
		j.res = append(j.res, Output{Width: m.Rect.Dx(), Height: m.Rect.Dy(), Format: e.Format, Bytes: n})
	}
	return nil
}

// encode writes m to e.Dst in e.Format and returns the bytes written.
func encode(ctx context.Context, e Encoding, m *image.NRGBA) (int64, error) {
	cw := &countingWriter{w: e.Dst}
	var err error
	switch e.Format {
	case JPEG:
		// Flattened pixels are opaque; jpegenc reads the NRGBA bytes directly
		// (4:2:0, libjpeg quality scaling, JFIF APP0 only).
		err = jpegenc.Encode(cw, m, &jpegenc.Options{Quality: e.quality()})
	case PNG:
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		err = enc.Encode(cw, m)
	case GIF:
		err = gif.Encode(cw, m, &gif.Options{NumColors: 256})
	case WebP:
		// Lossy VP8; any alpha below 255 adds an ALPH chunk (VP8X). Workers 0
		// is GOMAXPROCS, as jpegenc.
		err = webpenc.Encode(ctx, cw, m, &webpenc.Options{Quality: e.quality(), Method: webpMethod})
		var ue webpenc.UnsupportedError
		if errors.As(err, &ue) {
			return 0, &UnsupportedError{Format: string(WebP), Reason: string(ue)}
		}
	default:
		return 0, &UnsupportedError{Format: string(e.Format), Reason: "encoding not supported"}
	}
	if err != nil {
		return 0, fmt.Errorf("imaging: encode %s: %w", e.Format, err)
	}
	return cw.n, nil
}

// takesPlanes reports whether the format's encoder takes the planar path's
// Y′CbCr 4:2:0 planes (resizeStep) instead of RGB: JPEG codes them as they
// are, lossy WebP after a change of range (webpenc.EncodeYCbCr).
func (e Encoding) takesPlanes() bool { return e.Format == JPEG || e.Format == WebP }

// encodePlanar writes 4:2:0 planes to e.Dst (a format that takesPlanes)
// and returns the bytes written.
func encodePlanar(ctx context.Context, e Encoding, m *image.YCbCr) (int64, error) {
	cw := &countingWriter{w: e.Dst}
	var err error
	switch e.Format {
	case JPEG:
		err = jpegenc.EncodeYCbCr(cw, m, &jpegenc.Options{Quality: e.quality()})
	case WebP:
		err = webpenc.EncodeYCbCr(ctx, cw, m, &webpenc.Options{Quality: e.quality(), Method: webpMethod})
		var ue webpenc.UnsupportedError
		if errors.As(err, &ue) {
			return 0, &UnsupportedError{Format: string(WebP), Reason: string(ue)}
		}
	default:
		return 0, &UnsupportedError{Format: string(e.Format), Reason: "planar encoding not supported"}
	}
	if err != nil {
		return 0, fmt.Errorf("imaging: encode %s: %w", e.Format, err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
