package endpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"github.com/imgflow/imgflow/internal/local/httpguard"
	"github.com/imgflow/imgflow/internal/local/sigv4"
)

// GuardConfig configures Guard.
type GuardConfig struct {
	// Listen is the endpoint's address: it decides whether only loopback
	// clients are served, and its host is an allowed Host.
	Listen string
	// AllowHosts are further Host names the endpoint answers (--allow-host).
	AllowHosts []string
	// Credentials gives the secret of each access key; every signature
	// (SigV4 header and presigned, S3's SigV2 presigned) is verified with
	// it. The default, sigv4.KeyIDIsSecret, accepts any access key whose
	// secret is the key itself; sigv4.StaticCredentials accepts only the
	// configured keys.
	Credentials sigv4.Credentials
	// MaxSignedBody caps the body of a non-S3 request, which is read whole
	// to hash it for the signature (Lambda Invoke takes 6 MB).
	MaxSignedBody int64
}

// NewDefaultGuardConfig returns the defaults for listen: any access key
// whose secret is the key ID itself, and 16 MiB signed bodies.
func NewDefaultGuardConfig(listen string) *GuardConfig {
	return &GuardConfig{Listen: listen, Credentials: sigv4.KeyIDIsSecret{}, MaxSignedBody: 16 << 20}
}

// Validate reports every bad setting.
func (c *GuardConfig) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("endpoint: Listen is required"))
	}
	if c.Credentials == nil {
		errs = append(errs, errors.New("endpoint: Credentials is required"))
	}
	if c.MaxSignedBody <= 0 {
		errs = append(errs, fmt.Errorf("endpoint: MaxSignedBody must be > 0, got %d", c.MaxSignedBody))
	}
	return errors.Join(errs...)
}

// NewGuard wraps the endpoint's handler with what keeps web pages and
// other machines out, in this order:
//
//  1. the Host must be on the allow-list (DNS rebinding);
//  2. on a loopback address, the client must be on loopback too;
//  3. Step Functions, SNS and Lambda refuse requests a browser marks as
//     coming from a web page (Origin, Sec-Fetch-Site), S3 answers them by
//     the bucket's CORS configuration;
//  4. every request carries a SigV4 signature that verifies against
//     cfg.Credentials: an Authorization header or a full presigned query.
//
// The exceptions are the ones AWS makes: CORS preflights (OPTIONS, for S3
// to answer from the bucket's CORS configuration) and the SNS
// ConfirmSubscription and Unsubscribe links, which carry their own secret
// (the token, the subscription ARN's random id).
func NewGuard(cfg *GuardConfig, next http.Handler) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hosts, err := httpguard.NewHosts(cfg.Listen, cfg.AllowHosts)
	if err != nil {
		return nil, err
	}
	g := &guard{cfg: *cfg, next: next}
	return hosts.Middleware(LoopbackOnly(cfg.Listen, g)), nil
}

type guard struct {
	cfg  GuardConfig
	next http.Handler
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	svc := Classify(r)
	if svc == ServiceS3 && r.Method == http.MethodOptions || svc == ServiceSNS && isSNSLink(r) {
		g.next.ServeHTTP(w, r)
		return
	}
	if svc != ServiceS3 && fromWebPage(r) {
		refuse(w, r, svc, &refusal{status: http.StatusForbidden, kind: kindCrossSite,
			msg: "requests from web pages are refused: " + svc + " answers AWS clients only"})
		return
	}
	if rf := g.verify(w, r, svc); rf != nil {
		refuse(w, r, svc, rf)
		return
	}
	g.next.ServeHTTP(w, r)
}

// fromWebPage reports whether a browser marked r as sent by a page: it
// sends Origin on every cross-origin fetch and form post, and
// Sec-Fetch-Site on every request. AWS clients send neither.
func fromWebPage(r *http.Request) bool {
	if r.Header.Get("Origin") != "" {
		return true
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site", "same-origin":
		return true
	}
	return false
}

