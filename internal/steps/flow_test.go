package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
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

// invoker adapts the local Lambda service to the engine.
type invoker struct{ svc *lambda.Service }

func (i invoker) Invoke(ctx context.Context, fn string, payload []byte) (*sfn.LambdaResponse, error) {
	resp, err := i.svc.Invoke(ctx, fn, payload)
	if err != nil {
		return nil, err
	}
	return &sfn.LambdaResponse{Payload: resp.Payload, FunctionError: resp.FunctionError, ExecutedVersion: resp.ExecutedVersion, RequestID: resp.RequestID}, nil
}

type flow struct {
	engine *sfn.Engine
	def    []byte
	mem    *s3iotest.Memory
	sns    *capturedSNS
}

func newFlow(t *testing.T) *flow {
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
	v, err := validate.NewFromEnv(env, s3api, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	r, err := resize.NewFromEnv(env, s3api, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.NewFromEnv(env, s3api, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.NewFromEnv(env, topic, log)
	if err != nil {
		t.Fatal(err)
	}
	for id, h := range map[string]any{"ValidateFunction": v.Handle, "ResizeFunction": r.Handle, "StoreFunction": st.Handle, "NotifyFunction": n.Handle} {
		fn, _ := tmpl.Function(id)
		if err := svc.Register(lambda.Function{Name: fn.Name, ARN: fn.Arn, Timeout: time.Minute}, awslambda.NewHandler(h), 0); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = sfn.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	cfg.Lambda = invoker{svc}
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &flow{engine: eng, def: def, mem: mem, sns: topic}
}

func (f *flow) run(t *testing.T, key string, body []byte) (sfn.Result, pipeline.ObjectRef) {
	t.Helper()
	obj := f.mem.Add("in", key, body, "application/octet-stream")
	ref := pipeline.ObjectRef{Bucket: "in", Key: key, VersionID: obj.VersionID, ETag: strings.Trim(obj.ETag, `"`), Size: int64(len(body))}
	input, _ := json.Marshal(ref)
	x, err := f.engine.Start(context.Background(), f.def, input, sfn.StartOptions{StateMachineName: "imgflow-pipeline"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res, ref
}

func TestPipelineDefinitionWithRealHandlers(t *testing.T) {
	f := newFlow(t)

	t.Run("photo succeeds", func(t *testing.T) {
		res, _ := f.run(t, "uploads/holiday/beach.jpg", fixtures.JPEG(fixtures.Quadrants(3000, 2000), 6, true))
		if res.Status != sfn.StatusSucceeded {
			t.Fatalf("status %s: %s: %s", res.Status, res.Error, res.Cause)
		}
		want := map[string]string{"xl.jpg": "1365x2048", "lg.jpg": "683x1024", "md.jpg": "341x512", "thumb.jpg": "171x256"}
		raw, ok := f.mem.Latest("out", "variants/uploads/holiday/beach/manifest.json")
		if !ok {
			t.Fatalf("no manifest; output bucket has %v", f.mem.Keys("out"))
		}
		var m pipeline.Manifest
		if err := json.Unmarshal(raw.Body, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Variants) != 4 {
			t.Fatalf("manifest lists %d variants", len(m.Variants))
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
			for _, k := range f.mem.Keys("out") {
				if strings.Contains(k, strings.TrimSuffix(filepath.Base(tt.key), filepath.Ext(tt.key))+"/manifest") {
					t.Errorf("a failed run wrote a manifest: %s", k)
				}
			}
		})
	}
}
