package webpenc

import (
	"bytes"
	"context"
	"image"
	"math"
	"testing"
)

// TestEncodeYCbCrGrey checks that EncodeYCbCr is Encode with another
// import: on grey pictures both compute the same planes (libwebp's grey
// Y′ equals jfifToY of the JFIF Y′, chroma is 128), so the bytes must be
// the same. It fails if encodePlanes and encodeNRGBA drift apart.
func TestEncodeYCbCrGrey(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		o    Options
	}{
		{"small", 40, 24, Options{Quality: 80}},
		{"odd", 97, 61, Options{Quality: 60, Method: 2}},
		{"partitions", 520, 520, Options{Quality: 88}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := testImage(tt.w, tt.h, "photo", 3)
			grey := image.NewNRGBA(src.Rect)
			planes := image.NewYCbCr(src.Rect, image.YCbCrSubsampleRatio420)
			for i := range planes.Cb {
				planes.Cb[i], planes.Cr[i] = 128, 128
			}
			for y := 0; y < tt.h; y++ {
				for x := 0; x < tt.w; x++ {
					v := src.Pix[src.PixOffset(x, y)+1]
					p := grey.Pix[grey.PixOffset(x, y):]
					p[0], p[1], p[2], p[3] = v, v, v, 255
					planes.Y[planes.YOffset(x, y)] = v
				}
			}
			want, _ := encodeTest(t, grey, tt.o)
			var got bytes.Buffer
			if err := EncodeYCbCr(context.Background(), &got, planes, &tt.o); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("EncodeYCbCr differs from Encode on grey (%d vs %d bytes): encodePlanes (planar.go) no longer mirrors encodeNRGBA", got.Len(), len(want))
			}
		})
	}
}

// TestEncodeYCbCrColour decodes the WebP of colour planes and checks that
// its planes, taken back to full range, are near the source's.
func TestEncodeYCbCrColour(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 131, 77), image.YCbCrSubsampleRatio420)
	for y := 0; y < 77; y++ {
		for x := 0; x < 131; x++ {
			m.Y[m.YOffset(x, y)] = uint8(40 + x + y)
			o := m.COffset(x, y)
			m.Cb[o], m.Cr[o] = uint8(60+x), uint8(200-y)
		}
	}
	var buf bytes.Buffer
	if err := EncodeYCbCr(context.Background(), &buf, m, &Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	d := decodeX(t, buf.Bytes())
	if d.Rect != m.Rect {
		t.Fatalf("decoded %v", d.Rect)
	}
	mean := func(got, want []uint8, gs, ws, w, h int, back func(uint8) float64) float64 {
		var s float64
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s += math.Abs(back(got[y*gs+x]) - float64(want[y*ws+x]))
			}
		}
		return s / float64(w*h)
	}
	yb := func(v uint8) float64 { return (float64(v) - 16) * 255 / 219 }
	cb := func(v uint8) float64 { return (float64(v)-128)*255/224 + 128 }
	for _, c := range []struct {
		name string
		e    float64
	}{
		{"Y", mean(d.Y, m.Y, d.YStride, m.YStride, 131, 77, yb)},
		{"Cb", mean(d.Cb, m.Cb, d.CStride, m.CStride, 66, 39, cb)},
		{"Cr", mean(d.Cr, m.Cr, d.CStride, m.CStride, 66, 39, cb)},
	} {
		if c.e > 1.5 {
			t.Errorf("%s: mean error %.2f levels", c.name, c.e)
		}
	}
	if err := EncodeYCbCr(context.Background(), &buf, image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio444), nil); err == nil {
		t.Error("4:4:4 planes accepted")
	}
}
