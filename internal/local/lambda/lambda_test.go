package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/layers/common/pipelineerr"
)

type echoIn struct {
	Say string `json:"say"`
}

func newService(t *testing.T, dest Destination, mutate func(*Config)) *Service {
	t.Helper()
	cfg := NewDefaultConfig()
	cfg.Sleep = func(context.Context, time.Duration) error { return nil }
	if mutate != nil {
		mutate(cfg)
	}
	s, err := New(cfg, dest, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func mustRegister(t *testing.T, s *Service, f Function, h any) {
	t.Helper()
	if err := s.Register(f, awslambda.NewHandler(h), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestInvokeErrorsAsTheGoRuntimeNamesThem(t *testing.T) {
	s := newService(t, nil, nil)
	mustRegister(t, s, Function{Name: "echo", Timeout: time.Second}, func(ctx context.Context, in echoIn) (map[string]string, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		switch in.Say {
		case "reject":
			return nil, pipelineerr.Reject(pipelineerr.ReasonNotAnImage, "text")
		case "wrapped":
			return nil, fmt.Errorf("context: %w", errors.New("inner"))
		case "panic":
			panic("boom")
		}
		return map[string]string{"said": in.Say, "requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn}, nil
	})
	tests := []struct {
		name, say, wantType, wantMsg string
	}{
		{name: "typed error keeps its type name", say: "reject", wantType: "ImageRejectedError", wantMsg: "NotAnImage: text"},
		{name: "fmt.Errorf is wrapError", say: "wrapped", wantType: "wrapError", wantMsg: "context: inner"},
		{name: "panic is recovered", say: "panic", wantType: "string", wantMsg: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.Invoke(context.Background(), "echo", []byte(`{"say":"`+tt.say+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			var doc ErrorDocument
			if err := json.Unmarshal(resp.Payload, &doc); err != nil {
				t.Fatal(err)
			}
			if resp.FunctionError != "Unhandled" || doc.ErrorType != tt.wantType || doc.ErrorMessage != tt.wantMsg {
				t.Errorf("got %s %+v, want Unhandled %s %q", resp.FunctionError, doc, tt.wantType, tt.wantMsg)
			}
		})
	}
	resp, err := s.Invoke(context.Background(), "arn:aws:lambda:us-east-1:000000000000:function:echo", []byte(`{"say":"hi"}`))
	if err != nil || resp.FunctionError != "" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	var out map[string]string
	_ = json.Unmarshal(resp.Payload, &out)
	if out["said"] != "hi" || out["requestId"] != resp.RequestID || out["arn"] == "" {
		t.Errorf("handler saw %v (request %s)", out, resp.RequestID)
	}
	if _, err := s.Invoke(context.Background(), "nope", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown function: %v", err)
	}
}

func TestTimeoutHoldsTheSlotUntilTheHandlerReturns(t *testing.T) {
	s := newService(t, nil, nil)
	release := make(chan struct{})
	mustRegister(t, s, Function{Name: "slow", Timeout: 20 * time.Millisecond, ReservedConcurrency: 1}, func(ctx context.Context) error {
		<-release // ignores ctx, as a stuck handler would
		return nil
	})
	resp, err := s.Invoke(context.Background(), "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc ErrorDocument
	_ = json.Unmarshal(resp.Payload, &doc)
	if doc.ErrorType != "Sandbox.Timedout" {
		t.Fatalf("timeout reported as %+v", doc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := s.Invoke(ctx, "slow", nil); err == nil {
		t.Fatal("the only slot is still held by the stuck handler: a second invocation must wait")
	}
	close(release)
	// Once the stuck handler returns, its slot comes back and this one runs.
	resp, err = s.Invoke(context.Background(), "slow", nil)
	if err != nil || resp.FunctionError != "" {
		t.Fatalf("after release: %+v %v", resp, err)
	}
}

type recordingDest struct {
	mu   sync.Mutex
	got  []FailureRecord
	done chan struct{}
}

func (d *recordingDest) Deliver(_ context.Context, arn string, rec FailureRecord) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.got = append(d.got, rec)
	close(d.done)
	return nil
}

func TestAsyncRetriesThenOnFailure(t *testing.T) {
	dest := &recordingDest{done: make(chan struct{})}
	var mu sync.Mutex
	var delays []time.Duration
	s := newService(t, dest, func(c *Config) {
		c.Sleep = func(_ context.Context, d time.Duration) error {
			mu.Lock()
			delays = append(delays, d)
			mu.Unlock()
			return nil
		}
	})
	calls := 0
	mustRegister(t, s, Function{Name: "flaky", Timeout: time.Second, MaxRetryAttempts: 2, OnFailure: "arn:aws:sqs:us-east-1:000000000000:dlq"},
		func(context.Context, json.RawMessage) error {
			mu.Lock()
			calls++
			mu.Unlock()
			return &pipelineerr.StorageError{Op: "get", URI: "s3://b/k", Err: errors.New("SlowDown")}
		})
	if _, err := s.InvokeAsync(context.Background(), "flaky", []byte(`{"Records":[]}`)); err != nil {
		t.Fatal(err)
	}
	<-dest.done
	if calls != 3 || len(delays) != 2 {
		t.Errorf("calls = %d (want 1 + 2 retries), delays = %v", calls, delays)
	}
	rec := dest.got[0]
	if rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 3 ||
		string(rec.RequestPayload) != `{"Records":[]}` || rec.ResponseContext.FunctionError != "Unhandled" {
		t.Errorf("failure record = %+v", rec)
	}
}

func TestAPIWithTheSDK(t *testing.T) {
	s := newService(t, nil, nil)
	mustRegister(t, s, Function{Name: "echo", Timeout: 3 * time.Second, MemoryMB: 256, Runtime: "provided.al2023", Handler: "bootstrap",
		Environment: map[string]string{"A": "b"}}, func(_ context.Context, in echoIn) (echoIn, error) {
		if in.Say == "fail" {
			return in, &pipelineerr.ConfigError{Err: errors.New("bad")}
		}
		return in, nil
	})
	mux := http.NewServeMux()
	s.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := lambdasdk.New(lambdasdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("any", "thing", "")})
	ctx := context.Background()

	for _, c := range []struct {
		name   string
		client *lambdasdk.Client
		want   string
	}{
		{name: "unsigned", client: lambdasdk.New(lambdasdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}}), want: "MissingAuthenticationTokenException"},
		{name: "wrong region", client: lambdasdk.New(lambdasdk.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("any", "thing", "")}), want: "InvalidSignatureException"},
	} {
		_, err := c.client.ListFunctions(ctx, &lambdasdk.ListFunctionsInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.want {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.want)
		}
	}

	out, err := client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"say":"hi"}`)})
	if err != nil || string(out.Payload) != `{"say":"hi"}` || out.FunctionError != nil || out.StatusCode != 200 {
		t.Fatalf("invoke: %+v %v", out, err)
	}
	out, err = client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"say":"fail"}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" {
		t.Fatalf("failing invoke: %+v %v", out, err)
	}
	out, err = client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("echo"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: []byte(`{}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("event invoke: %+v %v", out, err)
	}
	_, err = client.Invoke(ctx, &lambdasdk.InvokeInput{FunctionName: aws.String("missing")})
	var nf *lambdatypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing function: %v", err)
	}
	_, err = client.DeleteFunction(ctx, &lambdasdk.DeleteFunctionInput{FunctionName: aws.String("echo")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" {
		t.Errorf("an operation we do not implement: err = %v, want UnknownOperationException", err)
	}
	list, err := client.ListFunctions(ctx, &lambdasdk.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "echo" || aws.ToInt32(list.Functions[0].MemorySize) != 256 {
		t.Fatalf("list: %+v %v", list, err)
	}
	got, err := client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("echo")})
	if err != nil || got.Configuration.Environment.Variables["A"] != "b" || aws.ToInt32(got.Configuration.Timeout) != 3 {
		t.Fatalf("get: %+v %v", got, err)
	}
}

// TestPanicEndsTheInstance: a panic is reported as the Go runtime reports
// it, and ends the instance as aws-lambda-go ends the process; the next
// invocation runs a fresh instance (a new init, a cold start in Stats) and
// sees none of the old one's state. An init that fails then is
// Runtime.ExitError, as lambdamain.Run's exit is on Lambda.
func TestPanicEndsTheInstance(t *testing.T) {
	s := newService(t, nil, nil)
	var inits int
	failInit := false
	init := func(context.Context) (Handler, error) {
		if failInit {
			return nil, errors.New("bad configuration")
		}
		inits++
		instance, calls := inits, 0 // per-instance state
		return awslambda.NewHandler(func(in echoIn) (map[string]int, error) {
			calls++
			if in.Say == "panic" {
				panic(fmt.Errorf("boom in instance %d", instance))
			}
			return map[string]int{"instance": instance, "calls": calls}, nil
		}), nil
	}
	if err := s.RegisterInit(context.Background(), Function{Name: "fragile", Timeout: time.Second}, init); err != nil {
		t.Fatal(err)
	}
	invoke := func(say string) (*Response, map[string]int, ErrorDocument) {
		t.Helper()
		resp, err := s.Invoke(context.Background(), "fragile", []byte(`{"say":"`+say+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]int
		var doc ErrorDocument
		if resp.FunctionError != "" {
			_ = json.Unmarshal(resp.Payload, &doc)
		} else {
			_ = json.Unmarshal(resp.Payload, &out)
		}
		return resp, out, doc
	}
	stats := func() Stats {
		t.Helper()
		for _, st := range s.Stats() {
			if st.Function.Name == "fragile" {
				return st
			}
		}
		t.Fatal("no stats")
		return Stats{}
	}

	steps := []struct {
		name, say    string
		wantInstance int // 0: want an error
		wantCalls    int
		wantType     string
		wantCold     int64
	}{
		{name: "first instance", say: "hi", wantInstance: 1, wantCalls: 1, wantCold: 1},
		{name: "same instance", say: "hi", wantInstance: 1, wantCalls: 2, wantCold: 1},
		{name: "panic", say: "panic", wantType: "errorString", wantCold: 1},
		{name: "fresh instance after the panic", say: "hi", wantInstance: 2, wantCalls: 1, wantCold: 2},
		{name: "which is kept", say: "hi", wantInstance: 2, wantCalls: 2, wantCold: 2},
	}
	for _, st := range steps {
		resp, out, doc := invoke(st.say)
		if st.wantInstance == 0 {
			if resp.FunctionError != "Unhandled" || doc.ErrorType != st.wantType || doc.ErrorMessage != "boom in instance 1" || len(doc.StackTrace) == 0 {
				t.Fatalf("%s: got %s %+v, want Unhandled %s with a stack trace", st.name, resp.FunctionError, doc, st.wantType)
			}
		} else if out["instance"] != st.wantInstance || out["calls"] != st.wantCalls {
			t.Fatalf("%s: got %v (%s), want instance %d call %d", st.name, out, resp.Payload, st.wantInstance, st.wantCalls)
		}
		if got := stats().ColdStarts; got != st.wantCold {
			t.Fatalf("%s: %d cold starts, want %d", st.name, got, st.wantCold)
		}
	}

	// A panic, then an init that fails: each invocation tries a new init.
	invoke("panic")
	failInit = true
	for range 2 {
		resp, _, doc := invoke("hi")
		if resp.FunctionError != "Unhandled" || doc.ErrorType != "Runtime.ExitError" {
			t.Fatalf("failed init: got %s %+v, want Runtime.ExitError", resp.FunctionError, doc)
		}
	}
	failInit = false
	if _, out, _ := invoke("hi"); out["instance"] != 3 || stats().ColdStarts != 3 {
		t.Fatalf("after a good init: %v, %d cold starts", out, stats().ColdStarts)
	}
}
