package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

const smARN = "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline"

// fakeSFN behaves like Step Functions for StartExecution: a name that was
// used before answers ExecutionAlreadyExists.
type fakeSFN struct {
	mu      sync.Mutex
	started map[string]string // name -> input
	failFor string            // a key whose start fails
}

var _ StartExecutionAPI = (*fakeSFN)(nil)

func (f *fakeSFN) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor != "" && strings.Contains(aws.ToString(in.Input), f.failFor) {
		return nil, errors.New("ThrottlingException: rate exceeded")
	}
	name := aws.ToString(in.Name)
	if _, ok := f.started[name]; ok {
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists: " + name)}
	}
	f.started[name] = aws.ToString(in.Input)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn.ExecutionOf(aws.ToString(in.StateMachineArn), name))}, nil
}

func record(bucket, key, version string, size int64) events.S3EventRecord {
	return events.S3EventRecord{
		EventName: "ObjectCreated:Put",
		EventTime: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		S3: events.S3Entity{
			Bucket: events.S3Bucket{Name: bucket},
			Object: events.S3Object{Key: key, Size: size, VersionID: version, ETag: "etag-" + version, Sequencer: "00ABC"},
		},
	}
}

func newHandler(t *testing.T, f *fakeSFN) *Handler {
	t.Helper()
	cfg := NewDefaultConfig()
	cfg.StateMachineARN = smARN
	cfg.OutputBucket = "out"
	h, err := New(cfg, f, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHandleFilters(t *testing.T) {
	deleted := record("in", "uploads/a.jpg", "v1", 10)
	deleted.EventName = "ObjectRemoved:Delete"
	tests := []struct {
		name        string
		rec         events.S3EventRecord
		wantStarted bool
		wantReason  string
	}{
		{name: "plain upload", rec: record("in", "uploads/cat.jpg", "v1", 100), wantStarted: true},
		{name: "outside prefix", rec: record("in", "other/cat.jpg", "v1", 100), wantReason: "outside the upload prefix"},
		{name: "folder marker", rec: record("in", "uploads/dir/", "v1", 0), wantReason: "folder marker"},
		// A zero-byte file starts a run: validate rejects it where the uploader sees it.
		{name: "zero bytes", rec: record("in", "uploads/empty.jpg", "v1", 0), wantStarted: true},
		{name: "zero-byte folder marker deeper down", rec: record("in", "uploads/a/b/", "v2", 0), wantReason: "folder marker"},
		{name: "output bucket", rec: record("out", "uploads/cat.jpg", "v1", 100), wantReason: "output bucket"},
		{name: "output prefix in upload bucket", rec: record("in", "variants/uploads/cat.jpg/xl.jpg", "v1", 100), wantReason: "output prefix"},
		{name: "not a create", rec: deleted, wantReason: "not an ObjectCreated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSFN{started: map[string]string{}}
			res, err := newHandler(t, f).Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{tt.rec}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Started) == 1; got != tt.wantStarted {
				t.Fatalf("started = %v, want %v (result %+v)", res.Started, tt.wantStarted, res)
			}
			if tt.wantReason != "" && (len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], tt.wantReason)) {
				t.Errorf("skipped = %q, want reason %q", res.Skipped, tt.wantReason)
			}
		})
	}
}

