package s3

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/imgflow/imgflow/internal/local/sigv4"
	"go.uber.org/zap"
)

// The router: one table, built once, maps (level, method, selecting
// sub-resource) to an operation. It is not an http.ServeMux because S3
// selects operations by query sub-resource, and because ServeMux cleans
// paths ("a//b", "../x"), which are valid object keys.

// level is what a request's path names.
type level int

const (
	levelService level = iota // "/"
	levelBucket               // "/bucket"
	levelObject               // "/bucket/key"
)

// handler serves one operation. It writes the success response itself and
// returns an error for anything else; the response stage turns the error
// into an S3 error body.
type handler func(s *Service, rq *request) error

// route is one operation of the S3 REST API.
type route struct {
	level  level
	method string
	sub    string // the sub-resource that selects it ("" for none)
	op     string // the operation name in the S3 API Reference
	h      handler
}

// routes lists every operation the router knows, implemented or not.
// Operations with a nil handler answer 501 NotImplemented.
func routes() []route {
	return []route{
		{levelService, "GET", "", "ListBuckets", (*Service).listBuckets},

		{levelBucket, "PUT", "", "CreateBucket", (*Service).createBucket},
		{levelBucket, "HEAD", "", "HeadBucket", (*Service).headBucket},
		{levelBucket, "DELETE", "", "DeleteBucket", (*Service).deleteBucket},
		{levelBucket, "GET", "", "ListObjects", (*Service).listObjects},
		{levelBucket, "POST", "", "PostObject", (*Service).postObject},
		{levelBucket, "GET", "versions", "ListObjectVersions", (*Service).listObjectVersions},
		{levelBucket, "GET", "versioning", "GetBucketVersioning", (*Service).getBucketVersioning},
		{levelBucket, "PUT", "versioning", "PutBucketVersioning", (*Service).putBucketVersioning},
		{levelBucket, "GET", "location", "GetBucketLocation", (*Service).getBucketLocation},
		{levelBucket, "GET", "notification", "GetBucketNotificationConfiguration", (*Service).getBucketNotification},
		{levelBucket, "PUT", "notification", "PutBucketNotificationConfiguration", (*Service).putBucketNotification},
		{levelBucket, "GET", "cors", "GetBucketCors", (*Service).getBucketCORS},
		{levelBucket, "PUT", "cors", "PutBucketCors", (*Service).putBucketCORS},
		{levelBucket, "DELETE", "cors", "DeleteBucketCors", (*Service).deleteBucketCORS},
		{levelBucket, "POST", "delete", "DeleteObjects", (*Service).deleteObjects},
		{levelBucket, "GET", "uploads", "ListMultipartUploads", (*Service).listMultipartUploads},
		{levelBucket, "GET", "tagging", "GetBucketTagging", nil},
		{levelBucket, "PUT", "tagging", "PutBucketTagging", nil},
		{levelBucket, "DELETE", "tagging", "DeleteBucketTagging", nil},

		{levelObject, "PUT", "", "PutObject", (*Service).putObject}, // and CopyObject (x-amz-copy-source)
		{levelObject, "GET", "", "GetObject", (*Service).getObject},
		{levelObject, "HEAD", "", "HeadObject", (*Service).getObject},
		{levelObject, "DELETE", "", "DeleteObject", (*Service).deleteObject},
		{levelObject, "GET", "tagging", "GetObjectTagging", (*Service).getObjectTagging},
		{levelObject, "PUT", "tagging", "PutObjectTagging", (*Service).putObjectTagging},
		{levelObject, "DELETE", "tagging", "DeleteObjectTagging", (*Service).deleteObjectTagging},
		{levelObject, "POST", "uploads", "CreateMultipartUpload", (*Service).createMultipartUpload},
		{levelObject, "PUT", "uploadId", "UploadPart", (*Service).uploadPart}, // and UploadPartCopy
		{levelObject, "GET", "uploadId", "ListParts", (*Service).listParts},
		{levelObject, "POST", "uploadId", "CompleteMultipartUpload", (*Service).completeMultipartUpload},
		{levelObject, "DELETE", "uploadId", "AbortMultipartUpload", (*Service).abortMultipartUpload},
	}
}

