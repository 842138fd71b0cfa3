// Package conformance replays recorded AWS Step Functions executions
// (sfn-cases.jsonl) against the engine and reports how many match.
package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

// Case is one recorded execution.
type Case struct {
	ID         string            `json:"id"`
	Group      string            `json:"group"`
	Definition json.RawMessage   `json:"definition"`
	Input      json.RawMessage   `json:"input"`
	InputFrom  string            `json:"input_from"`
	Expected   Expected          `json:"expected"`
	Events     []json.RawMessage `json:"events"`
	Lambdas    map[string]string `json:"lambdas"`
	Flags      []string          `json:"flags"`
	Features   []string          `json:"features"`
}

// Expected is the recorded outcome.
type Expected struct {
	Status string          `json:"status"`
	Output json.RawMessage `json:"output"`
	Error  json.RawMessage `json:"error"`
	Cause  json.RawMessage `json:"cause"`
}

// Failure describes one case that did not match.
type Failure struct {
	ID     string
	Group  string
	Class  string // status, output, error, cause, history, start
	Detail string
}

// GroupResult counts one group's cases.
type GroupResult struct {
	Runnable, Passed, Skipped int
}

// Summary is the outcome of a run.
type Summary struct {
	Groups map[string]*GroupResult
	// ByQueryLanguage splits the counts by the definition's query
	// language ("JSONPath", "JSONata"; a definition using both counts in
	// both).
	ByQueryLanguage map[string]*GroupResult
	Runnable        int
	Passed          int
	Skipped         int
	Failures        []Failure
	// PrevIDChecked counts replayed cases with a recorded history;
	// PrevIDMatched those whose numbered events also match AWS's
	// previousEventId chain (informational, not a pass criterion).
	PrevIDChecked, PrevIDMatched int
}

// PassRate is Passed/Runnable.
func (s Summary) PassRate() float64 {
	if s.Runnable == 0 {
		return 0
	}
	return float64(s.Passed) / float64(s.Runnable)
}

// Skippable reports why a case cannot be replayed ("" when runnable).
func (c *Case) Skippable() string {
	for _, f := range c.Flags {
		if f == "input-redacted-by-snapshot-transformer" || f == "non-terminal-or-aborted" {
			return f
		}
	}
	if c.Expected.Status != "SUCCEEDED" && c.Expected.Status != "FAILED" {
		return "status " + c.Expected.Status
	}
	return ""
}

// Load reads the cases from a JSON-lines file.
func Load(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cases []Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("conformance: %s:%d: %w", path, line, err)
		}
		cases = append(cases, c)
	}
	return cases, sc.Err()
}

// Options tune a run.
type Options struct {
	// Concurrent runs Map iterations and Parallel branches concurrently
	// (the engine default) instead of one at a time. Histories of
	// concurrent branches are compared as multisets either way.
	Concurrent bool
}

// Run replays every runnable case in path and writes a report to w.
func Run(ctx context.Context, path string, w io.Writer) (Summary, error) {
	return RunWithOptions(ctx, path, w, Options{})
}

// RunWithOptions is Run with options.
func RunWithOptions(ctx context.Context, path string, w io.Writer, opts Options) (Summary, error) {
	cases, err := Load(path)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Groups: map[string]*GroupResult{}, ByQueryLanguage: map[string]*GroupResult{}}
	for i := range cases {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		c := &cases[i]
		g := s.Groups[c.Group]
		if g == nil {
			g = &GroupResult{}
			s.Groups[c.Group] = g
		}
		if c.Skippable() != "" {
			g.Skipped++
			s.Skipped++
			continue
		}
		var qls []*GroupResult
		for _, f := range c.Features {
			if ql, ok := strings.CutPrefix(f, "QL:"); ok {
				q := s.ByQueryLanguage[ql]
				if q == nil {
					q = &GroupResult{}
					s.ByQueryLanguage[ql] = q
				}
				q.Runnable++
				qls = append(qls, q)
			}
		}
		g.Runnable++
		s.Runnable++
		info := caseInfo{concurrent: opts.Concurrent}
		f := runCase(ctx, c, &info)
		if info.prevChecked {
			s.PrevIDChecked++
			if info.prevOK {
				s.PrevIDMatched++
			}
		}
		if f != nil {
			s.Failures = append(s.Failures, *f)
			continue
		}
		g.Passed++
		s.Passed++
		for _, q := range qls {
			q.Passed++
		}
	}
	if w != nil {
		writeReport(w, s)
	}
	return s, nil
}

