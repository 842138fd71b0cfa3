package s3

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/imgflow/imgflow/internal/local/sigv4"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/johannesboyne/gofakes3"
	"go.uber.org/zap"
)

// Notifier delivers one S3 event to a notification target (the Lambda
// function ARN of the matching configuration). It must honour ctx. A nil
// error means the event was accepted; the service then forgets it.
type Notifier interface {
	Notify(ctx context.Context, target string, event events.S3Event) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, target string, event events.S3Event) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, target string, event events.S3Event) error {
	return f(ctx, target, event)
}

// Service is the local S3 service. It is an http.Handler; it also owns the
// event dispatcher goroutine, which Close stops.
type Service struct {
	cfg      Config
	st       *store
	notifier Notifier
	log      *zap.Logger
	clock    Clock
	bases    []string // host bucket bases, longest first

	reqSeq atomic.Uint64

	mu       sync.RWMutex // guards closed
	closed   bool
	inflight sync.WaitGroup

	kickc      chan struct{}
	stopc      chan struct{}
	cancelRun  context.CancelFunc // cancels in-flight deliveries on a forced Close
	dispatcher sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

var _ http.Handler = (*Service)(nil)

// New opens (or creates) the store under cfg.DataDir and starts the event
// dispatcher. notifier may be nil: events are then recorded and kept
// pending for a later run. logger nil means no logging; clock nil means the
// wall clock.
func New(cfg *Config, notifier Notifier, logger *zap.Logger, clock Clock) (*Service, error) {
	if cfg == nil {
		return nil, errors.New("s3: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	if clock == nil {
		clock = wallClock{}
	}
	st, err := openStore(cfg.DataDir, clock, cfg.Region, cfg.AccountID)
	if err != nil {
		return nil, err
	}
	bases := make([]string, 0, len(cfg.HostBucketBases))
	for _, b := range cfg.HostBucketBases {
		bases = append(bases, strings.ToLower(strings.Trim(b, ".")))
	}
	sort.Slice(bases, func(i, j int) bool { return len(bases[i]) > len(bases[j]) })
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: *cfg, st: st, notifier: notifier, clock: clock, bases: bases,
		log:   logger.With(zap.String("component", "s3")),
		kickc: make(chan struct{}, 1), stopc: make(chan struct{}),
		cancelRun: cancel,
	}
	// Request IDs continue across restarts (they appear in event records).
	s.reqSeq.Store(uint64(clock.Now().UnixMilli()) << 16)
	if notifier != nil {
		if err := st.makeAllDue(clock.Now()); err != nil {
			st.close()
			return nil, fmt.Errorf("s3: %w", err)
		}
		s.dispatcher.Add(1)
		go s.runDispatcher(runCtx)
	}
	return s, nil
}

// Close stops accepting requests, stops the dispatcher and closes the store.
// It waits for in-flight requests and deliveries until ctx is done; then it
// cancels the deliveries still running (they stay pending and are delivered
// again after a restart) and returns ctx's error.
func (s *Service) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stopc)
		done := make(chan struct{})
		go func() {
			s.inflight.Wait()
			s.dispatcher.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			s.closeErr = fmt.Errorf("s3 close: %w", ctx.Err())
			s.cancelRun()
			s.dispatcher.Wait() // a Notifier must honour ctx
		}
		s.cancelRun()
		if err := s.st.close(); err != nil && s.closeErr == nil {
			s.closeErr = fmt.Errorf("s3 close: %w", err)
		}
	})
	return s.closeErr
}

func (s *Service) enter() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	s.inflight.Add(1)
	return true
}

func (s *Service) kick() {
	select {
	case s.kickc <- struct{}{}:
	default:
	}
}

// ---- Go API ----

// VersioningStatus is a bucket's versioning state.
type VersioningStatus string

// Versioning states a bucket can be put in.
const (
	VersioningEnabled   VersioningStatus = versioningEnabled
	VersioningSuspended VersioningStatus = versioningSuspended
)

// CreateBucket creates a bucket. Unlike the wire API it is idempotent: an
// existing bucket is not an error, so the stack can wire buckets on every start.
func (s *Service) CreateBucket(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := gofakes3.ValidateBucketName(name); err != nil {
		return fmt.Errorf("s3 create bucket %q: %w", name, err)
	}
	err := s.st.createBucket(name)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("s3 create bucket %q: %w", name, err)
	}
	return nil
}

