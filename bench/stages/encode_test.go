package stages

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgflow/imgflow/internal/imaging"
)

// photo is the shared 24 MP photo (see ../shared/images/MANIFEST.txt);
// IMGFLOW_IMAGES overrides the folder. Never copied into the repository.
func photo() string {
	dir := os.Getenv("IMGFLOW_IMAGES")
	if dir == "" {
		dir = "../../../shared/images"
	}
	return filepath.Join(dir, "p24_craftbeer_base-q92.jpg")
}

// variantPixels returns the photo resized by our engine to longSide, as
// the encoder receives it (opaque RGBA), or a synthetic 3:2 image with
// gradients and noise when the photo is absent.
func variantPixels(b *testing.B, longSide int) *image.RGBA {
	b.Helper()
	if src, err := os.ReadFile(photo()); err == nil {
		var buf bytes.Buffer
		spec := imaging.Spec{LongSide: longSide, Format: imaging.PNG, Background: color.NRGBA{255, 255, 255, 255}}
		if _, err := imaging.Process(context.Background(), bytes.NewReader(src), &buf, spec, imaging.Limits{}); err != nil {
			b.Fatal(err)
		}
		m, err := png.Decode(&buf)
		if err != nil {
			b.Fatal(err)
		}
		out := image.NewRGBA(m.Bounds())
		for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
			for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
				out.Set(x, y, m.At(x, y))
			}
		}
		return out
	}
	w, h := longSide, longSide*2/3
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	s := uint32(1)
	for y := range h {
		for x := range w {
			s = s*1664525 + 1013904223
			i := m.PixOffset(x, y)
			m.Pix[i] = uint8(x*255/w) + uint8(s>>29)
			m.Pix[i+1] = uint8(y*255/h) + uint8(s>>28)
			m.Pix[i+2] = uint8((x+y)*127/(w+h)) + uint8(s>>30)
			m.Pix[i+3] = 255
		}
	}
	return m
}

// BenchmarkEncodeJPEG times the encode stage at each preset size and
// quality 80. It makes the call internal/imaging/encode.go makes
// (image/jpeg.Encode of opaque *image.RGBA); change it with that file.
func BenchmarkEncodeJPEG(b *testing.B) {
	for _, long := range []int{2048, 1024, 512, 256} {
		b.Run(fmt.Sprintf("long%d_q80", long), func(b *testing.B) {
			m := variantPixels(b, long)
			var buf bytes.Buffer
			b.SetBytes(int64(len(m.Pix)))
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 80}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "out-bytes")
		})
	}
}
