package heif

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// parseBytes parses an in-memory file with default limits.
func parseBytes(b []byte) (*File, error) {
	return Parse(bytes.NewReader(b), int64(len(b)), nil)
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		name string
		file string
		want Info
	}{
		{
			name: "single coded image",
			file: "single/image.heic",
			want: Info{MajorBrand: "heic", Width: 64, Height: 64, Orientation: 1, Tiles: 1, BitDepth: 8, ChromaFormat: 1},
		},
		{
			name: "1x1 grid cropped to its output size",
			file: "grid-crop/image.heic",
			want: Info{MajorBrand: "heic", Width: 64, Height: 48, Orientation: 1, Grid: true, Tiles: 1, BitDepth: 8, ChromaFormat: 1},
		},
		{
			name: "alpha auxiliary image",
			file: "alpha/image.heic",
			want: Info{MajorBrand: "heic", Width: 64, Height: 48, Orientation: 1, Grid: true, Tiles: 1, BitDepth: 8, ChromaFormat: 1, HasAlpha: true},
		},
		{
			name: "EXIF orientation 6 without irot is not applied",
			file: "exif-orientation/image.heic",
			want: Info{MajorBrand: "heic", Width: 64, Height: 64, Orientation: 1, Tiles: 1, BitDepth: 8, ChromaFormat: 1, HasEXIF: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := readFixture(t, tt.file)
			f, err := parseBytes(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			img, err := f.PrimaryImage()
			if err != nil {
				t.Fatalf("PrimaryImage: %v", err)
			}
			got := f.Info(img)
			got.Color = Color{}
			if got.HasEXIF {
				exif, err := f.Exif(img)
				if err != nil || len(exif) < 8 || string(exif[:2]) != "MM" {
					t.Fatalf("Exif = %q, %v; want a big-endian TIFF structure", exif, err)
				}
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Info = %+v\nwant   %+v", *got, tt.want)
			}
			// Every tile's data splits into NAL units by hvcC's length size.
			for _, tile := range img.tiles() {
				h, err := ParseHVCC(tile.c.Config)
				if err != nil {
					t.Fatalf("ParseHVCC: %v", err)
				}
				if len(h.ParamSets) < 3 {
					t.Errorf("hvcC has %d parameter sets, want VPS, SPS, PPS", len(h.ParamSets))
				}
				data, err := f.ItemData(tile.c.ID)
				if err != nil {
					t.Fatalf("ItemData(%d): %v", tile.c.ID, err)
				}
				nals, err := SplitNALUnits(data, h.LengthSize)
				if err != nil || len(nals) == 0 {
					t.Fatalf("SplitNALUnits: %d units, %v", len(nals), err)
				}
			}
			// Probe from a sequential reader agrees with Parse.
			pi, err := Probe(onlyReader{bytes.NewReader(b)}, nil)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if (pi.Exif != nil) != tt.want.HasEXIF {
				t.Errorf("Probe read Exif %v, want %v", pi.Exif != nil, tt.want.HasEXIF)
			}
			pi.Exif, pi.Color = nil, Color{}
			if !reflect.DeepEqual(*pi, tt.want) {
				t.Errorf("Probe = %+v\nwant    %+v", *pi, tt.want)
			}
		})
	}
}

// onlyReader hides every method but Read (no Seek, no ReadAt).
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestAVIFIsRefused(t *testing.T) {
	_, err := parseBytes(readFixture(t, "avif/image.avif"))
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Format != "avif" {
		t.Fatalf("Parse(AVIF) = %v, want *UnsupportedError for avif", err)
	}
}

// rect is a shorthand for test tables.
func rect(x0, y0, x1, y1 int) image.Rectangle { return image.Rect(x0, y0, x1, y1) }
