package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// frame runs one workflow: the top-level state machine, a Parallel
// branch or a Map iteration. It tracks its own previousEventId.
type frame struct {
	ex   *Execution
	hist *history
	def  *Definition
	vars *varScope
	prev int64
	// mapItem is $$.Map.Item inside a Map iteration.
	mapItem map[string]any
	// inParallel is set on Parallel branch frames.
	inParallel bool

	// Replay (see replay.go). replaying is set while the frame takes its
	// events from the record of a resumed execution.
	replaying bool
	parent    *frame
	// park holds a fan-out job at the end of its record; nil for the
	// top frame.
	park *parker
	// high is the newest recorded event replayed by this frame or its
	// children (guarded by replay.mu).
	high int64
	// fuzzy is set after a replayed fan-out: prev is a guess and the
	// frame's next recorded event chains to any event from high on.
	fuzzy bool
	// prevTime is the timestamp of the recorded event prev.
	prevTime time.Time
	// liveFrom, on the top frame of a redrive, is the ExecutionRedriven
	// event the first new state chains to.
	liveFrom int64
}

// child returns a frame for a Parallel branch or Map iteration of f,
// starting after the event prev; p parks it in a replayed fan-out.
func (f *frame) child(def *Definition, prev int64, p *parker) *frame {
	return &frame{ex: f.ex, hist: f.hist, def: def, vars: newVarScope(f.vars), prev: prev,
		replaying: f.replaying, parent: f, park: p}
}

// record records an event chained to prev or, while the frame replays,
// takes the recorded one; replayed reports which.
func (f *frame) record(prev int64, typ string, d map[string]any) (ev Event, replayed bool, err error) {
	if f.replaying {
		if ev, ok := f.take(prev, typ, d); ok {
			return ev, true, nil
		}
		// The record ends here for this frame. If the run it belongs to
		// ended (a redrive, or a later redrive is recorded), the frame
		// was stopped here. Otherwise it goes live; before it acts, it
		// waits for its turn (see waitTurn).
		if f.ex.replay.interrupted() {
			f.waitTurn()
			return Event{}, false, errReplayAborted
		}
		f.replaying = false
	}
	id, err := f.hist.add(prev, typ, d)
	return Event{ID: id, PreviousEventID: prev, Type: typ, Details: d}, false, err
}

// emitDetached records an event chained to prev without advancing the
// frame (AWS does this for *StateSucceeded and MapRunSucceeded).
func (f *frame) emitDetached(prev int64, typ string, d map[string]any) (int64, error) {
	ev, _, err := f.record(prev, typ, d)
	return ev.ID, err
}

func (f *frame) emit(typ string, d map[string]any) error {
	_, _, err := f.emitEvent(typ, d)
	return err
}

// emitEvent is emit returning the event and whether it was replayed.
func (f *frame) emitEvent(typ string, d map[string]any) (Event, bool, error) {
	ev, replayed, err := f.record(f.prev, typ, d)
	if err != nil {
		return ev, replayed, err
	}
	f.prev = ev.ID
	return ev, replayed, nil
}

// afterFanOut moves the frame past the events of its branches or
// iterations: its next event chains to the newest one.
func (f *frame) afterFanOut() {
	f.prev = f.hist.lastID()
	f.fuzzy = f.replaying
}

// run executes the workflow from StartAt with the given input.
func (f *frame) run(ctx context.Context, input any) (any, error) {
	name := f.def.StartAt
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st := f.def.States[name]
		if st == nil {
			return nil, newErrf(ErrRuntime, "State '%s' does not exist", name)
		}
		out, next, err := f.runState(ctx, st, input)
		if err != nil && f.replaying && f.parent == nil && ctx.Err() == nil {
			// The record ends with this top-level state failing. It
			// was run again after a redrive (the next recorded one), or
			// is run again now by this one.
			if id, ok := f.ex.replay.takeRedriven(); ok {
				f.prev, f.fuzzy = id, false
				continue
			}
			if f.liveFrom != 0 {
				f.replaying, f.fuzzy, f.prev, f.liveFrom = false, false, f.liveFrom, 0
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		name, input = next, out
	}
}

// isCtxErr reports a cancellation or (possibly virtual) deadline that is
// not a States error.
func isCtxErr(err error) bool {
	var se *StatesError
	if errors.As(err, &se) {
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// runtimeCtx is the per-state evaluation context.
type runtimeCtx struct {
	f           *frame
	st          *State
	enteredID   int64
	enteredPrev int64 // previousEventId of the Entered event
	enteredTime time.Time
	retryCount  int
	taskToken   string
	rand        randSource
	// input is the raw state input.
	input any
	// ctxCache is $$ for (ctxRetry, ctxToken).
	ctxCache map[string]any
	ctxRetry int
	ctxToken string
	// failedEvent is the "<Type>StateFailed" event a failed Parallel or
	// Map attempt leaves for the lifecycle to record once the state stops
	// retrying; a retried attempt drops it.
	failedEvent string
}

type randSource interface{ Int64N(n int64) int64 }

type execRand struct{ x *Execution }

func (r execRand) Int64N(n int64) int64 { return r.x.randInt64N(n) }

func (rt *runtimeCtx) stateCause(msg string) string {
	return stateCause(rt.st.Name, rt.enteredID, msg)
}

func (rt *runtimeCtx) uuid() string       { return rt.f.ex.eng.cfg.NewUUID() }
func (rt *runtimeCtx) randFloat() float64 { return rt.f.ex.randFloat() }

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// contextObject builds $$ for the current state. It is cached for the
// current attempt (values are never mutated in place).
func (rt *runtimeCtx) contextObject() map[string]any {
	if rt.ctxCache != nil && rt.ctxRetry == rt.retryCount && rt.ctxToken == rt.taskToken {
		return rt.ctxCache
	}
	x := rt.f.ex
	c := map[string]any{
		"Execution":    x.contextExecution(),
		"State":        map[string]any{"EnteredTime": fmtTime(rt.enteredTime), "Name": rt.st.Name},
		"StateMachine": map[string]any{"Id": x.opts.StateMachineARN, "Name": x.opts.StateMachineName},
	}
	if rt.st.shape.retry {
		c["State"].(map[string]any)["RetryCount"] = json.Number(fmt.Sprint(rt.retryCount))
	}
	if rt.taskToken != "" {
		c["Task"] = map[string]any{"Token": rt.taskToken}
	}
	if rt.f.mapItem != nil {
		c["Map"] = map[string]any{"Item": rt.f.mapItem}
	}
	rt.ctxCache, rt.ctxRetry, rt.ctxToken = c, rt.retryCount, rt.taskToken
	return c
}

func (rt *runtimeCtx) scope(input any) *scope {
	return &scope{input: input, ctx: rt.contextObject(), vars: rt.f.vars}
}

func (rt *runtimeCtx) jsonata(input any, extra map[string]any) *jsonataEnv {
	states := map[string]any{"input": input, "context": rt.contextObject()}
	for k, v := range extra {
		states[k] = v
	}
	return &jsonataEnv{states: states, vars: rt.f.vars, rt: rt}
}
