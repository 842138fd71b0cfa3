package sns

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

func (s *Service) actCreateTopic(form url.Values) (any, *APIError) {
	name, err := required(form, "Name", "name")
	if err != nil {
		return nil, err
	}
	attrs := keyValueMap(form, "Attributes.entry.", "key", "value")
	if p := form.Get("DataProtectionPolicy"); p != "" {
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs["DataProtectionPolicy"] = p
	}
	tags := keyValueMap(form, "Tags.member.", "Key", "Value")
	arn, err := s.createTopic(name, attrs, tags)
	if err != nil {
		return nil, err
	}
	return &createTopicResult{TopicArn: arn}, nil
}

func (s *Service) actDeleteTopic(form url.Values) (any, *APIError) {
	arn, err := required(form, "TopicArn", "topicArn")
	if err != nil {
		return nil, err
	}
	return nil, s.deleteTopic(arn)
}

func (s *Service) actListTopics(form url.Values) (any, *APIError) {
	s.mu.Lock()
	topics := s.sortedTopicsLocked()
	arns := make([]string, len(topics))
	for i, t := range topics {
		arns[i] = t.ARN
	}
	s.mu.Unlock()
	pg, next, err := page(arns, func(a string) string { return a }, form.Get("NextToken"), s.cfg.PageSize)
	if err != nil {
		return nil, err
	}
	res := &listTopicsResult{NextToken: next}
	for _, a := range pg {
		res.Topics = append(res.Topics, topicMember{TopicArn: a})
	}
	return res, nil
}

func (s *Service) actGetTopicAttributes(form url.Values) (any, *APIError) {
	arn, err := required(form, "TopicArn", "topicArn")
	if err != nil {
		return nil, err
	}
	attrs, err := s.topicAttributes(arn)
	if err != nil {
		return nil, err
	}
	return &attributesResult{Attributes: sortedEntries(attrs)}, nil
}

func (s *Service) actSetTopicAttributes(form url.Values) (any, *APIError) {
	arn, err := required(form, "TopicArn", "topicArn")
	if err != nil {
		return nil, err
	}
	name, err := required(form, "AttributeName", "attributeName")
	if err != nil {
		return nil, err
	}
	return nil, s.setTopicAttribute(arn, name, form.Get("AttributeValue"))
}

func (s *Service) actSubscribe(form url.Values) (any, *APIError) {
	arn, err := required(form, "TopicArn", "topicArn")
	if err != nil {
		return nil, err
	}
	protocol, err := required(form, "Protocol", "protocol")
	if err != nil {
		return nil, err
	}
	sub, err := s.subscribe(arn, protocol, form.Get("Endpoint"), keyValueMap(form, "Attributes.entry.", "key", "value"))
	if err != nil {
		return nil, err
	}
	out := sub.ARN
	if sub.Status != StatusConfirmed && form.Get("ReturnSubscriptionArn") != "true" {
		out = "pending confirmation"
	}
	return &subscribeResult{SubscriptionArn: out}, nil
}

func (s *Service) actConfirmSubscription(form url.Values) (any, *APIError) {
	arn, err := required(form, "TopicArn", "topicArn")
	if err != nil {
		return nil, err
	}
	token, err := required(form, "Token", "token")
	if err != nil {
		return nil, err
	}
	sub, err := s.confirm(arn, token)
	if err != nil {
		return nil, err
	}
	return &subscribeResult{SubscriptionArn: sub}, nil
}

func (s *Service) actUnsubscribe(form url.Values) (any, *APIError) {
	arn, err := required(form, "SubscriptionArn", "subscriptionArn")
	if err != nil {
		return nil, err
	}
	return nil, s.unsubscribe(arn)
}