// PutBucketVersioning enables or suspends versioning on bucket.
func (s *Service) PutBucketVersioning(ctx context.Context, bucket string, status VersioningStatus) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if status != VersioningEnabled && status != VersioningSuspended {
		return fmt.Errorf("s3 put bucket versioning %q: bad status %q", bucket, status)
	}
	err := s.st.updateBucket(bucket, func(br *bucketRecord) error {
		br.Versioning = string(status)
		return nil
	})
	if err != nil {
		return fmt.Errorf("s3 put bucket versioning %q: %w", bucket, err)
	}
	return nil
}

// SetNotification replaces bucket's notification configuration (an empty
// slice removes it), validated as PutBucketNotificationConfiguration is.
func (s *Service) SetNotification(ctx context.Context, bucket string, cfgs []LambdaConfiguration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	valid, ae := validateNotifications(cfgs)
	if ae != nil {
		return fmt.Errorf("s3 set notification %q: %w", bucket, ae)
	}
	if err := s.st.updateBucket(bucket, func(br *bucketRecord) error {
		br.Notifications = valid
		return nil
	}); err != nil {
		return fmt.Errorf("s3 set notification %q: %w", bucket, err)
	}
	return nil
}

// Notification returns bucket's notification configuration.
func (s *Service) Notification(ctx context.Context, bucket string) ([]LambdaConfiguration, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	br, err := s.st.getBucket(bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 notification %q: %w", bucket, err)
	}
	return br.Notifications, nil
}

// EventRecord is an event in the outbox (pending) or the failed set.
type EventRecord struct {
	ID          uint64
	Target      string
	Event       events.S3Event
	Attempts    int
	NextAttempt time.Time
	LastError   string
	FailedAt    time.Time
}

// PendingEvents lists events not yet delivered, oldest first.
func (s *Service) PendingEvents(ctx context.Context) ([]EventRecord, error) {
	return s.events(ctx, bktOutbox)
}

// FailedEvents lists events that exhausted their delivery attempts.
func (s *Service) FailedEvents(ctx context.Context) ([]EventRecord, error) {
	return s.events(ctx, bktFailed)
}

func (s *Service) events(ctx context.Context, bkt []byte) ([]EventRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	es, err := s.st.listEvents(bkt)
	if err != nil {
		return nil, fmt.Errorf("s3 events: %w", err)
	}
	out := make([]EventRecord, len(es))
	for i, e := range es {
		out[i] = EventRecord{ID: e.ID, Target: e.Target, Event: e.Event, Attempts: e.Attempts,
			NextAttempt: e.NextAttempt, LastError: e.LastError, FailedAt: e.FailedAt}
	}
	return out, nil
}

// ---- HTTP ----

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

