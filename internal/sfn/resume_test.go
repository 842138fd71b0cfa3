package sfn_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

// resumeJSONPath is shaped like the imgflow pipeline, with every state
// kind a resume must replay: a Task with retries (and a jittered
// interval), variables, a Choice, a Wait, a Map whose iterations retry,
// and a Parallel holding a Task and a Wait.
const resumeJSONPath = `{
  "StartAt": "Validate",
  "States": {
    "Validate": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "validate", "Payload": {"key.$": "$.key", "retry.$": "$$.State.RetryCount"}},
      "ResultSelector": {"key.$": "$.Payload.key", "kind.$": "$.Payload.kind", "variants.$": "$.Payload.variants"},
      "ResultPath": "$.validation",
      "Assign": {"source.$": "$.key", "token.$": "States.UUID()"},
      "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2, "JitterStrategy": "FULL"}],
      "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.validation.kind", "StringEquals": "photo", "Next": "Settle"}], "Default": "Reject"},
    "Reject": {"Type": "Fail", "Error": "Rejected"},
    "Settle": {"Type": "Wait", "Seconds": 5, "Next": "Resize"},
    "Resize": {"Type": "Map", "ItemsPath": "$.validation.variants", "MaxConcurrency": 2,
      "ItemSelector": {"source.$": "$source", "variant.$": "$$.Map.Item.Value"},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "One", "States": {
        "One": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Parameters": {"FunctionName": "resize", "Payload": {"source.$": "$.source", "variant.$": "$.variant", "retry.$": "$$.State.RetryCount"}},
          "OutputPath": "$.Payload",
          "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
          "End": true}}},
      "ResultPath": "$.variants", "Next": "Finish"},
    "Finish": {"Type": "Parallel", "ResultPath": "$.finish", "Next": "Done", "Branches": [
      {"StartAt": "Store", "States": {"Store": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:store",
        "Parameters": {"variants.$": "$.variants", "source.$": "$source"}, "End": true}}},
      {"StartAt": "Cool", "States": {"Cool": {"Type": "Wait", "Seconds": 3, "Next": "Note"},
        "Note": {"Type": "Pass", "Parameters": {"token.$": "$token"}, "End": true}}}]},
    "Done": {"Type": "Pass", "Parameters": {"source.$": "$source", "token.$": "$token", "variants.$": "$.variants", "finish.$": "$.finish"}, "End": true}
  }
}`

// resumeJSONata is resumeJSONPath in JSONata.
const resumeJSONata = `{
  "QueryLanguage": "JSONata",
  "StartAt": "Validate",
  "States": {
    "Validate": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Arguments": {"FunctionName": "validate", "Payload": {"key": "{% $states.input.key %}", "retry": "{% $states.context.State.RetryCount %}"}},
      "Assign": {"source": "{% $states.result.Payload.key %}", "token": "{% $uuid() %}"},
      "Output": "{% $merge([$states.input, {'validation': $states.result.Payload}]) %}",
      "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2, "JitterStrategy": "FULL"}],
      "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.validation.kind = 'photo' %}", "Next": "Settle"}], "Default": "Reject"},
    "Reject": {"Type": "Fail", "Error": "Rejected"},
    "Settle": {"Type": "Wait", "Seconds": 5, "Next": "Resize"},
    "Resize": {"Type": "Map", "Items": "{% $states.input.validation.variants %}", "MaxConcurrency": 2,
      "ItemSelector": {"source": "{% $source %}", "variant": "{% $states.context.Map.Item.Value %}"},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "One", "States": {
        "One": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Arguments": {"FunctionName": "resize", "Payload": {"source": "{% $states.input.source %}", "variant": "{% $states.input.variant %}", "retry": "{% $states.context.State.RetryCount %}"}},
          "Output": "{% $states.result.Payload %}",
          "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
          "End": true}}},
      "Assign": {"count": "{% $count($states.result) %}"},
      "Output": "{% $merge([$states.input, {'variants': $states.result}]) %}", "Next": "Finish"},
    "Finish": {"Type": "Parallel", "Output": "{% $merge([$states.input, {'finish': $states.result}]) %}", "Next": "Done", "Branches": [
      {"StartAt": "Store", "States": {"Store": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:store",
        "Arguments": {"variants": "{% $states.input.variants %}", "source": "{% $source %}"}, "End": true}}},
      {"StartAt": "Cool", "States": {"Cool": {"Type": "Wait", "Seconds": 3, "Next": "Note"},
        "Note": {"Type": "Pass", "Output": "{% {'token': $token} %}", "End": true}}}]},
    "Done": {"Type": "Pass", "Output": "{% {'source': $source, 'token': $token, 'count': $count, 'finish': $states.input.finish} %}", "End": true}
  }
}`

