package sfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/history")

// pipelineLambda stands in for the imgflow step handlers.
func pipelineLambda() *sfn.FakeLambda {
	return &sfn.FakeLambda{InvokeFunc: func(_ context.Context, fn string, p []byte) (*sfn.LambdaResponse, error) {
		var in map[string]any
		if err := json.Unmarshal(p, &in); err != nil {
			return nil, err
		}
		switch filepath.Base(fn) {
		case "validate":
			return &sfn.LambdaResponse{Payload: []byte(fmt.Sprintf(`{"key":%q,"width":4000,"height":3000}`, in["key"]))}, nil
		case "resize":
			if in["preset"] == "web" && in["key"] == "uploads/huge.jpg" {
				return sfn.LambdaErrorResponse("ImageTooLargeError", "12000000 px exceeds 10000000"), nil
			}
			return &sfn.LambdaResponse{Payload: []byte(fmt.Sprintf(`{"preset":%q,"key":"%v/%v"}`, in["preset"], in["preset"], in["key"]))}, nil
		case "arn:aws:lambda:us-east-1:111111111111:function:store", "store":
			return &sfn.LambdaResponse{Payload: []byte(`{"count":2}`)}, nil
		}
		return nil, &sfn.TaskError{Err: "Lambda.ResourceNotFoundException", Cause: "Function not found: " + fn}
	}}
}

// TestHistoryGolden runs each testdata/history/<case> and compares the
// outcome and full history with golden.json (-update rewrites it).
func TestHistoryGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "history", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			def, err := os.ReadFile(filepath.Join(dir, "definition.json"))
			if err != nil {
				t.Fatalf("read definition: %v", err)
			}
			input, err := os.ReadFile(filepath.Join(dir, "input.json"))
			if err != nil {
				t.Fatalf("read input: %v", err)
			}
			var n atomic.Int64
			cfg := sfn.NewDefaultConfig()
			cfg.Clock = sfn.NewFakeClock(t0)
			cfg.Region, cfg.AccountID = "us-east-1", "111111111111"
			cfg.Sequential = true
			cfg.RandSeed = 1
			cfg.NewUUID = func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
			cfg.Lambda = pipelineLambda()
			cfg.SNS = &sfn.FakeSNS{PublishFunc: func(context.Context, map[string]any) (string, error) { return "msg-1", nil }}
			eng, err := sfn.New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ex, err := eng.Start(context.Background(), def, input, sfn.StartOptions{Name: "golden", StateMachineName: "imgflow"})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := ex.Wait(ctx)
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			got, err := json.MarshalIndent(map[string]any{"result": res, "events": ex.History()}, "", "  ")
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			golden := filepath.Join(dir, "golden.json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatalf("write golden: %v", err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("unmarshal got: %v", err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatalf("unmarshal golden: %v", err)
			}
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			if !bytes.Equal(gb, wb) {
				t.Fatalf("history differs from %s (run with -update to accept):\n%s", golden, got)
			}
		})
	}
}
