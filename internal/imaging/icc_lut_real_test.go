package imaging

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// cieLab converts 8-bit sRGB to CIELAB (D65 white).
func cieLab(r, g, b uint8) [3]float64 {
	lr, lg, lb := srgbToLinear(float64(r)/255), srgbToLinear(float64(g)/255), srgbToLinear(float64(b)/255)
	x := (0.4124564*lr + 0.3575761*lg + 0.1804375*lb) / 0.95047
	y := 0.2126729*lr + 0.7151522*lg + 0.0721750*lb
	z := (0.0193339*lr + 0.1191920*lg + 0.9503041*lb) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// ciede2000 is the CIEDE2000 colour difference (kL = kC = kH = 1).
func ciede2000(p, q [3]float64) float64 {
	deg := math.Pi / 180
	c1, c2 := math.Hypot(p[1], p[2]), math.Hypot(q[1], q[2])
	cm := (c1 + c2) / 2
	g := 0.5 * (1 - math.Sqrt(math.Pow(cm, 7)/(math.Pow(cm, 7)+math.Pow(25, 7))))
	a1, a2 := (1+g)*p[1], (1+g)*q[1]
	c1p, c2p := math.Hypot(a1, p[2]), math.Hypot(a2, q[2])
	hue := func(b, a float64) float64 {
		if a == 0 && b == 0 {
			return 0
		}
		h := math.Atan2(b, a) / deg
		if h < 0 {
			h += 360
		}
		return h
	}
	h1, h2 := hue(p[2], a1), hue(q[2], a2)
	dL, dC := q[0]-p[0], c2p-c1p
	dh := 0.0
	if c1p*c2p != 0 {
		dh = h2 - h1
		if dh > 180 {
			dh -= 360
		} else if dh < -180 {
			dh += 360
		}
	}
	dH := 2 * math.Sqrt(c1p*c2p) * math.Sin(dh/2*deg)
	lm, cmp := (p[0]+q[0])/2, (c1p+c2p)/2
	hm := h1 + h2
	if c1p*c2p != 0 {
		if math.Abs(h1-h2) > 180 {
			if hm < 360 {
				hm += 360
			} else {
				hm -= 360
			}
		}
		hm /= 2
	}
	t := 1 - 0.17*math.Cos((hm-30)*deg) + 0.24*math.Cos(2*hm*deg) + 0.32*math.Cos((3*hm+6)*deg) - 0.20*math.Cos((4*hm-63)*deg)
	sl := 1 + 0.015*(lm-50)*(lm-50)/math.Sqrt(20+(lm-50)*(lm-50))
	sc, sh := 1+0.045*cmp, 1+0.015*cmp*t
	rt := -2 * math.Sqrt(math.Pow(cmp, 7)/(math.Pow(cmp, 7)+math.Pow(25, 7))) * math.Sin(60*math.Exp(-((hm-275)/25)*((hm-275)/25))*deg)
	return math.Sqrt((dL/sl)*(dL/sl) + (dC/sc)*(dC/sc) + (dH/sh)*(dH/sh) + rt*(dC/sc)*(dH/sh))
}

// meanDE00 is the mean CIEDE2000 between two images of the same size.
func meanDE00(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	ba, bb := a.Bounds(), b.Bounds()
	if ba.Size() != bb.Size() {
		t.Fatalf("sizes differ: %v vs %v", ba.Size(), bb.Size())
	}
	sum := 0.0
	for y := 0; y < ba.Dy(); y++ {
		for x := 0; x < ba.Dx(); x++ {
			r1, g1, b1, _ := a.At(ba.Min.X+x, ba.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			sum += ciede2000(cieLab(uint8(r1>>8), uint8(g1>>8), uint8(b1>>8)), cieLab(uint8(r2>>8), uint8(g2>>8), uint8(b2>>8)))
		}
	}
	return sum / float64(ba.Dx()*ba.Dy())
}

// boxDown averages f×f blocks of 8-bit sRGB (the colour each block shows).
func boxDown(img image.Image, f int) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx()/f, b.Dy()/f))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			var sum [3]uint32
			for dy := range f {
				for dx := range f {
					r, g, bb, _ := img.At(b.Min.X+x*f+dx, b.Min.Y+y*f+dy).RGBA()
					sum[0], sum[1], sum[2] = sum[0]+r>>8, sum[1]+g>>8, sum[2]+bb>>8
				}
			}
			n := uint32(f * f)
			o := out.PixOffset(x, y)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = uint8((sum[0]+n/2)/n), uint8((sum[1]+n/2)/n), uint8((sum[2]+n/2)/n), 255
		}
	}
	return out
}

// sharpRefFactor is the box size of testdata/cmyk_icc-swop_sharp.png: sharp
// 0.35 (libvips 8.18, lcms2 2.19, embedded profile, perceptual intent)
// converting cmyk_icc-swop.jpg to sRGB, averaged over 10×10 blocks.
// Regenerate with SHARP_FULL=/path/to/sharp-full-size.png go test -run TestRealCMYKProfile.
const sharpRefFactor = 10

// TestRealCMYKProfile converts a real CMYK photo with its embedded U.S. Web
// Coated (SWOP) v2 profile (lut16Type A2B0, Lab PCS) and compares the colours
// with sharp's (the goal: mean ΔE00 ≤ 5; the plain formula is at 8.4).
func TestRealCMYKProfile(t *testing.T) {
	src := realImage(t, "cmyk_icc-swop.jpg")
	refPath := filepath.Join("testdata", "cmyk_icc-swop_sharp.png")
	if full := os.Getenv("SHARP_FULL"); full != "" {
		f, err := os.Open(full)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, boxDown(img, sharpRefFactor)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(refPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ref, err := os.ReadFile(refPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := png.Decode(bytes.NewReader(ref))
	if err != nil {
		t.Fatal(err)
	}
	_, profile, err := probe(bytes.NewReader(src))
	if err != nil || parseCMYKProfile(profile) == nil {
		t.Fatalf("profile not usable: %v", err)
	}
	got, _, err := Decode(context.Background(), bytes.NewReader(src), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	de := meanDE00(t, boxDown(got, sharpRefFactor), want)
	t.Logf("mean ΔE00 vs sharp: %.3f", de)
	if de > 1 {
		t.Errorf("mean ΔE00 vs sharp %.2f, want ≤ 1 (goal 5)", de)
	}
}
