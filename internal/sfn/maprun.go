package sfn

import (
	"errors"
	"sync"
	"time"
)

// Map Run statuses, as DescribeMapRun names them.
const (
	MapRunRunning   = "RUNNING"
	MapRunSucceeded = "SUCCEEDED"
	MapRunFailed    = "FAILED"
	MapRunAborted   = "ABORTED"
)

// MapRunCounts are a Map Run's itemCounts or executionCounts.
type MapRunCounts struct {
	Pending        int64 `json:"pending"`
	Running        int64 `json:"running"`
	Succeeded      int64 `json:"succeeded"`
	Failed         int64 `json:"failed"`
	TimedOut       int64 `json:"timedOut"`
	Aborted        int64 `json:"aborted"`
	Total          int64 `json:"total"`
	ResultsWritten int64 `json:"resultsWritten"`
	// FailuresNotRedrivable and PendingRedrive are always 0: Map Runs
	// are not redriven locally.
	FailuresNotRedrivable int64 `json:"failuresNotRedrivable"`
	PendingRedrive        int64 `json:"pendingRedrive"`
}

// end moves n units from running to the counter of status.
func (c *MapRunCounts) end(status Status, n int64) {
	c.Running -= n
	switch status {
	case StatusSucceeded:
		c.Succeeded += n
	case StatusTimedOut:
		c.TimedOut += n
	case StatusAborted:
		c.Aborted += n
	default:
		c.Failed += n
	}
}

