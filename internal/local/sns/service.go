package sns

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// Deps are the Service's collaborators; zero values get defaults.
type Deps struct {
	Log   *zap.Logger // nil: no logging
	Clock Clock       // nil: RealClock
	// HTTPClient delivers to http/https subscriptions; nil: a client with
	// Config.HTTPTimeout and no proxy.
	HTTPClient *http.Client
	// OnDelivery, when set, is called with each delivery that reaches a
	// final status (delivered or failed), from the delivering goroutine.
	// It must not block for long.
	OnDelivery func(Delivery)
}

// Service is the local SNS. It is an http.Handler for the Query protocol
// and has a Go API for the stack and the console.
type Service struct {
	cfg        Config
	log        *zap.Logger
	clk        Clock
	httpc      *http.Client
	onDelivery func(Delivery)
	store      *store
	mux        *http.ServeMux

	runCtx context.Context // cancelled by Close after its grace period; owned by the Service's goroutines
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}

	mu         sync.Mutex
	closed     bool
	topics     map[string]*Topic        // by ARN
	subs       map[string]*Subscription // by ARN
	deliveries map[string]*Delivery     // by ID
	seq        int64
}

// New loads the state under cfg.DataDir and resumes pending deliveries.
func New(cfg *Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sns: %w", err)
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("sns: %w", err)
	}
	s := &Service{
		cfg:        *cfg,
		log:        deps.Log,
		clk:        deps.Clock,
		httpc:      deps.HTTPClient,
		onDelivery: deps.OnDelivery,
		store:      st,
		sem:        make(chan struct{}, cfg.MaxConcurrentDeliveries),
		topics:     map[string]*Topic{},
		subs:       map[string]*Subscription{},
		deliveries: map[string]*Delivery{},
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.log = s.log.With(zap.String("component", "sns"))
	if s.clk == nil {
		s.clk = RealClock{}
	}
	if s.httpc == nil {
		s.httpc = &http.Client{
			Timeout:   cfg.HTTPTimeout,
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4},
			// SNS does not follow redirects of a notification POST.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	state, err := st.loadState()
	if err != nil {
		return nil, fmt.Errorf("sns: %w", err)
	}
	for _, t := range state.Topics {
		s.topics[t.ARN] = t
	}
	for _, sub := range state.Subscriptions {
		s.subs[sub.ARN] = sub
	}
	ds, err := st.loadDeliveries()
	if err != nil {
		return nil, fmt.Errorf("sns: %w", err)
	}
	for _, d := range ds {
		s.deliveries[d.ID] = d
		s.seq = max(s.seq, d.Seq)
	}
	s.mux = http.NewServeMux()
	s.routes(s.mux)
	s.runCtx, s.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	pending := 0
	for _, d := range s.sortedDeliveriesLocked() {
		if d.Status == DeliveryPending {
			s.startLocked(d.ID)
			pending++
		}
	}
	s.mu.Unlock()
	s.log.Info("sns ready", zap.String("data_dir", cfg.DataDir), zap.Int("topics", len(s.topics)),
		zap.Int("subscriptions", len(s.subs)), zap.Int("resumed_deliveries", pending),
		zap.Bool("smtp", cfg.SMTPAddr != ""))
	return s, nil
}

// Close stops accepting work and waits for in-flight deliveries until ctx
// is done; deliveries still pending then are cancelled, stay pending in the
// log and resume at the next New.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { // owned: Close waits on done below in both branches
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return fmt.Errorf("sns close: %w", ctx.Err())
	}
}

// CreateTopic creates the topic name, or returns the ARN of the existing one.
func (s *Service) CreateTopic(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	arn, aerr := s.createTopic(name, nil, nil)
	return arn, asError(aerr)
}

// Subscribe subscribes endpoint to the topic and returns the subscription
// ARN, also while confirmation is pending.
func (s *Service) Subscribe(ctx context.Context, topicARN, protocol, endpoint string, attrs map[string]string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	sub, aerr := s.subscribe(topicARN, protocol, endpoint, attrs)
	if aerr != nil {
		return "", aerr
	}
	return sub.ARN, nil
}

