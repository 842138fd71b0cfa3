package sfn

import (
	"encoding/json"
	"fmt"
)

// processor is a query language's input and output processing around a
// state's body: JSONPath (InputPath, Parameters, ResultSelector, Assign,
// ResultPath, OutputPath) or JSONata (Arguments, Assign, Output).
type processor interface {
	// input returns the effective input the body receives.
	input(rt *runtimeCtx, raw any) (any, error)
	// output builds the state output and variable assignments from the
	// body's outcome; in is the effective input.
	output(rt *runtimeCtx, raw, in any, oc outcome) (*stepResult, error)
	// caught builds the state output when Catcher c takes the error
	// document errOut.
	caught(rt *runtimeCtx, c *Catcher, raw any, errOut map[string]any) (*stepResult, error)
}

// processorFor returns the processor of query language ql.
func processorFor(ql string) processor {
	if ql == JSONata {
		return jsonataProc{}
	}
	return jsonPathProc{}
}

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

type jsonataProc struct{}

// input evaluates Arguments for the kinds that take them.
func (jsonataProc) input(rt *runtimeCtx, raw any) (any, error) {
	st := rt.st
	if !st.shape.args {
		return raw, nil
	}
	var args any = raw
	if st.shape.emptyArgs {
		args = map[string]any{}
	}
	if len(st.Arguments) == 0 {
		return args, nil
	}
	return rt.jsonata(raw, nil).evalRaw(st.Arguments, "Arguments")
}

// output evaluates Assign and Output; $states.result is the body's
// result for the kinds that produce one, and the default output.
func (jsonataProc) output(rt *runtimeCtx, raw, _ any, oc outcome) (*stepResult, error) {
	st := rt.st
	env := rt.jsonata(raw, nil)
	def := raw
	if st.shape.result && st.shape.args {
		env.states["result"] = oc.result
		def = oc.result
	}
	assigns, out, err := evalAssignOutput(env, oc.assignField(st), oc.outputField(st), def)
	if err != nil {
		return nil, err
	}
	return &stepResult{output: out, next: oc.next, assigns: assigns}, nil
}

// caught evaluates the Catcher's Assign and Output with
// $states.errorOutput.
func (jsonataProc) caught(rt *runtimeCtx, c *Catcher, raw any, errOut map[string]any) (*stepResult, error) {
	env := rt.jsonata(raw, map[string]any{"errorOutput": errOut})
	assigns, out, err := evalAssignOutput(env, c.Assign, c.Output, errOut)
	if err != nil {
		return nil, err
	}
	return &stepResult{output: out, next: c.Next, assigns: assigns}, nil
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
