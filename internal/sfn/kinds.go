package sfn

import (
	"context"
	"encoding/json"
	"strings"
)

// stateKind is the body of one kind of state. The lifecycle (runState)
// does everything else: events, input and output processing, Retry and
// Catch.
type stateKind interface {
	// exec runs the body on the effective input.
	exec(ctx context.Context, f *frame, rt *runtimeCtx, in any) (outcome, error)
}

// outcome is what a state's body produces.
type outcome struct {
	result any
	next   string
	// rule is the Choice rule taken; its Assign and Output replace the
	// state's.
	rule *ChoiceRule
}

func (oc outcome) assignField(st *State) json.RawMessage {
	if oc.rule != nil {
		return firstRaw(oc.rule.Assign, st.Assign)
	}
	return st.Assign
}

func (oc outcome) outputField(st *State) json.RawMessage {
	if oc.rule != nil {
		return firstRaw(oc.rule.Output, st.Output)
	}
	return st.Output
}

func firstRaw(a, b json.RawMessage) json.RawMessage {
	if len(a) > 0 {
		return a
	}
	return b
}

// kindShape tells the lifecycle and the processors which of the common
// fields and behaviours a kind has.
type kindShape struct {
	params    bool // JSONPath Parameters shape the input
	args      bool // JSONata Arguments shape the input
	emptyArgs bool // without Arguments the input is {} (Task)
	result    bool // the body produces a result (ResultSelector, ResultPath; with args, $states.result)
	assign    bool // JSONPath Assign applies
	retry     bool // Retry, Catch and $$.State.RetryCount apply
	abortable bool // a cancelled run records <Type>StateAborted
	// abortedInBranch: an uncaught failure inside a Parallel branch also
	// records <Type>StateAborted (Task).
	abortedInBranch bool
}

// kinds is the table of state kinds: the ASL Type, its shape, the
// fields it accepts besides Type, Comment and QueryLanguage (see
// stateFieldSpecs) and the constructor of its body.
var kinds = map[string]struct {
	shape  kindShape
	fields []string
	build  func(st *State) stateKind
}{
	"Pass": {kindShape{params: true, result: true, assign: true},
		fieldList(transitionFields, jsonPathIO, "Parameters ResultPath Result Assign Output"),
		func(st *State) stateKind { return &passState{next: st.Next, result: st.result, hasResult: st.resultOK} }},
	"Task": {kindShape{params: true, args: true, emptyArgs: true, result: true, assign: true, retry: true, abortable: true, abortedInBranch: true},
		fieldList(transitionFields, jsonPathIO, resultFields, retryFields, "Resource TimeoutSeconds TimeoutSecondsPath HeartbeatSeconds HeartbeatSecondsPath Credentials"),
		func(st *State) stateKind { return newTaskState(st) }},
	"Choice": {kindShape{assign: true},
		fieldList(jsonPathIO, "Choices Default Assign Output"),
		func(st *State) stateKind { return newChoiceState(st) }},
	"Wait": {kindShape{assign: true, abortable: true},
		fieldList(transitionFields, jsonPathIO, "Seconds Timestamp SecondsPath TimestampPath Assign Output"),
		func(st *State) stateKind { return newWaitState(st) }},
	"Succeed": {kindShape{},
		fieldList(jsonPathIO, "Output"),
		func(st *State) stateKind { return succeedState{} }},
	"Fail": {kindShape{},
		fieldList("Error Cause ErrorPath CausePath"),
		func(st *State) stateKind { return newFailState(st) }},
	"Parallel": {kindShape{params: true, args: true, result: true, assign: true, retry: true, abortable: true},
		fieldList(transitionFields, jsonPathIO, resultFields, retryFields, "Branches"),
		func(st *State) stateKind { return &parallelState{next: st.Next, branches: st.Branches} }},
	"Map": {kindShape{args: true, result: true, assign: true, retry: true, abortable: true},
		fieldList(transitionFields, jsonPathIO, resultFields, retryFields,
			"ItemsPath Items ItemSelector ItemProcessor Iterator ItemReader ItemBatcher ResultWriter Label",
			"MaxConcurrency MaxConcurrencyPath ToleratedFailureCount ToleratedFailureCountPath ToleratedFailurePercentage ToleratedFailurePercentagePath"),
		func(st *State) stateKind { return newMapState(st) }},
}

// Field groups shared by several kinds.
const (
	transitionFields = "Next End"
	jsonPathIO       = "InputPath OutputPath"
	resultFields     = "Parameters ResultPath ResultSelector Arguments Output Assign"
	retryFields      = "Retry Catch"
)

func fieldList(groups ...string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, strings.Fields(g)...)
	}
	return out
}

// commonFields are accepted by every kind.
var commonFields = []string{"Type", "Comment", "QueryLanguage"}

