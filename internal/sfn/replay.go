package sfn

// Resume and redrive share one mechanism: an execution continues from its
// recorded history by running its definition again from the start in
// replay mode. Each frame (the state machine, a Parallel branch, a Map
// iteration) takes its events from the record instead of recording new
// ones; a Task whose outcome is recorded is not invoked again, and a Wait
// or retry interval that the record shows over is not slept again.
// Outputs and assigned variables are read from the recorded StateExited
// events, so a completed state yields what it yielded the first time even
// if it drew a UUID or a random number. A frame whose next event is not
// recorded goes live there: what it records from then on gets new ids
// after the last recorded one and chains to the frame's last recorded
// event, as it would have without the interruption. A Task that was in
// flight (TaskStarted recorded, no outcome) is invoked again without new
// events: at-least-once, as on AWS.
//
// Recorded events are matched to a frame by previousEventId and type (and
// the state name or iteration index), which is how frames chain their
// events. After a Map or Parallel fan-out a frame's next event chains to
// whichever event was last at that moment; it is found as the first
// unreplayed event of the expected type chained to an event at or after
// the newest one the fan-out replayed.
//
// Fan-outs replay their jobs one at a time in index order. A job that
// reaches the end of its record parks until every job has been replayed or
// parked, so that a failure recorded in a later job cancels it (and its
// recorded abort events are matched) before it does anything live.
//
// A redrive is a resume that appends ExecutionRedriven and, when the
// replay reproduces the failure of a top-level state, runs that state
// again live. Earlier redrives are followed the same way: a top-level
// state whose failure the replay reproduces is run again from the next
// recorded ExecutionRedriven.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ResumeOptions describe the recorded execution Engine.Resume continues.
type ResumeOptions struct {
	StartOptions
	// Start is the execution's start time ($$.Execution.StartTime).
	Start time.Time
	// History is everything recorded so far: ids 1..n, ExecutionStarted
	// first. It may be empty (nothing was recorded).
	History []Event
	// Redrive restarts a closed (FAILED, TIMED_OUT or ABORTED) execution:
	// ExecutionRedriven is appended and the top-level state that did not
	// complete runs again, with its retry counts reset.
	Redrive bool
	// RedriveCount is $$.Execution.RedriveCount: the redrives so far,
	// including this one.
	RedriveCount int
}

// ResumeError reports a recorded execution that cannot be continued.
type ResumeError struct{ Msg string }

func (e *ResumeError) Error() string { return "sfn: cannot resume: " + e.Msg }

// Resume continues an execution from its recorded history: the state
// machine d with its original input (decoded JSON), under the name and
// state machine of o. Completed states are not run again; see the package
// comment of replay.go. Only new events reach Config.OnEvent.
func (e *Engine) Resume(ctx context.Context, d *Definition, input any, o ResumeOptions) (*Execution, error) {
	h := o.History
	for i, ev := range h {
		if ev.ID != int64(i+1) {
			return nil, &ResumeError{Msg: fmt.Sprintf("event #%d follows #%d", ev.ID, i)}
		}
	}
	if len(h) > 0 && h[0].Type != "ExecutionStarted" {
		return nil, &ResumeError{Msg: "the history does not begin with ExecutionStarted"}
	}
	closed := len(h) > 0 && isExecutionEnd(h[len(h)-1].Type)
	switch {
	case o.Redrive && !closed:
		return nil, &ResumeError{Msg: "a redriven execution must have ended"}
	case !o.Redrive && closed:
		return nil, &ResumeError{Msg: "the execution has ended (" + h[len(h)-1].Type + ")"}
	}
	return e.start(ctx, d, nil, input, o.StartOptions, &o)
}

func isExecutionEnd(typ string) bool {
	switch typ {
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
		return true
	}
	return false
}

// errReplayAborted is the outcome of a state that the record shows
// aborted (the execution was stopped or timed out there). It counts as a
// cancellation, so the recorded abort events are matched.
var errReplayAborted = fmt.Errorf("sfn: aborted in the recorded history: %w", context.Canceled)

// replay is the recorded part of a resumed execution's history.
type replay struct {
	mu     sync.Mutex
	events []Event // by id-1
	used   []bool
	byPrev map[int64][]int64 // previousEventId -> ids, ascending
	// closed is set when the recorded run ended (a redrive); redrives
	// counts the recorded ExecutionRedriven events not yet replayed.
	closed   bool
	redrives int
}

func newReplay(events []Event, closed bool) *replay {
	r := &replay{events: events, used: make([]bool, len(events)), byPrev: map[int64][]int64{}, closed: closed}
	for _, ev := range events {
		r.byPrev[ev.PreviousEventID] = append(r.byPrev[ev.PreviousEventID], ev.ID)
		switch {
		case ev.Type == "ExecutionStarted", isExecutionEnd(ev.Type):
			// Recorded once per run by the execution, never by a frame.
			r.used[ev.ID-1] = true
		case ev.Type == "ExecutionRedriven":
			r.redrives++
		}
	}
	return r
}

