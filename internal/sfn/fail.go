package sfn

import (
	"context"
	"fmt"
)

// failState is a Fail state: its body fails with the state's Error and
// Cause.
type failState struct {
	// errorV and cause are values of the query language; the Path forms
	// are JSONPath only.
	errorV, cause        valueField
	errorPath, causePath string
}

func newFailState(st *State) *failState {
	return &failState{errorV: newValueField("Error", st.Error), cause: newValueField("Cause", st.Cause),
		errorPath: st.ErrorPath, causePath: st.CausePath}
}

// exec fails with the state's Error and Cause, which see the raw input.
func (k *failState) exec(_ context.Context, _ *frame, rt *runtimeCtx, _ any) (outcome, error) {
	return outcome{}, k.failure(rt, rt.input)
}

// failure is the error of the Fail state.
func (k *failState) failure(rt *runtimeCtx, raw any) error {
	se := &StatesError{NoName: true}
	name, ok, err := k.field(rt, k.errorV, k.errorPath, raw)
	if err != nil {
		return err
	}
	if ok {
		se.Name, se.NoName = name, false
	}
	if se.Cause, se.HasCause, err = k.field(rt, k.cause, k.causePath, raw); err != nil {
		return err
	}
	return se
}

// field reads Error or Cause (v) or its Path form; ok is false when the
// state has neither.
func (k *failState) field(rt *runtimeCtx, v valueField, path string, raw any) (string, bool, error) {
	if len(v.raw) > 0 {
		p := rt.st.proc
		x, err := p.value(rt, v, raw)
		if err != nil {
			return "", false, err
		}
		s, isStr := x.(string)
		if !isStr {
			return "", false, p.fieldError(rt, v.name, fmt.Sprintf("The %s field must evaluate to a string, but was %s", v.name, typeName(x)))
		}
		return s, true, nil
	}
	if path == "" {
		return "", false, nil
	}
	x, err := evalDynamic(path, v.name+"Path", rt.scope(raw), rt)
	if err != nil {
		return "", false, err
	}
	return stringOrJSON(x), true, nil
}

func stringOrJSON(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return encodeJSON(v)
}
