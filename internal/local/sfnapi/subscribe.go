package sfnapi

import (
	"sync"
	"time"
)

// ExecutionEvent is a live change of one execution, for the console: a
// history event was recorded (EventType set) or the execution closed
// (EventType empty, Status final, record committed). ExecutionStarted
// and ExecutionRedriven are published once the execution's record is
// committed; other events as the engine records them.
type ExecutionEvent struct {
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          string
	EventType       string
	EventID         int64
	Time            time.Time
}

// subscriber delivers events in order on its own goroutine, so a slow
// subscriber never holds up an execution. Its queue is unbounded.
type subscriber struct {
	fn   func(ExecutionEvent)
	mu   sync.Mutex
	q    []ExecutionEvent
	kick chan struct{}
	quit chan struct{}
	once sync.Once
	done chan struct{}
}

// Subscribe calls fn for every ExecutionEvent from now on, in order, on
// a goroutine of its own. The returned function unsubscribes: events
// published before it are still delivered, and it returns after the last.
func (s *Service) Subscribe(fn func(ExecutionEvent)) (unsubscribe func()) {
	sub := &subscriber{fn: fn, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	s.subMu.Lock()
	s.subN++
	id := s.subN
	s.subs[id] = sub
	s.subMu.Unlock()
	go sub.loop()
	return func() {
		s.subMu.Lock()
		delete(s.subs, id)
		s.subMu.Unlock()
		sub.close()
	}
}

func (s *Service) publish(ev ExecutionEvent) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for _, sub := range s.subs {
		sub.mu.Lock()
		sub.q = append(sub.q, ev)
		sub.mu.Unlock()
		select {
		case sub.kick <- struct{}{}:
		default:
		}
	}
}

func (sub *subscriber) close() {
	sub.once.Do(func() { close(sub.quit) })
	<-sub.done
}

func (sub *subscriber) loop() {
	defer close(sub.done)
	for {
		quit := false
		select {
		case <-sub.kick:
		case <-sub.quit:
			quit = true // deliver what was queued before unsubscribing
		}
		sub.mu.Lock()
		q := sub.q
		sub.q = nil
		sub.mu.Unlock()
		for _, ev := range q {
			sub.fn(ev)
		}
		if quit {
			return
		}
	}
}
