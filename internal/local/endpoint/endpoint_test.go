package endpoint

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func authHeader(service string) string {
	return "AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		target  string
		headers map[string]string
		body    string
		want    string
	}{
		{name: "signed step functions", method: "POST", target: "/", headers: map[string]string{"Authorization": authHeader("states"), "X-Amz-Target": "AWSStepFunctions.StartExecution"}, want: ServiceStates},
		{name: "signed sns query", method: "POST", target: "/", headers: map[string]string{"Authorization": authHeader("sns"), "Content-Type": "application/x-www-form-urlencoded"}, body: "Action=Publish&Version=2010-03-31", want: ServiceSNS},
		{name: "signed lambda invoke", method: "POST", target: "/2015-03-31/functions/f/invocations", headers: map[string]string{"Authorization": authHeader("lambda")}, want: ServiceLambda},
		{name: "signed s3 path style", method: "PUT", target: "/bucket/key.jpg", headers: map[string]string{"Authorization": authHeader("s3")}, want: ServiceS3},
		{name: "presigned s3 get", method: "GET", target: "/bucket/key.jpg?X-Amz-Credential=test%2F20261125%2Fus-east-1%2Fs3%2Faws4_request", want: ServiceS3},
		{name: "unsigned sns confirmation link", method: "GET", target: "/?Action=ConfirmSubscription&TopicArn=arn&Token=t", want: ServiceSNS},
		{name: "unsigned sfn by target", method: "POST", target: "/", headers: map[string]string{"X-Amz-Target": "AWSStepFunctions.ListStateMachines"}, want: ServiceStates},
		{name: "unsigned form without sns version goes to s3", method: "POST", target: "/", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "Action=Publish", want: ServiceS3},
		{name: "virtual host s3", method: "GET", target: "/key.jpg", headers: map[string]string{"Host": "bucket.localhost"}, want: ServiceS3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := Classify(r); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
			// The body must still be whole for the service that gets it.
			if b, _ := io.ReadAll(r.Body); string(b) != tt.body {
				t.Errorf("body after Classify = %q, want %q", b, tt.body)
			}
		})
	}
}

func TestMuxDispatch(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) })
	}
	m := New(named("s3"), map[string]http.Handler{ServiceStates: named("states")})
	for target, want := range map[string]string{"AWSStepFunctions.ListExecutions": "states", "": "s3"} {
		r := httptest.NewRequest("POST", "/", nil)
		if target != "" {
			r.Header.Set("X-Amz-Target", target)
		}
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		if w.Body.String() != want {
			t.Errorf("%q went to %q, want %q", target, w.Body.String(), want)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	tests := []struct {
		listen, remote string
		want           int
	}{
		{listen: "127.0.0.1:4566", remote: "127.0.0.1:5000", want: 200},
		{listen: "127.0.0.1:4566", remote: "[::1]:5000", want: 200},
		{listen: "127.0.0.1:4566", remote: "192.0.2.7:5000", want: 403},
		{listen: "0.0.0.0:4566", remote: "192.0.2.7:5000", want: 200},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		w := httptest.NewRecorder()
		LoopbackOnly(tt.listen, ok).ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("listen %s, remote %s: %d, want %d", tt.listen, tt.remote, w.Code, tt.want)
		}
	}
}
