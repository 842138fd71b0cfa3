package sfnapi

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
)

// Resume continues every execution the store lists as RUNNING: those a
// previous process left when it was killed, crashed or closed before they
// ended. Each continues from its recorded history (see sfn.Resume). Call
// it once, after New, when the functions and topics the executions use
// exist. It returns how many executions it resumed. An execution whose
// history cannot be continued is closed as FAILED with error
// ErrNameStackStopped and a cause that says why; one whose history ends
// with its last event is closed as that event says.
func (s *Service) Resume(ctx context.Context) (int, error) {
	var running []store.Execution
	err := s.st.Executions(func(x *store.Execution) error {
		if x.Status == StatusRunning {
			running = append(running, *x)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sfnapi: resume: %w", err)
	}
	n := 0
	for _, x := range running {
		if _, ok := s.live.Load(x.ARN); ok {
			continue // resumed already
		}
		if x.MapRunARN != "" {
			// A Distributed Map's child is not resumed on its own: its
			// parent resumes, and its Map Run runs the items again as
			// new children.
			if err := s.failUnresumable(x, "it is a child execution of a Distributed Map, whose Map Run runs its items again"); err != nil {
				return n, fmt.Errorf("sfnapi: resume %s: %w", x.ARN, err)
			}
			continue
		}
		_, err := s.continueExecution(ctx, x, false)
		var nr *notResumableError
		switch {
		case err == nil:
			n++
		case errors.As(err, &nr):
			err = s.failUnresumable(x, nr.msg)
		case errors.Is(err, errEnded):
			err = nil
		}
		if err != nil {
			return n, fmt.Errorf("sfnapi: resume %s: %w", x.ARN, err)
		}
	}
	if n > 0 {
		s.log.Info("executions resumed from their recorded history", zap.Int("executions", n))
	}
	return n, nil
}

// errEnded reports an execution whose recorded history ends with its last
// event: continueExecution closed its record as that event says.
var errEnded = errors.New("sfnapi: the execution had ended")

// continueExecution starts the engine on a stored execution's history:
// a resume, or with redrive a redrive (rec is the record to store, with
// its redrive count). The run's record is queued with its first event.
func (s *Service) continueExecution(ctx context.Context, rec store.Execution, redrive bool) (*liveExec, error) {
	def, err := s.st.Definition(rec.DefinitionHash)
	if err != nil {
		return nil, &notResumableError{msg: "its definition is not stored: " + err.Error()}
	}
	p, err := s.parsedFor(def)
	if err != nil {
		return nil, &notResumableError{msg: "its definition does not parse: " + err.Error()}
	}
	input, err := decodeInput(rec.Input)
	if err != nil {
		return nil, &notResumableError{msg: "its input is not JSON: " + err.Error()}
	}
	if err := s.st.Flush(ctx); err != nil {
		return nil, err
	}
	events, err := s.st.Events(rec.ARN, false, 0, 0)
	if err != nil {
		return nil, err
	}
	var last int64
	if n := len(events); n > 0 {
		last = events[n-1].ID
		if !redrive && closesRun(events[n-1].Type) {
			// The run ended, but the process stopped before its record
			// was updated.
			return nil, s.closeAsRecorded(rec, events[n-1])
		}
	}
	le := &liveExec{rec: rec, lastID: last, redrive: rec.RedriveCount, started: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, &APIError{Status: 503, Code: codeServiceUnavailable, Message: "the local stack is shutting down"}
	}
	if _, ok := s.live.Load(rec.ARN); ok {
		s.mu.Unlock()
		return nil, apiErr(codeExecutionNotRedrivable, "Execution is RUNNING and cannot be redriven")
	}
	s.live.Store(rec.ARN, le)
	s.wg.Add(1)
	s.mu.Unlock()

	var role string
	if sm, err := s.st.StateMachine(rec.StateMachineARN); err == nil {
		role = sm.RoleARN
	}
	r, err := s.eng.resume(ctx, p, input, resumeOpts{
		startOpts: startOpts{Name: rec.Name, StateMachineARN: rec.StateMachineARN, StateMachineName: rec.StateMachineName, RoleARN: role},
		start:     rec.StartDate, events: events, redrive: redrive, redriveCount: rec.RedriveCount,
	})
	if err != nil {
		le.startErr = err
		s.live.Delete(rec.ARN)
		close(le.started)
		close(le.done)
		s.wg.Done()
		return nil, err
	}
	le.mu.Lock()
	le.run = r
	le.mu.Unlock()
	close(le.started)
	go s.watch(le)
	err = s.st.Flush(ctx)
	s.started(le)
	if !redrive {
		s.log.Info("execution resumed", zap.String("execution_arn", rec.ARN), zap.Int64("last_event_id", last))
	}
	return le, err
}

func closesRun(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
		return true
	}
	return false
}

// closeAsRecorded closes a record as its history's last event says.
func (s *Service) closeAsRecorded(x store.Execution, ev store.Event) error {
	d, err := fromStoreEvent(ev)
	if err != nil {
		return s.failUnresumable(x, "its last event is damaged: "+err.Error())
	}
	str := func(k string) string { v, _ := d.Details[k].(string); return v }
	switch ev.Type {
	case "ExecutionSucceeded":
		x.Status, x.Output, x.HasOutput = StatusSucceeded, str("output"), true
	case "ExecutionFailed":
		x.Status = StatusFailed
	case "ExecutionTimedOut":
		x.Status = StatusTimedOut
	case "ExecutionAborted":
		x.Status = StatusAborted
	}
	x.Error, x.Cause, x.StopDate = str("error"), str("cause"), ev.Timestamp
	if err := s.st.PutExecution(x); err != nil {
		return err
	}
	if err := s.st.Flush(context.Background()); err != nil {
		return err
	}
	s.log.Info("execution had ended before the stop", zap.String("execution_arn", x.ARN), zap.String("status", x.Status))
	return errEnded
}

// failUnresumable closes an execution that cannot be continued as FAILED
// (ErrNameStackStopped), with an ExecutionFailed event after its last.
func (s *Service) failUnresumable(x store.Execution, why string) error {
	last, err := s.st.LastEventID(x.ARN)
	if err != nil {
		return err
	}
	cause := fmt.Sprintf("The local stack stopped while this execution was running (last recorded event: #%d), "+
		"and could not resume it: %s. Start it again.", last, why)
	in := store.Interrupt{Error: ErrNameStackStopped, Now: s.eng.now(), Cause: func(*store.Execution, int64) string { return cause }}
	if _, err := s.st.FailExecution(x, last, in); err != nil {
		return err
	}
	s.log.Warn("execution could not be resumed; marked failed", zap.String("execution_arn", x.ARN), zap.String("reason", why))
	return s.st.Flush(context.Background())
}
