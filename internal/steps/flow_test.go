package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/lambda"
	"github.com/imgflow/imgflow/internal/samtemplate"
	"github.com/imgflow/imgflow/internal/sfn"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/internal/steps/resize"
	"github.com/imgflow/imgflow/internal/steps/store"
	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

// This test runs statemachine/pipeline.asl.json, as template.yaml
// substitutes it, on the Step Functions engine with the real handlers
// behind Lambda's invocation semantics: it proves the data contract between
// the definition and the handlers (paths, payload shapes, error names)
// without a network.

type capturedSNS struct {
	mu   sync.Mutex
	msgs []*sns.PublishInput
}

func (c *capturedSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, in)
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprintf("m-%d", len(c.msgs)))}, nil
}

// invoker adapts the local Lambda service to the engine. A test can make
// it fail invocations first, as Lambda's throttling does.
type invoker struct {
	svc *lambda.Service

	mu       sync.Mutex
	throttle func(fn string, payload []byte) error // nil: invoke
	calls    map[string]int                        // invocations by function name
}

// resizes returns how many times Resize was invoked so far.
func (i *invoker) resizes() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := 0
	for fn, c := range i.calls {
		if strings.Contains(fn, "Resize") {
			n += c
		}
	}
	return n
}

func (i *invoker) setThrottle(fn func(fn string, payload []byte) error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.throttle = fn
}

func (i *invoker) Invoke(ctx context.Context, fn string, payload []byte) (*sfn.LambdaResponse, error) {
	i.mu.Lock()
	throttle := i.throttle
	if i.calls == nil {
		i.calls = map[string]int{}
	}
	i.calls[fn]++
	i.mu.Unlock()
	if throttle != nil {
		if err := throttle(fn, payload); err != nil {
			return nil, err
		}
	}
	resp, err := i.svc.Invoke(ctx, fn, payload)
	if err != nil {
		return nil, err
	}
	return &sfn.LambdaResponse{Payload: resp.Payload, FunctionError: resp.FunctionError, ExecutedVersion: resp.ExecutedVersion, RequestID: resp.RequestID}, nil
}

type flow struct {
	engine  *sfn.Engine
	def     []byte
	mem     *s3iotest.Memory
	sns     *capturedSNS
	invoker *invoker
}

func newFlow(t *testing.T) *flow { return newFlowValidating(t, nil) }

