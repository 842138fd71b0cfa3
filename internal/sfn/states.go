package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxWait is the longest delay a Wait state accepts (2^31-1 seconds).
const maxWait = time.Duration(1<<31-1) * time.Second

// runFail produces the failure of a Fail state.
func (f *frame) runFail(rt *runtimeCtx, raw any) error {
	st := rt.st
	se := &StatesError{NoName: true}
	if st.ql == JSONata {
		env := rt.jsonata(raw, nil)
		for _, fld := range []struct {
			raw  json.RawMessage
			name string
			dst  *string
			set  *bool
		}{{st.Error, "Error", &se.Name, nil}, {st.Cause, "Cause", &se.Cause, &se.HasCause}} {
			if len(fld.raw) == 0 {
				continue
			}
			v, err := env.evalRaw(fld.raw, fld.name)
			if err != nil {
				return err
			}
			s, ok := v.(string)
			if !ok {
				return env.qerr(fld.name, fmt.Sprintf("The %s field must evaluate to a string, but was %s", fld.name, typeName(v)))
			}
			*fld.dst = s
			if fld.set != nil {
				*fld.set = true
			} else {
				se.NoName = false
			}
		}
		return se
	}
	sc := rt.scope(raw)
	if len(st.Error) > 0 {
		_ = json.Unmarshal(st.Error, &se.Name)
		se.NoName = false
	} else if st.ErrorPath != "" {
		v, err := evalDynamic(st.ErrorPath, "ErrorPath", sc, rt)
		if err != nil {
			return err
		}
		se.Name = stringOrJSON(v)
		se.NoName = false
	}
	if len(st.Cause) > 0 {
		_ = json.Unmarshal(st.Cause, &se.Cause)
		se.HasCause = true
	} else if st.CausePath != "" {
		v, err := evalDynamic(st.CausePath, "CausePath", sc, rt)
		if err != nil {
			return err
		}
		se.Cause = stringOrJSON(v)
		se.HasCause = true
	}
	return se
}

func stringOrJSON(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return encodeJSON(v)
}

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

// runChoice evaluates JSONPath choice rules and returns the next state.
func (f *frame) runChoice(_ context.Context, rt *runtimeCtx, input any) (*ChoiceRule, string, error) {
	sc := rt.scope(input)
	for _, r := range rt.st.Choices {
		ok, err := evalRule(r, sc, rt)
		if err != nil {
			return nil, "", err
		}
		if ok {
			return r, r.Next, nil
		}
	}
	if rt.st.Default != "" {
		return nil, rt.st.Default, nil
	}
	return nil, "", newErr(ErrNoChoiceMatched, rt.stateCause("No Matches!"))
}

// runChoiceJSONata evaluates JSONata Conditions and returns the rule
// taken (nil for Default) and the next state.
func (f *frame) runChoiceJSONata(_ context.Context, rt *runtimeCtx, input any) (*ChoiceRule, string, error) {
	env := rt.jsonata(input, nil)
	for i, r := range rt.st.Choices {
		v, err := env.evalRaw(r.Condition, fmt.Sprintf("Choices[%d].Condition", i))
		if err != nil {
			return nil, "", err
		}
		b, ok := v.(bool)
		if !ok {
			return nil, "", env.qerr("Condition", fmt.Sprintf("The Condition field must evaluate to a boolean, but was %s", typeName(v)))
		}
		if b {
			return r, r.Next, nil
		}
	}
	if rt.st.Default == "" {
		return nil, "", newErr(ErrNoChoiceMatched, rt.stateCause("No Matches!"))
	}
	return nil, rt.st.Default, nil
}

