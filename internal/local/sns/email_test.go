package sns

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
)

// rawLines returns the body lines of a raw message as they are on the wire
// (CRLF removed), failing on any line longer than RFC 5322 allows.
func rawLines(t *testing.T, raw []byte) (*mail.Message, []string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, raw)
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if len(line) > maxLineOctets {
			t.Errorf("a body line of %d octets, over RFC 5322's %d", len(line), maxLineOctets)
		}
		lines = append(lines, line)
	}
	m.Body = bytes.NewReader(body)
	return m, lines
}

// TestConfirmationLinkIsOneLine reads the confirmation email as the
// mailbox keeps it (the .eml file) and pastes its link: the link is one
// line of the raw message, exactly the SubscribeURL, with no
// quoted-printable escapes or soft line breaks, and it confirms.
func TestConfirmationLinkIsOneLine(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withDataDir(dir))
	ctx := context.Background()
	arn := mustCreateTopic(t, h.client, "imgflow-ImagePipelineNotifications-0123456789AB", nil)
	if _, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("me@example.com")}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	d := h.waitDelivery()
	raw, err := os.ReadFile(filepath.Join(dir, "mailbox", d.ID+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	m, lines := rawLines(t, raw)
	if got := m.Header.Get("Content-Transfer-Encoding"); got != cte7Bit {
		t.Errorf("Content-Transfer-Encoding %q, want %q", got, cte7Bit)
	}
	var link string
	for _, l := range lines {
		if strings.HasPrefix(l, "http") {
			link = l
		}
	}
	if !strings.HasPrefix(link, h.srv.URL+"/?Action=ConfirmSubscription&TopicArn=") || strings.Contains(link, "=3D") || strings.HasSuffix(link, "=") {
		t.Fatalf("the link line is %q; raw message:\n%s", link, raw)
	}
	if want := confirmLinkRE.FindString(d.Body); link != want {
		t.Fatalf("the raw line %q is not the SubscribeURL %q", link, want)
	}
	if code, body := openLink(t, link, ""); code != http.StatusOK || !strings.Contains(body, "<ConfirmSubscriptionResponse") {
		t.Fatalf("pasted link: %d %s", code, body)
	}
}

// TestBuildEmailEncoding checks each body's Content-Transfer-Encoding and
// that a reader decoding by that header gets the body back.
func TestBuildEmailEncoding(t *testing.T) {
	link := "http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aimgflow-ImagePipelineNotifications&Token=" + strings.Repeat("ab", 64)
	tests := []struct {
		name       string
		body       string
		eightBitOK bool
		want       string
	}{
		{"ascii with a long link", "Confirm:\n" + link + "\n", false, cte7Bit},
		{"utf-8, receiver takes 8bit", "uploads/café.jpg processed\n" + link + "\n", true, cte8Bit},
		{"utf-8, receiver takes 7bit only", "uploads/café.jpg processed\n" + link + "\n", false, cteQuotedPrintable},
		{"a line of 998 octets", strings.Repeat("x", 998) + "\n", false, cte7Bit},
		{"a line of 999 octets", strings.Repeat("x", 999) + "\n", false, cteQuotedPrintable},
		{"CRLF and a bare CR are line breaks", "a\r\nb\rc\n", false, cte7Bit},
		{"a NUL", "a\x00b\n", true, cteQuotedPrintable},
		{"not UTF-8", "a\xffb\n", true, cteQuotedPrintable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Delivery{ID: "d1", MessageID: "m1", From: "no-reply@sns.imgflow.localhost", Endpoint: "me@example.com",
				Subject: "imgflow: café.jpg processed", Body: tt.body, SubscriptionARN: "arn:aws:sns:us-east-1:000000000000:t:1"}
			m, lines := rawLines(t, buildEmail(d, time.Unix(0, 0), tt.eightBitOK))
			cte := m.Header.Get("Content-Transfer-Encoding")
			if cte != tt.want {
				t.Fatalf("Content-Transfer-Encoding %q, want %q", cte, tt.want)
			}
			var r io.Reader = m.Body
			if cte == cteQuotedPrintable {
				r = quotedprintable.NewReader(m.Body)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(tt.body)
			if want := strings.ReplaceAll(text, "\n", "\r\n") + "\r\n"; string(got) != want {
				t.Fatalf("decoded body %q, want %q", got, want)
			}
			if cte != cteQuotedPrintable && strings.Contains(tt.body, link) {
				found := false
				for _, l := range lines {
					found = found || l == link
				}
				if !found {
					t.Errorf("the link is not one raw line:\n%s", strings.Join(lines, "\n"))
				}
			}
		})
	}
}

// TestConfirmedEndpoints checks the local mailbox's subscription: an
// address in ConfirmedEndpoints is confirmed at once, with no confirmation
// email, and receives the first publish; any other address still gets the
// confirmation flow.
func TestConfirmedEndpoints(t *testing.T) {
	const mailbox = "inbox@imgflow.localhost"
	h := newHarness(t, func(c *Config, _ *Deps) { c.ConfirmedEndpoints = []string{mailbox} })
	ctx := context.Background()
	arn := mustCreateTopic(t, h.client, "notifications", nil)
	tests := []struct {
		name, protocol, endpoint string
		wantConfirmed            bool
	}{
		{"the local mailbox", "email", mailbox, true},
		{"another address", "email", "me@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String(tt.protocol),
				Endpoint: aws.String(tt.endpoint), ReturnSubscriptionArn: true})
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			attrs, err := h.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
			if err != nil {
				t.Fatal(err)
			}
			if got := attrs.Attributes["PendingConfirmation"] == "false"; got != tt.wantConfirmed {
				t.Fatalf("confirmed = %v, want %v", got, tt.wantConfirmed)
			}
		})
	}
	// The only delivery so far is the other address's confirmation.
	if d := h.waitDelivery(); d.Kind != KindSubscriptionConfirmation || d.Endpoint != "me@example.com" {
		t.Fatalf("first delivery %+v, want the confirmation to me@example.com", d)
	}
	if _, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Subject: aws.String("first"), Message: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	if d := h.waitDelivery(); d.Kind != KindNotification || d.Endpoint != mailbox {
		t.Fatalf("delivery %+v, want the notification to %s", d, mailbox)
	}
}
