package heif

import (
	"errors"
	"fmt"
	"io"
)

// FormatError reports input that is not a valid HEIF file: a corrupt or
// truncated box, an inconsistent item graph (a reference loop, a missing
// item), or data outside the file. An end of input inside a structure is
// reported with Err == io.ErrUnexpectedEOF.
type FormatError struct {
	Reason string
	Err    error // underlying cause, may be nil
}

func (e *FormatError) Error() string {
	if e.Err != nil {
		return "heif: invalid format: " + e.Reason + ": " + e.Err.Error()
	}
	return "heif: invalid format: " + e.Reason
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid file, or a valid feature of one, that this
// package does not handle: AVIF, an item coded with a codec other than HEVC,
// construction method 2 (item offset), an unknown essential property.
// Format is "avif" for AVIF files and "heic" otherwise.
type UnsupportedError struct {
	Format string
	Reason string
}

func (e *UnsupportedError) Error() string {
	return "heif: unsupported " + e.Format + ": " + e.Reason
}

// LimitError reports a file that declares more than Options allows: What
// is "pixels" for the primary image's size after grid assembly (compare
// with Options.MaxPixels), "tile pixels", "tiles", "items", "references",
// "properties", "boxes" or "meta bytes" for the other limits. It is returned
// before anything of that size is allocated.
type LimitError struct {
	What         string
	Value, Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("heif: %d %s exceeds the limit of %d", e.Value, e.What, e.Limit)
}

func formatErr(reason string) error { return &FormatError{Reason: reason} }

func formatErrf(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

// errTruncated is the error for a structure that ends early.
func errTruncated(what string) error {
	return &FormatError{Reason: "truncated " + what, Err: io.ErrUnexpectedEOF}
}

func unsupported(reason string) error { return &UnsupportedError{Format: "heic", Reason: reason} }

// wrapRead turns an EOF from an io.ReaderAt or io.Reader into a
// FormatError (the input ended inside a box) and returns other read errors
// of the source unchanged, so the caller does not take a failing network
// read for a corrupt file.
func wrapRead(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errTruncated(what)
	}
	return err
}
