package sfn

import (
	"encoding/json"
	"fmt"
	"strings"
)

// tmpl is a compiled JSONPath payload template (Parameters,
// ResultSelector, ItemSelector, Assign in JSONPath mode): keys ending in
// ".$" take their value from a path or an intrinsic function call.
type tmpl struct {
	lit    any // literal value when obj == nil && arr == nil
	isObj  bool
	obj    []tmplField
	isArr  bool
	arr    []*tmpl
	static bool // no dynamic parts anywhere
}

type tmplField struct {
	key  string // output key (without ".$")
	rawK string // key as written
	expr string // dynamic expression
	sub  *tmpl  // static/nested value
}

func compileTmpl(raw json.RawMessage) (*tmpl, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, &FormatError{Msg: err.Error()}
	}
	return buildTmpl(v), nil
}

func buildTmpl(v any) *tmpl {
	switch t := v.(type) {
	case map[string]any:
		out := &tmpl{isObj: true, static: true}
		for k, x := range t {
			if strings.HasSuffix(k, ".$") {
				s, _ := x.(string)
				out.obj = append(out.obj, tmplField{key: strings.TrimSuffix(k, ".$"), rawK: k, expr: s})
				out.static = false
				continue
			}
			sub := buildTmpl(x)
			if !sub.static {
				out.static = false
			}
			out.obj = append(out.obj, tmplField{key: k, rawK: k, sub: sub})
		}
		if out.static {
			return &tmpl{lit: t, static: true}
		}
		return out
	case []any:
		out := &tmpl{isArr: true, static: true}
		for _, x := range t {
			sub := buildTmpl(x)
			if !sub.static {
				out.static = false
			}
			out.arr = append(out.arr, sub)
		}
		if out.static {
			return &tmpl{lit: t, static: true}
		}
		return out
	}
	return &tmpl{lit: v, static: true}
}

// eval renders the template against the scope.
func (t *tmpl) eval(sc *scope, rt *runtimeCtx) (any, error) {
	if t.static {
		return t.lit, nil
	}
	if t.isArr {
		out := make([]any, len(t.arr))
		for i, s := range t.arr {
			v, err := s.eval(sc, rt)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	out := make(map[string]any, len(t.obj))
	for _, f := range t.obj {
		if f.sub != nil {
			v, err := f.sub.eval(sc, rt)
			if err != nil {
				return nil, err
			}
			out[f.key] = v
			continue
		}
		v, err := evalDynamic(f.expr, f.rawK, sc, rt)
		if err != nil {
			return nil, err
		}
		out[f.key] = v
	}
	return out, nil
}

// evalDynamic evaluates the value of a ".$" field: a path or an
// intrinsic function call.
func evalDynamic(expr, field string, sc *scope, rt *runtimeCtx) (any, error) {
	if strings.HasPrefix(expr, "States.") {
		call, err := parseIntrinsic(expr)
		if err != nil {
			return nil, newErr(ErrIntrinsicFailure, rt.stateCause(err.Error()))
		}
		return call.eval(sc, rt)
	}
	p, err := parsePath(expr)
	if err != nil {
		return nil, newErr(ErrRuntime, rt.stateCause(err.Error()))
	}
	v, err := p.eval(sc)
	if err != nil {
		return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf(
			"The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
			expr, field, encodeJSON(sc.input))))
	}
	return v, nil
}