// ConfirmSubscription confirms a pending subscription with its token.
func (s *Service) ConfirmSubscription(ctx context.Context, topicARN, token string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	arn, aerr := s.confirm(topicARN, token)
	return arn, asError(aerr)
}

// Unsubscribe deletes a subscription.
func (s *Service) Unsubscribe(ctx context.Context, subscriptionARN string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return asError(s.unsubscribe(subscriptionARN))
}

// PublishInput is a message for Publish.
type PublishInput struct {
	TopicARN          string
	Subject           string // optional
	Message           string
	MessageStructure  string // "" or "json"
	MessageAttributes map[string]MessageAttribute
}

// Publish publishes a message and returns its MessageId.
func (s *Service) Publish(ctx context.Context, in PublishInput) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	id, aerr := s.publish(publishRequest{PublishInput: in, hasSubject: in.Subject != ""})
	return id, asError(aerr)
}

// Topics lists the topics, ordered by ARN.
func (s *Service) Topics(ctx context.Context) ([]Topic, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Topic, 0, len(s.topics))
	for _, t := range s.sortedTopicsLocked() {
		out = append(out, t.clone())
	}
	return out, nil
}

// Subscriptions lists every subscription with its status, ordered by topic
// and creation.
func (s *Service) Subscriptions(ctx context.Context) ([]Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	subs := s.sortedSubsLocked("")
	out := make([]Subscription, 0, len(subs))
	for _, sub := range subs {
		out = append(out, sub.clone())
	}
	return out, nil
}

// Deliveries returns the delivery log, oldest first.
func (s *Service) Deliveries(ctx context.Context) ([]Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds := s.sortedDeliveriesLocked()
	out := make([]Delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.clone())
	}
	return out, nil
}

// Mailbox returns every email (sent over SMTP or kept on disk), oldest first.
func (s *Service) Mailbox(ctx context.Context) ([]MailboxMessage, error) {
	ds, err := s.Deliveries(ctx)
	if err != nil {
		return nil, err
	}
	var out []MailboxMessage
	for _, d := range ds {
		if !isEmail(d.Protocol) {
			continue
		}
		out = append(out, MailboxMessage{
			ID: d.ID, MessageID: d.MessageID, Kind: d.Kind, SubscriptionARN: d.SubscriptionARN, TopicARN: d.TopicARN,
			To: d.Endpoint, From: d.From, Subject: d.Subject, Body: d.Body, Time: d.CreatedAt,
			Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, Stored: d.ToMailbox,
		})
	}
	return out, nil
}

func asError(e *APIError) error {
	if e == nil {
		return nil
	}
	return e
}

func (s *Service) sortedTopicsLocked() []*Topic {
	out := make([]*Topic, 0, len(s.topics))
	for _, t := range s.topics {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Topic) int { return strings.Compare(a.ARN, b.ARN) })
	return out
}

// sortedSubsLocked lists the subscriptions of topicARN ("" for all).
func (s *Service) sortedSubsLocked(topicARN string) []*Subscription {
	var out []*Subscription
	for _, sub := range s.subs {
		if topicARN == "" || sub.TopicARN == topicARN {
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b *Subscription) int {
		if c := strings.Compare(a.TopicARN, b.TopicARN); c != 0 {
			return c
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ARN, b.ARN)
	})
	return out
}

func (s *Service) sortedDeliveriesLocked() []*Delivery {
	out := make([]*Delivery, 0, len(s.deliveries))
	for _, d := range s.deliveries {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *Delivery) int { return int(a.Seq - b.Seq) })
	return out
}

func (s *Service) saveStateLocked() *APIError {
	st := &stateFile{Topics: s.sortedTopicsLocked(), Subscriptions: s.sortedSubsLocked("")}
	if err := s.store.saveState(st); err != nil {
		s.log.Error("saving state failed", zap.Error(err))
		return errInternal(err)
	}
	return nil
}
