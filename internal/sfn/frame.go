package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
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
	if t := rt.st.Type; t == "Task" || t == "Parallel" || t == "Map" {
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

// stepResult is what one attempt at a state produces.
type stepResult struct {
	output  any
	next    string
	assigns map[string]any
}

// runState is the lifecycle wrapper shared by all state types:
// Entered event → input processing → run → result processing → Exited.
func (f *frame) runState(ctx context.Context, st *State, raw any) (any, string, error) {
	rt := &runtimeCtx{f: f, st: st, enteredTime: f.ex.eng.cfg.Clock.Now(), rand: execRand{f.ex}, input: raw}
	d := payloadDetails("input", raw)
	d["name"] = st.Name
	enteredPrev := f.prev
	ev, replayed, err := f.emitEvent(st.Type+"StateEntered", d)
	if err != nil {
		return nil, "", err
	}
	if replayed {
		rt.enteredTime = ev.Timestamp
	}
	rt.enteredID = f.prev
	rt.enteredPrev = enteredPrev

	attempts := make([]int, len(st.Retry))
	for {
		res, err := f.attempt(ctx, rt, raw)
		if err == nil {
			return f.exit(rt, res)
		}
		if ctx.Err() != nil || isCtxErr(err) {
			switch st.Type {
			case "Task", "Wait", "Map", "Parallel":
				_ = f.emit(st.Type+"StateAborted", nil)
			}
			return nil, "", err
		}
		se := asStatesError(err)
		f.reportEvalFailure(rt, se)
		if se.Name == ErrRuntime || (st.Type != "Task" && st.Type != "Parallel" && st.Type != "Map") {
			if se.pendingEvent != "" {
				_ = f.emit(se.pendingEvent, nil)
				c := *se
				c.pendingEvent = ""
				se = &c
			}
			return nil, "", se
		}
		if delay, ok := retryDelay(st.Retry, attempts, se.Name, rt); ok {
			if err := f.sleepAfter(ctx, st, delay); err != nil {
				return nil, "", err
			}
			rt.retryCount++
			continue
		}
		if se.pendingEvent != "" {
			if err := f.emit(se.pendingEvent, nil); err != nil {
				return nil, "", err
			}
			c := *se
			c.pendingEvent = ""
			se = &c
		}
		for _, c := range st.Catch {
			if errorMatches(c.ErrorEquals, se.Name) {
				res, err := f.catch(rt, c, raw, se)
				if err != nil {
					se2 := asStatesError(err)
					f.reportEvalFailure(rt, se2)
					return nil, "", se2
				}
				return f.exit(rt, res)
			}
		}
		if f.inParallel && st.Type == "Task" {
			_ = f.emit("TaskStateAborted", nil)
		}
		return nil, "", se
	}
}

func (f *frame) reportEvalFailure(rt *runtimeCtx, se *StatesError) {
	if !se.evalFailed || se.reported {
		return
	}
	se.reported = true
	d := map[string]any{"error": se.Name, "cause": se.Cause, "state": rt.st.Name}
	if se.location != "" {
		d["location"] = se.location
	}
	// AWS chains EvaluationFailed to the event before the state entered.
	if ev, _, err := f.record(rt.enteredPrev, "EvaluationFailed", d); err == nil {
		f.prev = ev.ID
	}
}

// exit records the Exited event and commits variable assignments.
// Replaying, the output and assignments are the recorded ones.
func (f *frame) exit(rt *runtimeCtx, res *stepResult) (any, string, error) {
	if n := f.ex.eng.cfg.MaxPayloadBytes; n > 0 && payloadSize(res.output) > n && !f.replaying {
		return nil, "", newErr(ErrDataLimitExceeded, rt.stateCause(fmt.Sprintf(
			"The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", rt.st.Name)))
	}
	d := payloadDetails("output", res.output)
	d["name"] = rt.st.Name
	if len(res.assigns) > 0 {
		av := make(map[string]any, len(res.assigns))
		for k, v := range res.assigns {
			av[k] = encodeJSON(v)
		}
		d["assignedVariables"] = av
		d["assignedVariablesDetails"] = map[string]any{"truncated": false}
	}
	ev, replayed, err := f.emitEvent(rt.st.Type+"StateExited", d)
	if err != nil {
		return nil, "", err
	}
	out, assigns := res.output, res.assigns
	if replayed {
		if out, assigns, err = recordedExit(ev); err != nil {
			return nil, "", err
		}
	}
	for k, v := range assigns {
		f.vars.set(k, v)
	}
	return out, res.next, nil
}

// recordedExit decodes the output and assigned variables of a recorded
// StateExited event.
func recordedExit(ev Event) (any, map[string]any, error) {
	out, err := recordedJSON(ev, "output")
	if err != nil {
		return nil, nil, err
	}
	av, _ := ev.Details["assignedVariables"].(map[string]any)
	var assigns map[string]any
	for k, v := range av {
		s, _ := v.(string)
		x, err := decodeJSON([]byte(s))
		if err != nil {
			return nil, nil, newErrf(ErrRuntime, "recorded event #%d: variable %s: %v", ev.ID, k, err)
		}
		if assigns == nil {
			assigns = map[string]any{}
		}
		assigns[k] = x
	}
	return out, assigns, nil
}

// recordedJSON decodes a JSON payload field of a recorded event.
func recordedJSON(ev Event, field string) (any, error) {
	s, ok := ev.Details[field].(string)
	if !ok {
		return nil, newErrf(ErrRuntime, "recorded event #%d (%s) has no %s", ev.ID, ev.Type, field)
	}
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, newErrf(ErrRuntime, "recorded event #%d (%s): %s: %v", ev.ID, ev.Type, field, err)
	}
	return v, nil
}

