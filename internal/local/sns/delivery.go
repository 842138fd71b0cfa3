package sns

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

const (
	confirmationSubject = "AWS Notification - Subscription Confirmation"
	userAgent           = "Amazon Simple Notification Service Agent"
)

func (s *Service) fromHeader(topic *Topic) string {
	name := topic.Attributes["DisplayName"]
	if name == "" {
		name = "AWS Notifications"
	}
	return (&mail.Address{Name: name, Address: s.cfg.From}).String()
}

func (s *Service) newDelivery(kind, msgID string, sub *Subscription) *Delivery {
	now := s.clk.Now().UTC()
	d := &Delivery{
		MessageID: msgID, Kind: kind, TopicARN: sub.TopicARN, SubscriptionARN: sub.ARN,
		Protocol: sub.Protocol, Endpoint: sub.Endpoint, Status: DeliveryPending,
		MaxAttempts: s.cfg.HTTPMaxAttempts, CreatedAt: now, UpdatedAt: now,
	}
	if isEmail(sub.Protocol) {
		d.MaxAttempts = s.cfg.EmailMaxAttempts
	}
	return d
}

func (s *Service) httpHeaders(kind, msgID string, sub *Subscription) map[string]string {
	h := map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"User-Agent":             userAgent,
		"x-amz-sns-message-type": kind,
		"x-amz-sns-message-id":   msgID,
		"x-amz-sns-topic-arn":    sub.TopicARN,
	}
	if kind == KindNotification {
		h["x-amz-sns-subscription-arn"] = sub.ARN
	}
	return h
}

// confirmationDelivery renders the SubscriptionConfirmation for sub.
func (s *Service) confirmationDelivery(topic *Topic, sub *Subscription) *Delivery {
	msgID := awsid.UUID()
	d := s.newDelivery(KindSubscriptionConfirmation, msgID, sub)
	env := s.confirmationEnvelope(sub, msgID, d.CreatedAt)
	switch sub.Protocol {
	case "email":
		d.From, d.Subject = s.fromHeader(topic), confirmationSubject
		d.Body = "You have chosen to subscribe to the topic: \n" + sub.TopicARN +
			"\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary): \n" +
			env.SubscribeURL + "\n\nPlease do not reply directly to this email.\n"
	case "email-json":
		d.From, d.Subject, d.Body = s.fromHeader(topic), confirmationSubject, env.json()
	default:
		d.Headers, d.Body = s.httpHeaders(KindSubscriptionConfirmation, msgID, sub), env.json()
	}
	return d
}

// notificationDelivery renders a Notification of n for sub.
func (s *Service) notificationDelivery(topic *Topic, sub *Subscription, n notification) *Delivery {
	d := s.newDelivery(KindNotification, n.MessageID, sub)
	subject := n.Subject
	if subject == "" {
		subject = defaultSubject
	}
	switch sub.Protocol {
	case "email":
		d.From, d.Subject = s.fromHeader(topic), subject
		d.Body = n.Message + "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n" +
			s.unsubscribeURL(sub.ARN) + "\n\nPlease do not reply directly to this email.\n"
	case "email-json":
		d.From, d.Subject, d.Body = s.fromHeader(topic), subject, s.notificationEnvelope(sub, n).json()
	default:
		d.Headers = s.httpHeaders(KindNotification, n.MessageID, sub)
		if sub.Attributes["RawMessageDelivery"] == "true" {
			d.Headers["x-amz-sns-rawdelivery"] = "true"
			d.Body = n.Message
		} else {
			d.Body = s.notificationEnvelope(sub, n).json()
		}
	}
	return d
}

// enqueueLocked records d in the log and starts delivering it.
func (s *Service) enqueueLocked(d *Delivery) {
	s.seq++
	d.Seq = s.seq
	d.ID = fmt.Sprintf("%08d-%s", d.Seq, awsid.UUID()[:8])
	s.deliveries[d.ID] = d
	if err := s.store.saveDelivery(d); err != nil {
		s.log.Error("saving delivery failed", zap.String("delivery_id", d.ID), zap.Error(err))
	}
	s.startLocked(d.ID)
	s.pruneLocked()
}

// startLocked starts the goroutine that delivers id; after Close the
// delivery stays pending for the next start.
func (s *Service) startLocked(id string) {
	if s.closed {
		return
	}
	s.wg.Add(1)
	go s.run(id)
}

