package sns

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

var confirmLinkRE = regexp.MustCompile(`https?://\S+\?Action=ConfirmSubscription\S+`)

func strAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func mustCreateTopic(t *testing.T, c *awssns.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic(%s): %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

func subscriptionStatus(t *testing.T, c *awssns.Client, topicARN, endpoint string) string {
	t.Helper()
	out, err := c.ListSubscriptionsByTopic(context.Background(), &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatalf("ListSubscriptionsByTopic: %v", err)
	}
	for _, s := range out.Subscriptions {
		if aws.ToString(s.Endpoint) == endpoint {
			return aws.ToString(s.SubscriptionArn)
		}
	}
	t.Fatalf("no subscription for %s", endpoint)
	return ""
}

// openLink GETs a link the way a mail reader would: unsigned.
func openLink(t *testing.T, link string, accept string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", link, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEmailSubscriptionConfirmAndPublish(t *testing.T) {
	peer := startSMTPPeer(t)
	h := newHarness(t, withSMTP(peer.Addr()))
	ctx := context.Background()

	arn := mustCreateTopic(t, h.client, "imgflow-notifications", map[string]string{"DisplayName": "imgflow"})
	if again := mustCreateTopic(t, h.client, "imgflow-notifications", nil); again != arn {
		t.Fatalf("CreateTopic not idempotent: %s then %s", arn, again)
	}
	if want := "arn:aws:sns:us-east-1:000000000000:imgflow-notifications"; arn != want {
		t.Fatalf("topic ARN = %s, want %s", arn, want)
	}
	sub, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("dev@example.com")})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if got := aws.ToString(sub.SubscriptionArn); got != "pending confirmation" {
		t.Fatalf("SubscriptionArn = %q, want pending confirmation", got)
	}
	if got := subscriptionStatus(t, h.client, arn, "dev@example.com"); got != "PendingConfirmation" {
		t.Fatalf("listed as %q, want PendingConfirmation", got)
	}

	conf := peer.next(t)
	if conf.Subject != "AWS Notification - Subscription Confirmation" || conf.To[0] != "dev@example.com" {
		t.Fatalf("confirmation email: subject %q to %v", conf.Subject, conf.To)
	}
	if from := conf.Header.Get("From"); !strings.Contains(from, "imgflow") {
		t.Errorf("From %q lacks the topic's DisplayName", from)
	}
	link := confirmLinkRE.FindString(conf.Body)
	if !strings.HasPrefix(link, h.srv.URL+"/?Action=ConfirmSubscription&TopicArn="+url.QueryEscape(arn)+"&Token=") {
		t.Fatalf("no confirm link in body:\n%s", conf.Body)
	}
	if d := h.waitDelivery(); d.Kind != KindSubscriptionConfirmation || d.Status != DeliveryDelivered {
		t.Fatalf("confirmation delivery = %+v", d)
	}
	code, body := openLink(t, link, "")
	if code != http.StatusOK || !strings.Contains(body, "<ConfirmSubscriptionResponse") {
		t.Fatalf("confirm link: %d %s", code, body)
	}
	subARN := subscriptionStatus(t, h.client, arn, "dev@example.com")
	if !strings.HasPrefix(subARN, arn+":") {
		t.Fatalf("after confirm listed as %q", subARN)
	}
	attrs, err := h.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err != nil || attrs.Attributes["PendingConfirmation"] != "false" {
		t.Fatalf("GetSubscriptionAttributes = %v, %v", attrs, err)
	}
	// Opening the link again (a mail client prefetch) is harmless.
	if code, body := openLink(t, link, "text/html"); code != http.StatusOK || !strings.Contains(body, "Subscription confirmed!") {
		t.Fatalf("second open: %d %s", code, body)
	}

	tests := []struct {
		name        string
		subject     *string
		wantSubject string
	}{
		{name: "with subject", subject: aws.String("imgflow: cat.jpg processed (3 variants)"), wantSubject: "imgflow: cat.jpg processed (3 variants)"},
		{name: "default subject", wantSubject: "AWS Notification Message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.client.Publish(ctx, &awssns.PublishInput{
				TopicArn: aws.String(arn), Subject: tt.subject, Message: aws.String("Your image is ready.\nSee s3://out/cat.jpg"),
				MessageAttributes: map[string]types.MessageAttributeValue{"status": strAttr("SUCCEEDED"), "sourceKey": strAttr("cat.jpg")},
			})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			m := peer.next(t)
			if m.Subject != tt.wantSubject {
				t.Errorf("subject %q, want %q", m.Subject, tt.wantSubject)
			}
			if !strings.HasPrefix(m.Body, "Your image is ready.\nSee s3://out/cat.jpg\n\n--\nIf you wish to stop receiving") ||
				!strings.Contains(m.Body, h.srv.URL+"/?Action=Unsubscribe&SubscriptionArn=") {
				t.Errorf("body:\n%s", m.Body)
			}
			d := h.waitDelivery()
			if d.MessageID != aws.ToString(out.MessageId) || d.Status != DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("delivery = %+v", d)
			}
		})
	}
}