func TestHandleDecodesKeysAndSendsReferences(t *testing.T) {
	f := &fakeSFN{started: map[string]string{}}
	ev := events.S3Event{Records: []events.S3EventRecord{record("in", "uploads/summer+photos/caf%C3%A9+%231.jpg", "v7", 2048)}}
	res, err := newHandler(t, f).Handle(context.Background(), ev)
	if err != nil || len(res.Started) != 1 {
		t.Fatalf("res %+v, err %v", res, err)
	}
	for _, input := range f.started {
		var got pipeline.ObjectRef
		if err := json.Unmarshal([]byte(input), &got); err != nil {
			t.Fatal(err)
		}
		want := pipeline.ObjectRef{Bucket: "in", Key: "uploads/summer photos/café #1.jpg", VersionID: "v7", ETag: "etag-v7",
			Size: 2048, Sequencer: "00ABC", EventTime: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
		if got != want {
			t.Errorf("input = %+v\nwant    %+v", got, want)
		}
	}
}

func TestDuplicateDeliveryStartsOneExecution(t *testing.T) {
	f := &fakeSFN{started: map[string]string{}}
	h := newHandler(t, f)
	ev := events.S3Event{Records: []events.S3EventRecord{record("in", "uploads/cat.jpg", "v1", 100)}}
	first, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("a duplicate delivery must succeed, got %v", err)
	}
	if len(f.started) != 1 {
		t.Errorf("%d executions started, want 1", len(f.started))
	}
	if first.Started[0] != second.Started[0] {
		t.Errorf("duplicate answered %q, want the first ARN %q", second.Started[0], first.Started[0])
	}
	// A new version of the same key is a new run.
	if _, err := h.Handle(context.Background(), events.S3Event{Records: []events.S3EventRecord{record("in", "uploads/cat.jpg", "v2", 100)}}); err != nil {
		t.Fatal(err)
	}
	if len(f.started) != 2 {
		t.Errorf("%d executions after a new version, want 2", len(f.started))
	}
}

func TestOneFailingRecordDoesNotLoseOthers(t *testing.T) {
	f := &fakeSFN{started: map[string]string{}, failFor: "uploads/bad.jpg"}
	ev := events.S3Event{Records: []events.S3EventRecord{
		record("in", "uploads/a.jpg", "v1", 1),
		record("in", "uploads/bad.jpg", "v1", 1),
		record("in", "uploads/%ZZ.jpg", "v1", 1), // not URL-encoded
		record("in", "uploads/b.jpg", "v1", 1),
	}}
	res, err := newHandler(t, f).Handle(context.Background(), ev)
	var rfe *RecordsFailedError
	if !errors.As(err, &rfe) || rfe.Failed != 2 || rfe.Total != 4 {
		t.Fatalf("err = %v, want RecordsFailedError 2 of 4", err)
	}
	if len(res.Started) != 2 || len(f.started) != 2 {
		t.Errorf("started %v, want a.jpg and b.jpg", res.Started)
	}
}

func TestExecutionName(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	long := strings.Repeat("ü", 200)
	refs := []pipeline.ObjectRef{
		{Bucket: "in", Key: "uploads/cat.jpg", VersionID: "v1"},
		{Bucket: "in", Key: "uploads/cat.jpg", VersionID: "v2"},
		{Bucket: "in", Key: "uploads/cat.jpg", Sequencer: "0055AED6DCD90281E5"},
		{Bucket: "in", Key: "uploads/cat.jpg", Sequencer: "0055AED6DCD90281E6"},
		{Bucket: "in2", Key: "uploads/cat.jpg", VersionID: "v1"},
		{Bucket: "in", Key: "uploads/" + long + ".jpg", VersionID: "v1"},
		{Bucket: "in", Key: "uploads/...", VersionID: "v1"},
		{Bucket: "in", Key: "uploads/a b:c*?.jpg", VersionID: "v1"},
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		name := ExecutionName(ref)
		if !valid.MatchString(name) {
			t.Errorf("ExecutionName(%+v) = %q: not a valid execution name", ref, name)
		}
		if name != ExecutionName(ref) {
			t.Errorf("ExecutionName(%+v) is not deterministic", ref)
		}
		if seen[name] {
			t.Errorf("ExecutionName(%+v) = %q collides", ref, name)
		}
		seen[name] = true
	}
	if got := ExecutionName(refs[0]); !strings.HasPrefix(got, "cat-") {
		t.Errorf("name %q should start with the file name", got)
	}
}
