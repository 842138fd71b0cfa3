package sfn

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// The shape check is the thin part of Validate that reads the raw JSON:
// it reports fields that are unknown where they appear (or belong to the
// other query language) and values of the wrong JSON type. The fields and
// their types come from the structs the definition decodes into (State,
// Definition, Retrier, Catcher, ChoiceRule) and from the kinds table, so
// each field is listed once. What it reports it removes, so that the rest
// decodes into the compiled model, which the other checks read.

// jsonType is the JSON type a field's value must have.
type jsonType int

const (
	anyJSON jsonType = iota
	stringJSON
	boolJSON
	numberJSON
	integerJSON
	objectJSON
	arrayJSON
	stringArrayJSON  // []string (ErrorEquals)
	stringOrNullJSON // OptString (the paths that may be null)
)

func (t jsonType) String() string {
	return [...]string{"any value", "a string", "a boolean", "a number", "an integer", "an object",
		"an array", "a non-empty array of strings", "a string or null"}[t]
}

// accepts reports whether x (decoded with decodeJSON) has type t.
func (t jsonType) accepts(x any) bool {
	switch t {
	case stringJSON:
		_, ok := x.(string)
		return ok
	case boolJSON:
		_, ok := x.(bool)
		return ok
	case numberJSON:
		_, ok := x.(json.Number)
		return ok
	case integerJSON:
		_, ok := numInt(x)
		return ok
	case objectJSON:
		_, ok := x.(map[string]any)
		return ok
	case arrayJSON, stringArrayJSON:
		_, ok := x.([]any)
		return ok
	case stringOrNullJSON:
		_, ok := x.(string)
		return ok || x == nil
	}
	return true
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	optStringType  = reflect.TypeFor[OptString]()
	numberType     = reflect.TypeFor[json.Number]()
)

// jsonTypeOf is the JSON type that encoding/json decodes into Go type t.
func jsonTypeOf(t reflect.Type) jsonType {
	switch t {
	case rawMessageType:
		return anyJSON
	case optStringType:
		return stringOrNullJSON
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		if t == numberType {
			return numberJSON
		}
		return stringJSON
	case reflect.Bool:
		return boolJSON
	case reflect.Int, reflect.Int64:
		return integerJSON
	case reflect.Struct, reflect.Map:
		return objectJSON
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return stringArrayJSON
		}
		return arrayJSON
	}
	return anyJSON
}

// fieldTypes maps the JSON name of each field that struct T decodes to its
// JSON type.
func fieldTypes[T any]() map[string]jsonType {
	t := reflect.TypeFor[T]()
	out := map[string]jsonType{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = jsonTypeOf(t.Field(i).Type)
	}
	return out
}

// The fields of each object of a definition, as its struct decodes them.
var (
	stateFieldTypes     = fieldTypes[State]()
	definitionFieldType = fieldTypes[Definition]()
	processorConfigType = fieldTypes[ProcessorConfig]()
	retrierFieldTypes   = fieldTypes[Retrier]()
	catcherFieldTypes   = fieldTypes[Catcher]()
	ruleFieldTypes      = fieldTypes[ChoiceRule]()
)

// ruleFieldQL is the query language of the choice rule fields that belong
// to one; the comparison operators (choiceOps) are JSONPath's.
var ruleFieldQL = map[string]string{"Condition": JSONata, "Variable": JSONPath, "And": JSONPath, "Or": JSONPath, "Not": JSONPath}

// objectShape is what one kind of object accepts.
type objectShape struct {
	fields map[string]jsonType
	where  string // ends "The field 'X' is not supported ..."
	ql     string // the effective query language; "" checks no field's language
}

