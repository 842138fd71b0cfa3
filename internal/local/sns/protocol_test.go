package sns

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testAuth = "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261125/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"

type wireError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func TestQueryProtocolErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		method     string
		form       url.Values
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{name: "unknown action", form: url.Values{"Action": {"DescribeThings"}, "Version": {apiVersion}}, header: map[string]string{"Authorization": testAuth},
			wantStatus: 400, wantCode: "InvalidAction"},
		{name: "missing action", form: url.Values{"Version": {apiVersion}}, header: map[string]string{"Authorization": testAuth},
			wantStatus: 400, wantCode: "MissingAction"},
		{name: "unsigned", form: url.Values{"Action": {"ListTopics"}}, wantStatus: 403, wantCode: "MissingAuthenticationToken"},
		{name: "wrong region", form: url.Values{"Action": {"ListTopics"}},
			header:     map[string]string{"Authorization": strings.Replace(testAuth, "us-east-1", "eu-west-1", 1)},
			wantStatus: 403, wantCode: "SignatureDoesNotMatch"},
		{name: "wrong service", form: url.Values{"Action": {"ListTopics"}},
			header:     map[string]string{"Authorization": strings.Replace(testAuth, "/sns/", "/sqs/", 1)},
			wantStatus: 403, wantCode: "SignatureDoesNotMatch"},
		{name: "malformed credential", form: url.Values{"Action": {"ListTopics"}},
			header:     map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/us-east-1, SignedHeaders=host, Signature=0"},
			wantStatus: 400, wantCode: "IncompleteSignature"},
		{name: "header without signature", form: url.Values{"Action": {"ListTopics"}},
			header:     map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261125/us-east-1/sns/aws4_request"},
			wantStatus: 400, wantCode: "IncompleteSignature"},
		{name: "bare presigned credential (issue 9)", method: http.MethodGet,
			form:       url.Values{"Action": {"Subscribe"}, "X-Amz-Credential": {"AKIDLOCAL/20261125/us-east-1/sns/aws4_request"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:x"}},
			wantStatus: 400, wantCode: "IncompleteSignature"},
		{name: "wrong version", form: url.Values{"Action": {"ListTopics"}, "Version": {"2012-01-01"}}, header: map[string]string{"Authorization": testAuth},
			wantStatus: 400, wantCode: "InvalidAction"},
		{name: "unsigned publish is refused", form: url.Values{"Action": {"Publish"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:x"}, "Message": {"m"}},
			wantStatus: 403, wantCode: "MissingAuthenticationToken"},
		{name: "unsigned confirm link is allowed", method: http.MethodGet,
			form:       url.Values{"Action": {"ConfirmSubscription"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:x"}, "Token": {"t"}},
			wantStatus: 404, wantCode: "NotFound"},
		{name: "missing required parameter", form: url.Values{"Action": {"GetTopicAttributes"}}, header: map[string]string{"Authorization": testAuth},
			wantStatus: 400, wantCode: "ValidationError"},
		{name: "bad next token", form: url.Values{"Action": {"ListTopics"}, "NextToken": {"!!"}}, header: map[string]string{"Authorization": testAuth},
			wantStatus: 400, wantCode: "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req *http.Request
			if tt.method == http.MethodGet {
				req = httptest.NewRequest(http.MethodGet, "/?"+tt.form.Encode(), nil)
			} else {
				req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.svc.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			var we wireError
			if err := xml.Unmarshal(rec.Body.Bytes(), &we); err != nil {
				t.Fatalf("not an ErrorResponse: %v\n%s", err, rec.Body)
			}
			if we.Code != tt.wantCode || we.Type != "Sender" || we.Message == "" || we.RequestID == "" {
				t.Errorf("error %+v, want code %s", we, tt.wantCode)
			}
			if got := rec.Header().Get("x-amzn-RequestId"); got != we.RequestID {
				t.Errorf("x-amzn-RequestId %q != body RequestId %q", got, we.RequestID)
			}
		})
	}
}

func TestQueryResponseShape(t *testing.T) {
	h := newHarness(t)
	form := url.Values{"Action": {"CreateTopic"}, "Name": {"shape"}, "Version": {apiVersion}}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", testAuth)
	rec := httptest.NewRecorder()
	h.svc.ServeHTTP(rec, req)
	var resp struct {
		XMLName   xml.Name
		Xmlns     string `xml:"xmlns,attr"`
		TopicArn  string `xml:"CreateTopicResult>TopicArn"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if rec.Code != 200 || resp.XMLName.Local != "CreateTopicResponse" || resp.Xmlns != xmlns ||
		resp.TopicArn != "arn:aws:sns:us-east-1:000000000000:shape" || resp.RequestID == "" {
		t.Fatalf("response %d %+v\n%s", rec.Code, resp, rec.Body)
	}
}

func TestJSONProtocolRefused(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "AmazonSimpleNotificationService.ListTopics")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", testAuth)
	rec := httptest.NewRecorder()
	h.svc.ServeHTTP(rec, req)
	var body map[string]string
	json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 400 || body["__type"] == "" {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Deps) { c.MaxBodyBytes = 1024 })
	body := url.Values{"Action": {"Publish"}, "Message": {strings.Repeat("x", 4096)}}.Encode()
	for _, known := range []bool{true, false} {
		req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader(body)))
		if !known {
			req.ContentLength = -1
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", testAuth)
		rec := httptest.NewRecorder()
		h.svc.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("content length known=%v: status %d, want 413", known, rec.Code)
		}
	}
}

func TestMatchRequest(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		header map[string]string
		want   bool
	}{
		{"sns signed", "/", map[string]string{"Authorization": testAuth}, true},
		{"s3 signed", "/bucket/key", map[string]string{"Authorization": strings.Replace(testAuth, "/sns/", "/s3/", 1)}, false},
		{"states json", "/", map[string]string{"X-Amz-Target": "AWSStepFunctions.StartExecution", "Authorization": strings.Replace(testAuth, "/sns/", "/states/", 1)}, false},
		{"sns json target", "/", map[string]string{"X-Amz-Target": "AmazonSimpleNotificationService.Publish"}, true},
		{"presigned", "/?X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fsns%2Faws4_request", nil, true},
		{"confirm link", "/?Action=ConfirmSubscription&TopicArn=arn&Token=t", nil, true},
		{"unsubscribe link", "/?Action=Unsubscribe&SubscriptionArn=arn", nil, true},
		{"unsigned other", "/?Action=ListTopics", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.url, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if got := MatchRequest(req); got != tt.want {
				t.Errorf("MatchRequest = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTokenExpires(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	arn, _ := h.svc.CreateTopic(ctx, "expiring")
	subARN, err := h.svc.Subscribe(ctx, arn, "email", "late@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.waitDelivery()
	subs, _ := h.svc.Subscriptions(ctx)
	h.clock.Advance(h.svc.cfg.TokenTTL + 1)
	if _, err := h.svc.ConfirmSubscription(ctx, arn, subs[0].Token); err == nil || !strings.Contains(err.Error(), "Invalid token") {
		t.Fatalf("expired token: %v", err)
	}
	// Subscribing again sends a fresh confirmation and extends the token.
	again, err := h.svc.Subscribe(ctx, arn, "email", "late@example.com", nil)
	if err != nil || again != subARN {
		t.Fatalf("re-subscribe = %s, %v; want %s", again, err, subARN)
	}
	h.waitDelivery()
	if got, err := h.svc.ConfirmSubscription(ctx, arn, subs[0].Token); err != nil || got != subARN {
		t.Fatalf("confirm after re-subscribe = %s, %v", got, err)
	}
}

func TestDeliveryLogIsBounded(t *testing.T) {
	h := newHarness(t, withAutoConfirm(), func(c *Config, _ *Deps) { c.MaxLogEntries = 2 })
	ctx := context.Background()
	arn, _ := h.svc.CreateTopic(ctx, "bounded")
	h.svc.Subscribe(ctx, arn, "email", "a@example.com", nil)
	for i := range 4 {
		if _, err := h.svc.Publish(ctx, PublishInput{TopicARN: arn, Message: strings.Repeat("m", i+1)}); err != nil {
			t.Fatal(err)
		}
		h.waitDelivery()
	}
	ds, _ := h.svc.Deliveries(ctx)
	files, _ := os.ReadDir(filepath.Join(h.svc.cfg.DataDir, "deliveries"))
	emls, _ := os.ReadDir(filepath.Join(h.svc.cfg.DataDir, "mailbox"))
	if len(ds) > 3 || len(files) != len(ds) || len(emls) != len(ds) {
		t.Fatalf("log has %d entries, %d files, %d emails; want at most 3 (2 + the one just added)", len(ds), len(files), len(emls))
	}
}
