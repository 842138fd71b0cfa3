package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

// fakeReprocessAPI is a func-field reprocessAPI.
type fakeReprocessAPI struct {
	StartExecutionFunc    func(in *sfn.StartExecutionInput) (*sfn.StartExecutionOutput, error)
	DescribeExecutionFunc func(in *sfn.DescribeExecutionInput) (*sfn.DescribeExecutionOutput, error)
	ListMapRunsFunc       func(in *sfn.ListMapRunsInput) (*sfn.ListMapRunsOutput, error)
	DescribeMapRunFunc    func(in *sfn.DescribeMapRunInput) (*sfn.DescribeMapRunOutput, error)
}

var _ reprocessAPI = (*fakeReprocessAPI)(nil)

func (f *fakeReprocessAPI) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	return f.StartExecutionFunc(in)
}

func (f *fakeReprocessAPI) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return f.DescribeExecutionFunc(in)
}

func (f *fakeReprocessAPI) ListMapRuns(_ context.Context, in *sfn.ListMapRunsInput, _ ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error) {
	return f.ListMapRunsFunc(in)
}

func (f *fakeReprocessAPI) DescribeMapRun(_ context.Context, in *sfn.DescribeMapRunInput, _ ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error) {
	return f.DescribeMapRunFunc(in)
}

// TestReprocessWatch: --wait polls once per tick, draws the Map Run's
// counts when they change, and reports the results (counts, failures,
// where they are), or the execution's error with an error return.
func TestReprocessWatch(t *testing.T) {
	const dir = "reprocess-results/run1"
	batch, _ := json.Marshal(pipeline.ReprocessBatch{Processed: 18, Skipped: 1, Failed: 1,
		Failures: []pipeline.ReprocessItem{{Key: "uploads/notes.txt", Status: "FAILED", Error: "ImageRejectedError", Cause: "NotAnImage"}}})
	output, _ := json.Marshal(map[string]any{"prefix": "uploads/", "reprocess": map[string]any{"MapRunArn": "arn:m",
		"ResultWriterDetails": map[string]any{"Bucket": "out", "Key": dir + "/manifest.json"}}})
	start := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	counts := []sfntypes.MapRunItemCounts{
		{Total: 20, Pending: 20},
		{Total: 20, Succeeded: 10, Running: 10},
		{Total: 20, Succeeded: 10, Running: 10}, // unchanged: not drawn again
		{Total: 20, Succeeded: 20},
	}
	cases := []struct {
		name       string
		final      sfntypes.ExecutionStatus
		mapRuns    bool
		wantErr    bool
		wantLines  []string
		wantAbsent []string
	}{
		{"succeeded", sfntypes.ExecutionStatusSucceeded, true, false,
			[]string{"[..............................]   0.0% 0/20 items", "[###############...............]  50.0% 10/20 items  succeeded 10",
				"[##############################] 100.0% 20/20 items", "SUCCEEDED after 8s: 20 objects, 18 processed, 1 skipped, 1 failed",
				"results: s3://out/" + dir + "/manifest.json", "  uploads/notes.txt: ImageRejectedError: NotAnImage"}, nil},
		{"failed", sfntypes.ExecutionStatusFailed, true, true,
			[]string{"FAILED after 8s: States.ExceedToleratedFailureThreshold", "too many batches failed"}, []string{"results:"}},
		{"no map runs on this endpoint", sfntypes.ExecutionStatusSucceeded, false, false,
			[]string{"SUCCEEDED after 8s: 20 objects"}, []string{"items"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem, s3api := s3iotest.NewMemory()
			for k, v := range map[string]any{
				dir + "/manifest.json":    map[string]any{"ResultFiles": map[string]any{"SUCCEEDED": []any{map[string]any{"Key": dir + "/SUCCEEDED_0.json"}}}},
				dir + "/SUCCEEDED_0.json": []any{map[string]any{"Status": "SUCCEEDED", "Output": string(batch)}},
			} {
				b, _ := json.Marshal(v)
				mem.Add("out", k, b, "application/json")
			}
			polls := 0
			api := &fakeReprocessAPI{
				DescribeExecutionFunc: func(in *sfn.DescribeExecutionInput) (*sfn.DescribeExecutionOutput, error) {
					polls++
					out := &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: sfntypes.ExecutionStatusRunning, StartDate: aws.Time(start)}
					if polls < len(counts) {
						return out, nil
					}
					out.Status, out.StopDate = tc.final, aws.Time(start.Add(8*time.Second))
					if tc.final == sfntypes.ExecutionStatusSucceeded {
						out.Output = aws.String(string(output))
					} else {
						out.Error, out.Cause = aws.String("States.ExceedToleratedFailureThreshold"), aws.String("too many batches failed")
					}
					return out, nil
				},
				ListMapRunsFunc: func(*sfn.ListMapRunsInput) (*sfn.ListMapRunsOutput, error) {
					if !tc.mapRuns {
						return nil, errors.New("UnknownOperationException")
					}
					return &sfn.ListMapRunsOutput{MapRuns: []sfntypes.MapRunListItem{{MapRunArn: aws.String("arn:m")}}}, nil
				},
				DescribeMapRunFunc: func(*sfn.DescribeMapRunInput) (*sfn.DescribeMapRunOutput, error) {
					c := counts[min(polls, len(counts))-1]
					return &sfn.DescribeMapRunOutput{ItemCounts: &c, Status: sfntypes.MapRunStatusRunning}, nil
				},
			}
			tick := make(chan time.Time, len(counts))
			for range len(counts) {
				tick <- start
			}
			var out bytes.Buffer
			w := &reprocessWatch{sfn: api, s3: s3api, out: &out, tick: tick}
			err := w.wait(context.Background(), "arn:aws:states:us-east-1:1:execution:imgflow-reprocess:r1")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v\n%s", err, tc.wantErr, out.String())
			}
			got := out.String()
			for _, l := range tc.wantLines {
				if !strings.Contains(got, l) {
					t.Errorf("output lacks %q:\n%s", l, got)
				}
			}
			for _, l := range tc.wantAbsent {
				if strings.Contains(got, l) {
					t.Errorf("output has %q:\n%s", l, got)
				}
			}
			if tc.mapRuns && strings.Count(got, "50.0%") != 1 {
				t.Errorf("an unchanged count was drawn twice:\n%s", got)
			}
			if polls != len(counts) {
				t.Errorf("%d polls, want one per tick and one at the start (%d)", polls, len(counts))
			}
		})
	}
}

// TestReprocessPrefixOutsideUploads: a prefix the state machine would
// refuse is a usage error before anything starts.
func TestReprocessPrefixOutsideUploads(t *testing.T) {
	dir := t.TempDir()
	sf := `{"endpoint":"http://127.0.0.1:1","region":"us-east-1","resources":{"outputs":{"ReprocessStateMachineArn":"arn:aws:states:us-east-1:0:stateMachine:imgflow-reprocess"}},"parameters":{"UploadPrefix":"uploads/"}}`
	if err := os.WriteFile(filepath.Join(dir, "stack.json"), []byte(sf), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"reprocess", "--data", dir, "--prefix", "elsewhere/"}, &stdout, &stderr, func(string) (string, bool) { return "", false })
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(stderr.String()+err.Error(), "not under the upload prefix") {
		t.Fatalf("err = %v, stderr %q", err, stderr.String())
	}
}
