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
// shares one Go heap, so the closest real measure is the peak of that heap
// while the invocation ran. It is exact for an invocation that ran alone
// and counts concurrent invocations' memory too: an upper bound, never an
// estimate. The sampler runs only while invocations are in flight.
type memPeak struct {
	mu      sync.Mutex
	active  map[*memRun]struct{}
	running bool
	read    func() uint64 // the heap's size now; tests replace it
}

// memRun is one invocation's peak.
type memRun struct{ peak uint64 }

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
	r := &memRun{peak: m.read()}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active[r] = struct{}{}
	if !m.running {
		m.running = true
		go m.loop()
	}
	return r
}

// end stops measuring r and returns its peak in MB (rounded up, as Lambda
// reports whole MB).
func (m *memPeak) end(r *memRun) int {
	v := m.read()
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.active, r)
	r.peak = max(r.peak, v)
	return int((r.peak + 1<<20 - 1) >> 20)
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
			r.peak = max(r.peak, v)
		}
		m.mu.Unlock()
	}
}