// ServeHTTP serves the S3 REST API.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.reqSeq.Add(1)
	requestID := fmt.Sprintf("%016X", n)
	hostID := base64.StdEncoding.EncodeToString([]byte(requestID + requestID + requestID + requestID))
	h := w.Header()
	h.Set("x-amz-request-id", requestID)
	h.Set("x-amz-id-2", hostID)
	h.Set("Server", "AmazonS3")
	fail := func(e *APIError) { writeAPIError(w, r, e, requestID, hostID) }

	if !s.enter() {
		fail(errServiceUnavailable())
		return
	}
	defer s.inflight.Done()

	// Resolve virtual-host style to path style: gofakes3 routes on the path.
	if b := s.hostBucket(r.Host); b != "" {
		p := r.URL.Path
		if p == "/" || p == "" {
			p = ""
		}
		r.URL.Path = "/" + b + p
		r.URL.RawPath = ""
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method == http.MethodOptions { // CORS preflights are never signed
		s.servePreflight(w, r, bucket, fail)
		return
	}
	scope, err := sigv4.Check(r, s.cfg.Region, "s3", s.clock.Now())
	if err != nil {
		var ae *sigv4.AuthError
		if errors.As(err, &ae) {
			fail(&APIError{Status: ae.Status, Code: ae.Code, Message: ae.Message, Region: ae.Region})
		} else {
			fail(&APIError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Access Denied"})
		}
		return
	}
	var cors http.Header
	if fromWebPage(r) {
		var ae *APIError
		if cors, ae = s.checkCORS(r, bucket); ae != nil {
			fail(ae)
			return
		}
		for k, v := range cors {
			w.Header()[k] = v
		}
	}
	if strings.IndexByte(key, 0) >= 0 {
		fail(errInvalidArgument("Object key must not contain NUL"))
		return
	}
	if ae := checkSubresources(r, key); ae != nil {
		fail(ae)
		return
	}
	q := r.URL.Query()
	if _, ok := q["notification"]; ok {
		s.serveNotification(w, r, bucket, requestID, hostID)
		return
	}
	if _, ok := q["location"]; ok {
		s.serveLocation(w, r, bucket, requestID, hostID)
		return
	}
	if _, ok := q["cors"]; ok {
		s.serveCORS(w, r, bucket, fail)
		return
	}

	ri := &requestInfo{method: r.Method, putEvent: EventPut, cors: cors}
	if r.Method == http.MethodPost {
		ri.putEvent = EventPost
	}
	ri.ev = eventSpec{requestID: requestID, hostID: hostID, sourceIP: remoteIP(r), principalID: "AWS:" + scope.AccessKeyID}

	if ae := s.limitBody(w, r, key, q, ri); ae != nil {
		fail(ae)
		return
	}
	if key != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && q.Get("uploadId") == "" {
		if done := s.prepareRead(w, r, bucket, key, q, ri, fail); done {
			return
		}
	}
	if r.Method == http.MethodPut && q.Get("uploadId") != "" && r.Header.Get("X-Amz-Copy-Source") != "" {
		fail(errNotImplemented("UploadPartCopy (x-amz-copy-source with uploadId)"))
		return
	}
	if key != "" && r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" {
		if ae := s.prepareCopy(r, ri); ae != nil {
			fail(ae)
			return
		}
	}

	if key == "" && bucket != "" && r.Method == http.MethodHead {
		w.Header().Set("x-amz-bucket-region", s.cfg.Region)
	}
	backend := &reqBackend{st: s.st, dataDir: s.cfg.DataDir, ri: ri, log: s.log, minPartSize: s.cfg.MinPartSize}
	g := gofakes3.New(backend,
		gofakes3.WithRequestID(n-1), // gofakes3 increments before use: its id is ours
		gofakes3.WithTimeSkewLimit(0),
		gofakes3.WithIntegrityCheck(true),
		gofakes3.WithMetadataSizeLimit(0),
	)
	rw := &responseWriter{ResponseWriter: w, r: r, ri: ri, requestID: requestID, hostID: hostID}
	g.Server().ServeHTTP(rw, r)
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if ri.queued > 0 {
		s.kick()
	}
}

func remoteIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// limitBody caps the request body: object bodies at MaxObjectSize (checked
// early against the declared length, then hard-limited), others at
// MaxXMLBodySize. It also decodes aws-chunked bodies for gofakes3.
func (s *Service) limitBody(w http.ResponseWriter, r *http.Request, key string, q url.Values, ri *requestInfo) *APIError {
	isObjectBody := (r.Method == http.MethodPut && key != "" && r.Header.Get("X-Amz-Copy-Source") == "") ||
		(r.Method == http.MethodPost && key == "" && !has(q, "delete"))
	if !isObjectBody {
		r.Body = &cappedBody{ReadCloser: http.MaxBytesReader(w, r.Body, s.cfg.MaxXMLBodySize), ri: ri}
		return nil
	}
	max := s.cfg.MaxObjectSize
	if r.Method == http.MethodPost {
		max += 1 << 20 // form fields around the file
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		dl := r.Header.Get("X-Amz-Decoded-Content-Length")
		size, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || size < 0 {
			return &APIError{Status: http.StatusLengthRequired, Code: "MissingContentLength",
				Message: "You must provide the Content-Length HTTP header."}
		}
		if size > max {
			return errEntityTooLarge(max)
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{newChunkedReader(http.MaxBytesReader(w, r.Body, size+size/4+64<<10)), r.Body}
		r.ContentLength = size
		r.Header.Set("Content-Length", dl)
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		r.Header.Del("X-Amz-Decoded-Content-Length")
		var enc []string
		for _, e := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
			if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
				enc = append(enc, e)
			}
		}
		setOrDel(r.Header, "Content-Encoding", strings.Join(enc, ","))
		return nil
	}
	if r.ContentLength > max {
		return errEntityTooLarge(max)
	}
	r.Body = http.MaxBytesReader(w, r.Body, max)
	return nil
}

