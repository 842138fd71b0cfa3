package main

import (
	"image"
	"image/color"
	"math"
)

// Colour difference between our output and sharp's: both decoded with
// image/jpeg, 8-bit sRGB → CIELAB (sRGB EOTF, D65 white, IEC 61966-2-1
// matrix), then the mean over all pixels of CIEDE2000 (Sharma, Wu and
// Dalal 2005, kL = kC = kH = 1). CIE76 (Euclidean Lab distance) is reported
// beside it.

type lab struct{ L, A, B float64 }

func srgbToLinear(v uint8) float64 {
	c := float64(v) / 255
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

var linTable = func() (t [256]float64) {
	for i := range t {
		t[i] = srgbToLinear(uint8(i))
	}
	return t
}()

func toLab(r, g, b uint8) lab {
	R, G, B := linTable[r], linTable[g], linTable[b]
	x := (0.4124564*R + 0.3575761*G + 0.1804375*B) / 0.95047
	y := 0.2126729*R + 0.7151522*G + 0.0721750*B
	z := (0.0193339*R + 0.1191920*G + 0.9503041*B) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return lab{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func deltaE76(p, q lab) float64 {
	return math.Sqrt((p.L-q.L)*(p.L-q.L) + (p.A-q.A)*(p.A-q.A) + (p.B-q.B)*(p.B-q.B))
}

// deltaE2000 is CIEDE2000 with kL = kC = kH = 1.
func deltaE2000(p, q lab) float64 {
	const deg = math.Pi / 180
	c1 := math.Hypot(p.A, p.B)
	c2 := math.Hypot(q.A, q.B)
	cm := (c1 + c2) / 2
	cm7 := math.Pow(cm, 7)
	gf := 0.5 * (1 - math.Sqrt(cm7/(cm7+math.Pow(25, 7))))
	a1, a2 := (1+gf)*p.A, (1+gf)*q.A
	c1p, c2p := math.Hypot(a1, p.B), math.Hypot(a2, q.B)
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
	h1, h2 := hue(p.B, a1), hue(q.B, a2)
	dL := q.L - p.L
	dC := c2p - c1p
	var dh float64
	switch {
	case c1p*c2p == 0:
		dh = 0
	case math.Abs(h2-h1) <= 180:
		dh = h2 - h1
	case h2-h1 > 180:
		dh = h2 - h1 - 360
	default:
		dh = h2 - h1 + 360
	}
	dH := 2 * math.Sqrt(c1p*c2p) * math.Sin(dh/2*deg)
	lm := (p.L + q.L) / 2
	cmp := (c1p + c2p) / 2
	var hm float64
	switch {
	case c1p*c2p == 0:
		hm = h1 + h2
	case math.Abs(h1-h2) <= 180:
		hm = (h1 + h2) / 2
	case h1+h2 < 360:
		hm = (h1 + h2 + 360) / 2
	default:
		hm = (h1 + h2 - 360) / 2
	}
	t := 1 - 0.17*math.Cos((hm-30)*deg) + 0.24*math.Cos(2*hm*deg) + 0.32*math.Cos((3*hm+6)*deg) - 0.20*math.Cos((4*hm-63)*deg)
	dTheta := 30 * math.Exp(-((hm-275)/25)*((hm-275)/25))
	cmp7 := math.Pow(cmp, 7)
	rc := 2 * math.Sqrt(cmp7/(cmp7+math.Pow(25, 7)))
	sl := 1 + 0.015*(lm-50)*(lm-50)/math.Sqrt(20+(lm-50)*(lm-50))
	sc := 1 + 0.045*cmp
	sh := 1 + 0.015*cmp*t
	rt := -math.Sin(2*dTheta*deg) * rc
	return math.Sqrt((dL/sl)*(dL/sl) + (dC/sc)*(dC/sc) + (dH/sh)*(dH/sh) + rt*(dC/sc)*(dH/sh))
}

// meanDeltaE returns the mean CIEDE2000 and CIE76 between two images of the
// same size; NaN when the sizes differ.
func meanDeltaE(a, b image.Image) (de00, de76 float64) {
	ba, bb := a.Bounds(), b.Bounds()
	if ba.Dx() != bb.Dx() || ba.Dy() != bb.Dy() {
		return math.NaN(), math.NaN()
	}
	n := 0
	for y := range ba.Dy() {
		for x := range ba.Dx() {
			p := rgb8(a.At(ba.Min.X+x, ba.Min.Y+y))
			q := rgb8(b.At(bb.Min.X+x, bb.Min.Y+y))
			de00 += deltaE2000(p, q)
			de76 += deltaE76(p, q)
			n++
		}
	}
	return de00 / float64(n), de76 / float64(n)
}

func rgb8(c color.Color) lab {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return toLab(n.R, n.G, n.B)
}