// pruneLocked drops the oldest finished deliveries beyond MaxLogEntries.
func (s *Service) pruneLocked() {
	excess := len(s.deliveries) - s.cfg.MaxLogEntries
	if excess <= 0 {
		return
	}
	for _, d := range s.sortedDeliveriesLocked() {
		if excess == 0 {
			return
		}
		if d.Status == DeliveryPending {
			continue
		}
		delete(s.deliveries, d.ID)
		if err := s.store.removeDelivery(d.ID); err != nil {
			s.log.Warn("pruning delivery failed", zap.String("delivery_id", d.ID), zap.Error(err))
		}
		excess--
	}
}

func (s *Service) snapshot(id string) (Delivery, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok {
		return Delivery{}, false
	}
	return d.clone(), true
}

// run delivers one message, retrying with backoff on the injected clock.
func (s *Service) run(id string) {
	defer s.wg.Done()
	ctx := s.runCtx
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-s.sem }()
	for {
		d, ok := s.snapshot(id)
		if !ok || d.Status != DeliveryPending {
			return
		}
		res := s.attempt(ctx, &d)
		if res.err != nil && ctx.Err() != nil {
			return // shut down mid-attempt: stays pending, resumes at the next start
		}
		final, snap := s.recordAttempt(id, res)
		if final {
			if s.onDelivery != nil {
				s.onDelivery(snap)
			}
			return
		}
		if err := s.clk.Sleep(ctx, s.backoff(snap.Attempts)); err != nil {
			return
		}
	}
}

// backoff is the wait after the n-th failed attempt: RetryBaseDelay
// doubling per attempt, capped at RetryMaxDelay.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryBaseDelay
	for i := 1; i < n && d < s.cfg.RetryMaxDelay; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMaxDelay)
}

type attemptResult struct {
	err        error
	permanent  bool // do not retry
	statusCode int  // http
	toMailbox  bool
}

func (s *Service) attempt(ctx context.Context, d *Delivery) attemptResult {
	if isEmail(d.Protocol) {
		now := s.clk.Now()
		if s.cfg.SMTPAddr == "" {
			if err := s.store.saveMail(d.ID, buildEmail(d, now, true)); err != nil {
				return attemptResult{err: err}
			}
			return attemptResult{toMailbox: true}
		}
		msg := func(eightBitOK bool) []byte { return buildEmail(d, now, eightBitOK) }
		err := sendSMTP(ctx, s.cfg.SMTPAddr, s.cfg.SMTPTimeout, s.cfg.From, d.Endpoint, msg)
		return attemptResult{err: err, permanent: isPermanentSMTP(err)}
	}
	return s.postHTTP(ctx, d)
}

func (s *Service) postHTTP(ctx context.Context, d *Delivery) attemptResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint, strings.NewReader(d.Body))
	if err != nil {
		return attemptResult{err: err, permanent: true}
	}
	for k, v := range d.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.httpc.Do(req)
	if err != nil {
		return attemptResult{err: fmt.Errorf("post %s: %w", d.Endpoint, err)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return attemptResult{statusCode: code}
	case code == http.StatusTooManyRequests || code >= 500:
		return attemptResult{statusCode: code, err: fmt.Errorf("post %s: status %d", d.Endpoint, code)}
	}
	// Other client errors will not go away by themselves.
	return attemptResult{statusCode: code, permanent: true, err: fmt.Errorf("post %s: status %d", d.Endpoint, code)}
}

// recordAttempt updates and saves the log entry; final reports that the
// delivery is delivered or failed.
func (s *Service) recordAttempt(id string, res attemptResult) (final bool, snap Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok {
		return true, Delivery{}
	}
	d.Attempts++
	d.UpdatedAt = s.clk.Now().UTC()
	d.LastStatusCode = res.statusCode
	d.ToMailbox = d.ToMailbox || res.toMailbox
	log := s.log.With(zap.String("delivery_id", d.ID), zap.String("message_id", d.MessageID),
		zap.String("protocol", d.Protocol), zap.String("endpoint", d.Endpoint), zap.Int("attempt", d.Attempts))
	switch {
	case res.err == nil:
		d.Status, d.LastError, final = DeliveryDelivered, "", true
		log.Debug("delivered", zap.Bool("mailbox", d.ToMailbox))
	case res.permanent || d.Attempts >= d.MaxAttempts:
		d.Status, d.LastError, final = DeliveryFailed, res.err.Error(), true
		log.Warn("delivery failed", zap.Error(res.err))
	default:
		d.LastError = res.err.Error()
		log.Info("delivery attempt failed, retrying", zap.Error(res.err))
	}
	if err := s.store.saveDelivery(d); err != nil {
		log.Error("saving delivery failed", zap.Error(err))
	}
	return final, d.clone()
}
