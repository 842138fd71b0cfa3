package sns

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// mailpit is a running mailpit (github.com/axllent/mailpit) on loopback.
type mailpit struct {
	smtpAddr string
	apiURL   string
}

// mailpitBin finds mailpit: $MAILPIT_BIN, then PATH. Install it with
// `go install github.com/axllent/mailpit@v1.33.1` (lands in $(go env GOPATH)/bin).
func mailpitBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MAILPIT_BIN"); p != "" {
		return p
	}
	p, err := exec.LookPath("mailpit")
	if err != nil {
		t.Skip("mailpit not installed; set MAILPIT_BIN or put mailpit on PATH")
	}
	return p
}

func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startMailpit runs mailpit and returns once its log says both SMTP and
// HTTP listen.
func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	bin := mailpitBin(t)
	smtpAddr, httpAddr := freeLoopbackPort(t), freeLoopbackPort(t)
	cmd := exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr,
		"--database", filepath.Join(t.TempDir(), "mailpit.db"), "--disable-version-check")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	ready := make(chan struct{})
	var logMu sync.Mutex
	var logLines []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned: cleanup waits after the process exits and the pipe closes
		defer wg.Done()
		smtpUp, httpUp, signalled := false, false, false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			logLines = append(logLines, line)
			logMu.Unlock()
			smtpUp = smtpUp || strings.Contains(line, "[smtpd] starting on")
			httpUp = httpUp || strings.Contains(line, "[http] accessible via")
			if smtpUp && httpUp && !signalled {
				close(ready)
				signalled = true
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		wg.Wait()
	})
	select {
	case <-ready:
	case <-time.After(failsafe):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("mailpit did not start:\n%s", strings.Join(logLines, "\n"))
	}
	return &mailpit{smtpAddr: smtpAddr, apiURL: "http://" + httpAddr}
}

type mailpitMessage struct {
	ID      string
	Subject string
	Text    string
	To      []struct{ Address string }
	From    struct{ Name, Address string }
}

func (m *mailpit) get(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(m.apiURL + path)
	if err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit API %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
}

// find returns the newest message with subject; mailpit stores a message
// before it answers the SMTP DATA, so a finished delivery is searchable.
func (m *mailpit) find(t *testing.T, subject string) mailpitMessage {
	t.Helper()
	var list struct{ Messages []mailpitMessage }
	m.get(t, "/api/v1/search?query="+url.QueryEscape(fmt.Sprintf("subject:%q", subject)), &list)
	if len(list.Messages) == 0 {
		t.Fatalf("mailpit has no message with subject %q", subject)
	}
	var full mailpitMessage
	m.get(t, "/api/v1/message/"+list.Messages[0].ID, &full)
	return full
}

func TestMailpitIntegration(t *testing.T) {
	mp := startMailpit(t)
	h := newHarness(t, withSMTP(mp.smtpAddr))
	ctx := context.Background()
	arn, err := h.svc.CreateTopic(ctx, "mailpit")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Subscribe(ctx, arn, "email", "ops@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if d := h.waitDelivery(); d.Status != DeliveryDelivered {
		t.Fatalf("confirmation delivery %+v", d)
	}
	conf := mp.find(t, "AWS Notification - Subscription Confirmation")
	if len(conf.To) != 1 || conf.To[0].Address != "ops@example.com" {
		t.Fatalf("confirmation to %+v", conf.To)
	}
	link := confirmLinkRE.FindString(conf.Text)
	if code, body := openLink(t, link, ""); code != http.StatusOK {
		t.Fatalf("confirm link %q: %d %s", link, code, body)
	}
	if _, err := h.svc.Publish(ctx, PublishInput{TopicARN: arn, Subject: "imgflow: cat.jpg FAILED: too large", Message: "Processing failed.",
		MessageAttributes: map[string]MessageAttribute{"status": {DataType: "String", StringValue: "FAILED"}}}); err != nil {
		t.Fatal(err)
	}
	if d := h.waitDelivery(); d.Status != DeliveryDelivered {
		t.Fatalf("notification delivery %+v", d)
	}
	msg := mp.find(t, "imgflow: cat.jpg FAILED: too large")
	if !strings.HasPrefix(strings.ReplaceAll(msg.Text, "\r\n", "\n"), "Processing failed.\n\n--\n") || msg.From.Address != h.svc.cfg.From {
		t.Fatalf("mailpit message from %+v:\n%s", msg.From, msg.Text)
	}
}