// selectors are the query names that select an operation, in the order
// they are looked for (uploadId before partNumber: UploadPart has both).
var selectors = []string{"uploadId", "uploads", "tagging", "versioning", "versions", "location",
	"notification", "cors", "delete"}

// notImplemented are sub-resources of S3 operations this service does not
// implement; any request naming one answers 501 NotImplemented.
var notImplemented = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "attributes": true, "encryption": true,
	"intelligent-tiering": true, "inventory": true, "legal-hold": true, "lifecycle": true, "logging": true,
	"metadataConfiguration": true, "metadataInventoryTable": true, "metadataJournalTable": true,
	"metadataTable": true, "metrics": true, "object-lock": true, "ownershipControls": true, "policy": true,
	"policyStatus": true, "publicAccessBlock": true, "renameObject": true, "replication": true,
	"requestPayment": true, "restore": true, "retention": true, "select": true, "select-type": true,
	"session": true, "torrent": true, "website": true, "abac": true,
}

// queryParams are ordinary parameters of implemented operations; they may
// be empty ("prefix="). Any other empty-valued name is taken as an unknown
// sub-resource and refused; other valued parameters are ignored, as S3
// ignores them (the SDK's x-id).
var queryParams = map[string]bool{
	"list-type": true, "prefix": true, "delimiter": true, "marker": true, "max-keys": true,
	"continuation-token": true, "start-after": true, "fetch-owner": true, "encoding-type": true,
	"key-marker": true, "version-id-marker": true, "upload-id-marker": true, "max-uploads": true,
	"max-parts": true, "part-number-marker": true, "x-id": true, "versionId": true, "partNumber": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
}

type routeKey struct {
	level  level
	method string
	sub    string
}

// router is the route table, indexed.
type router struct {
	byKey map[routeKey]route
	subs  map[string]bool // selectors some route uses
}

func newRouter() *router {
	rt := &router{byKey: map[routeKey]route{}, subs: map[string]bool{}}
	for _, r := range routes() {
		rt.byKey[routeKey{r.level, r.method, r.sub}] = r
		if r.sub != "" {
			rt.subs[r.sub] = true
		}
	}
	return rt
}

// match finds the operation of a request.
func (rt *router) match(method string, lv level, q url.Values) (route, *APIError) {
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic error messages
	for _, name := range names {
		switch {
		case notImplemented[name]:
			return route{}, errNotImplemented("?" + name)
		case rt.subs[name], queryParams[name], strings.HasPrefix(strings.ToLower(name), "x-amz-"):
		case q.Get(name) == "":
			return route{}, errNotImplemented("?" + name)
		}
	}
	sub := ""
	for _, name := range selectors {
		if _, ok := q[name]; ok {
			sub = name
			break
		}
	}
	if _, ok := q["partNumber"]; ok && sub == "" && method != "GET" && method != "HEAD" {
		return route{}, errNotImplemented("?partNumber without uploadId")
	}
	r, ok := rt.byKey[routeKey{lv, method, sub}]
	if !ok {
		return route{}, errMethodNotAllowed()
	}
	if r.h == nil {
		return route{}, errNotImplemented(r.op)
	}
	return r, nil
}

// request is one request as it moves through the lifecycle.
type request struct {
	w           http.ResponseWriter
	r           *http.Request
	q           url.Values
	bucket, key string
	route       route
	requestID   string
	hostID      string
	scope       sigv4.Scope
	// queued counts event records the request wrote; the dispatcher is
	// woken when it is > 0.
	queued int
}

// event is the event spec of a write this request makes.
func (rq *request) event(name string) *eventSpec {
	return &eventSpec{name: name, requestID: rq.requestID, hostID: rq.hostID, sourceIP: remoteIP(rq.r),
		principalID: "AWS:" + rq.scope.AccessKeyID}
}

