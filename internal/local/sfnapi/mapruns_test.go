package sfnapi

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
)

func TestDistributedMapRunAPIs(t *testing.T) {
	h := newHarness(t, "")
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Each","ItemsPath":"$.xs","ToleratedFailureCount":1,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"F"}],"Default":"S"},
			"F":{"Type":"Fail","Error":"Two","Cause":"two"},"S":{"Type":"Succeed"}}},"End":true}}}`
	smARN := h.createSM("dist", def, "")
	d := h.run(smARN, "e1", `{"xs":[1,2,3]}`)
	if d.Status != "SUCCEEDED" {
		t.Fatalf("status %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	ctx := ctxT(t)
	runs, err := h.client.ListMapRuns(ctx, &sfnsdk.ListMapRunsInput{ExecutionArn: d.ExecutionArn})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("ListMapRuns: %v %+v", err, runs)
	}
	runARN := aws.ToString(runs.MapRuns[0].MapRunArn)
	if !strings.HasPrefix(runARN, "arn:aws:states:us-east-1:123456789012:mapRun:dist/Each:") {
		t.Fatalf("map run ARN %s", runARN)
	}
	mr, err := h.client.DescribeMapRun(ctx, &sfnsdk.DescribeMapRunInput{MapRunArn: aws.String(runARN)})
	if err != nil {
		t.Fatalf("DescribeMapRun: %v", err)
	}
	if mr.Status != "SUCCEEDED" || mr.ItemCounts.Total != 3 || mr.ItemCounts.Succeeded != 2 || mr.ItemCounts.Failed != 1 ||
		mr.ExecutionCounts.Total != 3 || mr.ToleratedFailureCount != 1 || aws.ToString(mr.ExecutionArn) != aws.ToString(d.ExecutionArn) {
		t.Fatalf("DescribeMapRun %+v %+v %+v", mr, *mr.ItemCounts, *mr.ExecutionCounts)
	}
	list, err := h.client.ListExecutions(ctx, &sfnsdk.ListExecutionsInput{MapRunArn: aws.String(runARN)})
	if err != nil || len(list.Executions) != 3 {
		t.Fatalf("ListExecutions by map run: %v %+v", err, list)
	}
	failed := 0
	for _, x := range list.Executions {
		c := h.wait(aws.ToString(x.ExecutionArn))
		if aws.ToString(c.MapRunArn) != runARN || !strings.Contains(aws.ToString(c.ExecutionArn), ":execution:dist/Each:") {
			t.Fatalf("child %s: map run %s", aws.ToString(c.ExecutionArn), aws.ToString(c.MapRunArn))
		}
		if c.Status == "FAILED" {
			failed++
		}
		hist := fullHistory(t, h, aws.ToString(c.ExecutionArn))
		if len(hist) < 3 || hist[0].Type != "ExecutionStarted" {
			t.Fatalf("child history %s", historyShape(hist))
		}
	}
	if failed != 1 {
		t.Fatalf("%d failed children, want 1", failed)
	}
	if _, err := h.client.UpdateMapRun(ctx, &sfnsdk.UpdateMapRunInput{MapRunArn: aws.String(runARN), MaxConcurrency: aws.Int32(5)}); apiCode(err) != codeValidation {
		t.Fatalf("UpdateMapRun of an ended run: %v, want %s", err, codeValidation)
	}
	if _, err := h.client.DescribeMapRun(ctx, &sfnsdk.DescribeMapRunInput{MapRunArn: aws.String(runARN + "x")}); apiCode(err) != codeResourceNotFound {
		t.Fatalf("DescribeMapRun of an unknown run: %v", err)
	}
}

// TestDistributedMapAcrossRestart closes the service while a Distributed
// Map's children are blocked in a Lambda. On the next start the parent
// resumes with its Map Run ARN and runs the items again as new children;
// the children the stop left running are closed Local.StackStopped.
func TestDistributedMapAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":2,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:block","End":true}}},"End":true}}}`
	sm := h.createSM("dmap", def, "")
	started := make(chan string, 8)
	unsub := h.svc.Subscribe(func(ev ExecutionEvent) {
		if strings.Contains(ev.ExecutionARN, ":execution:dmap/M:") && ev.EventType == "LambdaFunctionStarted" {
			started <- ev.ExecutionARN
		}
	})
	parent := h.start(sm, "p1", `{"xs":[1,2,3]}`)
	first := map[string]bool{<-started: true, <-started: true}
	unsub()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no drain time
	h.srv.Close()
	h.srv = nil
	if err := h.svc.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	close(h.lambda.block)

	h2 := newHarness(t, dir)
	close(h2.lambda.block)
	d := h2.wait(parent)
	if d.Status != "SUCCEEDED" {
		t.Fatalf("resumed parent: %s %s", d.Status, aws.ToString(d.Cause))
	}
	runs, err := h2.client.ListMapRuns(ctxT(t), &sfnsdk.ListMapRunsInput{ExecutionArn: aws.String(parent)})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("ListMapRuns after restart: %v %+v", err, runs)
	}
	runARN := aws.ToString(runs.MapRuns[0].MapRunArn)
	mr, err := h2.client.DescribeMapRun(ctxT(t), &sfnsdk.DescribeMapRunInput{MapRunArn: aws.String(runARN)})
	if err != nil || mr.Status != "SUCCEEDED" || mr.ItemCounts.Succeeded != 3 {
		t.Fatalf("DescribeMapRun after restart: %v %+v", err, mr)
	}
	for arn := range first {
		c := h2.wait(arn)
		if c.Status != "FAILED" || aws.ToString(c.Error) != ErrNameStackStopped || aws.ToString(c.MapRunArn) != runARN {
			t.Fatalf("first run's child %s: %s %s (map run %s)", arn, c.Status, aws.ToString(c.Error), aws.ToString(c.MapRunArn))
		}
	}
	list, err := h2.client.ListExecutions(ctxT(t), &sfnsdk.ListExecutionsInput{MapRunArn: aws.String(runARN), StatusFilter: "SUCCEEDED"})
	if err != nil || len(list.Executions) != 3 {
		t.Fatalf("succeeded children: %v %+v", err, list)
	}
}