// newFlowValidating is newFlow with validate's response changed by edit
// (nil: as it is), to run the state machine on payloads of another shape.
func newFlowValidating(t *testing.T, edit func(pipeline.ValidateResponse) pipeline.ValidateResponse) *flow {
	t.Helper()
	tmpl, err := samtemplate.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sm, ok := tmpl.StateMachine("ImagePipeline")
	if !ok {
		t.Fatal("no ImagePipeline in template.yaml")
	}
	def, err := sm.Definition()
	if err != nil {
		t.Fatal(err)
	}
	mem, s3api := s3iotest.NewMemory()
	topic := &capturedSNS{}
	env := envconfig.Map(map[string]string{
		"OUTPUT_BUCKET": "out", "OUTPUT_PREFIX": "variants", "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:imgflow",
		"IMGFLOW_PRESETS_FILE": filepath.Join("..", "..", "layers", "common", "assets", "presets.json"),
	})
	svc, err := lambda.New(lambda.NewDefaultConfig(), nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	log := zap.NewNop()
	validateCfg, err := validate.Step.Config(env)
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(validateCfg, s3api, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	resizeCfg, err := resize.Step.Config(env)
	if err != nil {
		t.Fatal(err)
	}
	r, err := resize.New(resizeCfg, s3api, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	storeCfg, err := store.Step.Config(env)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(storeCfg, s3api, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	notifyCfg, err := notify.Step.Config(env)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notifyCfg, topic, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	validateHandle := v.Handle
	if edit != nil {
		validateHandle = func(ctx context.Context, req pipeline.ValidateRequest) (pipeline.ValidateResponse, error) {
			resp, err := v.Handle(ctx, req)
			return edit(resp), err
		}
	}
	for id, h := range map[string]any{"ValidateFunction": validateHandle, "ResizeFunction": r.Handle, "StoreFunction": st.Handle, "NotifyFunction": n.Handle} {
		fn, _ := tmpl.Function(id)
		if err := svc.Register(lambda.Function{Name: fn.Name, ARN: fn.Arn, Timeout: time.Minute}, lambdamain.ConcurrentHandler(h), 0); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = sfn.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	inv := &invoker{svc: svc}
	cfg.Lambda = inv
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &flow{engine: eng, def: def, mem: mem, sns: topic, invoker: inv}
}

func (f *flow) run(t *testing.T, key string, body []byte) (sfn.Result, pipeline.ObjectRef) {
	t.Helper()
	obj := f.mem.Add("in", key, body, "application/octet-stream")
	ref := pipeline.ObjectRef{Bucket: "in", Key: key, VersionID: obj.VersionID, ETag: strings.Trim(obj.ETag, `"`), Size: int64(len(body))}
	input, _ := json.Marshal(ref)
	return f.start(t, "", string(input)), ref
}

// start runs one execution with input as given, as StartExecution would.
func (f *flow) start(t *testing.T, name, input string) sfn.Result {
	t.Helper()
	x, err := f.engine.Start(context.Background(), f.def, []byte(input), sfn.StartOptions{Name: name, StateMachineName: "imgflow-pipeline"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// published returns the notifications published since the first before.
func (f *flow) published(before int) []*sns.PublishInput {
	f.sns.mu.Lock()
	defer f.sns.mu.Unlock()
	return append([]*sns.PublishInput(nil), f.sns.msgs[before:]...)
}

func (f *flow) count() int {
	f.sns.mu.Lock()
	defer f.sns.mu.Unlock()
	return len(f.sns.msgs)
}

func TestPipelineDefinitionWithRealHandlers(t *testing.T) {
	f := newFlow(t)

	t.Run("photo succeeds", func(t *testing.T) {
		res, _ := f.run(t, "uploads/holiday/beach.jpg", fixtures.JPEG(fixtures.Quadrants(3000, 2000), 6, true))
		if res.Status != sfn.StatusSucceeded {
			t.Fatalf("status %s: %s: %s", res.Status, res.Error, res.Cause)
		}
		want := map[string]string{"xl.jpg": "1365x2048", "lg.jpg": "683x1024", "md.jpg": "341x512", "thumb.jpg": "171x256",
			"xl.webp": "1365x2048", "lg.webp": "683x1024", "md.webp": "341x512", "thumb.webp": "171x256"}
		raw, ok := f.mem.Latest("out", "variants/uploads/holiday/beach.jpg/manifest.json")
		if !ok {
			t.Fatalf("no manifest; output bucket has %v", f.mem.Keys("out"))
		}
		var m pipeline.Manifest
		if err := json.Unmarshal(raw.Body, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Variants) != 8 {
			t.Fatalf("manifest lists %d files, want 4 sizes in WebP and JPEG", len(m.Variants))
		}
		for _, v := range m.Variants {
			if got := fmt.Sprintf("%dx%d", v.Width, v.Height); want[v.Name] != got {
				t.Errorf("%s is %s, want %s", v.Name, got, want[v.Name])
			}
			if _, ok := f.mem.Latest("out", v.Key); !ok {
				t.Errorf("variant %s listed but not stored", v.Key)
			}
		}
		if !strings.HasPrefix(m.ExecutionARN, "arn:aws:states:") || m.Srcset == "" || m.Placeholder.ThumbHash == "" {
			t.Errorf("manifest misses execution, srcset or placeholder: %+v", m)
		}
		last := f.sns.msgs[len(f.sns.msgs)-1]
		if s := aws.ToString(last.Subject); s != "imgflow: uploads/holiday/beach.jpg processed (4 variants)" {
			t.Errorf("subject %q", s)
		}
	})

	tests := []struct {
		name, key string
		body      []byte
		wantCause string
		wantSubj  string
	}{
		{name: "text named .jpg", key: "uploads/notes.jpg", body: []byte("these are my notes, not a photo\n"),
			wantCause: "NotAnImage", wantSubj: "imgflow: uploads/notes.jpg FAILED: not an image"},
		{name: "truncated jpeg", key: "uploads/cut.jpg", body: fixtures.Truncated(fixtures.JPEG(fixtures.Quadrants(600, 400), 0, false), 3000),
			wantCause: "CorruptImage", wantSubj: "imgflow: uploads/cut.jpg FAILED: corrupt image"},
		{name: "bomb header", key: "uploads/bomb.png", body: fixtures.PNGHeader(50000, 50000),
			wantCause: "TooManyPixels", wantSubj: "imgflow: uploads/bomb.png FAILED: image dimensions too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.sns.msgs)
			res, ref := f.run(t, tt.key, tt.body)
			if res.Status != sfn.StatusFailed || res.Error != "ImageRejectedError" || !strings.Contains(res.Cause, tt.wantCause) {
				t.Fatalf("got %s %s %q, want FAILED ImageRejectedError with %s", res.Status, res.Error, res.Cause, tt.wantCause)
			}
			if len(f.sns.msgs) != before+1 {
				t.Fatalf("%d notifications, want one failure email", len(f.sns.msgs)-before)
			}
			msg := f.sns.msgs[len(f.sns.msgs)-1]
			if s := aws.ToString(msg.Subject); s != tt.wantSubj {
				t.Errorf("subject %q, want %q", s, tt.wantSubj)
			}
			if aws.ToString(msg.MessageAttributes["status"].StringValue) != "FAILED" {
				t.Errorf("status attribute %v", msg.MessageAttributes["status"])
			}
			if n := f.mem.Versions(ref.Bucket, ref.Key); n != 1 {
				t.Errorf("the original has %d versions: it was modified", n)
			}
			if _, ok := f.mem.Latest("out", pipeline.ManifestKey("variants", tt.key)); ok {
				t.Errorf("a failed run wrote a manifest for %s", tt.key)
			}
		})
	}
}

// TestSourcesNeverShareOutputs uploads names that differ only in their
// extension, and keys that climb with "..": each source gets its own
// manifest and variants, and none touches another's.
func TestSourcesNeverShareOutputs(t *testing.T) {
	f := newFlow(t)
	sources := []struct {
		key  string
		body []byte
	}{
		{key: "uploads/photo.jpg", body: fixtures.JPEG(fixtures.Quadrants(900, 600), 0, false)},
		{key: "uploads/photo.png", body: fixtures.PNG(fixtures.Quadrants(600, 900))},
		{key: "uploads/photo.jpeg", body: fixtures.JPEG(fixtures.Quadrants(700, 700), 3, false)},
		{key: "uploads/secret-photo.jpg", body: fixtures.JPEG(fixtures.Quadrants(500, 400), 0, false)},
		// As a key, this names the folder of uploads/secret-photo.jpg's
		// outputs once ".." is resolved.
		{key: "uploads/../../variants/uploads/secret-photo.jpg", body: fixtures.JPEG(fixtures.Quadrants(300, 300), 0, false)},
		{key: "uploads/../../../../etc/passwd", body: fixtures.JPEG(fixtures.Quadrants(64, 64), 0, false)},
		{key: "uploads/my photo+1 100%.jpg.", body: fixtures.JPEG(fixtures.Quadrants(80, 60), 0, false)},
	}
	etags := map[string]string{} // xl variant ETag -> source key
	for _, src := range sources {
		t.Run(src.key, func(t *testing.T) {
			res, _ := f.run(t, src.key, src.body)
			if res.Status != sfn.StatusSucceeded {
				t.Fatalf("status %s: %s: %s", res.Status, res.Error, res.Cause)
			}
		})
	}
	for _, src := range sources {
		raw, ok := f.mem.Latest("out", pipeline.ManifestKey("variants", src.key))
		if !ok {
			t.Fatalf("no manifest for %s; output bucket has %v", src.key, f.mem.Keys("out"))
		}
		var m pipeline.Manifest
		if err := json.Unmarshal(raw.Body, &m); err != nil {
			t.Fatal(err)
		}
		dir := pipeline.OutputDir("variants", src.key)
		if m.Source.Key != src.key || m.Folder != dir || m.OutputScheme != pipeline.OutputScheme {
			t.Errorf("the manifest in %s describes %q in %q (%s)", dir, m.Source.Key, m.Folder, m.OutputScheme)
		}
		if n := f.mem.Versions("out", pipeline.ManifestKey("variants", src.key)); n != 1 {
			t.Errorf("%s's manifest was written %d times: another source wrote it", src.key, n)
		}
		for _, v := range m.Variants {
			if !strings.HasPrefix(v.Key, dir+"/") || strings.Contains(v.Key[len(dir)+1:], "/") {
				t.Errorf("%s's variant %s is not directly in %s", src.key, v.Key, dir)
			}
			obj, ok := f.mem.Latest("out", v.Key)
			if !ok {
				t.Errorf("variant %s listed but not stored", v.Key)
				continue
			}
			if v.Preset == "xl" {
				if other, dup := etags[obj.ETag]; dup {
					t.Errorf("%s and %s have the same xl variant (ETag %s)", src.key, other, obj.ETag)
				}
				etags[obj.ETag] = src.key
			}
		}
	}
	for _, k := range f.mem.Keys("out") {
		for _, seg := range strings.Split(k, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Errorf("output key %q has a %q segment", k, seg)
			}
		}
	}
}

// TestHandStartedExecutions starts the state machine by hand, as a user
// would from the console or the CLI, with inputs the trigger never sends.
// Every failure must end with the original typed error, after exactly one
// failure notification.
func TestHandStartedExecutions(t *testing.T) {
	f := newFlow(t)
	f.mem.Add("in", "uploads/here.jpg", fixtures.JPEG(fixtures.Quadrants(400, 300), 0, false), "image/jpeg")
	tests := []struct {
		name, input string
		execution   string // the execution's name
		wantStatus  sfn.Status
		wantError   string
		wantCause   string
		wantSubject string
	}{
		{name: "no versionId, object exists", input: `{"bucket":"in","key":"uploads/here.jpg"}`,
			wantStatus: sfn.StatusSucceeded, wantSubject: "imgflow: uploads/here.jpg processed (4 variants)"},
		{name: "no versionId, object missing", input: `{"bucket":"in","key":"uploads/gone.jpg"}`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "SourceMissing",
			wantSubject: "imgflow: uploads/gone.jpg FAILED: original no longer exists"},
		{name: "version that does not exist", input: `{"bucket":"in","key":"uploads/here.jpg","versionId":"no-such-version"}`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "SourceMissing",
			wantSubject: "imgflow: uploads/here.jpg FAILED: original no longer exists"},
		{name: "no bucket", input: `{"key":"uploads/here.jpg"}`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: uploads/here.jpg FAILED: invalid execution input"},
		{name: "extra fields, one named like the old error slot", input: `{"bucket":"in","key":"uploads/gone2.jpg","note":"by hand","error":{"Error":"x"},"validation":1}`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "SourceMissing",
			wantSubject: "imgflow: uploads/gone2.jpg FAILED: original no longer exists"},
		{name: "fields of the wrong type", input: `{"bucket":"in","key":"uploads/here.jpg","size":"big"}`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: uploads/here.jpg FAILED: invalid execution input"},
		{name: "a string", execution: "by-hand-string", input: `"uploads/here.jpg"`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: execution by-hand-string FAILED: invalid execution input"},
		{name: "an array", execution: "by-hand-array", input: `[{"bucket":"in","key":"uploads/here.jpg"}]`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: execution by-hand-array FAILED: invalid execution input"},
		{name: "a number", execution: "by-hand-number", input: `42`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: execution by-hand-number FAILED: invalid execution input"},
		{name: "null", execution: "by-hand-null", input: `null`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: execution by-hand-null FAILED: invalid execution input"},
		{name: "empty object", execution: "by-hand-empty", input: `{}`,
			wantStatus: sfn.StatusFailed, wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: execution by-hand-empty FAILED: invalid execution input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.count()
			res := f.start(t, tt.execution, tt.input)
			if res.Status != tt.wantStatus || res.Error != tt.wantError || !strings.Contains(res.Cause, tt.wantCause) {
				t.Fatalf("got %s %s %q, want %s %s with %s", res.Status, res.Error, res.Cause, tt.wantStatus, tt.wantError, tt.wantCause)
			}
			msgs := f.published(before)
			if len(msgs) != 1 {
				t.Fatalf("%d notifications, want exactly one", len(msgs))
			}
			if s := aws.ToString(msgs[0].Subject); s != tt.wantSubject {
				t.Errorf("subject %q, want %q", s, tt.wantSubject)
			}
			if tt.wantStatus == sfn.StatusFailed && !strings.Contains(aws.ToString(msgs[0].Message), "What to do") {
				t.Errorf("the failure email gives no advice:\n%s", aws.ToString(msgs[0].Message))
			}
		})
	}
}

// TestResizeSurvivesThrottling throttles every Resize invocation several
// times, as Lambda does when the function's reserved concurrency is taken,
// and then for good: the first run must succeed, the second must fail
// after a bounded number of attempts with the failure email.
func TestResizeSurvivesThrottling(t *testing.T) {
	f := newFlow(t)
	body := fixtures.JPEG(fixtures.Quadrants(300, 200), 0, false)
	tests := []struct {
		name        string
		throttles   int // per variant, before Resize is let through
		wantStatus  sfn.Status
		maxAttempts int // per variant
	}{
		{name: "throttled six times per variant", throttles: 6, wantStatus: sfn.StatusSucceeded, maxAttempts: 7},
		{name: "throttled for good", throttles: 1 << 30, wantStatus: sfn.StatusFailed, maxAttempts: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			attempts := map[string]int{}
			f.invoker.setThrottle(func(fn string, payload []byte) error {
				if !strings.Contains(fn, "Resize") {
					return nil
				}
				var req pipeline.ResizeRequest
				_ = json.Unmarshal(payload, &req)
				mu.Lock()
				defer mu.Unlock()
				attempts[req.Variant.Preset]++
				if attempts[req.Variant.Preset] <= tt.throttles {
					return &sfn.TaskError{Err: "Lambda.TooManyRequestsException", Cause: "Rate Exceeded. (Service: Lambda, Status Code: 429)"}
				}
				return nil
			})
			defer f.invoker.setThrottle(nil)
			before := f.count()
			res, _ := f.run(t, "uploads/busy-"+strings.ReplaceAll(tt.name, " ", "-")+".jpg", body)
			if res.Status != tt.wantStatus {
				t.Fatalf("status %s %s %q, want %s", res.Status, res.Error, res.Cause, tt.wantStatus)
			}
			if tt.wantStatus == sfn.StatusFailed && res.Error != "Lambda.TooManyRequestsException" {
				t.Errorf("error %s, want the throttling error itself", res.Error)
			}
			mu.Lock()
			for preset, n := range attempts {
				if n > tt.maxAttempts {
					t.Errorf("%s: %d attempts, want at most %d", preset, n, tt.maxAttempts)
				}
			}
			mu.Unlock()
			if n := len(f.published(before)); n != 1 {
				t.Errorf("%d notifications, want one", n)
			}
		})
	}
}

// TestThrottlingRetryIsBounded reads the Resize retrier for throttling from
// the definition: it must come before any other retrier that matches the
// error (the first match wins), wait long enough to outlast a burst, and
// wait at most a bounded time in all (an EXPRESS execution lasts at most
// five minutes).
func TestThrottlingRetryIsBounded(t *testing.T) {
	f := newFlow(t)
	var def struct {
		States map[string]struct {
			ItemProcessor struct {
				States map[string]struct {
					Retry []struct {
						ErrorEquals     []string
						IntervalSeconds float64
						MaxAttempts     int
						BackoffRate     float64
						MaxDelaySeconds float64
						JitterStrategy  string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(f.def, &def); err != nil {
		t.Fatal(err)
	}
	retry := def.States["ResizeVariants"].ItemProcessor.States["Resize"].Retry
	for _, r := range retry {
		if !slices.Contains(r.ErrorEquals, "Lambda.TooManyRequestsException") && !slices.Contains(r.ErrorEquals, "States.ALL") {
			continue
		}
		if len(r.ErrorEquals) != 1 || r.JitterStrategy != "FULL" {
			t.Fatalf("the first retrier matching throttling is %+v, want one of its own with FULL jitter", r)
		}
		var total, wait float64
		for i := range r.MaxAttempts {
			wait = min(r.IntervalSeconds*math.Pow(r.BackoffRate, float64(i)), r.MaxDelaySeconds)
			total += wait
		}
		if r.MaxAttempts < 8 || total < 120 || total > 180 {
			t.Errorf("%d retries waiting at most %.0f s in all: want at least 8 retries and 120 to 180 s", r.MaxAttempts, total)
		}
		return
	}
	t.Fatal("Resize does not retry Lambda.TooManyRequestsException")
}

// TestGroupedSizes runs HEIC, PNG and JPEG sources three ways: as planned
// today (one Resize for every size; a JPEG entropy-decoded once and
// reconstructed at each size's scale), with every size its own Resize as
// validate planned before groups, and with grouped items
// through the definition before it flattened groups (an execution in
// flight during the upgrade: Store and Notify read the groups). The
// variants' bytes and Content-Types, the manifest (timings, dates and
// execution aside), the execution output's variants and the email are the
// same every way; only the number of Resize invocations differs.
func TestGroupedSizes(t *testing.T) {
	heic, err := os.ReadFile(filepath.Join("..", "imaging", "heif", "testdata", "iphone-grid", "image.heic"))
	if err != nil {
		t.Fatal(err)
	}
	ungroup := func(resp pipeline.ValidateResponse) pipeline.ValidateResponse {
		var plans []pipeline.VariantPlan
		for _, it := range resp.Variants {
			plans = append(plans, it.Plans()...)
		}
		resp.Variants = plans
		return resp
	}
	grouped, perSize, inFlight := newFlow(t), newFlowValidating(t, ungroup), newFlow(t)
	inFlight.def = withoutCollectVariants(t, inFlight.def)
	tests := []struct {
		name, key   string
		body        []byte
		wantResizes int // planned today
	}{
		{name: "heic", key: "uploads/iphone.heic", body: heic, wantResizes: 1},
		{name: "png", key: "uploads/drawing.png", body: fixtures.TranslucentPNG(1200, 900), wantResizes: 1},
		{name: "jpeg", key: "uploads/photo.jpg", body: fixtures.JPEG(fixtures.Quadrants(1600, 1200), 6, false), wantResizes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type outcome struct {
				resizes  int
				manifest pipeline.Manifest
				files    map[string]string // key: Content-Type and bytes
				output   []string          // the execution output's variants
				email    string
			}
			runOn := func(f *flow) outcome {
				before, sent := f.invoker.resizes(), f.count()
				res, _ := f.run(t, tt.key, tt.body)
				if res.Status != sfn.StatusSucceeded {
					t.Fatalf("status %s: %s: %s", res.Status, res.Error, res.Cause)
				}
				var o outcome
				o.resizes = f.invoker.resizes() - before
				raw, ok := f.mem.Latest("out", pipeline.ManifestKey("variants", tt.key))
				if !ok {
					t.Fatal("no manifest")
				}
				if err := json.Unmarshal(raw.Body, &o.manifest); err != nil {
					t.Fatal(err)
				}
				o.manifest.Timings, o.manifest.CreatedAt, o.manifest.ExecutionARN = pipeline.Timings{}, "", ""
				o.files = map[string]string{}
				for _, v := range o.manifest.Variants {
					obj, ok := f.mem.Latest("out", v.Key)
					if !ok {
						t.Fatalf("%s listed, not stored", v.Key)
					}
					o.files[v.Key] = fmt.Sprintf("%s %x", obj.ContentType, obj.Body)
				}
				var out struct {
					Variants []json.RawMessage `json:"variants"`
				}
				if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
					t.Fatal(err)
				}
				for _, v := range out.Variants {
					var pv pipeline.Variant
					if err := json.Unmarshal(v, &pv); err != nil {
						t.Fatal(err)
					}
					pv.DurationMs = 0
					for i := range pv.Group {
						pv.Group[i].DurationMs = 0
					}
					b, _ := json.Marshal(pv)
					o.output = append(o.output, string(b))
				}
				msgs := f.published(sent)
				if len(msgs) != 1 {
					t.Fatalf("%d emails", len(msgs))
				}
				o.email = aws.ToString(msgs[0].Subject) + "\n" + regexp.MustCompile(`arn:aws:states:\S+`).ReplaceAllString(aws.ToString(msgs[0].Message), "ARN")
				return o
			}
			today, before, upgrading := runOn(grouped), runOn(perSize), runOn(inFlight)
			if today.resizes != tt.wantResizes || before.resizes != 4 || upgrading.resizes != tt.wantResizes {
				t.Errorf("Resize invocations: %d planned today (want %d), %d one per size (want 4), %d in flight (want %d)",
					today.resizes, tt.wantResizes, before.resizes, upgrading.resizes, tt.wantResizes)
			}
			if len(today.manifest.Variants) != 8 {
				t.Errorf("manifest lists %d files, want 8", len(today.manifest.Variants))
			}
			for name, o := range map[string]outcome{"one resize per size": before, "in flight": upgrading} {
				if a, b := mustJSON(t, today.manifest), mustJSON(t, o.manifest); a != b {
					t.Errorf("manifest differs from %s:\n%s\n%s", name, a, b)
				}
				if !maps.Equal(today.files, o.files) {
					t.Errorf("stored variants differ from %s", name)
				}
				if today.email != o.email {
					t.Errorf("email differs from %s:\n%s\n---\n%s", name, today.email, o.email)
				}
			}
			if !slices.Equal(today.output, before.output) || len(today.output) != 4 {
				t.Errorf("execution output variants\n%q\nwant one per size, as with one resize per size\n%q", today.output, before.output)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withoutCollectVariants returns the definition as it was before it
// flattened the Map's groups: ResizeVariants goes straight to Store.
func withoutCollectVariants(t *testing.T, def []byte) []byte {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(def, &d); err != nil {
		t.Fatal(err)
	}
	states := d["States"].(map[string]any)
	if _, ok := states["CollectVariants"]; !ok {
		t.Fatal("no CollectVariants state")
	}
	delete(states, "CollectVariants")
	states["ResizeVariants"].(map[string]any)["Next"] = "Store"
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
