package sigv4

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// S3 also accepts the Signature Version 2 presigned query form, which
// boto3 before 1.36 and the aws CLI v1 sign by default:
//
//	?AWSAccessKeyId=<key>&Expires=<unix seconds>&Signature=<base64>
//	StringToSign = Method \n Content-MD5 \n Content-Type \n Expires \n
//	               CanonicalizedAmzHeaders CanonicalizedResource
//	Signature    = base64(HMAC-SHA1(secret, StringToSign))
//
// CanonicalizedResource is the path-style path ("/bucket/key", as sent)
// followed by the sub-resources and response overrides of the query,
// sorted, with their decoded values (the S3 Developer Guide's "Signing and
// authenticating REST requests").

// v2SubResources are the query names CanonicalizedResource includes.
var v2SubResources = map[string]bool{
	"acl": true, "cors": true, "delete": true, "lifecycle": true, "location": true, "logging": true,
	"notification": true, "partNumber": true, "policy": true, "requestPayment": true, "restore": true,
	"tagging": true, "torrent": true, "uploadId": true, "uploads": true, "versionId": true,
	"versioning": true, "versions": true, "website": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
	"response-content-language": true, "response-content-type": true, "response-expires": true,
}

// HasV2Presign reports whether r carries a SigV2 presigned query.
func HasV2Presign(r *http.Request) bool {
	q := r.URL.Query()
	return q.Get("AWSAccessKeyId") != "" && q.Get("Signature") != "" && q.Get("Expires") != ""
}

// checkV2Presigned checks a SigV2 presigned query's expiry; the signature
// is verified by VerifyV2Presigned.
func checkV2Presigned(q url.Values, now time.Time) (Scope, error) {
	if q.Get("Signature") == "" || q.Get("Expires") == "" {
		return Scope{}, &AuthError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"}
	}
	exp, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	if err != nil {
		return Scope{}, &AuthError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "Invalid date (should be seconds since epoch): " + q.Get("Expires")}
	}
	if now.Unix() > exp {
		return Scope{}, &AuthError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Request has expired"}
	}
	return Scope{AccessKeyID: q.Get("AWSAccessKeyId"), Presigned: true}, nil
}

// VerifyV2Presigned verifies r's SigV2 presigned signature. resources are
// the candidate path-style paths of r (as sent, and with a virtual host's
// bucket prepended); one must verify.
func VerifyV2Presigned(r *http.Request, creds Credentials, resources []string) error {
	q := r.URL.Query()
	key := q.Get("AWSAccessKeyId")
	secret, ok := creds.SecretKey(key)
	if !ok {
		return &SignatureError{Reason: ReasonUnknownKey, Presigned: true, Message: "the access key ID " + key + " is not known"}
	}
	got, err := base64.StdEncoding.DecodeString(q.Get("Signature"))
	if err != nil {
		return &SignatureError{Reason: ReasonMismatch, Presigned: true,
			Message: "the request signature we calculated does not match the signature you provided; check your key and signing method"}
	}
	for _, res := range resources {
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(v2StringToSign(r, q, res)))
		if hmac.Equal(mac.Sum(nil), got) {
			return nil
		}
	}
	return &SignatureError{Reason: ReasonMismatch, Presigned: true,
		Message: "the request signature we calculated does not match the signature you provided; check your key and signing method"}
}

func v2StringToSign(r *http.Request, q url.Values, resource string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(r.Header.Get("Content-Md5") + "\n")
	b.WriteString(r.Header.Get("Content-Type") + "\n")
	b.WriteString(q.Get("Expires") + "\n")
	var amz []string
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-") {
			amz = append(amz, lk)
		}
	}
	sort.Strings(amz)
	for _, k := range amz {
		b.WriteString(k + ":" + strings.Join(r.Header.Values(k), ",") + "\n")
	}
	b.WriteString(resource)
	var subs []string
	for k := range q {
		if v2SubResources[k] {
			subs = append(subs, k)
		}
	}
	sort.Strings(subs)
	for i, k := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		if v := q.Get(k); v != "" {
			b.WriteString("=" + v)
		}
	}
	return b.String()
}

// StaticCredentials are configured access keys: key ID → secret access
// key. With them, only these keys are accepted.
type StaticCredentials map[string]string

// SecretKey returns id's configured secret.
func (c StaticCredentials) SecretKey(id string) (string, bool) {
	s, ok := c[id]
	return s, ok
}

// ParseCredentials parses "AKID:SECRET[,AKID:SECRET...]", the form of the
// local stack's credentials flag.
func ParseCredentials(s string) (StaticCredentials, error) {
	out := StaticCredentials{}
	for pair := range strings.SplitSeq(s, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || id == "" || secret == "" {
			return nil, &SignatureError{Reason: ReasonMalformed, Message: "credentials must be AKID:SECRET[,AKID:SECRET...]"}
		}
		out[id] = secret
	}
	return out, nil
}
