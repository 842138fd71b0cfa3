package pipelineview

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/internal/local/console/workload"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

const (
	ours  = "arn:aws:states:us-east-1:000000000000:stateMachine:imgflow-ImagePipeline"
	other = "arn:aws:states:us-east-1:000000000000:stateMachine:other"
)

func newView(t *testing.T) *View {
	t.Helper()
	cfg := NewDefaultConfig()
	cfg.StateMachines, cfg.UploadBucket, cfg.UploadPrefix = []string{ours}, "up", "uploads/"
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSource(t *testing.T) {
	v := newView(t)
	ref := mustJSON(t, pipeline.ObjectRef{Bucket: "up", Key: "uploads/a b.jpg", VersionID: "v1", Size: 42})
	tests := []struct {
		name string
		x    workload.Execution
		want workload.Object
		ok   bool
	}{
		{name: "upload", x: workload.Execution{StateMachineARN: ours, Input: ref}, want: workload.Object{Bucket: "up", Key: "uploads/a b.jpg", VersionID: "v1", Size: 42}, ok: true},
		{name: "another state machine", x: workload.Execution{StateMachineARN: other, Input: ref}},
		{name: "input by hand", x: workload.Execution{StateMachineARN: ours, Input: `{"hello":1}`}},
		{name: "not an object", x: workload.Execution{StateMachineARN: ours, Input: `[1]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := v.Source(tc.x)
			if ok != tc.ok || got != tc.want {
				t.Errorf("Source = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// succeeded is an output as the state machine writes it: the Map's
// variants at $.variants and Store's result at $.stored.
func succeeded(t *testing.T) workload.Execution {
	out := map[string]any{
		"variants": []pipeline.Variant{
			{Preset: "web", Bucket: "out", Width: 1280, Height: 853, Files: []pipeline.VariantFile{{Key: "v/web.webp", Format: "webp", Bytes: 60}, {Key: "v/web.jpg", Format: "jpeg", Bytes: 100}}},
			{Preset: "thumb", Bucket: "out", Width: 320, Height: 213, Files: []pipeline.VariantFile{{Key: "v/thumb.webp", Format: "webp", Bytes: 6}, {Key: "v/thumb.jpg", Format: "jpeg", Bytes: 10}}},
		},
		"stored": pipeline.StoreResponse{Bucket: "out", ManifestKey: "v/manifest.json"},
	}
	return workload.Execution{StateMachineARN: ours, Status: "SUCCEEDED", Output: mustJSON(t, out)}
}

func TestThumbnail(t *testing.T) {
	v := newView(t)
	got, ok := v.Thumbnail(succeeded(t))
	if want := (workload.Object{Bucket: "out", Key: "v/thumb.webp", Size: 6}); !ok || got != want {
		t.Errorf("Thumbnail = %+v, %v; want %+v", got, ok, want)
	}
	x := succeeded(t)
	x.StateMachineARN = other
	if _, ok := v.Thumbnail(x); ok {
		t.Error("a thumbnail for another state machine's execution")
	}
}

func TestOutputs(t *testing.T) {
	v := newView(t)
	manifest := mustJSON(t, pipeline.Manifest{Version: 3, Variants: []pipeline.ManifestVariant{
		{Preset: "thumb", Key: "v/thumb.webp", Width: 320, Height: 213, Bytes: 6, Format: "webp"},
		{Preset: "thumb", Key: "v/thumb.jpg", Width: 320, Height: 213, Bytes: 10, Format: "jpeg"},
		{Preset: "web", Key: "v/web.webp", Width: 1280, Height: 853, Bytes: 60, Format: "webp"},
		{Preset: "web", Key: "v/web.jpg", Width: 1280, Height: 853, Bytes: 100, Format: "jpeg"},
	}})
	file := func(key, format string, size int64) workload.File {
		return workload.File{Object: workload.Object{Bucket: "out", Key: key, Size: size}, Format: format}
	}
	fromOutput := []workload.Variant{
		{Name: "web", Width: 1280, Height: 853, Files: []workload.File{file("v/web.webp", "webp", 60), file("v/web.jpg", "jpeg", 100)}},
		{Name: "thumb", Width: 320, Height: 213, Files: []workload.File{file("v/thumb.webp", "webp", 6), file("v/thumb.jpg", "jpeg", 10)}},
	}
	fromManifest := []workload.Variant{fromOutput[1], fromOutput[0]}
	tests := []struct {
		name         string
		read         workload.ReadFunc
		wantVariants []workload.Variant
		wantManifest bool
		wantErr      bool
	}{
		{name: "output alone", wantVariants: fromOutput},
		{name: "manifest", read: func(_ context.Context, bucket, key string, _ int64) ([]byte, error) {
			if bucket != "out" || key != "v/manifest.json" {
				t.Errorf("read s3://%s/%s", bucket, key)
			}
			return []byte(manifest), nil
		}, wantVariants: fromManifest, wantManifest: true},
		{name: "manifest unreadable", read: func(context.Context, string, string, int64) ([]byte, error) {
			return nil, errors.New("NoSuchKey")
		}, wantVariants: fromOutput, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Outputs(context.Background(), succeeded(t), tc.read)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(got.Variants, tc.wantVariants) {
				t.Errorf("variants = %+v\nwant %+v", got.Variants, tc.wantVariants)
			}
			if (got.Manifest != nil) != tc.wantManifest {
				t.Fatalf("manifest = %v", got.Manifest)
			}
			if got.Manifest != nil && (got.Manifest.Key != "v/manifest.json" || string(got.Manifest.Body) != manifest) {
				t.Errorf("manifest = %+v", got.Manifest.Object)
			}
		})
	}
}

// TestFailure: only a rejected upload refuses a redrive; failures that may
// pass (S3 or SNS down, a timeout, a misconfigured function once fixed)
// keep it.
func TestFailure(t *testing.T) {
	v := newView(t)
	lambdaErr := func(typ, msg string) string {
		return mustJSON(t, map[string]string{"errorType": typ, "errorMessage": msg})
	}
	tests := []struct {
		name, sm, err, cause string
		reason, summary      string
		noRedrive            bool
	}{
		{name: "rejected", sm: ours, err: "ImageRejectedError", cause: lambdaErr("ImageRejectedError", "EmptyObject: 0 bytes"),
			reason: "EmptyObject", summary: "empty file", noRedrive: true},
		{name: "storage", sm: ours, err: "StorageError", cause: lambdaErr("StorageError", "GetObject s3://up/k: 503"), summary: "storage unavailable"},
		{name: "config", sm: ours, err: "ConfigError", cause: lambdaErr("ConfigError", "configuration: OUTPUT_BUCKET"), summary: "deployment misconfigured"},
		{name: "timeout", sm: ours, err: "States.Timeout", cause: "Task timed out", summary: "timed out"},
		{name: "another state machine", sm: other, err: "ImageRejectedError", cause: lambdaErr("ImageRejectedError", "EmptyObject: 0 bytes")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := v.Failure(workload.Execution{StateMachineARN: tc.sm, Status: "FAILED", Error: tc.err, Cause: tc.cause})
			if f.Reason != tc.reason || f.Summary != tc.summary {
				t.Errorf("Failure = %+v, want reason %q summary %q", f, tc.reason, tc.summary)
			}
			if (f.NoRedrive != "") != tc.noRedrive {
				t.Errorf("NoRedrive = %q, want set: %v", f.NoRedrive, tc.noRedrive)
			}
			if tc.noRedrive && !strings.Contains(f.NoRedrive, "ImageRejectedError") {
				t.Errorf("NoRedrive = %q does not name the error", f.NoRedrive)
			}
		})
	}
}
