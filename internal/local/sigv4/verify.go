package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature verification, as AWS Signature Version 4 defines it:
//
//	CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n
//	                   CanonicalHeaders \n SignedHeaders \n PayloadHash
//	StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n Scope \n hex(SHA256(CanonicalRequest))
//	SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
//	Signature        = hex(HMAC(SigningKey, StringToSign))
//
// S3 signs the URI path as sent; every other service escapes it once more.
// The chunk signatures of an aws-chunked body are not verified: the seed
// signature in the Authorization header covers the headers and the URL.

// Credentials gives the secret access key of an access key ID.
type Credentials interface {
	SecretKey(accessKeyID string) (secret string, ok bool)
}

// KeyIDIsSecret accepts every access key ID, with the ID itself as its
// secret access key: test/test, local/local, imgflow-local/imgflow-local.
// The local stack's credentials are public; what the signature proves is
// that the request was built by an AWS client, not by a web page.
type KeyIDIsSecret struct{}

// SecretKey returns accessKeyID.
func (KeyIDIsSecret) SecretKey(accessKeyID string) (string, bool) {
	return accessKeyID, accessKeyID != ""
}

// Reason classifies a SignatureError, for each protocol's error code.
type Reason int

const (
	// ReasonMalformed: the SigV4 material is incomplete or unparsable.
	ReasonMalformed Reason = iota + 1
	// ReasonUnknownKey: Credentials has no secret for the access key ID.
	ReasonUnknownKey
	// ReasonMismatch: the signature is not the one the secret gives.
	ReasonMismatch
)

// SignatureError is a request whose SigV4 signature cannot be accepted.
type SignatureError struct {
	Reason    Reason
	Presigned bool
	Message   string
}

func (e *SignatureError) Error() string { return "sigv4: " + e.Message }

// Signed is the SigV4 material of one request, from the Authorization
// header or from the query string of a presigned URL.
type Signed struct {
	Presigned     bool
	Scope         Scope
	AmzDate       string // yyyyMMdd'T'HHmmss'Z', as signed
	SignedHeaders []string
	Signature     string
}

// HasSignature reports whether r carries SigV4 material at all: an
// AWS4-HMAC-SHA256 Authorization header or X-Amz-* signing parameters in
// the query.
func HasSignature(r *http.Request) bool {
	if strings.HasPrefix(strings.TrimSpace(r.Header.Get("Authorization")), sigV4Algorithm) {
		return true
	}
	q := r.URL.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"} {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

// Parse reads r's SigV4 material and checks that it is complete: a header
// with Credential, SignedHeaders (including host) and Signature and an
// X-Amz-Date, or a query with all six X-Amz-* presigning parameters. It
// does not check the region, the service or an expiry; Check does.
func Parse(r *http.Request) (*Signed, error) {
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	q := r.URL.Query()
	_, presigned := q["X-Amz-Algorithm"]
	if _, ok := q["X-Amz-Credential"]; ok {
		presigned = true
	}
	if _, ok := q["X-Amz-Signature"]; ok {
		presigned = true
	}
	malformed := func(msg string) error {
		return &SignatureError{Reason: ReasonMalformed, Presigned: presigned, Message: msg}
	}
	var s Signed
	var credential, signedHeaders string
	switch {
	case authz != "" && presigned:
		return nil, malformed("only one auth mechanism is allowed: the Authorization header or the X-Amz-* query parameters")
	case presigned:
		s.Presigned = true
		if q.Get("X-Amz-Algorithm") != sigV4Algorithm {
			return nil, malformed("X-Amz-Algorithm only supports \"" + sigV4Algorithm + "\"")
		}
		for _, k := range []string{"X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
			if q.Get(k) == "" {
				return nil, malformed("query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters")
			}
		}
		if _, err := strconv.ParseUint(q.Get("X-Amz-Expires"), 10, 32); err != nil {
			return nil, malformed("X-Amz-Expires should be a number")
		}
		credential, signedHeaders = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders")
		s.Signature, s.AmzDate = q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
	default:
		rest, ok := strings.CutPrefix(authz, sigV4Algorithm+" ")
		if !ok {
			return nil, malformed("the Authorization header must use " + sigV4Algorithm)
		}
		for part := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				s.Signature = v
			}
		}
		if credential == "" || signedHeaders == "" || s.Signature == "" {
			return nil, malformed("the Authorization header requires three components: Credential, SignedHeaders, and Signature")
		}
		s.AmzDate = r.Header.Get("X-Amz-Date")
		if s.AmzDate == "" {
			if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
				s.AmzDate = t.UTC().Format(amzDateFormat)
			}
		}
		if s.AmzDate == "" {
			return nil, malformed("AWS authentication requires a valid Date or x-amz-date header")
		}
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[3] == "" || parts[4] != "aws4_request" {
		return nil, malformed("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"")
	}
	if _, err := time.Parse(amzDateFormat, s.AmzDate); err != nil {
		return nil, malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if parts[1] != s.AmzDate[:8] {
		return nil, malformed("invalid credential date \"" + parts[1] + "\": it is not the date of X-Amz-Date")
	}
	s.Scope = Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3], Presigned: s.Presigned}
	s.SignedHeaders = strings.Split(signedHeaders, ";")
	if !slices.Contains(s.SignedHeaders, "host") {
		return nil, malformed("SignedHeaders must include host")
	}
	if len(s.Signature) != 64 {
		return nil, malformed("the Signature must be 64 hexadecimal digits")
	}
	return &s, nil
}

