package placeholder

import (
	"image"
	"image/color"
)

// DominantColor returns the colour most of img is made of.
//
// Method: pixels are sampled on a grid of at most 256×256; those with alpha
// below 32 (near transparent) are ignored, the rest weighted by alpha. Each
// goes into a 16×16×16 RGB histogram (4 bits per channel). The winning bin is
// the one whose 3×3×3 neighbourhood holds the most weight (this smooths bin
// boundaries: a colour sitting on the edge between two bins is not split), and
// the result is the weighted mean of the actual pixels in that neighbourhood,
// so it is a colour that occurs in the image rather than a bin centre or the
// grey-brown a plain mean of a colourful photo gives. Ties go to the lowest
// bin index, so the result is deterministic. An image with no sufficiently
// opaque pixel returns the zero (transparent) colour.
func DominantColor(img image.Image) color.NRGBA {
	const (
		bits    = 4
		side    = 1 << bits
		maxGrid = 256
		minA    = 32
	)
	type bin struct{ w, r, g, b uint64 }
	var hist [side * side * side]bin
	bd := img.Bounds()
	stepX, stepY := max(1, (bd.Dx()+maxGrid-1)/maxGrid), max(1, (bd.Dy()+maxGrid-1)/maxGrid)
	for y := bd.Min.Y; y < bd.Max.Y; y += stepY {
		for x := bd.Min.X; x < bd.Max.X; x += stepX {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A < minA {
				continue
			}
			w := uint64(c.A)
			h := &hist[int(c.R>>(8-bits))<<(2*bits)|int(c.G>>(8-bits))<<bits|int(c.B>>(8-bits))]
			h.w += w
			h.r += w * uint64(c.R)
			h.g += w * uint64(c.G)
			h.b += w * uint64(c.B)
		}
	}
	best, bestW := -1, uint64(0)
	var bestSum bin
	for i := range hist {
		if hist[i].w == 0 {
			continue
		}
		r, g, b := i>>(2*bits), i>>bits&(side-1), i&(side-1)
		var s bin
		for dr := -1; dr <= 1; dr++ {
			for dg := -1; dg <= 1; dg++ {
				for db := -1; db <= 1; db++ {
					rr, gg, bb := r+dr, g+dg, b+db
					if rr < 0 || gg < 0 || bb < 0 || rr >= side || gg >= side || bb >= side {
						continue
					}
					h := hist[rr<<(2*bits)|gg<<bits|bb]
					s.w += h.w
					s.r += h.r
					s.g += h.g
					s.b += h.b
				}
			}
		}
		if s.w > bestW {
			best, bestW, bestSum = i, s.w, s
		}
	}
	if best < 0 {
		return color.NRGBA{}
	}
	return color.NRGBA{
		R: uint8((bestSum.r + bestSum.w/2) / bestSum.w),
		G: uint8((bestSum.g + bestSum.w/2) / bestSum.w),
		B: uint8((bestSum.b + bestSum.w/2) / bestSum.w),
		A: 255,
	}
}
