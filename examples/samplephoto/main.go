// Command samplephoto draws examples/photo.jpg, the sample the README's
// "Try it" uploads: a lake at sunset, made only from code (noise, ridges,
// a reflection, film grain), so the repository can ship a photo-like
// picture that is its own. The same flags give the same pixels.
//
//	go run ./examples/samplephoto -o examples/photo.jpg
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
)

func main() {
	out := flag.String("o", "examples/photo.jpg", "output JPEG")
	w := flag.Int("w", 1600, "width in pixels")
	h := flag.Int("h", 1067, "height in pixels")
	q := flag.Int("q", 82, "JPEG quality")
	seed := flag.Uint64("seed", 16, "noise seed")
	flag.Parse()
	if err := run(*out, *w, *h, *q, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "samplephoto:", err)
		os.Exit(1)
	}
}

func run(path string, w, h, q int, seed uint64) error {
	img := draw(w, h, seed)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = jpeg.Encode(bw, img, &jpeg.Options{Quality: q})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rgb is a linear-ish working colour, 0..1 per channel.
type rgb struct{ r, g, b float64 }

func (a rgb) mix(b rgb, t float64) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}
func (a rgb) scale(k float64) rgb { return rgb{a.r * k, a.g * k, a.b * k} }
func (a rgb) add(b rgb) rgb       { return rgb{a.r + b.r, a.g + b.g, a.b + b.b} }

// noise is seeded value noise with fractal sums of it.
type noise struct{ seed uint64 }

// hash maps a lattice point to 0..1 (a SplitMix64 round).
func (n noise) hash(x, y int64) float64 {
	z := n.seed ^ uint64(x)*0x9E3779B97F4A7C15 ^ uint64(y)*0xC2B2AE3D27D4EB4F
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

func (n noise) value(x, y float64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	tx, ty := smooth(x-x0), smooth(y-y0)
	ix, iy := int64(x0), int64(y0)
	a := n.hash(ix, iy) + (n.hash(ix+1, iy)-n.hash(ix, iy))*tx
	b := n.hash(ix, iy+1) + (n.hash(ix+1, iy+1)-n.hash(ix, iy+1))*tx
	return a + (b-a)*ty
}

// fbm sums octaves of value noise; the result is about 0..1.
func (n noise) fbm(x, y float64, octaves int) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for i := 0; i < octaves; i++ {
		sum += amp * n.value(x, y)
		norm += amp
		x, y, amp = x*2.03+17.1, y*2.03+5.3, amp*0.5
	}
	return sum / norm
}

// ridge is the height (as a fraction of the image height, from the top)
// of a mountain range at x.
func ridge(n noise, x, base, amp, freq float64) float64 {
	v := n.fbm(x*freq, 0.5, 6)
	sharp := 1 - math.Abs(2*n.fbm(x*freq*2.1+40, 3.5, 4)-1) // ridged peaks
	return base - amp*(0.65*v+0.35*sharp)
}

