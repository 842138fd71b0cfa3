package s3

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

const testRegion = "eu-west-1"

// FakeNotifier is a func-field Notifier.
type FakeNotifier struct {
	NotifyFunc func(ctx context.Context, target string, event events.S3Event) error
}

var _ Notifier = (*FakeNotifier)(nil)

func (f *FakeNotifier) Notify(ctx context.Context, target string, event events.S3Event) error {
	return f.NotifyFunc(ctx, target, event)
}

type delivery struct {
	target string
	event  events.S3Event
}

// chanNotifier returns a notifier that sends each delivery on the returned
// channel and answers with what fail returns (nil fail: success).
func chanNotifier(fail func(n int) error) (*FakeNotifier, <-chan delivery) {
	ch := make(chan delivery, 100)
	var mu sync.Mutex
	n := 0
	return &FakeNotifier{NotifyFunc: func(ctx context.Context, target string, ev events.S3Event) error {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		ch <- delivery{target, ev}
		if fail != nil {
			return fail(i)
		}
		return nil
	}}, ch
}

// fakeClock is a manually advanced Clock. Waiters registers each After call.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []fakeTimer
	waiters chan time.Duration
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC), waiters: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	c.mu.Unlock()
	c.waiters <- d
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			keep = append(keep, t)
		}
	}
	c.timers = keep
}

type testEnv struct {
	svc    *Service
	srv    *httptest.Server
	client *awss3.Client
	dir    string
	clock  *fakeClock
}

type envOpts struct {
	dir      string
	notifier Notifier
	cfg      func(*Config)
	clock    *fakeClock
}

func newEnv(t *testing.T, o envOpts) *testEnv {
	t.Helper()
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	cfg := NewDefaultConfig()
	cfg.DataDir = o.dir
	cfg.Region = testRegion
	cfg.MinPartSize = 5
	if o.cfg != nil {
		o.cfg(cfg)
	}
	var clk Clock
	if o.clock != nil {
		clk = o.clock
	}
	svc, err := New(cfg, o.notifier, nil, clk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(svc) // binds 127.0.0.1
	env := &testEnv{svc: svc, srv: srv, dir: o.dir, clock: o.clock}
	env.client = env.newClient(t, true, testRegion)
	t.Cleanup(func() { env.close(t) })
	return env
}

func (e *testEnv) close(t *testing.T) {
	t.Helper()
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
	if e.svc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.svc.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		e.svc = nil
	}
}

// newClient makes an SDK client for the env. Virtual-host clients address
// "http://<bucket>.localhost:<port>", dialled to the test server.
func (e *testEnv) newClient(t *testing.T, pathStyle bool, region string) *awss3.Client {
	t.Helper()
	addr := e.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	endpoint := e.srv.URL
	httpClient := e.srv.Client()
	if !pathStyle {
		endpoint = "http://localhost:" + port
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		httpClient = &http.Client{Transport: tr}
	}
	return awss3.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  httpClient,
	}, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = pathStyle
		o.RetryMaxAttempts = 1
	})
}

func mustCreateBucket(t *testing.T, e *testEnv, name string, versioned bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	if versioned {
		if err := e.svc.PutBucketVersioning(ctx, name, VersioningEnabled); err != nil {
			t.Fatalf("PutBucketVersioning: %v", err)
		}
	}
}

// recv waits for a delivery; the deadline only guards against hangs.
func recv(t *testing.T, ch <-chan delivery) delivery {
	t.Helper()
	select {
	case d := <-ch:
		return d
	case <-time.After(10 * time.Second):
		t.Fatalf("no delivery")
		return delivery{}
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