// MapRunInfo is a snapshot of a Map Run (DescribeMapRun).
type MapRunInfo struct {
	ARN string `json:"mapRunArn"`
	// ExecutionARN is the execution whose Distributed Map started it.
	ExecutionARN string `json:"executionArn"`
	// StateMachineARN is the child executions' state machine,
	// <parent>/<label>.
	StateMachineARN string `json:"stateMachineArn"`
	// ExecutionType is the children's: STANDARD or EXPRESS.
	ExecutionType string    `json:"executionType"`
	Status        string    `json:"status"`
	StartDate     time.Time `json:"startDate"`
	StopDate      time.Time `json:"stopDate,omitzero"`
	// MaxConcurrency is 0 for "as many as the engine allows".
	MaxConcurrency             int64        `json:"maxConcurrency"`
	ToleratedFailurePercentage float64      `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64        `json:"toleratedFailureCount"`
	ItemCounts                 MapRunCounts `json:"itemCounts"`
	ExecutionCounts            MapRunCounts `json:"executionCounts"`
	// Error and Cause are the MapRunFailed event's.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// MapRunUpdate changes a running Map Run (UpdateMapRun); nil fields
// stay as they are.
type MapRunUpdate struct {
	MaxConcurrency             *int64
	ToleratedFailurePercentage *float64
	ToleratedFailureCount      *int64
}

// ErrMapRunNotFound is returned for an unknown Map Run ARN.
var ErrMapRunNotFound = errors.New("sfn: map run not found")

// MapRunUpdateError rejects an UpdateMapRun value.
type MapRunUpdateError struct{ Msg string }

func (e *MapRunUpdateError) Error() string { return "sfn: update map run: " + e.Msg }

// MapRun is one run of a Distributed Map: its settings, which UpdateMapRun
// changes while it runs, and its counters. Its methods are safe for
// concurrent use.
type MapRun struct {
	mu   sync.Mutex
	info MapRunInfo
	// tol mirrors the tolerance fields of info in the form the
	// dispatcher checks.
	tol tolerance
	// kick wakes the dispatcher after a change of its limits.
	kick chan struct{}
	// label names the children's state machine (<parent>/<label>).
	label string
	// slots is the number of children running or starting.
	slots int64
	// itemsKnown is set when the item total is known before the items
	// are all read (items from the state input, or an ItemCounter's
	// count), execsKnown when the child total is; read once the reader
	// has yielded its last item. itemsStarted counts the items started.
	itemsKnown, execsKnown, read bool
	itemsStarted                 int64
}

func newMapRun(info MapRunInfo, tol tolerance) *MapRun {
	info.Status = MapRunRunning
	info.ToleratedFailureCount = tol.count
	info.ToleratedFailurePercentage = float64(tol.pct) / 1000
	return &MapRun{info: info, tol: tol, kick: make(chan struct{}, 1)}
}

// Info returns a snapshot.
func (r *MapRun) Info() MapRunInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info
}

// Update applies UpdateMapRun. It fails for a finished run or a value
// out of AWS's ranges.
func (r *MapRun) Update(u MapRunUpdate) error {
	switch {
	case u.MaxConcurrency != nil && *u.MaxConcurrency < 0:
		return &MapRunUpdateError{"maxConcurrency must be at least 0"}
	case u.ToleratedFailureCount != nil && *u.ToleratedFailureCount < 0:
		return &MapRunUpdateError{"toleratedFailureCount must be at least 0"}
	case u.ToleratedFailurePercentage != nil && (*u.ToleratedFailurePercentage < 0 || *u.ToleratedFailurePercentage > 100):
		return &MapRunUpdateError{"toleratedFailurePercentage must be between 0 and 100"}
	}
	r.mu.Lock()
	if r.info.Status != MapRunRunning {
		r.mu.Unlock()
		return &MapRunUpdateError{"the Map Run is " + r.info.Status}
	}
	if u.MaxConcurrency != nil {
		r.info.MaxConcurrency = *u.MaxConcurrency
	}
	if u.ToleratedFailureCount != nil {
		r.info.ToleratedFailureCount = *u.ToleratedFailureCount
		r.tol.count, r.tol.hasCount = *u.ToleratedFailureCount, true
	}
	if u.ToleratedFailurePercentage != nil {
		r.info.ToleratedFailurePercentage = *u.ToleratedFailurePercentage
		r.tol.pct, r.tol.hasPct = int64(*u.ToleratedFailurePercentage*1000), true
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return nil
}

// exceeded reports whether the failed items exceed the tolerance (no
// tolerance field: any failure does). AWS checks the percentage against
// the total number of items, which a streamed reader knows only once it
// has read the last: until then a percentage is not judged. r.mu is held.
func (r *MapRun) exceeded() bool {
	failed := r.info.ItemCounts.Failed + r.info.ItemCounts.TimedOut + r.info.ItemCounts.Aborted
	if failed == 0 {
		return false
	}
	t := r.tol
	if t.hasCount && failed <= t.count {
		return false
	}
	if t.hasPct {
		if !r.itemsKnown && !r.read {
			return false
		}
		if total := r.info.ItemCounts.Total; total > 0 && failed*100000 <= t.pct*total {
			return false
		}
	}
	return true
}

// exceededNow is exceeded under the lock.
func (r *MapRun) exceededNow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exceeded()
}

// readDone marks the items all read: the totals are final. A counted
// total is corrected to the items actually read.
func (r *MapRun) readDone() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.read = true
	if r.itemsKnown {
		r.info.ItemCounts.Total, r.info.ItemCounts.Pending = r.itemsStarted, 0
	}
}

// counted sets the item total an ItemCounter found, unless the reader is
// done already.
func (r *MapRun) counted(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.itemsKnown || r.read {
		return
	}
	ic := &r.info.ItemCounts
	r.itemsKnown = true
	ic.Total = max(n, r.itemsStarted)
	ic.Pending = ic.Total - r.itemsStarted
}

// started moves n items (one unit) to running.
func (r *MapRun) started(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ic, ec := &r.info.ItemCounts, &r.info.ExecutionCounts
	r.itemsStarted += n
	if r.itemsKnown {
		ic.Total = max(ic.Total, r.itemsStarted)
		ic.Pending = ic.Total - r.itemsStarted
	} else {
		ic.Total += n
	}
	if r.execsKnown {
		ec.Pending--
	} else {
		ec.Total++
	}
	ic.Running += n
	ec.Running++
}

// finish closes the run with status (and the failure of a FAILED one).
func (r *MapRun) finish(status string, se *StatesError, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info.Status, r.info.StopDate = status, t
	if se != nil {
		r.info.Error, r.info.Cause = se.Name, se.Cause
	}
}

// MapRun returns a Map Run this engine started, by ARN.
func (e *Engine) MapRun(arn string) (*MapRun, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.mapRuns[arn]
	return r, ok
}

// MapRuns returns the Map Runs this engine knows, in no order.
func (e *Engine) MapRuns() []*MapRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*MapRun, 0, len(e.mapRuns))
	for _, r := range e.mapRuns {
		out = append(out, r)
	}
	return out
}

// ForgetMapRun drops a finished Map Run from the engine's index (the
// caller keeps its Info in a durable store).
func (e *Engine) ForgetMapRun(arn string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.mapRuns[arn]
	if !ok || r.Info().Status == MapRunRunning {
		return false
	}
	delete(e.mapRuns, arn)
	return true
}

func (e *Engine) addMapRun(r *MapRun) {
	e.mu.Lock()
	e.mapRuns[r.info.ARN] = r
	e.mu.Unlock()
}
