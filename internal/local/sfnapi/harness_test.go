package sfnapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/imgflow/imgflow/internal/sfn"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const testAccount = "123456789012"

// lambdaStub is the stub Lambda: functions by name.
type lambdaStub struct {
	mu     sync.Mutex
	tokens chan string   // task tokens seen by "callback"
	block  chan struct{} // "block" waits until this is closed or ctx ends
	calls  map[string]int
}

func newLambdaStub() *lambdaStub {
	return &lambdaStub{tokens: make(chan string, 16), block: make(chan struct{}), calls: map[string]int{}}
}

func (l *lambdaStub) invoke(ctx context.Context, function string, payload []byte) (*sfn.LambdaResponse, error) {
	name := function
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	l.mu.Lock()
	l.calls[name]++
	n := l.calls[name]
	l.mu.Unlock()
	switch name {
	case "double":
		var in struct {
			Value float64 `json:"value"`
		}
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(map[string]any{"value": in.Value * 2})
		return &sfn.LambdaResponse{Payload: b}, nil
	case "boom":
		return sfn.LambdaErrorResponse("ImageTooLargeError", "40000000 px exceeds 25000000"), nil
	case "flaky": // fails on the first call only (redrive)
		if n == 1 {
			return sfn.LambdaErrorResponse("FlakyError", "first call fails"), nil
		}
		return &sfn.LambdaResponse{Payload: payload}, nil
	case "callback":
		var in struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(payload, &in); err != nil {
			return nil, err
		}
		l.tokens <- in.Token
		return &sfn.LambdaResponse{Payload: []byte(`{}`)}, nil
	case "block":
		select {
		case <-l.block:
			return &sfn.LambdaResponse{Payload: payload}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, &sfn.TaskError{Err: "Lambda.ResourceNotFoundException", Cause: "Function not found: " + function}
}

type harness struct {
	t      *testing.T
	svc    *Service
	srv    *httptest.Server
	client *sfnsdk.Client
	clock  *sfn.FakeClock
	lambda *lambdaStub
	dir    string
}

// engineConfig is the engine configuration tests use.
func engineConfig(clock sfn.Clock, l *lambdaStub) *sfn.Config {
	c := sfn.NewDefaultConfig()
	c.Clock = clock
	c.Lambda = &sfn.FakeLambda{InvokeFunc: l.invoke}
	c.Sequential = true
	c.RandSeed = 1
	return c
}

// newHarness starts a service on dir ("" = a new temp dir) behind
// httptest with an SDK client.
func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	h := &harness{t: t, clock: sfn.NewFakeClock(t0), lambda: newLambdaStub(), dir: dir}
	cfg := NewDefaultConfig()
	cfg.DataDir = dir
	svc, err := New(cfg, engineConfig(h.clock, h.lambda), zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.svc = svc
	// As the local stack does once its functions exist.
	if _, err := svc.Resume(context.Background()); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux)
	h.srv = httptest.NewServer(mux)
	h.client = newClient(h.srv, "us-east-1")
	t.Cleanup(func() { h.close() })
	return h
}

func (h *harness) close() {
	if h.srv == nil {
		return
	}
	h.srv.Close()
	h.srv = nil
	select {
	case <-h.lambda.block:
	default:
		close(h.lambda.block)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.svc.Close(ctx); err != nil {
		h.t.Errorf("Close: %v", err)
	}
}

// newClient returns an SDK client for srv. Every connection goes to the
// test server, whatever host the SDK builds: StartSyncExecution prefixes
// the host with "sync-", as it does against AWS.
func newClient(srv *httptest.Server, region string) *sfnsdk.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return sfnsdk.New(sfnsdk.Options{
		Region:           region,
		BaseEndpoint:     aws.String(srv.URL),
		HTTPClient:       &http.Client{Transport: eagerBody{tr}},
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "test"}, nil
		}),
	})
}

// eagerBody reads each response body before handing it to the SDK. On
// loopback, reading a large body (a 1,000-event history page) lazily
// fails now and then with "use of closed network connection": the SDK
// closes the request body as soon as the headers arrive, racing the
// transport's end-of-body check (a client-side race; the same responses
// read with net/http alone did not fail in our runs).
type eagerBody struct{ rt http.RoundTripper }

func (e eagerBody) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := e.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createSM creates a state machine or fails the test.
func (h *harness) createSM(name, def, typ string) string {
	h.t.Helper()
	in := &sfnsdk.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/sfn")}
	if typ != "" {
		in.Type = sfnTypes(typ)
	}
	out, err := h.client.CreateStateMachine(ctxT(h.t), in)
	if err != nil {
		h.t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return *out.StateMachineArn
}

// start starts an execution and waits for it to close.
func (h *harness) run(smARN, name, input string) *sfnsdk.DescribeExecutionOutput {
	h.t.Helper()
	arn := h.start(smARN, name, input)
	return h.wait(arn)
}

func (h *harness) start(smARN, name, input string) string {
	h.t.Helper()
	in := &sfnsdk.StartExecutionInput{StateMachineArn: aws.String(smARN), Input: aws.String(input)}
	if name != "" {
		in.Name = aws.String(name)
	}
	out, err := h.client.StartExecution(ctxT(h.t), in)
	if err != nil {
		h.t.Fatalf("StartExecution: %v", err)
	}
	return *out.ExecutionArn
}

func (h *harness) wait(arn string) *sfnsdk.DescribeExecutionOutput {
	h.t.Helper()
	if err := h.svc.WaitExecution(ctxT(h.t), arn); err != nil {
		h.t.Fatalf("WaitExecution: %v", err)
	}
	d, err := h.client.DescribeExecution(ctxT(h.t), &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		h.t.Fatalf("DescribeExecution: %v", err)
	}
	return d
}

// apiCode returns the AWS error code of err ("" if none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
