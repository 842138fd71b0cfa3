package lambda

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSink records what Lambda writes to CloudWatch Logs.
type fakeSink struct {
	mu    sync.Mutex
	lines map[string][]string // stream → messages
	group map[string]bool
}

func (f *fakeSink) Append(group, stream string, _ time.Time, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.group[group] = true
	f.lines[stream] = append(f.lines[stream], msg)
}

type fakeObserver struct {
	mu  sync.Mutex
	got []Invocation
}

func (f *fakeObserver) Invoked(inv Invocation) {
	f.mu.Lock()
	f.got = append(f.got, inv)
	f.mu.Unlock()
}

var _ LogSink = (*fakeSink)(nil)
var _ Observer = (*fakeObserver)(nil)

// TestEnvironmentsLogStreamsAndObserver: one stream per concurrent
// environment, reused when idle; Init Duration only on an instance's first
// invocation; the default group; what the observer is told.
func TestEnvironmentsLogStreamsAndObserver(t *testing.T) {
	sink := &fakeSink{lines: map[string][]string{}, group: map[string]bool{}}
	obs := &fakeObserver{}
	s := newService(t, nil, func(c *Config) { c.Logs, c.Observer = sink, obs })
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	mustRegister(t, s, Function{Name: "fn", Timeout: 5 * time.Second, MemoryMB: 256, ReservedConcurrency: 2},
		func(_ context.Context, in echoIn) (string, error) {
			if in.Say == "wait" {
				entered <- struct{}{}
				<-release
			}
			return in.Say, nil
		})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Invoke(ctx, "fn", []byte(`{"say":"wait"}`)); err != nil {
				t.Error(err)
			}
		}()
	}
	<-entered
	<-entered
	close(release)
	wg.Wait()
	if _, err := s.Invoke(ctx, "fn", []byte(`{"say":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if !sink.group["/aws/lambda/fn"] || len(sink.group) != 1 {
		t.Errorf("groups %v, want Lambda's default /aws/lambda/fn", sink.group)
	}
	if len(sink.lines) != 2 {
		t.Fatalf("%d streams, want one per concurrent environment (2): %v", len(sink.lines), sink.lines)
	}
	inits, invocations := 0, 0
	for stream, lines := range sink.lines {
		if !strings.Contains(stream, "/[$LATEST]") || len(stream) != len("2006/01/02/[$LATEST]")+32 {
			t.Errorf("stream name %q", stream)
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "REPORT ") {
				invocations++
				if !strings.Contains(l, "\tMemory Size: 256 MB\tMax Memory Used: ") {
					t.Errorf("REPORT line %q", l)
				}
				if strings.Contains(l, "Init Duration: 1.00 ms") {
					inits++
				}
			}
		}
	}
	if invocations != 3 || inits != 1 {
		t.Errorf("%d REPORT lines with %d Init Durations, want 3 with 1", invocations, inits)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	maxConc := 0
	for _, inv := range obs.got {
		maxConc = max(maxConc, inv.Concurrent)
		if inv.Function != "fn" || inv.Failed || inv.Throttled {
			t.Errorf("observed %+v", inv)
		}
	}
	if len(obs.got) != 3 || maxConc != 2 {
		t.Errorf("observed %d invocations, at most %d at once; want 3 and 2", len(obs.got), maxConc)
	}
}

// TestMemPeakMeasuresTheLargestRise: the heap's largest rise during the
// invocation, not its level (garbage an earlier invocation left is not
// this one's).
func TestMemPeakMeasuresTheLargestRise(t *testing.T) {
	tests := []struct {
		name    string
		samples []uint64 // MB: begin, the sampler's, then end
		want    int
	}{
		{"grows from a clean heap", []uint64{10, 300, 20}, 290},
		{"garbage collected, then growth", []uint64{95, 10, 90, 95}, 85},
		{"garbage only", []uint64{95, 95, 96}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemPeak()
			reads := make(chan uint64, len(tt.samples))
			last := make(chan uint64, 1)
			drained := make(chan struct{})
			var once sync.Once
			var mu sync.Mutex
			var prev uint64 // with nothing queued the heap stays where it was
			m.read = func() uint64 {
				mu.Lock()
				defer mu.Unlock()
				select {
				case v := <-reads:
					prev = v << 20
					return prev
				default:
				}
				select {
				case v := <-last: // end's read
					prev = v << 20
				default:
					once.Do(func() { close(drained) })
				}
				return prev
			}
			for _, v := range tt.samples[:len(tt.samples)-1] {
				reads <- v
			}
			r := m.begin() // takes the first
			<-drained      // the sampler read every sample
			last <- tt.samples[len(tt.samples)-1]
			if got := m.end(r); got != tt.want {
				t.Fatalf("Max Memory Used %d MB, want %d", got, tt.want)
			}
		})
	}
}
