package sfnapi

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestSubscribe(t *testing.T) {
	h := newHarness(t, "")
	sm := h.createSM("pipeline", pipelineDef, "")
	var mu sync.Mutex
	var got []string
	unsub := h.svc.Subscribe(func(ev ExecutionEvent) {
		line := ev.Status + ":" + ev.EventType
		if ev.EventType == "ExecutionStarted" {
			// The record is readable when the start is announced.
			if _, err := h.svc.DescribeExecution(context.Background(), ev.ExecutionARN); err != nil {
				line += ":not-stored"
			}
		}
		mu.Lock()
		got = append(got, line)
		mu.Unlock()
	})
	h.run(sm, "sub", `{"value":1}`)
	unsub()
	want := "RUNNING:ExecutionStarted RUNNING:PassStateEntered RUNNING:PassStateExited RUNNING:TaskStateEntered " +
		"RUNNING:LambdaFunctionScheduled RUNNING:LambdaFunctionStarted RUNNING:LambdaFunctionSucceeded RUNNING:TaskStateExited " +
		"RUNNING:ChoiceStateEntered RUNNING:ChoiceStateExited RUNNING:SucceedStateEntered RUNNING:SucceedStateExited " +
		"RUNNING:ExecutionSucceeded SUCCEEDED:"
	mu.Lock()
	defer mu.Unlock()
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("events:\n%s\nwant:\n%s", s, want)
	}
}
