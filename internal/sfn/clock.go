package sfn

import (
	"context"
	"sync"
	"time"
)

// Clock abstracts time so that Wait states, retry intervals and task
// timeouts run instantly in tests.
type Clock interface {
	Now() time.Time
	// Sleep blocks for d or until ctx is done (returning ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
	// WithTimeout derives a context that expires after d on this clock.
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
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

// WithTimeout implements Clock.
func (RealClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// FakeClock is a virtual clock: Sleep advances time instantly. A
// WithTimeout deadline is honoured by Sleep calls made under that
// context: sleeping past it advances to the deadline and fails with
// context.DeadlineExceeded.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a fake clock set to start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

type fakeDeadlineKey struct{}

// Now implements Clock.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sleep implements Clock.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	target := c.now.Add(d)
	if dl, ok := ctx.Value(fakeDeadlineKey{}).(time.Time); ok && target.After(dl) {
		if dl.After(c.now) {
			c.now = dl
		}
		c.mu.Unlock()
		return context.DeadlineExceeded
	}
	if target.After(c.now) {
		c.now = target
	}
	c.mu.Unlock()
	return nil
}

// WithTimeout implements Clock.
func (c *FakeClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	dl := c.Now().Add(d)
	if old, ok := ctx.Value(fakeDeadlineKey{}).(time.Time); ok && old.Before(dl) {
		dl = old
	}
	cctx, cancel := context.WithCancel(ctx)
	return context.WithValue(cctx, fakeDeadlineKey{}, dl), cancel
}

// ClockFromContext returns the clock an integration should use for its
// own waiting (set by the engine on every task context).
func ClockFromContext(ctx context.Context) Clock {
	if c, ok := ctx.Value(clockKey{}).(Clock); ok {
		return c
	}
	return RealClock{}
}

type clockKey struct{}
