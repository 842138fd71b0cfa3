package sfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	jsonata "github.com/blues/jsonata-go"
)

// Diagnostic is one problem found by Validate, shaped like the AWS
// ValidateStateMachineDefinition diagnostics.
type Diagnostic struct {
	Severity string `json:"severity"` // "ERROR" or "WARNING"
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// Diagnostic codes (AWS ValidateStateMachineDefinition).
const (
	CodeInvalidJSON             = "INVALID_JSON_DESCRIPTION"
	CodeMissingDescription      = "MISSING_DESCRIPTION"
	CodeSchemaValidationFailed  = "SCHEMA_VALIDATION_FAILED"
	CodeInvalidResource         = "INVALID_RESOURCE"
	CodeMissingEndState         = "MISSING_END_STATE"
	CodeDuplicateStateName      = "DUPLICATE_STATE_NAME"
	CodeInvalidStateName        = "INVALID_STATE_NAME"
	CodeMissingTransitionTarget = "MISSING_TRANSITION_TARGET"
	CodeTooDeeplyNested         = "TOO_DEEPLY_NESTED"
)

// Validate checks an ASL definition and returns every error found (no
// warnings), each with its JSON location such as "/States/A/Next".
func Validate(def []byte) []Diagnostic {
	v := &validator{}
	v.run(def)
	sort.SliceStable(v.diags, func(i, j int) bool { return v.diags[i].Location < v.diags[j].Location })
	return v.diags
}

type validator struct {
	diags []Diagnostic
}

func (v *validator) add(code, loc, format string, args ...any) {
	v.diags = append(v.diags, Diagnostic{Severity: "ERROR", Code: code, Message: fmt.Sprintf(format, args...), Location: loc})
}

const maxNesting = 32

func (v *validator) run(def []byte) {
	if len(bytes.TrimSpace(def)) == 0 {
		v.add(CodeMissingDescription, "", "The definition is empty.")
		return
	}
	raw, err := decodeJSON(def)
	if err != nil {
		v.add(CodeInvalidJSON, "", "Invalid JSON: %v", err)
		return
	}
	v.duplicates(def)
	top, ok := raw.(map[string]any)
	if !ok {
		v.add(CodeSchemaValidationFailed, "", "The definition must be a JSON object.")
		return
	}
	v.workflow(top, "", JSONPath, 0, true)
}

// duplicates reports repeated object keys (duplicate state names).
func (v *validator) duplicates(def []byte) {
	dec := json.NewDecoder(bytes.NewReader(def))
	dec.UseNumber()
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				if seen[k] {
					if strings.HasSuffix(path, "/States") {
						v.add(CodeDuplicateStateName, path+"/"+k, "Duplicate state name '%s'.", k)
					} else {
						v.add(CodeSchemaValidationFailed, path+"/"+k, "Duplicate field '%s'.", k)
					}
				}
				seen[k] = true
				if err := walk(path + "/" + k); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(""); err != nil && err != io.EOF {
		return
	}
}

var workflowFields = map[string]bool{"Comment": true, "StartAt": true, "States": true, "TimeoutSeconds": true, "Version": true, "QueryLanguage": true}
var processorFields = map[string]bool{"Comment": true, "StartAt": true, "States": true, "ProcessorConfig": true, "QueryLanguage": true}

func (v *validator) workflow(w map[string]any, loc, parentQL string, depth int, top bool) {
	if depth > maxNesting {
		v.add(CodeTooDeeplyNested, loc, "The states are nested more than %d levels deep.", maxNesting)
		return
	}
	allowed := workflowFields
	if !top {
		allowed = processorFields
	}
	for k := range w {
		if !allowed[k] {
			v.add(CodeSchemaValidationFailed, loc+"/"+k, "The field '%s' is not supported here.", k)
		}
	}
	ql := v.workflowQL(w, loc, parentQL, top)
	if t, ok := w["TimeoutSeconds"]; ok {
		if n, ok := numInt(t); !ok || n <= 0 {
			v.add(CodeSchemaValidationFailed, loc+"/TimeoutSeconds", "TimeoutSeconds must be a positive integer.")
		}
	}
	states, ok := w["States"].(map[string]any)
	if !ok || len(states) == 0 {
		v.add(CodeSchemaValidationFailed, loc+"/States", "The field 'States' is required and must be a non-empty object.")
		states = map[string]any{}
	}
	start, ok := w["StartAt"].(string)
	if !ok {
		v.add(CodeSchemaValidationFailed, loc+"/StartAt", "The field 'StartAt' is required and must be a string.")
	} else if _, exists := states[start]; !exists && len(states) > 0 {
		v.add(CodeMissingTransitionTarget, loc+"/StartAt", "Missing 'Next' target: %s", start)
	}
	names := slices.Sorted(maps.Keys(states))
	edges, terminal := v.states(states, names, loc, ql, depth)
	if len(states) > 0 && !terminal {
		v.add(CodeMissingEndState, loc, "The workflow has no terminal state.")
	}
	if _, ok := states[start]; ok {
		v.reachable(states, names, edges, start, loc)
	}
}

// workflowQL checks the workflow's QueryLanguage and returns the
// effective one.
func (v *validator) workflowQL(w map[string]any, loc, parentQL string, top bool) string {
	q, ok := w["QueryLanguage"]
	if !ok {
		return parentQL
	}
	s, _ := q.(string)
	if s != JSONPath && s != JSONata {
		v.add(CodeSchemaValidationFailed, loc+"/QueryLanguage", "QueryLanguage must be 'JSONPath' or 'JSONata'.")
		return parentQL
	}
	if parentQL == JSONata && s == JSONPath && !top {
		v.add(CodeSchemaValidationFailed, loc+"/QueryLanguage", "A JSONata workflow cannot contain JSONPath workflows.")
	}
	return s
}

// states validates each state (in name order) and its targets; it
// returns the transitions and whether some state ends the workflow.
func (v *validator) states(states map[string]any, names []string, loc, ql string, depth int) (map[string][]string, bool) {
	edges := map[string][]string{}
	terminal := false
	for _, name := range names {
		sloc := loc + "/States/" + name
		if len(name) == 0 || len(name) > 80 {
			v.add(CodeInvalidStateName, sloc, "State names must be 1 to 80 characters long.")
		}
		st, ok := states[name].(map[string]any)
		if !ok {
			v.add(CodeSchemaValidationFailed, sloc, "A state must be a JSON object.")
			continue
		}
		next, term := v.state(st, sloc, ql, depth)
		edges[name] = next
		terminal = terminal || term
		for _, n := range next {
			if _, exists := states[n]; !exists {
				v.add(CodeMissingTransitionTarget, sloc, "Missing 'Next' target: %s", n)
			}
		}
	}
	return edges, terminal
}

// reachable reports the states that no path from start reaches.
func (v *validator) reachable(states map[string]any, names []string, edges map[string][]string, start, loc string) {
	seen := map[string]bool{start: true}
	queue := []string{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range edges[n] {
			if _, exists := states[m]; exists && !seen[m] {
				seen[m] = true
				queue = append(queue, m)
			}
		}
	}
	for _, n := range names {
		if !seen[n] {
			v.add(CodeSchemaValidationFailed, loc+"/States/"+n, "State '%s' is not reachable.", n)
		}
	}
}

// state validates one state; it returns its transition targets and
// whether it can end the workflow. The checks run in a fixed order, so
// diagnostics at one location keep their order.
func (v *validator) state(st map[string]any, loc, parentQL string, depth int) ([]string, bool) {
	typ, _ := st["Type"].(string)
	k, ok := kinds[typ]
	if !ok {
		v.add(CodeSchemaValidationFailed, loc+"/Type", "Unknown state type '%v'.", st["Type"])
		return nil, true
	}
	ql := v.stateQL(st, loc, parentQL)
	v.fields(st, loc, typ, k.fields, ql)
	var next []string
	terminal := false
	if slices.Contains(k.fields, "Next") {
		next, terminal = v.transition(st, loc)
	}
	v.values(st, loc, ql)
	kn, kt := v.kindRules(typ, st, loc, ql, depth)
	next = append(next, kn...)
	if r, ok := st["Retry"]; ok {
		v.retriers(r, loc+"/Retry")
	}
	if c, ok := st["Catch"]; ok {
		next = append(next, v.catchers(c, loc+"/Catch", ql)...)
	}
	return next, terminal || kt
}

// stateQL checks the state's QueryLanguage and returns the effective one.
func (v *validator) stateQL(st map[string]any, loc, parentQL string) string {
	q, ok := st["QueryLanguage"]
	if !ok {
		return parentQL
	}
	s, _ := q.(string)
	if s != JSONPath && s != JSONata {
		v.add(CodeSchemaValidationFailed, loc+"/QueryLanguage", "QueryLanguage must be 'JSONPath' or 'JSONata'.")
		return parentQL
	}
	if parentQL == JSONata && s == JSONPath {
		v.add(CodeSchemaValidationFailed, loc+"/QueryLanguage", "A state cannot use JSONPath in a JSONata state machine.")
	}
	return s
}

// fields reports fields the kind does not accept, or not in ql.
func (v *validator) fields(st map[string]any, loc, typ string, accepted []string, ql string) {
	for k := range st {
		if slices.Contains(commonFields, k) {
			continue
		}
		switch {
		case !slices.Contains(accepted, k):
			v.add(CodeSchemaValidationFailed, loc+"/"+k, "The field '%s' is not supported by state type '%s'.", k, typ)
		case stateFieldSpecs[k].ql == JSONPath && ql == JSONata:
			v.add(CodeSchemaValidationFailed, loc+"/"+k, "The field '%s' is not supported in JSONata states.", k)
		case stateFieldSpecs[k].ql == JSONata && ql == JSONPath:
			v.add(CodeSchemaValidationFailed, loc+"/"+k, "The field '%s' is only supported in JSONata states.", k)
		}
	}
}

// transition checks Next and End and returns the target.
func (v *validator) transition(st map[string]any, loc string) ([]string, bool) {
	n, isStr := st["Next"].(string)
	end, _ := st["End"].(bool)
	_, hasN := st["Next"]
	var next []string
	terminal := false
	switch {
	case hasN && end:
		v.add(CodeSchemaValidationFailed, loc, "A state cannot have both 'Next' and 'End'.")
	case hasN && !isStr:
		v.add(CodeSchemaValidationFailed, loc+"/Next", "'Next' must be a string.")
	case hasN:
		next = append(next, n)
	case end:
		terminal = true
	default:
		v.add(CodeSchemaValidationFailed, loc, "The state must have either 'Next' or 'End: true'.")
	}
	if e, ok := st["End"]; ok {
		if _, isBool := e.(bool); !isBool {
			v.add(CodeSchemaValidationFailed, loc+"/End", "'End' must be a boolean.")
		}
	}
	return next, terminal
}

// values checks the values of the fields present, as stateFieldSpecs
// describes them: paths, payload templates, Assign and JSONata
// expressions.
func (v *validator) values(st map[string]any, loc, ql string) {
	for _, k := range slices.Sorted(maps.Keys(st)) {
		spec, ok := stateFieldSpecs[k]
		if !ok {
			continue
		}
		x, floc := st[k], loc+"/"+k
		switch spec.path {
		case inputPath, resultPath:
			if x != nil {
				v.path(x, floc, spec.path == resultPath)
			}
		case referencePath:
			v.path(x, floc, true)
		}
		switch {
		case k == "Assign":
			if _, isObj := x.(map[string]any); !isObj {
				v.add(CodeSchemaValidationFailed, floc, "'Assign' must be an object.")
			} else if ql == JSONPath {
				v.payload(x, floc)
			}
		case spec.payload && ql == JSONPath:
			v.payload(x, floc)
		}
		if spec.expr && ql == JSONata {
			v.jsonata(x, floc)
		}
	}
}

// kindRules runs the checks of one kind; it returns the transition
// targets they add and whether the kind ends the workflow.
func (v *validator) kindRules(typ string, st map[string]any, loc, ql string, depth int) ([]string, bool) {
	switch typ {
	case "Task":
		v.task(st, loc)
	case "Choice":
		return v.choice(st, loc, ql), false
	case "Wait":
		v.wait(st, loc, ql)
	case "Succeed":
		return nil, true
	case "Fail":
		v.fail(st, loc)
		return nil, true
	case "Parallel":
		v.parallel(st, loc, ql, depth)
	case "Map":
		v.mapState(st, loc, ql, depth)
	}
	return nil, false
}

func (v *validator) task(st map[string]any, loc string) {
	r, ok := st["Resource"].(string)
	if !ok {
		v.add(CodeSchemaValidationFailed, loc+"/Resource", "The field 'Resource' is required and must be a string.")
	} else if !strings.HasPrefix(r, "arn:") || len(strings.Split(r, ":")) < 6 {
		v.add(CodeInvalidResource, loc+"/Resource", "Invalid resource: %s", r)
	}
	v.exclusive(st, loc, "TimeoutSeconds", "TimeoutSecondsPath")
	v.exclusive(st, loc, "HeartbeatSeconds", "HeartbeatSecondsPath")
	v.positiveInt(st, loc, "TimeoutSeconds")
	v.positiveInt(st, loc, "HeartbeatSeconds")
}

// choice checks the rules and returns their targets and Default.
func (v *validator) choice(st map[string]any, loc, ql string) []string {
	var next []string
	rules, ok := st["Choices"].([]any)
	if !ok || len(rules) == 0 {
		v.add(CodeSchemaValidationFailed, loc+"/Choices", "'Choices' must be a non-empty array.")
	}
	for i, r := range rules {
		rl := fmt.Sprintf("%s/Choices[%d]", loc, i)
		m, ok := r.(map[string]any)
		if !ok {
			v.add(CodeSchemaValidationFailed, rl, "A choice rule must be an object.")
			continue
		}
		n, ok := m["Next"].(string)
		if !ok {
			v.add(CodeSchemaValidationFailed, rl+"/Next", "A top-level choice rule requires 'Next'.")
		} else {
			next = append(next, n)
		}
		v.rule(m, rl, ql, true)
	}
	if d, ok := st["Default"]; ok {
		if s, isStr := d.(string); isStr {
			next = append(next, s)
		} else {
			v.add(CodeSchemaValidationFailed, loc+"/Default", "'Default' must be a string.")
		}
	}
	return next
}

func (v *validator) wait(st map[string]any, loc, ql string) {
	n := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if _, ok := st[f]; ok {
			n++
		}
	}
	if n != 1 {
		v.add(CodeSchemaValidationFailed, loc, "A Wait state requires exactly one of Seconds, Timestamp, SecondsPath, TimestampPath.")
	}
	if ql != JSONPath {
		return
	}
	if s, ok := st["Seconds"]; ok {
		if i, ok := numInt(s); !ok || i < 0 {
			v.add(CodeSchemaValidationFailed, loc+"/Seconds", "'Seconds' must be a non-negative integer.")
		}
	}
	if s, ok := st["Timestamp"]; ok {
		str, _ := s.(string)
		if _, ok := parseISOTimestamp(str); !ok {
			v.add(CodeSchemaValidationFailed, loc+"/Timestamp", "'Timestamp' must be an ISO-8601 extended offset date-time.")
		}
	}
}

