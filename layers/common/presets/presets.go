// Package presets reads the variant presets file the common layer ships at
// /opt/imgflow/presets.json. Editing that file and redeploying the layer
// changes what every new execution produces.
package presets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
)

// DefaultPath is where the common layer puts the presets file on Lambda.
const DefaultPath = "/opt/imgflow/presets.json"

// Output formats a preset may ask for. Auto keeps transparency: PNG when the
// source declares an alpha channel, JPEG otherwise.
const (
	FormatAuto = "auto"
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
)

// Limits on a preset, so a typo cannot ask Lambda for a 100k-pixel variant.
const (
	MaxLongSide = 16384
	maxPresets  = 32
)

// Preset describes one variant.
type Preset struct {
	Name     string `json:"name"`     // used in the output key: <name>.<ext>
	LongSide int    `json:"longSide"` // pixels on the longer side; never upscaled
	Format   string `json:"format"`   // auto, jpeg or png
	Quality  int    `json:"quality"`  // JPEG quality 1..100; ignored for PNG
}

// File is the presets file.
type File struct {
	Presets []Preset `json:"presets"`
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate reports every problem in f at once.
func (f *File) Validate() error {
	var errs []error
	if len(f.Presets) == 0 {
		errs = append(errs, errors.New("no presets"))
	}
	if len(f.Presets) > maxPresets {
		errs = append(errs, fmt.Errorf("%d presets, at most %d", len(f.Presets), maxPresets))
	}
	seen := map[string]bool{}
	for i, p := range f.Presets {
		at := fmt.Sprintf("presets[%d]", i)
		if !validName.MatchString(p.Name) {
			errs = append(errs, fmt.Errorf("%s: name %q must match %s", at, p.Name, validName))
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate name %q", at, p.Name))
		}
		seen[p.Name] = true
		if p.LongSide < 1 || p.LongSide > MaxLongSide {
			errs = append(errs, fmt.Errorf("%s: longSide %d out of range 1..%d", at, p.LongSide, MaxLongSide))
		}
		switch p.Format {
		case FormatAuto, FormatJPEG, FormatPNG:
		default:
			errs = append(errs, fmt.Errorf("%s: format %q: want auto, jpeg or png", at, p.Format))
		}
		if p.Quality < 1 || p.Quality > 100 {
			errs = append(errs, fmt.Errorf("%s: quality %d out of range 1..100", at, p.Quality))
		}
	}
	return errors.Join(errs...)
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
