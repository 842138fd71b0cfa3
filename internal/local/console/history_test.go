package console

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// loadGolden reads one of the engine's golden histories (AWS wire shape).
func loadGolden(t *testing.T, name string) ([]sfnapi.HistoryEvent, *aslScope) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "internal", "sfn", "testdata", "history", name)
	b, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Events []map[string]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []sfnapi.HistoryEvent
	for _, m := range doc.Events {
		var ev sfnapi.HistoryEvent
		_ = json.Unmarshal(m["id"], &ev.ID)
		_ = json.Unmarshal(m["previousEventId"], &ev.PreviousID)
		_ = json.Unmarshal(m["type"], &ev.Type)
		var ts string
		_ = json.Unmarshal(m["timestamp"], &ts)
		ev.Timestamp, _ = time.Parse(time.RFC3339Nano, ts)
		for k, v := range m {
			if strings.HasSuffix(k, "EventDetails") {
				ev.Details = v
			}
		}
		out = append(out, ev)
	}
	def, err := os.ReadFile(filepath.Join(dir, "definition.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := parseDefinition(string(def))
	if err != nil {
		t.Fatal(err)
	}
	return out, sc
}

func TestAnalyzeGoldenHistories(t *testing.T) {
	tests := []struct {
		name    string
		exec    sfnapi.Execution
		want    map[string]string
		failing string
		iters   [3]int // map state: total, ok, failed
		text    string // map state: iterationSummary
		failed  []IterationFailure
	}{
		{
			name: "pipeline_success", exec: sfnapi.Execution{Status: "SUCCEEDED"},
			want:  map[string]string{"Validate": "succeeded", "ResizeAll": "succeeded", "Resize": "succeeded", "Store": "succeeded", "Notify": "succeeded", "Done": "succeeded"},
			iters: [3]int{2, 2, 0},
			text:  "2 of 2 succeeded",
		},
		{
			name: "pipeline_failure", exec: sfnapi.Execution{Status: "FAILED", Error: "ImageTooLargeError"},
			want:    map[string]string{"Validate": "succeeded", "ResizeAll": "caught", "Resize": "failed", "NotifyFailure": "succeeded", "Failed": "failed"},
			failing: "Resize",
			iters:   [3]int{2, 1, 1},
			text:    "1 of 2 succeeded, 1 failed",
			failed: []IterationFailure{{Index: 1, Item: `{"key":"uploads/huge.jpg","preset":"web"}`, State: "Resize", Error: "ImageTooLargeError",
				Cause: `{"errorMessage":"12000000 px exceeds 10000000","errorType":"ImageTooLargeError"}`, EventID: 20}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, def := loadGolden(t, tc.name)
			runs, rows := analyze(events, &tc.exec, def)
			if len(rows) != len(events) {
				t.Fatalf("%d rows for %d events", len(rows), len(events))
			}
			for name, want := range tc.want {
				if r := runs[name]; r == nil || r.Status != want {
					t.Errorf("%s: %+v, want %s", name, r, want)
				}
			}
			if _, reached := runs["Store"]; reached && tc.name == "pipeline_failure" {
				t.Errorf("Store should not be reached")
			}
			var failing string
			for _, r := range runs {
				if r.Failing {
					failing = r.Name
				}
			}
			if failing != tc.failing {
				t.Errorf("failing state = %q, want %q", failing, tc.failing)
			}
			m := runs["ResizeAll"]
			if got := [3]int{m.Iterations, m.IterSucceeded, m.IterFailed}; got != tc.iters {
				t.Errorf("iterations = %v, want %v", got, tc.iters)
			}
			if got := m.iterationSummary(); got != tc.text {
				t.Errorf("iterations read %q, want %q", got, tc.text)
			}
			if !slices.Equal(m.FailedIterations, tc.failed) {
				t.Errorf("failed iterations = %+v, want %+v", m.FailedIterations, tc.failed)
			}
			for _, row := range rows {
				if row.Type == "TaskScheduled" && row.Step == "" {
					t.Errorf("event %d has no step", row.ID)
				}
			}
		})
	}
}

// TestGraphLayout draws the repository's pipeline: every state once, and
// no two states overlap unless one contains the other.
func TestGraphLayout(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "statemachine", "pipeline.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	def, err := parseDefinition(string(b))
	if err != nil {
		t.Fatal(err)
	}
	g := buildGraph(def, nil)
	seen := map[string]GraphNode{}
	for _, n := range g.Nodes {
		if n.Name == "" {
			continue
		}
		if _, dup := seen[n.Name]; dup {
			t.Errorf("%s drawn twice", n.Name)
		}
		seen[n.Name] = n
		if n.X < 0 || n.Y < 0 || n.X+n.W > g.Width || n.Y+n.H > g.Height {
			t.Errorf("%s outside the canvas", n.Name)
		}
	}
	for name := range stateTypes(def) {
		if _, ok := seen[name]; !ok {
			t.Errorf("%s not drawn", name)
		}
	}
	inside := func(a, b GraphNode) bool { return a.X >= b.X && a.Y >= b.Y && a.X+a.W <= b.X+b.W && a.Y+a.H <= b.Y+b.H }
	for _, a := range seen {
		for _, b := range seen {
			if a.Name >= b.Name || inside(a, b) || inside(b, a) {
				continue
			}
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("%s overlaps %s", a.Name, b.Name)
			}
		}
	}
	if !seen["ResizeVariants"].Container || !inside(seen["Resize"], seen["ResizeVariants"]) {
		t.Error("the Map is not drawn as a container around Resize")
	}
	if seen["NotifyFailure"].X == seen["Validate"].X {
		t.Error("the failure path should run beside the main path")
	}
}
