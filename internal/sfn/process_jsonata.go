package sfn

import (
	"fmt"
)

// jsonataProc is the JSONata query language: Arguments, Assign and Output
// around the body, and "{% %}" expressions inside it.
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

// value evaluates v's "{% %}" expressions against in.
func (jsonataProc) value(rt *runtimeCtx, v valueField, in any) (any, error) {
	return rt.jsonata(in, nil).evalRaw(v.raw, v.name)
}

// fieldError is States.QueryEvaluationError at the field.
func (jsonataProc) fieldError(rt *runtimeCtx, field, msg string) error {
	return (&jsonataEnv{rt: rt}).qerr(field, msg)
}

// choose evaluates the rules' Conditions, which must be booleans.
func (jsonataProc) choose(rt *runtimeCtx, rules []*ChoiceRule, in any) (*ChoiceRule, error) {
	env := rt.jsonata(in, nil)
	for i, r := range rules {
		v, err := env.evalRaw(r.Condition, fmt.Sprintf("Choices[%d].Condition", i))
		if err != nil {
			return nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return nil, env.qerr("Condition", fmt.Sprintf("The Condition field must evaluate to a boolean, but was %s", typeName(v)))
		}
		if b {
			return r, nil
		}
	}
	return nil, nil
}

// items evaluates Items (the whole input without it); its failures fail
// the Map (MapStateFailed).
func (p jsonataProc) items(rt *runtimeCtx, k *mapState, in any) ([]any, error) {
	v, err := p.itemsValue(rt, k, in)
	if err != nil {
		return nil, rt.f.mapFail(rt, err)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, rt.f.mapFail(rt, rt.qerrNoLoc(fmt.Sprintf("Map state input must be an array but was: %s", encodeJSON(v))))
	}
	return arr, nil
}

// itemsValue evaluates a Map's Items field (the input without one).
func (jsonataProc) itemsValue(rt *runtimeCtx, k *mapState, input any) (any, error) {
	if len(k.itemsField) == 0 {
		return input, nil
	}
	env := rt.jsonata(input, nil)
	raw, _ := decodeJSON(k.itemsField)
	s, isStr := raw.(string)
	if !isStr {
		return env.evalValue(raw, "Items")
	}
	expr, ok := isJSONataExpr(s)
	if !ok {
		return raw, nil
	}
	x, err := env.eval(expr)
	if err != nil {
		if _, undef := err.(undefinedError); undef {
			return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned nothing (undefined).", expr))
		}
		return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' threw an error during evaluation. %s", expr, jsonataErrText(err)))
	}
	y, ok := fromJSONata(x)
	if !ok {
		return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unsupported result type.", expr))
	}
	if _, isArr := y.([]any); !isArr {
		return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", expr, typeName(y), encodeJSON(y)))
	}
	return y, nil
}
