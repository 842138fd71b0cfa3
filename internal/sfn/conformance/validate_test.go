package conformance

import (
	"os"
	"testing"

	"github.com/imgflow/imgflow/internal/sfn"
)

// TestDefinitionsValidate checks that Validate accepts every definition
// AWS accepted in the recordings.
func TestDefinitionsValidate(t *testing.T) {
	path := casesPath(t)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("conformance cases not available: %v", err)
	}
	cases, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[string(c.Definition)] || c.Skippable() != "" {
			continue
		}
		seen[string(c.Definition)] = true
		if d := sfn.Validate(c.Definition); len(d) > 0 {
			t.Errorf("%s: %+v", c.ID, d)
		}
	}
}
