package imaging

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
)

// DefaultQuality is the JPEG quality used when Spec.Quality is 0.
const DefaultQuality = 85

// Spec describes one output variant.
type Spec struct {
	LongSide   int         // target length of the longer displayed side; <= 0 keeps the size
	Format     Format      // JPEG, PNG or GIF (WebP and HEIC cannot be encoded: *UnsupportedError)
	Quality    int         // JPEG quality 1..100; 0 means DefaultQuality
	Background color.NRGBA // used when flattening alpha (JPEG, GIF); its alpha is ignored
}

func (s Spec) quality() int {
	if s.Quality == 0 {
		return DefaultQuality
	}
	return s.Quality
}

// SpecError reports an invalid Spec (a caller bug, not bad input).
type SpecError struct {
	Field, Reason string
}

func (e *SpecError) Error() string { return "imaging: invalid spec " + e.Field + ": " + e.Reason }

// Validate checks the spec.
func (s Spec) Validate() error {
	switch s.Format {
	case JPEG, PNG, GIF:
	case WebP, HEIC:
		return &UnsupportedError{Format: string(s.Format), Reason: "encoding not supported"}
	default:
		return &SpecError{Field: "Format", Reason: fmt.Sprintf("unknown format %q", s.Format)}
	}
	if s.Quality < 0 || s.Quality > 100 {
		return &SpecError{Field: "Quality", Reason: fmt.Sprintf("%d not in 1..100", s.Quality)}
	}
	return nil
}

func checkSpecStep(_ context.Context, j *job) error { return j.spec.Validate() }

// Output describes what Process wrote.
type Output struct {
	Width, Height int
	Format        Format
	Bytes         int64
}

// Process decodes src (reading it sequentially once), applies the EXIF
// orientation, converts to 8-bit sRGB (including embedded matrix/TRC RGB ICC
// profiles such as Display P3), takes the first frame of animations,
// resizes so the long side equals spec.LongSide with Lanczos3 (never
// upscaling; see Fit), flattens alpha onto spec.Background for JPEG and GIF
// output, encodes and writes the bytes to dst. The output has no metadata.
// Same input and spec give byte-identical output.
//
// Errors: *FormatError (corrupt or truncated data), *UnsupportedError,
// *LimitError or *SideLimitError (checked before any pixel buffer is
// allocated), *SpecError, ctx's error, and read errors of src or write
// errors of dst wrapped.
func Process(ctx context.Context, src io.Reader, dst io.Writer, spec Spec, lim Limits) (Output, error) {
	j := &job{spec: spec, lim: lim, in: src, dst: dst}
	if err := run(ctx, processSteps, j); err != nil {
		return Output{}, err
	}
	return j.res, nil
}

// Decode returns the whole image, oriented, as 8-bit straight-alpha sRGB, with
// the Info Probe found. Limits are checked before decoding.
func Decode(ctx context.Context, src io.Reader, lim Limits) (*image.NRGBA, Info, error) {
	j := &job{lim: lim, in: src}
	if err := run(ctx, decodeSteps, j); err != nil {
		return nil, j.info, err
	}
	return j.out, j.info, nil
}
