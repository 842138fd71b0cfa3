package console

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// stateRun is what happened to one state over an execution, read from the
// history events alone (as the AWS console does).
type stateRun struct {
	Name     string
	Type     string
	Status   string // succeeded, failed, caught, retried, running
	Entered  int
	Exited   int
	Retries  int
	Error    string
	Cause    string
	Failing  bool // holds the execution's error
	Input    string
	Output   string
	Duration time.Duration
	// Map iterations.
	Iterations, IterSucceeded, IterFailed, IterAborted int
	IterNotRun                                         int                // never started: the Map failed first
	FailedIterations                                   []IterationFailure // in the order they failed

	firstFailID int64
}

// IterationFailure is one failed Map iteration: which item, in which state
// and why.
type IterationFailure struct {
	Index   int    // the item's index
	Item    string // the iteration's input (the item, as its first state got it)
	State   string // the state that failed, "" when the history does not say
	Error   string
	Cause   string
	EventID int64 // the event carrying the error (else MapIterationFailed)
}

// iterationSummary reads "3 of 4 succeeded, 1 failed".
func (r *stateRun) iterationSummary() string {
	s := fmt.Sprintf("%d of %d succeeded", r.IterSucceeded, r.Iterations)
	if r.IterFailed > 0 {
		s += fmt.Sprintf(", %d failed", r.IterFailed)
	}
	if r.IterAborted > 0 {
		s += fmt.Sprintf(", %d aborted", r.IterAborted)
	}
	if r.IterNotRun > 0 {
		s += fmt.Sprintf(", %d not run", r.IterNotRun)
	}
	return s
}

func (r *stateRun) summary(typ string) string {
	s := statusWords[r.Status]
	if typ == "Map" {
		return "Map · " + r.iterationSummary()
	}
	if r.Retries > 0 {
		s += fmt.Sprintf(" · %d retr%s", r.Retries, map[bool]string{true: "y", false: "ies"}[r.Retries == 1])
	}
	if r.Entered > 1 {
		s += fmt.Sprintf(" · ×%d", r.Entered)
	}
	return typ + " · " + s
}

// entry is one run of a state (a Map's inner state runs once per item).
type entry struct {
	name        string
	enteredAt   time.Time
	exitedAt    time.Time
	exited      bool
	failPending bool
	caught      bool
	retries     int
	err, cause  string
	errID       int64
	input       string
	output      string
	superseded  bool // an earlier run of a redriven execution
}

// eventDetails are the fields of "<type>EventDetails" the console reads.
type eventDetails struct {
	Name   string `json:"name"`
	Input  string `json:"input"`
	Output string `json:"output"`
	Error  string `json:"error"`
	Cause  string `json:"cause"`
	Length int    `json:"length"`
	Index  int    `json:"index"`
	State  string `json:"state"`
}

// EventRow is one line of the event history table.
type EventRow struct {
	ID        int64
	Type      string
	Step      string
	ElapsedMs int64
	Time      time.Time
	Details   string // pretty JSON, "" when none
	Failed    bool
}

var failureEvents = map[string]bool{
	"TaskFailed": true, "LambdaFunctionFailed": true, "TaskTimedOut": true, "LambdaFunctionTimedOut": true,
	"MapStateFailed": true, "ParallelStateFailed": true, "LambdaFunctionStartFailed": true,
	"LambdaFunctionScheduleFailed": true, "TaskStartFailed": true, "TaskSubmitFailed": true,
	"EvaluationFailed": true, "MapRunFailed": false,
}

// iteration is one Map iteration as the history shows it. Its events chain
// from its MapIterationStarted through previousEventId.
type iteration struct {
	mapName string
	parent  *iteration // the iteration the Map itself runs in (nested Maps)
	fail    IterationFailure
	entered bool
}

// iterationOf is the iteration an event belongs to, from its predecessor's:
// the Map's own events (ev is one of entry e's) belong to the Map's
// iteration, not to one of its items'.
func iterationOf(prev *iteration, e *entry) *iteration {
	it := prev
	for it != nil && e != nil && e.name == it.mapName {
		it = it.parent
	}
	return it
}

