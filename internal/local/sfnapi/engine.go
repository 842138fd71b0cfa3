package sfnapi

// This file wraps the engine (internal/sfn): the service runs, parses and
// validates through the types below, so most engine changes are absorbed
// here. The one other use is New in service.go, which takes the caller's
// *sfn.Config and hands it to newEngine.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
	"github.com/imgflow/imgflow/internal/sfn"
)

// diagnostic is one ValidateStateMachineDefinition finding.
type diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// engine wraps *sfn.Engine.
type engine struct {
	e   *sfn.Engine
	clk sfn.Clock
}

// run is a started execution.
type run struct{ x *sfn.Execution }

// runResult is a finished execution's outcome.
type runResult struct {
	Status      string
	Output      string
	HasOutput   bool
	Error       string
	Cause       string
	Start, Stop time.Time
}

// startOpts names an execution for the engine.
type startOpts struct {
	Name, StateMachineARN, StateMachineName, RoleARN string
}

// Engine errors, translated to API errors by the caller.
var (
	errEngineAlreadyRunning = errors.New("execution already running in engine")
	errTaskNotFound         = errors.New("task token not found")
)

// notResumableError explains why a stored execution cannot be continued.
type notResumableError struct{ msg string }

func (e *notResumableError) Error() string { return "cannot continue the execution: " + e.msg }

// invalidInputError is execution or task output that is not JSON.
type invalidInputError struct{ msg string }

func (e *invalidInputError) Error() string { return e.msg }

// engineHooks are the service's engine callbacks: every history event,
// each Distributed Map child execution and Map Run.
type engineHooks struct {
	onEvent  func(arn string, ev store.Event)
	onChild  func(x *sfn.Execution)
	onMapRun func(sfn.MapRunInfo)
}

// newEngine builds the engine from cfg, adding onEvent to any OnEvent
// the caller set. Region and AccountID come from the service.
func newEngine(cfg *sfn.Config, region, account string, h engineHooks) (*engine, error) {
	var c sfn.Config
	if cfg == nil {
		c = *sfn.NewDefaultConfig()
	} else {
		c = *cfg
	}
	c.Region, c.AccountID = region, account
	prev := c.OnEvent
	c.OnChildExecution, c.OnMapRun = h.onChild, h.onMapRun
	c.OnEvent = func(arn string, ev sfn.Event) {
		h.onEvent(arn, toStoreEvent(ev))
		if prev != nil {
			prev(arn, ev)
		}
	}
	e, err := sfn.New(&c)
	if err != nil {
		return nil, fmt.Errorf("sfnapi: engine: %w", err)
	}
	return &engine{e: e, clk: c.Clock}, nil
}

func toStoreEvent(ev sfn.Event) store.Event {
	se := store.Event{ID: ev.ID, PreviousID: ev.PreviousEventID, Timestamp: ev.Timestamp, Type: ev.Type}
	// The first state's entered event has previousEventId 0, as AWS
	// records it (380 of the 381 recorded histories in the conformance
	// cases): the engine's ids are kept as they are.
	if ev.Details != nil {
		b, err := json.Marshal(ev.Details)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": "States.Runtime", "cause": "unencodable event details: " + err.Error()})
		}
		se.Details = b
	}
	return se
}

func (g *engine) now() time.Time { return g.clk.Now() }

// validate returns every problem in def (empty when valid).
func validateDefinition(def string) []diagnostic {
	var out []diagnostic
	for _, d := range sfn.Validate([]byte(def)) {
		out = append(out, diagnostic{Severity: d.Severity, Code: d.Code, Message: d.Message, Location: d.Location})
	}
	if len(out) == 0 {
		// Validate is expected to parse, but make sure a definition
		// that cannot run is never accepted.
		if _, err := sfn.ParseDefinition([]byte(def)); err != nil {
			out = append(out, diagnostic{Severity: "ERROR", Code: "SCHEMA_VALIDATION_FAILED", Message: err.Error(), Location: "/"})
		}
	}
	return out
}

// parsed is a parsed definition, reusable across executions.
type parsed struct{ d *sfn.Definition }

func parse(def string) (*parsed, error) {
	d, err := sfn.ParseDefinition([]byte(def))
	if err != nil {
		return nil, err
	}
	return &parsed{d: d}, nil
}

// decodeInput checks that input is JSON and decodes it for start.
func decodeInput(input string) (any, error) {
	v, err := sfn.DecodeJSON([]byte(input))
	if err != nil {
		return nil, &invalidInputError{msg: err.Error()}
	}
	return v, nil
}

