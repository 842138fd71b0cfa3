package s3

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestRemovalEvents: deletes produce ObjectRemoved records as AWS sends
// them (a delete marker's creation, a permanent delete of a version or of
// an unversioned object), only to configurations subscribed to them, and
// a delete that removes nothing produces none.
func TestRemovalEvents(t *testing.T) {
	const removedFn = "arn:aws:lambda:eu-west-1:000000000000:function:cleanup"
	type step struct {
		op  string // put, delete, deleteVersion (of the put or marker numbered n), deleteObjects
		key string
		n   int
	}
	type want struct {
		name    string
		key     string
		version int // index of the step whose version id the record names; -1: none
	}
	cases := []struct {
		name      string
		versioned bool
		steps     []step
		want      []want
	}{
		{"delete marker then its removal", true,
			[]step{{"put", "in/a b.jpg", 0}, {"delete", "in/a b.jpg", 0}, {"deleteVersion", "in/a b.jpg", 1}},
			[]want{{EventDeleteMarkerCreated, "in/a+b.jpg", 1}, {EventDelete, "in/a+b.jpg", 1}}},
		{"older version removed", true,
			[]step{{"put", "in/a.jpg", 0}, {"put", "in/a.jpg", 0}, {"deleteVersion", "in/a.jpg", 0}},
			[]want{{EventDelete, "in/a.jpg", 0}}},
		{"missing version removes nothing", true,
			[]step{{"put", "in/a.jpg", 0}, {"deleteVersion", "in/a.jpg", 5}},
			nil},
		{"unversioned delete", false,
			[]step{{"put", "in/a.jpg", 0}, {"delete", "in/a.jpg", 0}, {"delete", "in/a.jpg", 0}, {"delete", "in/none.jpg", 0}},
			[]want{{EventDelete, "in/a.jpg", -1}}},
		{"DeleteObjects", true,
			[]step{{"put", "in/a.jpg", 0}, {"deleteObjects", "in/a.jpg", 0}},
			[]want{{EventDeleteMarkerCreated, "in/a.jpg", 1}}},
		{"outside the prefix", true,
			[]step{{"put", "out/a.jpg", 0}, {"delete", "out/a.jpg", 0}},
			nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{clock: newFakeClock()})
			ctx := context.Background()
			mustCreateBucket(t, e, "events", tc.versioned)
			if err := e.svc.SetNotification(ctx, "events", []LambdaConfiguration{
				{ID: "created", FunctionARN: testFn, Events: []string{"s3:ObjectCreated:*"}, Prefix: "in/"},
				{ID: "removed", FunctionARN: removedFn, Events: []string{"s3:ObjectRemoved:*"}, Prefix: "in/"},
			}); err != nil {
				t.Fatalf("SetNotification: %v", err)
			}
			versions := make([]string, len(tc.steps))
			for i, s := range tc.steps {
				switch s.op {
				case "put":
					out, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("events"), Key: aws.String(s.key), Body: strings.NewReader("x")})
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					versions[i] = aws.ToString(out.VersionId)
				case "delete":
					out, err := e.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("events"), Key: aws.String(s.key)})
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					versions[i] = aws.ToString(out.VersionId)
				case "deleteVersion":
					v := "3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY" // a version that never existed
					if s.n < i {
						v = versions[s.n]
					}
					if _, err := e.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("events"), Key: aws.String(s.key), VersionId: aws.String(v)}); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				case "deleteObjects":
					out, err := e.client.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: aws.String("events"),
						Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String(s.key)}}}})
					if err != nil || len(out.Deleted) != 1 {
						t.Fatalf("step %d: %v %+v", i, err, out)
					}
					versions[i] = aws.ToString(out.Deleted[0].DeleteMarkerVersionId)
				}
			}
			evs, err := e.svc.PendingEvents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []EventRecord
			lastSeq := ""
			for _, ev := range evs {
				r := ev.Event.Records[0]
				if strings.HasPrefix(r.EventName, "ObjectCreated:") {
					if ev.Target != testFn {
						t.Errorf("%s went to %s", r.EventName, ev.Target)
					}
					lastSeq = r.S3.Object.Sequencer
					continue
				}
				if ev.Target != removedFn {
					t.Errorf("%s went to %s", r.EventName, ev.Target)
				}
				if seq := r.S3.Object.Sequencer; seq <= lastSeq {
					t.Errorf("sequencer %q not after %q", seq, lastSeq)
				}
				lastSeq = r.S3.Object.Sequencer
				got = append(got, ev)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d removal events, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				r := got[i].Event.Records[0]
				o := r.S3.Object
				wantVersion := ""
				if w.version >= 0 {
					wantVersion = versions[w.version]
				}
				if r.EventName != w.name || o.Key != w.key || o.VersionID != wantVersion || o.Size != 0 || o.ETag != "" ||
					r.S3.ConfigurationID != "removed" || r.EventSource != "aws:s3" {
					t.Errorf("event %d = %s key %q version %q size %d etag %q config %q; want %+v (version %q)",
						i, r.EventName, o.Key, o.VersionID, o.Size, o.ETag, r.S3.ConfigurationID, w, wantVersion)
				}
				if tc.versioned && wantVersion == "" {
					t.Errorf("event %d: want a version id", i)
				}
			}
		})
	}
}