// countingLambda answers the functions of the resume definitions. A call
// with retry 0 of validate, and of resize for "md", fails with Flaky.
// Request ids derive from the payload, so that results do not depend on
// the order of calls.
type countingLambda struct {
	mu    sync.Mutex
	calls int
}

func (l *countingLambda) invoke(_ context.Context, fn string, p []byte) (*sfn.LambdaResponse, error) {
	l.mu.Lock()
	l.calls++
	l.mu.Unlock()
	var in map[string]any
	if err := json.Unmarshal(p, &in); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte(fn), p...))
	id := hex.EncodeToString(sum[:8])
	retry := fmt.Sprint(in["retry"])
	var out any
	switch fn[strings.LastIndex(fn, ":")+1:] {
	case "validate":
		if retry == "0" {
			return sfn.LambdaErrorResponse("Flaky", "cold start"), nil
		}
		out = map[string]any{"key": in["key"], "kind": "photo", "variants": []string{"xl", "md", "sm"}}
	case "resize":
		if in["variant"] == "md" && retry == "0" {
			return sfn.LambdaErrorResponse("Flaky", "throttled"), nil
		}
		out = map[string]any{"key": fmt.Sprintf("%v/%v.jpg", in["source"], in["variant"]), "variant": in["variant"]}
	case "store":
		out = map[string]any{"stored": len(in["variants"].([]any))}
	default:
		return nil, &sfn.TaskError{Err: "Lambda.ResourceNotFoundException", Cause: fn}
	}
	b, _ := json.Marshal(out)
	return &sfn.LambdaResponse{Payload: b, RequestID: id}, nil
}

func (l *countingLambda) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

// resumeEngine is an engine on a fake clock at now, deterministic in
// everything it draws (UUIDs, random numbers) when sequential.
func resumeEngine(t *testing.T, now time.Time, l *countingLambda, sequential bool) *sfn.Engine {
	t.Helper()
	var n int
	var mu sync.Mutex
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = sfn.NewFakeClock(now)
	cfg.Region, cfg.AccountID = "us-east-1", "111111111111"
	cfg.Sequential = sequential
	cfg.RandSeed = 1
	cfg.NewUUID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
	cfg.Lambda = &sfn.FakeLambda{InvokeFunc: l.invoke}
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return eng
}

func waitResult(t *testing.T, ex *sfn.Execution) sfn.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := ex.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return res
}

// taskEnds counts the events that end a task invocation.
func taskEnds(evs []sfn.Event) int {
	n := 0
	for _, ev := range evs {
		switch ev.Type {
		case "TaskSucceeded", "TaskFailed", "TaskTimedOut", "LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut":
			n++
		}
	}
	return n
}

