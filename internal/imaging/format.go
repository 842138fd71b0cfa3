package imaging

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Format is an image format imgflow can decode (and, except WebP and HEIC,
// encode).
type Format string

// Supported formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
	HEIC Format = "heic" // HEIF with HEVC-coded images (iPhone photos); decoded only
)

// Extension returns the conventional file extension without the dot.
func (f Format) Extension() string {
	switch f {
	case JPEG:
		return "jpg"
	case PNG, GIF, WebP, HEIC:
		return string(f)
	}
	return ""
}

// ContentType returns the MIME type of the format.
func (f Format) ContentType() string {
	switch f {
	case JPEG, PNG, GIF, WebP, HEIC:
		return "image/" + string(f)
	}
	return "application/octet-stream"
}

// Valid reports whether f is one of the supported formats.
func (f Format) Valid() bool {
	switch f {
	case JPEG, PNG, GIF, WebP, HEIC:
		return true
	}
	return false
}

// SniffLen is the number of leading bytes Sniff needs to recognise every
// format it knows; shorter headers are accepted.
const SniffLen = 32

type magic struct {
	off    int
	prefix string
	name   string // unsupported format name; "" for a supported one
	format Format
}

// magics is checked in order; supported formats first.
var magics = []magic{
	{0, "\xff\xd8\xff", "", JPEG},
	{0, "\x89PNG\r\n\x1a\n", "", PNG},
	{0, "GIF87a", "", GIF},
	{0, "GIF89a", "", GIF},
	{0, "II*\x00", "tiff", ""},
	{0, "MM\x00*", "tiff", ""},
	{0, "II+\x00", "tiff", ""}, // BigTIFF
	{0, "MM\x00+", "tiff", ""},
	{0, "%PDF-", "pdf", ""},
	{0, "%!PS", "postscript", ""},
	{0, "8BPS", "psd", ""},
	{0, "\x00\x00\x01\x00", "ico", ""},
	{0, "\x00\x00\x02\x00", "cur", ""},
	{0, "\xff\x0a", "jxl", ""},
	{0, "\x00\x00\x00\x0cJXL \r\n\x87\n", "jxl", ""},
	{0, "\x00\x00\x00\x0cjP  \r\n\x87\n", "jpeg2000", ""},
	{0, "\xff\x4f\xff\x51", "jpeg2000", ""},
	{0, "qoif", "qoi", ""},
	{0, "v/1\x01", "openexr", ""},
	{0, "#?RADIANCE", "hdr", ""},
	{0, "DDS ", "dds", ""},
	{0, "gimp xcf", "xcf", ""},
	{0, "farbfeld", "farbfeld", ""},
	{0, "FUJIFILMCCD-RAW", "raw", ""},
	{0, "\x1f\x8b", "gzip", ""}, // e.g. .svgz
}

// Sniff decides the format from magic bytes only (never a file name).
// For recognised but unsupported formats it returns an *UnsupportedError naming
// the format; for unknown bytes a *FormatError ("not an image"); for an empty
// or too short header a *FormatError wrapping io.ErrUnexpectedEOF.
func Sniff(header []byte) (Format, error) {
	if len(header) == 0 {
		return "", formatErr("", "empty input", io.ErrUnexpectedEOF)
	}
	for _, m := range magics {
		if len(header) >= m.off+len(m.prefix) && string(header[m.off:m.off+len(m.prefix)]) == m.prefix {
			if m.format != "" {
				return m.format, nil
			}
			return "", &UnsupportedError{Format: m.name}
		}
	}
	if isBMP(header) {
		return "", &UnsupportedError{Format: "bmp"}
	}
	if len(header) >= 12 && string(header[:4]) == "RIFF" {
		switch string(header[8:12]) {
		case "WEBP":
			return WebP, nil
		case "AVI ", "WAVE":
			return "", &FormatError{Reason: "not an image (RIFF " + string(header[8:12]) + ")"}
		}
		return "", &UnsupportedError{Format: "riff", Reason: "form type " + printable(header[8:12])}
	}
	if len(header) >= 12 && string(header[4:8]) == "ftyp" {
		switch name := bmffFormat(header); name {
		case "heic", "heif":
			return HEIC, nil
		case "avif":
			return "", &UnsupportedError{Format: name, Reason: "AVIF (AV1 in HEIF) is not supported; HEIC is"}
		default:
			return "", &UnsupportedError{Format: name}
		}
	}
	if isSVG(header) {
		return "", &UnsupportedError{Format: "svg"}
	}
	if len(header) < 3 && (bytes.HasPrefix([]byte("\xff\xd8\xff"), header) || bytes.HasPrefix([]byte("\x89PNG"), header)) {
		return "", formatErr("", "header too short", io.ErrUnexpectedEOF)
	}
	return "", &FormatError{Reason: "not an image"}
}

// bmffFormat names an ISO base media file (HEIF family, AVIF, video) by its brands.
func bmffFormat(h []byte) string {
	brands := [][]byte{h[8:12]}
	size := int(h[0])<<24 | int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	for off := 16; off+4 <= len(h) && off+4 <= size; off += 4 {
		brands = append(brands, h[off:off+4]) // compatible brands
	}
	for _, b := range brands {
		switch string(b) {
		case "avif", "avis":
			return "avif"
		}
	}
	for _, b := range brands {
		switch string(b) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs":
			return "heic"
		case "mif1", "msf1":
			return "heif"
		case "crx ":
			return "raw"
		case "jxl ":
			return "jxl"
		}
	}
	return "iso-bmff (" + printable(h[8:12]) + ")"
}

func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// isBMP checks "BM", zero reserved fields and a known DIB header size, so
// text that merely starts with "BM" is not taken for a bitmap.
func isBMP(h []byte) bool {
	if len(h) < 18 || string(h[:2]) != "BM" || string(h[6:10]) != "\x00\x00\x00\x00" {
		return false
	}
	switch binary.LittleEndian.Uint32(h[14:18]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// isSVG recognises SVG and generic XML by their text prefix.
func isSVG(h []byte) bool {
	h = bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))
	h = bytes.TrimLeft(h, " \t\r\n")
	for _, p := range []string{"<svg", "<?xml", "<!DOCTYPE svg", "<!doctype svg"} {
		if bytes.HasPrefix(h, []byte(p)) {
			return true
		}
	}
	return false
}
