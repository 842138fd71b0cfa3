package sfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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
//
// It runs in two passes. A thin check of the raw JSON (validate_shape.go)
// reports unknown fields and values of the wrong JSON type, from the same
// field lists the compiled types decode. The rest (validate_model.go)
// reads the definition compiled as ParseDefinition compiles it for the
// engine: targets, reachability, paths, templates, expressions, each
// kind's rules.
func Validate(def []byte) []Diagnostic {
	v := &validator{seen: map[Diagnostic]bool{}, at: map[string]bool{}, skipped: map[string]bool{}}
	v.run(def)
	sort.SliceStable(v.diags, func(i, j int) bool { return v.diags[i].Location < v.diags[j].Location })
	return v.diags
}

type validator struct {
	diags []Diagnostic
	seen  map[Diagnostic]bool
	at    map[string]bool // the locations of diags
	// skipped holds the locations of values the shape check refused
	// whole (a state or list entry that is not an object, an unknown
	// Type, a workflow nested too deep); for a state, whether it counts
	// as terminal.
	skipped map[string]bool
}

func (v *validator) add(code, loc, format string, args ...any) {
	d := Diagnostic{Severity: "ERROR", Code: code, Message: fmt.Sprintf(format, args...), Location: loc}
	if !v.seen[d] {
		v.seen[d], v.at[loc] = true, true
		v.diags = append(v.diags, d)
	}
}

// required reports a missing field, unless the shape check has already
// reported (and removed) its value.
func (v *validator) required(loc, msg string) {
	if !v.reportedAt(loc) {
		v.add(CodeSchemaValidationFailed, loc, "%s", msg)
	}
}

// reportedAt reports whether a diagnostic has location loc.
func (v *validator) reportedAt(loc string) bool { return v.at[loc] }

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
	v.shapeWorkflow(top, "", JSONPath, 0, true)
	// What the shape check reported it removed, so the rest compiles.
	b, err := json.Marshal(top)
	if err != nil {
		v.add(CodeSchemaValidationFailed, "", "%v", err)
		return
	}
	d, err := ParseDefinition(b)
	if err != nil {
		v.add(CodeSchemaValidationFailed, "", "%v", err)
		return
	}
	v.workflow(d, "")
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

// path checks a JSONPath; reference paths may not contain wildcards.
func (v *validator) path(s, loc string, reference bool) {
	p, err := parsePath(s)
	if err != nil {
		v.add(CodeSchemaValidationFailed, loc, "The value for the field must be a valid JSONPath: %s", s)
		return
	}
	if reference && !p.isReference() {
		v.add(CodeSchemaValidationFailed, loc, "The value for the field must be a valid reference path: %s", s)
	}
}

// template checks the ".$" fields of a compiled JSONPath payload
// template: each holds a path or an intrinsic function call.
func (v *validator) template(t *tmpl, loc string) {
	switch {
	case t == nil || t.static:
	case t.isArr:
		for i, e := range t.arr {
			v.template(e, fmt.Sprintf("%s[%d]", loc, i))
		}
	default:
		for _, f := range t.obj {
			if f.sub != nil {
				v.template(f.sub, loc+"/"+f.rawK)
				continue
			}
			if f.expr == "" {
				v.add(CodeSchemaValidationFailed, loc+"/"+f.rawK, "The value of a '.$' field must be a string.")
				continue
			}
			var err error
			if strings.HasPrefix(f.expr, "States.") {
				_, err = parseIntrinsic(f.expr)
			} else {
				_, err = parsePath(f.expr)
			}
			if err != nil {
				v.add(CodeSchemaValidationFailed, loc+"/"+f.rawK, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", f.rawK)
			}
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
