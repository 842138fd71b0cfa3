// Package sfnapi is the local stack's Step Functions service: an
// http.Handler speaking the Step Functions JSON 1.0 protocol (POST /,
// X-Amz-Target: AWSStepFunctions.<Op>) in front of the ASL engine in
// internal/sfn, with state machines, executions and histories kept in a
// bbolt file (see package store) so that a restart loses nothing.
//
// Durability: each history event is queued to the store as the engine
// records it, in id order, and group-committed within milliseconds (one
// fsynced bbolt transaction per commit), so whatever a crash leaves of a
// history is a prefix of it. An execution's record is queued before its
// first event, and StartExecution returns only after it is committed.
//
// Restarts: an execution that was RUNNING when the process stopped (kill
// -9, a crash, or Close once its drain bound expires) stays RUNNING in the
// store, and Resume continues it from its recorded history, as AWS never
// fails a Standard execution because a host stopped (see sfn.Resume):
// completed states are not run again, a task that was in flight is
// invoked again (at-least-once), a Wait ends when it would have. Only an
// execution whose history cannot be continued (its definition is gone,
// its history damaged) is closed as FAILED with error
// "Local.StackStopped" (ErrNameStackStopped) and a cause that says why.
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

// ErrNameStackStopped is the error of an execution that was running when
// the local stack stopped and could not be resumed.
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
	// childDefs maps a running Map Run to its item processor's
	// definition hash.
	childDefs sync.Map

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
	redrive  int   // redrive count (0: not redriven)
	detached bool  // left running by Close: engine events are ignored
	ended    bool  // the engine recorded the execution's last event
	// first is the run's first event (ExecutionStarted or
	// ExecutionRedriven; nil when resumed), published by started once
	// the record is committed; events before that are held.
	first     *ExecutionEvent
	announced bool
	held      []ExecutionEvent
	// started is closed once run is set or the start failed (startErr).
	started  chan struct{}
	startErr error
	done     chan struct{} // closed after the final record is committed
}

// New opens the store under cfg.DataDir and builds the engine from engCfg
// (nil: the engine's defaults). Region and AccountID of engCfg are
// overridden by cfg's; an OnEvent set in engCfg is still called.
// Executions a previous process left RUNNING are continued by Resume.
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
	s.eng, err = newEngine(engCfg, cfg.Region, cfg.AccountID, engineHooks{onEvent: s.onEvent, onChild: s.onChild, onMapRun: s.onMapRun})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return s, nil
}

// Close stops accepting executions, waits until running executions end
// or ctx is done, then stops the engine and closes the store. Executions
// still running are left RUNNING with what they recorded so far, for
// Resume on the next start.
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
	var errs []error
	left := 0
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
			// What the engine records from now on (the aborts of the
			// shutdown) is not the execution's: it resumes from here.
			le.detached = true
			left++
			s.log.Info("execution still running at close; it resumes on the next start",
				zap.String("execution_arn", le.rec.ARN), zap.Int64("last_event_id", le.lastID))
		}
		le.mu.Unlock()
		return true
	})
	if left > 0 {
		s.log.Info("executions left running for the next start", zap.Int("executions", left))
	}
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
	first := ev.Type == "ExecutionStarted" || ev.Type == "ExecutionRedriven"
	if first {
		// The record is queued before the run's first event, so the
		// store never holds events of a run it does not list as RUNNING.
		if ev.Type == "ExecutionStarted" {
			le.rec.StartDate = ev.Timestamp
		} else {
			le.rec.RedriveDate = ev.Timestamp
		}
		if err := s.st.PutExecution(le.rec); err != nil {
			s.log.Error("store execution", zap.String("execution_arn", arn), zap.Error(err))
		}
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
	xev := ExecutionEvent{ExecutionARN: arn, StateMachineARN: rec.StateMachineARN, Name: rec.Name,
		Status: StatusRunning, EventType: ev.Type, EventID: ev.ID, Time: ev.Timestamp}
	if first {
		// Published once the record is committed (see started).
		le.first = &xev
		le.mu.Unlock()
		return
	}
	le.mu.Unlock()
	s.emit(le, xev)
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

// started publishes a run's first event after the execution's record is
// committed, so a subscriber can always DescribeExecution it, then the
// events held meanwhile.
func (s *Service) started(le *liveExec) {
	le.mu.Lock()
	defer le.mu.Unlock()
	if le.first != nil {
		s.publish(*le.first)
	}
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