func TestFilterPolicyFailuresOnly(t *testing.T) {
	peer := startSMTPPeer(t)
	h := newHarness(t, withSMTP(peer.Addr()), withAutoConfirm())
	ctx := context.Background()
	arn := mustCreateTopic(t, h.client, "outcomes", nil)
	for _, s := range []struct {
		endpoint string
		attrs    map[string]string
	}{
		{"all@example.com", nil},
		{"failures@example.com", map[string]string{"FilterPolicy": `{"status":["FAILED"]}`}},
	} {
		out, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"),
			Endpoint: aws.String(s.endpoint), Attributes: s.attrs, ReturnSubscriptionArn: true})
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if !strings.HasPrefix(aws.ToString(out.SubscriptionArn), arn+":") {
			t.Fatalf("auto-confirmed subscription ARN = %q", aws.ToString(out.SubscriptionArn))
		}
	}
	for _, status := range []string{"SUCCEEDED", "FAILED", "SUCCEEDED"} {
		if _, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Subject: aws.String("imgflow " + status),
			Message: aws.String(status), MessageAttributes: map[string]types.MessageAttributeValue{"status": strAttr(status)}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	got := map[string][]string{}
	for range 4 { // 3 to all@, 1 to failures@
		m := peer.next(t)
		got[m.To[0]] = append(got[m.To[0]], m.Subject)
		h.waitDelivery()
	}
	if len(got["all@example.com"]) != 3 || len(got["failures@example.com"]) != 1 || got["failures@example.com"][0] != "imgflow FAILED" {
		t.Fatalf("received %v", got)
	}
	ds, _ := h.svc.Deliveries(ctx)
	if len(ds) != 4 {
		t.Fatalf("delivery log has %d entries, want 4 (no confirmations with AutoConfirm)", len(ds))
	}
}

func TestHTTPSubscription(t *testing.T) {
	peer := startHTTPPeer(t, nil)
	h := newHarness(t)
	ctx := context.Background()
	arn := mustCreateTopic(t, h.client, "web", nil)
	if _, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("http"), Endpoint: aws.String(peer.srv.URL + "/hook")}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	req := peer.next(t)
	h.waitDelivery()
	var conf map[string]any
	if err := json.Unmarshal([]byte(req.Body), &conf); err != nil {
		t.Fatalf("confirmation body: %v\n%s", err, req.Body)
	}
	if req.Header.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || req.Header.Get("x-amz-sns-topic-arn") != arn ||
		req.Header.Get("x-amz-sns-message-id") != conf["MessageId"] {
		t.Fatalf("confirmation headers %v", req.Header)
	}
	for _, k := range []string{"Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"} {
		if s, _ := conf[k].(string); s == "" {
			t.Errorf("confirmation lacks %s: %s", k, req.Body)
		}
	}
	if code, body := openLink(t, conf["SubscribeURL"].(string), ""); code != http.StatusOK {
		t.Fatalf("SubscribeURL: %d %s", code, body)
	}
	subARN := subscriptionStatus(t, h.client, arn, peer.srv.URL+"/hook")

	out, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Subject: aws.String("hello"), Message: aws.String("body"),
		MessageAttributes: map[string]types.MessageAttributeValue{"status": strAttr("FAILED"),
			"n": {DataType: aws.String("Number"), StringValue: aws.String("3")}}})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	req = peer.next(t)
	h.waitDelivery()
	wantHeaders := map[string]string{
		"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": aws.ToString(out.MessageId),
		"x-amz-sns-topic-arn": arn, "x-amz-sns-subscription-arn": subARN, "Content-Type": "text/plain; charset=UTF-8",
	}
	for k, v := range wantHeaders {
		if got := req.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	var env envelope
	if err := json.Unmarshal([]byte(req.Body), &env); err != nil {
		t.Fatalf("notification body: %v", err)
	}
	want := envelope{Type: "Notification", MessageID: aws.ToString(out.MessageId), TopicARN: arn, Subject: "hello", Message: "body",
		Timestamp: "2026-11-25T18:30:00.000Z", SignatureVersion: "1", Signature: env.Signature, SigningCertURL: env.SigningCertURL,
		UnsubscribeURL:    h.srv.URL + "/?Action=Unsubscribe&SubscriptionArn=" + strings.ReplaceAll(subARN, ":", "%3A"),
		MessageAttributes: map[string]envelopeAttribute{"status": {Type: "String", Value: "FAILED"}, "n": {Type: "Number", Value: "3"}}}
	if g, w := env.json(), want.json(); g != w {
		t.Errorf("envelope\n got %s\nwant %s", g, w)
	}

	// Raw delivery: the message alone.
	if _, err := h.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN),
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")}); err != nil {
		t.Fatalf("SetSubscriptionAttributes: %v", err)
	}
	if _, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(`{"raw":true}`)}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	req = peer.next(t)
	h.waitDelivery()
	if req.Body != `{"raw":true}` || req.Header.Get("x-amz-sns-rawdelivery") != "true" {
		t.Fatalf("raw delivery: %q %v", req.Body, req.Header)
	}

	// Unsubscribe through the envelope's link, unsigned.
	if code, body := openLink(t, want.UnsubscribeURL, ""); code != http.StatusOK {
		t.Fatalf("UnsubscribeURL: %d %s", code, body)
	}
	subs, _ := h.svc.Subscriptions(ctx)
	if len(subs) != 0 {
		t.Fatalf("still subscribed: %+v", subs)
	}
}

