package imaging

import (
	"context"
	"image"
)

// planStep computes the output size from the display size (after
// orientation) and turns it back into stored orientation, because resizing
// happens before orienting.
func planStep(_ context.Context, j *job) error {
	dw, dh := j.info.DisplaySize()
	ow, oh := Fit(dw, dh, j.spec.LongSide)
	if swapsAxes(j.info.Orientation) {
		ow, oh = oh, ow
	}
	j.want = image.Pt(ow, oh)
	return nil
}

func planFullSizeStep(_ context.Context, j *job) error {
	j.want = image.Pt(j.info.Width, j.info.Height)
	return nil
}
