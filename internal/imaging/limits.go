package imaging

import "context"

// DefaultMaxPixels is the limit used when Limits.MaxPixels is zero or negative:
// 100 MP covers every camera in common use while bounding decode memory.
const DefaultMaxPixels int64 = 100_000_000

// Limits are the safety limits applied before any pixel buffer is allocated.
type Limits struct {
	MaxPixels int64 // width×height of the stored image (first frame); <= 0 means DefaultMaxPixels
}

func (l Limits) maxPixels() int64 {
	if l.MaxPixels <= 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

// Check returns a *LimitError when info declares more pixels than allowed.
func (l Limits) Check(info Info) error {
	if p := info.Pixels(); p > l.maxPixels() {
		return &LimitError{Pixels: p, Limit: l.maxPixels()}
	}
	return nil
}

func checkLimitsStep(_ context.Context, j *job) error { return j.lim.Check(j.info) }