func TestHTTPRetries(t *testing.T) {
	tests := []struct {
		name         string
		status       func(n int) int
		wantStatus   DeliveryStatus
		wantAttempts int
		wantSleeps   int
	}{
		{name: "recovers after two 500s", status: func(n int) int { return map[bool]int{true: 500, false: 200}[n <= 2] },
			wantStatus: DeliveryDelivered, wantAttempts: 3, wantSleeps: 2},
		{name: "gives up after max attempts", status: func(int) int { return 503 }, wantStatus: DeliveryFailed, wantAttempts: 5, wantSleeps: 4},
		{name: "client error is final", status: func(int) int { return 404 }, wantStatus: DeliveryFailed, wantAttempts: 1},
		{name: "429 is retried", status: func(n int) int { return map[bool]int{true: 429, false: 204}[n == 1] },
			wantStatus: DeliveryDelivered, wantAttempts: 2, wantSleeps: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peer := startHTTPPeer(t, tt.status)
			h := newHarness(t, withAutoConfirm())
			arn := mustCreateTopic(t, h.client, "retry", nil)
			if _, err := h.svc.Subscribe(context.Background(), arn, "http", peer.srv.URL, nil); err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			if _, err := h.svc.Publish(context.Background(), PublishInput{TopicARN: arn, Message: "m"}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			d := h.waitDelivery()
			if d.Status != tt.wantStatus || d.Attempts != tt.wantAttempts {
				t.Fatalf("delivery status %s after %d attempts (last error %q), want %s after %d", d.Status, d.Attempts, d.LastError, tt.wantStatus, tt.wantAttempts)
			}
			if tt.wantStatus == DeliveryFailed && d.LastError == "" {
				t.Errorf("failed delivery has no LastError")
			}
			sleeps := h.clock.Sleeps()
			if len(sleeps) != tt.wantSleeps {
				t.Fatalf("slept %v, want %d waits", sleeps, tt.wantSleeps)
			}
			for i, s := range sleeps { // 1s, 2s, 4s, 8s...
				if want := h.svc.cfg.RetryBaseDelay << i; s != want {
					t.Errorf("wait %d = %v, want %v", i, s, want)
				}
			}
		})
	}
}

