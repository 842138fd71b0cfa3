package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/imgflow/imgflow/internal/local/lambda"
)

// testBinary is testdata/fn built as a Lambda bootstrap, once per run.
var testBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtimeapi-fn-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBinary = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", testBinary, "./testdata/fn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testdata/fn: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testARN = "arn:aws:lambda:us-east-1:000000000000:function:fn"

func newPool(t *testing.T, mutate func(*Config)) (*Pool, *observer.ObservedLogs) {
	t.Helper()
	cfg := NewDefaultConfig()
	cfg.Name, cfg.ARN, cfg.Binary = "fn", testARN, testBinary
	cfg.Timeout = 5 * time.Second
	cfg.Concurrency = 4
	cfg.Environment = map[string]string{"CUSTOM": "from-template"}
	if mutate != nil {
		mutate(cfg)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	p, err := New(cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p, logs
}

type fnResponse struct {
	Said      string            `json:"said"`
	PID       int               `json:"pid"`
	RequestID string            `json:"requestId"`
	ARN       string            `json:"arn"`
	Deadline  int64             `json:"deadline"`
	Env       map[string]string `json:"env"`
}

func echo(t *testing.T, p *Pool) fnResponse {
	t.Helper()
	out, err := p.Invoke(context.Background(), []byte(`{"do":"echo","say":"hi"}`))
	if err != nil {
		t.Fatalf("echo: %v", err)
	}
	var r fnResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("echo: %v: %s", err, out)
	}
	return r
}

// TestOutcomesThroughTheLambdaService runs the pool as the lambda.Service
// runs it: each outcome must come out as the in-process mode reports it,
// and a process that crashed, panicked or timed out must be replaced.
func TestOutcomesThroughTheLambdaService(t *testing.T) {
	// The service times out at 1 s; the pool's own 5 s leaves the direct
	// echo calls, which may start a process, room on a loaded machine.
	const timeout = time.Second
	p, _ := newPool(t, nil)
	cfg := lambda.NewDefaultConfig()
	svc, err := lambda.New(cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	if err := svc.Register(lambda.Function{Name: "fn", ARN: testARN, Timeout: timeout}, p, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		payload      string
		wantType     string
		wantMsg      string // %s is the request id
		wantReplaced bool
		wantStack    string // a stack trace line to find
	}{
		{name: "echo", payload: `{"do":"echo","say":"hello"}`},
		{name: "typed error keeps its Go type name", payload: `{"do":"reject","say":"not an image"}`,
			wantType: "ImageRejectedError", wantMsg: "rejected: not an image"},
		{name: "panic is reported, then the process exits", payload: `{"do":"panic"}`,
			wantType: "string", wantMsg: "boom", wantReplaced: true, wantStack: "handler"},
		{name: "exit mid-invocation", payload: `{"do":"exit"}`,
			wantType: "Runtime.ExitError", wantMsg: "RequestId: %s Error: Runtime exited with error: exit status 2", wantReplaced: true},
		{name: "timeout kills the process", payload: `{"do":"sleep"}`,
			wantType: "Sandbox.Timedout", wantMsg: "RequestId: %s Error: Task timed out after 1.00 seconds", wantReplaced: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := echo(t, p).PID
			resp, err := svc.Invoke(context.Background(), "fn", []byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantType == "" {
				if resp.FunctionError != "" {
					t.Fatalf("FunctionError %q: %s", resp.FunctionError, resp.Payload)
				}
				var r fnResponse
				if err := json.Unmarshal(resp.Payload, &r); err != nil {
					t.Fatal(err)
				}
				if r.Said != "hello" || r.RequestID != resp.RequestID || r.ARN != testARN {
					t.Fatalf("got %+v, want said=hello requestId=%s arn=%s", r, resp.RequestID, testARN)
				}
			} else {
				var doc lambda.ErrorDocument
				if err := json.Unmarshal(resp.Payload, &doc); err != nil {
					t.Fatalf("%v: %s", err, resp.Payload)
				}
				wantMsg := tt.wantMsg
				if strings.Contains(wantMsg, "%s") {
					wantMsg = fmt.Sprintf(wantMsg, resp.RequestID)
				}
				if resp.FunctionError != "Unhandled" || doc.ErrorType != tt.wantType || doc.ErrorMessage != wantMsg {
					t.Fatalf("got %s %+v, want Unhandled %s %q", resp.FunctionError, doc, tt.wantType, wantMsg)
				}
				if tt.wantStack != "" && !slices.Contains(doc.StackTrace, tt.wantStack) {
					t.Fatalf("stack trace %q lacks %q", doc.StackTrace, tt.wantStack)
				}
			}
			after := echo(t, p).PID
			if replaced := after != before; replaced != tt.wantReplaced {
				t.Fatalf("process %d then %d: replaced=%v, want %v", before, after, replaced, tt.wantReplaced)
			}
		})
	}
}

func TestInitErrors(t *testing.T) {
	tests := []struct {
		name, failInit, wantType, wantMsg string
	}{
		{name: "exit during init", failInit: "exit", wantType: "Runtime.ExitError",
			wantMsg: "RequestId: %s Error: Runtime exited with error: exit status 1"},
		{name: "init error posted", failInit: "post", wantType: "Runtime.ConfigInvalid", wantMsg: "bad configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, logs := newPool(t, func(c *Config) { c.Environment["FAIL_INIT"] = tt.failInit })
			for i := range 2 { // each invocation tries a new process, as Lambda re-runs a failed init
				_, err := p.Invoke(context.Background(), []byte(`{}`))
				var ive messages.InvokeResponse_Error
				if !errors.As(err, &ive) {
					t.Fatalf("invocation %d: got %v, want a messages.InvokeResponse_Error", i, err)
				}
				wantMsg := tt.wantMsg
				if strings.Contains(wantMsg, "%s") {
					rid, _, _ := strings.Cut(strings.TrimPrefix(ive.Message, "RequestId: "), " ")
					wantMsg = fmt.Sprintf(wantMsg, rid)
				}
				if ive.Type != tt.wantType || ive.Message != wantMsg {
					t.Fatalf("invocation %d: got %s %q, want %s %q", i, ive.Type, ive.Message, tt.wantType, wantMsg)
				}
			}
			if err := p.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := p.Stats()
			if st.Started != 2 || len(st.Inits) != 0 || st.Running != 0 {
				t.Fatalf("stats %+v: want 2 processes started, no init completed, none running", st)
			}
			if logs.FilterField(zap.ByteString("line", []byte("fn: init"))).Len() != 2 {
				t.Fatalf("want the init line of both processes in the log")
			}
		})
	}
}

// TestConcurrencyStartsAProcessPerParallelInvocation holds invocations at a
// barrier until `limit` of them run at once: that takes `limit` processes,
// and the invocations beyond the limit wait for one and reuse it.
func TestConcurrencyStartsAProcessPerParallelInvocation(t *testing.T) {
	const limit, calls = 3, 5
	var mu sync.Mutex
	arrived, open := 0, make(chan struct{})
	barrier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if arrived++; arrived == limit {
			close(open)
		}
		mu.Unlock()
		select {
		case <-open:
		case <-r.Context().Done():
		}
	}))
	defer barrier.Close()
	p, _ := newPool(t, func(c *Config) { c.Concurrency = limit })

	payload := []byte(`{"do":"barrier","url":"` + barrier.URL + `"}`)
	pids := make(chan int, calls)
	errs := make(chan error, calls)
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			out, err := p.Invoke(context.Background(), payload)
			if err != nil {
				errs <- err
				return
			}
			var r fnResponse
			errs <- json.Unmarshal(out, &r)
			pids <- r.PID
		})
	}
	wg.Wait()
	close(errs)
	close(pids)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	distinct := map[int]bool{}
	for pid := range pids {
		distinct[pid] = true
	}
	st := p.Stats()
	if len(distinct) != limit || st.Started != limit || st.MaxActive != limit || len(st.Inits) != limit {
		t.Fatalf("%d distinct processes, stats %+v: want %d of each", len(distinct), st, limit)
	}
	// Sequential invocations reuse a warm process.
	for range 3 {
		echo(t, p)
	}
	if st := p.Stats(); st.Started != limit {
		t.Fatalf("sequential invocations started processes: %+v", st)
	}
}

