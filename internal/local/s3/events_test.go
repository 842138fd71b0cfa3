package s3

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testFn = "arn:aws:lambda:eu-west-1:000000000000:function:trigger"

func TestEncodeEventKey(t *testing.T) {
	for _, tc := range []struct{ name, key, want string }{
		{"plain", "uploads/photo.jpg", "uploads/photo.jpg"},
		{"space", "my photo.jpg", "my+photo.jpg"},
		{"plus", "a+b.jpg", "a%2Bb.jpg"},
		{"unicode", "café/ü.png", "caf%C3%A9/%C3%BC.png"},
		{"reserved", "a=b&c?d#e%f~g*h(i)", "a%3Db%26c%3Fd%23e%25f%7Eg*h%28i%29"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := EncodeEventKey(tc.key); got != tc.want {
				t.Errorf("EncodeEventKey(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

// TestEventsProduced checks that every creation path queues the event AWS
// sends, and that filters select on the encoded key. The service has no
// notifier, so queued events stay pending and can be inspected.
func TestEventsProduced(t *testing.T) {
	clk := newFakeClock()
	e := newEnv(t, envOpts{clock: clk})
	mustCreateBucket(t, e, "events", true)
	ctx := context.Background()
	if _, err := e.client.PutBucketNotificationConfiguration(ctx, &awss3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String("events"),
		NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{
			Id: aws.String("uploads"), LambdaFunctionArn: aws.String(testFn),
			Events: []types.Event{"s3:ObjectCreated:*"},
			Filter: &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{
				{Name: types.FilterRuleNamePrefix, Value: aws.String("in/")},
				{Name: types.FilterRuleNameSuffix, Value: aws.String(".jpg")},
			}}},
		}}},
	}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
	key := "in/my photo+1 é.jpg"
	const encoded = "in/my+photo%2B1+%C3%A9.jpg"

	put := func(k string) *awss3.PutObjectOutput {
		out, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("events"), Key: aws.String(k), Body: strings.NewReader("data")})
		if err != nil {
			t.Fatalf("PutObject %q: %v", k, err)
		}
		return out
	}
	pending := func() []EventRecord {
		evs, err := e.svc.PendingEvents(ctx)
		if err != nil {
			t.Fatalf("PendingEvents: %v", err)
		}
		return evs
	}

	p1 := put(key)
	for _, k := range []string{"in/x.png", "out/x.jpg", "in.jpg"} { // filtered out
		put(k)
	}
	p2 := put(key)
	cr, err := e.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("events"), Key: aws.String("in/multi part.jpg")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	up, err := e.client.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("events"), Key: aws.String("in/multi part.jpg"),
		UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("abc")})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	comp, err := e.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String("events"), Key: aws.String("in/multi part.jpg"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: up.ETag, PartNumber: aws.Int32(1)}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	cp, err := e.client.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String("events"), Key: aws.String("in/copied+é.jpg"),
		CopySource: aws.String("events/in/my%20photo%2B1%20%C3%A9.jpg")})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}

	evs := pending()
	type want struct{ name, key, etag, version string }
	wants := []want{
		{EventPut, encoded, strings.Trim(aws.ToString(p1.ETag), `"`), aws.ToString(p1.VersionId)},
		{EventPut, encoded, strings.Trim(aws.ToString(p2.ETag), `"`), aws.ToString(p2.VersionId)},
		{EventCompleteMultipartUpload, "in/multi+part.jpg", strings.Trim(aws.ToString(comp.ETag), `"`), aws.ToString(comp.VersionId)},
		{EventCopy, "in/copied%2B%C3%A9.jpg", strings.Trim(aws.ToString(cp.CopyObjectResult.ETag), `"`), aws.ToString(cp.VersionId)},
	}
	if len(evs) != len(wants) {
		t.Fatalf("got %d pending events, want %d: %+v", len(evs), len(wants), evs)
	}
	for i, w := range wants {
		if evs[i].Target != testFn || len(evs[i].Event.Records) != 1 {
			t.Fatalf("event %d: target %q records %d", i, evs[i].Target, len(evs[i].Event.Records))
		}
		r := evs[i].Event.Records[0]
		o := r.S3.Object
		if r.EventName != w.name || o.Key != w.key || o.ETag != w.etag || o.VersionID != w.version || w.version == "" {
			t.Errorf("event %d = %s key %q etag %q version %q; want %+v", i, r.EventName, o.Key, o.ETag, o.VersionID, w)
		}
		if r.EventVersion != "2.1" || r.EventSource != "aws:s3" || r.AWSRegion != testRegion ||
			r.S3.Bucket.Name != "events" || r.S3.Bucket.Arn != "arn:aws:s3:::events" || r.S3.ConfigurationID != "uploads" ||
			!r.EventTime.Equal(clk.Now()) {
			t.Errorf("event %d envelope = %+v", i, r)
		}
	}
	s1, s2 := evs[0].Event.Records[0].S3.Object.Sequencer, evs[1].Event.Records[0].S3.Object.Sequencer
	if !regexp.MustCompile(`^[0-9A-F]+$`).MatchString(s1) || len(s1) != len(s2) || s2 <= s1 {
		t.Errorf("sequencers %q then %q: want increasing hex", s1, s2)
	}
	if evs[0].Event.Records[0].S3.Object.Size != 4 {
		t.Errorf("size = %d", evs[0].Event.Records[0].S3.Object.Size)
	}

	// Wire shape: the JSON a Lambda receives decodes back to the real key.
	raw, err := json.Marshal(evs[0].Event)
	if err != nil {
		t.Fatal(err)
	}
	var back events.S3Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Records[0].S3.Object.URLDecodedKey; got != key {
		t.Errorf("decoded key = %q, want %q", got, key)
	}
	compareGolden(t, filepath.Join("testdata", "s3", "event-put", "event.json"), normalizeEvent(t, raw))
}