func draw(w, h int, seed uint64) *image.RGBA {
	n := noise{seed}
	grain := noise{seed * 7919}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fw, fh := float64(w), float64(h)
	horizon := 0.62 // the lake's far shore, as a fraction of the height
	sunX, sunY, sunR := 0.68, 0.415, 0.03

	skyTop := rgb{0.10, 0.16, 0.38}
	skyMid := rgb{0.55, 0.42, 0.55}
	skyLow := rgb{1.00, 0.62, 0.30}
	sunCol := rgb{1.00, 0.90, 0.65}

	// sky is the colour of the sky (and what the lake reflects) at (u, v).
	sky := func(u, v float64) rgb {
		t := v / horizon
		var c rgb
		if t < 0.6 {
			c = skyTop.mix(skyMid, smooth(t/0.6))
		} else {
			c = skyMid.mix(skyLow, smooth(math.Min(1, (t-0.6)/0.4)))
		}
		// Clouds: stretched fBm, lit from below near the sun.
		cl := n.fbm(u*3.2, v*11, 6)
		cl = math.Max(0, cl-0.52) * 2.6
		lit := math.Exp(-math.Abs(u-sunX)*2.5) * (0.4 + 0.6*t)
		cloud := rgb{0.35, 0.25, 0.35}.mix(rgb{1.0, 0.70, 0.45}, lit)
		c = c.mix(cloud, math.Min(1, cl))
		// The sun and its glow.
		d := math.Hypot((u-sunX)*fw/fh, v-sunY)
		if d < sunR {
			c = c.mix(sunCol, 0.95)
		}
		glow := math.Exp(-d*9) * 0.55
		return c.add(rgb{1, 0.75, 0.45}.scale(glow))
	}

	// Three ranges, the farthest palest (atmospheric perspective).
	type rangeSpec struct {
		base, amp, freq float64
		col             rgb
		haze            float64
	}
	ranges := []rangeSpec{
		{horizon - 0.06, 0.16, 2.2, rgb{0.42, 0.36, 0.52}, 0.55},
		{horizon - 0.01, 0.13, 3.4, rgb{0.25, 0.22, 0.35}, 0.30},
		{horizon + 0.005, 0.07, 6.5, rgb{0.10, 0.13, 0.16}, 0.05},
	}
	// land is the colour above the water at (u, v), and whether it is a mountain.
	land := func(u, v float64) (rgb, bool) {
		var c rgb
		hit := false
		for i, r := range ranges {
			top := ridge(noise{seed + uint64(i)*101}, u, r.base, r.amp, r.freq)
			if v >= top && v <= horizon {
				depth := (v - top) / (horizon - top + 1e-9)
				tex := n.fbm(u*60+float64(i)*13, v*40, 4)
				mc := r.col.scale(0.85 + 0.3*tex - 0.15*depth)
				c, hit = mc.mix(sky(u, horizon*0.97), r.haze), true
			}
		}
		return c, hit
	}

	// Pines on the near shore, lower left.
	type pine struct{ x, base, height, width float64 }
	var pines []pine
	for i := 0; i < 14; i++ {
		x := 0.02 + 0.3*n.hash(int64(i), 99) + 0.02*float64(i%3)
		pines = append(pines, pine{x, 0.93 + 0.05*n.hash(int64(i), 7), 0.18 + 0.16*n.hash(int64(i), 13), 0.035 + 0.02*n.hash(int64(i), 21)})
	}
	inPine := func(u, v float64) bool {
		for _, p := range pines {
			if v > p.base || v < p.base-p.height {
				continue
			}
			t := (p.base - v) / p.height // 0 at the foot, 1 at the tip
			// Tiers of branches: the half-width saw-tooths as it narrows.
			tier := math.Mod(t*6, 1)
			half := p.width * (1 - t) * (0.55 + 0.45*tier) * (0.85 + 0.3*n.value(u*300, v*300))
			if t < 0.06 {
				half = p.width * 0.08 // trunk
			}
			if math.Abs(u-p.x)*fw/fh < half {
				return true
			}
		}
		return false
	}

	shore := func(u float64) float64 { return 0.86 + 0.06*n.fbm(u*4+9, 1.5, 5) - 0.08*u }

	for y := 0; y < h; y++ {
		v := (float64(y) + 0.5) / fh
		for x := 0; x < w; x++ {
			u := (float64(x) + 0.5) / fw
			var c rgb
			switch {
			case v >= shore(u) || inPine(u, v):
				// Near shore: dark grass and rock, barely lit.
				tex := n.fbm(u*180, v*90, 5)
				c = rgb{0.07, 0.09, 0.05}.scale(0.6 + 0.9*tex)
				c = c.add(rgb{0.25, 0.12, 0.04}.scale(math.Max(0, n.fbm(u*8, v*8, 3)-0.55)))
			case v <= horizon:
				if lc, ok := land(u, v); ok {
					c = lc
				} else {
					c = sky(u, v)
				}
			default:
				// The lake: the scene mirrored about the horizon, with
				// ripples that grow towards the viewer.
				dist := (v - horizon) / (1 - horizon)
				ripple := (n.fbm(u*8, v*120, 4) - 0.5) * (0.004 + 0.05*dist)
				mv := 2*horizon - v + ripple*2
				mu := u + ripple*0.6
				if lc, ok := land(mu, mv); ok {
					c = lc
				} else {
					c = sky(mu, mv)
				}
				c = c.scale(0.72 - 0.2*dist).add(rgb{0.02, 0.04, 0.06})
				// Glitter on the sun's path.
				if g := n.value(u*400, v*900); g > 0.8 {
					c = c.add(rgb{1, 0.8, 0.5}.scale((g - 0.8) * 3 * math.Exp(-math.Abs(u-sunX)*12)))
				}
			}
			// Vignette and film grain.
			dx, dy := u-0.5, v-0.5
			c = c.scale(1 - 0.45*(dx*dx+dy*dy))
			gr := (grain.hash(int64(x), int64(y)) - 0.5) * 0.035
			c = c.add(rgb{gr, gr, gr})
			img.SetRGBA(x, y, color.RGBA{to8(c.r), to8(c.g), to8(c.b), 255})
		}
	}
	return img
}

// to8 applies a gentle tone curve and quantises to 8 bits.
func to8(v float64) uint8 {
	v = math.Max(0, math.Min(1, v))
	v = math.Pow(v, 0.92)
	return uint8(v*255 + 0.5)
}