// start starts an execution of p with the decoded input.
func (g *engine) start(ctx context.Context, p *parsed, input any, o startOpts) (*run, error) {
	x, err := g.e.StartParsed(ctx, p.d, input, sfn.StartOptions{
		Name: o.Name, StateMachineARN: o.StateMachineARN, StateMachineName: o.StateMachineName, RoleARN: o.RoleARN,
	})
	if err != nil {
		var ae *sfn.ExecutionAlreadyExistsError
		var ie *sfn.InvalidInputError
		switch {
		case errors.As(err, &ae):
			return nil, errEngineAlreadyRunning
		case errors.As(err, &ie):
			return nil, &invalidInputError{msg: ie.Msg}
		}
		return nil, err
	}
	return &run{x: x}, nil
}

// resumeOpts describe a stored execution to continue (see sfn.Resume).
type resumeOpts struct {
	startOpts
	start        time.Time
	events       []store.Event // its stored history, ids 1..n
	redrive      bool
	redriveCount int
}

// resume continues a stored execution of p from its history: resumed
// after a restart, or redriven. Errors other than ctx's mean the history
// cannot be continued.
func (g *engine) resume(ctx context.Context, p *parsed, input any, o resumeOpts) (*run, error) {
	hist := make([]sfn.Event, len(o.events))
	for i, ev := range o.events {
		e, err := fromStoreEvent(ev)
		if err != nil {
			return nil, &notResumableError{msg: "its history is damaged: " + err.Error()}
		}
		hist[i] = e
	}
	x, err := g.e.Resume(ctx, p.d, input, sfn.ResumeOptions{
		StartOptions: sfn.StartOptions{Name: o.Name, StateMachineARN: o.StateMachineARN, StateMachineName: o.StateMachineName, RoleARN: o.RoleARN},
		Start:        o.start, History: hist, Redrive: o.redrive, RedriveCount: o.redriveCount,
	})
	if err != nil {
		var ae *sfn.ExecutionAlreadyExistsError
		var re *sfn.ResumeError
		switch {
		case errors.As(err, &ae):
			return nil, errEngineAlreadyRunning
		case errors.As(err, &re):
			return nil, &notResumableError{msg: re.Msg}
		}
		return nil, err
	}
	return &run{x: x}, nil
}

// fromStoreEvent is toStoreEvent's inverse.
func fromStoreEvent(se store.Event) (sfn.Event, error) {
	ev := sfn.Event{ID: se.ID, PreviousEventID: se.PreviousID, Timestamp: se.Timestamp, Type: se.Type}
	if len(se.Details) > 0 {
		v, err := sfn.DecodeJSON(se.Details)
		if err != nil {
			return ev, fmt.Errorf("event #%d: %w", se.ID, err)
		}
		d, ok := v.(map[string]any)
		if !ok {
			return ev, fmt.Errorf("event #%d: details are not an object", se.ID)
		}
		ev.Details = d
	}
	return ev, nil
}

func (r *run) arn() string                { return r.x.ARN() }
func (r *run) done() <-chan struct{}      { return r.x.Done() }
func (r *run) stop(errName, cause string) { r.x.Stop(errName, cause) }

func (r *run) result() runResult {
	res := r.x.Result()
	return runResult{
		Status: string(res.Status), Output: res.Output, HasOutput: res.Status == sfn.StatusSucceeded,
		Error: res.Error, Cause: res.Cause, Start: res.StartDate, Stop: res.StopDate,
	}
}

func (g *engine) sendTaskSuccess(token, output string) error {
	return g.tokenErr(g.e.SendTaskSuccess(token, []byte(output)))
}

func (g *engine) sendTaskFailure(token, errName, cause string) error {
	return g.tokenErr(g.e.SendTaskFailure(token, errName, cause))
}

func (g *engine) sendTaskHeartbeat(token string) error {
	return g.tokenErr(g.e.SendTaskHeartbeat(token))
}

func (g *engine) tokenErr(err error) error {
	var ie *sfn.InvalidInputError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sfn.ErrTaskTokenNotFound):
		return errTaskNotFound
	case errors.As(err, &ie):
		return &invalidInputError{msg: ie.Msg}
	}
	return err
}

// forget drops a finished execution from the engine's memory once its
// record is durable; the name can then be run again (redrive).
func (g *engine) forget(arn string) { g.e.Forget(arn) }

// shutdown stops whatever still runs and waits for the goroutines.
func (g *engine) shutdown(ctx context.Context) error { return g.e.Shutdown(ctx) }

// detailsKey is the JSON key of an event type's details
// ("taskFailedEventDetails", "stateEnteredEventDetails", ...).
func detailsKey(typ string) string {
	if typ == "" {
		return ""
	}
	e := sfn.Event{Type: typ}
	return e.DetailsKey()
}