func (s *Service) listSubs(topicARN, token string) (any, *APIError) {
	s.mu.Lock()
	if _, ok := s.topics[topicARN]; topicARN != "" && !ok {
		s.mu.Unlock()
		return nil, errTopicNotFound
	}
	var subs []Subscription
	for _, sub := range s.sortedSubsLocked(topicARN) {
		subs = append(subs, sub.clone())
	}
	s.mu.Unlock()
	pg, next, err := page(subs, func(sub Subscription) string { return sub.ARN }, token, s.cfg.PageSize)
	if err != nil {
		return nil, err
	}
	res := &listSubsResult{NextToken: next}
	for _, sub := range pg {
		m := subMember{TopicArn: sub.TopicARN, Protocol: sub.Protocol, SubscriptionArn: sub.ARN, Owner: sub.Owner, Endpoint: sub.Endpoint}
		if sub.Status != StatusConfirmed {
			m.SubscriptionArn = "PendingConfirmation"
		}
		res.Subscriptions = append(res.Subscriptions, m)
	}
	return res, nil
}

func (s *Service) actListSubscriptions(form url.Values) (any, *APIError) {
	return s.listSubs("", form.Get("NextToken"))
}

func (s *Service) actListSubscriptionsByTopic(form url.Values) (any, *APIError) {
	arn, err := required(form, "TopicArn", "topicArn")
	if err != nil {
		return nil, err
	}
	if err := s.checkTopicARN("TopicArn", arn); err != nil {
		return nil, err
	}
	return s.listSubs(arn, form.Get("NextToken"))
}

func (s *Service) actGetSubscriptionAttributes(form url.Values) (any, *APIError) {
	arn, err := required(form, "SubscriptionArn", "subscriptionArn")
	if err != nil {
		return nil, err
	}
	attrs, err := s.subscriptionAttributes(arn)
	if err != nil {
		return nil, err
	}
	return &attributesResult{Attributes: sortedEntries(attrs)}, nil
}

func (s *Service) actSetSubscriptionAttributes(form url.Values) (any, *APIError) {
	arn, err := required(form, "SubscriptionArn", "subscriptionArn")
	if err != nil {
		return nil, err
	}
	name, err := required(form, "AttributeName", "attributeName")
	if err != nil {
		return nil, err
	}
	return nil, s.setSubscriptionAttribute(arn, name, form.Get("AttributeValue"))
}

// publishTarget resolves TopicArn/TargetArn/PhoneNumber to a topic ARN.
func (s *Service) publishTarget(form url.Values) (string, *APIError) {
	topic, target := form.Get("TopicArn"), form.Get("TargetArn")
	switch {
	case form.Get("PhoneNumber") != "":
		return "", errInvalidParameter("Invalid parameter: PhoneNumber Reason: SMS is not supported by the imgflow local SNS")
	case topic == "" && target == "":
		return "", errInvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	case topic != "" && target != "":
		return "", errInvalidParameter("Invalid parameter: TopicArn Reason: Only one of TopicArn or TargetArn may be specified")
	case target != "":
		if err := s.checkTopicARN("TargetArn", target); err != nil {
			return "", err
		}
		return target, nil
	}
	return topic, nil
}

func (s *Service) actPublish(form url.Values) (any, *APIError) {
	topic, err := s.publishTarget(form)
	if err != nil {
		return nil, err
	}
	msg, err := required(form, "Message", "message")
	if err != nil {
		return nil, err
	}
	attrs, err := parseMessageAttributes(form, "MessageAttributes.entry.")
	if err != nil {
		return nil, err
	}
	id, err := s.publish(publishRequest{
		PublishInput: PublishInput{TopicARN: topic, Subject: form.Get("Subject"), Message: msg,
			MessageStructure: form.Get("MessageStructure"), MessageAttributes: attrs},
		hasSubject: form.Has("Subject"),
	})
	if err != nil {
		return nil, err
	}
	return &publishResult{MessageId: id}, nil
}

