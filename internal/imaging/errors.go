package imaging

import (
	"errors"
	"fmt"
	"io"

	"github.com/imgflow/imgflow/internal/imaging/heif"
	"github.com/imgflow/imgflow/internal/imaging/hevc"
)

// FormatError reports input that is not a valid image: unknown bytes, a corrupt
// or truncated header, or corrupt pixel data found while decoding. An EOF inside
// a structure is reported with Err == io.ErrUnexpectedEOF.
type FormatError struct {
	Format Format // empty when the format itself is not recognised
	Reason string
	Err    error // underlying cause, may be nil
}

func (e *FormatError) Error() string {
	msg := "imaging: invalid "
	if e.Format != "" {
		msg += string(e.Format) + " "
	}
	msg += "image: " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a recognised image format, or a variant of a
// supported one (e.g. 12-bit or arithmetic-coded JPEG), that imgflow does not
// process.
type UnsupportedError struct {
	Format string // e.g. "heic", "tiff", "jpeg"
	Reason string
}

func (e *UnsupportedError) Error() string {
	if e.Reason == "" {
		return "imaging: unsupported format " + e.Format
	}
	return "imaging: unsupported " + e.Format + ": " + e.Reason
}

// LimitError reports an image whose declared pixel count exceeds Limits.MaxPixels.
// It is returned before any pixel buffer is allocated.
type LimitError struct {
	Pixels, Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("imaging: image has %d pixels, limit is %d", e.Pixels, e.Limit)
}

// SideLimitError reports an image whose declared width or height exceeds
// Limits.MaxSide. It is returned before any pixel buffer is allocated.
type SideLimitError struct {
	Width, Height, Limit int
}

func (e *SideLimitError) Error() string {
	return fmt.Sprintf("imaging: image is %dx%d, the longest side allowed is %d", e.Width, e.Height, e.Limit)
}

// formatErr builds a *FormatError; an io.EOF cause is turned into io.ErrUnexpectedEOF
// because every caller is inside a structure when it hits the end of input.
func formatErr(f Format, reason string, err error) *FormatError {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &FormatError{Format: f, Reason: reason, Err: err}
}

// heicError maps the errors of the HEIF container (heif) and the HEVC
// decoder (hevc) to the package's types; any other error is returned as is.
// The container's pixel limit becomes a *LimitError. Its other limits (items,
// tiles, references, meta bytes) and an HEVC picture larger than the item
// declares are hostile structure, so a *FormatError. AVIF arrives as an
// *UnsupportedError with Format "avif".
func heicError(err error) error {
	var hf *heif.FormatError
	var hu *heif.UnsupportedError
	var hl *heif.LimitError
	var vf *hevc.FormatError
	var vu hevc.UnsupportedError
	var vl *hevc.LimitError
	switch {
	case errors.As(err, &hl) && (hl.What == "pixels" || hl.What == "tile pixels"):
		return &LimitError{Pixels: hl.Value, Limit: hl.Limit}
	case errors.As(err, &hl):
		return &FormatError{Format: HEIC, Reason: fmt.Sprintf("%d %s, the limit is %d", hl.Value, hl.What, hl.Limit)}
	case errors.As(err, &hu) && hu.Format == "avif":
		return &UnsupportedError{Format: "avif", Reason: "AVIF (AV1 in HEIF) is not supported; HEIC is"}
	case errors.As(err, &hu):
		return &UnsupportedError{Format: string(HEIC), Reason: hu.Reason}
	case errors.As(err, &vu):
		return &UnsupportedError{Format: string(HEIC), Reason: "hevc: " + string(vu)}
	case errors.As(err, &vl):
		return &FormatError{Format: HEIC, Reason: fmt.Sprintf("coded picture of %dx%d is larger than the item declares", vl.Width, vl.Height)}
	case errors.As(err, &vf):
		return formatErr(HEIC, "hevc: "+vf.Reason, vf.Err)
	case errors.As(err, &hf):
		return formatErr(HEIC, hf.Reason, hf.Err)
	}
	return err
}
