// Package metric holds the measurements the benchmark programs share: SSIM
// on luma, and medians of timed runs.
package metric

import (
	"image"
	"image/color"
	"math"
)

// SSIM as defined by Wang, Bovik, Sheikh and Simoncelli, "Image quality
// assessment: from error visibility to structural similarity", IEEE TIP
// 13(4), 2004: an 11×11 circular-symmetric Gaussian window with σ = 1.5
// (normalised to sum 1), K1 = 0.01, K2 = 0.03, L = 255, evaluated at every
// position where the window lies inside the image (MATLAB filter2 'valid')
// and averaged (MSSIM). No automatic downsampling. It is computed on luma
// Y = 0.299 R + 0.587 G + 0.114 B (BT.601, the JPEG/JFIF luma).

const (
	ssimWin   = 11
	ssimSigma = 1.5
	ssimK1    = 0.01
	ssimK2    = 0.03
	ssimL     = 255
)

// Luma returns the luma of m as it is displayed, row-major: 0.299 R′ +
// 0.587 G′ + 0.114 B′ of its 8-bit R′G′B′. A decoded JPEG (*image.YCbCr)
// is converted to R′G′B′ first, clamped as every viewer does, rather than
// read from its Y′ plane: a Y′CbCr resize (the engine's planar path) keeps
// colours outside the RGB gamut that the display then clamps, so the Y′
// plane is not what anyone sees.
func Luma(m image.Image) (w, h int, y []float64) {
	b := m.Bounds()
	w, h = b.Dx(), b.Dy()
	y = make([]float64, w*h)
	switch m := m.(type) {
	case *image.YCbCr:
		for r := range h {
			for c := range w {
				yi, ci := m.YOffset(b.Min.X+c, b.Min.Y+r), m.COffset(b.Min.X+c, b.Min.Y+r)
				R, G, B := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				y[r*w+c] = 0.299*float64(R) + 0.587*float64(G) + 0.114*float64(B)
			}
		}
	case *image.Gray:
		for r := range h {
			for c := range w {
				y[r*w+c] = float64(m.Pix[m.PixOffset(b.Min.X+c, b.Min.Y+r)])
			}
		}
	default:
		for r := range h {
			for c := range w {
				n := color.NRGBAModel.Convert(m.At(b.Min.X+c, b.Min.Y+r)).(color.NRGBA)
				y[r*w+c] = 0.299*float64(n.R) + 0.587*float64(n.G) + 0.114*float64(n.B)
			}
		}
	}
	return w, h, y
}

func gaussianWindow() [ssimWin]float64 {
	var g [ssimWin]float64
	var sum float64
	for i := range g {
		d := float64(i - ssimWin/2)
		g[i] = math.Exp(-d * d / (2 * ssimSigma * ssimSigma))
		sum += g[i]
	}
	for i := range g {
		g[i] /= sum
	}
	return g
}

// SSIM returns the mean SSIM of two images of the same size, on luma; NaN
// when the sizes differ or the image is smaller than the window.
func SSIM(a, b image.Image) float64 {
	w, h, ya := Luma(a)
	wb, hb, yb := Luma(b)
	if w != wb || h != hb {
		return math.NaN()
	}
	return ssimPlanes(w, h, ya, yb)
}

func ssimPlanes(w, h int, x, y []float64) float64 {
	if w < ssimWin || h < ssimWin {
		return math.NaN()
	}
	g := gaussianWindow()
	vw, vh := w-ssimWin+1, h-ssimWin+1
	// Horizontal pass of the five moments over the valid columns.
	var hm [5][]float64
	for i := range hm {
		hm[i] = make([]float64, vw*h)
	}
	for r := range h {
		xr, yr := x[r*w:(r+1)*w], y[r*w:(r+1)*w]
		for c := range vw {
			var mx, my, xx, yy, xy float64
			for k, gk := range g {
				p, q := xr[c+k], yr[c+k]
				mx += gk * p
				my += gk * q
				xx += gk * p * p
				yy += gk * q * q
				xy += gk * p * q
			}
			i := r*vw + c
			hm[0][i], hm[1][i], hm[2][i], hm[3][i], hm[4][i] = mx, my, xx, yy, xy
		}
	}
	c1 := (ssimK1 * ssimL) * (ssimK1 * ssimL)
	c2 := (ssimK2 * ssimL) * (ssimK2 * ssimL)
	var total float64
	for r := range vh {
		for c := range vw {
			var m [5]float64
			for k, gk := range g {
				i := (r+k)*vw + c
				for j := range m {
					m[j] += gk * hm[j][i]
				}
			}
			mx, my := m[0], m[1]
			sxx, syy, sxy := m[2]-mx*mx, m[3]-my*my, m[4]-mx*my
			total += ((2*mx*my + c1) * (2*sxy + c2)) / ((mx*mx + my*my + c1) * (sxx + syy + c2))
		}
	}
	return total / float64(vw*vh)
}
