package sfn

import (
	"encoding/json"
	"fmt"
)

// jsonPathProc is the JSONPath query language: InputPath, Parameters,
// ResultSelector, Assign, ResultPath and OutputPath around the body, and
// payload templates, reference paths and choice comparisons inside it.
type jsonPathProc struct{}

// input applies InputPath, then Parameters to the kinds that take them.
func (jsonPathProc) input(rt *runtimeCtx, raw any) (any, error) {
	st := rt.st
	eff, err := applyPath(rt, raw, st.InputPath, "InputPath")
	if err != nil || !st.shape.params || st.params == nil {
		return eff, err
	}
	return st.params.eval(rt.scope(eff), rt)
}

// output applies ResultSelector, Assign, ResultPath and OutputPath to a
// result; kinds without one (Choice, Wait, Succeed) pass the effective
// input on.
func (jsonPathProc) output(rt *runtimeCtx, raw, in any, oc outcome) (*stepResult, error) {
	st := rt.st
	if !st.shape.result {
		var assigns map[string]any
		if st.shape.assign {
			var err error
			if assigns, err = assignJSONPath(rt, oc.assignField(st), in); err != nil {
				return nil, err
			}
		}
		out, err := applyPath(rt, in, st.OutputPath, "OutputPath")
		if err != nil {
			return nil, err
		}
		return &stepResult{output: out, next: oc.next, assigns: assigns}, nil
	}
	result := oc.result
	if st.resSel != nil {
		var err error
		if result, err = st.resSel.eval(rt.scope(result), rt); err != nil {
			return nil, err
		}
	}
	assigns, err := assignJSONPath(rt, st.Assign, result)
	if err != nil {
		return nil, err
	}
	out, err := applyResultPath(rt, raw, result, st.ResultPath)
	if err != nil {
		return nil, err
	}
	if out, err = applyPath(rt, out, st.OutputPath, "OutputPath"); err != nil {
		return nil, err
	}
	return &stepResult{output: out, next: oc.next, assigns: assigns}, nil
}

// caught applies the Catcher's Assign and ResultPath.
func (jsonPathProc) caught(rt *runtimeCtx, c *Catcher, raw any, errOut map[string]any) (*stepResult, error) {
	assigns, err := assignJSONPath(rt, c.Assign, errOut)
	if err != nil {
		return nil, err
	}
	out, err := applyResultPath(rt, raw, errOut, c.ResultPath)
	if err != nil {
		return nil, err
	}
	return &stepResult{output: out, next: c.Next, assigns: assigns}, nil
}

// value evaluates v's payload template against in.
func (jsonPathProc) value(rt *runtimeCtx, v valueField, in any) (any, error) {
	t := v.t
	if t == nil {
		var err error
		if t, err = compileTmpl(v.raw); err != nil || t == nil {
			return nil, err
		}
	}
	return t.eval(rt.scope(in), rt)
}

// fieldError is States.Runtime.
func (jsonPathProc) fieldError(rt *runtimeCtx, _, msg string) error {
	return newErr(ErrRuntime, rt.stateCause(msg))
}

// choose evaluates the rules' comparisons.
func (jsonPathProc) choose(rt *runtimeCtx, rules []*ChoiceRule, in any) (*ChoiceRule, error) {
	sc := rt.scope(in)
	for _, r := range rules {
		ok, err := evalRule(r, sc, rt)
		if err != nil {
			return nil, err
		}
		if ok {
			return r, nil
		}
	}
	return nil, nil
}

// items selects ItemsPath (the whole input without one).
func (jsonPathProc) items(rt *runtimeCtx, k *mapState, in any) ([]any, error) {
	v := in
	if k.itemsPath != "" && k.itemsPath != "$" {
		p, err := parsePath(k.itemsPath)
		if err != nil {
			return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s'", k.itemsPath)))
		}
		v, err = p.eval(rt.scope(in))
		if err != nil {
			return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s' : %v", k.itemsPath, err)))
		}
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Map state input must be an array but was: %s", encodeJSON(v))))
	}
	return arr, nil
}

// assignJSONPath evaluates a JSONPath-mode Assign template.
func assignJSONPath(rt *runtimeCtx, raw json.RawMessage, input any) (map[string]any, error) {
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
