package sfnapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
)

// Redrive, as far as the engine allows: the engine cannot resume an
// execution, so a redrive starts a new engine run of the same definition
// with StartAt set to the top-level state that did not complete, fed the
// input recorded in that state's StateEntered event. Its events continue
// the execution's history (ids offset, ExecutionStarted becomes
// ExecutionRedriven) under the same ARN, and redriveCount/redriveDate
// are kept. Differences from AWS: inside the redriven run
// $$.Execution.Input is that state's input, variables assigned before it
// are gone, and a Map/Parallel state is re-run whole rather than only
// its failed iterations or branches.

// redrivable explains why an execution cannot be redriven ("" = it can).
func redrivable(x *Execution) string {
	switch x.Status {
	case StatusFailed, StatusTimedOut, StatusAborted:
		return ""
	}
	return fmt.Sprintf("Execution is %s and cannot be redriven", x.Status)
}

// RedriveExecution restarts a FAILED, TIMED_OUT or ABORTED execution
// from its unsuccessful top-level state.
func (s *Service) RedriveExecution(ctx context.Context, arn string) (time.Time, error) {
	if v, ok := s.live.Load(arn); ok {
		le := v.(*liveExec)
		select {
		case <-le.started:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
		if le.run == nil {
			return time.Time{}, apiErr(codeExecutionNotRedrivable, "Execution is RUNNING and cannot be redriven")
		}
		select {
		case <-le.run.done(): // ended; its record is being committed
		default:
			return time.Time{}, apiErr(codeExecutionNotRedrivable, "Execution is RUNNING and cannot be redriven")
		}
		select {
		case <-le.done:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
	x, err := s.DescribeExecution(ctx, arn)
	if err != nil {
		return time.Time{}, err
	}
	if why := redrivable(x); why != "" {
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "%s", why)
	}
	def, err := s.st.Definition(x.DefinitionHash)
	if err != nil {
		return time.Time{}, err
	}
	if err := s.st.Flush(ctx); err != nil {
		return time.Time{}, err
	}
	events, err := s.st.Events(arn, false, 0, 0)
	if err != nil {
		return time.Time{}, err
	}
	state, input, err := redriveStart(def, events)
	if err != nil {
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "%s", err.Error())
	}
	rdef, err := withStartAt(def, state)
	if err != nil {
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "%s", err.Error())
	}
	p, err := parse(rdef)
	if err != nil {
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "%s", err.Error())
	}
	v, err := decodeInput(input)
	if err != nil {
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "recorded state input is not JSON: %s", err.Error())
	}
	var last int64
	if len(events) > 0 {
		last = events[len(events)-1].ID
	}
	rec := *x
	rec.Status, rec.Output, rec.HasOutput, rec.Error, rec.Cause, rec.StopDate = StatusRunning, "", false, "", "", time.Time{}
	rec.RedriveCount++
	rec.RedriveDate = s.eng.now()
	le := &liveExec{rec: rec, done: make(chan struct{}), started: make(chan struct{}), offset: last, redrive: rec.RedriveCount, lastID: last}

	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return time.Time{}, &APIError{Status: 503, Code: codeServiceUnavailable, Message: "the local stack is shutting down"}
	}
	if _, ok := s.live.Load(arn); ok {
		s.mu.Unlock()
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "Execution is RUNNING and cannot be redriven")
	}
	s.live.Store(arn, le)
	s.wg.Add(1)
	s.mu.Unlock()

	r, err := s.eng.start(ctx, p, v, startOpts{Name: x.Name, StateMachineARN: x.StateMachineARN, StateMachineName: x.StateMachineName})
	if err != nil {
		le.startErr = err
		s.live.Delete(arn)
		close(le.started)
		close(le.done)
		s.wg.Done()
		return time.Time{}, err
	}
	le.mu.Lock()
	le.run = r
	err = s.st.PutExecution(le.rec)
	le.mu.Unlock()
	close(le.started)
	go s.watch(le)
	if err == nil {
		err = s.st.Flush(ctx)
	}
	s.started(le)
	return rec.RedriveDate, err
}

// redrivenEvent renumbers an event of a redriven run.
func redrivenEvent(ev store.Event, offset int64, count int) store.Event {
	if ev.Type == "ExecutionStarted" {
		d, _ := json.Marshal(map[string]int{"redriveCount": count})
		return store.Event{ID: ev.ID + offset, PreviousID: offset, Timestamp: ev.Timestamp, Type: "ExecutionRedriven", Details: d}
	}
	if ev.PreviousID == 0 {
		// The first state of the run follows the ExecutionRedriven event.
		ev.PreviousID = 1
	}
	ev.ID += offset
	ev.PreviousID += offset
	return ev
}

// redriveStart finds the last top-level state entered and its input.
func redriveStart(def string, events []store.Event) (state, input string, err error) {
	var d struct {
		States map[string]json.RawMessage `json:"States"`
	}
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		return "", "", err
	}
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if !strings.HasSuffix(ev.Type, "StateEntered") {
			continue
		}
		var det struct {
			Name  string  `json:"name"`
			Input *string `json:"input"`
		}
		if json.Unmarshal(ev.Details, &det) != nil {
			continue
		}
		if _, top := d.States[det.Name]; !top {
			continue
		}
		if det.Input == nil {
			return "", "", fmt.Errorf("the input of state %s (event #%d) was not recorded", strconv.Quote(det.Name), ev.ID)
		}
		return det.Name, *det.Input, nil
	}
	return "", "", fmt.Errorf("the execution entered no state")
}

// withStartAt returns def with StartAt replaced.
func withStartAt(def, state string) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(def), &m); err != nil {
		return "", err
	}
	b, _ := json.Marshal(state)
	m["StartAt"] = b
	out, err := json.Marshal(m)
	return string(out), err
}