func TestEmailRetriedOnTemporarySMTPFailure(t *testing.T) {
	peer := startSMTPPeer(t)
	peer.failNext.Store(2)
	h := newHarness(t, withSMTP(peer.Addr()), withAutoConfirm())
	arn := mustCreateTopic(t, h.client, "t", nil)
	if _, err := h.svc.Subscribe(context.Background(), arn, "email", "a@example.com", nil); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := h.svc.Publish(context.Background(), PublishInput{TopicARN: arn, Message: "hi", Subject: "s"}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	m := peer.next(t)
	d := h.waitDelivery()
	if d.Status != DeliveryDelivered || d.Attempts != 3 || m.Subject != "s" {
		t.Fatalf("delivery %+v, mail subject %q", d, m.Subject)
	}
}

func TestMailboxModeAndRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	h := newHarness(t, withDataDir(dir))
	arn := mustCreateTopic(t, h.client, "mbox", nil)
	if _, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("me@example.com")}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email-json"), Endpoint: aws.String("json@example.com")}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	h.waitDelivery()
	h.waitDelivery()
	box, err := h.svc.Mailbox(ctx)
	if err != nil || len(box) != 2 {
		t.Fatalf("Mailbox = %d messages, %v", len(box), err)
	}
	for _, m := range box {
		if !m.Stored || m.Status != DeliveryDelivered || m.Kind != KindSubscriptionConfirmation {
			t.Errorf("mailbox message %+v", m)
		}
		if _, err := os.Stat(filepath.Join(dir, "mailbox", m.ID+".eml")); err != nil {
			t.Errorf("no .eml for %s: %v", m.ID, err)
		}
	}
	var confirmEnv envelope
	for _, m := range box {
		switch m.To {
		case "me@example.com":
			if code, body := openLink(t, confirmLinkRE.FindString(m.Body), ""); code != http.StatusOK {
				t.Fatalf("confirm: %d %s", code, body)
			}
		case "json@example.com":
			if err := json.Unmarshal([]byte(m.Body), &confirmEnv); err != nil || confirmEnv.Type != KindSubscriptionConfirmation {
				t.Fatalf("email-json confirmation %v: %s", err, m.Body)
			}
			if _, err := h.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String(confirmEnv.Token)}); err != nil {
				t.Fatalf("ConfirmSubscription: %v", err)
			}
		}
	}
	if _, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("stored")}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	h.waitDelivery()
	h.waitDelivery()
	topicsBefore, _ := h.svc.Topics(ctx)
	subsBefore, _ := h.svc.Subscriptions(ctx)
	boxBefore, _ := h.svc.Mailbox(ctx)
	if len(boxBefore) != 4 {
		t.Fatalf("mailbox has %d messages, want 4", len(boxBefore))
	}
	for _, s := range subsBefore {
		if s.Status != StatusConfirmed {
			t.Fatalf("subscription %s is %s", s.Endpoint, s.Status)
		}
	}
	if err := h.svc.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}

	h2 := newHarness(t, withDataDir(dir))
	topicsAfter, _ := h2.svc.Topics(ctx)
	subsAfter, _ := h2.svc.Subscriptions(ctx)
	boxAfter, _ := h2.svc.Mailbox(ctx)
	if j(topicsAfter) != j(topicsBefore) || j(subsAfter) != j(subsBefore) || j(boxAfter) != j(boxBefore) {
		t.Fatalf("state changed across restart:\n%s\n%s\n%s\n%s", j(subsBefore), j(subsAfter), j(boxBefore), j(boxAfter))
	}
	list, err := h2.client.ListTopics(ctx, &awssns.ListTopicsInput{})
	if err != nil || len(list.Topics) != 1 || aws.ToString(list.Topics[0].TopicArn) != arn {
		t.Fatalf("ListTopics after restart = %v, %v", list, err)
	}
}