func writeReport(w io.Writer, s Summary) {
	names := make([]string, 0, len(s.Groups))
	for n := range s.Groups {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "%-22s %8s %8s %8s\n", "group", "passed", "runnable", "skipped")
	for _, n := range names {
		g := s.Groups[n]
		fmt.Fprintf(w, "%-22s %8d %8d %8d\n", n, g.Passed, g.Runnable, g.Skipped)
	}
	fmt.Fprintf(w, "%-22s %8d %8d %8d  (%.1f%%)\n", "TOTAL", s.Passed, s.Runnable, s.Skipped, 100*s.PassRate())
	fmt.Fprintf(w, "%-22s %8d %8d  (previousEventId chain, informational)\n", "history prev ids", s.PrevIDMatched, s.PrevIDChecked)
	for _, ql := range []string{"JSONPath", "JSONata"} {
		if q := s.ByQueryLanguage[ql]; q != nil {
			fmt.Fprintf(w, "%-22s %8d %8d\n", "QL:"+ql, q.Passed, q.Runnable)
		}
	}
	classes := map[string]int{}
	for _, f := range s.Failures {
		classes[f.Class]++
	}
	for _, f := range s.Failures {
		fmt.Fprintf(w, "FAIL [%s] %s: %s\n", f.Class, f.ID, f.Detail)
	}
	if len(classes) > 0 {
		fmt.Fprintf(w, "failure classes: %v\n", classes)
	}
}

// RunCase replays one case; it returns nil when the case matches.
func RunCase(ctx context.Context, c *Case) *Failure {
	f, _ := runCaseDebug(ctx, c)
	return f
}

func runCaseDebug(ctx context.Context, c *Case) (*Failure, []string) {
	var info caseInfo
	f := runCase(ctx, c, &info)
	return f, info.hist
}

// caseInfo carries secondary observations of a replay.
type caseInfo struct {
	hist []string
	// prevChecked/prevOK: previousEventId fidelity of the numbered events.
	prevChecked, prevOK bool
	// events is the actual history.
	events []sfn.Event
	// concurrent disables the engine's Sequential mode.
	concurrent bool
}

