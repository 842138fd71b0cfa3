// Package sfnapi is the local stack's Step Functions service: an
// http.Handler speaking the Step Functions JSON 1.0 protocol (POST /,
// X-Amz-Target: AWSStepFunctions.<Op>) in front of the ASL engine in
// internal/sfn, with state machines, executions and histories kept in a
// bbolt file (see package store) so that a restart loses nothing.
//
// Durability: each history event is queued to the store as the engine
// records it and group-committed within milliseconds; StartExecution
// returns only after the execution's record is committed. Executions that
// were RUNNING when the process stopped (crash, kill -9) are closed when
// the store is next opened: status FAILED, error "Local.StackStopped"
// (ErrNameStackStopped), a cause naming the last recorded event, and an
// ExecutionFailed event appended to the history. Close does the same for
// executions still running when its drain bound expires. They are not
// resumed: the engine cannot restart an execution from the middle.
package sfnapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
	"github.com/imgflow/imgflow/internal/sfn"
)

// ErrNameStackStopped is the error of executions that were running when
// the local stack stopped.
const ErrNameStackStopped = "Local.StackStopped"

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// State machine types.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

// Service is the Step Functions service.
type Service struct {
	cfg Config
	log *zap.Logger
	st  *store.Store
	eng *engine

	live sync.Map // exec ARN -> *liveExec

	mu      sync.Mutex // guards starts, parsed, closing
	parsed  map[string]*parsed
	closing bool
	wg      sync.WaitGroup // watchers

	subMu sync.Mutex
	subs  map[int]*subscriber
	subN  int
}

// liveExec is an execution started by this process and not yet closed
// in the store.
type liveExec struct {
	mu       sync.Mutex
	rec      store.Execution // as started
	run      *run
	lastID   int64 // last event id queued to the store
	offset   int64 // event id offset (redrive)
	redrive  int   // redrive count (0: not redriven)
	detached bool  // closed by Close: engine events are ignored
	ended    bool  // the engine recorded the execution's last event
	// announced is set once ExecutionStarted is published; events
	// before that are held.
	announced bool
	held      []ExecutionEvent
	// started is closed once run is set or the start failed (startErr).
	started  chan struct{}
	startErr error
	done     chan struct{} // closed after the final record is committed
}

// New opens the store under cfg.DataDir, closes executions a previous
// process left RUNNING, and builds the engine from engCfg (nil: the
// engine's defaults). Region and AccountID of engCfg are overridden by
// cfg's; an OnEvent set in engCfg is still called.
func New(cfg *Config, engCfg *sfn.Config, log *zap.Logger) (*Service, error) {
	if cfg == nil {
		cfg = NewDefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("sfnapi: data dir: %w", err)
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, "sfn.db"), cfg.OpenTimeout)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: *cfg, log: log.With(zap.String("component", "sfn")), st: st,
		parsed: map[string]*parsed{}, subs: map[int]*subscriber{}}
	s.eng, err = newEngine(engCfg, cfg.Region, cfg.AccountID, s.onEvent)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	closed, err := st.FailRunning(s.interrupt())
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("sfnapi: recover: %w", err)
	}
	for _, x := range closed {
		s.log.Warn("execution was running when the stack stopped; marked failed",
			zap.String("execution_arn", x.ARN))
	}
	return s, nil
}

func (s *Service) interrupt() store.Interrupt {
	return store.Interrupt{
		Error: ErrNameStackStopped,
		Now:   s.eng.now(),
		Cause: func(_ *store.Execution, last int64) string {
			return fmt.Sprintf("The local stack stopped while this execution was running (last recorded event: #%d). "+
				"It was not resumed; start it again.", last)
		},
	}
}

// Close stops accepting executions, waits until running executions end
// or ctx is done, then closes the rest as FAILED (ErrNameStackStopped),
// stops the engine and closes the store.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	s.mu.Unlock()

	drained := make(chan struct{})
	go func() { s.wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-ctx.Done():
	}
	in := s.interrupt()
	var errs []error
	s.live.Range(func(_, v any) bool {
		le := v.(*liveExec)
		<-le.started // a start in progress takes microseconds
		if le.run == nil {
			return true // the start failed
		}
		select {
		case <-le.run.done():
			return true // ended: its watcher commits the record
		default:
		}
		le.mu.Lock()
		if !le.detached && !le.ended {
			le.detached = true
			x, err := s.st.FailExecution(le.rec, le.lastID, in)
			if err != nil {
				errs = append(errs, err)
			}
			ev := ExecutionEvent{ExecutionARN: x.ARN, StateMachineARN: x.StateMachineARN, Name: x.Name,
				Status: x.Status, EventType: "ExecutionFailed", EventID: le.lastID + 1, Time: in.Now}
			if le.announced {
				s.publish(ev)
			} else {
				le.held = append(le.held, ev)
			}
			s.log.Warn("execution still running at close; marked failed", zap.String("execution_arn", x.ARN))
		}
		le.mu.Unlock()
		return true
	})
	// The engine's goroutines end once stopped; their events are ignored.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.eng.shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("sfnapi: engine shutdown: %w", err))
	}
	s.wg.Wait()
	errs = append(errs, s.st.Close())
	s.subMu.Lock()
	for id, sub := range s.subs {
		sub.close()
		delete(s.subs, id)
	}
	s.subMu.Unlock()
	return errors.Join(errs...)
}

