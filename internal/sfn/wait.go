package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// waitState is a Wait state: its body sleeps on the engine clock.
type waitState struct {
	next string
	// One of: Seconds, Timestamp (values of the query language),
	// SecondsPath, TimestampPath (JSONPath only).
	seconds, timestamp         valueField
	secondsPath, timestampPath string
}

func newWaitState(st *State) *waitState {
	return &waitState{next: st.Next, seconds: newValueField("Seconds", st.Seconds), timestamp: newValueField("Timestamp", st.Timestamp),
		secondsPath: st.SecondsPath, timestampPath: st.TimestampPath}
}

func (k *waitState) exec(ctx context.Context, f *frame, rt *runtimeCtx, in any) (outcome, error) {
	return outcome{next: k.next}, k.run(ctx, f, rt, in)
}

// maxWait is the longest delay a Wait state accepts (2^31-1 seconds).
const maxWait = time.Duration(1<<31-1) * time.Second

// parseISOTimestamp accepts ISO-8601 extended offset date-times.
func parseISOTimestamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// run sleeps on the engine clock until the end of the wait.
func (k *waitState) run(ctx context.Context, f *frame, rt *runtimeCtx, input any) error {
	w, err := k.end(rt, input)
	if err != nil {
		return err
	}
	if w.d > maxWait {
		return newErr(ErrRuntime, rt.stateCause("Wait state delay is too long."))
	}
	if w.until.IsZero() {
		// Seconds count from the state's entry.
		w.until = rt.enteredTime.Add(w.d)
	}
	return f.sleepUntil(ctx, rt.st, w.until)
}

// waitEnd is the end of a wait: a delay d, or (Timestamp) the time until
// with d the time left.
type waitEnd struct {
	d     time.Duration
	until time.Time
}

// end reads Seconds, Timestamp, SecondsPath or TimestampPath.
func (k *waitState) end(rt *runtimeCtx, input any) (waitEnd, error) {
	switch {
	case len(k.seconds.raw) > 0:
		return k.secondsEnd(rt, input)
	case len(k.timestamp.raw) > 0:
		p := rt.st.proc
		v, err := p.value(rt, k.timestamp, input)
		if err != nil {
			return waitEnd{}, err
		}
		s, _ := v.(string)
		t, ok := parseISOTimestamp(s)
		if !ok {
			return waitEnd{}, p.fieldError(rt, "Timestamp", "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+stringOrJSON(v))
		}
		return waitEnd{until: t, d: t.Sub(rt.f.ex.eng.cfg.Clock.Now())}, nil
	case k.secondsPath != "":
		return k.secondsPathEnd(rt, input)
	case k.timestampPath != "":
		v, err := evalDynamic(k.timestampPath, "TimestampPath", rt.scope(input), rt)
		if err != nil {
			return waitEnd{}, err
		}
		s, _ := v.(string)
		t, ok := parseISOTimestamp(s)
		if !ok {
			return waitEnd{}, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", k.timestampPath, stringOrJSON(v))))
		}
		return waitEnd{until: t, d: t.Sub(rt.f.ex.eng.cfg.Clock.Now())}, nil
	}
	return waitEnd{}, nil
}

// secondsEnd reads Seconds: a non-negative integer.
func (k *waitState) secondsEnd(rt *runtimeCtx, input any) (waitEnd, error) {
	p := rt.st.proc
	v, err := p.value(rt, k.seconds, input)
	if err != nil {
		return waitEnd{}, err
	}
	n, ok := v.(json.Number)
	i, isInt := numInt(n)
	if !ok || !isInt {
		return waitEnd{}, p.fieldError(rt, "Seconds", fmt.Sprintf("The Seconds field must evaluate to an integer, but was %s", encodeJSON(v)))
	}
	if i < 0 {
		return waitEnd{}, p.fieldError(rt, "Seconds", fmt.Sprintf("The Seconds field references a negative value: %d", i))
	}
	return waitEnd{d: time.Duration(i) * time.Second}, nil
}

// secondsPathEnd reads SecondsPath: a non-negative integer.
func (k *waitState) secondsPathEnd(rt *runtimeCtx, input any) (waitEnd, error) {
	p := k.secondsPath
	v, err := evalDynamic(p, "SecondsPath", rt.scope(input), rt)
	if err != nil {
		return waitEnd{}, err
	}
	n, ok := v.(json.Number)
	if !ok {
		return waitEnd{}, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The SecondsPath parameter cannot be parsed as a long value: %s == %s", p, stringOrJSON(v))))
	}
	i, isInt := numInt(n)
	if !isInt {
		return waitEnd{}, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The SecondsPath parameter cannot be parsed as a long value: %s == %s", p, n)))
	}
	if i < 0 {
		return waitEnd{}, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The SecondsPath parameter references a negative value: %s == %s", p, n)))
	}
	return waitEnd{d: time.Duration(i) * time.Second}, nil
}
