package sfn

import (
	"encoding/json"
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

	// The bodies of Choice, Wait, Fail and Map ask the processor for what
	// depends on the language, so that no body branches on it.

	// value evaluates a field that holds a value: a JSONPath payload
	// template (or literal) or JSONata "{% %}" expressions. in is what
	// the field sees as its input.
	value(rt *runtimeCtx, v valueField, in any) (any, error)
	// fieldError is the failure of a field whose value the state cannot
	// use (States.Runtime in JSONPath, States.QueryEvaluationError at the
	// field in JSONata).
	fieldError(rt *runtimeCtx, field, msg string) error
	// choose returns the first Choice rule that matches in, or nil.
	choose(rt *runtimeCtx, rules []*ChoiceRule, in any) (*ChoiceRule, error)
	// items selects a Map's items from its input (without an ItemReader).
	items(rt *runtimeCtx, k *mapState, in any) ([]any, error)
}

// valueField is a state field that the query language evaluates: its
// name, its value as written and, for JSONPath, its compiled template.
type valueField struct {
	name string
	raw  json.RawMessage
	t    *tmpl
}

// newValueField compiles raw for JSONPath once. raw comes from a parsed
// definition, so it is valid JSON.
func newValueField(name string, raw json.RawMessage) valueField {
	t, _ := compileTmpl(raw)
	return valueField{name: name, raw: raw, t: t}
}

// processorFor returns the processor of query language ql.
func processorFor(ql string) processor {
	if ql == JSONata {
		return jsonataProc{}
	}
	return jsonPathProc{}
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
