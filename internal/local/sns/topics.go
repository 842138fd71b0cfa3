package sns

import (
	"encoding/json"
	"maps"
	"regexp"
	"strconv"
	"strings"

	"github.com/imgflow/imgflow/internal/local/awsid"
)

var topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// settableTopicAttributes are the topic attributes CreateTopic and
// SetTopicAttributes accept; they are stored verbatim.
var settableTopicAttributes = map[string]bool{
	"DisplayName": true, "Policy": true, "DeliveryPolicy": true, "KmsMasterKeyId": true,
	"SignatureVersion": true, "TracingConfig": true, "DataProtectionPolicy": true, "ArchivePolicy": true,
	"HTTPSuccessFeedbackRoleArn": true, "HTTPFailureFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true,
}

func (s *Service) topicARN(name string) string {
	return awsid.TopicARN(s.cfg.Region, s.cfg.AccountID, name)
}

// checkTopicARN validates an ARN's shape; a well-formed ARN of an unknown
// topic is NotFound, a malformed one InvalidParameter.
func (s *Service) checkTopicARN(param, arn string) *APIError {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || !topicNameRE.MatchString(parts[5]) {
		return errInvalidParameter("Invalid parameter: %s", param)
	}
	return nil
}

func validateTopicAttribute(name, value string) *APIError {
	if !settableTopicAttributes[name] {
		if name == "FifoTopic" || name == "ContentBasedDeduplication" {
			return errInvalidParameter("Invalid parameter: Attributes Reason: FIFO topics are not supported by the imgflow local SNS")
		}
		return errInvalidParameter("Invalid parameter: AttributeName")
	}
	switch name {
	case "DisplayName":
		if len(value) > 100 {
			return errInvalidParameter("Invalid parameter: DisplayName")
		}
	case "Policy", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return errInvalidParameter("Invalid parameter: %s Reason: failed to parse JSON", name)
		}
	}
	return nil
}

func (s *Service) createTopic(name string, attrs, tags map[string]string) (string, *APIError) {
	if strings.HasSuffix(name, ".fifo") || attrs["FifoTopic"] == "true" {
		return "", errInvalidParameter("Invalid parameter: FIFO topics are not supported by the imgflow local SNS")
	}
	if !topicNameRE.MatchString(name) {
		return "", errInvalidParameter("Invalid parameter: Topic Name")
	}
	for k, v := range attrs {
		if k == "FifoTopic" && v == "false" {
			delete(attrs, k)
			continue
		}
		if err := validateTopicAttribute(k, v); err != nil {
			return "", err
		}
	}
	arn := s.topicARN(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errClosed
	}
	if t, ok := s.topics[arn]; ok {
		for k, v := range attrs {
			if t.Attributes[k] != v {
				return "", errInvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
			}
		}
		for k, v := range tags {
			if old, ok := t.Tags[k]; ok && old != v {
				return "", errInvalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags")
			}
		}
		return arn, nil
	}
	s.topics[arn] = &Topic{ARN: arn, Name: name, Attributes: maps.Clone(attrs), Tags: maps.Clone(tags), CreatedAt: s.clk.Now().UTC()}
	if err := s.saveStateLocked(); err != nil {
		delete(s.topics, arn)
		return "", err
	}
	return arn, nil
}

// deleteTopic deletes a topic and its subscriptions; deleting a topic that
// does not exist succeeds, as on AWS.
func (s *Service) deleteTopic(arn string) *APIError {
	if err := s.checkTopicARN("TopicArn", arn); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.topics[arn]; !ok {
		return nil
	}
	delete(s.topics, arn)
	for k, sub := range s.subs {
		if sub.TopicARN == arn {
			delete(s.subs, k)
		}
	}
	return s.saveStateLocked()
}

func (s *Service) topicAttributes(arn string) (map[string]string, *APIError) {
	if err := s.checkTopicARN("TopicArn", arn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		return nil, errTopicNotFound
	}
	pending, confirmed := 0, 0
	for _, sub := range s.subs {
		if sub.TopicARN != arn {
			continue
		}
		if sub.Status == StatusConfirmed {
			confirmed++
		} else {
			pending++
		}
	}
	out := map[string]string{
		"TopicArn":                  arn,
		"Owner":                     s.cfg.AccountID,
		"DisplayName":               "",
		"Policy":                    s.defaultTopicPolicy(arn),
		"SubscriptionsPending":      strconv.Itoa(pending),
		"SubscriptionsConfirmed":    strconv.Itoa(confirmed),
		"SubscriptionsDeleted":      "0",
		"EffectiveDeliveryPolicy":   defaultDeliveryPolicy,
		"FifoTopic":                 "false",
		"ContentBasedDeduplication": "false",
	}
	maps.Copy(out, t.Attributes)
	return out, nil
}

const defaultDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func (s *Service) defaultTopicPolicy(arn string) string {
	p := map[string]any{
		"Version": "2008-10-17",
		"Id":      "__default_policy_ID",
		"Statement": []any{map[string]any{
			"Sid":       "__default_statement_ID",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
				"SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource":  arn,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": s.cfg.AccountID}},
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func (s *Service) setTopicAttribute(arn, name, value string) *APIError {
	if err := s.checkTopicARN("TopicArn", arn); err != nil {
		return err
	}
	if err := validateTopicAttribute(name, value); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		return errTopicNotFound
	}
	if t.Attributes == nil {
		t.Attributes = map[string]string{}
	}
	old, had := t.Attributes[name]
	if value == "" && name != "DisplayName" {
		delete(t.Attributes, name)
	} else {
		t.Attributes[name] = value
	}
	if err := s.saveStateLocked(); err != nil {
		if had {
			t.Attributes[name] = old
		} else {
			delete(t.Attributes, name)
		}
		return err
	}
	return nil
}

func (s *Service) topicTags(arn string) (map[string]string, *APIError) {
	if err := s.checkTopicARN("ResourceArn", arn); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		return nil, newAPIError(404, "ResourceNotFound", "Resource does not exist")
	}
	return maps.Clone(t.Tags), nil
}

func (s *Service) tagTopic(arn string, add map[string]string, remove []string) *APIError {
	if err := s.checkTopicARN("ResourceArn", arn); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		return newAPIError(404, "ResourceNotFound", "Resource does not exist")
	}
	old := maps.Clone(t.Tags)
	if t.Tags == nil {
		t.Tags = map[string]string{}
	}
	maps.Copy(t.Tags, add)
	for _, k := range remove {
		delete(t.Tags, k)
	}
	if len(t.Tags) > 50 {
		t.Tags = old
		return newAPIError(400, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	if err := s.saveStateLocked(); err != nil {
		t.Tags = old
		return err
	}
	return nil
}