// cappedBody turns an oversized XML body into MaxMessageLengthExceeded
// (gofakes3 would answer 500 for the read error).
type cappedBody struct {
	io.ReadCloser
	ri *requestInfo
}

func (c *cappedBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		c.ri.apiErr = &APIError{Status: http.StatusBadRequest, Code: "MaxMessageLengthExceeded",
			Message: fmt.Sprintf("Your request was too big (limit %d bytes).", mbe.Limit)}
	}
	return n, err
}

func has(q url.Values, k string) bool { _, ok := q[k]; return ok }

// prepareRead handles what gofakes3 does not for GET/HEAD of an object:
// HEAD/GET by versionId (incl. "null"), If-Match / If-None-Match /
// If-Unmodified-Since against the stored ETag, and ?partNumber (served as
// the part's byte range). It reports true when it has answered.
func (s *Service) prepareRead(w http.ResponseWriter, r *http.Request, bucket, key string, q url.Values, ri *requestInfo, fail func(*APIError)) bool {
	ri.readVersion = q.Get("versionId")
	_, hasPart := q["partNumber"]
	hdr := r.Header
	if !hasPart && hdr.Get("If-Match") == "" && hdr.Get("If-None-Match") == "" && hdr.Get("If-Unmodified-Since") == "" {
		return false
	}
	_, rec, err := s.st.lookup(bucket, key, ri.readVersion)
	if err != nil || rec == nil || rec.DeleteMarker {
		return false // gofakes3 answers NoSuchBucket / NoSuchKey / NoSuchVersion / delete marker
	}
	if im := hdr.Get("If-Match"); im != "" {
		if !etagMatches(im, rec.ETag) {
			fail(errPreconditionFailed())
			return true
		}
	} else if ius := hdr.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && rec.LastModified.Truncate(time.Second).After(t) {
			fail(errPreconditionFailed())
			return true
		}
	}
	if inm := hdr.Get("If-None-Match"); inm != "" {
		if etagMatches(inm, rec.ETag) {
			h := w.Header()
			h.Set("ETag", `"`+rec.ETag+`"`)
			h.Set("Last-Modified", rec.LastModified.UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusNotModified)
			return true
		}
		hdr.Del("If-None-Match") // gofakes3 compares it with the content MD5, not our ETag
		hdr.Del("If-Modified-Since")
	}
	if hasPart {
		pn, err := strconv.Atoi(q.Get("partNumber"))
		if err != nil || pn < 1 || pn > gofakes3.MaxUploadPartNumber {
			fail(errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive"))
			return true
		}
		if hdr.Get("Range") != "" {
			fail(&APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
				Message: "Cannot specify both Range header and partNumber query parameter"})
			return true
		}
		sizes := rec.PartSizes
		if len(sizes) == 0 {
			sizes = []int64{rec.Size}
		} else {
			ri.partsCount = len(sizes)
		}
		if pn > len(sizes) {
			fail(&APIError{Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidPartNumber",
				Message: "The requested partnumber is not satisfiable"})
			return true
		}
		var start int64
		for _, sz := range sizes[:pn-1] {
			start += sz
		}
		if sizes[pn-1] > 0 {
			hdr.Set("Range", fmt.Sprintf("bytes=%d-%d", start, start+sizes[pn-1]-1))
		}
		q.Del("partNumber")
		r.URL.RawQuery = q.Encode()
	}
	return false
}

