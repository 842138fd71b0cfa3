package samtemplate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/layers/common/pipelineerr"
)

func TestDefinitionSubstitutions(t *testing.T) {
	tm := loadProject(t, Options{})
	sm, ok := tm.StateMachine("ImagePipeline")
	if !ok {
		t.Fatal("no ImagePipeline")
	}
	raw, err := sm.RawDefinition()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Placeholders(raw) {
		if _, ok := sm.Substitutions[name]; !ok {
			t.Errorf("placeholder ${%s} has no DefinitionSubstitutions entry", name)
		}
	}
	if unused := UnusedSubstitutions(raw, sm.Substitutions); len(unused) > 0 {
		t.Errorf("DefinitionSubstitutions never used: %v", unused)
	}
	def, err := sm.Definition()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(def, []byte("${")) {
		t.Error("substituted definition still contains ${")
	}
	if !json.Valid(def) {
		t.Error("substituted definition is not valid JSON")
	}
}

func TestSubstitute(t *testing.T) {
	tests := []struct {
		name    string
		def     string
		subs    map[string]string
		want    string
		wantErr string
	}{
		{name: "all present", def: `{"a":"${X}","b":"${Y}-${X}"}`, subs: map[string]string{"X": "1", "Y": "2"}, want: `{"a":"1","b":"2-1"}`},
		{name: "missing reported together", def: `"${X} ${Y} ${Z}"`, subs: map[string]string{"Y": "y"}, wantErr: "X, Z"},
		{name: "JSONPath left alone", def: `{"p.$":"$.a","c.$":"$$.Execution.Id"}`, want: `{"p.$":"$.a","c.$":"$$.Execution.Id"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Substitute([]byte(tc.def), tc.subs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to name %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if got := UnusedSubstitutions([]byte(`"${A}"`), map[string]string{"A": "", "B": ""}); !slices.Equal(got, []string{"B"}) {
		t.Errorf("UnusedSubstitutions = %v, want [B]", got)
	}
}

// aslState is the part of a state the checks below read.
type aslState struct {
	Type           string          `json:"Type"`
	Comment        string          `json:"Comment"`
	Resource       string          `json:"Resource"`
	Next           string          `json:"Next"`
	End            bool            `json:"End"`
	ResultPath     json.RawMessage `json:"ResultPath"`
	MaxConcurrency int             `json:"MaxConcurrency"`
	ItemsPath      string          `json:"ItemsPath"`
	ErrorPath      string          `json:"ErrorPath"`
	CausePath      string          `json:"CausePath"`
	Parameters     map[string]any  `json:"Parameters"`
	Retry          []struct {
		ErrorEquals     []string `json:"ErrorEquals"`
		IntervalSeconds int      `json:"IntervalSeconds"`
		MaxAttempts     int      `json:"MaxAttempts"`
		BackoffRate     float64  `json:"BackoffRate"`
		MaxDelaySeconds int      `json:"MaxDelaySeconds"`
		JitterStrategy  string   `json:"JitterStrategy"`
	} `json:"Retry"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		ResultPath  string   `json:"ResultPath"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
	ItemProcessor *aslMachine `json:"ItemProcessor"`
}

type aslMachine struct {
	StartAt string              `json:"StartAt"`
	States  map[string]aslState `json:"States"`
}

func TestDefinitionStates(t *testing.T) {
	tm := loadProject(t, Options{})
	sm, _ := tm.StateMachine("ImagePipeline")
	def, err := sm.Definition()
	if err != nil {
		t.Fatal(err)
	}
	var top aslMachine
	if err := json.Unmarshal(def, &top); err != nil {
		t.Fatalf("definition: %v", err)
	}
	if top.StartAt != "Validate" {
		t.Errorf("StartAt = %q, want Validate", top.StartAt)
	}
	m := top.States["ResizeVariants"]
	if m.ItemProcessor == nil {
		t.Fatal("ResizeVariants has no ItemProcessor")
	}
	all := map[string]aslState{}
	for n, s := range top.States {
		all[n] = s
	}
	for n, s := range m.ItemProcessor.States {
		all[n] = s
	}

	lambdaErrors := []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}
	tests := []struct {
		name      string
		typ       string
		next      string // "" for terminal or End
		catchTo   string // "" when no Catch expected
		function  string // substitution the Task invokes
		retryable bool
	}{
		{name: "Validate", typ: "Task", next: "ResizeVariants", catchTo: "NotifyFailure", function: "ValidateFunctionArn", retryable: true},
		{name: "ResizeVariants", typ: "Map", next: "CollectVariants", catchTo: "NotifyFailure"},
		{name: "CollectVariants", typ: "Pass", next: "Store"}, // a JSONata expression that cannot fail: no Catch
		{name: "Resize", typ: "Task", function: "ResizeFunctionArn", retryable: true},
		{name: "Store", typ: "Task", next: "Notify", catchTo: "NotifyFailure", function: "StoreFunctionArn", retryable: true},
		{name: "Notify", typ: "Task", next: "Done", catchTo: "NotifyFailure", function: "NotifyFunctionArn", retryable: true},
		{name: "Done", typ: "Succeed"},
		{name: "NotifyFailure", typ: "Task", next: "Failed", catchTo: "Failed", function: "NotifyFunctionArn", retryable: true},
		{name: "Failed", typ: "Fail"},
	}
	if len(all) != len(tests) {
		t.Errorf("definition has %d states, want %d", len(all), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := all[tc.name]
			if !ok {
				t.Fatalf("no state %s", tc.name)
			}
			if s.Type != tc.typ {
				t.Errorf("Type = %q, want %q", s.Type, tc.typ)
			}
			if s.Comment == "" {
				t.Error("no Comment")
			}
			if s.Next != tc.next {
				t.Errorf("Next = %q, want %q", s.Next, tc.next)
			}
			if tc.function != "" {
				if s.Resource != "arn:aws:states:::lambda:invoke" {
					t.Errorf("Resource = %q, want lambda:invoke", s.Resource)
				}
				if got := str(s.Parameters["FunctionName"]); got != sm.Substitutions[tc.function] {
					t.Errorf("FunctionName = %q, want ${%s}", got, tc.function)
				}
			}
			if tc.retryable {
				retry, wantLambda := s.Retry, lambdaErrors
				if tc.name == "Resize" {
					// Throttling under Resize's reserved concurrency has a
					// longer retrier of its own, first (the first match wins).
					if len(retry) == 0 || !slices.Equal(retry[0].ErrorEquals, []string{"Lambda.TooManyRequestsException"}) ||
						retry[0].MaxAttempts < 8 || retry[0].JitterStrategy != "FULL" {
						t.Fatalf("Resize's first retrier = %+v, want Lambda.TooManyRequestsException alone with more attempts", retry)
					}
					retry, wantLambda = retry[1:], lambdaErrors[:3]
				}
				if len(retry) != 2 {
					t.Fatalf("Retry has %d retriers, want 2", len(retry))
				}
				r0, r1 := retry[0], retry[1]
				if !slices.Equal(r0.ErrorEquals, wantLambda) || r0.IntervalSeconds != 1 || r0.MaxAttempts != 4 ||
					r0.BackoffRate != 2 || r0.MaxDelaySeconds != 8 || r0.JitterStrategy != "FULL" {
					t.Errorf("first retrier = %+v", r0)
				}
				if !slices.Equal(r1.ErrorEquals, []string{"StorageError", "PublishError"}) || r1.IntervalSeconds != 2 || r1.MaxAttempts != 3 ||
					r1.BackoffRate != 2 || r1.MaxDelaySeconds != 10 || r1.JitterStrategy != "FULL" {
					t.Errorf("second retrier = %+v", r1)
				}
			}
			for _, r := range s.Retry {
				if slices.Contains(r.ErrorEquals, "ImageRejectedError") || slices.Contains(r.ErrorEquals, "States.ALL") {
					t.Errorf("retrier %v retries a permanent error", r.ErrorEquals)
				}
			}
			if tc.catchTo == "" {
				if len(s.Catch) > 0 {
					t.Errorf("unexpected Catch %+v", s.Catch)
				}
				return
			}
			if len(s.Catch) != 1 || !slices.Equal(s.Catch[0].ErrorEquals, []string{"States.ALL"}) || s.Catch[0].Next != tc.catchTo {
				t.Fatalf("Catch = %+v, want States.ALL -> %s", s.Catch, tc.catchTo)
			}
			// The caught error replaces the state's input: that works for any
			// execution input, even one that is not a JSON object.
			wantPath := "$"
			if tc.name == "NotifyFailure" {
				wantPath = "$.notifyError" // keeps the original Error and Cause for Failed
			}
			if s.Catch[0].ResultPath != wantPath {
				t.Errorf("Catch ResultPath = %q, want %q", s.Catch[0].ResultPath, wantPath)
			}
		})
	}

	if m.MaxConcurrency <= 0 || m.ItemsPath != "$.validation.variants" {
		t.Errorf("ResizeVariants MaxConcurrency=%d ItemsPath=%q", m.MaxConcurrency, m.ItemsPath)
	}
	if !all["Resize"].End {
		t.Error("Resize must End its iteration")
	}
	for _, n := range []string{"Notify", "NotifyFailure"} {
		if string(all[n].ResultPath) != "null" {
			t.Errorf("%s ResultPath = %s, want null", n, all[n].ResultPath)
		}
	}
	if f := all["Failed"]; f.ErrorPath != "$.Error" || f.CausePath != "$.Cause" {
		t.Errorf("Failed ErrorPath/CausePath = %q/%q", f.ErrorPath, f.CausePath)
	}
	// NotifyFailure refers to nothing that may be missing: a path into the
	// execution input fails with States.Runtime, which no Catch handles.
	payload := asMap(all["NotifyFailure"].Parameters["Payload"])
	if str(payload["input.$"]) != "$$.Execution.Input" || str(payload["error.$"]) != "$.Error" || str(payload["cause.$"]) != "$.Cause" {
		t.Errorf("NotifyFailure payload = %v, want the whole execution input and the caught error", payload)
	}
}

// TestRetriedErrorsAreHandlerErrorTypes keeps the definition and the
// handlers' error types in step: the Lambda runtime reports a Go type name,
// so every error the definition names that is not a States.* or Lambda.*
// error must be the name of a type in pipelineerr.
func TestRetriedErrorsAreHandlerErrorTypes(t *testing.T) {
	known := map[string]bool{}
	for _, e := range []error{&pipelineerr.ImageRejectedError{}, &pipelineerr.StorageError{}, &pipelineerr.PublishError{}, &pipelineerr.ConfigError{}} {
		known[reflect.TypeOf(e).Elem().Name()] = true
	}
	tm := loadProject(t, Options{})
	sm, _ := tm.StateMachine("ImagePipeline")
	def, err := sm.Definition()
	if err != nil {
		t.Fatal(err)
	}
	var top aslMachine
	if err := json.Unmarshal(def, &top); err != nil {
		t.Fatal(err)
	}
	states := map[string]aslState{}
	for n, s := range top.States {
		states[n] = s
		if s.ItemProcessor != nil {
			for n, s := range s.ItemProcessor.States {
				states[n] = s
			}
		}
	}
	for name, s := range states {
		for _, r := range s.Retry {
			for _, e := range r.ErrorEquals {
				if strings.HasPrefix(e, "States.") || strings.HasPrefix(e, "Lambda.") {
					continue
				}
				if !known[e] {
					t.Errorf("%s retries %q, which no handler returns", name, e)
				}
			}
		}
	}
}
