package notify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
)

type fakeSNS struct {
	PublishFunc func(ctx context.Context, in *sns.PublishInput) (*sns.PublishOutput, error)
}

var _ PublishAPI = (*fakeSNS)(nil)

func (f *fakeSNS) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return f.PublishFunc(ctx, in)
}

func newHandler(t *testing.T, f *fakeSNS) *Handler {
	t.Helper()
	h, err := New(&Config{TopicARN: "arn:aws:sns:us-east-1:123456789012:imgflow", OutputBucket: "out"}, f, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHandle(t *testing.T) {
	src := pipeline.Source{Bucket: "in", Key: "photos/cat.jpg", VersionID: "v1", Format: "jpeg", Width: 4032, Height: 3024, Bytes: 2_913_134}
	variants := []pipeline.Variant{
		{Preset: "thumb", Width: 256, Height: 192, Files: []pipeline.VariantFile{
			{Key: "variants/photos/cat/thumb.webp", Bytes: 6000, Format: "webp"}, {Key: "variants/photos/cat/thumb.jpg", Bytes: 9000, Format: "jpeg"}}},
		{Preset: "xl", Width: 2048, Height: 1536, Files: []pipeline.VariantFile{
			{Key: "variants/photos/cat/xl.webp", Bytes: 290_000, Format: "webp"}, {Key: "variants/photos/cat/xl.jpg", Bytes: 420_000, Format: "jpeg"}}},
	}
	tests := []struct {
		name        string
		req         pipeline.NotifyRequest
		wantSubject string
		wantBody    []string
		wantAttrs   map[string]string
	}{
		{
			name: "success",
			req: pipeline.NotifyRequest{Status: "SUCCEEDED", Object: src, Variants: variants,
				ManifestKey: "variants/photos/cat/manifest.json", ExecutionARN: "arn:exec:1"},
			wantSubject: "imgflow: photos/cat.jpg processed (2 variants)",
			wantBody: []string{"into 2 variants", "s3://in/photos/cat.jpg (version v1)", "JPEG, 4032x3024, 2.8 MB",
				"s3://out/variants/photos/cat/", "xl.jpg", "thumb.jpg", "2048x1536", "WEBP  283.2 KB  xl.webp", "Manifest:  s3://out/variants/photos/cat/manifest.json", "arn:exec:1"},
			wantAttrs: map[string]string{AttrStatus: "SUCCEEDED", AttrSourceKey: "photos/cat.jpg"},
		},
		{
			name: "rejected image",
			req: pipeline.NotifyRequest{Status: "FAILED", Object: pipeline.Source{Bucket: "in", Key: "photos/cat.jpg", VersionID: "v2"},
				Error: "ImageRejectedError", Cause: `{"errorMessage":"NotAnImage: invalid image: unknown format (starts with \"hello\")","errorType":"ImageRejectedError"}`},
			wantSubject: "imgflow: photos/cat.jpg FAILED: not an image",
			wantBody:    []string{"could not process photos/cat.jpg: not an image", "Upload a JPEG", "Error:   ImageRejectedError", `starts with "hello"`, "was left untouched"},
			wantAttrs:   map[string]string{AttrStatus: "FAILED", AttrSourceKey: "photos/cat.jpg", AttrReason: "NotAnImage"},
		},
		{
			name: "hand-started without a version",
			req: pipeline.NotifyRequest{Status: "FAILED", Input: []byte(`{"bucket":"in","key":"uploads/gone.jpg"}`), ExecutionARN: "arn:aws:states:us-east-1:1:execution:sm:by-hand",
				Error: "ImageRejectedError", Cause: `{"errorMessage":"SourceMissing: s3://in/uploads/gone.jpg (version \"\") no longer exists","errorType":"ImageRejectedError"}`},
			wantSubject: "imgflow: uploads/gone.jpg FAILED: original no longer exists",
			wantBody:    []string{"could not process uploads/gone.jpg", "The original s3://in/uploads/gone.jpg was left untouched", "by-hand"},
			wantAttrs:   map[string]string{AttrStatus: "FAILED", AttrSourceKey: "uploads/gone.jpg", AttrReason: "SourceMissing"},
		},
		{
			name: "input that is not an object",
			req: pipeline.NotifyRequest{Status: "FAILED", Input: []byte(`"uploads/a.jpg"`), ExecutionARN: "arn:aws:states:us-east-1:1:execution:sm:by-hand-2",
				Error: "ImageRejectedError", Cause: `{"errorMessage":"InvalidInput: the execution input is a string, not a JSON object","errorType":"ImageRejectedError"}`},
			wantSubject: "imgflow: execution by-hand-2 FAILED: invalid execution input",
			wantBody:    []string{"could not process execution by-hand-2: invalid execution input", `{"bucket"`, "is a string, not a JSON object", `Execution input: "uploads/a.jpg"`},
			wantAttrs:   map[string]string{AttrStatus: "FAILED", AttrSourceKey: "-", AttrReason: "InvalidInput"},
		},
		{
			name: "input fields of the wrong type are ignored",
			req: pipeline.NotifyRequest{Status: "FAILED", Input: []byte(`{"bucket":5,"key":"uploads/a.jpg","versionId":null}`), ExecutionARN: "arn:aws:states:us-east-1:1:execution:sm:x",
				Error: "ImageRejectedError", Cause: `{"errorMessage":"InvalidInput: field \"bucket\" of the execution input is a JSON number, not a string","errorType":"ImageRejectedError"}`},
			wantSubject: "imgflow: uploads/a.jpg FAILED: invalid execution input",
			wantBody:    []string{`Execution input: {"bucket":5`},
			wantAttrs:   map[string]string{AttrStatus: "FAILED", AttrSourceKey: "uploads/a.jpg", AttrReason: "InvalidInput"},
		},
		{
			name:        "timeout",
			req:         pipeline.NotifyRequest{Status: "FAILED", Object: pipeline.Source{Bucket: "in", Key: "a.png"}, Error: "States.Timeout", Cause: "Task timed out after 60.00 seconds"},
			wantSubject: "imgflow: a.png FAILED: timed out",
			wantBody:    []string{"Task timed out after 60.00 seconds", "Timeout and MemorySize"},
			wantAttrs:   map[string]string{AttrStatus: "FAILED", AttrSourceKey: "a.png"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *sns.PublishInput
			h := newHandler(t, &fakeSNS{PublishFunc: func(_ context.Context, in *sns.PublishInput) (*sns.PublishOutput, error) {
				got = in
				return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
			}})
			resp, err := h.Handle(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.MessageID != "m-1" {
				t.Errorf("message id = %q", resp.MessageID)
			}
			if s := aws.ToString(got.Subject); s != tt.wantSubject {
				t.Errorf("subject = %q, want %q", s, tt.wantSubject)
			}
			body := aws.ToString(got.Message)
			for _, w := range tt.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			if len(got.MessageAttributes) != len(tt.wantAttrs) {
				t.Errorf("attributes %v, want %v", got.MessageAttributes, tt.wantAttrs)
			}
			for k, v := range tt.wantAttrs {
				a := got.MessageAttributes[k]
				if aws.ToString(a.StringValue) != v || aws.ToString(a.DataType) != "String" {
					t.Errorf("attribute %s = %v, want String %q", k, a, v)
				}
			}
		})
	}
}

func TestSubjectLimits(t *testing.T) {
	tests := []struct {
		name, key string
	}{
		{name: "long key", key: "uploads/" + strings.Repeat("holiday-", 30) + "beach.jpg"},
		{name: "unicode and newline", key: "uploads/café\nnaïve.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Compose(pipeline.NotifyRequest{Status: "FAILED", Object: pipeline.Source{Key: tt.key}, Error: "States.Timeout"}, "out").Subject
			if len(s) > maxSubject {
				t.Errorf("subject has %d characters: %q", len(s), s)
			}
			for _, r := range s {
				if r < 0x20 || r > 0x7E {
					t.Fatalf("subject %q has %q, which SNS refuses", s, r)
				}
			}
			if !strings.HasSuffix(s, "FAILED: timed out") {
				t.Errorf("subject %q lost its outcome", s)
			}
		})
	}
	if s := subject("imgflow: ", "uploads/"+strings.Repeat("x", 200)+"/beach.jpg", " processed (4 variants)"); !strings.Contains(s, "beach.jpg processed") {
		t.Errorf("shortened subject %q lost the file name", s)
	}
}

func TestHandleErrors(t *testing.T) {
	h := newHandler(t, &fakeSNS{PublishFunc: func(context.Context, *sns.PublishInput) (*sns.PublishOutput, error) {
		return nil, errors.New("Throttling: Rate exceeded")
	}})
	_, err := h.Handle(context.Background(), pipeline.NotifyRequest{Status: "SUCCEEDED", Object: pipeline.Source{Key: "k"}})
	if _, ok := err.(*pipelineerr.PublishError); !ok {
		t.Errorf("publish failure: err = %T %v, want *PublishError", err, err)
	}
	_, err = h.Handle(context.Background(), pipeline.NotifyRequest{Status: "MAYBE"})
	if _, ok := err.(*pipelineerr.ConfigError); !ok {
		t.Errorf("bad status: err = %T %v, want *ConfigError", err, err)
	}
	if _, err := New(NewDefaultConfig(), nil, nil, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "TOPIC_ARN") {
		t.Errorf("New without a topic: err = %v", err)
	}
}
