package sfn

import (
	"context"
	"fmt"
	"math"
	"time"
)

// stepResult is what one attempt at a state produces.
type stepResult struct {
	output  any
	next    string
	assigns map[string]any
}

// runState is the lifecycle every state kind runs through (the model is
// LocalStack's state.py _eval_body): Entered event → input processing →
// body → Retry/Catch → output processing → Exited event.
func (f *frame) runState(ctx context.Context, st *State, raw any) (any, string, error) {
	rt, err := f.enter(st, raw)
	if err != nil {
		return nil, "", err
	}
	res, err := f.settle(ctx, rt, raw)
	if err != nil {
		return nil, "", err
	}
	return f.exit(rt, res)
}

// enter records the StateEntered event and returns the state's context.
// Replaying, the entered time is the recorded one.
func (f *frame) enter(st *State, raw any) (*runtimeCtx, error) {
	rt := &runtimeCtx{f: f, st: st, enteredTime: f.ex.eng.cfg.Clock.Now(), rand: execRand{f.ex}, input: raw}
	d := payloadDetails("input", raw)
	d["name"] = st.Name
	enteredPrev := f.prev
	ev, replayed, err := f.emitEvent(st.Type+"StateEntered", d)
	if err != nil {
		return nil, err
	}
	if replayed {
		rt.enteredTime = ev.Timestamp
	}
	rt.enteredID = f.prev
	rt.enteredPrev = enteredPrev
	return rt, nil
}

// settle runs attempts until one succeeds, the Retry rules give up or a
// Catcher takes the error. Kinds without Retry/Catch fail at once.
func (f *frame) settle(ctx context.Context, rt *runtimeCtx, raw any) (*stepResult, error) {
	st := rt.st
	attempts := make([]int, len(st.Retry))
	for {
		rt.failedEvent = ""
		res, err := f.attempt(ctx, rt, raw)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil || isCtxErr(err) {
			if st.shape.abortable {
				_ = f.emit(st.Type+"StateAborted", nil)
			}
			return nil, err
		}
		se := asStatesError(err)
		f.recordEvalFailure(rt, se)
		if se.Name == ErrRuntime || !st.shape.retry {
			_ = f.recordFailedEvent(rt)
			return nil, se
		}
		if delay, ok := retryDelay(st.Retry, attempts, se.Name, rt); ok {
			if err := f.sleepAfter(ctx, st, delay); err != nil {
				return nil, err
			}
			rt.retryCount++
			continue
		}
		if err := f.recordFailedEvent(rt); err != nil {
			return nil, err
		}
		return f.catch(rt, raw, se)
	}
}

// attempt runs one try of the state: input processing, the kind's body
// and output processing, in the state's query language.
func (f *frame) attempt(ctx context.Context, rt *runtimeCtx, raw any) (*stepResult, error) {
	st := rt.st
	if st.waitForToken {
		rt.taskToken = f.ex.eng.cfg.NewUUID()
	}
	in, err := st.proc.input(rt, raw)
	if err != nil {
		return nil, err
	}
	oc, err := st.kind.exec(ctx, f, rt, in)
	if err != nil {
		return nil, err
	}
	return st.proc.output(rt, raw, in, oc)
}

// catch hands the error to the first matching Catcher; without one the
// state fails with it.
func (f *frame) catch(rt *runtimeCtx, raw any, se *StatesError) (*stepResult, error) {
	st := rt.st
	for _, c := range st.Catch {
		if !errorMatches(c.ErrorEquals, se.Name) {
			continue
		}
		res, err := st.proc.caught(rt, c, raw, errorOutput(se))
		if err != nil {
			se2 := asStatesError(err)
			f.recordEvalFailure(rt, se2)
			return nil, se2
		}
		return res, nil
	}
	if f.inParallel && st.shape.abortedInBranch {
		_ = f.emit("TaskStateAborted", nil)
	}
	return nil, se
}

// errorOutput is the error document a Catcher passes on.
func errorOutput(se *StatesError) map[string]any {
	out := map[string]any{"Error": se.Name}
	if se.NoName {
		out = map[string]any{}
	}
	if se.HasCause {
		out["Cause"] = se.Cause
	}
	return out
}

// recordEvalFailure records an EvaluationFailed event for a query that
// failed in this state. Failures raised in a branch or iteration were
// recorded there.
func (f *frame) recordEvalFailure(rt *runtimeCtx, se *StatesError) {
	if !se.evalFailed || se.state != rt.st {
		return
	}
	d := map[string]any{"error": se.Name, "cause": se.Cause, "state": rt.st.Name}
	if se.location != "" {
		d["location"] = se.location
	}
	// AWS chains EvaluationFailed to the event before the state entered.
	if ev, _, err := f.record(rt.enteredPrev, "EvaluationFailed", d); err == nil {
		f.prev = ev.ID
	}
}

// recordFailedEvent records the "<Type>StateFailed" event the body of a
// Parallel or Map asked for when it failed (see runtimeCtx.failedEvent).
func (f *frame) recordFailedEvent(rt *runtimeCtx) error {
	if rt.failedEvent == "" {
		return nil
	}
	typ := rt.failedEvent
	rt.failedEvent = ""
	return f.emit(typ, nil)
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
