package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/local/sns"
)

// NotificationsView is the notifications page: topics, subscriptions and
// every message delivered for a topic that exists, as its subscriber
// received it. A deleted topic's messages go with it, as on AWS, where
// nothing of a deleted topic stays listed; so do those sent before a topic
// of the same name was created again.
type NotificationsView struct {
	Layout
	Topics        []TopicView
	Subscriptions []SubscriptionView
	Messages      []MessageView
	MailUI        string
}

// TopicView is one topic.
type TopicView struct {
	Name, ARN, DisplayName string
	Subscriptions          int
	Created                time.Time
}

// SubscriptionView is one subscription.
type SubscriptionView struct {
	ARN, Topic, Protocol, Endpoint string
	Confirmed                      bool
	Created, ConfirmedAt           time.Time
}

// MessageView is one delivery as the subscriber sees it: an email (from,
// to, subject, body) or an HTTP POST (headers, JSON body).
type MessageView struct {
	ID        string
	Kind      string // Notification, SubscriptionConfirmation
	Protocol  string
	Email     bool
	To        string
	From      string
	Subject   string
	Body      string
	Headers   []Header
	Time      time.Time
	Status    string
	Attempts  int
	LastError string
	Stored    bool // kept in the local mailbox
	Failure   bool // a failure notification (by subject)
}

// Header is one HTTP header of a delivery.
type Header struct{ Name, Value string }

func (h *handler) notificationsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	topics, err := h.sns.Topics(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	subs, err := h.sns.Subscriptions(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	dels, err := h.sns.Deliveries(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := NotificationsView{Layout: h.layout(r, "Notifications", "notifications"), MailUI: h.cfg.MailUI}
	v.Live = true // a finished execution publishes a message
	created := make(map[string]time.Time, len(topics))
	for _, t := range topics {
		created[t.ARN] = t.CreatedAt
		tv := TopicView{Name: t.Name, ARN: t.ARN, DisplayName: t.Attributes["DisplayName"], Created: t.CreatedAt}
		for _, s := range subs {
			if s.TopicARN == t.ARN {
				tv.Subscriptions++
			}
		}
		v.Topics = append(v.Topics, tv)
	}
	for _, s := range subs {
		v.Subscriptions = append(v.Subscriptions, SubscriptionView{ARN: s.ARN, Topic: arnName(s.TopicARN), Protocol: s.Protocol,
			Endpoint: s.Endpoint, Confirmed: s.Status == sns.StatusConfirmed, Created: s.CreatedAt, ConfirmedAt: s.ConfirmedAt})
	}
	slices.Reverse(dels) // newest first
	for _, d := range dels {
		if at, ok := created[d.TopicARN]; !ok || d.CreatedAt.Before(at) {
			continue
		}
		m := MessageView{ID: d.ID, Kind: d.Kind, Protocol: d.Protocol, Email: d.Protocol == "email" || d.Protocol == "email-json",
			To: d.Endpoint, From: d.From, Subject: d.Subject, Body: d.Body, Time: d.CreatedAt, Status: string(d.Status),
			Attempts: d.Attempts, LastError: d.LastError, Stored: d.ToMailbox}
		if !m.Email {
			m.Body = prettyText(d.Body)
			for k, val := range d.Headers {
				m.Headers = append(m.Headers, Header{k, val})
			}
			slices.SortFunc(m.Headers, func(a, b Header) int { return strings.Compare(a.Name, b.Name) })
			if m.Subject == "" {
				var env struct {
					Subject string `json:"Subject"`
				}
				_ = json.Unmarshal([]byte(d.Body), &env)
				m.Subject = env.Subject
			}
		}
		low := strings.ToLower(m.Subject)
		m.Failure = strings.Contains(low, "fail") || strings.Contains(low, "reject") || strings.Contains(low, "error")
		v.Messages = append(v.Messages, m)
	}
	h.render(w, r, "notifications", http.StatusOK, v)
}