// attempt runs one try of the state (all processing steps).
func (f *frame) attempt(ctx context.Context, rt *runtimeCtx, raw any) (*stepResult, error) {
	st := rt.st
	if st.Type == "Task" && strings.HasSuffix(st.Resource, ".waitForTaskToken") {
		rt.taskToken = f.ex.eng.cfg.NewUUID()
	}
	if st.ql == JSONata {
		return f.attemptJSONata(ctx, rt, raw)
	}
	// InputPath
	eff, err := applyPath(rt, raw, st.InputPath, "InputPath")
	if err != nil {
		return nil, err
	}
	switch st.Type {
	case "Choice":
		rule, next, err := f.runChoice(ctx, rt, eff)
		if err != nil {
			return nil, err
		}
		assignRaw := st.Assign
		if rule != nil && len(rule.Assign) > 0 {
			assignRaw = rule.Assign
		}
		assigns, err := f.assignJSONPath(rt, assignRaw, eff)
		if err != nil {
			return nil, err
		}
		out, err := applyPath(rt, eff, st.OutputPath, "OutputPath")
		if err != nil {
			return nil, err
		}
		return &stepResult{output: out, next: next, assigns: assigns}, nil
	case "Wait":
		if err := f.runWait(ctx, rt, eff); err != nil {
			return nil, err
		}
		assigns, err := f.assignJSONPath(rt, st.Assign, eff)
		if err != nil {
			return nil, err
		}
		out, err := applyPath(rt, eff, st.OutputPath, "OutputPath")
		if err != nil {
			return nil, err
		}
		return &stepResult{output: out, next: st.Next, assigns: assigns}, nil
	case "Succeed":
		out, err := applyPath(rt, eff, st.OutputPath, "OutputPath")
		if err != nil {
			return nil, err
		}
		return &stepResult{output: out}, nil
	case "Fail":
		return nil, f.runFail(rt, raw)
	}
	// Parameters
	if st.params != nil && st.Type != "Map" {
		eff, err = st.params.eval(rt.scope(eff), rt)
		if err != nil {
			return nil, err
		}
	}
	var result any
	switch st.Type {
	case "Pass":
		if st.resultOK {
			result = st.result
		} else {
			result = eff
		}
	case "Task":
		result, err = f.runTask(ctx, rt, eff)
	case "Parallel":
		result, err = f.runParallel(ctx, rt, eff)
	case "Map":
		result, err = f.runMap(ctx, rt, eff)
	default:
		return nil, newErrf(ErrRuntime, "unsupported state type %q", st.Type)
	}
	if err != nil {
		return nil, err
	}
	if st.resSel != nil {
		result, err = st.resSel.eval(rt.scope(result), rt)
		if err != nil {
			return nil, err
		}
	}
	assigns, err := f.assignJSONPath(rt, st.Assign, result)
	if err != nil {
		return nil, err
	}
	out, err := applyResultPath(rt, raw, result, st.ResultPath)
	if err != nil {
		return nil, err
	}
	out, err = applyPath(rt, out, st.OutputPath, "OutputPath")
	if err != nil {
		return nil, err
	}
	return &stepResult{output: out, next: st.Next, assigns: assigns}, nil
}