func TestEnvironmentAndHeaders(t *testing.T) {
	p, _ := newPool(t, func(c *Config) { c.MemoryMB = 512; c.Handler = "bootstrap" })
	start := time.Now()
	r := echo(t, p)
	dir := filepath.Dir(testBinary)
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_REGION": "us-east-1", "_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": dir, "PWD": dir,
		"CUSTOM": "from-template", "HOME": "",
	}
	for k, v := range want {
		if r.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Env[k], v)
		}
	}
	if !strings.HasPrefix(r.Env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want 127.0.0.1:PORT", r.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !strings.HasPrefix(r.Env["_X_AMZN_TRACE_ID"], "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID = %q, want an X-Ray trace header", r.Env["_X_AMZN_TRACE_ID"])
	}
	if r.ARN != testARN || len(r.RequestID) != 36 {
		t.Errorf("ARN %q request id %q", r.ARN, r.RequestID)
	}
	if dl := time.UnixMilli(r.Deadline); dl.Before(start.Add(5*time.Second-time.Millisecond)) || dl.After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline %v is not the invocation start plus the 5 s timeout", dl)
	}
}

func TestOutputReachesTheLog(t *testing.T) {
	p, logs := newPool(t, nil)
	if _, err := p.Invoke(context.Background(), []byte(`{"do":"print","say":"a line from the process"}`)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil { // waits for the output to be logged
		t.Fatal(err)
	}
	got := logs.FilterField(zap.ByteString("line", []byte("a line from the process"))).All()
	if len(got) != 1 {
		t.Fatalf("got %d entries for the line, want 1", len(got))
	}
	f := got[0].ContextMap()
	if f["function"] != "fn" || f["stream"] != "stdout" {
		t.Fatalf("entry fields %v: want function=fn stream=stdout", f)
	}
	if logs.FilterMessage("process ready").FilterFieldKey("init_duration").Len() != 1 {
		t.Fatal("want one process ready entry with its init duration")
	}
}

func TestCloseStopsRunningProcesses(t *testing.T) {
	p, _ := newPool(t, nil)
	echo(t, p)
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := p.Invoke(context.Background(), []byte(`{"do":"sleep"}`))
		done <- err
	}()
	<-started
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var ive messages.InvokeResponse_Error
	if !errors.As(err, &ive) && !errors.Is(err, errClosed) {
		t.Fatalf("invocation during Close: got %v", err)
	}
	if st := p.Stats(); st.Running != 0 {
		t.Fatalf("stats after Close %+v: want nothing running", st)
	}
	if _, err := p.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, errClosed) {
		t.Fatalf("Invoke after Close: got %v, want errClosed", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{name: "relative binary", mutate: func(c *Config) { c.Binary = "build/host/x/bootstrap" }},
		{name: "no name", mutate: func(c *Config) { c.Name = "" }},
		{name: "no concurrency", mutate: func(c *Config) { c.Concurrency = 0 }},
		{name: "no timeout", mutate: func(c *Config) { c.Timeout = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewDefaultConfig()
			cfg.Name, cfg.Binary = "fn", testBinary
			tt.mutate(cfg)
			if _, err := New(cfg, zap.NewNop()); err == nil {
				t.Fatal("want a validation error")
			}
		})
	}
}

// TestTimeoutWithoutTheService: the pool enforces the function's timeout by
// itself, and the killed process is gone when Invoke returns.
func TestTimeoutWithoutTheService(t *testing.T) {
	p, _ := newPool(t, func(c *Config) { c.Timeout = 300 * time.Millisecond })
	_, err := p.Invoke(context.Background(), []byte(`{"do":"sleep"}`))
	var ive messages.InvokeResponse_Error
	if !errors.As(err, &ive) || ive.Type != "Sandbox.Timedout" || !strings.HasSuffix(ive.Message, " Error: Task timed out after 0.30 seconds") {
		t.Fatalf("got %v, want Sandbox.Timedout after 0.30 seconds", err)
	}
	if st := p.Stats(); st.Running != 0 || st.Exits != 1 {
		t.Fatalf("stats %+v: want the process killed and gone", st)
	}
}
