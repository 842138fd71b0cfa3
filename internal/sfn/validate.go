package sfn

// Diagnostic is one problem found by Validate, shaped like the AWS
// ValidateStateMachineDefinition diagnostics.
type Diagnostic struct {
	Severity string `json:"severity"` // "ERROR" or "WARNING"
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// Validate checks an ASL definition and returns every problem found.
func Validate(def []byte) []Diagnostic {
	v := &validator{}
	v.run(def)
	return v.diags
}

type validator struct {
	diags []Diagnostic
}

func (v *validator) add(code, loc, msg string) {
	v.diags = append(v.diags, Diagnostic{Severity: "ERROR", Code: code, Message: msg, Location: loc})
}

func (v *validator) run(def []byte) {
	if _, err := ParseDefinition(def); err != nil {
		v.add("SCHEMA_VALIDATION_FAILED", "/", err.Error())
	}
}
