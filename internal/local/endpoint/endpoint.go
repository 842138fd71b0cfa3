// Package endpoint is the local stack's single AWS endpoint: it tells which
// service a request is for from the request's own protocol markers and hands
// it to that service's handler, so the aws CLI and the SDKs talk to one
// address for S3, Step Functions, SNS, Lambda, CloudWatch Logs and
// CloudWatch, as they would to AWS.
package endpoint

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Service names, as they appear in a SigV4 credential scope.
const (
	ServiceS3     = "s3"
	ServiceStates = "states"
	ServiceSNS    = "sns"
	ServiceLambda = "lambda"
	ServiceLogs   = "logs"       // CloudWatch Logs
	ServiceCW     = "monitoring" // CloudWatch (metrics and alarms)
)

// maxFormPeek bounds how much of an unsigned form body is read to find its
// Action; SNS Query requests are small, S3 bodies are never read here.
const maxFormPeek = 256 << 10

// Mux dispatches to one handler per service.
type Mux struct {
	handlers map[string]http.Handler
	fallback http.Handler // S3: path-style and virtual-host requests carry no other marker
}

// New returns a Mux; s3 receives everything no other service claims.
func New(s3 http.Handler, others map[string]http.Handler) *Mux {
	m := &Mux{handlers: map[string]http.Handler{}, fallback: s3}
	for k, v := range others {
		m.handlers[k] = v
	}
	return m
}

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := m.handlers[Classify(r)]
	if h == nil {
		h = m.fallback
	}
	h.ServeHTTP(w, r)
}

// Classify names the service a request is for. The SigV4 credential scope
// is authoritative; unsigned requests (an SNS confirmation link opened in a
// browser) are told apart by their protocol markers.
func Classify(r *http.Request) string {
	if svc := scopeService(r); svc != "" {
		switch svc {
		case ServiceStates, ServiceSNS, ServiceLambda, ServiceS3, ServiceLogs, ServiceCW:
			return svc
		}
	}
	target := r.Header.Get("X-Amz-Target")
	if strings.HasPrefix(target, "Logs_20140328.") {
		return ServiceLogs
	}
	// CloudWatch: JSON 1.0 by target, Smithy RPC v2 CBOR by path.
	if strings.HasPrefix(target, "GraniteServiceVersion20100801.") || strings.HasPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/") {
		return ServiceCW
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.") {
		return ServiceStates
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSimpleNotificationService.") {
		return ServiceSNS
	}
	if strings.HasPrefix(r.URL.Path, "/2015-03-31/functions") {
		return ServiceLambda
	}
	if r.URL.Path == "/" && isSNSAction(r) {
		return ServiceSNS
	}
	return ServiceS3
}

// scopeService reads the service from "Credential=AKID/date/region/service/aws4_request"
// in the Authorization header, or X-Amz-Credential of a presigned URL.
func scopeService(r *http.Request) string {
	cred := ""
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256") {
		for part := range strings.SplitSeq(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256"), ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return ""
	}
	return parts[3]
}

// snsActions are the Query actions an unsigned request may carry: the
// confirmation and unsubscribe links SNS puts in emails.
var snsActions = map[string]bool{"ConfirmSubscription": true, "Unsubscribe": true}

func isSNSAction(r *http.Request) bool {
	if snsActions[r.URL.Query().Get("Action")] {
		return true
	}
	form := peekForm(r)
	return form.Get("Action") != "" && (form.Get("Version") == "2010-03-31" || snsActions[form.Get("Action")])
}

// peekForm parses a form-encoded POST body (up to maxFormPeek) and puts
// the bytes back for the handler; other requests give an empty form.
func peekForm(r *http.Request) url.Values {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return url.Values{}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormPeek))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	if err != nil {
		return url.Values{}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return url.Values{}
	}
	return form
}

// LoopbackOnly refuses requests from other machines when the stack listens
// on a loopback address; binding another address is the explicit opt-in.
func LoopbackOnly(listen string, next http.Handler) http.Handler {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remote, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(remote); err != nil || ip == nil || !ip.IsLoopback() {
			http.Error(w, "imgflow local accepts loopback clients only; start it with --endpoint <address> to listen elsewhere", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