const maxBatchEntries = 10

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// subForm returns the parameters under prefix, with the prefix removed.
func subForm(form url.Values, prefix string) url.Values {
	out := url.Values{}
	for k, v := range form {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}

func (s *Service) actPublishBatch(form url.Values) (any, *APIError) {
	topic, err := required(form, "TopicArn", "topicArn")
	if err != nil {
		return nil, err
	}
	if err := s.checkTopicARN("TopicArn", topic); err != nil {
		return nil, err
	}
	es := entries(form, "PublishBatchRequestEntries.member.")
	switch {
	case len(es) == 0:
		return nil, newAPIError(400, "EmptyBatchRequest", "The batch request doesn't contain any entries.")
	case len(es) > maxBatchEntries:
		return nil, newAPIError(400, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	var idxs []string
	for k := range form {
		if rest, ok := strings.CutPrefix(k, "PublishBatchRequestEntries.member."); ok && strings.HasSuffix(rest, ".Id") {
			idxs = append(idxs, strings.TrimSuffix(rest, ".Id"))
		}
	}
	for _, e := range es {
		id := e["Id"]
		if !batchIDRE.MatchString(id) {
			return nil, newAPIError(400, "InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.")
		}
		if seen[id] {
			return nil, newAPIError(400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
		}
		seen[id] = true
	}
	s.mu.Lock()
	_, exists := s.topics[topic]
	s.mu.Unlock()
	if !exists {
		return nil, errTopicNotFound
	}
	res := &publishBatchResult{}
	for _, idx := range sortedNumeric(idxs) {
		sub := subForm(form, "PublishBatchRequestEntries.member."+idx+".")
		id := sub.Get("Id")
		fail := func(e *APIError) {
			res.Failed = append(res.Failed, batchResultFailure{Id: id, Code: e.Code, Message: e.Message, SenderFault: e.Status < 500})
		}
		if !sub.Has("Message") {
			fail(errValidation("message"))
			continue
		}
		attrs, aerr := parseMessageAttributes(sub, "MessageAttributes.entry.")
		if aerr != nil {
			fail(aerr)
			continue
		}
		msgID, aerr := s.publish(publishRequest{
			PublishInput: PublishInput{TopicARN: topic, Subject: sub.Get("Subject"), Message: sub.Get("Message"),
				MessageStructure: sub.Get("MessageStructure"), MessageAttributes: attrs},
			hasSubject: sub.Has("Subject"),
		})
		if aerr != nil {
			fail(aerr)
			continue
		}
		res.Successful = append(res.Successful, batchResultEntry{Id: id, MessageId: msgID})
	}
	return res, nil
}

// sortedNumeric sorts decimal index strings numerically.
func sortedNumeric(xs []string) []string {
	slices.SortFunc(xs, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return xs
}

func (s *Service) actListTags(form url.Values) (any, *APIError) {
	arn, err := required(form, "ResourceArn", "resourceArn")
	if err != nil {
		return nil, err
	}
	tags, err := s.topicTags(arn)
	if err != nil {
		return nil, err
	}
	res := &tagsResult{}
	for _, e := range sortedEntries(tags) {
		res.Tags = append(res.Tags, tagMember{Key: e.Key, Value: e.Value})
	}
	return res, nil
}

func (s *Service) actTagResource(form url.Values) (any, *APIError) {
	arn, err := required(form, "ResourceArn", "resourceArn")
	if err != nil {
		return nil, err
	}
	return &emptyResult{}, s.tagTopic(arn, keyValueMap(form, "Tags.member.", "Key", "Value"), nil)
}

func (s *Service) actUntagResource(form url.Values) (any, *APIError) {
	arn, err := required(form, "ResourceArn", "resourceArn")
	if err != nil {
		return nil, err
	}
	var keys []string
	for k, v := range form {
		if strings.HasPrefix(k, "TagKeys.member.") && len(v) > 0 {
			keys = append(keys, v[0])
		}
	}
	return &emptyResult{}, s.tagTopic(arn, nil, keys)
}
