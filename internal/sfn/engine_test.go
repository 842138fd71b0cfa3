package sfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type runOpts struct {
	lambda *sfn.FakeLambda
	sns    *sfn.FakeSNS
	tweak  func(*sfn.Config)
}

// run executes def with input on a fake clock and returns the result,
// the history and the clock.
func run(t *testing.T, def, input string, o runOpts) (sfn.Result, []sfn.Event, *sfn.FakeClock) {
	t.Helper()
	clock := sfn.NewFakeClock(t0)
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = clock
	cfg.RandSeed = 7
	if o.lambda != nil {
		cfg.Lambda = o.lambda
	}
	if o.sns != nil {
		cfg.SNS = o.sns
	}
	if o.tweak != nil {
		o.tweak(cfg)
	}
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ex, err := eng.Start(context.Background(), []byte(def), []byte(input), sfn.StartOptions{Name: "e1", StateMachineName: "sm"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := ex.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return res, ex.History(), clock
}

func jsonEq(t *testing.T, got, want string) {
	t.Helper()
	g, err := sfn.DecodeJSON([]byte(got))
	if err != nil {
		t.Fatalf("bad json %q: %v", got, err)
	}
	w, err := sfn.DecodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("bad json %q: %v", want, err)
	}
	if !sfn.JSONEqual(g, w) {
		t.Fatalf("output = %s, want %s", got, want)
	}
}

func types(h []sfn.Event) string {
	s := make([]string, len(h))
	for i, e := range h {
		s[i] = e.Type
	}
	return strings.Join(s, ",")
}

func echoLambda() *sfn.FakeLambda {
	return &sfn.FakeLambda{InvokeFunc: func(_ context.Context, _ string, p []byte) (*sfn.LambdaResponse, error) {
		return &sfn.LambdaResponse{Payload: p}, nil
	}}
}

func TestExecutions(t *testing.T) {
	tests := []struct {
		name       string
		def, input string
		opts       runOpts
		status     sfn.Status
		output     string // JSON, compared structurally when status is SUCCEEDED
		errName    string
		cause      string // substring
		history    string // event types, when set
	}{
		{
			name:    "pass chain with paths",
			def:     `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.in","Parameters":{"x.$":"$.v","lit":1.50},"ResultPath":"$.r","Next":"B"},"B":{"Type":"Pass","OutputPath":"$.r","End":true}}}`,
			input:   `{"in":{"v":12345678901234567890}}`,
			status:  sfn.StatusSucceeded,
			output:  `{"x":12345678901234567890,"lit":1.50}`,
			history: "ExecutionStarted,PassStateEntered,PassStateExited,PassStateEntered,PassStateExited,ExecutionSucceeded",
		},
		{
			name:   "choice numeric and default",
			def:    `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.n","NumericGreaterThan":1},{"Not":{"Variable":"$.s","StringMatches":"a*z"}}],"Next":"Big"}],"Default":"Small"},"Big":{"Type":"Pass","Result":"big","End":true},"Small":{"Type":"Pass","Result":"small","End":true}}}`,
			input:  `{"n":2,"s":"abc"}`,
			status: sfn.StatusSucceeded,
			output: `"big"`,
		},
		{
			name:    "no choice matched",
			def:     `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","IsNull":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}`,
			input:   `{"n":1}`,
			status:  sfn.StatusFailed,
			errName: sfn.ErrNoChoiceMatched,
		},
		{
			name:    "fail state",
			def:     `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad","Cause":"because"}}}`,
			input:   `{}`,
			status:  sfn.StatusFailed,
			errName: "Bad",
			cause:   "because",
			history: "ExecutionStarted,FailStateEntered,ExecutionFailed",
		},
		{
			name:    "intrinsic failure",
			def:     `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.ArrayGetItem($.a, 5)"},"End":true}}}`,
			input:   `{"a":[1]}`,
			status:  sfn.StatusFailed,
			errName: sfn.ErrIntrinsicFailure,
		},
		{
			name:    "missing input path is a runtime error",
			def:     `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.nope","End":true}}}`,
			input:   `{}`,
			status:  sfn.StatusFailed,
			errName: sfn.ErrRuntime,
			cause:   "Invalid path '$.nope' : No results for path: $['nope']",
		},
		{
			name:  "lambda task, retry then catch",
			def:   `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["Boom"],"MaxAttempts":2,"IntervalSeconds":3}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`,
			input: `{"k":1}`,
			opts: runOpts{lambda: &sfn.FakeLambda{InvokeFunc: func(context.Context, string, []byte) (*sfn.LambdaResponse, error) {
				return sfn.LambdaErrorResponse("Boom", "bang"), nil
			}}},
			status: sfn.StatusSucceeded,
			output: `{"k":1,"err":{"Error":"Boom","Cause":"{\"errorMessage\":\"bang\",\"errorType\":\"Boom\"}"}}`,
			history: "ExecutionStarted,TaskStateEntered," +
				"LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionFailed," +
				"LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionFailed," +
				"LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionFailed," +
				"TaskStateExited,PassStateEntered,PassStateExited,ExecutionSucceeded",
		},
		{
			name:    "lambda:invoke optimized result",
			def:     `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload","code.$":"$.StatusCode"},"End":true}}}`,
			input:   `{"a":[1,2]}`,
			opts:    runOpts{lambda: echoLambda()},
			status:  sfn.StatusSucceeded,
			output:  `{"p":{"a":[1,2]},"code":200}`,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSucceeded,TaskStateExited,ExecutionSucceeded",
		},
		{
			name:    "unsupported resource",
			def:     `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","End":true}}}`,
			input:   `{}`,
			status:  sfn.StatusFailed,
			errName: sfn.ErrRuntime,
			cause:   "arn:aws:states:::dynamodb:putItem",
		},
		{
			name: "task timeout",
			def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,"Parameters":{"FunctionName":"slow"},"End":true}}}`,
			opts: runOpts{lambda: &sfn.FakeLambda{InvokeFunc: func(ctx context.Context, _ string, p []byte) (*sfn.LambdaResponse, error) {
				if err := sfn.ClockFromContext(ctx).Sleep(ctx, time.Minute); err != nil {
					return nil, err
				}
				return &sfn.LambdaResponse{Payload: p}, nil
			}}},
			input:   `{}`,
			status:  sfn.StatusFailed,
			errName: sfn.ErrTimeout,
			history: "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskTimedOut,ExecutionFailed",
		},
		{
			name: "sns publish",
			def:  `{"StartAt":"N","States":{"N":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:t","Message.$":"$.m"},"ResultSelector":{"id.$":"$.MessageId"},"End":true}}}`,
			opts: runOpts{sns: &sfn.FakeSNS{PublishFunc: func(_ context.Context, in map[string]any) (string, error) {
				if in["Message"] != "hi" {
					return "", errors.New("bad message")
				}
				return "mid-1", nil
			}}},
			input:  `{"m":"hi"}`,
			status: sfn.StatusSucceeded,
			output: `{"id":"mid-1"}`,
		},
		{
			name:   "map with item selector and concurrency",
			def:    `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":2,"ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			input:  `{"xs":["a","b","c"]}`,
			status: sfn.StatusSucceeded,
			output: `[{"v":"a","i":0},{"v":"b","i":1},{"v":"c","i":2}]`,
		},
		{
			name:    "map tolerated failures exceeded",
			def:     `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}},"End":true}}}`,
			input:   `[1,2,3]`,
			status:  sfn.StatusFailed,
			errName: sfn.ErrExceedToleratedFailureThreshold,
		},
		{
			name:   "parallel",
			def:    `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"End":true}}}],"End":true}}}`,
			input:  `{}`,
			status: sfn.StatusSucceeded,
			output: `[1,2]`,
		},
		{
			name:   "jsonata arguments output assign",
			def:    `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"n":"{% $states.input.n + 1 %}"},"Output":{"old":"{% $states.input.n %}"},"Next":"B"},"B":{"Type":"Pass","Output":"{% {'n': $n, 'sum': $sum([1,2,3]), 'parts': $partition([1,2,3], 2)} %}","End":true}}}`,
			input:  `{"n":41}`,
			status: sfn.StatusSucceeded,
			output: `{"n":42,"sum":6,"parts":[[1,2],[3]]}`,
		},
		{
			name:   "jsonpath variables",
			def:    `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x.$":"$.v","y":"lit"},"Next":"B"},"B":{"Type":"Pass","Parameters":{"x.$":"$x","y.$":"$y"},"End":true}}}`,
			input:  `{"v":[1]}`,
			status: sfn.StatusSucceeded,
			output: `{"x":[1],"y":"lit"}`,
		},
		{
			name:    "payload limit",
			def:     `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$","b.$":"$"},"End":true}}}`,
			input:   `{"s":"` + strings.Repeat("x", 60) + `"}`,
			opts:    runOpts{tweak: func(c *sfn.Config) { c.MaxPayloadBytes = 100 }},
			status:  sfn.StatusFailed,
			errName: sfn.ErrDataLimitExceeded,
		},
		{
			name:    "history limit",
			def:     `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Z"}],"Default":"A"},"Z":{"Type":"Succeed"}}}`,
			input:   `{}`,
			opts:    runOpts{tweak: func(c *sfn.Config) { c.MaxHistoryEvents = 50 }},
			status:  sfn.StatusFailed,
			errName: sfn.ErrRuntime,
			cause:   "maximum number of history events (50)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, hist, _ := run(t, tc.def, tc.input, tc.opts)
			if res.Status != tc.status {
				t.Fatalf("status = %s (%s: %s), want %s", res.Status, res.Error, res.Cause, tc.status)
			}
			if tc.status == sfn.StatusSucceeded && tc.output != "" {
				jsonEq(t, res.Output, tc.output)
			}
			if tc.errName != "" && res.Error != tc.errName {
				t.Fatalf("error = %q (cause %q), want %q", res.Error, res.Cause, tc.errName)
			}
			if tc.cause != "" && !strings.Contains(res.Cause, tc.cause) {
				t.Fatalf("cause = %q, want it to contain %q", res.Cause, tc.cause)
			}
			if tc.history != "" && types(hist) != tc.history {
				t.Fatalf("history =\n%s\nwant\n%s", types(hist), tc.history)
			}
			if len(hist) > 0 && hist[len(hist)-1].ID != int64(len(hist)) {
				t.Fatalf("event ids not sequential")
			}
		})
	}
}

