package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Bucket CORS, as S3 does it: Put/Get/DeleteBucketCors store a bucket's
// rules; an OPTIONS preflight is answered from the first rule that allows
// its Origin, method and headers, or refused with 403 CORSResponse; and a
// request a web page sends gets the matching rule's Access-Control-*
// headers; no other response carries Access-Control-* headers.
//
// One difference from AWS, because the local stack's credentials are
// public and a page can compute a presigned URL with them: a request that
// carries an Origin no rule allows is refused (AWS runs it and only leaves
// out the CORS headers).

// CORSRule is one rule of a bucket's CORS configuration.
type CORSRule struct {
	ID             string   `xml:"ID,omitempty" json:"id,omitempty"`
	AllowedOrigins []string `xml:"AllowedOrigin" json:"allowedOrigins"`
	AllowedMethods []string `xml:"AllowedMethod" json:"allowedMethods"`
	AllowedHeaders []string `xml:"AllowedHeader,omitempty" json:"allowedHeaders,omitempty"`
	ExposeHeaders  []string `xml:"ExposeHeader,omitempty" json:"exposeHeaders,omitempty"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty" json:"maxAgeSeconds,omitempty"`
}

type corsConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Rules   []CORSRule `xml:"CORSRule"`
}

const s3XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

// maxCORSRules is S3's limit on rules per bucket.
const maxCORSRules = 100

var corsMethods = map[string]bool{"GET": true, "PUT": true, "HEAD": true, "POST": true, "DELETE": true}

// validateCORS checks rules as PutBucketCors does.
func validateCORS(rules []CORSRule) *APIError {
	if len(rules) == 0 {
		return errMalformedXML()
	}
	if len(rules) > maxCORSRules {
		return &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
			Message: fmt.Sprintf("The CORS configuration must not have more than %d rules.", maxCORSRules)}
	}
	for _, rule := range rules {
		if len(rule.AllowedOrigins) == 0 || len(rule.AllowedMethods) == 0 {
			return errMalformedXML()
		}
		if len(rule.ID) > 255 {
			return &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: "The ID of a CORS rule must be at most 255 characters."}
		}
		for _, m := range rule.AllowedMethods {
			if !corsMethods[m] {
				return &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
					Message: "Found unsupported HTTP method in CORS config. Unsupported method is " + m}
			}
		}
		for _, o := range rule.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
					Message: fmt.Sprintf("AllowedOrigin %q can not have more than one wildcard.", o)}
			}
		}
		for _, h := range rule.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
					Message: fmt.Sprintf("AllowedHeader %q can not have more than one wildcard.", h)}
			}
		}
		if rule.MaxAgeSeconds != nil && *rule.MaxAgeSeconds < 0 {
			return errMalformedXML()
		}
	}
	return nil
}

