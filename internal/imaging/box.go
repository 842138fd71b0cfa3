package imaging

import (
	"context"
	"image"
	"runtime"
)

// Box pre-shrink.
//
// A Lanczos3 window is 6 source pixels per unit of shrink, so the weight
// tables of one axis hold about 6×in taps whatever the output size: a
// 25,000,000-px row resized to 2048 px needs 2048 windows of 73,000 taps
// (1.8 GB with the fixed-point copy). Beyond boxMinScale the resampler first
// averages boxes of f×f' source pixels (an integer factor per axis), so that
// Lanczos3 is left a shrink of boxGap to about 1.1·boxGap and its tables
// are bounded by the output size (libvips's vips_resize does the same with a
// gap of 2). Lanczos3 after a box of factor f attenuates the finest detail
// it keeps by sinc(1/(2·boxGap)) = 0.955 at boxGap 3, against 0.90 at
// libvips's 2.
//
// Below boxMinScale nothing changes: a 24 MP (6000 px) PNG to a 256-px
// thumbnail is a shrink of 23.4, and a JPEG never gets there (its decoder
// shrinks by up to 8 on load, and MaxSide/8/256 < 32).
const (
	boxMinScale = 32
	boxGap      = 3
)

// boxFactor returns the box factor for an axis of in pixels resized to out:
// 1 below boxMinScale, else floor(in/(boxGap·out)).
func boxFactor(in, out int) int {
	if out <= 0 || int64(in) < boxMinScale*int64(out) {
		return 1
	}
	return int(int64(in) / (boxGap * int64(out)))
}

// boxShrink averages fx×fy boxes of the sw×sh image read through rows into a
// ceil(sw/fx)×ceil(sh/fy) image; boxes at the right and bottom edges
// average the pixels that remain. Output rows are computed in parallel bands.
//
// Precision: input straight 8-bit RGBA. Colour is averaged weighted by
// alpha (sums of c·a in uint64, exact), so transparent pixels lend no colour;
// alpha is the plain mean. Both are rounded to nearest 8-bit, so opaque
// input stays exactly opaque and a flat area stays exactly flat.
func boxShrink(ctx context.Context, rows rowFunc, sw, sh, fx, fy int) (*image.NRGBA, error) {
	ow, oh := (sw+fx-1)/fx, (sh+fy-1)/fy
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	type scratch struct {
		line []uint8  // 4 × sw: one source row
		acc  []uint64 // 4 × ow: Σr·a, Σg·a, Σb·a, Σa per output pixel
	}
	scr := make([]*scratch, max(runtime.GOMAXPROCS(0), 1))
	err := parallelBands(ctx, oh, 4, func(w, y0, y1 int) {
		s := scr[w]
		if s == nil {
			s = &scratch{line: make([]uint8, 4*sw), acc: make([]uint64, 4*ow)}
			scr[w] = s
		}
		for y := y0; y < y1; y++ {
			clear(s.acc)
			sy0, sy1 := y*fy, min(y*fy+fy, sh)
			for sy := sy0; sy < sy1; sy++ {
				rows(sy, s.line)
				boxRow(s.acc, s.line, fx)
			}
			storeBoxRow(dst.Pix[y*dst.Stride:y*dst.Stride+4*ow], s.acc, sw, fx, sy1-sy0)
		}
	})
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// boxRow adds one row of straight 8-bit RGBA to the box sums, fx source
// pixels per output pixel.
func boxRow(acc []uint64, line []uint8, fx int) {
	for ox := 0; ox < len(acc)/4; ox++ {
		x0 := ox * fx
		px := line[4*x0 : 4*min(x0+fx, len(line)/4)]
		var r, g, b, a uint64
		for i := 0; i+3 < len(px); i += 4 {
			p := px[i : i+4 : i+4]
			pa := uint64(p[3])
			r += uint64(p[0]) * pa
			g += uint64(p[1]) * pa
			b += uint64(p[2]) * pa
			a += pa
		}
		s := acc[4*ox : 4*ox+4 : 4*ox+4]
		s[0], s[1], s[2], s[3] = s[0]+r, s[1]+g, s[2]+b, s[3]+a
	}
}

// storeBoxRow divides the box sums of one output row (n source rows of sw
// pixels) and stores the row as straight 8-bit RGBA, rounding to nearest.
func storeBoxRow(dst []uint8, acc []uint64, sw, fx, n int) {
	for ox := 0; ox < len(acc)/4; ox++ {
		s := acc[4*ox : 4*ox+4 : 4*ox+4]
		d := dst[4*ox : 4*ox+4 : 4*ox+4]
		a := s[3]
		if a == 0 {
			d[0], d[1], d[2], d[3] = 0, 0, 0, 0
			continue
		}
		cnt := uint64(min(ox*fx+fx, sw)-ox*fx) * uint64(n)
		d[0] = uint8((2*s[0] + a) / (2 * a))
		d[1] = uint8((2*s[1] + a) / (2 * a))
		d[2] = uint8((2*s[2] + a) / (2 * a))
		d[3] = uint8((2*a + cnt) / (2 * cnt))
	}
}
