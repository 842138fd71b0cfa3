package sns

import (
	"encoding/json"
	"strings"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

const (
	maxMessageBytes = 256 * 1024
	maxSubjectLen   = 99 // "less than 100 characters"
	defaultSubject  = "AWS Notification Message"
)

type publishRequest struct {
	PublishInput
	hasSubject bool // the Subject parameter was sent (an empty one is invalid)
}

// validSubject applies SNS's documented rule: ASCII text that begins with
// a letter, number or punctuation mark, no line breaks or control
// characters, fewer than 100 characters.
func validSubject(s string) bool {
	if s == "" || len(s) > maxSubjectLen || s[0] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// messageFor picks the message text for a protocol: with MessageStructure
// json the protocol's own key, else "default".
func messageFor(structured map[string]string, message, protocol string) string {
	if structured == nil {
		return message
	}
	if m, ok := structured[protocol]; ok {
		return m
	}
	return structured["default"]
}

func parseStructured(in *PublishInput) (map[string]string, *APIError) {
	switch in.MessageStructure {
	case "":
		return nil, nil
	case "json":
	default:
		return nil, errInvalidParameter("Invalid parameter: MessageStructure")
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(in.Message), &raw); err != nil {
		return nil, errInvalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		str, ok := v.(string)
		if !ok {
			return nil, errInvalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse")
		}
		out[k] = str
	}
	if _, ok := out["default"]; !ok {
		return nil, errInvalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
	}
	return out, nil
}

func (s *Service) validatePublish(in *publishRequest) (map[string]string, *APIError) {
	if err := s.checkTopicARN("TopicArn", in.TopicARN); err != nil {
		return nil, err
	}
	if in.Message == "" {
		return nil, errInvalidParameter("Invalid parameter: Empty message")
	}
	size := len(in.Message)
	for k, a := range in.MessageAttributes {
		if err := validateAttribute(k, a); err != nil {
			return nil, err
		}
		size += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	if len(in.MessageAttributes) > maxMessageAttributes {
		return nil, errInvalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(in.MessageAttributes), maxMessageAttributes)
	}
	if size > maxMessageBytes {
		return nil, errInvalidParameter("Invalid parameter: Message too long")
	}
	if in.hasSubject && !validSubject(in.Subject) {
		return nil, errInvalidParameter("Invalid parameter: Subject")
	}
	return parseStructured(&in.PublishInput)
}

// publish fans a message out to the topic's confirmed subscriptions whose
// filter policy matches, and returns the MessageId.
func (s *Service) publish(in publishRequest) (string, *APIError) {
	structured, err := s.validatePublish(&in)
	if err != nil {
		return "", err
	}
	msgID := awsid.UUID()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errClosed
	}
	topic, ok := s.topics[in.TopicARN]
	if !ok {
		return "", errTopicNotFound
	}
	now := s.clk.Now().UTC()
	matched := 0
	for _, sub := range s.sortedSubsLocked(topic.ARN) {
		if sub.Status != StatusConfirmed {
			continue
		}
		text := messageFor(structured, in.Message, sub.Protocol)
		if !subscriptionMatches(sub, text, in.MessageAttributes, s.log) {
			continue
		}
		matched++
		s.enqueueLocked(s.notificationDelivery(topic, sub, notification{
			MessageID: msgID, Subject: in.Subject, Message: text, Attributes: in.MessageAttributes, Timestamp: now,
		}))
	}
	s.log.Debug("published", zap.String("topic_arn", topic.ARN), zap.String("message_id", msgID), zap.Int("deliveries", matched))
	return msgID, nil
}

// subscriptionMatches applies the subscription's filter policy, if any.
func subscriptionMatches(sub *Subscription, message string, attrs map[string]MessageAttribute, log *zap.Logger) bool {
	policy := strings.TrimSpace(sub.Attributes["FilterPolicy"])
	if policy == "" {
		return true
	}
	fp, err := parseFilterPolicy(policy, sub.Attributes["FilterPolicyScope"])
	if err != nil { // validated when set; a stored bad policy matches nothing
		log.Warn("bad stored filter policy", zap.String("subscription_arn", sub.ARN), zap.Error(err))
		return false
	}
	if fp.scope == ScopeMessageBody {
		return fp.matchBody(message)
	}
	return fp.matchAttributes(attrs)
}