// interrupted reports whether the run being replayed ended: then a frame
// whose record stops was stopped there, and does not go on live.
func (r *replay) interrupted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed || r.redrives > 0
}

// matches reports whether a recorded event is the one a frame is about
// to record: same type and, where a frame records several of a type
// after one event, the same state name or iteration index.
func matches(ev *Event, typ string, d map[string]any) bool {
	if ev.Type != typ {
		return false
	}
	var key string
	switch {
	case strings.HasSuffix(typ, "StateEntered"), strings.HasSuffix(typ, "StateExited"):
		key = "name"
	case strings.HasPrefix(typ, "MapIteration"):
		key = "index"
	default:
		return true
	}
	return fmt.Sprint(ev.Details[key]) == fmt.Sprint(d[key])
}

// find returns the first unreplayed event that satisfies ok and chains to
// prev or, when after is set, to any event from prev on. r.mu is held.
func (r *replay) find(prev int64, after bool, ok func(*Event) bool) *Event {
	if !after {
		for _, id := range r.byPrev[prev] {
			if ev := &r.events[id-1]; !r.used[id-1] && ok(ev) {
				return ev
			}
		}
		return nil
	}
	for i := max(prev, 0); i < int64(len(r.events)); i++ {
		if ev := &r.events[i]; !r.used[i] && ev.PreviousEventID >= prev && ok(ev) {
			return ev
		}
	}
	return nil
}

// takeRedriven consumes the first unreplayed ExecutionRedriven event.
func (r *replay) takeRedriven() (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.events {
		if !r.used[i] && r.events[i].Type == "ExecutionRedriven" {
			r.used[i] = true
			r.redrives--
			return r.events[i].ID, true
		}
	}
	return 0, false
}

// take consumes the recorded event the frame is about to record, if any.
func (f *frame) take(prev int64, typ string, d map[string]any) (Event, bool) {
	r := f.ex.replay
	r.mu.Lock()
	defer r.mu.Unlock()
	// After a fan-out, events chained to the frame's guessed last event
	// (or a newer one) are looked up loosely; others, like an
	// EvaluationFailed chained to the event before the state, exactly.
	fuzzy := f.fuzzy && prev >= f.prev
	ev := r.find(f.anchor(prev, fuzzy), fuzzy, func(ev *Event) bool { return matches(ev, typ, d) })
	if ev == nil {
		return Event{}, false
	}
	r.used[ev.ID-1] = true
	for p := f; p != nil; p = p.parent {
		p.high = max(p.high, ev.ID)
	}
	if fuzzy {
		// The guess is settled: the frame's events chain to this one's
		// predecessor until it records one of its own.
		f.fuzzy = false
		f.prev = ev.PreviousEventID
	}
	f.prevTime = ev.Timestamp
	f.hist.replayed(ev.ID)
	return *ev, true
}

// anchor is the event a lookup starts from: prev, or after a fan-out
// (fuzzy) the newest event the frame has replayed.
func (f *frame) anchor(prev int64, fuzzy bool) int64 {
	if fuzzy {
		return f.high
	}
	return prev
}

// peek returns the recorded event that follows the frame's last one, if
// any, without consuming it. After a fan-out only events of the state's
// own kind (prefix) are considered.
func (f *frame) peek(prefix string) (Event, bool) {
	r := f.ex.replay
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.find(f.anchor(f.prev, f.fuzzy), f.fuzzy, func(ev *Event) bool {
		return !f.fuzzy || strings.HasPrefix(ev.Type, prefix)
	})
	if ev == nil {
		return Event{}, false
	}
	return *ev, true
}

// parker holds a fan-out job that reached the end of its record until the
// fan-out's replay phase ends (see replayFanOut).
type parker struct {
	once    sync.Once
	parked  chan struct{}   // closed when the job parks
	release chan struct{}   // closed when the replay phase ends
	done    <-chan struct{} // the job's cancellation
}

// wait parks the job until the replay phase ends. It reports false if the
// job was cancelled meanwhile.
func (p *parker) wait() bool {
	p.once.Do(func() { close(p.parked) })
	select {
	case <-p.release:
		return true
	case <-p.done:
		return false
	}
}

// waitTurn is called before a frame acts (invokes, sleeps): inside a
// replayed fan-out it parks the frame's job until the fan-out has
// replayed every job, and so on outwards. It returns at once outside
// replayed fan-outs and once released. False: cancelled meanwhile.
func (f *frame) waitTurn() bool {
	for p := f; p != nil; p = p.parent {
		if p.park != nil && !p.park.wait() {
			return false
		}
	}
	return true
}

