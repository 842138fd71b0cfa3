package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// casesPath finds sfn-cases.jsonl relative to this package.
func casesPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SFN_CONFORMANCE_CASES"); p != "" {
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "conformance", "sfn-cases.jsonl"))
	if err != nil {
		t.Fatalf("abs: %v", err)
	}
	return p
}

func TestConformance(t *testing.T) {
	path := casesPath(t)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("conformance cases not available: %v", err)
	}
	var sb strings.Builder
	s, err := Run(context.Background(), path, &sb)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Log("\n" + sb.String())
	if s.PassRate() < 0.95 {
		t.Fatalf("conformance %.1f%% (%d/%d) is below 95%%", 100*s.PassRate(), s.Passed, s.Runnable)
	}
}

// TestConformanceDebug replays the cases whose id contains $SFN_CASE and
// logs their definition, outcome and history (a debugging aid).
func TestConformanceDebug(t *testing.T) {
	filter := os.Getenv("SFN_CASE")
	if filter == "" {
		t.Skip("set SFN_CASE to a case id substring")
	}
	cases, err := Load(casesPath(t))
	if err != nil {
		t.Skipf("load: %v", err)
	}
	for i := range cases {
		c := &cases[i]
		if !strings.Contains(c.ID, filter) {
			continue
		}
		t.Logf("case %s\ndef: %s\ninput: %s\nexpected: %s %s %s %s", c.ID, c.Definition, c.Input, c.Expected.Status, c.Expected.Output, c.Expected.Error, c.Expected.Cause)
		f, hist := runCaseDebug(context.Background(), c)
		t.Logf("result: %+v", f)
		for _, e := range hist {
			t.Logf("  %s", e)
		}
		for _, e := range c.Events {
			t.Logf("  exp %s", trunc(string(e)))
		}
	}
}

// TestConformanceConcurrent replays the cases with Map iterations and
// Parallel branches running concurrently.
func TestConformanceConcurrent(t *testing.T) {
	path := casesPath(t)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("conformance cases not available: %v", err)
	}
	s, err := RunWithOptions(context.Background(), path, nil, Options{Concurrent: true})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s.PassRate() < 0.95 {
		t.Fatalf("concurrent conformance %.1f%% (%d/%d) is below 95%%", 100*s.PassRate(), s.Passed, s.Runnable)
	}
}
