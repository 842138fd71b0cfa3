package sns

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// envelope is the JSON document SNS posts to http/https endpoints and
// mails to email-json subscribers (fields in SNS's order).
type envelope struct {
	Type              string                       `json:"Type"`
	MessageID         string                       `json:"MessageId"`
	Token             string                       `json:"Token,omitempty"`
	TopicARN          string                       `json:"TopicArn"`
	Subject           string                       `json:"Subject,omitempty"`
	Message           string                       `json:"Message"`
	SubscribeURL      string                       `json:"SubscribeURL,omitempty"`
	Timestamp         string                       `json:"Timestamp"`
	SignatureVersion  string                       `json:"SignatureVersion"`
	Signature         string                       `json:"Signature"`
	SigningCertURL    string                       `json:"SigningCertURL"`
	UnsubscribeURL    string                       `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]envelopeAttribute `json:"MessageAttributes,omitempty"`
}

type envelopeAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// timestampLayout is SNS's Timestamp format (ISO 8601, milliseconds, UTC).
const timestampLayout = "2006-01-02T15:04:05.000Z"

// sign fills Signature with a digest of SNS's string to sign. It is not
// an RSA signature: the local stack has no certificate to verify against.
func (e *envelope) sign() {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", e.Message)
	add("MessageId", e.MessageID)
	if e.SubscribeURL != "" {
		add("SubscribeURL", e.SubscribeURL)
	}
	if e.Subject != "" {
		add("Subject", e.Subject)
	}
	add("Timestamp", e.Timestamp)
	if e.Token != "" {
		add("Token", e.Token)
	}
	add("TopicArn", e.TopicARN)
	add("Type", e.Type)
	sum := sha256.Sum256([]byte(b.String()))
	e.Signature = base64.StdEncoding.EncodeToString(sum[:])
}

func (e *envelope) json() string {
	b, _ := json.MarshalIndent(e, "", "  ")
	return string(b)
}

func (s *Service) subscribeURL(topicARN, token string) string {
	return s.cfg.endpointURL("Action", "ConfirmSubscription", "TopicArn", topicARN, "Token", token)
}

func (s *Service) unsubscribeURL(subARN string) string {
	return s.cfg.endpointURL("Action", "Unsubscribe", "SubscriptionArn", subARN)
}

func (s *Service) signingCertURL() string {
	return strings.TrimRight(s.cfg.Endpoint, "/") + "/SimpleNotificationService-imgflow-local.pem"
}

func (s *Service) confirmationEnvelope(sub *Subscription, msgID string, now time.Time) *envelope {
	e := &envelope{
		Type: KindSubscriptionConfirmation, MessageID: msgID, Token: sub.Token, TopicARN: sub.TopicARN,
		Message: "You have chosen to subscribe to the topic " + sub.TopicARN +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: s.subscribeURL(sub.TopicARN, sub.Token), Timestamp: now.UTC().Format(timestampLayout),
		SignatureVersion: "1", SigningCertURL: s.signingCertURL(),
	}
	e.sign()
	return e
}

// notification is one published message on its way to one subscription.
type notification struct {
	MessageID  string
	Subject    string
	Message    string
	Attributes map[string]MessageAttribute
	Timestamp  time.Time
}

func (s *Service) notificationEnvelope(sub *Subscription, n notification) *envelope {
	e := &envelope{
		Type: KindNotification, MessageID: n.MessageID, TopicARN: sub.TopicARN, Subject: n.Subject,
		Message: n.Message, Timestamp: n.Timestamp.UTC().Format(timestampLayout), SignatureVersion: "1",
		SigningCertURL: s.signingCertURL(), UnsubscribeURL: s.unsubscribeURL(sub.ARN),
	}
	if len(n.Attributes) > 0 {
		e.MessageAttributes = make(map[string]envelopeAttribute, len(n.Attributes))
		for k, a := range n.Attributes {
			e.MessageAttributes[k] = a.envelopeValue()
		}
	}
	e.sign()
	return e
}