// replayedStep looks at what the record holds after the frame's last
// event, before a step that takes time or has effects (a task, a wait):
// the event that ended the step (done), errReplayAborted if the record
// shows the step aborted or its run ended there, or, at the end of the
// record, nothing: the frame goes live (once it may act) and the step
// runs. prefix narrows peek after a fan-out.
func (f *frame) replayedStep(ctx context.Context, prefix string) (ev Event, done bool, err error) {
	if !f.replaying {
		return Event{}, false, nil
	}
	next, ok := f.peek(prefix)
	switch {
	case ok && strings.HasSuffix(next.Type, "StateAborted"):
		// Stopped here in the record: wait for a sibling's recorded
		// failure to cancel this job, or report the abort.
		if !f.waitTurn() {
			return Event{}, true, ctx.Err()
		}
		return Event{}, true, errReplayAborted
	case ok:
		return next, true, nil
	}
	if f.ex.replay.interrupted() {
		f.waitTurn()
		return Event{}, true, errReplayAborted
	}
	f.replaying = false
	return Event{}, false, nil
}

// sleepAfter sleeps d after the frame's last event (a retry interval).
func (f *frame) sleepAfter(ctx context.Context, st *State, d time.Duration) error {
	if !f.replaying {
		if !f.waitTurn() {
			return ctx.Err()
		}
		return f.ex.eng.cfg.Clock.Sleep(ctx, d)
	}
	return f.sleepUntil(ctx, st, f.prevTime.Add(d))
}

// sleepUntil sleeps until t on the engine clock (a Wait state or a retry
// interval). Replaying, it does not sleep when the record shows the frame
// went on, and sleeps what is left when the record ends here.
func (f *frame) sleepUntil(ctx context.Context, st *State, t time.Time) error {
	if f.replaying {
		if _, done, err := f.replayedStep(ctx, st.Type); done || err != nil {
			return err
		}
	}
	if !f.waitTurn() {
		return ctx.Err()
	}
	clk := f.ex.eng.cfg.Clock
	d := t.Sub(clk.Now())
	if d <= 0 {
		return nil
	}
	return clk.Sleep(ctx, d)
}

// replayTask returns a Task's recorded outcome (the event after
// TaskStarted or LambdaFunctionStarted), replaying its event; ok is false
// when the record holds none and the task must run.
func (f *frame) replayTask(ctx context.Context) (out any, ok bool, err error) {
	ev, done, err := f.replayedStep(ctx, "Task")
	if err != nil || !done {
		return nil, done, err
	}
	switch ev.Type {
	case "TaskSucceeded", "LambdaFunctionSucceeded":
		if out, err = recordedJSON(ev, "output"); err != nil {
			return nil, true, err
		}
	case "TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut":
		se := &StatesError{}
		se.Name, _ = ev.Details["error"].(string)
		se.Cause, se.HasCause = ev.Details["cause"].(string)
		err = se
	default:
		// Not a task's outcome: the record diverges. Run the task.
		return nil, false, nil
	}
	if _, _, rerr := f.emitEvent(ev.Type, nil); rerr != nil {
		return nil, true, rerr
	}
	return out, true, err
}

// replayFanOut is fanOut for a replaying frame: jobs are replayed one at
// a time in index order until each ends or parks at the end of its
// record; once every job has (or all slots are held by parked jobs), the
// frame waits for its own turn, then releases the parked jobs, and the
// rest run as fanOut runs them.
func (f *frame) replayFanOut(ctx context.Context, n, limit int, job func(ctx context.Context, i int, p *parker) error) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	release := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	fail := func(err error) { once.Do(func() { first = err; cancel() }) }
	replaying, parked := true, false
	endReplay := func() {
		if !replaying {
			return
		}
		replaying = false
		if parked && !f.waitTurn() {
			fail(context.Canceled)
			return
		}
		close(release)
	}
	for i := range n {
		if replaying {
			select {
			case sem <- struct{}{}:
			default:
				// Every slot is held by a parked job: in the record, no
				// later job started before one of these ended.
				endReplay()
			}
		}
		if !replaying {
			select {
			case sem <- struct{}{}:
			case <-cctx.Done():
			}
		}
		if cctx.Err() != nil {
			break
		}
		p := &parker{parked: make(chan struct{}), release: release, done: cctx.Done()}
		ended := make(chan struct{})
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer close(ended)
			defer func() { <-sem }()
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = newErrf(ErrRuntime, "internal error: %v", r)
					}
				}()
				return job(cctx, i, p)
			}()
			if err != nil {
				fail(err)
			}
		}(i)
		if replaying {
			select {
			case <-p.parked:
				parked = true
			case <-ended:
			}
		}
	}
	if cctx.Err() == nil {
		endReplay()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
