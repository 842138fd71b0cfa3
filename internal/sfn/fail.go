package sfn

import (
	"context"
	"encoding/json"
	"fmt"
)

// failState is a Fail state: its body fails with the state's Error and
// Cause.
type failState struct{}

// exec fails with the state's Error and Cause, which see the raw input.
func (failState) exec(_ context.Context, f *frame, rt *runtimeCtx, _ any) (outcome, error) {
	return outcome{}, f.runFail(rt, rt.input)
}

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
