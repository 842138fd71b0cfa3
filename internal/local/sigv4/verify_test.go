package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func hashHex(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

// TestVerify signs requests with the SDK's signer, sends them through a
// real HTTP server and verifies them there, so what is checked is what a
// server receives.
func TestVerify(t *testing.T) {
	signedAt := time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)
	var got error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s, err := Parse(r)
		if err == nil {
			payload := r.Header.Get("X-Amz-Content-Sha256")
			switch {
			case s.Scope.Service != "s3":
				payload = hashHex(string(body))
			case s.Presigned:
				payload = "UNSIGNED-PAYLOAD"
			}
			err = Verify(r, s, KeyIDIsSecret{}, payload)
		}
		got = err
	}))
	defer srv.Close()

	for _, tc := range []struct {
		name       string
		service    string
		method     string
		path       string // path and query as sent
		body       string
		headers    map[string]string
		presign    bool
		key        string
		secret     string
		tamper     func(r *http.Request)
		wantReason Reason
	}{
		{name: "s3 put with odd key", service: "s3", method: "PUT", path: "/bucket/a%20b/%C3%A9t%C3%A9+%2B~.jpg", body: "hello",
			headers: map[string]string{"X-Amz-Meta-Note": "  two   spaces ", "Content-Type": "image/jpeg"}},
		{name: "s3 list with query", service: "s3", method: "GET", path: "/bucket?list-type=2&prefix=a%2Fb%20c&delimiter=%2F&uploads"},
		{name: "s3 unsigned payload", service: "s3", method: "PUT", path: "/bucket/k", body: "x", headers: map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}},
		{name: "s3 presigned get", service: "s3", method: "GET", path: "/bucket/photo%20one.jpg?versionId=abc", presign: true},
		{name: "sns form post", service: "sns", method: "POST", path: "/", body: "Action=Publish&Version=2010-03-31&Message=hi%20there",
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{name: "lambda path with arn", service: "lambda", method: "POST", path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations", body: "{}"},
		{name: "wrong secret", service: "sns", method: "POST", path: "/", body: "Action=ListTopics", key: "test", secret: "other", wantReason: ReasonMismatch},
		{name: "body changed after signing", service: "sns", method: "POST", path: "/", body: "Action=ListTopics",
			tamper: func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader("Action=Subscribe"))
				r.ContentLength = 16
			}, wantReason: ReasonMismatch},
		{name: "query changed after signing", service: "s3", method: "GET", path: "/bucket/k", presign: true,
			tamper: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=900", "X-Amz-Expires=901", 1)
			}, wantReason: ReasonMismatch},
		{name: "bare credential", service: "sns", method: "POST", path: "/?X-Amz-Credential=test%2F20261125%2Fus-east-1%2Fsns%2Faws4_request", body: "Action=Subscribe",
			tamper: func(r *http.Request) { r.Header.Del("Authorization") }, wantReason: ReasonMalformed},
		{name: "header without signature", service: "sns", method: "POST", path: "/", body: "Action=ListTopics",
			tamper: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date")
			}, wantReason: ReasonMalformed},
		{name: "host not signed", service: "sns", method: "POST", path: "/", body: "Action=ListTopics",
			tamper: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sns/aws4_request, SignedHeaders=x-amz-date, Signature="+strings.Repeat("0", 64))
			}, wantReason: ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, secret := tc.key, tc.secret
			if key == "" {
				key, secret = "test", "test"
			}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			payload := hashHex(tc.body)
			if tc.service == "s3" && !tc.presign {
				if p := req.Header.Get("X-Amz-Content-Sha256"); p != "" {
					payload = p
				} else {
					req.Header.Set("X-Amz-Content-Sha256", payload)
				}
			}
			signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = tc.service == "s3" })
			creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
			if tc.presign {
				q := req.URL.Query()
				q.Set("X-Amz-Expires", "900")
				req.URL.RawQuery = q.Encode()
				u, _, err := signer.PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", tc.service, "us-east-1", signedAt)
				if err != nil {
					t.Fatal(err)
				}
				req, _ = http.NewRequest(tc.method, u, nil)
			} else if err := signer.SignHTTP(context.Background(), creds, req, payload, tc.service, "us-east-1", signedAt); err != nil {
				t.Fatal(err)
			}
			if tc.tamper != nil {
				tc.tamper(req)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var se *SignatureError
			switch {
			case tc.wantReason == 0 && got != nil:
				t.Fatalf("verify %s: %v", req.URL, got)
			case tc.wantReason != 0 && (!errors.As(got, &se) || se.Reason != tc.wantReason):
				t.Fatalf("verify = %v, want reason %d", got, tc.wantReason)
			}
		})
	}
}

// TestVerifyV2Presigned checks the S3 Developer Guide's query-string
// authentication example.
func TestVerifyV2Presigned(t *testing.T) {
	creds := StaticCredentials{"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	for _, tc := range []struct {
		name, target string
		ok           bool
	}{
		{"documented example", "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D", true},
		{"expiry altered", "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139621&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D", false},
		{"path altered", "/photos/kitten.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			r.Host = "johnsmith.s3.amazonaws.com"
			path, _, _ := strings.Cut(tc.target, "?")
			err := VerifyV2Presigned(r, creds, []string{path, "/johnsmith" + path})
			if (err == nil) != tc.ok {
				t.Fatalf("VerifyV2Presigned = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
