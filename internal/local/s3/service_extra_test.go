package s3

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestHostBucket(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, tc := range []struct{ host, want string }{
		{"photos.localhost:4566", "photos"},
		{"photos.s3.localhost:4566", "photos"},
		{"my.dotted.bucket.localhost", "my.dotted.bucket"},
		{"localhost:4566", ""},
		{"s3.localhost:4566", ""},
		{"127.0.0.1:4566", ""},
		{"[::1]:4566", ""},
		{"example.com", ""},
	} {
		t.Run(tc.host, func(t *testing.T) {
			if got := e.svc.hostBucket(tc.host); got != tc.want {
				t.Errorf("hostBucket(%q) = %q, want %q", tc.host, got, tc.want)
			}
		})
	}
}

// TestPostUpload checks the browser-form upload path and its event name.
func TestPostUpload(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "forms", false)
	ctx := context.Background()
	if err := e.svc.SetNotification(ctx, "forms", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectCreated:Post"}}}); err != nil {
		t.Fatalf("SetNotification: %v", err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("key", "up/form file.txt")
	fw, _ := mw.CreateFormFile("file", "form file.txt")
	_, _ = fw.Write([]byte("from a form"))
	_ = mw.Close()
	req := httptest.NewRequest("POST", "/forms", &buf)
	signForTest(req, testRegion)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	e.svc.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Fatalf("POST status %d: %s", rec.Code, rec.Body)
	}
	out, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("forms"), Key: aws.String("up/form file.txt")})
	if got := getBody(t, out, err); got != "from a form" {
		t.Errorf("body %q", got)
	}
	evs, err := e.svc.PendingEvents(ctx)
	if err != nil || len(evs) != 1 || evs[0].Event.Records[0].EventName != EventPost || evs[0].Event.Records[0].S3.Object.Key != "up/form+file.txt" {
		t.Fatalf("events = %+v, %v", evs, err)
	}
}

// TestCloseBound checks that Close gives up on a delivery that outlives its
// context, and that the event is still pending afterwards.
func TestCloseBound(t *testing.T) {
	dir := t.TempDir()
	started := make(chan struct{}, 1)
	blocking := &FakeNotifier{NotifyFunc: func(ctx context.Context, _ string, _ events.S3Event) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}}
	e := newEnv(t, envOpts{dir: dir, notifier: blocking})
	mustCreateBucket(t, e, "slow", false)
	ctx := context.Background()
	if err := e.svc.SetNotification(ctx, "slow", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectCreated:*"}}}); err != nil {
		t.Fatalf("SetNotification: %v", err)
	}
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("slow"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	<-started
	e.srv.Close()
	e.srv = nil
	expired, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.svc.Close(expired); err == nil {
		t.Fatalf("Close with expired ctx: nil error, want context error")
	}
	e.svc = nil
	re := newEnv(t, envOpts{dir: dir})
	evs, err := re.svc.PendingEvents(ctx)
	if err != nil || len(evs) != 1 || evs[0].Attempts != 0 {
		t.Fatalf("pending after forced close = %+v, %v; want 1 event with 0 attempts", evs, err)
	}
}

func TestNotificationConfigValidation(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "valid", false)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		cfgs    []LambdaConfiguration
		wantErr string
	}{
		{"ok", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectCreated:*"}}}, ""},
		{"not a lambda arn", []LambdaConfiguration{{FunctionARN: "arn:aws:sqs:eu-west-1:0:q", Events: []string{"s3:ObjectCreated:*"}}}, "InvalidArgument"},
		{"unknown event", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectCreated:Nope"}}}, "InvalidArgument"},
		{"removal events", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectRemoved:*"}}}, ""},
		{"restore events", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectRestore:*"}}}, "NotImplemented"},
		{"duplicate ids", []LambdaConfiguration{{ID: "a", FunctionARN: testFn, Events: []string{"s3:ObjectCreated:*"}}, {ID: "a", FunctionARN: testFn, Events: []string{"s3:ObjectCreated:Put"}}}, "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.SetNotification(ctx, "valid", tc.cfgs)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("SetNotification: %v", err)
				}
				got, err := e.svc.Notification(ctx, "valid")
				if err != nil || len(got) != 1 || got[0].ID == "" {
					t.Fatalf("Notification = %+v, %v (want a generated ID)", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %s", err, tc.wantErr)
			}
		})
	}
	if err := e.svc.SetNotification(ctx, "no-such-bucket", nil); err == nil {
		t.Errorf("SetNotification on a missing bucket: nil error")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*Config)
		wantErr bool
	}{
		{"defaults with data dir", func(c *Config) {}, false},
		{"no data dir", func(c *Config) { c.DataDir = "" }, true},
		{"no region", func(c *Config) { c.Region = "" }, true},
		{"zero max object", func(c *Config) { c.MaxObjectSize = 0 }, true},
		{"base with port", func(c *Config) { c.HostBucketBases = []string{"localhost:4566"} }, true},
		{"backoff order", func(c *Config) { c.Delivery.MaxBackoff = c.Delivery.InitialBackoff / 2 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewDefaultConfig()
			c.DataDir = t.TempDir()
			tc.mutate(c)
			if err := c.Validate(); (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}
