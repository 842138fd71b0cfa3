package validate

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

// TestReprocessSkip: a reprocess skips an object whose manifest names its
// current version and the current presets, and plans every other one (or
// every one, forced), reading nothing of a skipped object but its HEAD.
func TestReprocessSkip(t *testing.T) {
	const key = "uploads/photo.jpg"
	manifestKey := pipeline.ManifestKey("variants", key)
	type manifestOf func(h *Handler, cur pipeline.ManifestSource) any
	current := func(h *Handler, cur pipeline.ManifestSource) any {
		return pipeline.Manifest{Version: 4, OutputScheme: pipeline.OutputScheme, PresetsDigest: h.digest, Source: cur}
	}
	cases := []struct {
		name      string
		manifest  manifestOf // nil: none stored
		raw       string     // stored as is instead, when set
		reprocess bool
		force     bool
		wantSkip  bool
	}{
		{"current manifest", current, "", true, false, true},
		{"current manifest, forced", current, "", true, true, false},
		{"current manifest, not a reprocess", current, "", false, false, false},
		{"no manifest", nil, "", true, false, false},
		{"presets changed", func(h *Handler, cur pipeline.ManifestSource) any {
			return pipeline.Manifest{Version: 4, OutputScheme: pipeline.OutputScheme, PresetsDigest: "sha256:old", Source: cur}
		}, "", true, false, false},
		{"older source version", func(h *Handler, cur pipeline.ManifestSource) any {
			cur.VersionID = "v0"
			return pipeline.Manifest{Version: 4, OutputScheme: pipeline.OutputScheme, PresetsDigest: h.digest, Source: cur}
		}, "", true, false, false},
		{"version 3 manifest", func(h *Handler, cur pipeline.ManifestSource) any {
			return pipeline.Manifest{Version: 3, OutputScheme: pipeline.OutputScheme, Source: cur}
		}, "", true, false, false},
		{"unreadable manifest", nil, "{not json", true, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, mem := newHandler(t, nil)
			obj := mem.Add("in", key, fixtures.JPEG(fixtures.Quadrants(400, 300), 1, false), "image/jpeg")
			cur := pipeline.ManifestSource{Bucket: "in", Key: key, VersionID: obj.VersionID, ETag: obj.ETag}
			switch {
			case tc.raw != "":
				mem.Add("out", manifestKey, []byte(tc.raw), "application/json")
			case tc.manifest != nil:
				b, err := json.Marshal(tc.manifest(h, cur))
				if err != nil {
					t.Fatal(err)
				}
				mem.Add("out", manifestKey, b, "application/json")
			}
			mem.Calls = nil
			resp, err := h.Handle(context.Background(), pipeline.ValidateRequest{
				Object: pipeline.ObjectRef{Bucket: "in", Key: key}, Reprocess: tc.reprocess, Force: tc.force})
			if err != nil {
				t.Fatal(err)
			}
			if (resp.Skip != "") != tc.wantSkip {
				t.Fatalf("skip = %q, want skipped %v", resp.Skip, tc.wantSkip)
			}
			if resp.PresetsDigest != h.digest || !strings.HasPrefix(h.digest, "sha256:") {
				t.Errorf("presets digest %q, want %q", resp.PresetsDigest, h.digest)
			}
			if resp.Source.VersionID != obj.VersionID || resp.Source.ETag != obj.ETag {
				t.Errorf("source %+v, want version %s", resp.Source, obj.VersionID)
			}
			if tc.wantSkip {
				if len(resp.Variants) != 0 {
					t.Errorf("skipped with %d items", len(resp.Variants))
				}
				for _, c := range mem.Calls {
					if strings.HasPrefix(c, "GET in/") {
						t.Errorf("skipped object read: %s", c)
					}
				}
				// The payload has the fields the state machine selects.
				b, _ := json.Marshal(resp)
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil || m["skip"] == nil || m["variants"] == nil || m["presetsDigest"] == nil {
					t.Errorf("payload %s", b)
				}
				return
			}
			if len(resp.Variants) != 1 {
				t.Errorf("%d Map items, want 1", len(resp.Variants))
			}
		})
	}
}

// TestReprocessFolderMarker: a listing's folder marker is skipped, forced
// or not, without a request.
func TestReprocessFolderMarker(t *testing.T) {
	for _, force := range []bool{false, true} {
		h, mem := newHandler(t, nil)
		resp, err := h.Handle(context.Background(), pipeline.ValidateRequest{
			Object: pipeline.ObjectRef{Bucket: "in", Key: "uploads/sub/"}, Reprocess: true, Force: force})
		if err != nil || resp.Skip != "folder marker" || len(mem.Calls) != 0 {
			t.Errorf("force %v: %+v, %v, calls %q", force, resp, err, mem.Calls)
		}
	}
}

// TestReprocessManifestReadFails: S3 trouble reading the manifest is a
// StorageError (retried), not a reason to reprocess or to skip.
func TestReprocessManifestReadFails(t *testing.T) {
	mem, fake := s3iotest.NewMemory()
	mem.Add("in", "uploads/a.jpg", fixtures.JPEG(fixtures.Quadrants(40, 30), 1, false), "image/jpeg")
	get := fake.GetObjectFunc
	fake.GetObjectFunc = func(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
		if *in.Bucket == "out" {
			return nil, errors.New("503 SlowDown")
		}
		return get(ctx, in)
	}
	cfg := NewDefaultConfig()
	cfg.OutputBucket, cfg.PresetsFile = "out", presetsFile
	h, err := New(cfg, fake, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Handle(context.Background(), pipeline.ValidateRequest{Object: pipeline.ObjectRef{Bucket: "in", Key: "uploads/a.jpg"}, Reprocess: true})
	var se *pipelineerr.StorageError
	if !errors.As(err, &se) || se.Op != "get" {
		t.Fatalf("err = %v, want a StorageError of get", err)
	}
}
