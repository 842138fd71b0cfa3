package sfnapi

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
)

// TestThousandConcurrentExecutions starts 1,000 executions through the
// SDK at once, holds them all RUNNING in a stub Lambda, releases them and
// checks that every one is stored complete. It logs wall times, heap
// growth and how many events each store commit carried.
func TestThousandConcurrentExecutions(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 1000
	h := newHarness(t, "")
	sm := h.createSM("load", `{"StartAt":"Init","States":{"Init":{"Type":"Pass","Result":1,"ResultPath":"$.value","Next":"Hold"},
	  "Hold":{"Type":"Task","Resource":"`+lambdaARN+`block","Next":"Double"},
	  "Double":{"Type":"Task","Resource":"`+lambdaARN+`double","End":true}}}`, "")
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stats0 := h.svc.StoreStats()

	t0 := time.Now()
	arns := make([]string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.client.StartExecution(ctxT(t), &sfnsdk.StartExecutionInput{StateMachineArn: aws.String(sm),
				Name: aws.String(fmt.Sprintf("x%04d", i)), Input: aws.String(`{}`)})
			if err != nil {
				errs <- err
				return
			}
			arns[i] = *out.ExecutionArn
		}()
	}
	wg.Wait()
	startWall := time.Since(t0)
	close(errs)
	for err := range errs {
		t.Fatalf("StartExecution: %v", err)
	}
	var mid runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mid)

	t1 := time.Now()
	close(h.lambda.block)
	for _, arn := range arns {
		if err := h.svc.WaitExecution(ctxT(t), arn); err != nil {
			t.Fatal(err)
		}
	}
	runWall := time.Since(t1)
	stats := h.svc.StoreStats()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)

	out, err := h.client.ListExecutions(ctxT(t), &sfnsdk.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: "SUCCEEDED", MaxResults: 1000})
	if err != nil || len(out.Executions) != n {
		t.Fatalf("ListExecutions: %d, %v", len(out.Executions), err)
	}
	for _, arn := range []string{arns[0], arns[n/2], arns[n-1]} {
		if evs := fullHistory(t, h, arn); len(evs) != 14 {
			t.Fatalf("%s: %d events", arn, len(evs))
		}
	}
	commits, ops := stats.Commits-stats0.Commits, stats.Ops-stats0.Ops
	if commits*5 > ops {
		t.Errorf("writes are not batched: %d ops in %d commits", ops, commits)
	}
	t.Logf("%d executions: start all (SDK, HTTP) %v, run to completion %v; store: %d ops in %d commits (%.1f per commit, %v committing); "+
		"live heap +%.1f MiB with all running, +%.1f MiB retained after all ended; allocated %.0f MiB",
		n, startWall.Round(time.Millisecond), runWall.Round(time.Millisecond), ops, commits, float64(ops)/float64(commits), (stats.CommitTime - stats0.CommitTime).Round(time.Millisecond),
		float64(int64(mid.HeapInuse)-int64(before.HeapInuse))/(1<<20), float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20),
		float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
}