func TestWaitUsesClock(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want time.Duration
	}{
		{"seconds", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`, time.Hour},
		{"timestamp", `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2025-01-02T00:00:00Z","End":true}}}`, 24 * time.Hour},
		{"seconds path", `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, 90 * time.Second},
		{"jsonata", `{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s * 2 %}","End":true}}}`, 180 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _, clock := run(t, tc.def, `{"s":90}`, runOpts{})
			if res.Status != sfn.StatusSucceeded {
				t.Fatalf("status %s: %s %s", res.Status, res.Error, res.Cause)
			}
			if got := clock.Now().Sub(t0); got != tc.want {
				t.Fatalf("clock advanced %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRetryBackoff(t *testing.T) {
	var calls atomic.Int32
	lam := &sfn.FakeLambda{InvokeFunc: func(context.Context, string, []byte) (*sfn.LambdaResponse, error) {
		if calls.Add(1) < 4 {
			return nil, &sfn.TaskError{Err: "Lambda.TooManyRequestsException", Cause: "slow down"}
		}
		return &sfn.LambdaResponse{Payload: []byte(`"ok"`)}, nil
	}}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.TaskFailed"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":5,"MaxDelaySeconds":10}],"End":true}}}`
	res, _, clock := run(t, def, `{}`, runOpts{lambda: lam})
	if res.Status != sfn.StatusSucceeded || res.Output != `"ok"` {
		t.Fatalf("result %+v", res)
	}
	// 2 + 6 + min(18,10) seconds
	if got := clock.Now().Sub(t0); got != 18*time.Second {
		t.Fatalf("waited %v, want 18s", got)
	}
}

func TestStopAndTaskToken(t *testing.T) {
	tests := []struct {
		name   string
		act    func(eng *sfn.Engine, ex *sfn.Execution, token string)
		status sfn.Status
		output string
		err    string
	}{
		{"success", func(eng *sfn.Engine, _ *sfn.Execution, tok string) {
			if err := eng.SendTaskSuccess(tok, []byte(`{"done":true}`)); err != nil {
				panic(err)
			}
		}, sfn.StatusSucceeded, `{"done":true}`, ""},
		{"failure", func(eng *sfn.Engine, _ *sfn.Execution, tok string) {
			if err := eng.SendTaskFailure(tok, "Rejected", "nope"); err != nil {
				panic(err)
			}
		}, sfn.StatusFailed, "", "Rejected"},
		{"stop", func(_ *sfn.Engine, ex *sfn.Execution, _ string) { ex.Stop("Stopped", "by test") }, sfn.StatusAborted, "", "Stopped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tokens := make(chan string, 1)
			cfg := sfn.NewDefaultConfig()
			cfg.Clock = sfn.NewFakeClock(t0)
			cfg.Lambda = &sfn.FakeLambda{InvokeFunc: func(_ context.Context, _ string, p []byte) (*sfn.LambdaResponse, error) {
				var in struct{ Token string }
				if err := json.Unmarshal(p, &in); err != nil {
					return nil, err
				}
				tokens <- in.Token
				return &sfn.LambdaResponse{Payload: []byte(`{}`)}, nil
			}}
			eng, err := sfn.New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"f","Payload":{"Token.$":"$$.Task.Token"}},"End":true}}}`
			ex, err := eng.Start(context.Background(), []byte(def), []byte(`{}`), sfn.StartOptions{})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			var tok string
			select {
			case tok = <-tokens:
			case <-time.After(5 * time.Second):
				t.Fatalf("no token")
			}
			tc.act(eng, ex, tok)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := ex.Wait(ctx)
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %s (%s %s), want %s", res.Status, res.Error, res.Cause, tc.status)
			}
			if tc.output != "" {
				jsonEq(t, res.Output, tc.output)
			}
			if tc.err != "" && res.Error != tc.err {
				t.Fatalf("error %q, want %q", res.Error, tc.err)
			}
			if err := eng.SendTaskSuccess(tok, []byte(`{}`)); !errors.Is(err, sfn.ErrTaskTokenNotFound) {
				t.Fatalf("token reuse: %v", err)
			}
		})
	}
}

