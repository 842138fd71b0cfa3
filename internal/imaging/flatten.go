package imaging

import (
	"context"
	"image/color"
)

// flattenStep composites the image over spec.Background when the output
// format cannot carry alpha (JPEG; GIF output is flattened too, because its
// fixed palette has no transparent entry). Background's own alpha is ignored.
func flattenStep(_ context.Context, j *job) error {
	if j.spec.Format == PNG || !j.info.HasAlpha {
		// Nothing to blend: the source declares no alpha channel.
		return nil
	}
	flatten(j.out.Pix, j.spec.Background)
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
