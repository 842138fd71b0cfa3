package reprocess

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

// succeeded is a SUCCEEDED record as the ResultWriter writes it: Input and
// Output are JSON in strings.
func succeeded(t *testing.T, b pipeline.ReprocessBatch) map[string]any {
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"ExecutionArn": "arn:aws:states:us-east-1:1:execution:r/Reprocess:1", "Status": "SUCCEEDED",
		"Input": `{"Items":[],"BatchInput":{}}`, "Output": string(out), "OutputDetails": map[string]any{"Included": true}}
}

func put(t *testing.T, mem *s3iotest.Memory, key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	mem.Add("out", key, b, "application/json")
}

func TestRead(t *testing.T) {
	const dir = "reprocess-results/1f2e"
	manifest := map[string]any{"DestinationBucket": "out", "MapRunArn": "arn:aws:states:us-east-1:1:mapRun:r/Reprocess:1f2e",
		"ResultFiles": map[string]any{
			"SUCCEEDED": []any{map[string]any{"Key": dir + "/SUCCEEDED_0.json", "Size": 1}, map[string]any{"Key": dir + "/SUCCEEDED_1.json", "Size": 1}},
			"FAILED":    []any{map[string]any{"Key": dir + "/FAILED_0.json", "Size": 1}},
			"PENDING":   []any{}}}
	bad := pipeline.ReprocessItem{Key: "uploads/bad.jpg", Status: pipeline.ItemFailed, Error: "ImageRejectedError", Cause: "UnsupportedFormat: ..."}
	cases := []struct {
		name        string
		files       map[string]any // key -> JSON value; a string is stored as is
		maxFailures int
		want        pipeline.ReprocessCounts
		wantKeys    []string
		wantErr     bool
	}{
		{"counts and failures", map[string]any{
			dir + "/manifest.json": manifest,
			dir + "/SUCCEEDED_0.json": []any{succeeded(t, pipeline.ReprocessBatch{Processed: 8, Skipped: 1, Failed: 1, Failures: []pipeline.ReprocessItem{bad}}),
				succeeded(t, pipeline.ReprocessBatch{Processed: 10})},
			dir + "/SUCCEEDED_1.json": []any{succeeded(t, pipeline.ReprocessBatch{Skipped: 3})},
			dir + "/FAILED_0.json": []any{map[string]any{"ExecutionArn": "x", "Status": "FAILED", "Error": "States.Timeout", "Cause": "",
				"Input": `{"Items":[{"bucket":"in","key":"uploads/slow1.jpg"},{"bucket":"in","key":"uploads/slow2.jpg"}],"BatchInput":{"force":false}}`}},
		}, 10, pipeline.ReprocessCounts{Processed: 18, Skipped: 4, Failed: 3, FailedBatches: 1},
			[]string{"uploads/bad.jpg", "uploads/slow1.jpg", "uploads/slow2.jpg"}, false},
		{"failures capped", map[string]any{
			dir + "/manifest.json":    manifest,
			dir + "/SUCCEEDED_0.json": []any{succeeded(t, pipeline.ReprocessBatch{Failed: 1, Failures: []pipeline.ReprocessItem{bad}})},
			dir + "/SUCCEEDED_1.json": []any{},
			dir + "/FAILED_0.json": []any{map[string]any{"ExecutionArn": "x", "Status": "FAILED", "Error": "States.Timeout",
				"Input": `{"Items":[{"key":"uploads/a"},{"key":"uploads/b"}]}`}},
		}, 2, pipeline.ReprocessCounts{Failed: 3, FailedBatches: 1}, []string{"uploads/bad.jpg", "uploads/a"}, false},
		{"missing file", map[string]any{dir + "/manifest.json": manifest}, 10, pipeline.ReprocessCounts{}, nil, true},
		{"not an array", map[string]any{dir + "/manifest.json": manifest, dir + "/SUCCEEDED_0.json": map[string]any{}}, 10, pipeline.ReprocessCounts{}, nil, true},
		{"output not a batch", map[string]any{dir + "/manifest.json": manifest,
			dir + "/SUCCEEDED_0.json": []any{map[string]any{"Status": "SUCCEEDED", "Output": "[1]"}}}, 10, pipeline.ReprocessCounts{}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem, fake := s3iotest.NewMemory()
			for k, v := range tc.files {
				put(t, mem, k, v)
			}
			s, err := Read(context.Background(), fake, "out", dir+"/manifest.json", tc.maxFailures)
			var re *ResultsError
			if tc.wantErr {
				if !errors.As(err, &re) {
					t.Fatalf("err = %v, want a ResultsError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.ReprocessCounts != tc.want || s.Total() != tc.want.Total() {
				t.Errorf("counts %+v, want %+v", s.ReprocessCounts, tc.want)
			}
			var keys []string
			for _, f := range s.Failures {
				keys = append(keys, f.Key)
			}
			if len(keys) != len(tc.wantKeys) {
				t.Fatalf("failures %q, want %q", keys, tc.wantKeys)
			}
			for i := range keys {
				if keys[i] != tc.wantKeys[i] {
					t.Errorf("failures %q, want %q", keys, tc.wantKeys)
				}
			}
			if len(s.Files) != 3 {
				t.Errorf("files %q", s.Files)
			}
		})
	}
}
