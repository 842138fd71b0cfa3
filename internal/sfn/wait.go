package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// waitState is a Wait state: its body sleeps on the engine clock.
type waitState struct {
	next string
	// One of: Seconds, Timestamp (literal or JSONata), SecondsPath,
	// TimestampPath.
	seconds, timestamp         json.RawMessage
	secondsPath, timestampPath string
	jsonata                    bool
}

func newWaitState(st *State) *waitState {
	return &waitState{next: st.Next, seconds: st.Seconds, timestamp: st.Timestamp,
		secondsPath: st.SecondsPath, timestampPath: st.TimestampPath, jsonata: st.ql == JSONata}
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
	var w waitEnd
	var err error
	if k.jsonata && (len(k.seconds) > 0 || len(k.timestamp) > 0) {
		w, err = k.jsonataEnd(rt, input)
	} else {
		w, err = k.jsonPathEnd(rt, input)
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
	return f.sleepUntil(ctx, rt.st, w.until)
}

// waitEnd is the end of a wait: a delay d, or (Timestamp) the time until
// with d the time left.
type waitEnd struct {
	d     time.Duration
	until time.Time
}

// jsonataEnd evaluates a JSONata Wait's Seconds or Timestamp.
func (k *waitState) jsonataEnd(rt *runtimeCtx, input any) (waitEnd, error) {
	env := rt.jsonata(input, nil)
	if len(k.seconds) > 0 {
		v, err := env.evalRaw(k.seconds, "Seconds")
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
	v, err := env.evalRaw(k.timestamp, "Timestamp")
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

// jsonPathEnd reads a JSONPath Wait's Seconds, Timestamp, SecondsPath
// or TimestampPath.
func (k *waitState) jsonPathEnd(rt *runtimeCtx, input any) (waitEnd, error) {
	now := rt.f.ex.eng.cfg.Clock.Now
	switch {
	case len(k.seconds) > 0:
		n, _ := numInt(json.Number(strings.TrimSpace(string(k.seconds))))
		return waitEnd{d: time.Duration(n) * time.Second}, nil
	case len(k.timestamp) > 0:
		var s string
		_ = json.Unmarshal(k.timestamp, &s)
		t, ok := parseISOTimestamp(s)
		if !ok {
			return waitEnd{}, newErr(ErrRuntime, rt.stateCause("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+s))
		}
		return waitEnd{until: t, d: t.Sub(now())}, nil
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
		return waitEnd{until: t, d: t.Sub(now())}, nil
	}
	return waitEnd{}, nil
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
