package console

import (
	"context"
	"sync"
	"time"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// StatusCount is one entry of the status bar.
type StatusCount struct {
	Status string
	Count  int
}

var allStatuses = []string{sfnapi.StatusRunning, sfnapi.StatusSucceeded, sfnapi.StatusFailed, sfnapi.StatusTimedOut, sfnapi.StatusAborted}

// statusCounts counts executions by status with one ListExecutions scan,
// kept until an execution starts or closes.
type statusCounts struct {
	h     *handler
	mu    sync.Mutex
	valid bool
	gen   int // bumped by invalidate; a scan that raced one is not kept
	at    time.Time
	by    map[string]int
	total int
}

func newStatusCounts(h *handler) *statusCounts { return &statusCounts{h: h} }

func (s *statusCounts) invalidate() {
	s.mu.Lock()
	s.valid = false
	s.gen++
	s.mu.Unlock()
}

func (s *statusCounts) get(ctx context.Context) ([]StatusCount, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.valid || time.Since(s.at) > time.Minute {
		gen := s.gen
		s.mu.Unlock()
		by, total := map[string]int{}, 0
		for _, sm := range s.h.cfg.StateMachines {
			tok := ""
			for {
				xs, next, err := s.h.sfn.ListExecutions(ctx, sm, "", 1000, tok)
				if err != nil {
					break
				}
				for _, x := range xs {
					by[x.Status]++
					total++
				}
				if next == "" {
					break
				}
				tok = next
			}
		}
		s.mu.Lock()
		s.by, s.total, s.at = by, total, time.Now()
		s.valid = gen == s.gen
	}
	out := make([]StatusCount, 0, len(allStatuses))
	for _, st := range allStatuses {
		if n := s.by[st]; n > 0 || st != sfnapi.StatusTimedOut && st != sfnapi.StatusAborted {
			out = append(out, StatusCount{Status: st, Count: n})
		}
	}
	return out, s.total
}