// normalizeEvent replaces the random parts of an event (version IDs) so it
// can be compared with a golden file.
func normalizeEvent(t *testing.T, raw []byte) []byte {
	t.Helper()
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	for i := range ev.Records {
		ev.Records[i].S3.Object.VersionID = "VERSION_ID"
	}
	out, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update)", path, err)
	}
	var a, b any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatal(err)
	}
	wa, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	if string(wa) != string(gb) {
		t.Errorf("%s differs:\ngot  %s\nwant %s", path, got, want)
	}
}

// TestDeliveryRetries drives the dispatcher with a fake clock: failures
// back off 1s, 2s, then succeed; with fewer attempts the event is recorded
// as failed.
func TestDeliveryRetries(t *testing.T) {
	for _, tc := range []struct {
		name        string
		maxAttempts int
		failures    int
		wantFailed  int
	}{
		{"succeeds on third attempt", 5, 2, 0},
		{"gives up after two attempts", 2, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			notifier, ch := chanNotifier(func(n int) error {
				if n <= tc.failures {
					return context.DeadlineExceeded
				}
				return nil
			})
			dir := t.TempDir()
			e := newEnv(t, envOpts{dir: dir, clock: clk, notifier: notifier, cfg: func(c *Config) {
				c.Delivery.MaxAttempts = tc.maxAttempts
				c.Delivery.InitialBackoff = time.Second
				c.Delivery.MaxBackoff = time.Minute
			}})
			mustCreateBucket(t, e, "retry", false)
			ctx := context.Background()
			if err := e.svc.SetNotification(ctx, "retry", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectCreated:Put"}}}); err != nil {
				t.Fatalf("SetNotification: %v", err)
			}
			if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("retry"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			attempts := min(tc.failures+1, tc.maxAttempts)
			for i := 1; i <= attempts; i++ {
				d := recv(t, ch)
				if d.target != testFn || d.event.Records[0].S3.Object.Key != "k" {
					t.Fatalf("delivery %d = %+v", i, d)
				}
				if i < attempts {
					wait := <-clk.waiters
					if want := time.Duration(1<<(i-1)) * time.Second; wait != want {
						t.Errorf("backoff after failure %d = %v, want %v", i, wait, want)
					}
					clk.Advance(wait)
				}
			}
			e.close(t) // waits for the dispatcher to finish the last delivery
			re := newEnv(t, envOpts{dir: dir, clock: clk})
			pending, _ := re.svc.PendingEvents(ctx)
			failed, _ := re.svc.FailedEvents(ctx)
			if len(pending) != 0 || len(failed) != tc.wantFailed {
				t.Fatalf("pending %d failed %d, want 0 and %d", len(pending), len(failed), tc.wantFailed)
			}
			if tc.wantFailed > 0 && (failed[0].Attempts != tc.maxAttempts || failed[0].LastError == "") {
				t.Errorf("failed record = %+v", failed[0])
			}
		})
	}
}
