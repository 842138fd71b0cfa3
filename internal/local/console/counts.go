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

// statusCounts counts executions by status, of every state machine and of
// each, with one ListExecutions scan kept until an execution starts or
// closes.
type statusCounts struct {
	h     *handler
	mu    sync.Mutex
	valid bool
	gen   int // bumped by invalidate; a scan that raced one is not kept
	at    time.Time
	all   tally
	bySM  map[string]tally // by state machine ARN
}

// tally is executions by status, and their total.
type tally struct {
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

// get returns the counts of every state machine (sm "") or of one.
func (s *statusCounts) get(ctx context.Context, sm string) ([]StatusCount, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.valid || time.Since(s.at) > time.Minute {
		gen := s.gen
		s.mu.Unlock()
		all, bySM := s.scan(ctx)
		s.mu.Lock()
		s.all, s.bySM, s.at = all, bySM, time.Now()
		s.valid = gen == s.gen
	}
	t := s.all
	if sm != "" {
		t = s.bySM[sm]
	}
	out := make([]StatusCount, 0, len(allStatuses))
	for _, st := range allStatuses {
		if n := t.by[st]; n > 0 || st != sfnapi.StatusTimedOut && st != sfnapi.StatusAborted {
			out = append(out, StatusCount{Status: st, Count: n})
		}
	}
	return out, t.total
}

func (s *statusCounts) scan(ctx context.Context) (tally, map[string]tally) {
	all, bySM := tally{by: map[string]int{}}, map[string]tally{}
	arns, _ := s.h.stateMachines(ctx)
	for _, sm := range arns {
		t := tally{by: map[string]int{}}
		tok := ""
		for {
			xs, next, err := s.h.sfn.ListExecutions(ctx, sm, "", 1000, tok)
			if err != nil {
				break
			}
			for _, x := range xs {
				t.by[x.Status]++
				all.by[x.Status]++
			}
			t.total += len(xs)
			if next == "" {
				break
			}
			tok = next
		}
		all.total += t.total
		bySM[sm] = t
	}
	return all, bySM
}
