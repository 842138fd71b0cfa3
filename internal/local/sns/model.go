package sns

import (
	"maps"
	"time"
)

// SubscriptionStatus is a subscription's confirmation state.
type SubscriptionStatus string

// Subscription states, as the console shows them.
const (
	StatusPendingConfirmation SubscriptionStatus = "PendingConfirmation"
	StatusConfirmed           SubscriptionStatus = "Confirmed"
)

// Topic is an SNS topic.
type Topic struct {
	ARN        string            `json:"arn"`
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"` // settable ones only
	Tags       map[string]string `json:"tags,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
}

func (t *Topic) clone() Topic {
	c := *t
	c.Attributes = maps.Clone(t.Attributes)
	c.Tags = maps.Clone(t.Tags)
	return c
}

// Subscription is a subscription of an endpoint to a topic.
type Subscription struct {
	ARN         string             `json:"arn"`
	TopicARN    string             `json:"topicArn"`
	Protocol    string             `json:"protocol"`
	Endpoint    string             `json:"endpoint"`
	Owner       string             `json:"owner"`
	Status      SubscriptionStatus `json:"status"`
	Attributes  map[string]string  `json:"attributes,omitempty"` // FilterPolicy, FilterPolicyScope, RawMessageDelivery...
	Token       string             `json:"token,omitempty"`      // confirmation token while pending
	TokenExpiry time.Time          `json:"tokenExpiry,omitzero"`
	CreatedAt   time.Time          `json:"createdAt"`
	ConfirmedAt time.Time          `json:"confirmedAt,omitzero"`
}

func (s *Subscription) clone() Subscription {
	c := *s
	c.Attributes = maps.Clone(s.Attributes)
	return c
}

// DeliveryStatus is the state of one delivery.
type DeliveryStatus string

// Delivery states.
const (
	DeliveryPending   DeliveryStatus = "pending"   // queued or retrying
	DeliveryDelivered DeliveryStatus = "delivered" // accepted by the endpoint (or stored in the mailbox)
	DeliveryFailed    DeliveryStatus = "failed"    // gave up
)

// Message kinds, as in the envelope's Type.
const (
	KindNotification             = "Notification"
	KindSubscriptionConfirmation = "SubscriptionConfirmation"
)

// Delivery is one message to one subscription, with its payload and the
// record of its attempts.
type Delivery struct {
	ID              string         `json:"id"`
	Seq             int64          `json:"seq"`
	MessageID       string         `json:"messageId"`
	Kind            string         `json:"kind"`
	TopicARN        string         `json:"topicArn"`
	SubscriptionARN string         `json:"subscriptionArn"`
	Protocol        string         `json:"protocol"`
	Endpoint        string         `json:"endpoint"`
	Status          DeliveryStatus `json:"status"`
	Attempts        int            `json:"attempts"`
	MaxAttempts     int            `json:"maxAttempts"`
	LastError       string         `json:"lastError,omitempty"`
	LastStatusCode  int            `json:"lastStatusCode,omitempty"` // http only
	CreatedAt       time.Time      `json:"createdAt"`
	UpdatedAt       time.Time      `json:"updatedAt"`
	// Payload. Email: From/Subject/Body. HTTP: Headers/Body.
	From      string            `json:"from,omitempty"`
	Subject   string            `json:"subject,omitempty"`
	Body      string            `json:"body"`
	Headers   map[string]string `json:"headers,omitempty"`
	ToMailbox bool              `json:"toMailbox,omitempty"` // email kept on disk (no SMTPAddr)
}

func (d *Delivery) clone() Delivery {
	c := *d
	c.Headers = maps.Clone(d.Headers)
	return c
}

func isEmail(protocol string) bool { return protocol == "email" || protocol == "email-json" }

// MailboxMessage is one email as the console lists it.
type MailboxMessage struct {
	ID              string         `json:"id"`
	MessageID       string         `json:"messageId"`
	Kind            string         `json:"kind"`
	SubscriptionARN string         `json:"subscriptionArn"`
	TopicARN        string         `json:"topicArn"`
	To              string         `json:"to"`
	From            string         `json:"from"`
	Subject         string         `json:"subject"`
	Body            string         `json:"body"`
	Time            time.Time      `json:"time"`
	Status          DeliveryStatus `json:"status"`
	Attempts        int            `json:"attempts"`
	LastError       string         `json:"lastError,omitempty"`
	Stored          bool           `json:"stored"` // kept in the local mailbox instead of sent over SMTP
}
