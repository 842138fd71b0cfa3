package metric

import (
	"slices"
	"time"
)

// MS is d in milliseconds, with microsecond resolution.
func MS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Median returns the middle value (the mean of the two middle ones for an
// even count); 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
