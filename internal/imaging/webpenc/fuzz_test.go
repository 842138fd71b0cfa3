package webpenc

import (
	"bytes"
	"context"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/webp"
)

// fuzzImage builds a w×h image from seed: smooth (kind 0), noise (1) or a
// mix (2), with random alpha when withAlpha.
func fuzzImage(w, h int, seed uint64, kind uint8, withAlpha bool) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 11))
	fx, fy := r.Float64()*0.2, r.Float64()*0.2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := m.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				v := 128 + 100*math.Sin(float64(x)*fx+float64(y)*fy+float64(c))
				switch kind % 3 {
				case 1:
					v = float64(r.IntN(256))
				case 2:
					v += float64(r.IntN(41)) - 20
				}
				m.Pix[o+c] = clampByte(v)
			}
			m.Pix[o+3] = 255
			if withAlpha {
				m.Pix[o+3] = uint8(r.IntN(256))
				if kind&4 != 0 {
					m.Pix[o+3] = uint8(x * 255 / max(1, w-1))
				}
			}
		}
	}
	return m
}

// psnrFloor is the smallest luma PSNR accepted for content kind at the
// given quality: noise is incompressible, so its floor is low.
func psnrFloor(kind uint8, quality int) float64 {
	switch kind % 3 {
	case 1:
		return 10
	case 2:
		// ±20 uniform noise (σ ≈ 11.8) on a smooth signal: an encoder that
		// smooths all of the noise away scores 20·log10(255/11.8) ≈ 26.7 dB,
		// and a 2×2 picture at q66 scored 26.9 dB (the seed is kept), so the
		// floor sits below that.
		if quality >= 50 {
			return 24
		}
		return 20
	}
	if quality >= 50 {
		return 28
	}
	return 20
}

// FuzzRoundTrip encodes random images (1×1 up to 4000 wide, ≤ 12000
// pixels, with or without alpha) and checks that x/image/webp decodes them
// to the right size, with the exact alpha and luma PSNR (against the
// encoder's own limited-range source plane) above a floor.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint64(1), uint8(0), false, uint8(75))
	f.Add(uint16(3999), uint16(2), uint64(2), uint8(2), true, uint8(50))
	f.Add(uint16(17), uint16(33), uint64(3), uint8(1), false, uint8(100))
	f.Add(uint16(64), uint16(64), uint64(4), uint8(6), true, uint8(0))
	f.Fuzz(func(t *testing.T, w16, h16 uint16, seed uint64, kind uint8, withAlpha bool, q uint8) {
		w := 1 + int(w16)%4000
		h := 1 + int(h16)%4000
		if w*h > 12000 {
			h = max(1, 12000/w)
		}
		quality := int(q) % 101
		m := fuzzImage(w, h, seed, kind, withAlpha)
		var e *encoder
		var buf bytes.Buffer
		o := &Options{Quality: max(quality, 1), keep: &e}
		if err := Encode(context.Background(), &buf, m, o); err != nil {
			t.Fatalf("Encode %dx%d: %v", w, h, err)
		}
		img, err := webp.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("decode %dx%d: %v", w, h, err)
		}
		if img.Bounds() != m.Bounds() {
			t.Fatalf("decoded bounds %v, want %v", img.Bounds(), m.Bounds())
		}
		var yc *image.YCbCr
		switch d := img.(type) {
		case *image.YCbCr:
			yc = d
		case *image.NYCbCrA:
			yc = &d.YCbCr
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if g, want := d.A[y*d.AStride+x], m.Pix[m.PixOffset(x, y)+3]; g != want {
						t.Fatalf("alpha(%d,%d) = %d, want %d", x, y, g, want)
					}
				}
			}
		}
		var se float64
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				d := float64(yc.Y[y*yc.YStride+x]) - float64(e.srcY[y*e.yStride+x])
				se += d * d
			}
		}
		psnr := 99.0
		if se > 0 {
			psnr = 10 * math.Log10(255*255*float64(w*h)/se)
		}
		if fl := psnrFloor(kind, max(quality, 1)); psnr < fl {
			t.Fatalf("%dx%d kind %d q%d: luma PSNR %.1f dB < %.0f", w, h, kind, quality, psnr, fl)
		}
	})
}
