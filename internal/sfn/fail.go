package sfn

import (
	"context"
	"encoding/json"
	"fmt"
)

// failState is a Fail state: its body fails with the state's Error and
// Cause.
type failState struct {
	// errorRaw and cause are literal or JSONata; the Path forms are
	// JSONPath only.
	errorRaw, cause      json.RawMessage
	errorPath, causePath string
	jsonata              bool
}

func newFailState(st *State) *failState {
	return &failState{errorRaw: st.Error, cause: st.Cause, errorPath: st.ErrorPath, causePath: st.CausePath, jsonata: st.ql == JSONata}
}

// exec fails with the state's Error and Cause, which see the raw input.
func (k *failState) exec(_ context.Context, _ *frame, rt *runtimeCtx, _ any) (outcome, error) {
	return outcome{}, k.failure(rt, rt.input)
}

// failure is the error of the Fail state.
func (k *failState) failure(rt *runtimeCtx, raw any) error {
	se := &StatesError{NoName: true}
	if k.jsonata {
		env := rt.jsonata(raw, nil)
		for _, fld := range []struct {
			raw  json.RawMessage
			name string
			dst  *string
			set  *bool
		}{{k.errorRaw, "Error", &se.Name, nil}, {k.cause, "Cause", &se.Cause, &se.HasCause}} {
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
	if len(k.errorRaw) > 0 {
		_ = json.Unmarshal(k.errorRaw, &se.Name)
		se.NoName = false
	} else if k.errorPath != "" {
		v, err := evalDynamic(k.errorPath, "ErrorPath", sc, rt)
		if err != nil {
			return err
		}
		se.Name = stringOrJSON(v)
		se.NoName = false
	}
	if len(k.cause) > 0 {
		_ = json.Unmarshal(k.cause, &se.Cause)
		se.HasCause = true
	} else if k.causePath != "" {
		v, err := evalDynamic(k.causePath, "CausePath", sc, rt)
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