func (f *frame) assignJSONPath(rt *runtimeCtx, raw json.RawMessage, input any) (map[string]any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	t, err := compileTmpl(raw)
	if err != nil {
		return nil, err
	}
	v, err := t.eval(rt.scope(input), rt)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// applyPath applies InputPath/OutputPath (null selects {}).
func applyPath(rt *runtimeCtx, v any, p OptString, field string) (any, error) {
	if !p.Set {
		return v, nil
	}
	if p.Null {
		return map[string]any{}, nil
	}
	if p.Value == "$" {
		return v, nil
	}
	jp, err := parsePath(p.Value)
	if err != nil {
		return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s' : %v", p.Value, err)))
	}
	out, err := jp.eval(rt.scope(v))
	if err != nil {
		return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s' : %v", p.Value, err)))
	}
	return out, nil
}

// applyResultPath merges result into the raw state input.
func applyResultPath(rt *runtimeCtx, raw, result any, p OptString) (any, error) {
	if !p.Set || p.Value == "$" {
		return result, nil
	}
	if p.Null {
		return raw, nil
	}
	jp, err := parsePath(p.Value)
	if err != nil || jp.root != rootInput || !jp.isReference() {
		return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s'", p.Value)))
	}
	out, err := setPath(raw, jp.segs, result)
	if err != nil {
		return nil, newErr(ErrResultPathMatchFailure, rt.stateCause(fmt.Sprintf(
			"Unable to apply ResultPath '%s' to input '%s'", p.Value, encodeJSON(raw))))
	}
	return out, nil
}

// attemptJSONata runs one try of a JSONata state.
func (f *frame) attemptJSONata(ctx context.Context, rt *runtimeCtx, raw any) (*stepResult, error) {
	st := rt.st
	env := rt.jsonata(raw, nil)
	var result any = raw
	next := st.Next
	switch st.Type {
	case "Choice":
		n, out, assigns, err := f.runChoiceJSONata(ctx, rt, raw)
		if err != nil {
			return nil, err
		}
		return &stepResult{output: out, next: n, assigns: assigns}, nil
	case "Wait":
		if err := f.runWait(ctx, rt, raw); err != nil {
			return nil, err
		}
	case "Succeed":
		next = ""
	case "Fail":
		return nil, f.runFail(rt, raw)
	case "Pass":
		// The result of a Pass state is its input.
	case "Task", "Parallel", "Map":
		var args any = raw
		if st.Type == "Task" {
			args = map[string]any{}
		}
		if len(st.Arguments) > 0 {
			var err error
			args, err = env.evalRaw(st.Arguments, "Arguments")
			if err != nil {
				return nil, err
			}
		}
		var err error
		switch st.Type {
		case "Task":
			result, err = f.runTask(ctx, rt, args)
		case "Parallel":
			result, err = f.runParallel(ctx, rt, args)
		case "Map":
			result, err = f.runMap(ctx, rt, args)
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, newErrf(ErrRuntime, "unsupported state type %q", st.Type)
	}
	if st.Type != "Pass" && st.Type != "Wait" && st.Type != "Succeed" {
		env.states["result"] = result
	}
	assigns, out, err := evalAssignOutput(env, st.Assign, st.Output, result)
	if err != nil {
		return nil, err
	}
	return &stepResult{output: out, next: next, assigns: assigns}, nil
}

// evalAssignOutput evaluates JSONata Assign and Output against the same
// (pre-assignment) variable values. def is the output without Output.
func evalAssignOutput(env *jsonataEnv, assignRaw, outputRaw json.RawMessage, def any) (map[string]any, any, error) {
	var assigns map[string]any
	if len(assignRaw) > 0 {
		v, err := env.evalRaw(assignRaw, "Assign")
		if err != nil {
			return nil, nil, err
		}
		assigns, _ = v.(map[string]any)
	}
	out := def
	if len(outputRaw) > 0 {
		v, err := env.evalRaw(outputRaw, "Output")
		if err != nil {
			return nil, nil, err
		}
		out = v
	}
	return assigns, out, nil
}

// catch builds the state result when a Catcher matches.
func (f *frame) catch(rt *runtimeCtx, c *Catcher, raw any, se *StatesError) (*stepResult, error) {
	errOut := map[string]any{"Error": se.Name}
	if se.NoName {
		errOut = map[string]any{}
	}
	if se.HasCause {
		errOut["Cause"] = se.Cause
	}
	if rt.st.ql == JSONata {
		env := rt.jsonata(raw, map[string]any{"errorOutput": errOut})
		assigns, out, err := evalAssignOutput(env, c.Assign, c.Output, errOut)
		if err != nil {
			return nil, err
		}
		return &stepResult{output: out, next: c.Next, assigns: assigns}, nil
	}
	assigns, err := f.assignJSONPath(rt, c.Assign, errOut)
	if err != nil {
		return nil, err
	}
	out, err := applyResultPath(rt, raw, errOut, c.ResultPath)
	if err != nil {
		return nil, err
	}
	return &stepResult{output: out, next: c.Next, assigns: assigns}, nil
}

// retryDelay picks the first retrier matching name and returns the
// delay before the next attempt, or ok=false when retries are exhausted.
func retryDelay(rs []*Retrier, attempts []int, name string, rt *runtimeCtx) (time.Duration, bool) {
	for i, r := range rs {
		if !errorMatches(r.ErrorEquals, name) {
			continue
		}
		maxAttempts := int64(3)
		if r.MaxAttempts != nil {
			maxAttempts, _ = numInt(*r.MaxAttempts)
		}
		if int64(attempts[i]) >= maxAttempts {
			return 0, false
		}
		interval := 1.0
		if r.IntervalSeconds != nil {
			interval, _ = numFloat(*r.IntervalSeconds)
		}
		backoff := 2.0
		if r.BackoffRate != nil {
			backoff, _ = numFloat(*r.BackoffRate)
		}
		secs := interval * math.Pow(backoff, float64(attempts[i]))
		if r.MaxDelaySeconds != nil {
			if m, ok := numFloat(*r.MaxDelaySeconds); ok && secs > m {
				secs = m
			}
		}
		if r.JitterStrategy == "FULL" && secs > 0 {
			secs = secs * rt.randFloat()
		}
		attempts[i]++
		return time.Duration(secs * float64(time.Second)), true
	}
	return 0, false
}