// onEvent receives every history event from the engine. It never blocks
// on I/O: events are queued for the store's group commit.
func (s *Service) onEvent(arn string, ev store.Event) {
	v, ok := s.live.Load(arn)
	if !ok {
		// Not started through this service (should not happen): keep it.
		_ = s.st.AppendEvents(arn, ev)
		return
	}
	le := v.(*liveExec)
	le.mu.Lock()
	arn = le.rec.ARN
	if le.detached {
		le.mu.Unlock()
		return
	}
	if le.redrive > 0 {
		ev = redrivenEvent(ev, le.offset, le.redrive)
	}
	if err := s.st.AppendEvents(arn, ev); err != nil {
		s.log.Error("append history event", zap.String("execution_arn", arn), zap.Error(err))
	}
	if ev.ID > le.lastID {
		le.lastID = ev.ID
	}
	switch ev.Type {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut":
		le.ended = true
	}
	rec := le.rec
	le.mu.Unlock()
	if ev.Type == "ExecutionStarted" || ev.Type == "ExecutionRedriven" {
		// Published once the record is committed (see started).
		return
	}
	s.emit(le, ExecutionEvent{ExecutionARN: arn, StateMachineARN: rec.StateMachineARN, Name: rec.Name,
		Status: StatusRunning, EventType: ev.Type, EventID: ev.ID, Time: ev.Timestamp})
}

// emit publishes an execution's event, or holds it until the execution's
// start has been announced, so subscribers see events in order.
func (s *Service) emit(le *liveExec, ev ExecutionEvent) {
	le.mu.Lock()
	defer le.mu.Unlock()
	if !le.announced {
		le.held = append(le.held, ev)
		return
	}
	s.publish(ev)
}

// started publishes an execution's first event after its record is
// committed, so a subscriber can always DescribeExecution it, then the
// events held meanwhile.
func (s *Service) started(le *liveExec) {
	le.mu.Lock()
	defer le.mu.Unlock()
	rec, typ, id, t := le.rec, "ExecutionStarted", int64(1), le.rec.StartDate
	if le.redrive > 0 {
		typ, id, t = "ExecutionRedriven", le.offset+1, rec.RedriveDate
	}
	s.publish(ExecutionEvent{ExecutionARN: rec.ARN, StateMachineARN: rec.StateMachineARN, Name: rec.Name,
		Status: StatusRunning, EventType: typ, EventID: id, Time: t})
	for _, ev := range le.held {
		s.publish(ev)
	}
	le.held, le.announced = nil, true
}

// watch waits for an execution to end and commits its final record.
func (s *Service) watch(le *liveExec) {
	defer s.wg.Done()
	<-le.run.done()
	res := le.run.result()
	le.mu.Lock()
	if le.detached {
		le.mu.Unlock()
		s.forget(le)
		close(le.done)
		return
	}
	x := le.rec
	x.Status, x.Output, x.HasOutput, x.Error, x.Cause, x.StopDate = res.Status, res.Output, res.HasOutput, res.Error, res.Cause, res.Stop
	le.rec = x
	err := s.st.PutExecution(x)
	le.mu.Unlock()
	if err == nil {
		err = s.st.Flush(context.Background())
	}
	if err != nil {
		s.log.Error("store execution result", zap.String("execution_arn", x.ARN), zap.Error(err))
	}
	s.eng.forget(x.ARN)
	s.forget(le)
	close(le.done)
	s.emit(le, ExecutionEvent{ExecutionARN: x.ARN, StateMachineARN: x.StateMachineARN, Name: x.Name,
		Status: x.Status, Time: x.StopDate})
}

func (s *Service) forget(le *liveExec) { s.live.Delete(le.rec.ARN) }

// WaitExecution blocks until the execution is closed and its record
// committed, or ctx is done. It returns at once for a closed execution.
func (s *Service) WaitExecution(ctx context.Context, arn string) error {
	if v, ok := s.live.Load(arn); ok {
		select {
		case <-v.(*liveExec).done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if _, err := s.st.Execution(arn); err != nil {
		return notFoundExec(arn, err)
	}
	return nil
}

// StoreStats reports the store writer's commit counts.
func (s *Service) StoreStats() store.Stats { return s.st.Stats() }
