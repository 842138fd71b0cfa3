package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
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
	router   *router

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
		cfg: *cfg, st: st, notifier: notifier, clock: clock, bases: bases, router: newRouter(),
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
	if !validBucketName(name) {
		return fmt.Errorf("s3 create bucket %q: %w", name, errInvalidBucketName(name))
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
