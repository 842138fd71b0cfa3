package imaging

import (
	"context"
	"image"
	"image/color"
	"slices"
)

// flattenStep makes j.flat, the image composited over spec.Background, when
// an encoding cannot carry alpha (JPEG; GIF output is flattened too, because
// its fixed palette has no transparent entry). Background's own alpha is
// ignored. PNG and WebP encodings keep using j.out with its alpha, so the
// blend goes into a copy when both kinds are wanted, and in place otherwise.
func flattenStep(_ context.Context, j *job) error {
	j.flat = j.out
	if !j.info.HasAlpha || j.out == nil { // planar (j.ycc) is opaque
		// Nothing to blend: the source declares no alpha channel.
		return nil
	}
	need, keep := false, false
	for _, e := range j.encs {
		if e.flattens() {
			need = true
		} else {
			keep = true
		}
	}
	if !need {
		return nil
	}
	if keep {
		j.flat = &image.NRGBA{Pix: slices.Clone(j.out.Pix), Stride: j.out.Stride, Rect: j.out.Rect}
	}
	flatten(j.flat.Pix, j.spec.Background)
	return nil
}

// flatten blends straight-alpha RGBA pixels over an opaque background:
// out = (c·a + bg·(255−a)) / 255, rounded to nearest; alpha becomes 255.
func flatten(pix []uint8, bg color.NRGBA) {
	for i := 0; i+3 < len(pix); i += 4 {
		a := uint32(pix[i+3])
		if a == 255 {
			continue
		}
		na := 255 - a
		pix[i] = uint8((uint32(pix[i])*a + uint32(bg.R)*na + 127) / 255)
		pix[i+1] = uint8((uint32(pix[i+1])*a + uint32(bg.G)*na + 127) / 255)
		pix[i+2] = uint8((uint32(pix[i+2])*a + uint32(bg.B)*na + 127) / 255)
		pix[i+3] = 255
	}
}
