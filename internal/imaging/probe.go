package imaging

import (
	"bytes"
	"errors"
	"io"
)

// Probe reads only as much of r as it needs (markers/chunks up to the frame
// header, plus the metadata segments before it) and never decodes pixel data.
// It reads r without buffering beyond what it parses, so the caller may keep
// reading r afterwards (Process tees the bytes instead).
//
// Errors: *FormatError for corrupt or truncated headers (an EOF inside a
// structure wraps io.ErrUnexpectedEOF), *UnsupportedError for unsupported
// formats or variants, and any read error of r other than EOF, returned as is.
func Probe(r io.Reader) (Info, error) {
	info, _, err := probe(r)
	return info, err
}

// probe is Probe that also returns the embedded ICC profile, if any (JPEG
// APP2 segments before the frame header, PNG iCCP, WebP ICCP, HEIF colr).
func probe(r io.Reader) (Info, []byte, error) {
	info, p, err := probeLimited(r, Limits{})
	if err != nil {
		return Info{}, nil, err
	}
	return info, p.icc, nil
}

// probeLimited is probe with the limits passed to the formats whose header
// reader checks them itself (HEIF's container refuses a primary image
// larger than MaxPixels before reading on). It returns the probeReader for
// what it collected besides Info (icc, primaries).
func probeLimited(r io.Reader, lim Limits) (Info, *probeReader, error) {
	src := &errRecorder{r: r}
	var hdr [SniffLen]byte
	n, err := io.ReadFull(src, hdr[:])
	if src.err != nil {
		return Info{}, nil, src.err
	}
	f, err := Sniff(hdr[:n])
	if err != nil {
		return Info{}, nil, err
	}
	p := &probeReader{r: io.MultiReader(bytes.NewReader(hdr[:n]), src), src: src, f: f}
	info := Info{Format: f, Orientation: 1}
	switch f {
	case JPEG:
		err = probeJPEG(p, &info)
	case PNG:
		err = probePNG(p, &info)
	case GIF:
		err = probeGIF(p, &info)
	case WebP:
		err = probeWebP(p, &info)
	case HEIC:
		err = probeHEIF(p, &info, lim.maxPixels())
	}
	if err != nil {
		return Info{}, nil, err
	}
	return info, p, nil
}

// probeReader reads exact amounts from an unbuffered reader and turns an EOF
// into a *FormatError wrapping io.ErrUnexpectedEOF.
type probeReader struct {
	r   io.Reader
	src *errRecorder
	f   Format
	tmp [16]byte
	icc []byte // embedded ICC profile found while probing

	// primaries converts from the colour primaries an HEIF nclx box
	// declares (Display P3, BT.2020) to sRGB's; nil for sRGB's own or
	// when an ICC profile is given instead.
	primaries *colorTransform
}

// errRecorder remembers the first error other than io.EOF that the
// underlying reader returned, so that a source failing with
// io.ErrUnexpectedEOF (a cut network stream) is not taken for truncated data.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

func (p *probeReader) full(b []byte, what string) error {
	if _, err := io.ReadFull(p.r, b); err != nil {
		return p.wrap(what, err)
	}
	return nil
}

func (p *probeReader) byte(what string) (byte, error) {
	if err := p.full(p.tmp[:1], what); err != nil {
		return 0, err
	}
	return p.tmp[0], nil
}

func (p *probeReader) skip(n int64, what string) error {
	if n <= 0 {
		return nil
	}
	if _, err := io.CopyN(io.Discard, p.r, n); err != nil {
		return p.wrap(what, err)
	}
	return nil
}

// wrap keeps I/O errors of the source as they are; only end-of-input becomes
// a FormatError.
func (p *probeReader) wrap(what string, err error) error {
	if p.src.err != nil {
		return p.src.err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr(p.f, "truncated "+what, io.ErrUnexpectedEOF)
	}
	return err
}

func (p *probeReader) bad(reason string) error { return &FormatError{Format: p.f, Reason: reason} }

func (p *probeReader) unsupported(reason string) error {
	return &UnsupportedError{Format: string(p.f), Reason: reason}
}
