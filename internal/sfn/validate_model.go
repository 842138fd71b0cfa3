package sfn

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/imgflow/imgflow/internal/arn"
)

// These checks read the compiled model (Definition, State, its kind and
// query language, compiled templates) once the shape check has made the
// raw JSON decode. A value the shape check refused (it is reported there)
// reads as absent here, so "required" checks do not report it again.

// stateFieldIndex maps a State field's JSON name to its index.
var stateFieldIndex = func() map[string]int {
	t := reflect.TypeFor[State]()
	out := map[string]int{}
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = i
		}
	}
	return out
}()

// field is the value of st's field with JSON name name.
func (st *State) field(name string) any {
	return reflect.ValueOf(st).Elem().Field(stateFieldIndex[name]).Interface()
}

// has reports whether st has the field (a set path, a non-empty string,
// any raw JSON, true, a list or an object).
func (st *State) has(name string) bool {
	switch x := st.field(name).(type) {
	case OptString:
		return x.Set
	case string:
		return x != ""
	case json.RawMessage:
		return len(x) > 0
	case bool:
		return x
	}
	return !reflect.ValueOf(st.field(name)).IsNil()
}

// workflow checks a compiled state machine, branch or item processor.
func (v *validator) workflow(d *Definition, loc string) {
	if _, skipped := v.skipped[loc]; skipped {
		return
	}
	if d.TimeoutSeconds != nil && *d.TimeoutSeconds <= 0 {
		v.add(CodeSchemaValidationFailed, loc+"/TimeoutSeconds", "TimeoutSeconds must be a positive integer.")
	}
	if len(d.States) == 0 {
		v.required(loc+"/States", "The field 'States' is required and must be a non-empty object.")
	}
	_, startOK := d.States[d.StartAt]
	switch {
	case d.StartAt == "":
		v.required(loc+"/StartAt", "The field 'StartAt' is required and must be a string.")
	case !startOK && len(d.States) > 0:
		v.add(CodeMissingTransitionTarget, loc+"/StartAt", "Missing 'Next' target: %s", d.StartAt)
	}
	names := slices.Sorted(maps.Keys(d.States))
	edges, terminal := v.states(d.States, names, loc)
	if len(d.States) > 0 && !terminal {
		v.add(CodeMissingEndState, loc, "The workflow has no terminal state.")
	}
	if startOK {
		v.reachable(d.States, names, edges, d.StartAt, loc)
	}
}