// analyze turns a history into per-state runs and table rows.
func analyze(events []sfnapi.HistoryEvent, x *sfnapi.Execution, def *aslScope) (map[string]*stateRun, []EventRow) {
	types, fails := stateTypes(def), failStates(def)
	entries := map[int64]*entry{} // by entered event id
	var entryOrder []int64
	entryOf := map[int64]int64{}
	open := func(pred func(*entry) bool) int64 { // latest open entry matching
		for i := len(entryOrder) - 1; i >= 0; i-- {
			if e := entries[entryOrder[i]]; !e.exited && !e.superseded && pred(e) {
				return entryOrder[i]
			}
		}
		return 0
	}
	iter := map[string]*[4]int{} // map name -> length, ok, failed, aborted
	counts := func(name string) *[4]int {
		if iter[name] == nil {
			iter[name] = &[4]int{}
		}
		return iter[name]
	}
	iterOf := map[int64]*iteration{}               // by event id
	failedIters := map[string][]IterationFailure{} // by map name
	var start time.Time
	rows := make([]EventRow, 0, len(events))
	for _, ev := range events {
		if start.IsZero() {
			start = ev.Timestamp
		}
		var d eventDetails
		if len(ev.Details) > 0 {
			_ = json.Unmarshal(ev.Details, &d)
		}
		id := entryOf[ev.PreviousID]
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			entries[ev.ID] = &entry{name: d.Name, enteredAt: ev.Timestamp, input: d.Input}
			entryOrder = append(entryOrder, ev.ID)
			id = ev.ID
		case strings.HasSuffix(ev.Type, "StateExited"):
			if e := entries[id]; e == nil || e.name != d.Name || e.exited {
				id = open(func(e *entry) bool { return e.name == d.Name })
			}
		case strings.HasPrefix(ev.Type, "MapState") || strings.HasPrefix(ev.Type, "MapRun") || strings.HasPrefix(ev.Type, "ParallelState"):
			want := "Map"
			if strings.HasPrefix(ev.Type, "Parallel") {
				want = "Parallel"
			}
			if e := entries[id]; e == nil || types[e.name] != want {
				id = open(func(e *entry) bool { return types[e.name] == want })
			}
		case ev.Type == "EvaluationFailed" && d.State != "":
			id = open(func(e *entry) bool { return e.name == d.State })
		case ev.Type == "ExecutionRedriven":
			for _, e := range entries {
				if !e.exited && !e.superseded {
					e.superseded = true
					if types[e.name] == "Map" { // runs again whole
						delete(iter, e.name)
						delete(failedIters, e.name)
					}
				}
			}
			id = 0
		}
		if id != 0 {
			entryOf[ev.ID] = id
		}
		e := entries[id]
		if e != nil {
			switch {
			case failureEvents[ev.Type]:
				e.failPending = true
				if e.err == "" || e.errID < ev.ID {
					e.err, e.cause, e.errID = d.Error, d.Cause, ev.ID
				}
			case ev.Type == "TaskScheduled" || ev.Type == "LambdaFunctionScheduled" || ev.Type == "MapStateStarted" || ev.Type == "ParallelStateStarted":
				if e.failPending {
					e.retries++
					e.failPending = false
				}
			case strings.HasSuffix(ev.Type, "StateExited"):
				e.exited, e.exitedAt, e.output = true, ev.Timestamp, d.Output
				if e.failPending {
					e.caught = true
				}
			}
		}
		it := iterationOf(iterOf[ev.PreviousID], e)
		if ev.Type == "MapIterationStarted" {
			it = &iteration{mapName: d.Name, parent: iterationOf(iterOf[ev.PreviousID], entries[open(func(e *entry) bool { return e.name == d.Name })]),
				fail: IterationFailure{Index: d.Index}}
		}
		if it != nil && ev.Type != "ExecutionRedriven" {
			iterOf[ev.ID] = it
			it.record(ev, d, e, fails)
		}
		switch ev.Type {
		case "MapStateStarted":
			if e != nil {
				counts(e.name)[0] += d.Length
			}
		case "MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted":
			c := counts(d.Name)
			c[map[string]int{"MapIterationSucceeded": 1, "MapIterationFailed": 2, "MapIterationAborted": 3}[ev.Type]]++
			if ev.Type == "MapIterationFailed" && it != nil && it.mapName == d.Name {
				if it.fail.EventID == 0 {
					it.fail.EventID = ev.ID
				}
				failedIters[d.Name] = append(failedIters[d.Name], it.fail)
				if p := it.parent; p != nil { // an inner Map's failure fails the outer item
					p.fail.State, p.fail.Error, p.fail.Cause, p.fail.EventID = it.fail.State, it.fail.Error, it.fail.Cause, it.fail.EventID
				}
			}
		}
		row := EventRow{ID: ev.ID, Type: ev.Type, Time: ev.Timestamp, ElapsedMs: ev.Timestamp.Sub(start).Milliseconds(),
			Failed: failureEvents[ev.Type] || ev.Type == "ExecutionFailed" || ev.Type == "ExecutionTimedOut" || ev.Type == "ExecutionAborted"}
		if e != nil {
			row.Step = e.name
		}
		row.Details = prettyJSON(ev.Details)
		rows = append(rows, row)
	}

	runs := map[string]*stateRun{}
	for _, eid := range entryOrder {
		e := entries[eid]
		if e.superseded {
			continue
		}
		r := runs[e.name]
		if r == nil {
			r = &stateRun{Name: e.name, Type: types[e.name]}
			runs[e.name] = r
		}
		r.Entered++
		r.Retries += e.retries
		r.Input = e.input
		st := "succeeded"
		switch {
		case types[e.name] == "Fail":
			st = "failed"
		case e.exited && e.caught:
			st = "caught"
		case e.exited && e.retries > 0:
			st = "retried"
		case e.exited:
		case x.Status == sfnapi.StatusRunning:
			st = "running"
		default:
			st = "failed"
		}
		if e.exited {
			r.Exited++
			r.Output = e.output
			r.Duration = e.exitedAt.Sub(e.enteredAt)
		}
		if e.err != "" && (r.Error == "" || st == "failed" || st == "caught") {
			r.Error, r.Cause = e.err, e.cause
			if r.firstFailID == 0 || e.errID < r.firstFailID {
				r.firstFailID = e.errID
			}
		}
		if rank[st] > rank[r.Status] {
			r.Status = st
		}
	}
	for name, c := range iter {
		if r := runs[name]; r != nil {
			r.Iterations, r.IterSucceeded, r.IterFailed, r.IterAborted = c[0], c[1], c[2], c[3]
			r.FailedIterations = failedIters[name]
			if closed := r.Exited == r.Entered || x.Status != sfnapi.StatusRunning; closed {
				r.IterNotRun = max(0, c[0]-c[1]-c[2]-c[3])
			}
		}
	}
	// The failing state: the earliest failure carrying the execution's error.
	if x.Status == sfnapi.StatusFailed && x.Error != "" {
		var best *stateRun
		for _, r := range runs {
			if r.Error == x.Error && (r.Status == "failed" || r.Status == "caught") && r.firstFailID != 0 &&
				(best == nil || r.firstFailID < best.firstFailID) {
				best = r
			}
		}
		if best != nil {
			best.Failing = true
		}
	}
	return runs, rows
}

