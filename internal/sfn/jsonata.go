package sfn

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"

	jsonata "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jparse"
)

// JSONata support: "{% expr %}" strings in Arguments, Output, Assign,
// Items, Condition, Seconds, Timestamp... evaluated with $states and the
// workflow variables bound.

func isJSONataExpr(s string) (string, bool) {
	if strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") && len(s) >= 4 {
		return strings.TrimSpace(s[2 : len(s)-2]), true
	}
	return "", false
}

// toJSONata converts interpreter values to what jsonata-go expects.
func toJSONata(v any) any {
	switch t := v.(type) {
	case nil:
		return jsonataNull
	case json.Number:
		f, _ := t.Float64()
		return f
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = toJSONata(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = toJSONata(e)
		}
		return out
	}
	return v
}

// jsonataNull is how jsonata-go represents JSON null.
var jsonataNull *any

// fromJSONata converts a jsonata-go result back; ok is false for
// function values and other non-JSON results.
func fromJSONata(v any) (any, bool) {
	switch t := v.(type) {
	case nil, bool, string:
		return t, true
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, false
		}
		return floatNumber(t), true
	case int:
		return floatNumber(float64(t)), true
	case json.Number:
		return t, true
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			x, ok := fromJSONata(e)
			if !ok {
				return nil, false
			}
			out = append(out, x)
		}
		return out, true
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			x, ok := fromJSONata(e)
			if !ok {
				return nil, false
			}
			out[k] = x
		}
		return out, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Ptr, reflect.Interface:
		if rv.IsNil() {
			return nil, true
		}
		return fromJSONata(rv.Elem().Interface())
	case reflect.Slice:
		out := make([]any, rv.Len())
		for i := range rv.Len() {
			x, ok := fromJSONata(rv.Index(i).Interface())
			if !ok {
				return nil, false
			}
			out[i] = x
		}
		return out, true
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k, ok := iter.Key().Interface().(string)
			if !ok {
				return nil, false
			}
			x, ok := fromJSONata(iter.Value().Interface())
			if !ok {
				return nil, false
			}
			out[k] = x
		}
		return out, true
	case reflect.Float32, reflect.Float64:
		return floatNumber(rv.Float()), true
	case reflect.Int, reflect.Int64, reflect.Int32:
		return floatNumber(float64(rv.Int())), true
	}
	return nil, false
}

// jsonataEnv is what an expression can see.
type jsonataEnv struct {
	states map[string]any
	vars   *varScope
	rt     *runtimeCtx
}

type undefinedError struct{}

func (undefinedError) Error() string { return "undefined" }

func (rt *runtimeCtx) jsonataExts() map[string]jsonata.Extension {
	return map[string]jsonata.Extension{
		"partition": {Func: func(arr []any, size float64) ([]any, error) {
			if size <= 0 || size != math.Trunc(size) {
				return nil, errors.New("The chunk size argument must be a positive integer")
			}
			n := len(arr)
			if size < float64(len(arr)) {
				n = int(size)
			}
			n = max(n, 1)
			out := []any{}
			for i := 0; i < len(arr); i += n {
				j := min(i+n, len(arr))
				out = append(out, append([]any(nil), arr[i:j]...))
			}
			return out, nil
		}},
		"range": {Func: func(start, end, step float64) (any, error) {
			if step == 0 || start != math.Trunc(start) || end != math.Trunc(end) || step != math.Trunc(step) {
				return nil, errors.New("The start, end and step arguments must be integers and step must not be zero")
			}
			out := []any{}
			for x := start; (step > 0 && x <= end) || (step < 0 && x >= end); x += step {
				out = append(out, x)
				if len(out) > 1000 {
					return nil, errors.New("The range exceeds the maximum of 1000 elements")
				}
			}
			if len(out) == 1 {
				return out[0], nil
			}
			return out, nil
		}},
		"hash": {Func: func(s, alg string) (string, error) {
			h, ok := newHash(alg)
			if !ok {
				return "", fmt.Errorf("The hash algorithm %s is not supported", alg)
			}
			h.Write([]byte(s))
			return hex.EncodeToString(h.Sum(nil)), nil
		}},
		"random": {Func: func(seed ...float64) float64 {
			return rt.randFloat()
		}},
		"uuid": {Func: func() string { return rt.uuid() }},
		"parse": {Func: func(s string) (any, error) {
			v, err := decodeJSON([]byte(s))
			if err != nil {
				return nil, fmt.Errorf("The input string is not valid JSON: %s", s)
			}
			return toJSONata(v), nil
		}},
	}
}

