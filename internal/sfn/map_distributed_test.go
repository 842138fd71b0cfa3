package sfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

// fakeS3 is an s3:listObjectsV2-style ItemReader (n generated items, read
// in pages) and an s3:putObject ObjectPutter keeping objects in memory.
type fakeS3 struct {
	n       int
	mu      sync.Mutex
	objects map[string][]byte
	failPut bool
}

var (
	_ sfn.ItemReaderIntegration = (*fakeS3)(nil)
	_ sfn.ObjectPutter          = (*fakeS3)(nil)
)

func (s *fakeS3) Invoke(context.Context, sfn.TaskRequest) (json.RawMessage, error) {
	return nil, &sfn.TaskError{Err: "S3.Unsupported", Cause: "use ReadItems"}
}

func (s *fakeS3) ReadItems(_ context.Context, req sfn.TaskRequest) (sfn.ItemIterator, error) {
	if !strings.Contains(string(req.Parameters), `"Bucket":"in"`) {
		return nil, &sfn.TaskError{Err: "S3.NoSuchBucket", Cause: "no such bucket"}
	}
	return &countIter{n: s.n}, nil
}

func (s *fakeS3) PutObject(_ context.Context, bucket, key string, body io.Reader) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if s.failPut {
		return &sfn.TaskError{Err: "S3.AccessDenied", Cause: "denied"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objects == nil {
		s.objects = map[string][]byte{}
	}
	s.objects[bucket+"/"+key] = b
	return nil
}

func (s *fakeS3) object(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.objects[key]
}

// countIter yields {"Key":"k<i>","Size":i} for i < n.
type countIter struct{ i, n int }

func (c *countIter) Next(context.Context) (json.RawMessage, bool, error) {
	if c.i >= c.n {
		return nil, false, nil
	}
	c.i++
	return json.RawMessage(fmt.Sprintf(`{"Key":"k%d","Size":%d}`, c.i-1, c.i-1)), true, nil
}

func (c *countIter) Close() error { return nil }

// distEngine builds an engine with s3 registered for the reader and the
// writer, and collects the child executions it starts.
func distEngine(t *testing.T, s3 *fakeS3, tweak func(*sfn.Config)) (*sfn.Engine, func() []*sfn.Execution) {
	t.Helper()
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = sfn.NewFakeClock(t0)
	cfg.Integrations = map[string]sfn.Integration{
		"arn:aws:states:::s3:listObjectsV2": s3, "arn:aws:states:::s3:putObject": s3,
	}
	var mu sync.Mutex
	var children []*sfn.Execution
	cfg.OnChildExecution = func(x *sfn.Execution) {
		mu.Lock()
		children = append(children, x)
		mu.Unlock()
	}
	if tweak != nil {
		tweak(cfg)
	}
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return eng, func() []*sfn.Execution {
		mu.Lock()
		defer mu.Unlock()
		return append([]*sfn.Execution(nil), children...)
	}
}

func startWait(t *testing.T, eng *sfn.Engine, def, input string) (sfn.Result, *sfn.Execution) {
	t.Helper()
	ex, err := eng.Start(context.Background(), []byte(def), []byte(input), sfn.StartOptions{Name: "e1", StateMachineName: "sm"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := ex.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return res, ex
}

const passProcessor = `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// failOdd fails the items whose value is odd.
const failOddProcessor = `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.odd","BooleanEquals":true,"Next":"F"}],"Default":"S"},"F":{"Type":"Fail","Error":"Odd","Cause":"odd item"},"S":{"Type":"Succeed"}}}`

func TestDistributedMapRunsChildExecutions(t *testing.T) {
	eng, children := distEngine(t, &fakeS3{}, nil)
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","ItemsPath":"$.xs",` + passProcessor + `,"End":true}}}`
	res, ex := startWait(t, eng, def, `{"xs":[1,2,3]}`)
	if res.Status != sfn.StatusSucceeded {
		t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
	}
	jsonEq(t, res.Output, `[1,2,3]`)
	if got, want := types(ex.History()), "ExecutionStarted,MapStateEntered,MapStateStarted,MapRunStarted,MapRunSucceeded,MapStateSucceeded,MapStateExited,ExecutionSucceeded"; got != want {
		t.Fatalf("parent history %s, want %s", got, want)
	}
	runARN, _ := ex.History()[3].Details["mapRunArn"].(string)
	if !strings.HasPrefix(runARN, "arn:aws:states:us-east-1:123456789012:mapRun:sm/L:") {
		t.Fatalf("map run ARN %q", runARN)
	}
	cs := children()
	if len(cs) != 3 {
		t.Fatalf("%d children, want 3", len(cs))
	}
	for _, c := range cs {
		if !strings.HasPrefix(c.ARN(), "arn:aws:states:us-east-1:123456789012:execution:sm/L:") || c.MapRunARN() != runARN || c.ParentARN() != ex.ARN() {
			t.Fatalf("child %s (map run %s, parent %s)", c.ARN(), c.MapRunARN(), c.ParentARN())
		}
		if got := types(c.History()); got != "ExecutionStarted,PassStateEntered,PassStateExited,ExecutionSucceeded" {
			t.Fatalf("child history %s", got)
		}
	}
	r, ok := eng.MapRun(runARN)
	if !ok {
		t.Fatalf("map run %s not found", runARN)
	}
	info := r.Info()
	want := sfn.MapRunCounts{Succeeded: 3, Total: 3}
	if info.Status != sfn.MapRunSucceeded || info.ItemCounts != want || info.ExecutionCounts != want {
		t.Fatalf("map run %+v", info)
	}
}

func TestDistributedMapTolerance(t *testing.T) {
	items := `{"xs":[{"odd":false},{"odd":true},{"odd":false},{"odd":true}]}`
	tests := []struct {
		name, fields, status, errName string
		failed                        int64
	}{
		{"no tolerance", ``, "FAILED", sfn.ErrExceedToleratedFailureThreshold, 1},
		{"count tolerates", `"ToleratedFailureCount":2,`, "SUCCEEDED", "", 2},
		{"count exceeded", `"ToleratedFailureCount":1,`, "FAILED", sfn.ErrExceedToleratedFailureThreshold, 2},
		{"percentage tolerates", `"ToleratedFailurePercentage":50,`, "SUCCEEDED", "", 2},
		{"percentage exceeded", `"ToleratedFailurePercentage":25,`, "FAILED", sfn.ErrExceedToleratedFailureThreshold, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eng, _ := distEngine(t, &fakeS3{}, func(c *sfn.Config) { c.MaxDistributedConcurrency = 1 })
			def := `{"StartAt":"M","States":{"M":{"Type":"Map",` + tc.fields + `"ItemsPath":"$.xs",` + failOddProcessor + `,"End":true}}}`
			res, ex := startWait(t, eng, def, items)
			if string(res.Status) != tc.status || res.Error != tc.errName {
				t.Fatalf("status %s %s %s, want %s %s", res.Status, res.Error, res.Cause, tc.status, tc.errName)
			}
			h := ex.History()
			runARN, _ := h[3].Details["mapRunArn"].(string)
			r, _ := eng.MapRun(runARN)
			if got := r.Info().ItemCounts.Failed; got != tc.failed {
				t.Fatalf("failed items %d, want %d", got, tc.failed)
			}
			if tc.status == "FAILED" {
				ev := h[4]
				if ev.Type != "MapRunFailed" || ev.Details["error"] != sfn.ErrExceedToleratedFailureThreshold {
					t.Fatalf("event %s %v, want MapRunFailed", ev.Type, ev.Details)
				}
			}
		})
	}
}

func TestDistributedMapReaderBatcherWriter(t *testing.T) {
	s3 := &fakeS3{n: 2500}
	eng, children := distEngine(t, s3, func(c *sfn.Config) { c.ResultFileMaxBytes = 8 << 10 })
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":7,
		"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"in","Prefix":"p/"}},
		"ItemBatcher":{"MaxItemsPerBatch":100,"BatchInput":{"run":"r1"}},
		"ItemSelector":{"k.$":"$$.Map.Item.Value.Key","i.$":"$$.Map.Item.Index"},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"results"}},
		` + passProcessor + `,"End":true}}}`
	res, _ := startWait(t, eng, def, `{}`)
	if res.Status != sfn.StatusSucceeded {
		t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
	}
	var out struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		t.Fatalf("output %s: %v", res.Output, err)
	}
	id := out.MapRunArn[strings.LastIndex(out.MapRunArn, ":")+1:]
	if out.ResultWriterDetails.Bucket != "out" || out.ResultWriterDetails.Key != "results/"+id+"/manifest.json" {
		t.Fatalf("output %s", res.Output)
	}
	var manifest struct {
		DestinationBucket, MapRunArn string
		ResultFiles                  map[string][]struct {
			Key  string
			Size int64
		}
	}
	if err := json.Unmarshal(s3.object("out/results/"+id+"/manifest.json"), &manifest); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	files := manifest.ResultFiles["SUCCEEDED"]
	if manifest.MapRunArn != out.MapRunArn || len(files) < 2 || len(manifest.ResultFiles["FAILED"]) != 0 {
		t.Fatalf("manifest %+v: want the 25 batches split over several SUCCEEDED files", manifest)
	}
	items := 0
	for i, f := range files {
		if f.Key != fmt.Sprintf("results/%s/SUCCEEDED_%d.json", id, i) {
			t.Fatalf("file %d is %s", i, f.Key)
		}
		body := s3.object("out/" + f.Key)
		var recs []struct{ ExecutionArn, Input, Output, Status, StartDate, StopDate string }
		if err := json.Unmarshal(body, &recs); err != nil || int64(len(body)) != f.Size {
			t.Fatalf("%s (%d bytes, manifest %d): %v", f.Key, len(body), f.Size, err)
		}
		for _, r := range recs {
			var batch struct {
				Items []struct {
					K string
					I int
				}
				BatchInput struct{ Run string }
			}
			if err := json.Unmarshal([]byte(r.Output), &batch); err != nil || r.Status != "SUCCEEDED" || batch.BatchInput.Run != "r1" || r.StartDate == "" {
				t.Fatalf("record %+v: %v", r, err)
			}
			// The ItemSelector is applied to each item before batching.
			if it := batch.Items[0]; it.K != fmt.Sprintf("k%d", it.I) {
				t.Fatalf("selected item %+v", it)
			}
			items += len(batch.Items)
		}
	}
	if items != 2500 || len(children()) != 25 {
		t.Fatalf("%d items in %d children, want 2500 in 25", items, len(children()))
	}
	r, _ := eng.MapRun(out.MapRunArn)
	info := r.Info()
	if info.ItemCounts.Total != 2500 || info.ItemCounts.ResultsWritten != 2500 || info.ExecutionCounts.Succeeded != 25 || info.MaxConcurrency != 7 {
		t.Fatalf("map run %+v", info)
	}
}

func TestDistributedMapWriterAndReaderFailures(t *testing.T) {
	tests := []struct {
		name, bucket string
		failPut      bool
		errName      string
	}{
		{"reader", "nope", false, sfn.ErrItemReaderFailed},
		{"writer", "in", true, sfn.ErrResultWriterFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eng, _ := distEngine(t, &fakeS3{n: 10, failPut: tc.failPut}, nil)
			def := `{"StartAt":"M","States":{"M":{"Type":"Map",
				"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"` + tc.bucket + `"}},
				"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out"}},
				` + passProcessor + `,"End":true}}}`
			res, _ := startWait(t, eng, def, `{}`)
			if res.Error != tc.errName {
				t.Fatalf("status %s %s %s, want %s", res.Status, res.Error, res.Cause, tc.errName)
			}
		})
	}
}

func TestUpdateMapRunConcurrency(t *testing.T) {
	// Each child blocks in its Lambda until released; the test counts how
	// many run at once before and after UpdateMapRun.
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	lambda := &sfn.FakeLambda{InvokeFunc: func(ctx context.Context, _ string, p []byte) (*sfn.LambdaResponse, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &sfn.LambdaResponse{Payload: p}, nil
	}}
	eng, _ := distEngine(t, &fakeS3{}, func(c *sfn.Config) { c.Lambda = lambda; c.Clock = sfn.RealClock{} })
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"ItemsPath":"$.xs","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}},"End":true}}}`
	ex, err := eng.Start(context.Background(), []byte(def), []byte(`{"xs":[1,2,3,4]}`), sfn.StartOptions{Name: "e1", StateMachineName: "sm"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-entered
	var run *sfn.MapRun
	for _, r := range eng.MapRuns() {
		run = r
	}
	if got := run.Info().ExecutionCounts; got.Running != 1 || got.Pending != 3 {
		t.Fatalf("counts before update %+v, want 1 running 3 pending", got)
	}
	three := int64(3)
	if err := run.Update(sfn.MapRunUpdate{MaxConcurrency: &three}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	<-entered
	<-entered
	if got := run.Info().ExecutionCounts; got.Running != 3 || got.Pending != 1 {
		t.Fatalf("counts after update %+v, want 3 running 1 pending", got)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := ex.Wait(ctx)
	if err != nil || res.Status != sfn.StatusSucceeded {
		t.Fatalf("Wait: %v %+v", err, res)
	}
	if err := run.Update(sfn.MapRunUpdate{MaxConcurrency: &three}); err == nil {
		t.Fatalf("Update of a finished Map Run succeeded")
	}
}

// TestStopAbortsChildren: stopping the parent aborts its running children
// and the Map Run.
func TestStopAbortsChildren(t *testing.T) {
	entered := make(chan struct{}, 4)
	lambda := &sfn.FakeLambda{InvokeFunc: func(ctx context.Context, _ string, p []byte) (*sfn.LambdaResponse, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	eng, children := distEngine(t, &fakeS3{}, func(c *sfn.Config) { c.Lambda = lambda; c.Clock = sfn.RealClock{} })
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}},"End":true}}}`
	ex, err := eng.Start(context.Background(), []byte(def), []byte(`{"xs":[1,2]}`), sfn.StartOptions{Name: "e1", StateMachineName: "sm"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-entered
	<-entered
	ex.Stop("Stopped", "by the test")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := ex.Wait(ctx)
	if err != nil || res.Status != sfn.StatusAborted {
		t.Fatalf("parent: %v %+v", err, res)
	}
	for _, c := range children() {
		if r := c.Result(); r.Status != sfn.StatusAborted {
			t.Fatalf("child %s: %+v", c.ARN(), r)
		}
	}
	for _, r := range eng.MapRuns() {
		if info := r.Info(); info.Status != sfn.MapRunAborted || info.ExecutionCounts.Aborted != 2 {
			t.Fatalf("map run %+v", info)
		}
	}
}
