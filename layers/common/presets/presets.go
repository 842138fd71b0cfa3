// Package presets reads the variant presets file the common layer ships at
// /opt/imgflow/presets.json. Editing that file and redeploying the layer
// changes what every new execution produces.
package presets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"

	"github.com/imgflow/imgflow/layers/common/assets"
)

// DefaultPath is where the common layer puts the presets file on Lambda.
const DefaultPath = "/opt/imgflow/presets.json"

// Output formats a preset may ask for. Auto keeps transparency: PNG when the
// source declares an alpha channel, JPEG otherwise. WebP keeps alpha too.
const (
	FormatAuto = "auto"
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatWebP = "webp"
)

// Limits on a preset, so a typo cannot ask Lambda for a 100k-pixel variant.
const (
	MaxLongSide     = 16384
	MaxWebPLongSide = 16383 // VP8 codes 14-bit sides
	maxPresets      = 32
)

// Preset describes one variant size, made in one or more formats from a
// single decode. A preset names its formats either with Format (one; the
// original field, so older files load unchanged) or with Formats (several,
// e.g. ["webp", "auto"]: a WebP plus a JPEG fallback, or a PNG one for a
// source with alpha), never both.
type Preset struct {
	Name        string   `json:"name"`                  // used in the output keys: <name>.<ext>
	LongSide    int      `json:"longSide"`              // pixels on the longer side; never upscaled
	Format      string   `json:"format,omitempty"`      // auto, jpeg, png or webp
	Formats     []string `json:"formats,omitempty"`     // the same values, each at most once; auto excludes jpeg and png
	Quality     int      `json:"quality"`               // JPEG quality 1..100; ignored for PNG
	WebPQuality int      `json:"webpQuality,omitempty"` // WebP quality 1..100 (cwebp -q); 0 means Quality
}

// OutputFormats returns the formats the preset asks for, in its order.
func (p Preset) OutputFormats() []string {
	if len(p.Formats) > 0 {
		return p.Formats
	}
	if p.Format != "" {
		return []string{p.Format}
	}
	return nil
}

// QualityOf returns the quality of one of the preset's formats: WebPQuality
// (or Quality when 0) for WebP, Quality otherwise.
func (p Preset) QualityOf(format string) int {
	if format == FormatWebP && p.WebPQuality != 0 {
		return p.WebPQuality
	}
	return p.Quality
}

// FieldError is one problem in a presets file, located by its JSON path.
type FieldError struct {
	Path   string // e.g. presets[2].formats[1]
	Reason string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Reason }

// File is the presets file.
type File struct {
	Presets []Preset `json:"presets"`
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate reports every problem in f at once, each a *FieldError (joined
// with errors.Join).
func (f *File) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Reason: fmt.Sprintf(format, args...)})
	}
	if len(f.Presets) == 0 {
		bad("presets", "no presets")
	}
	if len(f.Presets) > maxPresets {
		bad("presets", "%d presets, at most %d", len(f.Presets), maxPresets)
	}
	seen := map[string]bool{}
	for i, p := range f.Presets {
		at := fmt.Sprintf("presets[%d]", i)
		if !validName.MatchString(p.Name) {
			bad(at+".name", "name %q must match %s", p.Name, validName)
		}
		if seen[p.Name] {
			bad(at+".name", "duplicate name %q", p.Name)
		}
		seen[p.Name] = true
		if p.LongSide < 1 || p.LongSide > MaxLongSide {
			bad(at+".longSide", "longSide %d out of range 1..%d", p.LongSide, MaxLongSide)
		}
		switch {
		case p.Format != "" && p.Formats != nil:
			bad(at, "both format %q and formats %q given: use formats alone", p.Format, p.Formats)
		case p.Formats != nil:
			validateFormats(at+".formats", p.Formats, bad)
		case p.Format == "":
			bad(at+".format", `no format: give "format" (one of %s) or "formats" (a list of them)`, formatNames)
		default:
			if !validFormat(p.Format) {
				bad(at+".format", "format %q: want %s", p.Format, formatNames)
			}
		}
		if p.Quality < 1 || p.Quality > 100 {
			bad(at+".quality", "quality %d out of range 1..100", p.Quality)
		}
		if p.WebPQuality < 0 || p.WebPQuality > 100 {
			bad(at+".webpQuality", "webpQuality %d out of range 1..100 (0 or absent: quality)", p.WebPQuality)
		}
		webp := slices.Contains(p.OutputFormats(), FormatWebP)
		if p.WebPQuality != 0 && !webp {
			bad(at+".webpQuality", "webpQuality given but no webp format")
		}
		if webp && p.LongSide > MaxWebPLongSide {
			bad(at+".longSide", "longSide %d: WebP sides are at most %d", p.LongSide, MaxWebPLongSide)
		}
	}
	return errors.Join(errs...)
}

const formatNames = "auto, jpeg, png or webp"

func validFormat(f string) bool {
	switch f {
	case FormatAuto, FormatJPEG, FormatPNG, FormatWebP:
		return true
	}
	return false
}

// validateFormats checks a formats list: known values, each once, and auto
// not beside jpeg or png (it becomes one of them, so the two would collide).
func validateFormats(at string, fs []string, bad func(path, format string, args ...any)) {
	if len(fs) == 0 {
		bad(at, "empty list: give at least one of %s", formatNames)
	}
	for j, f := range fs {
		if !validFormat(f) {
			bad(fmt.Sprintf("%s[%d]", at, j), "format %q: want %s", f, formatNames)
		}
		if slices.Index(fs, f) < j {
			bad(fmt.Sprintf("%s[%d]", at, j), "format %q listed twice", f)
		}
	}
	if slices.Contains(fs, FormatAuto) && (slices.Contains(fs, FormatJPEG) || slices.Contains(fs, FormatPNG)) {
		bad(at, "auto already means jpeg (opaque source) or png (source with alpha): do not list it with jpeg or png")
	}
}

// Parse decodes and validates a presets file. Unknown fields are errors: a
// misspelt "longside" must not silently fall back to zero.
func Parse(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("presets: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("presets: %w", err)
	}
	return &f, nil
}

// DefaultName names the built-in presets in messages: the file they are
// embedded from.
const DefaultName = "layers/common/assets/presets.json (built in)"

// Default returns the built-in presets: the layer's presets.json, embedded
// at build time, for binaries that run without the layer.
func Default() (*File, error) {
	f, err := Parse(assets.Presets())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DefaultName, err)
	}
	return f, nil
}

// Load reads and validates the presets file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("presets: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Digest names a list of presets by its content: "sha256:" and the hex
// SHA-256 of its JSON encoding (fields in declaration order, so the same
// presets always give the same digest, however the file was formatted).
// A manifest records it; a reprocess remakes outputs whose digest differs.
func Digest(ps []Preset) string {
	b, _ := json.Marshal(ps) // cannot fail: a Preset holds only strings, ints and string slices
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
