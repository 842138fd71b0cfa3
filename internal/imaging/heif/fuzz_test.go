package heif

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzOptions keep every run small: a hostile header is rejected by the
// limits, never allocated.
var fuzzOptions = &Options{MaxPixels: 1 << 20, MaxMetaSize: 1 << 20, MaxItems: 512, MaxTiles: 64, MaxRefs: 4096}

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/image.*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(gridSpec().Bytes())
	f.Add(withAlphaItem(editItem(gridSpec(), 1, withClap(61, 51, -21, -17))).Bytes())
	m := gridSpec()
	m.MdatFirst, m.InfeVersion, m.IlocVersion, m.OffsetSize = true, 3, 2, 8
	f.Add(m.Bytes())
}

// FuzzParse checks that Parse, PrimaryImage, Exif, ItemData and Probe
// never panic, fail only with typed errors, and that Probe agrees with
// Parse when both succeed.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := fullInfo(b)
		if k := errKind(err); k == "other" {
			t.Fatalf("untyped error: %v", err)
		}
		pi, perr := Probe(onlyReader{bytes.NewReader(b)}, fuzzOptions)
		if k := errKind(perr); k == "other" {
			t.Fatalf("Probe: untyped error: %v", perr)
		}
		if err == nil && perr == nil {
			info.Exif, pi.Exif = nil, nil
			if !reflect.DeepEqual(info, pi) {
				t.Fatalf("Probe = %+v, Parse = %+v", pi, info)
			}
		}
	})
}

func fullInfo(b []byte) (*Info, error) {
	f, err := Parse(bytes.NewReader(b), int64(len(b)), fuzzOptions)
	if err != nil {
		return nil, err
	}
	img, err := f.PrimaryImage()
	if err != nil {
		return nil, err
	}
	if _, err := f.Exif(img); err != nil {
		return nil, err
	}
	for _, t := range img.tiles() {
		if _, err := f.ItemData(t.c.ID); err != nil {
			return nil, err
		}
	}
	return f.Info(img), nil
}

// FuzzDecode runs grid assembly with a codec that returns a picture of the
// declared size: it must never panic, and a result has the layout's size.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	codec := &FakeCodec{DecodeItemFunc: func(_ context.Context, c *Coded, data []byte) (image.Image, error) {
		r := image.Rect(0, 0, c.Width, c.Height)
		switch len(data) % 3 {
		case 0:
			return image.NewYCbCr(r, image.YCbCrSubsampleRatio420), nil
		case 1:
			return image.NewGray(r), nil
		}
		return image.NewRGBA(r), nil
	}}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(bytes.NewReader(b), int64(len(b)), fuzzOptions)
		if err != nil {
			return
		}
		img, err := file.PrimaryImage()
		if err != nil {
			return
		}
		m, err := file.Decode(context.Background(), img, codec)
		if k := errKind(err); k == "other" {
			t.Fatalf("untyped error: %v", err)
		}
		if err == nil && m.Bounds().Size() != img.Layout.Crop.Size() {
			t.Fatalf("decoded %v, layout crop %v", m.Bounds(), img.Layout.Crop)
		}
	})
}
