package sns

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/imgflow/imgflow/internal/sfn"
)

// The stack can hand the engine's clock to SNS.
var (
	_ Clock = sfn.RealClock{}
	_ Clock = (*sfn.FakeClock)(nil)
	_ Clock = (*fakeClock)(nil)
)

// failsafe bounds every wait on a channel so a broken test fails instead
// of hanging; nothing waits on it in a passing run.
const failsafe = 20 * time.Second

var testEpoch = time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)

// fakeClock advances instantly on Sleep and records the waits.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: testEpoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// blockingClock's Sleep waits for ctx: a retry that never comes until shutdown.
type blockingClock struct{ fakeClock }

func (c *blockingClock) Sleep(ctx context.Context, d time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// harness is a Service behind an httptest server with an SDK client.
type harness struct {
	t      *testing.T
	svc    *Service
	srv    *httptest.Server
	client *awssns.Client
	clock  *fakeClock
	done   chan Delivery // every delivery reaching a final status
}

type harnessOpt func(*Config, *Deps)

func withSMTP(addr string) harnessOpt { return func(c *Config, _ *Deps) { c.SMTPAddr = addr } }
func withAutoConfirm() harnessOpt     { return func(c *Config, _ *Deps) { c.AutoConfirm = true } }
func withDataDir(dir string) harnessOpt {
	return func(c *Config, _ *Deps) { c.DataDir = dir }
}
func withClock(clk Clock) harnessOpt { return func(_ *Config, d *Deps) { d.Clock = clk } }

// newHarness starts a service; the httptest server's URL is its Endpoint.
func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), done: make(chan Delivery, 64)}
	var handler http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		defer hmu.RUnlock()
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	cfg := NewDefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Endpoint = h.srv.URL
	deps := Deps{Clock: h.clock, OnDelivery: func(d Delivery) { h.done <- d }}
	for _, o := range opts {
		o(cfg, &deps)
	}
	svc, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		defer cancel()
		svc.Close(ctx)
	})
	hmu.Lock()
	handler = svc
	hmu.Unlock()
	h.svc = svc
	h.client = newSDKClient(h.srv.URL, "us-east-1")
	return h
}

func newSDKClient(endpoint, region string) *awssns.Client {
	return awssns.NewFromConfig(aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		RetryMaxAttempts: 1,
	}, func(o *awssns.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// waitDelivery returns the next delivery that reached a final status.
func (h *harness) waitDelivery() Delivery {
	h.t.Helper()
	select {
	case d := <-h.done:
		return d
	case <-time.After(failsafe):
		h.t.Fatalf("no delivery finished within %v", failsafe)
		return Delivery{}
	}
}

// receivedMail is one message the SMTP peer accepted, decoded.
type receivedMail struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string
	Body    string
}

// smtpPeer is a minimal SMTP server on loopback that records messages: a
// test peer speaking the protocol, not a mock of our code.
type smtpPeer struct {
	ln       net.Listener
	msgs     chan receivedMail
	failNext atomic.Int32 // reply 451 to the next N DATA commands
	wg       sync.WaitGroup
}

func startSMTPPeer(t *testing.T) *smtpPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &smtpPeer{ln: ln, msgs: make(chan receivedMail, 64)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(t, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

func (p *smtpPeer) Addr() string { return p.ln.Addr().String() }

func (p *smtpPeer) serve(t *testing.T, c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(failsafe))
	r := textproto.NewReader(bufio.NewReader(c))
	w := bufio.NewWriter(c)
	reply := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
	reply("220 localhost ESMTP test peer")
	var from string
	var to []string
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			reply("250 localhost")
		case "MAIL":
			from, to = strings.Trim(strings.TrimPrefix(line[5:], "FROM:"), "<> "), nil
			reply("250 OK")
		case "RCPT":
			to = append(to, strings.Trim(strings.TrimPrefix(line[5:], "TO:"), "<> "))
			reply("250 OK")
		case "DATA":
			reply("354 go ahead")
			data, err := r.ReadDotBytes()
			if err != nil {
				return
			}
			if p.failNext.Load() > 0 {
				p.failNext.Add(-1)
				reply("451 try again later")
				continue
			}
			m, err := decodeMail(from, to, data)
			if err != nil {
				t.Errorf("smtp peer: bad message: %v", err)
				reply("554 bad message")
				continue
			}
			p.msgs <- m
			reply("250 OK queued")
		case "RSET", "NOOP":
			reply("250 OK")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func decodeMail(from string, to []string, data []byte) (receivedMail, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return receivedMail{}, err
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return receivedMail{}, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return receivedMail{}, err
	}
	return receivedMail{From: from, To: to, Header: m.Header, Subject: subject,
		Body: strings.ReplaceAll(string(b), "\r\n", "\n")}, nil
}

func (p *smtpPeer) next(t *testing.T) receivedMail {
	t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-time.After(failsafe):
		t.Fatalf("no email within %v", failsafe)
		return receivedMail{}
	}
}

// httpPeer is an http subscriber endpoint that records requests.
type httpPeer struct {
	srv    *httptest.Server
	reqs   chan recordedRequest
	status func(n int) int // status for the n-th request (1-based)
	count  atomic.Int32
}

type recordedRequest struct {
	Header http.Header
	Body   string
}

func startHTTPPeer(t *testing.T, status func(n int) int) *httpPeer {
	t.Helper()
	p := &httpPeer{reqs: make(chan recordedRequest, 64), status: status}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n := int(p.count.Add(1))
		code := http.StatusOK
		if p.status != nil {
			code = p.status(n)
		}
		p.reqs <- recordedRequest{Header: r.Header.Clone(), Body: string(b)}
		w.WriteHeader(code)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *httpPeer) next(t *testing.T) recordedRequest {
	t.Helper()
	select {
	case r := <-p.reqs:
		return r
	case <-time.After(failsafe):
		t.Fatalf("no http delivery within %v", failsafe)
		return recordedRequest{}
	}
}
