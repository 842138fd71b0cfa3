package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// pipelineStub answers like the pipeline's functions do, with payloads of
// the real shape, so the real definition runs end to end.
type pipelineStub struct{}

func (pipelineStub) Invoke(_ context.Context, fn string, payload []byte) (*LambdaResponse, error) {
	var out string
	switch {
	case strings.HasSuffix(fn, "Validate"):
		var in struct {
			Object struct{ Bucket, Key string } `json:"object"`
		}
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		var plans []string
		for i, side := range []int{2048, 1024, 512, 256} {
			plans = append(plans, fmt.Sprintf(`{"preset":"p%d","longSide":%d,"format":"jpeg","quality":80,"width":%d,"height":%d,"bucket":"out","key":"v/%s/p%d.jpg"}`,
				i, side, side, side*3/4, in.Object.Key, i))
		}
		out = fmt.Sprintf(`{"source":{"bucket":%q,"key":%q,"format":"jpeg","width":4032,"height":3024},"variants":[%s],"presetsDigest":"d1","durationMs":3}`,
			in.Object.Bucket, in.Object.Key, strings.Join(plans, ","))
	case strings.HasSuffix(fn, "Resize"):
		var in struct {
			Variant map[string]any `json:"variant"`
		}
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		out = fmt.Sprintf(`{"preset":%q,"key":%q,"width":%v,"height":%v,"bytes":1000,"format":"jpeg"}`,
			in.Variant["preset"], in.Variant["key"], in.Variant["width"], in.Variant["height"])
	case strings.HasSuffix(fn, "Store"):
		out = `{"bucket":"out","manifestKey":"v/manifest.json"}`
	case strings.HasSuffix(fn, "Notify"):
		out = `{"messageId":"m"}`
	default:
		return nil, fmt.Errorf("no stub for %s", fn)
	}
	return &LambdaResponse{Payload: []byte(out), ExecutedVersion: "$LATEST"}, nil
}

// TestPipelineDefinitionUnderLoad runs statemachine/pipeline.asl.json 1,000
// times at once with stub handlers, twice over: every execution must
// succeed, and the second round must not retain more memory than the first
// (no growth per execution once finished executions are forgotten).
func TestPipelineDefinitionUnderLoad(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "statemachine", "pipeline.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	def := regexp.MustCompile(`\$\{(\w+)Function\w*\}`).ReplaceAll(raw, []byte("arn:aws:lambda:us-east-1:123456789012:function:$1"))
	cfg := NewDefaultConfig()
	cfg.Clock = NewFakeClock(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	cfg.Lambda = pipelineStub{}
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	round := func(r int) (retained uint64, wall time.Duration) {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				input := map[string]any{"bucket": "in", "key": fmt.Sprintf("uploads/r%d-%04d.jpg", r, i), "size": json.Number("1000")}
				x, err := eng.StartParsed(context.Background(), d, input, StartOptions{Name: fmt.Sprintf("r%d-%04d", r, i), StateMachineName: "pipeline"})
				if err != nil {
					errs <- err.Error()
					return
				}
				res, err := x.Wait(context.Background())
				if err != nil || res.Status != StatusSucceeded {
					errs <- fmt.Sprintf("%s: %s %s %s %v", x.ARN(), res.Status, res.Error, res.Cause, err)
				}
				eng.Forget(x.ARN())
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatalf("round %d: %s", r, e)
		}
		wall = time.Since(start)
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse, wall
	}
	first, w1 := round(1)
	second, w2 := round(2)
	t.Logf("1,000 concurrent pipeline executions: %v and %v; heap in use after each round %.1f MiB, %.1f MiB",
		w1.Round(time.Millisecond), w2.Round(time.Millisecond), float64(first)/(1<<20), float64(second)/(1<<20))
	if second > first+8<<20 {
		t.Errorf("heap grew from %d to %d bytes between identical rounds: executions are retained", first, second)
	}
}