// prepareCopy parses x-amz-copy-source (version included, which gofakes3
// drops), checks the x-amz-copy-source-if-* conditions and rewrites the
// header into the one encoding gofakes3 decodes correctly.
func (s *Service) prepareCopy(r *http.Request, ri *requestInfo) *APIError {
	raw := r.Header.Get("X-Amz-Copy-Source")
	src, rawQuery, _ := strings.Cut(raw, "?")
	src, err := url.PathUnescape(strings.TrimPrefix(src, "/"))
	if err != nil {
		return errInvalidArgument("Invalid copy source encoding")
	}
	srcBucket, srcKey, ok := strings.Cut(src, "/")
	if !ok || srcBucket == "" || srcKey == "" {
		return errInvalidArgument("Invalid copy source object key")
	}
	if rawQuery != "" {
		sq, err := url.ParseQuery(rawQuery)
		if err != nil {
			return errInvalidArgument("Invalid copy source")
		}
		ri.readVersion = sq.Get("versionId")
	}
	ri.isCopy = true
	hdr := r.Header
	if hdr.Get("X-Amz-Copy-Source-If-Match") != "" || hdr.Get("X-Amz-Copy-Source-If-None-Match") != "" ||
		hdr.Get("X-Amz-Copy-Source-If-Unmodified-Since") != "" || hdr.Get("X-Amz-Copy-Source-If-Modified-Since") != "" {
		_, rec, err := s.st.lookup(srcBucket, srcKey, ri.readVersion)
		if err == nil && rec != nil && !rec.DeleteMarker {
			if v := hdr.Get("X-Amz-Copy-Source-If-Match"); v != "" && !etagMatches(v, rec.ETag) {
				return errPreconditionFailed()
			}
			if v := hdr.Get("X-Amz-Copy-Source-If-None-Match"); v != "" && etagMatches(v, rec.ETag) {
				return errPreconditionFailed()
			}
			lm := rec.LastModified.Truncate(time.Second)
			if t, err := http.ParseTime(hdr.Get("X-Amz-Copy-Source-If-Unmodified-Since")); err == nil && lm.After(t) {
				return errPreconditionFailed()
			}
			if t, err := http.ParseTime(hdr.Get("X-Amz-Copy-Source-If-Modified-Since")); err == nil && !lm.After(t) {
				return errPreconditionFailed()
			}
		}
	}
	hdr.Set("X-Amz-Copy-Source", srcBucket+"/"+url.QueryEscape(srcKey))
	return nil
}

// serveNotification implements Get/PutBucketNotificationConfiguration.
func (s *Service) serveNotification(w http.ResponseWriter, r *http.Request, bucket, requestID, hostID string) {
	fail := func(e *APIError) { writeAPIError(w, r, e, requestID, hostID) }
	if bucket == "" {
		fail(errMethodNotAllowed())
		return
	}
	switch r.Method {
	case http.MethodGet:
		br, err := s.st.getBucket(bucket)
		if err != nil {
			s.failStore(fail, bucket, err)
			return
		}
		body, err := notificationXML(br.Notifications)
		if err != nil {
			s.failStore(fail, bucket, err)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(body)
	case http.MethodPut:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxXMLBodySize))
		if err != nil {
			fail(errMalformedXML())
			return
		}
		cfgs, ae := parseNotificationXML(body)
		if ae != nil {
			fail(ae)
			return
		}
		if err := s.st.updateBucket(bucket, func(br *bucketRecord) error {
			br.Notifications = cfgs
			return nil
		}); err != nil {
			s.failStore(fail, bucket, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// serveLocation implements GetBucketLocation for the configured region.
func (s *Service) serveLocation(w http.ResponseWriter, r *http.Request, bucket, requestID, hostID string) {
	fail := func(e *APIError) { writeAPIError(w, r, e, requestID, hostID) }
	if _, err := s.st.getBucket(bucket); err != nil {
		s.failStore(fail, bucket, err)
		return
	}
	loc := s.cfg.Region
	if loc == "us-east-1" {
		loc = ""
	}
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `%s<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</LocationConstraint>`,
		`<?xml version="1.0" encoding="UTF-8"?>`+"\n", loc)
}

// failStore answers a store error from our own handlers.
func (s *Service) failStore(fail func(*APIError), bucket string, err error) {
	var ae *APIError
	if errors.As(err, &ae) {
		fail(ae)
		return
	}
	if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket) {
		fail(errNoSuchBucket(bucket))
		return
	}
	if isNoSpace(err) {
		s.log.Warn("s3 write refused: data directory full", zap.String("bucket", bucket), zap.Error(err))
		fail(errInsufficientStorage(s.cfg.DataDir))
		return
	}
	s.log.Error("s3 request failed", zap.String("bucket", bucket), zap.Error(err))
	fail(&APIError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "We encountered an internal error. Please try again."})
}
