package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// choiceState is a Choice state: its body picks the next state by the
// first rule that matches; the processor evaluates the rules (JSONPath
// comparisons or JSONata Conditions).
type choiceState struct {
	choices []*ChoiceRule
	def     string // Default
}

func newChoiceState(st *State) *choiceState {
	return &choiceState{choices: st.Choices, def: st.Default}
}

// exec takes the first rule that matches, else Default.
func (k *choiceState) exec(_ context.Context, _ *frame, rt *runtimeCtx, in any) (outcome, error) {
	rule, err := rt.st.proc.choose(rt, k.choices, in)
	switch {
	case err != nil:
		return outcome{}, err
	case rule != nil:
		return outcome{next: rule.Next, rule: rule}, nil
	case k.def != "":
		return outcome{next: k.def}, nil
	}
	return outcome{}, newErr(ErrNoChoiceMatched, rt.stateCause("No Matches!"))
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