func marshalEvents(t *testing.T, evs []sfn.Event) []string {
	t.Helper()
	out := make([]string, len(evs))
	for i, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// TestResumeAtEveryEvent cuts the history of a run at every event, as a
// kill -9 may, and resumes from what is left. The resumed execution must
// end as the uncut one did with the same history, event for event
// (ids, previousEventIds, timestamps and details), and invoke only the
// tasks whose outcome was not recorded: completed ones are not run again,
// the one in flight is.
func TestResumeAtEveryEvent(t *testing.T) {
	tests := []struct {
		name, def string
	}{
		{name: "JSONPath", def: resumeJSONPath},
		{name: "JSONata", def: resumeJSONata},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := sfn.ParseDefinition([]byte(tc.def))
			if err != nil {
				t.Fatal(err)
			}
			if diags := sfn.Validate([]byte(tc.def)); len(diags) > 0 {
				t.Fatalf("invalid definition: %+v", diags)
			}
			input, _ := sfn.DecodeJSON([]byte(`{"key":"uploads/cat.jpg"}`))
			opts := sfn.StartOptions{Name: "run", StateMachineName: "imgflow"}
			full := &countingLambda{}
			ex, err := resumeEngine(t, t0, full, true).StartParsed(context.Background(), d, input, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := waitResult(t, ex)
			if want.Status != sfn.StatusSucceeded {
				t.Fatalf("uncut run: %+v", want)
			}
			hist := ex.History()
			wantEvents := marshalEvents(t, hist)
			if full.count() != taskEnds(hist) {
				t.Fatalf("uncut run: %d invocations, %d task outcomes", full.count(), taskEnds(hist))
			}
			for k := 1; k < len(hist); k++ {
				cut := hist[:k]
				l := &countingLambda{}
				eng := resumeEngine(t, cut[k-1].Timestamp, l, true)
				rx, err := eng.Resume(context.Background(), d, input, sfn.ResumeOptions{StartOptions: opts, Start: hist[0].Timestamp, History: cut})
				if err != nil {
					t.Fatalf("cut after #%d (%s): Resume: %v", k, cut[k-1].Type, err)
				}
				got := waitResult(t, rx)
				if got.Status != want.Status || got.Output != want.Output || !got.StartDate.Equal(want.StartDate) || !got.StopDate.Equal(want.StopDate) {
					t.Fatalf("cut after #%d (%s): result %+v, want %+v", k, cut[k-1].Type, got, want)
				}
				gotEvents := marshalEvents(t, rx.History())
				if strings.Join(gotEvents, "\n") != strings.Join(wantEvents, "\n") {
					for i := range max(len(gotEvents), len(wantEvents)) {
						var g, w string
						if i < len(gotEvents) {
							g = gotEvents[i]
						}
						if i < len(wantEvents) {
							w = wantEvents[i]
						}
						if g != w {
							t.Fatalf("cut after #%d (%s): event %d differs:\n got %s\nwant %s", k, cut[k-1].Type, i+1, g, w)
						}
					}
				}
				if rerun := taskEnds(hist[k:]); l.count() != rerun {
					t.Fatalf("cut after #%d (%s): %d invocations, want %d (the tasks without a recorded outcome)", k, cut[k-1].Type, l.count(), rerun)
				}
			}
		})
	}
}

