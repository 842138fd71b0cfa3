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

func TestMemPeakSeesTheHighestSample(t *testing.T) {
	m := newMemPeak()
	// begin reads 10 MB, the sampler 300 MB, end 20 MB.
	reads := make(chan uint64, 3)
	reads <- 10 << 20
	sampled := make(chan struct{})
	var once sync.Once
	m.read = func() uint64 {
		select {
		case v := <-reads:
			return v
		default:
			once.Do(func() { close(sampled) })
			return 0
		}
	}
	r := m.begin()
	reads <- 300 << 20
	<-sampled // the sampler took 300 MB and is reading again
	reads <- 20 << 20
	if got := m.end(r); got != 300 {
		t.Fatalf("peak %d MB, want 300", got)
	}
}
