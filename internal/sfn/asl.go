package sfn

import (
	"encoding/json"
	"fmt"
)

// Query languages.
const (
	JSONPath = "JSONPath"
	JSONata  = "JSONata"
)

// Definition is a parsed ASL state machine (or a Parallel branch / Map
// item processor, which share the shape).
type Definition struct {
	Comment        string            `json:"Comment,omitempty"`
	StartAt        string            `json:"StartAt"`
	States         map[string]*State `json:"States"`
	TimeoutSeconds *int64            `json:"TimeoutSeconds,omitempty"`
	Version        string            `json:"Version,omitempty"`
	QueryLanguage  string            `json:"QueryLanguage,omitempty"`
	// ProcessorConfig is set on Map item processors.
	ProcessorConfig *ProcessorConfig `json:"ProcessorConfig,omitempty"`
}

// ProcessorConfig is a Map ItemProcessor's configuration.
type ProcessorConfig struct {
	Mode          string `json:"Mode,omitempty"`
	ExecutionType string `json:"ExecutionType,omitempty"`
}

// OptString is a string field that distinguishes absent, null and set.
type OptString struct {
	Set   bool
	Null  bool
	Value string
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *OptString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// MarshalJSON implements json.Marshaler.
func (o OptString) MarshalJSON() ([]byte, error) {
	if o.Null || !o.Set {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}

// State is one ASL state. Fields are the union over all state types;
// payload templates are kept as raw JSON.
type State struct {
	Name          string `json:"-"`
	Type          string `json:"Type"`
	Comment       string `json:"Comment,omitempty"`
	QueryLanguage string `json:"QueryLanguage,omitempty"`
	Next          string `json:"Next,omitempty"`
	End           bool   `json:"End,omitempty"`

	InputPath      OptString       `json:"InputPath,omitzero"`
	OutputPath     OptString       `json:"OutputPath,omitzero"`
	ResultPath     OptString       `json:"ResultPath,omitzero"`
	Parameters     json.RawMessage `json:"Parameters,omitempty"`
	ResultSelector json.RawMessage `json:"ResultSelector,omitempty"`
	Result         json.RawMessage `json:"Result,omitempty"`
	Arguments      json.RawMessage `json:"Arguments,omitempty"`
	Output         json.RawMessage `json:"Output,omitempty"`
	Assign         json.RawMessage `json:"Assign,omitempty"`

	// Task
	Resource             string          `json:"Resource,omitempty"`
	TimeoutSeconds       json.RawMessage `json:"TimeoutSeconds,omitempty"`
	TimeoutSecondsPath   string          `json:"TimeoutSecondsPath,omitempty"`
	HeartbeatSeconds     json.RawMessage `json:"HeartbeatSeconds,omitempty"`
	HeartbeatSecondsPath string          `json:"HeartbeatSecondsPath,omitempty"`
	Credentials          json.RawMessage `json:"Credentials,omitempty"`
	Retry                []*Retrier      `json:"Retry,omitempty"`
	Catch                []*Catcher      `json:"Catch,omitempty"`

	// Choice
	Choices []*ChoiceRule `json:"Choices,omitempty"`
	Default string        `json:"Default,omitempty"`

	// Wait
	Seconds       json.RawMessage `json:"Seconds,omitempty"`
	SecondsPath   string          `json:"SecondsPath,omitempty"`
	Timestamp     json.RawMessage `json:"Timestamp,omitempty"`
	TimestampPath string          `json:"TimestampPath,omitempty"`

	// Fail
	Error     json.RawMessage `json:"Error,omitempty"`
	ErrorPath string          `json:"ErrorPath,omitempty"`
	Cause     json.RawMessage `json:"Cause,omitempty"`
	CausePath string          `json:"CausePath,omitempty"`

	// Parallel
	Branches []*Definition `json:"Branches,omitempty"`

	// Map
	ItemsPath                      string          `json:"ItemsPath,omitempty"`
	Items                          json.RawMessage `json:"Items,omitempty"`
	ItemSelector                   json.RawMessage `json:"ItemSelector,omitempty"`
	ItemProcessor                  *Definition     `json:"ItemProcessor,omitempty"`
	Iterator                       *Definition     `json:"Iterator,omitempty"`
	ItemReader                     json.RawMessage `json:"ItemReader,omitempty"`
	ItemBatcher                    json.RawMessage `json:"ItemBatcher,omitempty"`
	ResultWriter                   json.RawMessage `json:"ResultWriter,omitempty"`
	MaxConcurrency                 json.RawMessage `json:"MaxConcurrency,omitempty"`
	MaxConcurrencyPath             string          `json:"MaxConcurrencyPath,omitempty"`
	ToleratedFailureCount          json.RawMessage `json:"ToleratedFailureCount,omitempty"`
	ToleratedFailureCountPath      string          `json:"ToleratedFailureCountPath,omitempty"`
	ToleratedFailurePercentage     json.RawMessage `json:"ToleratedFailurePercentage,omitempty"`
	ToleratedFailurePercentagePath string          `json:"ToleratedFailurePercentagePath,omitempty"`
	Label                          string          `json:"Label,omitempty"`

	// derived at load time
	ql       string // effective query language
	params   *tmpl  // Parameters (JSONPath) compiled
	resSel   *tmpl
	itemSel  *tmpl
	result   any
	resultOK bool
	// compiled at load time (kinds.go)
	kind         stateKind
	shape        kindShape
	proc         processor
	waitForToken bool
}

// Retrier is one Retry entry.
type Retrier struct {
	ErrorEquals     []string     `json:"ErrorEquals"`
	IntervalSeconds *json.Number `json:"IntervalSeconds,omitempty"`
	MaxAttempts     *json.Number `json:"MaxAttempts,omitempty"`
	BackoffRate     *json.Number `json:"BackoffRate,omitempty"`
	MaxDelaySeconds *json.Number `json:"MaxDelaySeconds,omitempty"`
	JitterStrategy  string       `json:"JitterStrategy,omitempty"`
	Comment         string       `json:"Comment,omitempty"`
}

// Catcher is one Catch entry.
type Catcher struct {
	ErrorEquals []string        `json:"ErrorEquals"`
	Next        string          `json:"Next"`
	ResultPath  OptString       `json:"ResultPath,omitzero"`
	Output      json.RawMessage `json:"Output,omitempty"`
	Assign      json.RawMessage `json:"Assign,omitempty"`
	Comment     string          `json:"Comment,omitempty"`
}

// comparison operators (Choice rules), mapped to their operand kind.
var choiceOps = map[string]string{
	"StringEquals": "string", "StringEqualsPath": "path",
	"StringLessThan": "string", "StringLessThanPath": "path",
	"StringGreaterThan": "string", "StringGreaterThanPath": "path",
	"StringLessThanEquals": "string", "StringLessThanEqualsPath": "path",
	"StringGreaterThanEquals": "string", "StringGreaterThanEqualsPath": "path",
	"StringMatches": "string",
	"NumericEquals": "number", "NumericEqualsPath": "path",
	"NumericLessThan": "number", "NumericLessThanPath": "path",
	"NumericGreaterThan": "number", "NumericGreaterThanPath": "path",
	"NumericLessThanEquals": "number", "NumericLessThanEqualsPath": "path",
	"NumericGreaterThanEquals": "number", "NumericGreaterThanEqualsPath": "path",
	"BooleanEquals": "boolean", "BooleanEqualsPath": "path",
	"TimestampEquals": "timestamp", "TimestampEqualsPath": "path",
	"TimestampLessThan": "timestamp", "TimestampLessThanPath": "path",
	"TimestampGreaterThan": "timestamp", "TimestampGreaterThanPath": "path",
	"TimestampLessThanEquals": "timestamp", "TimestampLessThanEqualsPath": "path",
	"TimestampGreaterThanEquals": "timestamp", "TimestampGreaterThanEqualsPath": "path",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean",
	"IsString": "boolean", "IsBoolean": "boolean", "IsTimestamp": "boolean",
}

// ChoiceRule is a Choice state rule (top level or nested).
type ChoiceRule struct {
	Variable  string          `json:"Variable,omitempty"`
	Next      string          `json:"Next,omitempty"`
	Comment   string          `json:"Comment,omitempty"`
	And       []*ChoiceRule   `json:"And,omitempty"`
	Or        []*ChoiceRule   `json:"Or,omitempty"`
	Not       *ChoiceRule     `json:"Not,omitempty"`
	Condition json.RawMessage `json:"Condition,omitempty"`
	Assign    json.RawMessage `json:"Assign,omitempty"`
	Output    json.RawMessage `json:"Output,omitempty"`

	// Op is the comparison operator name, Operand its decoded value.
	Op      string `json:"-"`
	Operand any    `json:"-"`
	// NOps counts operator fields (validation: exactly one).
	NOps int `json:"-"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *ChoiceRule) UnmarshalJSON(b []byte) error {
	type plain ChoiceRule
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = ChoiceRule(p)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for k, v := range raw {
		if _, ok := choiceOps[k]; !ok {
			continue // a field of the struct, or one Validate reports
		}
		r.NOps++
		r.Op = k
		x, err := decodeJSON(v)
		if err != nil {
			return err
		}
		r.Operand = x
	}
	return nil
}

// MarshalJSON renders the rule including its comparison operator.
func (r ChoiceRule) MarshalJSON() ([]byte, error) {
	type plain ChoiceRule
	b, err := json.Marshal(plain(r))
	if err != nil || r.Op == "" {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	op, err := json.Marshal(r.Operand)
	if err != nil {
		return nil, err
	}
	m[r.Op] = op
	return json.Marshal(m)
}

// ParseDefinition decodes an ASL document into its typed model. It checks
// only JSON shape; use Validate for the semantic checks.
func ParseDefinition(b []byte) (*Definition, error) {
	var d Definition
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, &FormatError{Msg: err.Error()}
	}
	if err := d.prepare(""); err != nil {
		return nil, err
	}
	return &d, nil
}

// FormatError reports a definition that is not valid ASL.
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return "sfn: invalid definition: " + e.Msg }

// prepare resolves per-state derived fields (names, query language,
// compiled templates). parentQL is the enclosing query language.
func (d *Definition) prepare(parentQL string) error {
	ql := d.QueryLanguage
	if ql == "" {
		ql = parentQL
	}
	if ql == "" {
		ql = JSONPath
	}
	for name, s := range d.States {
		if s == nil {
			return &FormatError{Msg: fmt.Sprintf("state %q is null", name)}
		}
		s.Name = name
		s.ql = s.QueryLanguage
		if s.ql == "" {
			s.ql = ql
		}
		if len(s.Result) > 0 {
			v, err := decodeJSON(s.Result)
			if err != nil {
				return &FormatError{Msg: err.Error()}
			}
			s.result, s.resultOK = v, true
		}
		var err error
		if s.params, err = compileTmpl(s.Parameters); err != nil {
			return err
		}
		if s.resSel, err = compileTmpl(s.ResultSelector); err != nil {
			return err
		}
		if s.itemSel, err = compileTmpl(s.ItemSelector); err != nil {
			return err
		}
		for _, b := range s.Branches {
			if b == nil {
				return &FormatError{Msg: "null branch"}
			}
			if err := b.prepare(ql); err != nil {
				return err
			}
		}
		if s.ItemProcessor == nil && s.Iterator != nil {
			s.ItemProcessor = s.Iterator
		}
		if s.ItemProcessor != nil {
			if err := s.ItemProcessor.prepare(ql); err != nil {
				return err
			}
		}
		s.compileKind()
	}
	return nil
}