// record notes what an event of the iteration says: the item (the first
// state's input), and the latest failure, which is the one that ended it
// (an error event, or a Fail state with the Error and Cause it declares).
func (it *iteration) record(ev sfnapi.HistoryEvent, d eventDetails, e *entry, fails map[string]failState) {
	switch {
	case strings.HasSuffix(ev.Type, "StateEntered"):
		if !it.entered {
			it.entered, it.fail.Item = true, d.Input
		}
		if ev.Type == "FailStateEntered" {
			f := fails[d.Name]
			it.fail.State, it.fail.Error, it.fail.Cause, it.fail.EventID = d.Name, f.Error, f.Cause, ev.ID
		}
	case failureEvents[ev.Type] && d.Error != "":
		it.fail.Error, it.fail.Cause, it.fail.EventID = d.Error, d.Cause, ev.ID
		it.fail.State = ""
		if e != nil {
			it.fail.State = e.name
		}
	}
}

var rank = map[string]int{"": 0, "succeeded": 1, "retried": 2, "caught": 3, "running": 4, "failed": 5}

// prettyJSON indents a JSON document, expanding string members that are
// themselves JSON (input, output, cause) so they read as documents.
func prettyJSON(raw []byte) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	v = expandJSONStrings(v, 0)
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return string(raw)
	}
	return string(b)
}

func expandJSONStrings(v any, depth int) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = expandJSONStrings(x, depth+1)
		}
	case []any:
		for i, x := range t {
			t[i] = expandJSONStrings(x, depth+1)
		}
	case string:
		if depth < 4 && len(t) > 1 && (t[0] == '{' || t[0] == '[') {
			var inner any
			if json.Unmarshal([]byte(t), &inner) == nil {
				return expandJSONStrings(inner, depth+1)
			}
		}
	}
	return v
}

// prettyText indents a JSON string, or returns it as is.
func prettyText(s string) string {
	if s == "" {
		return ""
	}
	return prettyJSON([]byte(s))
}