// jsonataMu serialises evaluations: jsonata-go v1.5.4 keeps its built-in
// functions in one shared environment and sets each call's name and
// context on the shared callable, so concurrent evaluations race.
var jsonataMu sync.Mutex

func evalLocked(e *jsonata.Expr, input any) (any, error) {
	jsonataMu.Lock()
	defer jsonataMu.Unlock()
	return e.Eval(input)
}

// evalJSONata evaluates one expression (without the {% %} markers).
// A panic inside the third-party evaluator becomes an error: expressions
// come from user definitions.
func (env *jsonataEnv) eval(expr string) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("internal JSONata error: %v", r)
		}
	}()
	e, err := jsonata.Compile(expr)
	if err != nil {
		return nil, err
	}
	if err := e.RegisterExts(env.rt.jsonataExts()); err != nil {
		return nil, err
	}
	vars := map[string]any{"states": toJSONata(env.states)}
	if env.vars != nil {
		for k, v := range env.vars.all() {
			vars[k] = toJSONata(v)
		}
	}
	if err := e.RegisterVars(vars); err != nil {
		return nil, err
	}
	v, err = evalLocked(e, toJSONata(env.states["input"]))
	if err != nil {
		if errors.Is(err, jsonata.ErrUndefined) {
			// jsonata-go treats an empty array reached by a plain path as
			// undefined; JSONata proper returns it.
			if x, ok := env.plainPath(expr); ok {
				return toJSONata(x), nil
			}
			return nil, undefinedError{}
		}
		return nil, err
	}
	return v, nil
}

// plainPath resolves "$name.a.b" expressions directly.
func (env *jsonataEnv) plainPath(expr string) (any, bool) {
	if !strings.HasPrefix(expr, "$") || strings.ContainsAny(expr, " ()[]{}&|+-*/=<>!?:;,'\"") {
		return nil, false
	}
	parts := strings.Split(expr[1:], ".")
	var cur any
	if parts[0] == "states" {
		cur = env.states
	} else if env.vars != nil {
		v, ok := env.vars.get(parts[0])
		if !ok {
			return nil, false
		}
		cur = v
	} else {
		return nil, false
	}
	for _, p := range parts[1:] {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// evalExpr evaluates expr for the named field and converts errors into
// States.QueryEvaluationError with AWS's wording.
func (env *jsonataEnv) evalExpr(expr, field string) (any, error) {
	v, err := env.eval(expr)
	if err != nil {
		if errors.As(err, new(undefinedError)) {
			return nil, env.qerr(field, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", expr, field))
		}
		return nil, env.qerr(field, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s", expr, field, jsonataErrText(err)))
	}
	out, ok := fromJSONata(v)
	if !ok {
		return nil, env.qerr(field, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", expr, field))
	}
	return out, nil
}

func jsonataErrText(err error) string {
	var pe *jparse.Error
	if errors.As(err, &pe) {
		return pe.Error()
	}
	msg := err.Error()
	// Report the JSONata reference implementation's codes where known.
	switch {
	case strings.Contains(msg, "cannot call non-function"):
		return "T1006: Attempted to invoke a non-function"
	}
	return msg
}

func (env *jsonataEnv) qerr(field, msg string) *StatesError {
	e := newErr(ErrQueryEvaluationError, env.rt.stateCause(msg))
	e.evalFailed, e.location, e.state = true, field, env.rt.st
	return e
}

// evalValue renders a JSONata-mode template value: strings holding
// "{% %}" are evaluated, containers recursively, the rest is literal.
func (env *jsonataEnv) evalValue(v any, field string) (any, error) {
	switch t := v.(type) {
	case string:
		if expr, ok := isJSONataExpr(t); ok {
			return env.evalExpr(expr, field)
		}
		return t, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			r, err := env.evalValue(x, field+"/"+k)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			r, err := env.evalValue(x, fmt.Sprintf("%s[%d]", field, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// evalRaw decodes and evaluates a raw JSONata-mode field.
func (env *jsonataEnv) evalRaw(raw json.RawMessage, field string) (any, error) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, newErr(ErrRuntime, env.rt.stateCause(err.Error()))
	}
	return env.evalValue(v, field)
}
