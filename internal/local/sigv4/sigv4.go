// Package sigv4 checks that a request is SigV4-signed for the local stack's
// region and a given service.
package sigv4

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The check accepts any credentials and does not verify the signature math;
// it only proves that the client signed with SigV4 for the right region and
// service, which is what catches a client configured for the wrong region
// before it talks to real AWS.

// sigV4Algorithm is the only signing algorithm accepted.
const sigV4Algorithm = "AWS4-HMAC-SHA256"

// Scope is the credential scope a request was signed with:
// <AccessKeyID>/<Date>/<Region>/<Service>/aws4_request.
type Scope struct {
	AccessKeyID string
	Date        string // YYYYMMDD
	Region      string
	Service     string
	// Presigned is true when the credentials came from the query string
	// (X-Amz-Credential) rather than the Authorization header.
	Presigned bool
}

// AuthError is a rejected request, carrying what the wire needs: an HTTP
// status, the AWS error code and a public message. Region is the expected
// region for region errors (S3 sends it back in <Region>).
type AuthError struct {
	Status  int
	Code    string
	Message string
	Region  string
}

func (e *AuthError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Check reports the SigV4 credential scope of r, or an *AuthError when r
// is not SigV4-signed for region and service. now is used only to reject
// expired presigned URLs.
//
// The codes and statuses follow AWS: no credentials at all is 403
// AccessDenied; a malformed header or a wrong region/service is 400
// AuthorizationHeaderMalformed (AuthorizationQueryParametersError for
// presigned URLs); another auth scheme is 400 InvalidRequest/InvalidArgument.
func Check(r *http.Request, region, service string, now time.Time) (Scope, error) {
	authz := r.Header.Get("Authorization")
	q := r.URL.Query()
	_, presigned := q["X-Amz-Credential"]
	if !presigned {
		_, presigned = q["X-Amz-Algorithm"]
	}
	switch {
	case authz != "" && presigned:
		return Scope{}, &AuthError{Status: http.StatusBadRequest, Code: "InvalidArgument",
			Message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"}
	case authz != "":
		return checkAuthorizationHeader(r, authz, region, service)
	case presigned:
		return checkPresigned(q, region, service, now)
	case q.Get("AWSAccessKeyId") != "" && service == "s3":
		return checkV2Presigned(q, now)
	case q.Get("AWSAccessKeyId") != "":
		return Scope{}, &AuthError{Status: http.StatusBadRequest, Code: "InvalidRequest",
			Message: "The authorization mechanism you have provided is not supported. Please use " + sigV4Algorithm + "."}
	default:
		return Scope{}, &AuthError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Access Denied"}
	}
}

func checkAuthorizationHeader(r *http.Request, authz, region, service string) (Scope, error) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(authz), " ")
	switch scheme {
	case sigV4Algorithm:
	case "AWS":
		return Scope{}, &AuthError{Status: http.StatusBadRequest, Code: "InvalidRequest",
			Message: "The authorization mechanism you have provided is not supported. Please use " + sigV4Algorithm + "."}
	default:
		return Scope{}, &AuthError{Status: http.StatusBadRequest, Code: "InvalidArgument",
			Message: "Unsupported Authorization Type"}
	}
	var credential, signedHeaders, signature string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			signature = v
		}
	}
	if credential == "" || signedHeaders == "" || signature == "" {
		return Scope{}, &AuthError{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed",
			Message: "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.",
			Region:  region}
	}
	scope, msg := parseCredentialScope(credential, region, service)
	if msg != "" {
		return Scope{}, &AuthError{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed",
			Message: "The authorization header is malformed; " + msg, Region: region}
	}
	if r.Header.Get("X-Amz-Date") == "" && r.Header.Get("Date") == "" {
		return Scope{}, &AuthError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "AWS authentication requires a valid Date or x-amz-date header"}
	}
	return scope, nil
}

func checkPresigned(q map[string][]string, region, service string, now time.Time) (Scope, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	queryErr := func(msg string) error {
		return &AuthError{Status: http.StatusBadRequest, Code: "AuthorizationQueryParametersError", Message: msg, Region: region}
	}
	if get("X-Amz-Algorithm") != sigV4Algorithm {
		return Scope{}, queryErr("X-Amz-Algorithm only supports \"" + sigV4Algorithm + "\"")
	}
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		if get(k) == "" {
			return Scope{}, queryErr("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	scope, msg := parseCredentialScope(get("X-Amz-Credential"), region, service)
	if msg != "" {
		return Scope{}, queryErr("Error parsing the X-Amz-Credential parameter; " + msg)
	}
	scope.Presigned = true
	signedAt, err := time.Parse("20060102T150405Z", get("X-Amz-Date"))
	if err != nil {
		return Scope{}, queryErr("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	expires, err := strconv.ParseInt(get("X-Amz-Expires"), 10, 64)
	if err != nil || expires < 0 {
		return Scope{}, queryErr("X-Amz-Expires should be a number")
	}
	if expires > 604800 {
		return Scope{}, queryErr("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
	}
	if now.After(signedAt.Add(time.Duration(expires) * time.Second)) {
		return Scope{}, &AuthError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Request has expired"}
	}
	return scope, nil
}

// parseCredentialScope parses "<AKID>/<date>/<region>/<service>/aws4_request"
// and returns a message fragment describing the first problem, if any.
func parseCredentialScope(credential, region, service string) (Scope, string) {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" || parts[4] != "aws4_request" {
		return Scope{}, "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	}
	if _, err := time.Parse("20060102", parts[1]); err != nil {
		return Scope{}, fmt.Sprintf("invalid credential date \"%s\". This date is not the same as X-Amz-Date.", parts[1])
	}
	if parts[2] != region {
		return Scope{}, fmt.Sprintf("the region '%s' is wrong; expecting '%s'", parts[2], region)
	}
	if parts[3] != service {
		return Scope{}, fmt.Sprintf("incorrect service \"%s\". This endpoint belongs to \"%s\".", parts[3], service)
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, ""
}