// shapeFields reports and removes from obj the fields the shape does not
// accept, those of the other query language and values of the wrong type.
func (v *validator) shapeFields(obj map[string]any, loc string, s objectShape) {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		t, ok := s.fields[k]
		floc := loc + "/" + k
		fql := stateFieldSpecs[k].ql
		switch {
		case !ok:
			v.add(CodeSchemaValidationFailed, floc, "The field '%s' is not supported %s.", k, s.where)
		case s.ql == JSONata && fql == JSONPath:
			v.add(CodeSchemaValidationFailed, floc, "The field '%s' is not supported in JSONata states.", k)
		case s.ql == JSONPath && fql == JSONata:
			v.add(CodeSchemaValidationFailed, floc, "The field '%s' is only supported in JSONata states.", k)
		case !t.accepts(obj[k]):
			v.add(CodeSchemaValidationFailed, floc, "'%s' must be %s.", k, t)
		case t == stringArrayJSON && !allStrings(obj[k]):
			v.add(CodeSchemaValidationFailed, floc, "'%s' must contain strings.", k)
		default:
			continue
		}
		delete(obj, k)
	}
}

func allStrings(x any) bool {
	for _, e := range x.([]any) {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// skip marks the value at loc as refused whole by the shape check; the
// checks of the compiled model pass it by. A skipped state ends the
// workflow when terminal is set (so that an unknown Type is reported
// once, not also as a missing end).
func (v *validator) skip(loc string, terminal bool) { v.skipped[loc] = terminal }

// objects returns the entries of the array field k of obj; an entry that
// is not an object is reported (what) and replaced by an empty, skipped
// one.
func (v *validator) objects(obj map[string]any, k, loc, what string) []map[string]any {
	list, _ := obj[k].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		el := fmt.Sprintf("%s[%d]", loc, i)
		m, ok := e.(map[string]any)
		if !ok {
			v.add(CodeSchemaValidationFailed, el, "A %s must be an object.", what)
			m = map[string]any{}
			list[i] = m
			v.skip(el, false)
		}
		out[i] = m
	}
	return out
}

// shapeWorkflow checks a state machine, Parallel branch or Map item
// processor.
func (v *validator) shapeWorkflow(w map[string]any, loc, parentQL string, depth int, top bool) {
	if depth > maxNesting {
		v.add(CodeTooDeeplyNested, loc, "The states are nested more than %d levels deep.", maxNesting)
		clear(w)
		v.skip(loc, false)
		return
	}
	fields := maps.Clone(definitionFieldType)
	if top {
		delete(fields, "ProcessorConfig")
	} else {
		delete(fields, "TimeoutSeconds")
		delete(fields, "Version")
	}
	ql := v.shapeQL(w, loc, parentQL, top)
	v.shapeFields(w, loc, objectShape{fields: fields, where: "here"})
	if pc, ok := w["ProcessorConfig"].(map[string]any); ok {
		v.shapeFields(pc, loc+"/ProcessorConfig", objectShape{fields: processorConfigType, where: "in ProcessorConfig"})
	}
	states, _ := w["States"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(states)) {
		sloc := loc + "/States/" + name
		st, ok := states[name].(map[string]any)
		if !ok {
			v.add(CodeSchemaValidationFailed, sloc, "A state must be a JSON object.")
			states[name] = map[string]any{}
			v.skip(sloc, false)
			continue
		}
		v.shapeState(st, sloc, ql, depth)
	}
}

// shapeQL checks a workflow's or a state's QueryLanguage and returns the
// effective one. An invalid one is removed, so the compiled model
// inherits the enclosing language.
func (v *validator) shapeQL(obj map[string]any, loc, parentQL string, workflow bool) string {
	q, ok := obj["QueryLanguage"]
	if !ok {
		return parentQL
	}
	s, _ := q.(string)
	if s != JSONPath && s != JSONata {
		v.add(CodeSchemaValidationFailed, loc+"/QueryLanguage", "QueryLanguage must be 'JSONPath' or 'JSONata'.")
		delete(obj, "QueryLanguage")
		return parentQL
	}
	if parentQL == JSONata && s == JSONPath {
		if workflow {
			v.add(CodeSchemaValidationFailed, loc+"/QueryLanguage", "A JSONata workflow cannot contain JSONPath workflows.")
		} else {
			v.add(CodeSchemaValidationFailed, loc+"/QueryLanguage", "A state cannot use JSONPath in a JSONata state machine.")
		}
	}
	return s
}

// shapeState checks one state's fields, then its retriers, catchers,
// choice rules and nested workflows.
func (v *validator) shapeState(st map[string]any, loc, parentQL string, depth int) {
	typ, _ := st["Type"].(string)
	k, ok := kinds[typ]
	if !ok {
		v.add(CodeSchemaValidationFailed, loc+"/Type", "Unknown state type '%v'.", st["Type"])
		clear(st)
		v.skip(loc, true)
		return
	}
	ql := v.shapeQL(st, loc, parentQL, false)
	fields := map[string]jsonType{}
	for _, f := range slices.Concat(commonFields, k.fields) {
		fields[f] = stateFieldTypes[f]
		if t := stateFieldSpecs[f].typ; t != anyJSON {
			fields[f] = t
		}
	}
	v.shapeFields(st, loc, objectShape{fields: fields, where: fmt.Sprintf("by state type '%s'", typ), ql: ql})
	for i, r := range v.objects(st, "Retry", loc+"/Retry", "retrier") {
		v.shapeFields(r, fmt.Sprintf("%s/Retry[%d]", loc, i), objectShape{fields: retrierFieldTypes, where: "in a retrier"})
	}
	for i, c := range v.objects(st, "Catch", loc+"/Catch", "catcher") {
		v.shapeFields(c, fmt.Sprintf("%s/Catch[%d]", loc, i), objectShape{fields: catcherFieldTypes, where: "in a catcher", ql: ql})
	}
	for i, r := range v.objects(st, "Choices", loc+"/Choices", "choice rule") {
		v.shapeRule(r, fmt.Sprintf("%s/Choices[%d]", loc, i), ql, true)
	}
	for i, b := range v.objects(st, "Branches", loc+"/Branches", "branch") {
		v.shapeWorkflow(b, fmt.Sprintf("%s/Branches[%d]", loc, i), ql, depth+1, false)
	}
	for _, f := range []string{"ItemProcessor", "Iterator"} {
		if p, ok := st[f].(map[string]any); ok {
			v.shapeWorkflow(p, loc+"/"+f, ql, depth+1, false)
		}
	}
}

// shapeRule checks a choice rule: JSONata rules have a Condition,
// JSONPath rules a comparison or And/Or/Not; only top-level rules have
// Next, Assign and Output.
func (v *validator) shapeRule(r map[string]any, loc, ql string, top bool) {
	fields := map[string]jsonType{}
	for f, t := range ruleFieldTypes {
		if fql := ruleFieldQL[f]; fql == "" || fql == ql {
			fields[f] = t
		}
	}
	where := "in a choice rule"
	if ql == JSONata {
		where = "in a JSONata choice rule"
	} else {
		for op := range choiceOps {
			fields[op] = anyJSON
		}
	}
	if !top {
		for _, f := range []string{"Next", "Assign", "Output"} {
			if _, ok := r[f]; ok {
				v.add(CodeSchemaValidationFailed, loc+"/"+f, "The field '%s' is only allowed on top-level choice rules.", f)
				delete(r, f)
			}
		}
	}
	v.shapeFields(r, loc, objectShape{fields: fields, where: where})
	for _, f := range []string{"And", "Or"} {
		for i, e := range v.objects(r, f, loc+"/"+f, "choice rule") {
			v.shapeRule(e, fmt.Sprintf("%s/%s[%d]", loc, f, i), ql, false)
		}
	}
	if n, ok := r["Not"].(map[string]any); ok {
		v.shapeRule(n, loc+"/Not", ql, false)
	}
}