func j(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPendingDeliveryResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var up atomic.Bool
	peer := startHTTPPeer(t, func(int) int {
		if up.Load() {
			return 200
		}
		return 500
	})
	h := newHarness(t, withDataDir(dir), withAutoConfirm(), withClock(&blockingClock{fakeClock{now: testEpoch}}))
	arn := mustCreateTopic(t, h.client, "resume", nil)
	if _, err := h.svc.Subscribe(ctx, arn, "http", peer.srv.URL, nil); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := h.svc.Publish(ctx, PublishInput{TopicARN: arn, Message: "later"}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	peer.next(t) // first attempt failed; the delivery now waits to retry
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := h.svc.Close(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close with an expired context = %v, want context.Canceled", err)
	}
	ds, _ := h.svc.Deliveries(ctx)
	if len(ds) != 1 || ds[0].Status != DeliveryPending {
		t.Fatalf("after Close: %+v", ds)
	}
	// recordAttempt for the first try may land before or after Close; either way the entry is pending.
	up.Store(true)
	h2 := newHarness(t, withDataDir(dir))
	peer.next(t)
	d := h2.waitDelivery()
	if d.Status != DeliveryDelivered || d.ID != ds[0].ID {
		t.Fatalf("resumed delivery %+v", d)
	}
}

func TestMessageStructureJSON(t *testing.T) {
	peer := startHTTPPeer(t, nil)
	h := newHarness(t, withAutoConfirm())
	ctx := context.Background()
	arn := mustCreateTopic(t, h.client, "structured", nil)
	h.svc.Subscribe(ctx, arn, "http", peer.srv.URL, map[string]string{"RawMessageDelivery": "true"})
	h.svc.Subscribe(ctx, arn, "email", "x@example.com", nil)
	_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"plain","email":"for email"}`)})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if req := peer.next(t); req.Body != "plain" {
		t.Errorf("http got %q, want default", req.Body)
	}
	h.waitDelivery()
	h.waitDelivery()
	box, _ := h.svc.Mailbox(ctx)
	if len(box) != 1 || !strings.HasPrefix(box[0].Body, "for email\n") {
		t.Fatalf("email got %+v", box)
	}
	_, err = h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), MessageStructure: aws.String("json"), Message: aws.String(`{"email":"x"}`)})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) || !strings.Contains(ipe.ErrorMessage(), "No default entry") {
		t.Fatalf("no default: %v", err)
	}
}

func TestSDKErrors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	arn := mustCreateTopic(t, h.client, "errs", nil)
	missing := "arn:aws:sns:us-east-1:000000000000:nope"
	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{"subject with newline", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m"), Subject: aws.String("a\nb")})
			return err
		}, "InvalidParameter"},
		{"subject of 100 chars", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m"), Subject: aws.String(strings.Repeat("x", 100))})
			return err
		}, "InvalidParameter"},
		{"non-ASCII subject", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m"), Subject: aws.String("café")})
			return err
		}, "InvalidParameter"},
		{"empty subject", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m"), Subject: aws.String("")})
			return err
		}, "InvalidParameter"},
		{"empty message", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("")})
			return err
		}, "InvalidParameter"},
		{"publish to missing topic", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(missing), Message: aws.String("m")})
			return err
		}, "NotFound"},
		{"malformed topic ARN", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String("not-an-arn"), Message: aws.String("m")})
			return err
		}, "InvalidParameter"},
		{"attributes of missing topic", func() error {
			_, err := h.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(missing)})
			return err
		}, "NotFound"},
		{"empty string attribute", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m"),
				MessageAttributes: map[string]types.MessageAttributeValue{"status": {DataType: aws.String("String"), StringValue: aws.String("")}}})
			return err
		}, "InvalidParameterValue"},
		{"bad number attribute", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m"),
				MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("ten")}}})
			return err
		}, "InvalidParameterValue"},
		{"bad filter policy", func() error {
			_, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("a@example.com"),
				Attributes: map[string]string{"FilterPolicy": `{"status":"FAILED"}`}})
			return err
		}, "InvalidParameter"},
		{"unsupported protocol", func() error {
			_, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:q")})
			return err
		}, "InvalidParameter"},
		{"bad email", func() error {
			_, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("not an address")})
			return err
		}, "InvalidParameter"},
		{"raw delivery on email", func() error {
			_, err := h.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("b@example.com"),
				Attributes: map[string]string{"RawMessageDelivery": "true"}})
			return err
		}, "InvalidParameter"},
		{"wrong token", func() error {
			_, err := h.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String("00")})
			return err
		}, "InvalidParameter"},
		{"unsubscribe unknown", func() error {
			_, err := h.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(arn + ":0000")})
			return err
		}, "NotFound"},
		{"topic exists with other attributes", func() error {
			_, err := h.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("errs"), Attributes: map[string]string{"DisplayName": "other"}})
			return err
		}, "InvalidParameter"},
		{"FIFO topic", func() error {
			_, err := h.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("q.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
			return err
		}, "InvalidParameter"},
		{"SMS", func() error {
			_, err := h.client.Publish(ctx, &awssns.PublishInput{PhoneNumber: aws.String("+15555550100"), Message: aws.String("m")})
			return err
		}, "InvalidParameter"},
		{"unimplemented action", func() error {
			_, err := h.client.GetSMSAttributes(ctx, &awssns.GetSMSAttributesInput{})
			return err
		}, "InvalidAction"},
		{"wrong region", func() error {
			_, err := newSDKClient(h.srv.URL, "eu-west-1").ListTopics(ctx, &awssns.ListTopicsInput{})
			return err
		}, "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ae interface{ ErrorCode() string }
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode {
				t.Fatalf("err = %v, want code %s", err, tt.wantCode)
			}
		})
	}
	var nf *types.NotFoundException
	_, err := h.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(missing), Message: aws.String("m")})
	if !errors.As(err, &nf) {
		t.Errorf("missing topic: %T %v, want *types.NotFoundException", err, err)
	}
}

func TestTopicAttributesPagingAndTags(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Deps) { c.PageSize = 2 })
	ctx := context.Background()
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		want = append(want, mustCreateTopic(t, h.client, n, nil))
	}
	var got []string
	pages := 0
	for p := awssns.NewListTopicsPaginator(h.client, &awssns.ListTopicsInput{}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListTopics: %v", err)
		}
		pages++
		for _, tp := range out.Topics {
			got = append(got, aws.ToString(tp.TopicArn))
		}
	}
	if j(got) != j(want) || pages != 3 {
		t.Fatalf("paged %d pages: %v, want %v", pages, got, want)
	}
	for i := range 3 {
		h.svc.Subscribe(ctx, want[0], "email", string(rune('a'+i))+"@example.com", nil)
	}
	var subs int
	for p := awssns.NewListSubscriptionsPaginator(h.client, &awssns.ListSubscriptionsInput{}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListSubscriptions: %v", err)
		}
		subs += len(out.Subscriptions)
	}
	if subs != 3 {
		t.Fatalf("listed %d subscriptions, want 3", subs)
	}

	if _, err := h.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(want[0]),
		AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Images")}); err != nil {
		t.Fatalf("SetTopicAttributes: %v", err)
	}
	attrs, err := h.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(want[0])})
	if err != nil {
		t.Fatalf("GetTopicAttributes: %v", err)
	}
	for k, v := range map[string]string{"DisplayName": "Images", "TopicArn": want[0], "Owner": "000000000000", "SubscriptionsPending": "3", "SubscriptionsConfirmed": "0"} {
		if attrs.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	if _, err := h.client.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(want[1]), Tags: []types.Tag{{Key: aws.String("app"), Value: aws.String("imgflow")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	tags, err := h.client.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(want[1])})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "imgflow" {
		t.Fatalf("ListTagsForResource = %v, %v", tags, err)
	}
	if _, err := h.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(want[0])}); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if subs, _ := h.svc.Subscriptions(ctx); len(subs) != 0 {
		t.Fatalf("subscriptions of a deleted topic remain: %v", subs)
	}
	if _, err := h.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(want[0])}); err != nil {
		t.Fatalf("DeleteTopic again: %v (SNS treats it as done)", err)
	}
}

func TestPublishBatch(t *testing.T) {
	h := newHarness(t, withAutoConfirm())
	ctx := context.Background()
	arn := mustCreateTopic(t, h.client, "batch", nil)
	h.svc.Subscribe(ctx, arn, "email", "x@example.com", map[string]string{"FilterPolicy": `{"status":["FAILED"]}`})
	out, err := h.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("ok"), Message: aws.String("one"), MessageAttributes: map[string]types.MessageAttributeValue{"status": strAttr("FAILED")}},
		{Id: aws.String("filtered"), Message: aws.String("two"), MessageAttributes: map[string]types.MessageAttributeValue{"status": strAttr("SUCCEEDED")}},
		{Id: aws.String("bad"), Message: aws.String("three"), Subject: aws.String("x\ny")},
	}})
	if err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "bad" || aws.ToString(out.Failed[0].Code) != "InvalidParameter" {
		t.Fatalf("PublishBatch = %s", j(out))
	}
	d := h.waitDelivery()
	if !strings.HasPrefix(d.Body, "one\n") {
		t.Fatalf("delivered %q", d.Body)
	}
	_, err = h.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("same"), Message: aws.String("a")}, {Id: aws.String("same"), Message: aws.String("b")},
	}})
	var dup *types.BatchEntryIdsNotDistinctException
	if !errors.As(err, &dup) {
		t.Fatalf("duplicate ids: %v", err)
	}
}
