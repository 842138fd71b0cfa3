package imaging

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"

	"github.com/imgflow/imgflow/internal/imaging/jpeg"
	"github.com/imgflow/imgflow/internal/imaging/png"
)

// decodeJPEGScaled decodes in the DCT domain at jpegScale (shrink on
// load): the 256-px variant of a 24 MP photo decodes at 1/8, from DC
// coefficients only. The resampler then takes the size actually decoded to
// want.
func decodeJPEGScaled(ctx context.Context, r io.Reader, info Info, want image.Point) (image.Image, error) {
	return jpeg.DecodeContext(ctx, r, &jpeg.Options{Scale: jpegScale(info, want)})
}

// jpegScale is the DCT-domain reduction for want: the largest of 1/2, 1/4
// and 1/8 that still leaves at least want in both dimensions, else 1. It
// grows as want shrinks, so the scale for the largest of several wants is
// the smallest of theirs.
func jpegScale(info Info, want image.Point) int {
	for s := 8; s > 1; s /= 2 {
		if (info.Width+s-1)/s >= want.X && (info.Height+s-1)/s >= want.Y {
			return s
		}
	}
	return 1
}

// decodeFunc decodes one image of a format from r, which is positioned at the
// image's first byte; info is what Probe found.
//
// want is the shrink-on-load hook: the size, in stored orientation, that the
// pipeline will resize to (equal to the stored size when no resize is wanted).
// A decoder that can reduce while decoding (a DCT-domain scaled JPEG decoder
// picking 1/2, 1/4 or 1/8) may return any image at least as large as want in
// both dimensions; the resize step takes the size actually returned as its
// input, so the achieved scale feeds back into the resampler. The other
// decoders ignore want.
//
// A decodeFunc returns the underlying decoder's errors; decodeStep maps them
// to FormatError and UnsupportedError. Decoders that can check ctx during
// long work (JPEG between scans, PNG every few rows) return its error.
type decodeFunc func(ctx context.Context, r io.Reader, info Info, want image.Point) (image.Image, error)

// decoders is the per-format decoder table. Replace an entry (e.g. JPEG) to
// plug in a different decoder behind the same API.
var decoders = map[Format]decodeFunc{
	JPEG: decodeJPEGScaled,
	PNG:  decodePNG,
	GIF:  decodeGIFFirstFrame,
	WebP: decodeWebP,
	HEIC: decodeHEIC,
}

// decodePNG decodes with our streaming decoder (internal/imaging/png): 8
// bits a sample, so a 16-bit or interlaced image costs what an 8-bit one
// does (image/png's took twice, and half as much again for the passes).
func decodePNG(ctx context.Context, r io.Reader, _ Info, _ image.Point) (image.Image, error) {
	return png.Decode(ctx, r, nil)
}

// decodeGIFFirstFrame decodes the first frame only (gif.Decode stops there).
// A frame smaller than the logical screen is placed on a transparent canvas
// of the screen's size, which is never allocated: a 50-byte GIF may declare
// a 65535×1525 screen around a 1×1 frame (image/gif keeps frames inside
// the screen, so the frame is never larger).
func decodeGIFFirstFrame(_ context.Context, r io.Reader, info Info, _ image.Point) (image.Image, error) {
	m, err := gif.Decode(r)
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, info.Width, info.Height)
	if m.Bounds() == screen {
		return m, nil
	}
	p, ok := m.(*image.Paletted)
	if !ok || !p.Rect.In(screen) {
		return nil, errors.New("gif: frame outside the logical screen")
	}
	return &gifCanvas{frame: p, screen: screen}, nil
}

// gifCanvas is a GIF frame on a transparent logical screen, computed row
// by row (rowsOf) instead of stored.
type gifCanvas struct {
	frame  *image.Paletted
	screen image.Rectangle
}

func (c *gifCanvas) ColorModel() color.Model { return color.NRGBAModel }
func (c *gifCanvas) Bounds() image.Rectangle { return c.screen }
func (c *gifCanvas) Opaque() bool            { return false } // the frame does not cover the screen

func (c *gifCanvas) At(x, y int) color.Color {
	if !image.Pt(x, y).In(c.frame.Rect) {
		return color.NRGBA{}
	}
	return c.frame.At(x, y)
}

// rows returns the canvas's rowFunc: transparent black, with the frame's
// pixels converted as rowsOf converts a paletted image.
func (c *gifCanvas) rows() rowFunc {
	f := c.frame.Rect
	pal := nrgbaPalette(c.frame.Palette)
	return func(y int, dst []uint8) {
		clear(dst[:4*c.screen.Dx()])
		if y < f.Min.Y || y >= f.Max.Y {
			return
		}
		d := dst[4*f.Min.X : 4*f.Max.X]
		src := c.frame.Pix[(y-f.Min.Y)*c.frame.Stride:][:f.Dx()]
		for x, ix := range src {
			p := pal[ix]
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = p.R, p.G, p.B, p.A
		}
	}
}

// sourceReader reads the source for a decoder, stops it when ctx is
// cancelled, and remembers the first error that did not come from the data
// itself (network, cancellation) so it is not mistaken for corrupt input.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// decodeError maps a decoder's error to the package's error types.
func decodeError(f Format, err error, src *sourceReader) error {
	if src.err != nil {
		if errors.Is(src.err, context.Canceled) || errors.Is(src.err, context.DeadlineExceeded) {
			return src.err
		}
		return fmt.Errorf("imaging: read source: %w", src.err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // the decoder saw ctx end
	}
	var fe *FormatError
	var ue *UnsupportedError
	var le *LimitError
	if errors.As(err, &fe) || errors.As(err, &ue) || errors.As(err, &le) {
		return err // mapped by the decoder (decodeHEIC)
	}
	var ju jpeg.UnsupportedError
	var pu png.UnsupportedError
	var jl *jpeg.LimitError
	var pl *png.LimitError
	switch {
	case errors.As(err, &jl):
		return &LimitError{Pixels: jl.Pixels, Limit: jl.Limit}
	case errors.As(err, &pl):
		return &LimitError{Pixels: pl.Pixels, Limit: pl.Limit}
	case errors.As(err, &ju), errors.As(err, &pu):
		return &UnsupportedError{Format: string(f), Reason: err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return formatErr(f, "truncated image data", io.ErrUnexpectedEOF)
	}
	return &FormatError{Format: f, Reason: "corrupt image data", Err: err}
}
