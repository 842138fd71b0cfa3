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

// DefaultWebPQuality is the WebP quality used when Spec.Quality is 0. WebP
// quality has libwebp's (cwebp -q) meaning: our q80 has cwebp -q 80's luma
// SSIM within ±0.003 (bench/webpenc/sweep.txt), about that of a q80 JPEG
// at 1024 px (a higher q is needed above, a lower one below), at 0.6–0.8×
// its bytes.
const DefaultWebPQuality = 80

// Spec describes one output variant.
type Spec struct {
	LongSide   int         // target length of the longer displayed side; <= 0 keeps the size
	Format     Format      // JPEG, PNG, GIF or WebP (HEIC cannot be encoded: *UnsupportedError)
	Quality    int         // JPEG or WebP quality 1..100; 0 means DefaultQuality or DefaultWebPQuality; ignored for PNG and GIF
	Background color.NRGBA // used when flattening alpha (JPEG, GIF); its alpha is ignored
}

// Encoding is one of the outputs ProcessAll writes from a single decode and
// resize.
type Encoding struct {
	Format  Format    // JPEG, PNG, GIF or WebP
	Quality int       // as Spec.Quality
	Dst     io.Writer // receives the encoded bytes
}

func (e Encoding) quality() int {
	switch {
	case e.Quality != 0:
		return e.Quality
	case e.Format == WebP:
		return DefaultWebPQuality
	}
	return DefaultQuality
}

// flattens reports whether the format cannot carry alpha, so the image is
// composited over Spec.Background first (GIF's fixed palette has no
// transparent entry either).
func (e Encoding) flattens() bool { return e.Format == JPEG || e.Format == GIF }

// SpecError reports an invalid Spec (a caller bug, not bad input).
type SpecError struct {
	Field, Reason string
}

func (e *SpecError) Error() string { return "imaging: invalid spec " + e.Field + ": " + e.Reason }

// Validate checks the spec.
func (s Spec) Validate() error {
	return Encoding{Format: s.Format, Quality: s.Quality}.validate("")
}

// validate checks one encoding; field prefixes the SpecError's Field.
func (e Encoding) validate(field string) error {
	switch e.Format {
	case JPEG, PNG, GIF, WebP:
	case HEIC:
		return &UnsupportedError{Format: string(e.Format), Reason: "encoding not supported"}
	default:
		return &SpecError{Field: field + "Format", Reason: fmt.Sprintf("unknown format %q", e.Format)}
	}
	if e.Quality < 0 || e.Quality > 100 {
		return &SpecError{Field: field + "Quality", Reason: fmt.Sprintf("%d not in 1..100", e.Quality)}
	}
	return nil
}

// checkSpecStep validates every encoding before any byte is read.
func checkSpecStep(_ context.Context, j *job) error {
	if len(j.encs) == 0 {
		return &SpecError{Field: "Encodings", Reason: "none given"}
	}
	for i, e := range j.encs {
		field := ""
		if j.all {
			field = fmt.Sprintf("Encodings[%d].", i)
			if e.Dst == nil {
				return &SpecError{Field: field + "Dst", Reason: "nil writer"}
			}
		}
		if err := e.validate(field); err != nil {
			return err
		}
	}
	if j.all && (j.spec.Format != "" || j.spec.Quality != 0) {
		return &SpecError{Field: "Format", Reason: "ProcessAll takes formats and qualities from its encodings; leave Spec.Format and Spec.Quality zero"}
	}
	return nil
}

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
// output (PNG and WebP keep it), encodes and writes the bytes to dst. The
// output has no metadata. Same input and spec give byte-identical output,
// whatever GOMAXPROCS is; the JPEG and WebP encoders use all of it.
//
// Errors: *FormatError (corrupt or truncated data), *UnsupportedError,
// *LimitError or *SideLimitError (checked before any pixel buffer is
// allocated), *SpecError, ctx's error, and read errors of src or write
// errors of dst wrapped.
func Process(ctx context.Context, src io.Reader, dst io.Writer, spec Spec, lim Limits) (Output, error) {
	j := &job{spec: spec, lim: lim, in: src, encs: []Encoding{{Format: spec.Format, Quality: spec.Quality, Dst: dst}}}
	if err := run(ctx, processSteps, j); err != nil {
		return Output{}, err
	}
	return j.res[0], nil
}

// ProcessAll is Process with several outputs from one decode and resize:
// each Encoding gets the image in its own format and quality, written to its
// Dst, in order. spec gives the size and background only (its Format and
// Quality must be zero). Each output is byte-identical to what Process
// writes for the same format and quality, and the Outputs are in the order
// of encs. A variant wanted as WebP and as a JPEG fallback thus costs one
// decode and one resize, not two.
//
// Errors are those of Process; the first failing encoding stops the rest
// (earlier Dst writers have received their complete output).
func ProcessAll(ctx context.Context, src io.Reader, spec Spec, encs []Encoding, lim Limits) ([]Output, error) {
	j := &job{spec: spec, lim: lim, in: src, encs: encs, all: true}
	if err := run(ctx, processSteps, j); err != nil {
		return nil, err
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