// pathCheck is how Validate checks a field that holds a JSONPath.
type pathCheck int

const (
	noPath          pathCheck = iota
	inputPath                 // a path, or null (InputPath, OutputPath, ItemsPath)
	resultPath                // a reference path, or null (ResultPath)
	referencePath             // a reference path (the *Path fields)
	intrinsicOrPath           // a path or a States.* call (ErrorPath, CausePath)
)

// fieldSpec is what a state field is: the query language it belongs to
// ("" both) and how Validate checks its value. Its JSON type is the one
// of its State field (see fieldTypes), or typ for raw JSON fields whose
// value has one.
type fieldSpec struct {
	ql      string
	path    pathCheck
	payload bool // a JSONPath payload template (".$" fields)
	expr    bool // JSONata: may hold "{% %}" expressions
	typ     jsonType
}

// stateFieldSpecs lists every state field (but Type, Comment and
// QueryLanguage) as the State struct holds it.
var stateFieldSpecs = map[string]fieldSpec{
	"Next": {}, "End": {}, "Resource": {}, "Credentials": {}, "Retry": {}, "Catch": {},
	"Choices": {}, "Default": {}, "Branches": {}, "ItemProcessor": {}, "Iterator": {},
	"ItemReader": {}, "ItemBatcher": {}, "ResultWriter": {}, "Label": {},
	"InputPath":      {ql: JSONPath, path: inputPath},
	"OutputPath":     {ql: JSONPath, path: inputPath},
	"ItemsPath":      {ql: JSONPath, path: inputPath},
	"ResultPath":     {ql: JSONPath, path: resultPath},
	"Parameters":     {ql: JSONPath, payload: true},
	"ResultSelector": {ql: JSONPath, payload: true},
	"Result":         {ql: JSONPath},
	"ItemSelector":   {payload: true, expr: true},
	"Assign":         {payload: true, expr: true, typ: objectJSON},
	"Arguments":      {ql: JSONata, expr: true},
	"Output":         {ql: JSONata, expr: true},
	"Items":          {ql: JSONata, expr: true},

	"Seconds":                        {expr: true},
	"SecondsPath":                    {ql: JSONPath, path: referencePath},
	"Timestamp":                      {expr: true},
	"TimestampPath":                  {ql: JSONPath, path: referencePath},
	"TimeoutSeconds":                 {expr: true},
	"TimeoutSecondsPath":             {ql: JSONPath, path: referencePath},
	"HeartbeatSeconds":               {expr: true},
	"HeartbeatSecondsPath":           {ql: JSONPath, path: referencePath},
	"MaxConcurrency":                 {expr: true},
	"MaxConcurrencyPath":             {ql: JSONPath, path: referencePath},
	"ToleratedFailureCount":          {expr: true},
	"ToleratedFailureCountPath":      {ql: JSONPath, path: referencePath},
	"ToleratedFailurePercentage":     {expr: true},
	"ToleratedFailurePercentagePath": {ql: JSONPath, path: referencePath},
	"Error":                          {expr: true, typ: stringJSON},
	"ErrorPath":                      {ql: JSONPath, path: intrinsicOrPath},
	"Cause":                          {expr: true, typ: stringJSON},
	"CausePath":                      {ql: JSONPath, path: intrinsicOrPath},
}

// compileKind sets the state's body, shape and processor. An unknown
// Type fails when the state runs (Validate reports it first).
func (st *State) compileKind() {
	st.proc = processorFor(st.ql)
	k, ok := kinds[st.Type]
	if !ok {
		st.kind, st.shape = unknownState{st.Type}, kindShape{params: true}
		return
	}
	st.kind, st.shape = k.build(st), k.shape
	st.waitForToken = st.Type == "Task" && strings.HasSuffix(st.Resource, ".waitForTaskToken")
}

// passState is a Pass state: its body passes Result or its input on.
type passState struct {
	next      string
	result    any // Result, when hasResult
	hasResult bool
}

// exec returns Result, or the effective input.
func (k *passState) exec(_ context.Context, _ *frame, _ *runtimeCtx, in any) (outcome, error) {
	if k.hasResult {
		return outcome{result: k.result, next: k.next}, nil
	}
	return outcome{result: in, next: k.next}, nil
}

// succeedState is a Succeed state: its body does nothing.
type succeedState struct{}

func (succeedState) exec(context.Context, *frame, *runtimeCtx, any) (outcome, error) {
	return outcome{}, nil
}

// unknownState stands for a Type the engine does not know; it fails
// when it runs.
type unknownState struct{ typ string }

func (k unknownState) exec(context.Context, *frame, *runtimeCtx, any) (outcome, error) {
	return outcome{}, newErrf(ErrRuntime, "unsupported state type %q", k.typ)
}
