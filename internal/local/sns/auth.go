package sns

import (
	"net/http"
	"strings"
)

// checkAuth requires a complete SigV4 Authorization header (Credential,
// SignedHeaders, Signature) or a complete presigned query (all six X-Amz-*
// parameters), with a credential scope of <date>/<region>/sns/aws4_request.
// The endpoint in front of the service verifies the signature itself.
func (s *Service) checkAuth(r *http.Request) *APIError {
	cred := ""
	if h := r.Header.Get("Authorization"); h != "" {
		algo, rest, _ := strings.Cut(h, " ")
		if algo != "AWS4-HMAC-SHA256" {
			return newAPIError(http.StatusBadRequest, "IncompleteSignature", "Unsupported AWS 'algorithm': '%s'", algo)
		}
		var signedHeaders, signature string
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				signature = v
			}
		}
		if cred == "" || signedHeaders == "" || signature == "" {
			return newAPIError(http.StatusBadRequest, "IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
		}
	} else if q := r.URL.Query(); q.Get("X-Amz-Credential") != "" || q.Get("X-Amz-Signature") != "" || q.Get("X-Amz-Algorithm") != "" {
		for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
			if q.Get(k) == "" {
				return newAPIError(http.StatusBadRequest, "IncompleteSignature",
					"A presigned request requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature parameters; %s is missing.", k)
			}
		}
		cred = q.Get("X-Amz-Credential")
	} else {
		return errMissingAuth
	}
	scope := strings.Split(cred, "/") // AKID/date/region/service/aws4_request
	if len(scope) != 5 || scope[0] == "" || scope[4] != "aws4_request" {
		return newAPIError(http.StatusBadRequest, "IncompleteSignature", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred)
	}
	if scope[2] != s.cfg.Region {
		return newAPIError(http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not '%s'. ", scope[2])
	}
	if scope[3] != "sns" {
		return newAPIError(http.StatusForbidden, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sns'. ")
	}
	return nil
}

// MatchRequest reports whether r is meant for SNS, without reading its
// body, for the endpoint mux: a SigV4 credential scoped to the sns service,
// an SNS X-Amz-Target, or an unsigned ConfirmSubscription/Unsubscribe link.
func MatchRequest(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSimpleNotificationService.") {
		return true
	}
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		if _, after, ok := strings.Cut(h, "Credential="); ok {
			cred, _, _ = strings.Cut(after, ",")
		}
	}
	if scope := strings.Split(cred, "/"); len(scope) == 5 {
		return scope[3] == "sns"
	}
	switch r.URL.Query().Get("Action") {
	case "ConfirmSubscription", "Unsubscribe":
		return r.URL.Query().Get("TopicArn") != "" || r.URL.Query().Get("SubscriptionArn") != ""
	}
	return false
}