// ServeHTTP serves one S3 request, in the stages doc.go lists.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.reqSeq.Add(1)
	rq := &request{w: w, r: r, requestID: fmt.Sprintf("%016X", n)}
	rq.hostID = base64.StdEncoding.EncodeToString([]byte(rq.requestID + rq.requestID + rq.requestID + rq.requestID))
	h := w.Header()
	h.Set("x-amz-request-id", rq.requestID)
	h.Set("x-amz-id-2", rq.hostID)
	h.Set("Server", "AmazonS3")

	if !s.enter() {
		s.respondError(rq, errServiceUnavailable())
		return
	}
	defer s.inflight.Done()

	// 1. Routing.
	if b := s.hostBucket(r.Host); b != "" {
		p := r.URL.Path
		if p == "/" {
			p = ""
		}
		r.URL.Path = "/" + b + p
		r.URL.RawPath = ""
	}
	rq.bucket, rq.key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	rq.q = r.URL.Query()
	if r.Method == http.MethodOptions { // CORS preflights are never signed
		s.servePreflight(w, r, rq.bucket, func(e *APIError) { s.respondError(rq, e) })
		return
	}

	// 2. Auth: the credential scope (the endpoint's guard has verified the
	// signature), then a web page's request against the bucket's CORS rules.
	scope, err := sigv4.Check(r, s.cfg.Region, "s3", s.clock.Now())
	if err != nil {
		var ae *sigv4.AuthError
		if errors.As(err, &ae) {
			s.respondError(rq, &APIError{Status: ae.Status, Code: ae.Code, Message: ae.Message, Region: ae.Region})
		} else {
			s.respondError(rq, &APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Access Denied"})
		}
		return
	}
	rq.scope = scope
	if fromWebPage(r) {
		cors, ae := s.checkCORS(r, rq.bucket)
		if ae != nil {
			s.respondError(rq, ae)
			return
		}
		for k, v := range cors {
			h[k] = v
		}
	}

	lv := levelObject
	switch {
	case rq.bucket == "":
		lv = levelService
	case rq.key == "":
		lv = levelBucket
	}
	if strings.IndexByte(rq.key, 0) >= 0 {
		s.respondError(rq, errInvalidArgument("Object key must not contain NUL"))
		return
	}
	route, ae := s.router.match(r.Method, lv, rq.q)
	if ae != nil {
		s.respondError(rq, ae)
		return
	}
	rq.route = route

	// 3. Handler.
	err = route.h(s, rq)

	// 4. Response: the handler wrote a success; errors are written here.
	if err != nil {
		s.respondError(rq, s.toAPIError(rq, err))
	}
	if rq.queued > 0 {
		s.kick()
	}
}

// toAPIError maps a handler's error to what the client sees; anything
// that is not an S3 error is logged here, once, and answered 500.
func (s *Service) toAPIError(rq *request, err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	if isNoSpace(err) {
		s.log.Warn("s3 write refused: data directory full", zap.String("op", rq.route.op), zap.Error(err))
		return errInsufficientStorage(s.cfg.DataDir)
	}
	s.log.Error("s3 request failed", zap.String("op", rq.route.op), zap.String("bucket", rq.bucket), zap.Error(err))
	return errInternal()
}

func (s *Service) respondError(rq *request, e *APIError) {
	writeAPIError(rq.w, rq.r, e, rq.requestID, rq.hostID)
}

// hostBucket returns the bucket a virtual-host style Host names, or "".
func (s *Service) hostBucket(host string) string {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || net.ParseIP(strings.Trim(h, "[]")) != nil {
		return ""
	}
	for _, b := range s.bases {
		if h == b {
			return ""
		}
	}
	for _, b := range s.bases {
		if strings.HasSuffix(h, "."+b) {
			return h[:len(h)-len(b)-1]
		}
	}
	return ""
}

func remoteIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
