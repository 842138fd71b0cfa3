package imaging

import "context"

// DefaultMaxPixels is the limit used when Limits.MaxPixels is zero or negative:
// 100 MP covers every camera in common use while bounding decode memory.
const DefaultMaxPixels int64 = 100_000_000

// DefaultMaxSide is the limit used when Limits.MaxSide is zero or negative.
// Phone panoramas are at most about 20,000 px long and a 100 MP stitched
// panorama reaches 30,000 px at 9:1; browsers do not draw canvases longer
// than 32,767 px. Without it a tiny file can declare a 100,000,000×1 image,
// whose size is within MaxPixels but whose every row is 100 MB.
const DefaultMaxSide = 30_000

// MaxLosslessWebPPixels bounds lossless WebP (VP8L) below MaxPixels: the
// decoder (golang.org/x/image/vp8l) costs 30-40 ns and 4 bytes a pixel, so
// 100 MP used 3.9 s of the 5 s a variant may take on one core before any
// resizing. 40 MP keeps room and still admits an 8K screenshot (33 MP); a
// lossless photo of more would not fit in MaxBytes anyway.
const MaxLosslessWebPPixels int64 = 40_000_000

// Limits are the safety limits applied before any pixel buffer is allocated.
type Limits struct {
	MaxPixels int64 // width×height of the stored image (first frame); <= 0 means DefaultMaxPixels
	MaxSide   int   // longest width or height of the stored image (GIF: of the logical screen); <= 0 means DefaultMaxSide
}

func (l Limits) maxPixels() int64 {
	if l.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

func (l Limits) maxSide() int {
	if l.MaxSide <= 0 {
		return DefaultMaxSide
	}
	return l.MaxSide
}

// Check returns a *LimitError when info declares more pixels than allowed
// (MaxPixels, or MaxLosslessWebPPixels for a lossless WebP), else a
// *SideLimitError when its width or height is longer than allowed.
func (l Limits) Check(info Info) error {
	limit := l.maxPixels()
	if info.Format == WebP && (info.ColorModel == ModelRGB || info.ColorModel == ModelRGBA) {
		limit = min(limit, MaxLosslessWebPPixels)
	}
	if p := info.Pixels(); p > limit {
		return &LimitError{Pixels: p, Limit: limit}
	}
	if max(info.Width, info.Height) > l.maxSide() {
		return &SideLimitError{Width: info.Width, Height: info.Height, Limit: l.maxSide()}
	}
	return nil
}

func checkLimitsStep(_ context.Context, j *job) error { return j.lim.Check(j.info) }
