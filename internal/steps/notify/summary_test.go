package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

// TestSummary: a reprocess gets one message with its counts and failures,
// read from the ResultWriter output, whether it succeeded or failed.
func TestSummary(t *testing.T) {
	const dir = "reprocess-results/run1"
	batch, _ := json.Marshal(pipeline.ReprocessBatch{Processed: 17, Skipped: 2, Failed: 1,
		Failures: []pipeline.ReprocessItem{{Key: "uploads/notes.txt", Status: pipeline.ItemFailed, Error: "ImageRejectedError",
			Cause: `{"errorType":"ImageRejectedError","errorMessage":"UnsupportedFormat: not an image"}`}}})
	files := map[string]any{
		dir + "/manifest.json": map[string]any{"DestinationBucket": "out", "MapRunArn": "arn:m",
			"ResultFiles": map[string]any{"SUCCEEDED": []any{map[string]any{"Key": dir + "/SUCCEEDED_0.json"}}, "FAILED": []any{}, "PENDING": []any{}}},
		dir + "/SUCCEEDED_0.json": []any{map[string]any{"Status": "SUCCEEDED", "Input": "{}", "Output": string(batch)}},
	}
	run := func(details *pipeline.ResultWriterDetails) *pipeline.ReprocessRun {
		return &pipeline.ReprocessRun{ExecutionARN: "arn:aws:states:us-east-1:1:execution:reprocess:r1", Prefix: "uploads/",
			ResultsBucket: "out", ResultsPrefix: "reprocess-results", MapRunARN: "arn:m", ResultWriterDetails: details}
	}
	cases := []struct {
		name       string
		req        pipeline.NotifyRequest
		wantCounts *pipeline.ReprocessCounts
		wantBody   []string
		wantSubj   string
		wantErr    bool
	}{
		{"succeeded", pipeline.NotifyRequest{Status: pipeline.StatusSucceeded, Reprocess: run(&pipeline.ResultWriterDetails{Bucket: "out", Key: dir + "/manifest.json"})},
			&pipeline.ReprocessCounts{Processed: 17, Skipped: 2, Failed: 1},
			[]string{"Objects:    20", "Processed:  17", "Skipped:    2", "Failed:     1", "uploads/notes.txt: unsupported image format (UnsupportedFormat: not an image)", "Results:    s3://out/" + dir + "/manifest.json", "Map Run:    arn:m"},
			"imgflow: reprocess uploads/ done (17 processed, 2 skipped, 1 failed)", false},
		{"map failed before results", pipeline.NotifyRequest{Status: pipeline.StatusFailed, Error: "States.ItemReaderFailed", Cause: "listing failed", Reprocess: run(nil)},
			nil, []string{"failed", "States.ItemReaderFailed", "listing failed", "Results:    under s3://out/reprocess-results/"},
			"imgflow: reprocess uploads/ FAILED: processing error (States.ItemReaderFailed)", false},
		{"unreadable results are reported, not fatal", pipeline.NotifyRequest{Status: pipeline.StatusSucceeded, Reprocess: run(&pipeline.ResultWriterDetails{Bucket: "out", Key: "missing/manifest.json"})},
			nil, []string{"could not be read", "missing/manifest.json"}, "imgflow: reprocess uploads/ done", false},
		{"results in another bucket", pipeline.NotifyRequest{Status: pipeline.StatusSucceeded, Reprocess: run(&pipeline.ResultWriterDetails{Bucket: "elsewhere", Key: dir + "/manifest.json"})},
			nil, nil, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem, s3fake := s3iotest.NewMemory()
			for k, v := range files {
				b, _ := json.Marshal(v)
				mem.Add("out", k, b, "application/json")
			}
			var published []*sns.PublishInput
			f := &fakeSNS{PublishFunc: func(_ context.Context, in *sns.PublishInput) (*sns.PublishOutput, error) {
				published = append(published, in)
				return &sns.PublishOutput{MessageId: aws.String("m1")}, nil
			}}
			h, err := New(&Config{TopicARN: "arn:aws:sns:us-east-1:1:t", OutputBucket: "out"}, f, s3fake, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			resp, err := h.Handle(context.Background(), tc.req)
			if tc.wantErr {
				var ce *pipelineerr.ConfigError
				if !errors.As(err, &ce) || len(published) != 0 {
					t.Fatalf("err = %v, %d published; want a ConfigError and nothing sent", err, len(published))
				}
				return
			}
			if err != nil || len(published) != 1 {
				t.Fatalf("err = %v, %d published", err, len(published))
			}
			body, subj := aws.ToString(published[0].Message), aws.ToString(published[0].Subject)
			for _, w := range tc.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			if subj != tc.wantSubj {
				t.Errorf("subject %q, want %q", subj, tc.wantSubj)
			}
			if (resp.Counts == nil) != (tc.wantCounts == nil) || (resp.Counts != nil && *resp.Counts != *tc.wantCounts) {
				t.Errorf("counts %+v, want %+v", resp.Counts, tc.wantCounts)
			}
			attrs := published[0].MessageAttributes
			if aws.ToString(attrs[AttrKind].StringValue) != KindReprocess || aws.ToString(attrs[AttrSourceKey].StringValue) != "uploads/" ||
				aws.ToString(attrs[AttrStatus].StringValue) != tc.req.Status {
				t.Errorf("attributes %v", attrs)
			}
		})
	}
}
