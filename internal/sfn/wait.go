package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// waitState is a Wait state: its body sleeps on the engine clock.
type waitState struct{ st *State }

func (k waitState) exec(ctx context.Context, f *frame, rt *runtimeCtx, in any) (outcome, error) {
	return outcome{next: k.st.Next}, f.runWait(ctx, rt, in)
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

// runWait sleeps on the engine clock until the end of the wait.
func (f *frame) runWait(ctx context.Context, rt *runtimeCtx, input any) error {
	st := rt.st
	var w waitEnd
	var err error
	if st.ql == JSONata && (len(st.Seconds) > 0 || len(st.Timestamp) > 0) {
		w, err = jsonataWaitEnd(rt, input)
	} else {
		w, err = jsonPathWaitEnd(rt, input)
	}
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
	return f.sleepUntil(ctx, st, w.until)
}

// waitEnd is the end of a wait: a delay d, or (Timestamp) the time until
// with d the time left.
type waitEnd struct {
	d     time.Duration
	until time.Time
}

// jsonataWaitEnd evaluates a JSONata Wait's Seconds or Timestamp.
func jsonataWaitEnd(rt *runtimeCtx, input any) (waitEnd, error) {
	st := rt.st
	env := rt.jsonata(input, nil)
	if len(st.Seconds) > 0 {
		v, err := env.evalRaw(st.Seconds, "Seconds")
		if err != nil {
			return waitEnd{}, err
		}
		n, ok := v.(json.Number)
		i, isInt := numInt(n)
		if !ok || !isInt {
			return waitEnd{}, env.qerr("Seconds", fmt.Sprintf("The Seconds field must evaluate to an integer, but was %s", encodeJSON(v)))
		}
		if i < 0 {
			return waitEnd{}, env.qerr("Seconds", fmt.Sprintf("The Seconds field references a negative value: %d", i))
		}
		return waitEnd{d: time.Duration(i) * time.Second}, nil
	}
	v, err := env.evalRaw(st.Timestamp, "Timestamp")
	if err != nil {
		return waitEnd{}, err
	}
	s, _ := v.(string)
	t, ok := parseISOTimestamp(s)
	if !ok {
		return waitEnd{}, env.qerr("Timestamp", "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+stringOrJSON(v))
	}
	return waitEnd{until: t, d: t.Sub(rt.f.ex.eng.cfg.Clock.Now())}, nil
}

// jsonPathWaitEnd reads a JSONPath Wait's Seconds, Timestamp,
// SecondsPath or TimestampPath.
func jsonPathWaitEnd(rt *runtimeCtx, input any) (waitEnd, error) {
	st := rt.st
	now := rt.f.ex.eng.cfg.Clock.Now
	switch {
	case len(st.Seconds) > 0:
		n, _ := numInt(json.Number(strings.TrimSpace(string(st.Seconds))))
		return waitEnd{d: time.Duration(n) * time.Second}, nil
	case len(st.Timestamp) > 0:
		var s string
		_ = json.Unmarshal(st.Timestamp, &s)
		t, ok := parseISOTimestamp(s)
		if !ok {
			return waitEnd{}, newErr(ErrRuntime, rt.stateCause("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+s))
		}
		return waitEnd{until: t, d: t.Sub(now())}, nil
	case st.SecondsPath != "":
		return secondsPathWait(rt, input)
	case st.TimestampPath != "":
		v, err := evalDynamic(st.TimestampPath, "TimestampPath", rt.scope(input), rt)
		if err != nil {
			return waitEnd{}, err
		}
		s, _ := v.(string)
		t, ok := parseISOTimestamp(s)
		if !ok {
			return waitEnd{}, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", st.TimestampPath, stringOrJSON(v))))
		}
		return waitEnd{until: t, d: t.Sub(now())}, nil
	}
	return waitEnd{}, nil
}

// secondsPathWait reads SecondsPath: a non-negative integer.
func secondsPathWait(rt *runtimeCtx, input any) (waitEnd, error) {
	p := rt.st.SecondsPath
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
