package webpenc

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/webp"
)

// testImage generates a deterministic photo-like NRGBA image of the given
// kind: smooth gradients, hard edges, fine texture and noise.
func testImage(w, h int, kind string, seed uint64) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 7))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.NRGBA
			switch kind {
			case "flat":
				c = color.NRGBA{90, 140, 200, 255}
			case "noise":
				c = color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
			case "alpha":
				v := uint8(x * 255 / max(1, w-1))
				c = color.NRGBA{200, uint8(y * 3), v, uint8((x + y) * 4)}
			default: // "photo"
				fx, fy := float64(x)/float64(max(w, 1)), float64(y)/float64(max(h, 1))
				base := 128 + 80*math.Sin(fx*6.3+fy*2.1) + 30*math.Cos(fx*31*fy)
				if (x/23+y/17)%5 == 0 {
					base = 240 - base/3
				}
				n := float64(r.IntN(17)) - 8
				c = color.NRGBA{
					clampByte(base + n),
					clampByte(base*0.8 + 40*fy + n),
					clampByte(255 - base + 20*math.Sin(float64(x)/3) + n),
					255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func clampByte(v float64) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(v))))
}

// encodeTest encodes with options and returns the bytes and encoder state.
func encodeTest(t testing.TB, m *image.NRGBA, o Options) ([]byte, *encoder) {
	t.Helper()
	var e *encoder
	o.keep = &e
	var buf bytes.Buffer
	if err := Encode(context.Background(), &buf, m, &o); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes(), e
}

// decodeX decodes with golang.org/x/image/webp into its Y, Cb, Cr planes.
func decodeX(t testing.TB, data []byte) *image.YCbCr {
	t.Helper()
	img, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("x/image/webp: %v", err)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return m
	case *image.NYCbCrA:
		return &m.YCbCr
	}
	t.Fatalf("x/image/webp returned %T", img)
	return nil
}
