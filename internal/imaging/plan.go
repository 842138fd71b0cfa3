package imaging

import (
	"context"
	"fmt"
	"image"

	"github.com/imgflow/imgflow/internal/imaging/webpenc"
)

// planStep computes the output size from the display size (after
// orientation) and turns it back into stored orientation, because resizing
// happens before orienting. A size WebP cannot code (VP8's 14-bit sides) is
// refused here, before decoding.
func planStep(_ context.Context, j *job) error {
	dw, dh := j.info.DisplaySize()
	ow, oh := Fit(dw, dh, j.spec.LongSide)
	if max(ow, oh) > webpenc.MaxSize {
		for _, e := range j.encs {
			if e.Format == WebP {
				return &UnsupportedError{Format: string(WebP), Reason: fmt.Sprintf("output %dx%d: WebP sides are at most %d", ow, oh, webpenc.MaxSize)}
			}
		}
	}
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