// wildcardMatch matches s against a pattern with at most one '*'.
func wildcardMatch(pattern, s string) bool {
	before, after, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// match returns the first rule allowing origin, method and every header
// (lower-cased), or nil.
func matchCORS(rules []CORSRule, origin, method string, headers []string) *CORSRule {
	for i := range rules {
		rule := &rules[i]
		okOrigin := false
		for _, o := range rule.AllowedOrigins {
			if wildcardMatch(o, origin) {
				okOrigin = true
				break
			}
		}
		okMethod := false
		for _, m := range rule.AllowedMethods {
			if m == method {
				okMethod = true
				break
			}
		}
		if !okOrigin || !okMethod {
			continue
		}
		okHeaders := true
		for _, h := range headers {
			found := false
			for _, a := range rule.AllowedHeaders {
				if wildcardMatch(strings.ToLower(a), h) {
					found = true
					break
				}
			}
			if !found {
				okHeaders = false
				break
			}
		}
		if okHeaders {
			return rule
		}
	}
	return nil
}

// corsHeaders are the Access-Control-* headers rule gives a request from origin.
func corsHeaders(rule *CORSRule, origin string) http.Header {
	h := http.Header{}
	allowAny := false
	for _, o := range rule.AllowedOrigins {
		if o == "*" {
			allowAny = true
		}
	}
	if allowAny {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	return h
}

func errCORSNotAllowed() *APIError {
	return &APIError{Status: http.StatusForbidden, Code: "CORSResponse",
		Message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."}
}

// servePreflight answers an OPTIONS request from bucket's CORS rules.
func (s *Service) servePreflight(w http.ResponseWriter, r *http.Request, bucket string, fail func(*APIError)) {
	origin, method := r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method")
	if origin == "" {
		fail(&APIError{Status: http.StatusBadRequest, Code: "BadRequest", Message: "Insufficient information. Origin request header needed."})
		return
	}
	if !corsMethods[method] {
		fail(&APIError{Status: http.StatusBadRequest, Code: "BadRequest", Message: "Invalid Access-Control-Request-Method: " + method})
		return
	}
	if bucket == "" {
		fail(errCORSNotAllowed())
		return
	}
	br, err := s.st.getBucket(bucket)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			ae = errInternal()
		}
		fail(ae)
		return
	}
	if len(br.CORS) == 0 {
		fail(&APIError{Status: http.StatusForbidden, Code: "CORSResponse", Message: "CORSResponse: CORS is not enabled for this bucket."})
		return
	}
	var headers []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
				headers = append(headers, h)
			}
		}
	}
	rule := matchCORS(br.CORS, origin, method, headers)
	if rule == nil {
		fail(errCORSNotAllowed())
		return
	}
	h := w.Header()
	for k, v := range corsHeaders(rule, origin) {
		h[k] = v
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	if rule.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*rule.MaxAgeSeconds))
	}
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	w.WriteHeader(http.StatusOK)
}

// fromWebPage reports whether a browser marked r as sent by a web page.
func fromWebPage(r *http.Request) bool {
	if r.Header.Get("Origin") != "" {
		return true
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return r.Method != http.MethodGet && r.Method != http.MethodHead
	}
	return false
}

// checkCORS decides a request a web page sent: it returns the headers of
// the bucket rule that allows it, or an error refusing it.
func (s *Service) checkCORS(r *http.Request, bucket string) (http.Header, *APIError) {
	origin := r.Header.Get("Origin")
	refused := &APIError{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: fmt.Sprintf("This request comes from a web page (Origin %q) and no CORS rule of the bucket allows it.", origin)}
	if bucket == "" || origin == "" {
		return nil, refused
	}
	br, err := s.st.getBucket(bucket)
	if err != nil {
		return nil, refused
	}
	rule := matchCORS(br.CORS, origin, r.Method, nil)
	if rule == nil {
		return nil, refused
	}
	h := corsHeaders(rule, origin)
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	return h, nil
}

func (s *Service) getBucketCORS(rq *request) error {
	br, err := s.st.getBucket(rq.bucket)
	if err != nil {
		return err
	}
	if len(br.CORS) == 0 {
		return &APIError{Status: http.StatusNotFound, Code: "NoSuchCORSConfiguration",
			Message: "The CORS configuration does not exist", BucketName: rq.bucket}
	}
	return writeXML(rq.w, corsConfiguration{XMLName: xml.Name{Space: s3XMLNS, Local: "CORSConfiguration"}, Rules: br.CORS})
}

func (s *Service) putBucketCORS(rq *request) error {
	var cfg corsConfiguration
	if err := readXML(rq.w, rq.r, s.cfg.MaxXMLBodySize, &cfg); err != nil {
		return err
	}
	if err := s.SetCORS(rq.r.Context(), rq.bucket, cfg.Rules); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteBucketCORS(rq *request) error {
	if err := s.SetCORS(rq.r.Context(), rq.bucket, nil); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// SetCORS replaces bucket's CORS rules (nil removes them), validated as
// PutBucketCors validates them.
func (s *Service) SetCORS(ctx context.Context, bucket string, rules []CORSRule) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rules != nil {
		if ae := validateCORS(rules); ae != nil {
			return ae
		}
	}
	if err := s.st.updateBucket(bucket, func(br *bucketRecord) error {
		br.CORS = rules
		return nil
	}); err != nil {
		return fmt.Errorf("s3 set cors %q: %w", bucket, err)
	}
	return nil
}
