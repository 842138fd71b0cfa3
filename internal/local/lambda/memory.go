package lambda

import (
	"runtime/metrics"
	"sync"
	"time"
)

// memSampleEvery is how often the heap is sampled while invocations run.
const memSampleEvery = 10 * time.Millisecond

// heapMetric is the bytes of heap objects, live and not yet swept: what the
// handlers' allocations occupy.
const heapMetric = "/memory/classes/heap/objects:bytes"

// memPeak measures REPORT's Max Memory Used. Lambda reports the peak
// resident memory of the invocation's sandbox; in process every function
// shares one Go heap, which also holds the garbage earlier invocations left
// (a Store right after a Resize would show the Resize's), so the measure is
// the largest rise of that heap while the invocation ran: the highest
// sample minus the lowest before it. It is what the invocation allocated
// and held at once when it ran alone, and counts concurrent invocations'
// allocations too. The sampler runs only while invocations are in flight.
type memPeak struct {
	mu      sync.Mutex
	active  map[*memRun]struct{}
	running bool
	read    func() uint64 // the heap's size now; tests replace it
}

// memRun is one invocation's lowest sample and largest rise above it.
type memRun struct{ low, rise uint64 }

func (r *memRun) sample(v uint64) {
	r.low = min(r.low, v)
	r.rise = max(r.rise, v-r.low)
}

func newMemPeak() *memPeak {
	return &memPeak{active: map[*memRun]struct{}{}, read: readHeap}
}

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// begin starts measuring one invocation.
func (m *memPeak) begin() *memRun {
	r := &memRun{low: m.read()}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active[r] = struct{}{}
	if !m.running {
		m.running = true
		go m.loop()
	}
	return r
}

// end stops measuring r and returns its largest rise in MB (rounded up,
// at least 1, as Lambda reports whole MB).
func (m *memPeak) end(r *memRun) int {
	v := m.read()
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.active, r)
	r.sample(v)
	return max(1, int((r.rise+1<<20-1)>>20))
}

// loop samples until no invocation is in flight; the last end leaves it
// to return at its next tick.
func (m *memPeak) loop() {
	t := time.NewTicker(memSampleEvery)
	defer t.Stop()
	for range t.C {
		v := m.read()
		m.mu.Lock()
		if len(m.active) == 0 {
			m.running = false
			m.mu.Unlock()
			return
		}
		for r := range m.active {
			r.sample(v)
		}
		m.mu.Unlock()
	}
}
