package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Execution is one running or finished execution. Its methods are safe
// for concurrent use; accessors return copies.
type Execution struct {
	eng    *Engine
	def    *Definition
	defRaw []byte // the definition as submitted, when known
	arn    string
	opts   StartOptions
	input  any
	start  time.Time
	hist   *history

	// replay is the recorded history a resumed execution replays (nil
	// for a new one); redrivenID is the ExecutionRedriven event of a
	// redrive and redriveCount $$.Execution.RedriveCount.
	replay       *replay
	redrivenID   int64
	redriveCount int

	cancel        context.CancelCauseFunc
	cancelTimeout context.CancelFunc
	done          chan struct{}

	// mapRunARN and parentARN are set on a Distributed Map's child.
	mapRunARN, parentARN string

	ctxOnce sync.Once
	ctxExec map[string]any

	rngMu sync.Mutex
	rng   *rand.Rand

	mu     sync.Mutex
	status Status
	output any
	errName,
	cause string
	stop time.Time
}

// ARN returns the execution ARN.
func (x *Execution) ARN() string { return x.arn }

// Status returns the current status.
func (x *Execution) Status() Status {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.status
}

// Done is closed when the execution has finished.
func (x *Execution) Done() <-chan struct{} { return x.done }

// Wait blocks until the execution finishes or ctx is done.
func (x *Execution) Wait(ctx context.Context) (Result, error) {
	select {
	case <-x.done:
		return x.Result(), nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Result is a snapshot of an execution's outcome.
type Result struct {
	Status Status `json:"status"`
	// Output is the JSON output (SUCCEEDED only).
	Output string `json:"output,omitempty"`
	// Error and Cause describe a failure (FAILED, TIMED_OUT, ABORTED).
	Error     string    `json:"error,omitempty"`
	Cause     string    `json:"cause,omitempty"`
	StartDate time.Time `json:"startDate"`
	StopDate  time.Time `json:"stopDate,omitzero"`
}

// Result returns the current outcome snapshot.
func (x *Execution) Result() Result {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := Result{Status: x.status, Error: x.errName, Cause: x.cause, StartDate: x.start, StopDate: x.stop}
	if x.status == StatusSucceeded {
		r.Output = encodeJSON(x.output)
	}
	return r
}

// MapRunARN is the Map Run a child execution belongs to ("" for an
// execution started directly).
func (x *Execution) MapRunARN() string { return x.mapRunARN }

// ParentARN is the execution whose Distributed Map started this child
// ("" for an execution started directly).
func (x *Execution) ParentARN() string { return x.parentARN }

// StateMachineARN is the execution's state machine; a child's is
// <parent machine>/<Map label>.
func (x *Execution) StateMachineARN() string { return x.opts.StateMachineARN }

// Name is the execution's name.
func (x *Execution) Name() string { return x.opts.Name }

// Definition is the ASL the execution runs, as JSON (a child's is its
// Map's item processor).
func (x *Execution) Definition() string { return x.defJSON() }

// Input is the execution input as JSON.
func (x *Execution) Input() string { return encodeJSON(x.input) }

// outputValue is a succeeded execution's output.
func (x *Execution) outputValue() any {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.output
}

// runChild runs a Distributed Map's child execution in the caller's
// goroutine; ctx is the one newChild made.
func (x *Execution) runChild(ctx context.Context) {
	_, _ = x.hist.addAt(x.start, 0, "ExecutionStarted", map[string]any{
		"input":        encodeJSON(x.input),
		"inputDetails": map[string]any{"truncated": false},
		"roleArn":      x.opts.RoleARN,
	})
	x.run(ctx)
}

// History returns a copy of the events recorded so far.
func (x *Execution) History() []Event { return x.hist.snapshot() }

// Record is the serialisable state of an execution, for a durable store.
type Record struct {
	ARN             string    `json:"executionArn"`
	Name            string    `json:"name"`
	StateMachineARN string    `json:"stateMachineArn"`
	Status          Status    `json:"status"`
	Input           string    `json:"input"`
	Output          string    `json:"output,omitempty"`
	Error           string    `json:"error,omitempty"`
	Cause           string    `json:"cause,omitempty"`
	StartDate       time.Time `json:"startDate"`
	StopDate        time.Time `json:"stopDate,omitzero"`
	// Definition is the ASL the execution runs (for a restart).
	Definition string  `json:"definition,omitempty"`
	Events     []Event `json:"events,omitempty"`
	// MapRunARN is set on a Distributed Map's child.
	MapRunARN string `json:"mapRunArn,omitempty"`
}

// Record returns the execution's serialisable record including history.
func (x *Execution) Record() Record {
	r := x.Result()
	return Record{
		ARN: x.arn, Name: x.opts.Name, StateMachineARN: x.opts.StateMachineARN,
		Status: r.Status, Input: encodeJSON(x.input), Output: r.Output, Error: r.Error, Cause: r.Cause,
		StartDate: r.StartDate, StopDate: r.StopDate, Events: x.History(), Definition: x.defJSON(),
		MapRunARN: x.mapRunARN,
	}
}

// errAborted is the cancellation cause used by Stop.
type abortCause struct{ err, cause string }

func (a *abortCause) Error() string { return "aborted: " + a.err }

// Stop aborts a running execution (StopExecution).
func (x *Execution) Stop(errName, cause string) {
	x.cancel(&abortCause{errName, cause})
}

func (x *Execution) run(ctx context.Context) {
	defer close(x.done)
	defer x.cancel(nil)
	// An execution is a process boundary like a Lambda invocation: a bug
	// must fail this execution, not the server hosting it.
	defer func() {
		if r := recover(); r != nil {
			x.hist.add(x.hist.lastID(), "ExecutionFailed", map[string]any{"error": ErrRuntime, "cause": fmt.Sprintf("internal error: %v", r)})
			x.setEnd(StatusFailed, nil, ErrRuntime, fmt.Sprintf("internal error: %v", r), x.eng.cfg.Clock.Now())
		}
	}()
	if x.cancelTimeout != nil {
		defer x.cancelTimeout()
	}
	f := &frame{ex: x, hist: x.hist, def: x.def, vars: newVarScope(nil), prev: 0,
		replaying: x.replay != nil, liveFrom: x.redrivenID}
	out, err := f.run(ctx, x.input)
	x.finish(ctx, f, out, err)
}

func (x *Execution) finish(ctx context.Context, f *frame, out any, err error) {
	clk := x.eng.cfg.Clock
	var ab *abortCause
	cause := context.Cause(ctx)
	switch {
	case err == nil:
		if n := x.eng.cfg.MaxPayloadBytes; n > 0 && payloadSize(out) > n {
			err = newErr(ErrDataLimitExceeded, "The state/task returned a result with a size exceeding the maximum number of bytes service limit.")
			break
		}
		x.hist.add(x.hist.lastID(), "ExecutionSucceeded", payloadDetails("output", out))
		x.setEnd(StatusSucceeded, out, "", "", clk.Now())
		return
	case errors.As(cause, &ab):
		d := map[string]any{}
		if ab.err != "" {
			d["error"] = ab.err
		}
		if ab.cause != "" {
			d["cause"] = ab.cause
		}
		x.hist.add(x.hist.lastID(), "ExecutionAborted", d)
		x.setEnd(StatusAborted, nil, ab.err, ab.cause, clk.Now())
		return
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || isExecTimeout(err) || (isCtxErr(err) && x.def.TimeoutSeconds != nil):
		d := map[string]any{"error": ErrTimeout, "cause": "The execution has timed out."}
		x.hist.add(x.hist.lastID(), "ExecutionTimedOut", d)
		x.setEnd(StatusTimedOut, nil, ErrTimeout, "The execution has timed out.", clk.Now())
		return
	}
	se := asStatesError(err)
	d := map[string]any{}
	if !se.NoName {
		d["error"] = se.Name
	}
	if se.HasCause && (se.Cause != "" || se.Name != ErrTimeout) {
		d["cause"] = se.Cause
	}
	x.hist.add(x.hist.lastID(), "ExecutionFailed", d)
	name := se.Name
	if se.NoName {
		name = ""
	}
	x.setEnd(StatusFailed, nil, name, se.Cause, clk.Now())
}

func isExecTimeout(err error) bool {
	var se *StatesError
	return errors.As(err, &se) && se == errExecTimeout
}

var errExecTimeout = &StatesError{Name: ErrTimeout}

func (x *Execution) setEnd(s Status, out any, errName, cause string, t time.Time) {
	x.mu.Lock()
	x.status, x.output, x.errName, x.cause, x.stop = s, out, errName, cause, t
	x.mu.Unlock()
}

// contextExecution is $$.Execution, built once.
func (x *Execution) contextExecution() map[string]any {
	x.ctxOnce.Do(func() {
		x.ctxExec = map[string]any{
			"Id": x.arn, "Input": x.input, "Name": x.opts.Name, "RoleArn": x.opts.RoleARN,
			"StartTime": fmtTime(x.start), "RedriveCount": json.Number(itoa(x.redriveCount)),
		}
	})
	return x.ctxExec
}

func (x *Execution) defJSON() string {
	if len(x.defRaw) > 0 {
		return string(x.defRaw)
	}
	b, err := json.Marshal(x.def)
	if err != nil {
		return ""
	}
	return string(b)
}

func (x *Execution) randInt64N(n int64) int64 {
	x.rngMu.Lock()
	defer x.rngMu.Unlock()
	return x.rng.Int64N(n)
}

func (x *Execution) randFloat() float64 {
	x.rngMu.Lock()
	defer x.rngMu.Unlock()
	return x.rng.Float64()
}
