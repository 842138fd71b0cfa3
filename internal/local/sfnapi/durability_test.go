package sfnapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
)

// resumedShape is the history of an execution that was interrupted in its
// one Task (events 1-4 recorded) and resumed: the task is invoked again,
// and the history reads as if nothing had happened.
const resumedShape = "1:0:ExecutionStarted\n2:0:TaskStateEntered\n3:2:LambdaFunctionScheduled\n4:3:LambdaFunctionStarted\n" +
	"5:4:LambdaFunctionSucceeded\n6:5:TaskStateExited\n7:6:ExecutionSucceeded\n"

// checkResumed verifies a reopened store: done executions keep their
// status and history; interrupted ones, blocked in the stub Lambda until
// it is released, were resumed and succeed with a history free of any
// trace of the interruption, each invoking the Lambda once more.
func checkResumed(t *testing.T, h *harness, sm string, done map[string]int, interrupted []string) {
	t.Helper()
	out, err := h.client.ListExecutions(ctxT(t), &sfnsdk.ListExecutionsInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	if len(out.Executions) != len(done)+len(interrupted) {
		t.Fatalf("%d executions listed, want %d", len(out.Executions), len(done)+len(interrupted))
	}
	for name, events := range done {
		arn := h.svc.execARN("durable", name)
		d := h.wait(arn)
		if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) == "" {
			t.Errorf("%s: status %s output %q", name, d.Status, aws.ToString(d.Output))
		}
		if evs := fullHistory(t, h, arn); len(evs) != events || evs[len(evs)-1].Type != types.HistoryEventTypeExecutionSucceeded {
			t.Errorf("%s: %d events, want %d:\n%s", name, len(evs), events, historyShape(evs))
		}
	}
	for _, name := range interrupted {
		arn := h.svc.execARN("durable", name)
		d, err := h.client.DescribeExecution(ctxT(t), &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil || d.Status != types.ExecutionStatusRunning {
			t.Fatalf("%s after the restart: %v %+v, want RUNNING", name, err, d)
		}
	}
	close(h.lambda.block)
	for _, name := range interrupted {
		arn := h.svc.execARN("durable", name)
		if d := h.wait(arn); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{}` {
			t.Errorf("%s resumed: %s %q %q", name, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		if got := historyShape(fullHistory(t, h, arn)); got != resumedShape {
			t.Errorf("%s history:\n%s\nwant:\n%s", name, got, resumedShape)
		}
	}
	h.lambda.mu.Lock()
	n := h.lambda.calls["block"]
	h.lambda.mu.Unlock()
	if n != len(interrupted) {
		t.Errorf("the interrupted task ran %d times after the restart, want once per execution", n)
	}
	// The names stay taken.
	_, err = h.client.StartExecution(ctxT(t), &sfnsdk.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(interrupted[0]), Input: aws.String(`{"other":1}`)})
	if apiCode(err) != "ExecutionAlreadyExists" {
		t.Errorf("restart under an interrupted name: %v", err)
	}
}

// TestCloseLeavesExecutionsToResume: executions still running when Close
// gives up draining are left RUNNING, not failed, and resume on the next
// start; an execution that really failed can still be redriven.
func TestCloseLeavesExecutionsToResume(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	sm := h.createSM("durable", taskDef("double"), "")
	h.run(sm, "ok1", `{"value":1}`)
	h.run(sm, "ok2", `{"value":2}`)
	flakySM := h.createSM("flaky", taskDef("flaky"), "")
	failed := h.run(flakySM, "failed", `{"n":1}`)
	if failed.Status != types.ExecutionStatusFailed {
		t.Fatalf("flaky first run: %s", failed.Status)
	}
	// Two executions blocked in a Lambda while the service closes.
	if _, err := h.client.UpdateStateMachine(ctxT(t), &sfnsdk.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(taskDef("block"))}); err != nil {
		t.Fatalf("UpdateStateMachine: %v", err)
	}
	var blocked []string
	for _, name := range []string{"stuck1", "stuck2"} {
		blocked = append(blocked, name)
		arn := h.start(sm, name, `{}`)
		waitEvents(t, h, arn, 4)
	}
	var live []ExecutionEvent
	unsub := h.svc.Subscribe(func(ev ExecutionEvent) { live = append(live, ev) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no drain time
	h.srv.Close()
	h.srv = nil
	if err := h.svc.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	unsub()
	if len(live) != 0 {
		t.Errorf("events published at close: %+v", live)
	}
	close(h.lambda.block)

	h2 := newHarness(t, dir)
	checkResumed(t, h2, sm, map[string]int{"ok1": 7, "ok2": 7}, blocked)

	// Redrive still works for an execution that really failed.
	h2.lambda.mu.Lock()
	h2.lambda.calls["flaky"] = 1 // its next call succeeds
	h2.lambda.mu.Unlock()
	if _, err := h2.client.RedriveExecution(ctxT(t), &sfnsdk.RedriveExecutionInput{ExecutionArn: failed.ExecutionArn}); err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}
	if d := h2.wait(*failed.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || aws.ToInt32(d.RedriveCount) != 1 {
		t.Fatalf("redriven: %s %v", d.Status, d.RedriveCount)
	}
	want := "1:0:ExecutionStarted\n2:0:TaskStateEntered\n3:2:LambdaFunctionScheduled\n4:3:LambdaFunctionStarted\n5:4:LambdaFunctionFailed\n6:5:ExecutionFailed\n" +
		"7:6:ExecutionRedriven\n8:7:TaskStateEntered\n9:8:LambdaFunctionScheduled\n10:9:LambdaFunctionStarted\n11:10:LambdaFunctionSucceeded\n" +
		"12:11:TaskStateExited\n13:12:ExecutionSucceeded\n"
	if got := historyShape(fullHistory(t, h2, *failed.ExecutionArn)); got != want {
		t.Fatalf("history after redrive:\n%s", got)
	}
}

// waitEvents waits until the execution has n events (the stub Lambda
// has been called), watching the live feed rather than sleeping.
func waitEvents(t *testing.T, h *harness, arn string, n int64) {
	t.Helper()
	ch := make(chan struct{}, 1)
	unsub := h.svc.Subscribe(func(ev ExecutionEvent) {
		if ev.ExecutionARN == arn && ev.EventID >= n {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	})
	defer unsub()
	if id, _ := h.svc.st.LastEventID(arn); id >= n {
		return
	}
	if err := h.svc.st.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if id, _ := h.svc.st.LastEventID(arn); id >= n {
		return
	}
	select {
	case <-ch:
	case <-ctxT(t).Done():
		t.Fatalf("%s never reached %d events", arn, n)
	}
}

// TestCrashKeepsEverything kills a process running the service with
// SIGKILL and reopens its store: the executions it was running resume.
func TestCrashKeepsEverything(t *testing.T) {
	if os.Getenv("SFNAPI_CRASH_DIR") != "" {
		t.Skip("helper process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "SFNAPI_CRASH_DIR="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- line
			}
		}
		close(ready)
	}()
	var sm string
	select {
	case l, ok := <-ready:
		if !ok {
			t.Fatalf("helper exited early")
		}
		sm = l
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("helper never became ready")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no Close, no flush
		t.Fatal(err)
	}
	_ = cmd.Wait()

	h := newHarness(t, dir)
	checkResumed(t, h, sm, map[string]int{"ok1": 7, "ok2": 7}, []string{"stuck1", "stuck2"})
}

// TestCrashHelper is the process TestCrashKeepsEverything kills.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv("SFNAPI_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestCrashKeepsEverything")
	}
	h := newHarness(t, dir)
	sm := h.createSM("durable", taskDef("double"), "")
	h.run(sm, "ok1", `{"value":1}`)
	h.run(sm, "ok2", `{"value":2}`)
	if _, err := h.client.UpdateStateMachine(ctxT(t), &sfnsdk.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(taskDef("block"))}); err != nil {
		t.Fatalf("UpdateStateMachine: %v", err)
	}
	for _, name := range []string{"stuck1", "stuck2"} {
		waitEvents(t, h, h.start(sm, name, `{}`), 4)
	}
	if err := h.svc.st.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("READY %s\n", sm)
	select {} // wait for SIGKILL
}

// TestCloseDrains: executions that end within Close's bound are stored
// as they ended.
func TestCloseDrains(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	sm := h.createSM("durable", taskDef("block"), "")
	arn := h.start(sm, "drained", `{"v":1}`)
	waitEvents(t, h, arn, 4)
	h.srv.Close()
	h.srv = nil
	closed := make(chan error, 1)
	go func() { closed <- h.svc.Close(ctxT(t)) }()
	close(h.lambda.block)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	h2 := newHarness(t, dir)
	d := h2.wait(arn)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"v":1}` {
		t.Fatalf("after drain: %s %q", d.Status, aws.ToString(d.Output))
	}
}

// TestResumeWhatACrashLeaves opens stores as a kill -9 may leave them at
// the edges of an execution's life and checks what Resume makes of each.
func TestResumeWhatACrashLeaves(t *testing.T) {
	const smARN = "arn:aws:states:us-east-1:123456789012:stateMachine:durable"
	def := taskDef("double")
	started := store.Event{ID: 1, Timestamp: t0, Type: "ExecutionStarted",
		Details: json.RawMessage(`{"input":"{\"value\":1}","inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::123456789012:role/sfn"}`)}
	full := "1:0:ExecutionStarted\n2:0:TaskStateEntered\n3:2:LambdaFunctionScheduled\n4:3:LambdaFunctionStarted\n" +
		"5:4:LambdaFunctionSucceeded\n6:5:TaskStateExited\n7:6:ExecutionSucceeded\n"
	tests := []struct {
		name    string
		defHash string // "" = the definition's
		events  []store.Event
		status  types.ExecutionStatus
		output  string
		errName string
		shape   string
	}{
		{name: "cut before the first state", events: []store.Event{started},
			status: types.ExecutionStatusSucceeded, output: `{"value":2}`, shape: full},
		{name: "record committed, no event", status: types.ExecutionStatusSucceeded, output: `{"value":2}`, shape: full},
		{name: "ended, record not updated", events: []store.Event{started,
			{ID: 2, PreviousID: 1, Timestamp: t0, Type: "ExecutionSucceeded", Details: json.RawMessage(`{"output":"{\"value\":7}","outputDetails":{"truncated":false}}`)}},
			status: types.ExecutionStatusSucceeded, output: `{"value":7}`, shape: "1:0:ExecutionStarted\n2:1:ExecutionSucceeded\n"},
		{name: "definition lost", defHash: "nope", events: []store.Event{started},
			status: types.ExecutionStatusFailed, errName: ErrNameStackStopped, shape: "1:0:ExecutionStarted\n2:1:ExecutionFailed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := store.Open(filepath.Join(dir, "sfn.db"), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.PutStateMachine(&store.StateMachine{ARN: smARN, Name: "durable", Type: TypeStandard,
				RoleARN: "arn:aws:iam::123456789012:role/sfn", Definition: def, CreationDate: t0}); err != nil {
				t.Fatal(err)
			}
			hash := tc.defHash
			if hash == "" {
				hash = store.DefinitionHash(def)
			}
			arn := "arn:aws:states:us-east-1:123456789012:execution:durable:x"
			if err := st.PutExecution(store.Execution{ARN: arn, Name: "x", StateMachineARN: smARN, StateMachineName: "durable",
				DefinitionHash: hash, Status: StatusRunning, Input: `{"value":1}`, StartDate: t0}); err != nil {
				t.Fatal(err)
			}
			if len(tc.events) > 0 {
				if err := st.AppendEvents(arn, tc.events...); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Flush(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}

			h := newHarness(t, dir)
			d := h.wait(arn)
			if d.Status != tc.status || aws.ToString(d.Output) != tc.output || aws.ToString(d.Error) != tc.errName {
				t.Fatalf("%s %q %q %q", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
			}
			evs := fullHistory(t, h, arn)
			if got := historyShape(evs); got != tc.shape {
				t.Fatalf("history:\n%s\nwant:\n%s", got, tc.shape)
			}
			if !evs[0].Timestamp.Equal(t0) {
				t.Errorf("ExecutionStarted at %v, want the start date %v", evs[0].Timestamp, t0)
			}
		})
	}
}