func TestRecordRoundTrip(t *testing.T) {
	clock := sfn.NewFakeClock(t0)
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = clock
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ex, err := eng.Start(context.Background(), []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`), []byte(`{"a":1}`), sfn.StartOptions{Name: "n"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := ex.Wait(context.Background()); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	b, err := json.Marshal(ex.Record())
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var r sfn.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if r.Status != sfn.StatusSucceeded || len(r.Events) != 4 || r.Events[1].Type != "PassStateEntered" || r.Events[1].Details["name"] != "A" {
		t.Fatalf("round trip lost data: %+v", r)
	}
	if !strings.Contains(string(b), `"stateEnteredEventDetails"`) {
		t.Fatalf("details key missing: %s", b)
	}
}

func TestExecutionTimeoutAndAbortEvents(t *testing.T) {
	tests := []struct {
		name    string
		def     string
		status  sfn.Status
		history string
	}{
		{"execution timeout during wait",
			`{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`,
			sfn.StatusTimedOut, "ExecutionStarted,WaitStateEntered,WaitStateAborted,ExecutionTimedOut"},
		{"wait within timeout",
			`{"TimeoutSeconds":100,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`,
			sfn.StatusSucceeded, "ExecutionStarted,WaitStateEntered,WaitStateExited,ExecutionSucceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, hist, _ := run(t, tc.def, `{}`, runOpts{})
			if res.Status != tc.status {
				t.Fatalf("status %s (%s %s), want %s", res.Status, res.Error, res.Cause, tc.status)
			}
			if types(hist) != tc.history {
				t.Fatalf("history %s, want %s", types(hist), tc.history)
			}
		})
	}
}

func TestDefinitionRoundTrip(t *testing.T) {
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"P"}],"Default":"P"},"P":{"Type":"Pass","InputPath":null,"ResultPath":"$.r","End":true}}}`
	d, err := sfn.ParseDefinition([]byte(def))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if diags := sfn.Validate(b); len(diags) > 0 {
		t.Fatalf("re-encoded definition invalid: %s: %+v", b, diags)
	}
	res1, _, _ := run(t, def, `{"n":2}`, runOpts{})
	res2, _, _ := run(t, string(b), `{"n":2}`, runOpts{})
	if res1.Output != res2.Output || res1.Output != `{"n":2,"r":{}}` {
		t.Fatalf("outputs differ: %s vs %s", res1.Output, res2.Output)
	}
}

func TestMapItemReaderAndBatcher(t *testing.T) {
	reader := sfn.IntegrationFunc(func(_ context.Context, req sfn.TaskRequest) (json.RawMessage, error) {
		if req.Service != "s3" || !strings.Contains(string(req.Parameters), `"Bucket":"b"`) {
			return nil, &sfn.TaskError{Err: "S3.NoSuchBucket", Cause: "no bucket"}
		}
		return json.RawMessage(`[{"k":1},{"k":2},{"k":3}]`), nil
	})
	tests := []struct {
		name, def, output, err string
	}{
		{"reader", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":2},"Parameters":{"Bucket":"b","Key":"k"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			`[{"k":1},{"k":2}]`, ""},
		{"reader failure", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"x"}},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			"", sfn.ErrItemReaderFailed},
		{"batcher", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"tag":"t"}},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			`[{"Items":[1,2],"BatchInput":{"tag":"t"}},{"Items":[3],"BatchInput":{"tag":"t"}}]`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _, _ := run(t, tc.def, `{"xs":[1,2,3]}`, runOpts{tweak: func(c *sfn.Config) {
				c.Integrations = map[string]sfn.Integration{"arn:aws:states:::s3:getObject": reader}
			}})
			if tc.err != "" {
				if res.Error != tc.err {
					t.Fatalf("error %q (%s), want %q", res.Error, res.Cause, tc.err)
				}
				return
			}
			if res.Status != sfn.StatusSucceeded {
				t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
			}
			jsonEq(t, res.Output, tc.output)
		})
	}
}

