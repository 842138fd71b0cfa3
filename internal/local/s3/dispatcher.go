package s3

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// dispatchBatch bounds how many due events one pass loads.
const dispatchBatch = 64

// runDispatcher delivers outbox events in order until Close. Each event is
// offered to the Notifier until it succeeds or has had MaxAttempts tries,
// waiting InitialBackoff·2^(n-1) (capped at MaxBackoff) after the n-th
// failure. It wakes when a request queues events, when the earliest retry
// is due, or on stop.
func (s *Service) runDispatcher(ctx context.Context) {
	defer s.dispatcher.Done()
	for {
		next, stopped := s.deliverDue(ctx)
		if stopped {
			return
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = s.clock.After(max(next.Sub(s.clock.Now()), 0))
		}
		select {
		case <-s.stopc:
			return
		case <-s.kickc:
		case <-timer:
		}
	}
}

// deliverDue delivers every due event and returns when the next one is due.
func (s *Service) deliverDue(ctx context.Context) (next time.Time, stopped bool) {
	for {
		select {
		case <-s.stopc:
			return time.Time{}, true
		default:
		}
		due, nextAt, err := s.st.dueEvents(s.clock.Now(), dispatchBatch)
		if err != nil {
			s.log.Error("s3 event outbox read failed", zap.Error(err))
			return s.clock.Now().Add(s.cfg.Delivery.InitialBackoff), false
		}
		if len(due) == 0 {
			return nextAt, false
		}
		for _, e := range due {
			select {
			case <-s.stopc:
				return time.Time{}, true
			default:
			}
			s.deliver(ctx, e)
		}
	}
}

// deliver offers e to the Notifier once; ctx is cancelled only by a forced Close.
func (s *Service) deliver(ctx context.Context, e outboxEntry) {
	callCtx, cancel := context.WithTimeout(ctx, s.cfg.Delivery.Timeout)
	err := s.notifier.Notify(callCtx, e.Target, e.Event)
	cancel()
	log := s.log.With(zap.Uint64("event_id", e.ID), zap.String("target", e.Target))
	if err == nil {
		if err := s.st.deleteEvent(e.ID); err != nil {
			log.Error("s3 event delivered but not removed; it will be delivered again", zap.Error(err))
		}
		return
	}
	if ctx.Err() != nil {
		return // forced shutdown: not an attempt; the event stays pending
	}
	e.Attempts++
	e.LastError = err.Error()
	final := e.Attempts >= s.cfg.Delivery.MaxAttempts
	now := s.clock.Now()
	if final {
		e.FailedAt = now
		log.Error("s3 event delivery failed permanently", zap.Int("attempts", e.Attempts), zap.Error(err))
	} else {
		e.NextAttempt = now.Add(s.backoff(e.Attempts))
		log.Warn("s3 event delivery failed; will retry", zap.Int("attempts", e.Attempts), zap.Time("next_attempt", e.NextAttempt), zap.Error(err))
	}
	if err := s.st.rescheduleEvent(e, final); err != nil {
		log.Error("s3 event reschedule failed", zap.Error(err))
	}
}

// backoff is the wait after the n-th failed attempt.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.Delivery.InitialBackoff
	for i := 1; i < n && d < s.cfg.Delivery.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.Delivery.MaxBackoff)
}