func runCase(ctx context.Context, c *Case, info *caseInfo) *Failure {
	hist := &info.hist
	fail := func(class, format string, args ...any) *Failure {
		return &Failure{ID: c.ID, Group: c.Group, Class: class, Detail: fmt.Sprintf(format, args...)}
	}
	clock := sfn.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = clock
	cfg.Sequential = !info.concurrent
	cfg.Region = "us-east-1"
	cfg.AccountID = "111111111111"
	cfg.RandSeed = 1
	cfg.Lambda = &fakeLambda{funcs: c.Lambdas}
	eng, err := sfn.New(cfg)
	if err != nil {
		return fail("start", "%v", err)
	}
	input := []byte(c.Input)
	var s string
	if json.Unmarshal(c.Input, &s) == nil {
		// Inputs recorded as raw JSON text.
		if _, err := sfn.DecodeJSON([]byte(s)); err == nil {
			input = []byte(s)
		}
	}
	if len(input) == 0 || string(input) == "null" && c.InputFrom == "" {
		input = []byte("{}")
	}
	ex, err := eng.Start(ctx, c.Definition, input, sfn.StartOptions{Name: "exec", StateMachineName: "sm"})
	if err != nil {
		return fail("start", "%v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := ex.Wait(wctx)
	defer func() {
		info.events = ex.History()
		for _, e := range info.events {
			b, _ := json.Marshal(e)
			*hist = append(*hist, trunc(string(b)))
		}
		*hist = append(*hist, fmt.Sprintf("RESULT %+v", res))
	}()
	if err != nil {
		ex.Stop("", "")
		return fail("hang", "execution did not finish: %v", err)
	}
	if string(res.Status) != c.Expected.Status {
		return fail("status", "expected %s, got %s (error=%s cause=%s)", c.Expected.Status, res.Status, res.Error, trunc(res.Cause))
	}
	if res.Status == sfn.StatusSucceeded {
		exp, err := sfn.DecodeJSON(c.Expected.Output)
		if err != nil {
			exp = nil
		}
		act, _ := sfn.DecodeJSON([]byte(res.Output))
		if d := match(exp, act, "$"); d != "" {
			return fail("output", "%s", d)
		}
	} else {
		var expErr *string
		_ = json.Unmarshal(c.Expected.Error, &expErr)
		if expErr == nil {
			if res.Error != "" {
				return fail("error", "expected no error, got %q", res.Error)
			}
		} else if !matchString(*expErr, res.Error) {
			return fail("error", "expected %q, got %q", *expErr, res.Error)
		}
		var expCause any
		_ = json.Unmarshal(c.Expected.Cause, &expCause)
		switch ec := expCause.(type) {
		case nil:
			if res.Cause != "" {
				return fail("cause", "expected no cause, got %q", trunc(res.Cause))
			}
		case map[string]any:
			if d := matchLambdaCause(ec, res.Cause); d != "" {
				return fail("cause", "%s", d)
			}
		case string:
			if !matchString(ec, res.Cause) {
				return fail("cause", "expected %q, got %q", ec, res.Cause)
			}
		}
	}
	if len(c.Events) > 0 {
		h := ex.History()
		info.prevChecked, info.prevOK = true, matchPrevIDs(c.Events, h)
		if d := compareHistory(c.Events, h); d != "" {
			return fail("history", "%s", d)
		}
	}
	return nil
}

type recEvent struct {
	ID   any    `json:"id"`
	Type string `json:"type"`
}

// compareHistory compares event types and order. Events whose recorded
// id is not a number (concurrent branches, e.g. "[0]") compare as a
// multiset; missing ids in the recording allow as many extra events.
func compareHistory(raw []json.RawMessage, act []sfn.Event) string {
	var ordered []string
	bracket := map[string]int{}
	maxID := 0
	for _, r := range raw {
		var e recEvent
		if err := json.Unmarshal(r, &e); err != nil {
			return "bad recorded event: " + err.Error()
		}
		if f, ok := e.ID.(float64); ok {
			ordered = append(ordered, e.Type)
			maxID = max(maxID, int(f))
		} else {
			bracket[e.Type]++
		}
	}
	actTypes := make([]string, len(act))
	for i, e := range act {
		actTypes[i] = e.Type
	}
	nBracket := 0
	for _, n := range bracket {
		nBracket += n
	}
	gaps := maxID - len(raw)
	if nBracket == 0 && gaps <= 0 {
		for i := 0; i < len(ordered) || i < len(actTypes); i++ {
			var e, a string
			if i < len(ordered) {
				e = ordered[i]
			}
			if i < len(actTypes) {
				a = actTypes[i]
			}
			if e != a {
				return fmt.Sprintf("event %d: expected %s, got %s (expected %d events, got %d)", i+1, orNone(e), orNone(a), len(ordered), len(actTypes))
			}
		}
		return ""
	}
	rest := map[string]int{}
	j := 0
	for _, t := range actTypes {
		if j < len(ordered) && ordered[j] == t {
			j++
			continue
		}
		rest[t]++
	}
	if j < len(ordered) {
		return fmt.Sprintf("ordered event %d (%s) not found in order; got %v", j+1, ordered[j], actTypes)
	}
	extra := 0
	for t, n := range bracket {
		if rest[t] < n {
			return fmt.Sprintf("expected %d concurrent %s events, got %d", n, t, rest[t])
		}
	}
	for t, n := range rest {
		extra += n - bracket[t]
	}
	if extra > max(gaps, 0) {
		return fmt.Sprintf("%d unexpected extra events: %v", extra, actTypes)
	}
	return ""
}

// matchPrevIDs reports whether every numbered recorded event has the
// same type and previousEventId at the same id in the actual history.
func matchPrevIDs(raw []json.RawMessage, act []sfn.Event) bool {
	for _, r := range raw {
		var e struct {
			ID   any    `json:"id"`
			Prev int64  `json:"previousEventId"`
			Type string `json:"type"`
		}
		if json.Unmarshal(r, &e) != nil {
			return false
		}
		f, ok := e.ID.(float64)
		if !ok {
			continue
		}
		id := int(f)
		if id < 1 || id > len(act) || act[id-1].Type != e.Type || act[id-1].PreviousEventID != e.Prev {
			return false
		}
	}
	return true
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