func TestStartIdempotency(t *testing.T) {
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = sfn.NewFakeClock(t0)
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	def := []byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}`)
	blockDef := []byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","End":true}}}`)
	cfg2 := *cfg
	cfg2.SNS = &sfn.FakeSNS{PublishFunc: func(context.Context, map[string]any) (string, error) { return "m", nil }}
	eng2, _ := sfn.New(&cfg2)
	ctx := context.Background()
	tests := []struct {
		name    string
		eng     *sfn.Engine
		def     []byte
		input   string
		wantErr bool
		same    bool
	}{
		{"first", eng2, blockDef, `{"a":1}`, false, false},
		{"same input while running", eng2, blockDef, `{"a":1}`, false, true},
		{"different input", eng2, blockDef, `{"a":2}`, true, false},
	}
	var first *sfn.Execution
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := tc.eng.Start(ctx, tc.def, []byte(tc.input), sfn.StartOptions{Name: "dup"})
			var exists *sfn.ExecutionAlreadyExistsError
			if tc.wantErr != errors.As(err, &exists) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if first == nil {
				first = ex
			}
			if tc.same && ex != first {
				t.Fatalf("want the running execution back")
			}
		})
	}
	first.Stop("", "")
	if _, err := first.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	ex, err := eng.Start(ctx, def, nil, sfn.StartOptions{Name: "done"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if _, err := ex.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if _, err := eng.Start(ctx, def, nil, sfn.StartOptions{Name: "done"}); err == nil {
		t.Fatalf("reusing a finished execution name must fail")
	}
	if !eng.Forget(ex.ARN()) {
		t.Fatalf("Forget failed")
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	// On the fake clock nobody sends a heartbeat in time.
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","HeartbeatSeconds":5,"Parameters":{"Message.$":"$$.Task.Token"},"Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"H"}],"End":true},"H":{"Type":"Pass","End":true}}}`
	res, hist, _ := run(t, def, `{}`, runOpts{sns: &sfn.FakeSNS{PublishFunc: func(context.Context, map[string]any) (string, error) { return "m", nil }}})
	if res.Status != sfn.StatusSucceeded || !strings.Contains(res.Output, "States.HeartbeatTimeout") {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(types(hist), "TaskTimedOut") {
		t.Fatalf("history %s", types(hist))
	}
}

func TestOnEventOrder(t *testing.T) {
	var got []int64
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":1,"End":true}}}],"End":true}}}`
	res, hist, _ := run(t, def, `{}`, runOpts{tweak: func(c *sfn.Config) {
		c.OnEvent = func(_ string, ev sfn.Event) {
			<-mu
			got = append(got, ev.ID)
			mu <- struct{}{}
		}
	}})
	if res.Status != sfn.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	<-mu
	defer func() { mu <- struct{}{} }()
	if len(got) != len(hist) {
		t.Fatalf("observed %d events, history has %d", len(got), len(hist))
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("event %d observed out of order: %v", i, got)
		}
	}
}
