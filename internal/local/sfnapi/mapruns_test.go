package sfnapi

import (
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
