package jpegenc

import (
	"bytes"
	"image"
	"testing"
)

// toYCbCr420 converts opaque m to the 4:2:0 planes convertRow computes:
// Y per pixel and Cb/Cr from the 2×2 sums (an odd last column or row
// counts twice), with the same Q16 coefficients and rounding.
func toYCbCr420(m *image.NRGBA) *image.YCbCr {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	px := func(x, y int) (int32, int32, int32) {
		p := m.Pix[m.PixOffset(min(x, w-1), min(y, h-1)):]
		return int32(p[0]), int32(p[1]), int32(p[2])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := px(x, y)
			out.Y[out.YOffset(x, y)] = uint8((yR*r + yG*g + yB*b + 1<<15) >> 16)
		}
	}
	for cy := 0; cy < (h+1)/2; cy++ {
		for cx := 0; cx < (w+1)/2; cx++ {
			var R, G, B int32
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				r, g, b := px(2*cx+d[0], 2*cy+d[1])
				R, G, B = R+r, G+g, B+b
			}
			o := out.COffset(2*cx, 2*cy)
			out.Cb[o] = uint8((cbR*R+cbG*G+cbB*B+1<<17)>>18 + 128)
			out.Cr[o] = uint8((crR*R+crG*G+crB*B+1<<17)>>18 + 128)
		}
	}
	return out
}

// TestEncodeYCbCrMatchesEncode checks that coding planes equals coding
// the pixels they were converted from, bit for bit (heights a multiple of
// 16: below the last row convertRow pads pixels, planarRow chroma rows).
func TestEncodeYCbCrMatchesEncode(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		o    Options
	}{
		{"small", 64, 48, Options{Quality: 80}},
		{"odd width", 101, 32, Options{Quality: 90}},
		{"banded", 700, 640, Options{Quality: 80}},
		{"optimized", 333, 160, Options{Quality: 75, OptimizeHuffman: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := photoLike(tt.w, tt.h, 5)
			want := encode(t, m, &tt.o)
			var got bytes.Buffer
			if err := EncodeYCbCr(&got, toYCbCr420(m), &tt.o); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("EncodeYCbCr differs from Encode (%d vs %d bytes)", got.Len(), len(want))
			}
		})
	}
}

// TestEncodeYCbCrEdges decodes planes of awkward sizes and sub-images.
func TestEncodeYCbCrEdges(t *testing.T) {
	tests := []struct {
		name string
		m    *image.YCbCr
	}{
		{"1x1", toYCbCr420(photoLike(1, 1, 1))},
		{"odd", toYCbCr420(photoLike(37, 19, 2))},
		{"sub-image", toYCbCr420(photoLike(100, 80, 3)).SubImage(image.Rect(14, 6, 61, 51)).(*image.YCbCr)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := EncodeYCbCr(&buf, tt.m, nil); err != nil {
				t.Fatal(err)
			}
			b := tt.m.Bounds()
			std, _ := decodeBoth(t, buf.Bytes(), b.Dx(), b.Dy())
			d := std.(*image.YCbCr)
			var worst int
			for y := 0; y < b.Dy(); y++ {
				for x := 0; x < b.Dx(); x++ {
					v := int(d.Y[d.YOffset(x, y)]) - int(tt.m.Y[tt.m.YOffset(b.Min.X+x, b.Min.Y+y)])
					worst = max(worst, v, -v)
				}
			}
			if worst > 24 {
				t.Errorf("luma differs by up to %d", worst)
			}
		})
	}
	if err := EncodeYCbCr(&bytes.Buffer{}, image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio444), nil); err == nil {
		t.Error("4:4:4 planes accepted")
	}
}
