// Package reference is the quality reference both benchmarks (make bench's
// resize and WebP tables) measure against, so they compare with the same
// pixels; it shares no code with the engine it judges.
package reference

import (
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // registered for image.Decode
	_ "image/jpeg" // registered for image.Decode
	"math"
	"os"
	"runtime"
	"sync"
)

// The reference is the whole image decoded at full size with the
// standard library (image/jpeg, image/png; not our decoder, so the reference
// does not share its mistakes), alpha flattened on white (what both tools
// do for JPEG output), EXIF-oriented, then resized with Lanczos3 computed in
// float64 and rounded once to 8 bits. Like both tools it resamples the
// gamma-encoded sRGB values. LoadOriented does not apply embedded ICC
// profiles (a CMYK image gets the plain conversion); Load takes an
// ICC-tagged source's pixels from lcms2 instead (managed.go).

// Image is a float image: 3 samples per pixel, 0..255, row-major.
// Source samples are 8-bit integers, exact in float32.
type Image struct {
	W, H int
	Pix  []float32
}

// LoadOriented decodes path with the standard library, flattens alpha on
// white and applies EXIF orientation o (1..8).
func LoadOriented(path string, o int) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("reference decode %s: %w", path, err)
	}
	return orientRGB(toRGB(m), o), nil
}

// toRGB converts any decoded image to flattened float RGB. YCbCr and CMYK
// take fast paths with the standard conversions (chroma taken from the
// sample covering the pixel, as image.YCbCr.At does).
func toRGB(m image.Image) *Image {
	b := m.Bounds()
	out := &Image{W: b.Dx(), H: b.Dy(), Pix: make([]float32, 3*b.Dx()*b.Dy())}
	parallelRows(out.H, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := out.Pix[3*y*out.W : 3*(y+1)*out.W]
			sy := b.Min.Y + y
			for x := 0; x < out.W; x++ {
				sx := b.Min.X + x
				var r, g, bl float32
				switch m := m.(type) {
				case *image.YCbCr:
					yy := m.Y[m.YOffset(sx, sy)]
					ci := m.COffset(sx, sy)
					r8, g8, b8 := color.YCbCrToRGB(yy, m.Cb[ci], m.Cr[ci])
					r, g, bl = float32(r8), float32(g8), float32(b8)
				case *image.CMYK:
					i := m.PixOffset(sx, sy)
					r8, g8, b8 := color.CMYKToRGB(m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3])
					r, g, bl = float32(r8), float32(g8), float32(b8)
				case *image.Gray:
					v := float32(m.Pix[m.PixOffset(sx, sy)])
					r, g, bl = v, v, v
				default:
					c := color.NRGBA64Model.Convert(m.At(sx, sy)).(color.NRGBA64)
					a := float64(c.A) / 0xffff
					flat := func(v uint16) float32 { return float32((float64(v)/0xffff*a + (1 - a)) * 255) }
					r, g, bl = flat(c.R), flat(c.G), flat(c.B)
				}
				row[3*x], row[3*x+1], row[3*x+2] = r, g, bl
			}
		}
	})
	return out
}

// orientRGB returns m as displayed for EXIF orientation o. For a stored
// pixel (sx, sy) of a W×H image the displayed position is: 2 (W-1-sx, sy);
// 3 (W-1-sx, H-1-sy); 4 (sx, H-1-sy); 5 (sy, sx); 6 (H-1-sy, sx);
// 7 (H-1-sy, W-1-sx); 8 (sy, W-1-sx) (CIPA DC-008).
func orientRGB(m *Image, o int) *Image {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.W, m.H
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out := &Image{W: dw, H: dh, Pix: make([]float32, len(m.Pix))}
	for sy := 0; sy < h; sy++ {
		for sx := 0; sx < w; sx++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-sx, sy
			case 3:
				dx, dy = w-1-sx, h-1-sy
			case 4:
				dx, dy = sx, h-1-sy
			case 5:
				dx, dy = sy, sx
			case 6:
				dx, dy = h-1-sy, sx
			case 7:
				dx, dy = h-1-sy, w-1-sx
			case 8:
				dx, dy = sy, w-1-sx
			}
			copy(out.Pix[3*(dy*dw+dx):3*(dy*dw+dx)+3], m.Pix[3*(sy*w+sx):3*(sy*w+sx)+3])
		}
	}
	return out
}

func lanczos3(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x >= 3:
		return 0
	case x < 1e-12:
		return 1
	}
	px := math.Pi * x
	return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
}

// weights are the float64 Lanczos3 taps of one axis: output i reads source
// samples first[i] .. first[i]+len(w[i])-1. Sample centres are aligned
// ((i+0.5)*scale-0.5); when shrinking, the kernel is stretched by the scale;
// taps outside the image are dropped and the rest renormalised to sum 1.
type weights struct {
	first []int
	w     [][]float64
}

func newWeights(in, out int) weights {
	scale := float64(in) / float64(out)
	fs := max(scale, 1)
	support := 3 * fs
	ws := weights{first: make([]int, out), w: make([][]float64, out)}
	for i := range out {
		c := (float64(i)+0.5)*scale - 0.5
		lo := max(int(math.Ceil(c-support)), 0)
		hi := min(int(math.Floor(c+support)), in-1)
		taps := make([]float64, 0, hi-lo+1)
		var sum float64
		for j := lo; j <= hi; j++ {
			v := lanczos3((float64(j) - c) / fs)
			taps = append(taps, v)
			sum += v
		}
		for k := range taps {
			taps[k] /= sum
		}
		ws.first[i], ws.w[i] = lo, taps
	}
	return ws
}

// Resize resizes m to w×h (horizontal pass, then vertical, both in
// float64) and rounds to 8-bit RGBA.
func Resize(m *Image, w, h int) *image.NRGBA {
	kx, ky := newWeights(m.W, w), newWeights(m.H, h)
	tmp := make([]float64, 3*w*m.H)
	parallelRows(m.H, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			src := m.Pix[3*y*m.W : 3*(y+1)*m.W]
			dst := tmp[3*y*w : 3*(y+1)*w]
			for x := range w {
				var r, g, b float64
				s := 3 * kx.first[x]
				for _, wt := range kx.w[x] {
					r += wt * float64(src[s])
					g += wt * float64(src[s+1])
					b += wt * float64(src[s+2])
					s += 3
				}
				dst[3*x], dst[3*x+1], dst[3*x+2] = r, g, b
			}
		}
	})
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	parallelRows(h, func(y0, y1 int) {
		acc := make([]float64, 3*w)
		for y := y0; y < y1; y++ {
			clear(acc)
			for k, wt := range ky.w[y] {
				row := tmp[3*(ky.first[y]+k)*w : 3*(ky.first[y]+k+1)*w]
				for i, v := range row {
					acc[i] += wt * v
				}
			}
			o := out.Pix[y*out.Stride:]
			for x := range w {
				o[4*x] = to8(acc[3*x])
				o[4*x+1] = to8(acc[3*x+1])
				o[4*x+2] = to8(acc[3*x+2])
				o[4*x+3] = 255
			}
		}
	})
	return out
}

func to8(v float64) uint8 {
	return uint8(min(max(math.Round(v), 0), 255))
}

// parallelRows splits [0, n) into one band per CPU.
func parallelRows(n int, f func(y0, y1 int)) {
	p := min(runtime.GOMAXPROCS(0), max(n, 1))
	var wg sync.WaitGroup
	for i := range p {
		y0, y1 := n*i/p, n*(i+1)/p
		wg.Go(func() { f(y0, y1) })
	}
	wg.Wait()
}
