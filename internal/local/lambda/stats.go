package lambda

import (
	"slices"
	"time"
)

// window is how many recent durations the percentiles are computed over.
const window = 1024

type stats struct {
	init        time.Duration // the last instance's build
	coldStarts  int64         // instances built (in process)
	invocations int64
	errors      int64
	recent      []time.Duration // ring buffer
	next        int
}

func (fn *function) record(d time.Duration, failed bool) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	fn.stats.invocations++
	if failed {
		fn.stats.errors++
	}
	if len(fn.stats.recent) < window {
		fn.stats.recent = append(fn.stats.recent, d)
		return
	}
	fn.stats.recent[fn.stats.next] = d
	fn.stats.next = (fn.stats.next + 1) % window
}

// Stats is a function's invocation statistics, for the console.
type Stats struct {
	Function Function
	Init     time.Duration // handler construction of the last cold start
	// ColdStarts counts the instances built in process: the first, and one
	// after each panic ended an instance. 0 for a process pool, which
	// measures its own.
	ColdStarts  int64
	Invocations int64
	Errors      int64
	P50         time.Duration // over the last 1024 invocations
	P90         time.Duration
	P99         time.Duration
	InFlight    int
}

// Stats returns every function's statistics, sorted by name.
func (s *Service) Stats() []Stats {
	var out []Stats
	for _, f := range s.Functions() {
		fn, _, err := s.lookup(f.Name)
		if err != nil {
			continue
		}
		fn.mu.Lock()
		st := Stats{Function: fn.cfg, Init: fn.stats.init, ColdStarts: fn.stats.coldStarts, Invocations: fn.stats.invocations, Errors: fn.stats.errors, InFlight: len(fn.slots)}
		sorted := slices.Clone(fn.stats.recent)
		fn.mu.Unlock()
		slices.Sort(sorted)
		st.P50, st.P90, st.P99 = percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99)
		out = append(out, st)
	}
	return out
}

// percentile uses the nearest-rank method on sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}
