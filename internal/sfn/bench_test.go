package sfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

func chainDef(n int, state func(i int) map[string]any) []byte {
	states := map[string]any{}
	for i := range n {
		s := state(i)
		if i == n-1 {
			s["End"] = true
		} else {
			s["Next"] = fmt.Sprintf("S%d", i+1)
		}
		states[fmt.Sprintf("S%d", i)] = s
	}
	b, _ := json.Marshal(map[string]any{"StartAt": "S0", "States": states})
	return b
}

func benchRun(b *testing.B, eng *sfn.Engine, d *sfn.Definition, input any) {
	b.Helper()
	ex, err := eng.StartParsed(context.Background(), d, input, sfn.StartOptions{})
	if err != nil {
		b.Fatalf("start: %v", err)
	}
	res, err := ex.Wait(context.Background())
	if err != nil || res.Status != sfn.StatusSucceeded {
		b.Fatalf("run: %v %+v", err, res)
	}
	eng.Forget(ex.ARN())
}

func benchEngine(b *testing.B, tweak func(*sfn.Config)) *sfn.Engine {
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = sfn.NewFakeClock(time.Unix(0, 0))
	if tweak != nil {
		tweak(cfg)
	}
	eng, err := sfn.New(cfg)
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	return eng
}

// BenchmarkPassChain1000 runs a chain of 1,000 Pass states (target < 50 ms).
func BenchmarkPassChain1000(b *testing.B) {
	d, err := sfn.ParseDefinition(chainDef(1000, func(i int) map[string]any {
		return map[string]any{"Type": "Pass", "Parameters": map[string]any{"i": i, "v.$": "$.v"}, "ResultPath": "$.r"}
	}))
	if err != nil {
		b.Fatal(err)
	}
	eng := benchEngine(b, nil)
	in := map[string]any{"v": "x"}
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		benchRun(b, eng, d, in)
	}
	reportCPU(b, cpu, 1)
}

// reportCPU adds process CPU time per op (divided by per) as a metric.
func reportCPU(b *testing.B, start time.Duration, per int) {
	if d := processCPU() - start; d > 0 {
		b.ReportMetric(float64(d.Microseconds())/float64(b.N*per), "cpu-µs/unit")
	}
}

// BenchmarkMap10000 maps 10,000 items through a Pass state (target < 1 s).
// The history limit is lifted: 10,000 iterations record 40,000 events.
func BenchmarkMap10000(b *testing.B) {
	d, err := sfn.ParseDefinition([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}},"End":true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	eng := benchEngine(b, func(c *sfn.Config) { c.MaxHistoryEvents = 0; c.MaxPayloadBytes = 0 })
	items := make([]any, 10000)
	for i := range items {
		items[i] = json.Number(fmt.Sprint(i))
	}
	in := map[string]any{"items": items}
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		benchRun(b, eng, d, in)
	}
	reportCPU(b, cpu, 1)
}

// BenchmarkLambdaTask measures the engine's per-task overhead with a
// stub invoker (target < 50 µs per task).
func BenchmarkLambdaTask(b *testing.B) {
	const n = 100
	d, err := sfn.ParseDefinition(chainDef(n, func(int) map[string]any {
		return map[string]any{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
			"Parameters": map[string]any{"FunctionName": "f", "Payload.$": "$"}, "OutputPath": "$.Payload"}
	}))
	if err != nil {
		b.Fatal(err)
	}
	stub := &sfn.FakeLambda{InvokeFunc: func(_ context.Context, _ string, p []byte) (*sfn.LambdaResponse, error) {
		return &sfn.LambdaResponse{Payload: p}, nil
	}}
	eng := benchEngine(b, func(c *sfn.Config) { c.Lambda = stub })
	in := map[string]any{"key": "images/cat.jpg", "size": json.Number("1024")}
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		benchRun(b, eng, d, in)
	}
	reportCPU(b, cpu, n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/task")
}
