package sns

import (
	"context"
	"time"
)

// Clock abstracts time so retry backoff runs instantly in tests. Its
// method set is a subset of internal/sfn.Clock, so the stack can share one.
type Clock interface {
	Now() time.Time
	// Sleep blocks for d or until ctx is done (returning ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