// TestResumeConcurrentMap resumes a run whose Map iterations ran side by
// side, cut at every event: each ends as the uncut run did, without a
// second invocation of a task whose outcome was recorded, and with a
// well-formed history: ids in sequence, every previousEventId earlier,
// every recorded event kept and no state entered or exited twice.
func TestResumeConcurrentMap(t *testing.T) {
	def := strings.Replace(resumeJSONPath, `"MaxConcurrency": 2`, `"MaxConcurrency": 3`, 1)
	d, err := sfn.ParseDefinition([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	input, _ := sfn.DecodeJSON([]byte(`{"key":"uploads/dog.jpg"}`))
	opts := sfn.StartOptions{Name: "run", StateMachineName: "imgflow"}
	ex, err := resumeEngine(t, t0, &countingLambda{}, false).StartParsed(context.Background(), d, input, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := waitResult(t, ex)
	hist := ex.History()
	for k := 1; k < len(hist); k++ {
		cut := hist[:k]
		l := &countingLambda{}
		rx, err := resumeEngine(t, cut[k-1].Timestamp, l, false).Resume(context.Background(), d, input,
			sfn.ResumeOptions{StartOptions: opts, Start: hist[0].Timestamp, History: cut})
		if err != nil {
			t.Fatalf("cut after #%d: Resume: %v", k, err)
		}
		got := waitResult(t, rx)
		if got.Status != want.Status || got.Output != want.Output {
			t.Fatalf("cut after #%d (%s): %+v, want %+v", k, cut[k-1].Type, got, want)
		}
		evs := rx.History()
		if len(evs) != len(hist) {
			t.Errorf("cut after #%d (%s): %d events, want %d", k, cut[k-1].Type, len(evs), len(hist))
		}
		seen := map[string]bool{}
		for i, ev := range evs {
			if ev.ID != int64(i+1) || ev.PreviousEventID >= ev.ID || (i > 0 && ev.PreviousEventID == 0 && ev.Type != "TaskStateEntered") {
				t.Fatalf("cut after #%d: event %d is #%d after #%d (%s)", k, i+1, ev.ID, ev.PreviousEventID, ev.Type)
			}
			if i < k && marshalEvents(t, evs[i:i+1])[0] != marshalEvents(t, cut[i:i+1])[0] {
				t.Fatalf("cut after #%d: recorded event #%d changed", k, i+1)
			}
			if strings.HasSuffix(ev.Type, "Succeeded") || strings.HasSuffix(ev.Type, "Exited") {
				key := fmt.Sprintf("%s %v %s", ev.Type, ev.Details["name"], ev.Details["output"])
				if ev.Type == "MapIterationSucceeded" {
					key = fmt.Sprintf("%s %v", ev.Type, ev.Details["index"])
				}
				if seen[key] {
					t.Fatalf("cut after #%d: %s twice", k, key)
				}
				seen[key] = true
			}
		}
		if rerun := taskEnds(evs[k:]); l.count() != rerun {
			t.Fatalf("cut after #%d (%s): %d invocations, want %d", k, cut[k-1].Type, l.count(), rerun)
		}
	}
}

// TestResumeWaitKeepsItsEnd: a Wait cut short by a restart ends when it
// would have, by the clock, not a full Seconds after the restart.
func TestResumeWaitKeepsItsEnd(t *testing.T) {
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},"P":{"Type":"Pass","End":true}}}`
	d, err := sfn.ParseDefinition([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	input := map[string]any{}
	opts := sfn.StartOptions{Name: "w", StateMachineName: "sm"}
	ex, err := resumeEngine(t, t0, &countingLambda{}, true).StartParsed(context.Background(), d, input, opts)
	if err != nil {
		t.Fatal(err)
	}
	waitResult(t, ex)
	hist := ex.History() // Started, WaitStateEntered, ...
	restart := t0.Add(4 * time.Second)
	rx, err := resumeEngine(t, restart, &countingLambda{}, true).Resume(context.Background(), d, input,
		sfn.ResumeOptions{StartOptions: opts, Start: t0, History: hist[:2]})
	if err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, rx); res.Status != sfn.StatusSucceeded || !res.StopDate.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("resumed wait: %+v, want SUCCEEDED at t0+10s", res)
	}
	if evs := rx.History(); evs[2].Type != "WaitStateExited" || !evs[2].Timestamp.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("wait exited at %v (%s)", evs[2].Timestamp, evs[2].Type)
	}
}

// TestRedriveReplaysCompletedStates redrives a failed execution: the
// states that completed are not run again, their variables are back, and
// the failed state runs again after ExecutionRedriven.
func TestRedriveReplaysCompletedStates(t *testing.T) {
	def := `{"StartAt":"Prep","States":{
	  "Prep":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:validate","Parameters":{"key":"k","retry":1},
	    "Assign":{"kept.$":"$.Payload.key"},"ResultPath":null,"Next":"Call"},
	  "Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:flaky","Parameters":{"kept.$":"$kept"},"End":true}}}`
	d, err := sfn.ParseDefinition([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	opts := sfn.StartOptions{Name: "r", StateMachineName: "sm"}
	fail := true
	var calls []string
	lambda := func(_ context.Context, fn string, p []byte) (*sfn.LambdaResponse, error) {
		name := fn[strings.LastIndex(fn, ":")+1:]
		calls = append(calls, name)
		if name == "flaky" {
			if fail {
				return sfn.LambdaErrorResponse("Boom", "first run"), nil
			}
			return &sfn.LambdaResponse{Payload: p}, nil
		}
		return &sfn.LambdaResponse{Payload: []byte(`{"Payload":{"key":"from-prep"}}`)}, nil
	}
	newEng := func(now time.Time) *sfn.Engine {
		cfg := sfn.NewDefaultConfig()
		cfg.Clock = sfn.NewFakeClock(now)
		cfg.Lambda = &sfn.FakeLambda{InvokeFunc: lambda}
		eng, err := sfn.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	ex, err := newEng(t0).StartParsed(context.Background(), d, map[string]any{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, ex); res.Status != sfn.StatusFailed {
		t.Fatalf("first run: %+v", res)
	}
	hist := ex.History()
	fail, calls = false, nil
	rx, err := newEng(t0.Add(time.Minute)).Resume(context.Background(), d, map[string]any{},
		sfn.ResumeOptions{StartOptions: opts, Start: t0, History: hist, Redrive: true, RedriveCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, rx)
	if res.Status != sfn.StatusSucceeded || res.Output != `{"kept":"from-prep"}` {
		t.Fatalf("redriven: %+v", res)
	}
	if strings.Join(calls, ",") != "flaky" {
		t.Fatalf("redrive invoked %v, want only the failed state's function", calls)
	}
	evs := rx.History()
	n := len(hist)
	if evs[n].Type != "ExecutionRedriven" || evs[n].PreviousEventID != int64(n) || evs[n+1].Type != "TaskStateEntered" || evs[n+1].PreviousEventID != int64(n+1) {
		t.Fatalf("redriven history: %s", types(evs))
	}
}

// TestResumeRejectsBadHistories: what cannot be continued is refused.
func TestResumeRejectsBadHistories(t *testing.T) {
	d, err := sfn.ParseDefinition([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	started := sfn.Event{ID: 1, Type: "ExecutionStarted"}
	tests := []struct {
		name    string
		history []sfn.Event
		redrive bool
	}{
		{name: "gap in ids", history: []sfn.Event{started, {ID: 3, PreviousEventID: 1, Type: "PassStateEntered"}}},
		{name: "no ExecutionStarted", history: []sfn.Event{{ID: 1, Type: "PassStateEntered"}}},
		{name: "already ended", history: []sfn.Event{started, {ID: 2, PreviousEventID: 1, Type: "ExecutionSucceeded"}}},
		{name: "redrive of a running execution", history: []sfn.Event{started}, redrive: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resumeEngine(t, t0, &countingLambda{}, true).Resume(context.Background(), d, map[string]any{},
				sfn.ResumeOptions{StartOptions: sfn.StartOptions{Name: "x"}, Start: t0, History: tc.history, Redrive: tc.redrive})
			var re *sfn.ResumeError
			if !errors.As(err, &re) {
				t.Fatalf("Resume: %v, want a ResumeError", err)
			}
		})
	}
}

// TestResumeAfterIterationFailure: in the record, one Map iteration
// failed while another was still running, which the failure aborted, and
// the Catch took over. Resumed at every event, the failure is replayed
// before the running iteration may act, so it is aborted again rather
// than invoked, and no recorded outcome is invoked twice.
func TestResumeAfterIterationFailure(t *testing.T) {
	def := `{"StartAt":"Each","States":{
	  "Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":3,"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Call","States":{
	    "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$"},"OutputPath":"$.Payload","End":true}}},
	    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Fallback"}],"End":true},
	  "Fallback":{"Type":"Pass","End":true}}}`
	d, err := sfn.ParseDefinition([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	input, _ := sfn.DecodeJSON([]byte(`{"items":["ok","slow","bad"]}`))
	opts := sfn.StartOptions{Name: "m", StateMachineName: "sm"}
	type calls struct {
		mu sync.Mutex
		n  map[string]int
	}
	// bad fails once ok is done and slow runs, so that the record holds
	// ok's outcome, bad's failure and slow's abort.
	engine := func(now time.Time, c *calls, okDone chan struct{}, waitSlow bool) *sfn.Engine {
		slowRuns := make(chan struct{})
		var once sync.Once
		if !waitSlow {
			close(slowRuns)
		}
		cfg := sfn.NewDefaultConfig()
		cfg.Clock = sfn.NewFakeClock(now)
		cfg.RandSeed = 1
		cfg.Lambda = &sfn.FakeLambda{InvokeFunc: func(ctx context.Context, fn string, _ []byte) (*sfn.LambdaResponse, error) {
			c.mu.Lock()
			c.n[fn]++
			c.mu.Unlock()
			switch fn {
			case "ok":
				defer close(okDone)
				return &sfn.LambdaResponse{Payload: []byte(`"fine"`), RequestID: "r-ok"}, nil
			case "bad":
				for _, ch := range []chan struct{}{okDone, slowRuns} {
					select {
					case <-ch:
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				return sfn.LambdaErrorResponse("Broken", "bad item"), nil
			}
			if waitSlow {
				once.Do(func() { close(slowRuns) })
			}
			<-ctx.Done() // slow runs until it is cancelled
			return nil, ctx.Err()
		}}
		eng, err := sfn.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	c := &calls{n: map[string]int{}}
	ex, err := engine(t0, c, make(chan struct{}), true).StartParsed(context.Background(), d, input, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := waitResult(t, ex)
	hist := ex.History()
	if want.Status != sfn.StatusSucceeded || !strings.Contains(types(hist), "TaskStateAborted") {
		t.Fatalf("uncut run: %+v\n%s", want, types(hist))
	}
	// outcome reports whether the record holds fn's task outcome.
	outcome := func(evs []sfn.Event, typ, fn string) bool {
		for _, ev := range evs {
			if ev.Type == typ && strings.Contains(fmt.Sprint(ev.Details), fn) {
				return true
			}
		}
		return false
	}
	for k := 1; k < len(hist); k++ {
		cut := hist[:k]
		c := &calls{n: map[string]int{}}
		okDone := make(chan struct{})
		if outcome(cut, "TaskSucceeded", "fine") {
			close(okDone)
		}
		// Resumed, bad does not wait for slow, which the replay may
		// rightly never run.
		rx, err := engine(cut[k-1].Timestamp, c, okDone, false).Resume(context.Background(), d, input,
			sfn.ResumeOptions{StartOptions: opts, Start: t0, History: cut})
		if err != nil {
			t.Fatalf("cut after #%d: %v", k, err)
		}
		got := waitResult(t, rx)
		if got.Status != want.Status || got.Output != want.Output {
			t.Fatalf("cut after #%d (%s): %+v, want %+v", k, cut[k-1].Type, got, want)
		}
		failed := outcome(cut, "TaskFailed", "Broken")
		if outcome(cut, "TaskSucceeded", "fine") && c.n["ok"] > 0 || failed && c.n["bad"] > 0 {
			t.Fatalf("cut after #%d (%s): a recorded outcome was invoked again: %v", k, cut[k-1].Type, c.n)
		}
		if failed && c.n["slow"] > 0 {
			t.Fatalf("cut after #%d (%s): slow ran although the record shows the failure that aborted it", k, cut[k-1].Type)
		}
		evs := rx.History()
		if strings.Count(types(evs), "MapStateExited") != 1 || strings.Count(types(evs), "TaskStateAborted") > 2 {
			t.Fatalf("cut after #%d (%s): history %s", k, cut[k-1].Type, types(evs))
		}
	}
}

// TestRedriveAgainAndEarly: a second redrive follows the first one's run
// (Prep, done in the first run, is still not run again), and an execution
// stopped before it entered any state can be redriven.
func TestRedriveAgainAndEarly(t *testing.T) {
	def := `{"StartAt":"Prep","States":{
	  "Prep":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:prep","ResultPath":"$.prep","Next":"Call"},
	  "Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:call","ResultPath":"$.call","End":true}}}`
	d, err := sfn.ParseDefinition([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	opts := sfn.StartOptions{Name: "r", StateMachineName: "sm"}
	var mu sync.Mutex
	calls := map[string]int{}
	lambda := &sfn.FakeLambda{InvokeFunc: func(_ context.Context, fn string, _ []byte) (*sfn.LambdaResponse, error) {
		name := fn[strings.LastIndex(fn, ":")+1:]
		mu.Lock()
		calls[name]++
		n := calls[name]
		mu.Unlock()
		if name == "call" && n < 3 {
			return sfn.LambdaErrorResponse("Boom", fmt.Sprintf("call %d", n)), nil
		}
		return &sfn.LambdaResponse{Payload: []byte(fmt.Sprintf(`"%s-%d"`, name, n))}, nil
	}}
	newEng := func() *sfn.Engine {
		cfg := sfn.NewDefaultConfig()
		cfg.Clock = sfn.NewFakeClock(t0)
		cfg.Lambda = lambda
		eng, err := sfn.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	ex, err := newEng().StartParsed(context.Background(), d, map[string]any{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, ex)
	hist := ex.History()
	for i := 1; i <= 2; i++ {
		if res.Status != sfn.StatusFailed {
			t.Fatalf("run %d: %+v", i, res)
		}
		rx, err := newEng().Resume(context.Background(), d, map[string]any{},
			sfn.ResumeOptions{StartOptions: opts, Start: t0, History: hist, Redrive: true, RedriveCount: i})
		if err != nil {
			t.Fatalf("redrive %d: %v", i, err)
		}
		res, hist = waitResult(t, rx), rx.History()
	}
	if res.Status != sfn.StatusSucceeded || res.Output != `{"call":"call-3","prep":"prep-1"}` || calls["prep"] != 1 {
		t.Fatalf("after two redrives: %+v, calls %v\n%s", res, calls, types(hist))
	}
	want := "ExecutionStarted,TaskStateEntered,LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionSucceeded,TaskStateExited," +
		"TaskStateEntered,LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionFailed,ExecutionFailed," +
		"ExecutionRedriven,TaskStateEntered,LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionFailed,ExecutionFailed," +
		"ExecutionRedriven,TaskStateEntered,LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionSucceeded,TaskStateExited,ExecutionSucceeded"
	if got := types(hist); got != want {
		t.Fatalf("history:\n%s\nwant:\n%s", got, want)
	}

	// Stopped before its first state.
	early := []sfn.Event{{ID: 1, Timestamp: t0, Type: "ExecutionStarted", Details: map[string]any{"input": "{}"}},
		{ID: 2, PreviousEventID: 1, Timestamp: t0, Type: "ExecutionAborted"}}
	rx, err := newEng().Resume(context.Background(), d, map[string]any{},
		sfn.ResumeOptions{StartOptions: sfn.StartOptions{Name: "early", StateMachineName: "sm"}, Start: t0, History: early, Redrive: true, RedriveCount: 1})
	if err != nil {
		t.Fatalf("redrive of an execution stopped before its first state: %v", err)
	}
	if res := waitResult(t, rx); res.Status != sfn.StatusSucceeded {
		t.Fatalf("redriven early: %+v", res)
	}
	if evs := rx.History(); evs[2].Type != "ExecutionRedriven" || evs[3].Type != "TaskStateEntered" || evs[3].PreviousEventID != 3 {
		t.Fatalf("redriven early: %s", types(evs))
	}
}