func (v *validator) fail(st map[string]any, loc string) {
	v.exclusive(st, loc, "Error", "ErrorPath")
	v.exclusive(st, loc, "Cause", "CausePath")
	for _, f := range []string{"ErrorPath", "CausePath"} { // intrinsicOrPath
		if x, ok := st[f]; ok {
			s, _ := x.(string)
			if !strings.HasPrefix(s, "States.") {
				v.path(x, loc+"/"+f, false)
			}
		}
	}
}

func (v *validator) parallel(st map[string]any, loc, ql string, depth int) {
	br, ok := st["Branches"].([]any)
	if !ok || len(br) == 0 {
		v.add(CodeSchemaValidationFailed, loc+"/Branches", "'Branches' must be a non-empty array.")
	}
	for i, b := range br {
		bl := fmt.Sprintf("%s/Branches[%d]", loc, i)
		m, ok := b.(map[string]any)
		if !ok {
			v.add(CodeSchemaValidationFailed, bl, "A branch must be an object.")
			continue
		}
		v.workflow(m, bl, ql, depth+1, false)
	}
}

func (v *validator) mapState(st map[string]any, loc, ql string, depth int) {
	p, okP := st["ItemProcessor"].(map[string]any)
	it, okI := st["Iterator"].(map[string]any)
	switch {
	case okP && okI:
		v.add(CodeSchemaValidationFailed, loc, "A Map state cannot have both 'ItemProcessor' and 'Iterator'.")
	case okP:
		v.workflow(p, loc+"/ItemProcessor", ql, depth+1, false)
	case okI:
		v.workflow(it, loc+"/Iterator", ql, depth+1, false)
	default:
		v.add(CodeSchemaValidationFailed, loc+"/ItemProcessor", "A Map state requires 'ItemProcessor'.")
	}
	v.exclusive(st, loc, "MaxConcurrency", "MaxConcurrencyPath")
	v.exclusive(st, loc, "ToleratedFailureCount", "ToleratedFailureCountPath")
	v.exclusive(st, loc, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
	v.exclusive(st, loc, "ItemSelector", "Parameters")
	if x, ok := st["MaxConcurrency"]; ok {
		if _, isStr := x.(string); !isStr {
			if n, ok := numInt(x); !ok || n < 0 {
				v.add(CodeSchemaValidationFailed, loc+"/MaxConcurrency", "'MaxConcurrency' must be a non-negative integer.")
			}
		}
	}
}

// catchers checks Catch and returns the catchers' targets.
func (v *validator) catchers(c any, loc, ql string) []string {
	list, isArr := c.([]any)
	if !isArr {
		v.add(CodeSchemaValidationFailed, loc, "'Catch' must be an array.")
	}
	var next []string
	for i, x := range list {
		cl := fmt.Sprintf("%s[%d]", loc, i)
		m, ok := x.(map[string]any)
		if !ok {
			v.add(CodeSchemaValidationFailed, cl, "A catcher must be an object.")
			continue
		}
		v.errorEquals(m["ErrorEquals"], cl+"/ErrorEquals", i == len(list)-1)
		if n, ok := m["Next"].(string); ok {
			next = append(next, n)
		} else {
			v.add(CodeSchemaValidationFailed, cl+"/Next", "A catcher requires 'Next'.")
		}
		v.catcherFields(m, cl, ql)
	}
	return next
}

func (v *validator) catcherFields(m map[string]any, cl, ql string) {
	for k := range m {
		switch k {
		case "ErrorEquals", "Next", "Comment", "Assign":
		case "ResultPath":
			if ql == JSONata {
				v.add(CodeSchemaValidationFailed, cl+"/ResultPath", "The field 'ResultPath' is not supported in JSONata states.")
			} else if m[k] != nil {
				v.path(m[k], cl+"/ResultPath", true)
			}
		case "Output":
			if ql == JSONPath {
				v.add(CodeSchemaValidationFailed, cl+"/Output", "The field 'Output' is only supported in JSONata states.")
			}
		default:
			v.add(CodeSchemaValidationFailed, cl+"/"+k, "The field '%s' is not supported in a catcher.", k)
		}
	}
}

func (v *validator) exclusive(st map[string]any, loc, a, b string) {
	_, okA := st[a]
	_, okB := st[b]
	if okA && okB {
		v.add(CodeSchemaValidationFailed, loc, "The fields '%s' and '%s' are mutually exclusive.", a, b)
	}
}

func (v *validator) positiveInt(st map[string]any, loc, f string) {
	x, ok := st[f]
	if !ok {
		return
	}
	if s, isStr := x.(string); isStr {
		if _, isExpr := isJSONataExpr(s); isExpr {
			return
		}
	}
	if n, ok := numInt(x); !ok || n <= 0 {
		v.add(CodeSchemaValidationFailed, loc+"/"+f, "'%s' must be a positive integer.", f)
	}
}

// path checks a JSONPath; reference paths may not contain wildcards.
func (v *validator) path(x any, loc string, reference bool) {
	s, ok := x.(string)
	if !ok {
		v.add(CodeSchemaValidationFailed, loc, "The value must be a JSONPath string.")
		return
	}
	p, err := parsePath(s)
	if err != nil {
		v.add(CodeSchemaValidationFailed, loc, "The value for the field must be a valid JSONPath: %s", s)
		return
	}
	if reference && !p.isReference() {
		v.add(CodeSchemaValidationFailed, loc, "The value for the field must be a valid reference path: %s", s)
	}
}

// payload checks ".$" fields of a JSONPath payload template.
func (v *validator) payload(x any, loc string) {
	switch t := x.(type) {
	case map[string]any:
		for k, e := range t {
			if strings.HasSuffix(k, ".$") {
				s, ok := e.(string)
				if !ok {
					v.add(CodeSchemaValidationFailed, loc+"/"+k, "The value of a '.$' field must be a string.")
					continue
				}
				if strings.HasPrefix(s, "States.") {
					if _, err := parseIntrinsic(s); err != nil {
						v.add(CodeSchemaValidationFailed, loc+"/"+k, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", k)
					}
					continue
				}
				if _, err := parsePath(s); err != nil {
					v.add(CodeSchemaValidationFailed, loc+"/"+k, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", k)
				}
				continue
			}
			v.payload(e, loc+"/"+k)
		}
	case []any:
		for i, e := range t {
			v.payload(e, fmt.Sprintf("%s[%d]", loc, i))
		}
	}
}

// jsonata compiles every "{% %}" expression found in x.
func (v *validator) jsonata(x any, loc string) {
	switch t := x.(type) {
	case string:
		if expr, ok := isJSONataExpr(t); ok {
			if _, err := jsonata.Compile(expr); err != nil {
				v.add(CodeSchemaValidationFailed, loc, "Invalid JSONata expression '%s': %v", expr, err)
			}
		}
	case map[string]any:
		for k, e := range t {
			v.jsonata(e, loc+"/"+k)
		}
	case []any:
		for i, e := range t {
			v.jsonata(e, fmt.Sprintf("%s[%d]", loc, i))
		}
	}
}

// rule validates a choice rule (top-level rules may carry Next/Assign/Output).
func (v *validator) rule(m map[string]any, loc, ql string, top bool) {
	if ql == JSONata {
		if _, ok := m["Condition"]; !ok {
			v.add(CodeSchemaValidationFailed, loc, "A JSONata choice rule requires 'Condition'.")
		} else {
			v.jsonata(m["Condition"], loc+"/Condition")
		}
		for k := range m {
			switch k {
			case "Condition", "Next", "Comment", "Assign", "Output":
			default:
				v.add(CodeSchemaValidationFailed, loc+"/"+k, "The field '%s' is not supported in a JSONata choice rule.", k)
			}
		}
		return
	}
	ops, nested := 0, 0
	for k, x := range m {
		switch k {
		case "Next", "Assign", "Output":
			if !top {
				v.add(CodeSchemaValidationFailed, loc+"/"+k, "The field '%s' is only allowed on top-level choice rules.", k)
			}
		case "Comment":
		case "Variable":
			v.path(x, loc+"/Variable", false)
		case "And", "Or":
			nested++
			list, ok := x.([]any)
			if !ok || len(list) == 0 {
				v.add(CodeSchemaValidationFailed, loc+"/"+k, "'%s' must be a non-empty array.", k)
			}
			for i, e := range list {
				if r, ok := e.(map[string]any); ok {
					v.rule(r, fmt.Sprintf("%s/%s[%d]", loc, k, i), ql, false)
				}
			}
		case "Not":
			nested++
			if r, ok := x.(map[string]any); ok {
				v.rule(r, loc+"/Not", ql, false)
			} else {
				v.add(CodeSchemaValidationFailed, loc+"/Not", "'Not' must be an object.")
			}
		default:
			kind, ok := choiceOps[k]
			if !ok {
				v.add(CodeSchemaValidationFailed, loc+"/"+k, "The field '%s' is not supported in a choice rule.", k)
				continue
			}
			ops++
			if !operandOK(kind, x) {
				v.add(CodeSchemaValidationFailed, loc+"/"+k, "Invalid operand for '%s'.", k)
			} else if kind == "path" {
				v.path(x, loc+"/"+k, false)
			}
		}
	}
	switch {
	case ops+nested != 1:
		v.add(CodeSchemaValidationFailed, loc, "A choice rule requires exactly one comparison operator or And/Or/Not.")
	case ops == 1:
		if _, ok := m["Variable"]; !ok {
			v.add(CodeSchemaValidationFailed, loc, "A comparison requires 'Variable'.")
		}
	}
}

func operandOK(kind string, x any) bool {
	switch kind {
	case "string", "path":
		_, ok := x.(string)
		return ok
	case "number":
		_, ok := x.(json.Number)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "timestamp":
		s, ok := x.(string)
		if !ok {
			return false
		}
		_, ok = parseISOTimestamp(s)
		return ok
	}
	return false
}

func (v *validator) retriers(x any, loc string) {
	list, ok := x.([]any)
	if !ok {
		v.add(CodeSchemaValidationFailed, loc, "'Retry' must be an array.")
		return
	}
	for i, e := range list {
		rl := fmt.Sprintf("%s[%d]", loc, i)
		m, ok := e.(map[string]any)
		if !ok {
			v.add(CodeSchemaValidationFailed, rl, "A retrier must be an object.")
			continue
		}
		v.errorEquals(m["ErrorEquals"], rl+"/ErrorEquals", i == len(list)-1)
		for k, f := range m {
			switch k {
			case "ErrorEquals", "Comment":
			case "IntervalSeconds", "MaxDelaySeconds":
				if n, ok := numInt(f); !ok || n < 1 {
					v.add(CodeSchemaValidationFailed, rl+"/"+k, "'%s' must be a positive integer.", k)
				}
			case "MaxAttempts":
				if n, ok := numInt(f); !ok || n < 0 {
					v.add(CodeSchemaValidationFailed, rl+"/"+k, "'MaxAttempts' must be a non-negative integer.")
				}
			case "BackoffRate":
				if n, ok := numFloat(f); !ok || n < 1 {
					v.add(CodeSchemaValidationFailed, rl+"/"+k, "'BackoffRate' must be a number >= 1.0.")
				}
			case "JitterStrategy":
				if f != "FULL" && f != "NONE" {
					v.add(CodeSchemaValidationFailed, rl+"/"+k, "'JitterStrategy' must be FULL or NONE.")
				}
			default:
				v.add(CodeSchemaValidationFailed, rl+"/"+k, "The field '%s' is not supported in a retrier.", k)
			}
		}
	}
}

func (v *validator) errorEquals(x any, loc string, last bool) {
	list, ok := x.([]any)
	if !ok || len(list) == 0 {
		v.add(CodeSchemaValidationFailed, loc, "'ErrorEquals' must be a non-empty array of strings.")
		return
	}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			v.add(CodeSchemaValidationFailed, loc, "'ErrorEquals' must contain strings.")
			continue
		}
		if s == ErrALL && (len(list) != 1 || !last) {
			v.add(CodeSchemaValidationFailed, loc, "States.ALL must appear alone in the last retrier or catcher.")
		}
	}
}
