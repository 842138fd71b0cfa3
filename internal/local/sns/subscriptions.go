package sns

import (
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/local/awsid"
)

// settableSubscriptionAttributes are the attributes Subscribe and
// SetSubscriptionAttributes accept.
var settableSubscriptionAttributes = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

// supportedProtocols are the protocols the local SNS delivers to.
var supportedProtocols = map[string]bool{"email": true, "email-json": true, "http": true, "https": true}

// awsOnlyProtocols exist on AWS but are not delivered locally.
var awsOnlyProtocols = map[string]bool{"sqs": true, "lambda": true, "sms": true, "application": true, "firehose": true}

func validateEndpoint(protocol, endpoint string) *APIError {
	switch protocol {
	case "email", "email-json":
		a, err := mail.ParseAddress(endpoint)
		if err != nil || a.Name != "" || a.Address != endpoint {
			return errInvalidParameter("Invalid parameter: Email address")
		}
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" {
			return errInvalidParameter("Invalid parameter: Endpoint must match the specified protocol")
		}
	}
	return nil
}

// validateSubscriptionAttributes checks a full attribute set as a
// subscription would hold it.
func validateSubscriptionAttributes(protocol string, attrs map[string]string) *APIError {
	for k, v := range attrs {
		if !settableSubscriptionAttributes[k] {
			return errInvalidParameter("Invalid parameter: Attributes Reason: Unknown attribute %s", k)
		}
		if k == "RawMessageDelivery" {
			if v != "true" && v != "false" {
				return errInvalidParameter("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
			}
			if v == "true" && protocol != "http" && protocol != "https" {
				return errInvalidParameter("Invalid parameter: Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", protocol)
			}
		}
	}
	if scope, ok := attrs["FilterPolicyScope"]; ok && scope != ScopeMessageAttributes && scope != ScopeMessageBody {
		return errInvalidParameter("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", scope)
	}
	if p := attrs["FilterPolicy"]; p != "" {
		if _, err := parseFilterPolicy(p, attrs["FilterPolicyScope"]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) subscribe(topicARN, protocol, endpoint string, attrs map[string]string) (Subscription, *APIError) {
	if err := s.checkTopicARN("TopicArn", topicARN); err != nil {
		return Subscription{}, err
	}
	switch {
	case supportedProtocols[protocol]:
	case awsOnlyProtocols[protocol]:
		return Subscription{}, errInvalidParameter("Invalid parameter: Protocol Reason: %s subscriptions are not supported by the imgflow local SNS", protocol)
	default:
		return Subscription{}, errInvalidParameter("Invalid parameter: Amazon SNS does not support this protocol string: %s", protocol)
	}
	if err := validateEndpoint(protocol, endpoint); err != nil {
		return Subscription{}, err
	}
	if err := validateSubscriptionAttributes(protocol, attrs); err != nil {
		return Subscription{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Subscription{}, errClosed
	}
	topic, ok := s.topics[topicARN]
	if !ok {
		return Subscription{}, errTopicNotFound
	}
	now := s.clk.Now().UTC()
	for _, sub := range s.subs {
		if sub.TopicARN != topicARN || sub.Protocol != protocol || sub.Endpoint != endpoint {
			continue
		}
		for k, v := range attrs {
			if sub.Attributes[k] != v {
				return Subscription{}, errInvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
			}
		}
		if sub.Status == StatusPendingConfirmation && s.confirmedAtOnce(protocol, endpoint) {
			sub.Status, sub.ConfirmedAt, sub.Token = StatusConfirmed, now, ""
			if err := s.saveStateLocked(); err != nil {
				return Subscription{}, err
			}
		}
		if sub.Status == StatusPendingConfirmation { // SNS sends the confirmation again
			sub.TokenExpiry = now.Add(s.cfg.TokenTTL)
			if err := s.saveStateLocked(); err != nil {
				return Subscription{}, err
			}
			s.enqueueLocked(s.confirmationDelivery(topic, sub))
		}
		return sub.clone(), nil
	}
	sub := &Subscription{
		ARN: topicARN + ":" + awsid.UUID(), TopicARN: topicARN, Protocol: protocol, Endpoint: endpoint,
		Owner: s.cfg.AccountID, Status: StatusPendingConfirmation, Attributes: maps.Clone(attrs), CreatedAt: now,
	}
	if s.confirmedAtOnce(protocol, endpoint) {
		sub.Status, sub.ConfirmedAt = StatusConfirmed, now
	} else {
		sub.Token, sub.TokenExpiry = awsid.Hex(64), now.Add(s.cfg.TokenTTL)
	}
	s.subs[sub.ARN] = sub
	if err := s.saveStateLocked(); err != nil {
		delete(s.subs, sub.ARN)
		return Subscription{}, err
	}
	if sub.Status == StatusPendingConfirmation {
		s.enqueueLocked(s.confirmationDelivery(topic, sub))
	}
	return sub.clone(), nil
}

// confirmedAtOnce reports whether a new subscription skips the
// confirmation: every one with AutoConfirm, and the email addresses in
// ConfirmedEndpoints.
func (s *Service) confirmedAtOnce(protocol, endpoint string) bool {
	return s.cfg.AutoConfirm || (isEmail(protocol) && slices.Contains(s.cfg.ConfirmedEndpoints, endpoint))
}

// confirm confirms the subscription holding token; confirming again with
// the same token while it is valid returns the same ARN, as on AWS.
func (s *Service) confirm(topicARN, token string) (string, *APIError) {
	if err := s.checkTopicARN("TopicArn", topicARN); err != nil {
		return "", err
	}
	if token == "" {
		return "", errInvalidParameter("Invalid parameter: Token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.topics[topicARN]; !ok {
		return "", errTopicNotFound
	}
	now := s.clk.Now().UTC()
	for _, sub := range s.subs {
		if sub.TopicARN != topicARN || sub.Token != token {
			continue
		}
		if now.After(sub.TokenExpiry) {
			return "", errInvalidToken
		}
		if sub.Status == StatusConfirmed {
			return sub.ARN, nil
		}
		sub.Status, sub.ConfirmedAt = StatusConfirmed, now
		if err := s.saveStateLocked(); err != nil {
			sub.Status, sub.ConfirmedAt = StatusPendingConfirmation, time.Time{}
			return "", err
		}
		return sub.ARN, nil
	}
	return "", errInvalidToken
}

func (s *Service) checkSubscriptionARN(param, arn string) *APIError {
	parts := strings.Split(arn, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "sns" {
		return errInvalidParameter("Invalid parameter: %s Reason: An ARN must have the format arn:aws:sns:region:account:topic:id", param)
	}
	return nil
}

func (s *Service) unsubscribe(arn string) *APIError {
	if err := s.checkSubscriptionARN("SubscriptionArn", arn); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[arn]
	if !ok {
		return errSubscriptionNotFound
	}
	delete(s.subs, arn)
	if err := s.saveStateLocked(); err != nil {
		s.subs[arn] = sub
		return err
	}
	return nil
}

func (s *Service) subscriptionAttributes(arn string) (map[string]string, *APIError) {
	if err := s.checkSubscriptionARN("SubscriptionArn", arn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[arn]
	if !ok {
		return nil, errSubscriptionNotFound
	}
	pending := "false"
	if sub.Status != StatusConfirmed {
		pending = "true"
	}
	out := map[string]string{
		"SubscriptionArn":              sub.ARN,
		"TopicArn":                     sub.TopicARN,
		"Owner":                        sub.Owner,
		"Protocol":                     sub.Protocol,
		"Endpoint":                     sub.Endpoint,
		"PendingConfirmation":          pending,
		"ConfirmationWasAuthenticated": "true",
		"RawMessageDelivery":           "false",
		"EffectiveDeliveryPolicy":      defaultDeliveryPolicy,
		"SubscriptionPrincipal":        "arn:aws:iam::" + s.cfg.AccountID + ":root",
	}
	maps.Copy(out, sub.Attributes)
	if out["FilterPolicy"] != "" && out["FilterPolicyScope"] == "" {
		out["FilterPolicyScope"] = ScopeMessageAttributes
	}
	return out, nil
}

func (s *Service) setSubscriptionAttribute(arn, name, value string) *APIError {
	if err := s.checkSubscriptionARN("SubscriptionArn", arn); err != nil {
		return err
	}
	if !settableSubscriptionAttributes[name] {
		return errInvalidParameter("Invalid parameter: AttributeName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[arn]
	if !ok {
		return errSubscriptionNotFound
	}
	next := maps.Clone(sub.Attributes)
	if next == nil {
		next = map[string]string{}
	}
	if value == "" {
		delete(next, name)
	} else {
		next[name] = value
	}
	if err := validateSubscriptionAttributes(sub.Protocol, next); err != nil {
		return err
	}
	old := sub.Attributes
	sub.Attributes = next
	if err := s.saveStateLocked(); err != nil {
		sub.Attributes = old
		return err
	}
	return nil
}
