package sfn_test

import (
	"fmt"
	"testing"

	"github.com/imgflow/imgflow/internal/sfn"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want []string // "CODE@location", all must be present
	}{
		{"valid", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, nil},
		{"bad json", `{"StartAt":`, []string{"INVALID_JSON_DESCRIPTION@"}},
		{"empty", ``, []string{"MISSING_DESCRIPTION@"}},
		{"missing start target", `{"StartAt":"X","States":{"A":{"Type":"Pass","End":true}}}`,
			[]string{"MISSING_TRANSITION_TARGET@/StartAt"}},
		{"missing next target and end", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Pass"}}}`,
			[]string{"MISSING_TRANSITION_TARGET@/States/A", "SCHEMA_VALIDATION_FAILED@/States/C", "MISSING_END_STATE@"}},
		{"duplicate state", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Succeed"}}}`,
			[]string{"DUPLICATE_STATE_NAME@/States/A"}},
		{"unknown field and type", `{"StartAt":"A","States":{"A":{"Type":"Pass","Bogus":1,"End":true},"B":{"Type":"Nope"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/A/Bogus", "SCHEMA_VALIDATION_FAILED@/States/B/Type"}},
		{"bad paths", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"nope","ResultPath":"$.a[*]","Parameters":{"x.$":"States.Format("},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/A/InputPath", "SCHEMA_VALIDATION_FAILED@/States/A/ResultPath", "SCHEMA_VALIDATION_FAILED@/States/A/Parameters/x.$"}},
		{"invalid resource", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"lambda","End":true}}}`,
			[]string{"INVALID_RESOURCE@/States/T/Resource"}},
		{"choice rule problems", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":1,"Next":"D"},{"And":[{"Variable":"$.b","IsNull":true,"Next":"D"}],"Next":"D"}]},"D":{"Type":"Succeed"}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/C/Choices[0]/StringEquals", "SCHEMA_VALIDATION_FAILED@/States/C/Choices[1]/And[0]/Next"}},
		{"jsonata fields in jsonpath", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/A/Output"}},
		{"jsonpath fields in jsonata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$","Output":"{% 1 + %}","End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/A/InputPath", "SCHEMA_VALIDATION_FAILED@/States/A/Output"}},
		{"retry and catch", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"],"BackoffRate":0.5},{"ErrorEquals":["X"]}],"Catch":[{"ErrorEquals":[],"Next":"Z"}],"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/T/Retry[0]/ErrorEquals", "SCHEMA_VALIDATION_FAILED@/States/T/Retry[0]/BackoffRate", "SCHEMA_VALIDATION_FAILED@/States/T/Catch[0]/ErrorEquals", "MISSING_TRANSITION_TARGET@/States/T"}},
		{"nested map and parallel", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"P":{"Type":"Pass","End":true}}},"Next":"P"},"P":{"Type":"Parallel","Branches":[{"StartAt":"Q","States":{"Q":{"Type":"Wait","End":true}}}],"End":true}}}`,
			[]string{"MISSING_TRANSITION_TARGET@/States/M/ItemProcessor/StartAt", "SCHEMA_VALIDATION_FAILED@/States/P/Branches[0]/States/Q"}},
		{"wrong JSON types", `{"StartAt":"A","Comment":1,"States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":5,"Retry":[1,{"ErrorEquals":["X"],"MaxAttempts":"2"}],"Catch":{},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/Comment", "SCHEMA_VALIDATION_FAILED@/States/A/Next", "SCHEMA_VALIDATION_FAILED@/States/A/Retry[0]",
				"SCHEMA_VALIDATION_FAILED@/States/A/Retry[1]/MaxAttempts", "SCHEMA_VALIDATION_FAILED@/States/A/Catch"}},
		{"not a state, unknown field in a rule", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Nxt":"D","Next":"D"}]},"D":5}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/C/Choices[0]/Nxt", "SCHEMA_VALIDATION_FAILED@/States/D"}},
		{"items path", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			[]string{"SCHEMA_VALIDATION_FAILED@/States/M/ItemsPath"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diags := sfn.Validate([]byte(tc.def))
			got := map[string]bool{}
			for _, d := range diags {
				got[d.Code+"@"+d.Location] = true
			}
			if tc.want == nil && len(diags) > 0 {
				t.Fatalf("want no diagnostics, got %+v", diags)
			}
			for _, w := range tc.want {
				if !got[w] {
					t.Fatalf("missing %s in %s", w, fmt.Sprint(diags))
				}
			}
		})
	}
}

func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`))
	f.Add([]byte(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true},"Next":"C"}]}}}`))
	f.Add([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`))
	f.Fuzz(func(t *testing.T, def []byte) {
		if len(def) > 1<<16 {
			return
		}
		// A definition Validate accepts compiles: the engine and the
		// Step Functions API rely on it.
		diags := sfn.Validate(def)
		if _, err := sfn.ParseDefinition(def); err != nil && len(diags) == 0 {
			t.Fatalf("Validate accepts a definition ParseDefinition refuses: %v", err)
		}
	})
}