// verify checks r's signature; nil means it holds.
func (g *guard) verify(w http.ResponseWriter, r *http.Request, svc string) *refusal {
	if !sigv4.HasSignature(r) {
		if svc == ServiceS3 && r.Header.Get("Authorization") == "" && sigv4.HasV2Presign(r) {
			if err := sigv4.VerifyV2Presigned(r, g.cfg.Credentials, v2Resources(r)); err != nil {
				return signatureRefusal(err)
			}
			return nil
		}
		if r.Header.Get("Authorization") != "" || r.URL.Query().Get("AWSAccessKeyId") != "" {
			return &refusal{status: http.StatusBadRequest, kind: kindUnsupported,
				msg: "the authorization mechanism you have provided is not supported; please use AWS4-HMAC-SHA256"}
		}
		return &refusal{status: http.StatusForbidden, kind: kindMissing, msg: "the request is not signed: an AWS4-HMAC-SHA256 Authorization header or a presigned URL is required"}
	}
	s, err := sigv4.Parse(r)
	if err != nil {
		return signatureRefusal(err)
	}
	var payload string
	if svc == ServiceS3 {
		payload = r.Header.Get("X-Amz-Content-Sha256")
		if payload == "" && s.Presigned {
			payload = r.URL.Query().Get("X-Amz-Content-Sha256")
			if payload == "" {
				payload = "UNSIGNED-PAYLOAD"
			}
		}
		if payload == "" {
			return &refusal{status: http.StatusBadRequest, kind: kindUnsupported, msg: "Missing required header for this request: x-amz-content-sha256"}
		}
	} else {
		if r.ContentLength > g.cfg.MaxSignedBody {
			return &refusal{status: http.StatusRequestEntityTooLarge, kind: kindTooLarge, msg: fmt.Sprintf("the request body exceeds %d bytes", g.cfg.MaxSignedBody)}
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxSignedBody+1))
		if err != nil {
			return &refusal{status: http.StatusBadRequest, kind: kindMalformed, msg: "reading the request body: " + err.Error()}
		}
		if int64(len(body)) > g.cfg.MaxSignedBody {
			return &refusal{status: http.StatusRequestEntityTooLarge, kind: kindTooLarge, msg: fmt.Sprintf("the request body exceeds %d bytes", g.cfg.MaxSignedBody)}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	if err := sigv4.Verify(r, s, g.cfg.Credentials, payload); err != nil {
		return signatureRefusal(err)
	}
	return nil
}

// v2Resources are the path-style paths a SigV2 signer may have signed for
// r: the path as sent, and for a virtual host (photos.localhost) the path
// with the bucket in front.
func v2Resources(r *http.Request) []string {
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if !strings.HasPrefix(path, "/") {
		path = r.URL.EscapedPath()
	}
	out := []string{path}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, base := range []string{".s3.localhost", ".localhost"} {
		if b, ok := strings.CutSuffix(host, base); ok && b != "" {
			return append(out, "/"+b+path)
		}
	}
	return out
}

func signatureRefusal(err error) *refusal {
	var se *sigv4.SignatureError
	if !errors.As(err, &se) {
		return &refusal{status: http.StatusBadRequest, kind: kindMalformed, msg: err.Error()}
	}
	switch se.Reason {
	case sigv4.ReasonUnknownKey:
		return &refusal{status: http.StatusForbidden, kind: kindUnknownKey, msg: se.Message}
	case sigv4.ReasonMismatch:
		return &refusal{status: http.StatusForbidden, kind: kindMismatch, msg: se.Message}
	default:
		return &refusal{status: http.StatusBadRequest, kind: kindMalformed, presigned: se.Presigned, msg: se.Message}
	}
}

// isSNSLink reports whether r is an unsigned ConfirmSubscription or
// Unsubscribe, the links SNS mails and posts.
func isSNSLink(r *http.Request) bool {
	if sigv4.HasSignature(r) || r.Header.Get("Authorization") != "" {
		return false
	}
	action := r.URL.Query().Get("Action")
	if action == "" {
		action = peekForm(r).Get("Action")
	}
	return snsActions[action]
}

// refusal is a request the guard answers itself, in the protocol of the
// service it was for.
type refusal struct {
	status    int
	kind      refusalKind
	presigned bool
	msg       string
}

type refusalKind int

const (
	kindMissing refusalKind = iota + 1
	kindUnsupported
	kindMalformed
	kindUnknownKey
	kindMismatch
	kindCrossSite
	kindTooLarge
)

// codes are each protocol's error codes for the refusals, as AWS names them.
var codes = map[string]map[refusalKind]string{
	ServiceS3: {kindMissing: "AccessDenied", kindUnsupported: "InvalidRequest", kindMalformed: "AuthorizationHeaderMalformed",
		kindUnknownKey: "InvalidAccessKeyId", kindMismatch: "SignatureDoesNotMatch", kindCrossSite: "AccessDenied", kindTooLarge: "EntityTooLarge"},
	ServiceSNS: {kindMissing: "MissingAuthenticationToken", kindUnsupported: "IncompleteSignature", kindMalformed: "IncompleteSignature",
		kindUnknownKey: "InvalidClientTokenId", kindMismatch: "SignatureDoesNotMatch", kindCrossSite: "AuthorizationError", kindTooLarge: "RequestEntityTooLarge"},
	ServiceStates: {kindMissing: "MissingAuthenticationTokenException", kindUnsupported: "IncompleteSignatureException", kindMalformed: "IncompleteSignatureException",
		kindUnknownKey: "UnrecognizedClientException", kindMismatch: "InvalidSignatureException", kindCrossSite: "AccessDeniedException", kindTooLarge: "RequestEntityTooLargeException"},
	ServiceLogs: {kindMissing: "MissingAuthenticationTokenException", kindUnsupported: "IncompleteSignatureException", kindMalformed: "IncompleteSignatureException",
		kindUnknownKey: "UnrecognizedClientException", kindMismatch: "InvalidSignatureException", kindCrossSite: "AccessDeniedException", kindTooLarge: "InvalidParameterException"},
	ServiceCW: {kindMissing: "MissingAuthenticationToken", kindUnsupported: "IncompleteSignature", kindMalformed: "IncompleteSignature",
		kindUnknownKey: "InvalidClientTokenId", kindMismatch: "SignatureDoesNotMatch", kindCrossSite: "AccessDenied", kindTooLarge: "RequestEntityTooLarge"},
	ServiceLambda: {kindMissing: "MissingAuthenticationTokenException", kindUnsupported: "IncompleteSignatureException", kindMalformed: "IncompleteSignatureException",
		kindUnknownKey: "UnrecognizedClientException", kindMismatch: "InvalidSignatureException", kindCrossSite: "AccessDeniedException", kindTooLarge: "RequestTooLargeException"},
}

// refuse writes rf as svc's protocol writes errors: S3 REST XML, SNS Query
// XML, or JSON with X-Amzn-Errortype for Step Functions and Lambda.
func refuse(w http.ResponseWriter, r *http.Request, svc string, rf *refusal) {
	code := codes[svc][rf.kind]
	if svc == ServiceS3 && rf.kind == kindMalformed && rf.presigned {
		code = "AuthorizationQueryParametersError"
	}
	reqID := strings.ToUpper(awsid.Hex(8))
	h := w.Header()
	h.Set("X-Amzn-Requestid", reqID)
	var body string
	switch svc {
	case ServiceS3:
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", reqID)
		body = xmlHeader + "<Error><Code>" + code + "</Code><Message>" + xmlEscape(rf.msg) + "</Message><RequestId>" + reqID + "</RequestId></Error>"
	case ServiceCW:
		// Query clients (aws CLI v2) read XML; the RPC v2 CBOR ones read
		// the status and the error-type header.
		h.Set("Content-Type", "text/xml")
		h.Set("X-Amzn-Query-Error", code+";Sender")
		body = `<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><Error><Type>Sender</Type><Code>` + code +
			"</Code><Message>" + xmlEscape(rf.msg) + "</Message></Error><RequestId>" + reqID + "</RequestId></ErrorResponse>"
	case ServiceSNS:
		h.Set("Content-Type", "text/xml")
		body = `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>` + code +
			"</Code><Message>" + xmlEscape(rf.msg) + "</Message></Error><RequestId>" + reqID + "</RequestId></ErrorResponse>"
	default:
		h.Set("Content-Type", "application/x-amz-json-1.0")
		if svc == ServiceLambda {
			h.Set("Content-Type", "application/json")
		}
		if svc == ServiceLogs {
			h.Set("Content-Type", "application/x-amz-json-1.1")
		}
		h.Set("X-Amzn-Errortype", code)
		body = `{"__type":"` + code + `","message":` + jsonString(rf.msg) + `}`
	}
	w.WriteHeader(rf.status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}
