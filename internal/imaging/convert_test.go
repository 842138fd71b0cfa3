package imaging

import (
	"image"
	"image/color"
	"testing"
)

// TestRowsOfMatchesAt checks every fast row converter against the image's
// own At() method converted to NRGBA (tolerance 1 for rounding differences).
func TestRowsOfMatchesAt(t *testing.T) {
	r := image.Rect(0, 0, 19, 11)
	fill := func(pix []uint8) {
		for i := range pix {
			pix[i] = uint8(i*37 + i/7)
		}
	}
	ycc := func(ratio image.YCbCrSubsampleRatio) *image.YCbCr {
		m := image.NewYCbCr(r, ratio)
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		return m
	}
	nycca := image.NewNYCbCrA(r, image.YCbCrSubsampleRatio420)
	fill(nycca.Y)
	fill(nycca.Cb)
	fill(nycca.Cr)
	fill(nycca.A)
	gray, gray16, cmyk, nrgba, nrgba64 := image.NewGray(r), image.NewGray16(r), image.NewCMYK(r), image.NewNRGBA(r), image.NewNRGBA64(r)
	for _, p := range [][]uint8{gray.Pix, gray16.Pix, cmyk.Pix, nrgba.Pix, nrgba64.Pix} {
		fill(p)
	}
	rgba := image.NewRGBA(r)
	rgba64 := image.NewRGBA64(r)
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			c := nrgba.NRGBAAt(x, y)
			rgba.Set(x, y, c)
			rgba64.Set(x, y, c)
		}
	}
	pal := image.NewPaletted(r, color.Palette{red, color.NRGBA{0, 0, 255, 128}, color.Gray{77}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 4) // index 3 is outside the palette
	}
	offset := image.NewNRGBA(image.Rect(5, 5, 24, 16))
	fill(offset.Pix)

	tests := []struct {
		name string
		img  image.Image
	}{
		{"ycbcr 444", ycc(image.YCbCrSubsampleRatio444)},
		{"ycbcr 422", ycc(image.YCbCrSubsampleRatio422)},
		{"ycbcr 420", ycc(image.YCbCrSubsampleRatio420)},
		{"ycbcr 440", ycc(image.YCbCrSubsampleRatio440)},
		{"ycbcr 411", ycc(image.YCbCrSubsampleRatio411)},
		{"ycbcr 410", ycc(image.YCbCrSubsampleRatio410)},
		{"nycbcra", nycca},
		{"gray", gray},
		{"gray16", gray16},
		{"cmyk", cmyk},
		{"nrgba", nrgba},
		{"nrgba64", nrgba64},
		{"rgba", rgba},
		{"rgba64", rgba64},
		{"paletted", pal},
		{"generic with offset bounds", offset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.img.Bounds()
			rows := rowsOf(tt.img)
			line := make([]uint8, 4*b.Dx())
			for y := 0; y < b.Dy(); y++ {
				rows(y, line)
				for x := 0; x < b.Dx(); x++ {
					got := color.NRGBA{line[4*x], line[4*x+1], line[4*x+2], line[4*x+3]}
					var want color.NRGBA
					if p, ok := tt.img.(*image.Paletted); ok && int(p.Pix[y*p.Stride+x]) >= len(p.Palette) {
						want = color.NRGBA{} // out-of-palette index reads as transparent
					} else {
						want = at(tt.img, b.Min.X+x, b.Min.Y+y)
					}
					if !near(got, want, 1) {
						t.Fatalf("(%d,%d) = %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}
}
