package sfnapi

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// checkReopened verifies a reopened store: done executions keep their
// status and full history; interrupted ones are FAILED with
// ErrNameStackStopped and an ExecutionFailed event after their last one.
func checkReopened(t *testing.T, h *harness, sm string, done map[string]int, interrupted []string) {
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
		d := h.wait(arn)
		if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != ErrNameStackStopped ||
			!strings.Contains(aws.ToString(d.Cause), "local stack stopped while this execution was running") {
			t.Errorf("%s: %s %q %q", name, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		evs := fullHistory(t, h, arn)
		shape := historyShape(evs)
		want := "1:0:ExecutionStarted\n2:0:TaskStateEntered\n3:2:LambdaFunctionScheduled\n4:3:LambdaFunctionStarted\n5:4:ExecutionFailed\n"
		if shape != want {
			t.Errorf("%s history:\n%s\nwant:\n%s", name, shape, want)
		}
		if e := evs[len(evs)-1].ExecutionFailedEventDetails; e == nil || *e.Error != ErrNameStackStopped || !strings.Contains(*e.Cause, "#4") {
			t.Errorf("%s: ExecutionFailed details %+v", name, e)
		}
	}
	// The names stay taken.
	_, err = h.client.StartExecution(ctxT(t), &sfnsdk.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(interrupted[0])})
	if apiCode(err) != "ExecutionAlreadyExists" {
		t.Errorf("restart under an interrupted name: %v", err)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	sm := h.createSM("durable", taskDef("double"), "")
	h.run(sm, "ok1", `{"value":1}`)
	h.run(sm, "ok2", `{"value":2}`)
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
	cancel() // no drain time: close the rest at once
	h.srv.Close()
	h.srv = nil
	if err := h.svc.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	unsub()
	if len(live) != 2 || live[0].Status != StatusFailed || live[0].EventType != "ExecutionFailed" {
		t.Errorf("live events at close: %+v", live)
	}
	close(h.lambda.block)

	h2 := newHarness(t, dir)
	checkReopened(t, h2, sm, map[string]int{"ok1": 7, "ok2": 7}, blocked)

	// An interrupted execution can be resumed with RedriveExecution.
	close(h2.lambda.block)
	arn := h2.svc.execARN("durable", "stuck1")
	if _, err := h2.client.RedriveExecution(ctxT(t), &sfnsdk.RedriveExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}
	if d := h2.wait(arn); d.Status != types.ExecutionStatusSucceeded || aws.ToInt32(d.RedriveCount) != 1 {
		t.Fatalf("redriven: %s %v", d.Status, d.RedriveCount)
	}
	want := "1:0:ExecutionStarted\n2:0:TaskStateEntered\n3:2:LambdaFunctionScheduled\n4:3:LambdaFunctionStarted\n5:4:ExecutionFailed\n" +
		"6:5:ExecutionRedriven\n7:6:TaskStateEntered\n8:7:LambdaFunctionScheduled\n9:8:LambdaFunctionStarted\n10:9:LambdaFunctionSucceeded\n" +
		"11:10:TaskStateExited\n12:11:ExecutionSucceeded\n"
	if got := historyShape(fullHistory(t, h2, arn)); got != want {
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
// SIGKILL and reopens its store.
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
	checkReopened(t, h, sm, map[string]int{"ok1": 7, "ok2": 7}, []string{"stuck1", "stuck2"})
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