// states checks each state (in name order) and its targets; it returns
// the transitions and whether some state ends the workflow.
func (v *validator) states(states map[string]*State, names []string, loc string) (map[string][]string, bool) {
	edges := map[string][]string{}
	terminal := false
	for _, name := range names {
		sloc := loc + "/States/" + name
		if len(name) == 0 || len(name) > 80 {
			v.add(CodeInvalidStateName, sloc, "State names must be 1 to 80 characters long.")
		}
		if t, skipped := v.skipped[sloc]; skipped {
			terminal = terminal || t
			continue
		}
		next, term := v.state(states[name], sloc)
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
func (v *validator) reachable(states map[string]*State, names []string, edges map[string][]string, start, loc string) {
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

// state checks one compiled state; it returns its transition targets and
// whether it can end the workflow.
func (v *validator) state(st *State, loc string) ([]string, bool) {
	var next []string
	terminal := false
	if slices.Contains(kinds[st.Type].fields, "Next") {
		next, terminal = v.transition(st, loc)
	}
	v.values(st, loc)
	kn, kt := v.kindRules(st, loc)
	next = append(next, kn...)
	v.retriers(st.Retry, loc+"/Retry")
	next = append(next, v.catchers(st.Catch, loc+"/Catch")...)
	return next, terminal || kt
}

// transition checks Next and End and returns the target.
func (v *validator) transition(st *State, loc string) ([]string, bool) {
	switch {
	case st.Next != "" && st.End:
		v.add(CodeSchemaValidationFailed, loc, "A state cannot have both 'Next' and 'End'.")
	case st.Next != "":
		return []string{st.Next}, false
	case st.End:
		return nil, true
	case !v.reportedAt(loc + "/Next"):
		v.add(CodeSchemaValidationFailed, loc, "The state must have either 'Next' or 'End: true'.")
	}
	return nil, false
}

// values checks the values of the fields present, as stateFieldSpecs
// describes them: paths, payload templates (compiled) and JSONata
// expressions.
func (v *validator) values(st *State, loc string) {
	for _, k := range slices.Sorted(maps.Keys(stateFieldSpecs)) {
		spec, floc := stateFieldSpecs[k], loc+"/"+k
		switch x := st.field(k).(type) {
		case OptString:
			if x.Set && !x.Null && (spec.path == inputPath || spec.path == resultPath) {
				v.path(x.Value, floc, spec.path == resultPath)
			}
		case string:
			if x != "" && (spec.path == inputPath || spec.path == referencePath) {
				v.path(x, floc, spec.path == referencePath)
			}
		case json.RawMessage:
			if len(x) == 0 {
				continue
			}
			if spec.payload && st.ql == JSONPath {
				v.template(st.template(k), floc)
			}
			if spec.expr && st.ql == JSONata {
				val, _ := decodeJSON(x)
				v.jsonata(val, floc)
			}
		}
	}
}

// template is the compiled JSONPath template of a payload field.
func (st *State) template(field string) *tmpl {
	switch field {
	case "Parameters":
		return st.params
	case "ResultSelector":
		return st.resSel
	case "ItemSelector":
		return st.itemSel
	}
	t, _ := compileTmpl(st.field(field).(json.RawMessage))
	return t
}

// kindRules runs the checks of one kind; it returns the transition
// targets they add and whether the kind ends the workflow.
func (v *validator) kindRules(st *State, loc string) ([]string, bool) {
	switch st.Type {
	case "Task":
		v.task(st, loc)
	case "Choice":
		return v.choice(st, loc), false
	case "Wait":
		v.wait(st, loc)
	case "Succeed":
		return nil, true
	case "Fail":
		v.fail(st, loc)
		return nil, true
	case "Parallel":
		v.parallel(st, loc)
	case "Map":
		v.mapState(st, loc)
	}
	return nil, false
}

func (v *validator) task(st *State, loc string) {
	if st.Resource == "" {
		v.required(loc+"/Resource", "The field 'Resource' is required and must be a string.")
	} else if _, ok := arn.Parse(st.Resource); !ok {
		v.add(CodeInvalidResource, loc+"/Resource", "Invalid resource: %s", st.Resource)
	}
	v.exclusive(st, loc, "TimeoutSeconds", "TimeoutSecondsPath")
	v.exclusive(st, loc, "HeartbeatSeconds", "HeartbeatSecondsPath")
	v.positiveInt(st.TimeoutSeconds, loc, "TimeoutSeconds")
	v.positiveInt(st.HeartbeatSeconds, loc, "HeartbeatSeconds")
}

// choice checks the rules and returns their targets and Default.
func (v *validator) choice(st *State, loc string) []string {
	var next []string
	if len(st.Choices) == 0 {
		v.required(loc+"/Choices", "'Choices' must be a non-empty array.")
	}
	for i, r := range st.Choices {
		rl := fmt.Sprintf("%s/Choices[%d]", loc, i)
		if _, skipped := v.skipped[rl]; skipped {
			continue
		}
		if r.Next == "" {
			v.required(rl+"/Next", "A top-level choice rule requires 'Next'.")
		} else {
			next = append(next, r.Next)
		}
		v.rule(r, rl, st.ql)
	}
	if st.Default != "" {
		next = append(next, st.Default)
	}
	return next
}

func (v *validator) wait(st *State, loc string) {
	n := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if st.has(f) || v.reportedAt(loc+"/"+f) {
			n++
		}
	}
	if n != 1 {
		v.add(CodeSchemaValidationFailed, loc, "A Wait state requires exactly one of Seconds, Timestamp, SecondsPath, TimestampPath.")
	}
	if st.ql != JSONPath {
		return
	}
	if len(st.Seconds) > 0 {
		s, _ := decodeJSON(st.Seconds)
		if i, ok := numInt(s); !ok || i < 0 {
			v.add(CodeSchemaValidationFailed, loc+"/Seconds", "'Seconds' must be a non-negative integer.")
		}
	}
	if len(st.Timestamp) > 0 {
		var s string
		_ = json.Unmarshal(st.Timestamp, &s)
		if _, ok := parseISOTimestamp(s); !ok {
			v.add(CodeSchemaValidationFailed, loc+"/Timestamp", "'Timestamp' must be an ISO-8601 extended offset date-time.")
		}
	}
}

func (v *validator) fail(st *State, loc string) {
	v.exclusive(st, loc, "Error", "ErrorPath")
	v.exclusive(st, loc, "Cause", "CausePath")
	for _, f := range []string{"ErrorPath", "CausePath"} { // intrinsicOrPath
		if s := st.field(f).(string); s != "" && !strings.HasPrefix(s, "States.") {
			v.path(s, loc+"/"+f, false)
		}
	}
}

func (v *validator) parallel(st *State, loc string) {
	if len(st.Branches) == 0 {
		v.required(loc+"/Branches", "'Branches' must be a non-empty array.")
	}
	for i, b := range st.Branches {
		v.workflow(b, fmt.Sprintf("%s/Branches[%d]", loc, i))
	}
}

func (v *validator) mapState(st *State, loc string) {
	switch {
	case st.Iterator != nil && st.ItemProcessor != st.Iterator:
		v.add(CodeSchemaValidationFailed, loc, "A Map state cannot have both 'ItemProcessor' and 'Iterator'.")
	case st.Iterator != nil:
		v.workflow(st.Iterator, loc+"/Iterator")
	case st.ItemProcessor != nil:
		v.workflow(st.ItemProcessor, loc+"/ItemProcessor")
	default:
		v.required(loc+"/ItemProcessor", "A Map state requires 'ItemProcessor'.")
	}
	v.exclusive(st, loc, "MaxConcurrency", "MaxConcurrencyPath")
	v.exclusive(st, loc, "ToleratedFailureCount", "ToleratedFailureCountPath")
	v.exclusive(st, loc, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
	v.exclusive(st, loc, "ItemSelector", "Parameters")
	if len(st.MaxConcurrency) > 0 {
		x, _ := decodeJSON(st.MaxConcurrency)
		if _, isStr := x.(string); !isStr {
			if n, ok := numInt(x); !ok || n < 0 {
				v.add(CodeSchemaValidationFailed, loc+"/MaxConcurrency", "'MaxConcurrency' must be a non-negative integer.")
			}
		}
	}
}

// retriers checks the Retry rules' values.
func (v *validator) retriers(rs []*Retrier, loc string) {
	for i, r := range rs {
		rl := fmt.Sprintf("%s[%d]", loc, i)
		if _, skipped := v.skipped[rl]; skipped {
			continue
		}
		v.errorEquals(r.ErrorEquals, rl+"/ErrorEquals", i == len(rs)-1)
		for _, f := range []struct {
			name string
			n    *json.Number
			ok   func(json.Number) bool
			msg  string
		}{
			{"IntervalSeconds", r.IntervalSeconds, func(n json.Number) bool { i, ok := numInt(n); return ok && i >= 1 }, "'IntervalSeconds' must be a positive integer."},
			{"MaxDelaySeconds", r.MaxDelaySeconds, func(n json.Number) bool { i, ok := numInt(n); return ok && i >= 1 }, "'MaxDelaySeconds' must be a positive integer."},
			{"MaxAttempts", r.MaxAttempts, func(n json.Number) bool { i, ok := numInt(n); return ok && i >= 0 }, "'MaxAttempts' must be a non-negative integer."},
			{"BackoffRate", r.BackoffRate, func(n json.Number) bool { f, ok := numFloat(n); return ok && f >= 1 }, "'BackoffRate' must be a number >= 1.0."},
		} {
			if f.n != nil && !f.ok(*f.n) {
				v.add(CodeSchemaValidationFailed, rl+"/"+f.name, "%s", f.msg)
			}
		}
		if r.JitterStrategy != "" && r.JitterStrategy != "FULL" && r.JitterStrategy != "NONE" {
			v.add(CodeSchemaValidationFailed, rl+"/JitterStrategy", "'JitterStrategy' must be FULL or NONE.")
		}
	}
}

// catchers checks Catch and returns the catchers' targets.
func (v *validator) catchers(cs []*Catcher, loc string) []string {
	var next []string
	for i, c := range cs {
		cl := fmt.Sprintf("%s[%d]", loc, i)
		if _, skipped := v.skipped[cl]; skipped {
			continue
		}
		v.errorEquals(c.ErrorEquals, cl+"/ErrorEquals", i == len(cs)-1)
		if c.Next == "" {
			v.required(cl+"/Next", "A catcher requires 'Next'.")
		} else {
			next = append(next, c.Next)
		}
		if c.ResultPath.Set && !c.ResultPath.Null {
			v.path(c.ResultPath.Value, cl+"/ResultPath", true)
		}
	}
	return next
}

func (v *validator) errorEquals(names []string, loc string, last bool) {
	if len(names) == 0 {
		v.required(loc, "'ErrorEquals' must be a non-empty array of strings.")
	}
	for _, s := range names {
		if s == ErrALL && (len(names) != 1 || !last) {
			v.add(CodeSchemaValidationFailed, loc, "States.ALL must appear alone in the last retrier or catcher.")
		}
	}
}

// rule checks a compiled choice rule.
func (v *validator) rule(r *ChoiceRule, loc, ql string) {
	if ql == JSONata {
		if len(r.Condition) == 0 {
			v.required(loc, "A JSONata choice rule requires 'Condition'.")
		} else {
			c, _ := decodeJSON(r.Condition)
			v.jsonata(c, loc+"/Condition")
		}
		return
	}
	if r.Variable != "" {
		v.path(r.Variable, loc+"/Variable", false)
	}
	nested := v.nestedRules(r, loc, ql)
	if r.Op != "" {
		kind := choiceOps[r.Op]
		if !operandOK(kind, r.Operand) {
			v.add(CodeSchemaValidationFailed, loc+"/"+r.Op, "Invalid operand for '%s'.", r.Op)
		} else if kind == "path" {
			v.path(r.Operand.(string), loc+"/"+r.Op, false)
		}
	}
	switch {
	case r.NOps+nested != 1:
		v.add(CodeSchemaValidationFailed, loc, "A choice rule requires exactly one comparison operator or And/Or/Not.")
	case r.NOps == 1 && r.Variable == "" && !v.reportedAt(loc+"/Variable"):
		v.add(CodeSchemaValidationFailed, loc, "A comparison requires 'Variable'.")
	}
}

// nestedRules checks And, Or and Not and returns how many the rule has
// (those the shape check refused count, so they are not reported again).
func (v *validator) nestedRules(r *ChoiceRule, loc, ql string) int {
	nested := 0
	for _, f := range []struct {
		name  string
		rules []*ChoiceRule
	}{{"And", r.And}, {"Or", r.Or}} {
		floc := loc + "/" + f.name
		if f.rules == nil {
			if v.reportedAt(floc) {
				nested++
			}
			continue
		}
		nested++
		if len(f.rules) == 0 {
			v.add(CodeSchemaValidationFailed, floc, "'%s' must be a non-empty array.", f.name)
		}
		for i, e := range f.rules {
			el := fmt.Sprintf("%s[%d]", floc, i)
			if _, skipped := v.skipped[el]; !skipped {
				v.rule(e, el, ql)
			}
		}
	}
	if r.Not != nil {
		v.rule(r.Not, loc+"/Not", ql)
	}
	if r.Not != nil || v.reportedAt(loc+"/Not") {
		nested++
	}
	return nested
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

func (v *validator) exclusive(st *State, loc, a, b string) {
	if st.has(a) && st.has(b) {
		v.add(CodeSchemaValidationFailed, loc, "The fields '%s' and '%s' are mutually exclusive.", a, b)
	}
}

// positiveInt checks an integer field that may also be a JSONata
// expression.
func (v *validator) positiveInt(raw json.RawMessage, loc, f string) {
	if len(raw) == 0 {
		return
	}
	x, _ := decodeJSON(raw)
	if s, isStr := x.(string); isStr {
		if _, isExpr := isJSONataExpr(s); isExpr {
			return
		}
	}
	if n, ok := numInt(x); !ok || n <= 0 {
		v.add(CodeSchemaValidationFailed, loc+"/"+f, "'%s' must be a positive integer.", f)
	}
}