const amzDateFormat = "20060102T150405Z"

// Verify recomputes s's signature over r with the secret creds gives for
// its access key and compares. payloadHash is the hex SHA-256 of the body,
// or the literal the client signed instead (UNSIGNED-PAYLOAD,
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD, ...).
func Verify(r *http.Request, s *Signed, creds Credentials, payloadHash string) error {
	secret, ok := creds.SecretKey(s.Scope.AccessKeyID)
	if !ok {
		return &SignatureError{Reason: ReasonUnknownKey, Presigned: s.Presigned,
			Message: "the access key ID " + s.Scope.AccessKeyID + " is not known"}
	}
	canonical, err := canonicalRequest(r, s, payloadHash)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(canonical))
	scope := s.Scope.Date + "/" + s.Scope.Region + "/" + s.Scope.Service + "/aws4_request"
	toSign := sigV4Algorithm + "\n" + s.AmzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + secret)
	for _, part := range []string{s.Scope.Date, s.Scope.Region, s.Scope.Service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(s.Signature))) {
		return &SignatureError{Reason: ReasonMismatch, Presigned: s.Presigned,
			Message: "the request signature we calculated does not match the signature you provided; check your key and signing method"}
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// canonicalRequest builds the canonical request of r as s signed it.
func canonicalRequest(r *http.Request, s *Signed, payloadHash string) (string, error) {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')

	path := r.URL.EscapedPath()
	if rp, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(rp, "/") {
		path = rp // exactly as sent
	}
	if path == "" {
		path = "/"
	}
	if s.Scope.Service != "s3" {
		path = escape(path, false)
	}
	b.WriteString(path)
	b.WriteByte('\n')

	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", &SignatureError{Reason: ReasonMalformed, Presigned: s.Presigned, Message: "the query string is malformed"}
	}
	if s.Presigned {
		delete(q, "X-Amz-Signature")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	first := true
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.WriteString(escape(k, true))
			b.WriteByte('=')
			b.WriteString(escape(v, true))
		}
	}
	b.WriteByte('\n')

	for _, name := range s.SignedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.SignedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// headerValue is a signed header's canonical value: its values trimmed,
// inner runs of spaces collapsed, joined with commas. net/http moves Host,
// Content-Length and Transfer-Encoding out of the header map.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if r.Header.Get("Content-Length") == "" && r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return strings.Join(r.TransferEncoding, ",")
		}
	}
	vs := r.Header.Values(name)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// escape percent-encodes every byte but the RFC 3986 unreserved ones; a
// '/' is kept unless encodeSlash (paths keep it, query components do not).
func escape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