// evalRule evaluates a JSONPath choice rule.
func evalRule(r *ChoiceRule, sc *scope, rt *runtimeCtx) (bool, error) {
	switch {
	case len(r.And) > 0:
		for _, x := range r.And {
			ok, err := evalRule(x, sc, rt)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case len(r.Or) > 0:
		for _, x := range r.Or {
			ok, err := evalRule(x, sc, rt)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.Not != nil:
		ok, err := evalRule(r.Not, sc, rt)
		return !ok, err
	}
	p, err := parsePath(r.Variable)
	if err != nil {
		return false, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s'", r.Variable)))
	}
	val, perr := p.eval(sc)
	if r.Op == "IsPresent" {
		want, _ := r.Operand.(bool)
		return (perr == nil) == want, nil
	}
	if perr != nil {
		return false, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s' : %v", r.Variable, perr)))
	}
	operand := r.Operand
	op := r.Op
	if strings.HasSuffix(op, "Path") {
		s, _ := operand.(string)
		pp, err := parsePath(s)
		if err != nil {
			return false, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s'", s)))
		}
		operand, err = pp.eval(sc)
		if err != nil {
			return false, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s' : %v", s, err)))
		}
		op = strings.TrimSuffix(op, "Path")
	}
	return compareOp(op, val, operand), nil
}

func compareOp(op string, val, operand any) bool {
	switch op {
	case "IsNull":
		want, _ := operand.(bool)
		return (val == nil) == want
	case "IsNumeric":
		want, _ := operand.(bool)
		_, ok := val.(json.Number)
		return ok == want
	case "IsString":
		want, _ := operand.(bool)
		_, ok := val.(string)
		return ok == want
	case "IsBoolean":
		want, _ := operand.(bool)
		_, ok := val.(bool)
		return ok == want
	case "IsTimestamp":
		want, _ := operand.(bool)
		s, ok := val.(string)
		if ok {
			_, ok = parseISOTimestamp(s)
		}
		return ok == want
	case "BooleanEquals":
		a, ok1 := val.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		a, ok1 := val.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && wildcardMatch(b, a)
	}
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := val.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		return cmpResult(strings.TrimPrefix(op, "String"), strings.Compare(a, b))
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := val.(json.Number)
		b, ok2 := operand.(json.Number)
		if !ok1 || !ok2 {
			return false
		}
		return cmpResult(strings.TrimPrefix(op, "Numeric"), compareNum(a, b))
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := val.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		ta, ok1 := parseISOTimestamp(a)
		tb, ok2 := parseISOTimestamp(b)
		if !ok1 || !ok2 {
			return false
		}
		return cmpResult(strings.TrimPrefix(op, "Timestamp"), ta.Compare(tb))
	}
	return false
}

func cmpResult(kind string, c int) bool {
	switch kind {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// wildcardMatch implements StringMatches: '*' matches any run of
// characters; "\*" and "\\" are literal.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		lit  string
	}
	var toks []tok
	var cur strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '\\' && i+1 < len(pattern) && (pattern[i+1] == '*' || pattern[i+1] == '\\') {
			cur.WriteByte(pattern[i+1])
			i++
			continue
		}
		if c == '*' {
			if cur.Len() > 0 {
				toks = append(toks, tok{lit: cur.String()})
				cur.Reset()
			}
			toks = append(toks, tok{star: true})
			continue
		}
		cur.WriteByte(c)
	}
	if cur.Len() > 0 {
		toks = append(toks, tok{lit: cur.String()})
	}
	// Greedy matching: literals between stars match their leftmost
	// occurrence, which is optimal for '*'-only patterns (linear time).
	anchored := true
	for i, t := range toks {
		if t.star {
			anchored = false
			continue
		}
		last := i == len(toks)-1
		switch {
		case anchored && last:
			return s == t.lit
		case anchored:
			if !strings.HasPrefix(s, t.lit) {
				return false
			}
			s = s[len(t.lit):]
		case last:
			return strings.HasSuffix(s, t.lit)
		default:
			j := strings.Index(s, t.lit)
			if j < 0 {
				return false
			}
			s = s[j+len(t.lit):]
		}
		anchored = false
	}
	return anchored && s == "" || !anchored
}

func itoa(i int) string { return strconv.Itoa(i) }
