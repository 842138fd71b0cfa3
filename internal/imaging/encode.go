package imaging

import (
	"context"
	"fmt"
	"image/gif"
	"image/png"
	"io"

	"github.com/imgflow/imgflow/internal/imaging/jpegenc"
)

// encodeStep writes j.out in spec.Format. The standard encoders write no
// metadata at all (no EXIF, GPS, ICC, XMP, text chunks), and are deterministic.
func encodeStep(_ context.Context, j *job) error {
	cw := &countingWriter{w: j.dst}
	var err error
	switch j.spec.Format {
	case JPEG:
		// Flattened pixels are opaque; jpegenc reads the NRGBA bytes directly
		// (4:2:0, libjpeg quality scaling, JFIF APP0 only).
		err = jpegenc.Encode(cw, j.out, &jpegenc.Options{Quality: j.spec.quality()})
	case PNG:
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		err = enc.Encode(cw, j.out)
	case GIF:
		err = gif.Encode(cw, j.out, &gif.Options{NumColors: 256})
	default:
		return &UnsupportedError{Format: string(j.spec.Format), Reason: "encoding not supported"}
	}
	if err != nil {
		return fmt.Errorf("imaging: encode %s: %w", j.spec.Format, err)
	}
	j.res = Output{Width: j.out.Rect.Dx(), Height: j.out.Rect.Dy(), Format: j.spec.Format, Bytes: cw.n}
	return nil
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
