package s3

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// LambdaConfiguration is one bucket notification target: events whose type
// matches Events and whose (URL-encoded, as AWS compares them) key has
// Prefix and Suffix are sent to the Lambda function FunctionARN.
type LambdaConfiguration struct {
	// ID is the configurationId of the event records; generated when empty.
	ID          string   `json:"id"`
	FunctionARN string   `json:"functionArn"`
	Events      []string `json:"events"` // e.g. "s3:ObjectCreated:*", "s3:ObjectCreated:Put"
	Prefix      string   `json:"prefix,omitempty"`
	Suffix      string   `json:"suffix,omitempty"`
}

// Event names this service produces (the record's eventName).
const (
	EventPut                     = "ObjectCreated:Put"
	EventPost                    = "ObjectCreated:Post"
	EventCopy                    = "ObjectCreated:Copy"
	EventCompleteMultipartUpload = "ObjectCreated:CompleteMultipartUpload"
	// EventDelete is a permanent removal: the null version of an unversioned
	// bucket, or one version (a delete marker too) by its id.
	EventDelete = "ObjectRemoved:Delete"
	// EventDeleteMarkerCreated is a DeleteObject without a version id on a
	// versioned (or suspended) bucket: a delete marker became current.
	EventDeleteMarkerCreated = "ObjectRemoved:DeleteMarkerCreated"
)

// supportedEvents are the configuration event types we deliver.
var supportedEvents = map[string]bool{
	"s3:ObjectCreated:*":                       true,
	"s3:ObjectCreated:Put":                     true,
	"s3:ObjectCreated:Post":                    true,
	"s3:ObjectCreated:Copy":                    true,
	"s3:ObjectCreated:CompleteMultipartUpload": true,
	"s3:ObjectRemoved:*":                       true,
	"s3:ObjectRemoved:Delete":                  true,
	"s3:ObjectRemoved:DeleteMarkerCreated":     true,
}

// knownEvents are valid AWS event types that this service does not produce;
// a configuration naming one is refused with NotImplemented rather than
// accepted and silently never fired.
var knownEvents = map[string]bool{
	"s3:ReducedRedundancyLostObject": true, "s3:ObjectRestore:*": true, "s3:ObjectRestore:Post": true,
	"s3:ObjectRestore:Completed": true, "s3:ObjectRestore:Delete": true, "s3:Replication:*": true,
	"s3:Replication:OperationFailedReplication": true, "s3:Replication:OperationNotTracked": true,
	"s3:Replication:OperationMissedThreshold": true, "s3:Replication:OperationReplicatedAfterThreshold": true,
	"s3:LifecycleExpiration:*": true, "s3:LifecycleExpiration:Delete": true,
	"s3:LifecycleExpiration:DeleteMarkerCreated": true, "s3:LifecycleTransition": true,
	"s3:IntelligentTiering": true, "s3:ObjectTagging:*": true, "s3:ObjectTagging:Put": true,
	"s3:ObjectTagging:Delete": true, "s3:ObjectAcl:Put": true,
}

// validateNotifications checks cfgs as AWS would and fills in missing IDs.
// It returns a copy.
func validateNotifications(cfgs []LambdaConfiguration) ([]LambdaConfiguration, *APIError) {
	out := make([]LambdaConfiguration, 0, len(cfgs))
	ids := map[string]bool{}
	for i, c := range cfgs {
		if !strings.HasPrefix(c.FunctionARN, "arn:") || !strings.Contains(c.FunctionARN, ":lambda:") {
			return nil, errInvalidArgument(fmt.Sprintf("Unable to validate the following destination configurations: %q is not a Lambda function ARN", c.FunctionARN))
		}
		if len(c.Events) == 0 {
			return nil, errInvalidArgument("Each notification configuration needs at least one event")
		}
		for _, e := range c.Events {
			if knownEvents[e] {
				return nil, errNotImplemented("notification event type " + e + " (only s3:ObjectCreated:* and s3:ObjectRemoved:* events are delivered)")
			}
			if !supportedEvents[e] {
				return nil, errInvalidArgument("The event is not supported for notifications: " + e)
			}
		}
		c.Events = append([]string(nil), c.Events...)
		if c.ID == "" {
			c.ID = generatedConfigID(i, c)
		}
		if ids[c.ID] {
			return nil, errInvalidArgument("Configuration Id must be unique: " + c.ID)
		}
		ids[c.ID] = true
		out = append(out, c)
	}
	return out, nil
}

// generatedConfigID is a deterministic stand-in for the random ID AWS assigns.
func generatedConfigID(i int, c LambdaConfiguration) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d|%s|%s|%s|%s", i, c.FunctionARN, strings.Join(c.Events, ","), c.Prefix, c.Suffix))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// matches reports whether an event named eventName (e.g. "ObjectCreated:Put")
// for a key whose event encoding is encodedKey selects c.
func (c LambdaConfiguration) matches(eventName, encodedKey string) bool {
	if !strings.HasPrefix(encodedKey, c.Prefix) || !strings.HasSuffix(encodedKey, c.Suffix) {
		return false
	}
	family, _, _ := strings.Cut(eventName, ":")
	for _, e := range c.Events {
		if e == "s3:"+eventName || e == "s3:"+family+":*" {
			return true
		}
	}
	return false
}

// EncodeEventKey encodes an object key the way S3 event records carry it:
// application/x-www-form-urlencoded style (space as '+', '+' as "%2B",
// UTF-8 bytes percent-encoded) with '/' left as is. The unreserved set is
// Java's URLEncoder set (letters, digits, "-_.*") plus '/'.
func EncodeEventKey(key string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(key) + 8)
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '*', c == '/':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// eventSpec is what a request contributes to its event records.
type eventSpec struct {
	name        string // EventPut, ...
	requestID   string
	hostID      string
	sourceIP    string
	principalID string
}

// buildEventRecord builds the record AWS sends for one created or removed
// object. A removal's record has no size and no ETag, as AWS's has none
// (rec is then the removed version or the new delete marker).
func buildEventRecord(region, accountID, bucket string, c LambdaConfiguration, ev *eventSpec, rec *versionRecord, at time.Time) events.S3EventRecord {
	return events.S3EventRecord{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         region,
		EventTime:         at.UTC().Truncate(time.Millisecond),
		EventName:         ev.name,
		PrincipalID:       events.S3UserIdentity{PrincipalID: ev.principalID},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: ev.sourceIP},
		ResponseElements: map[string]string{
			"x-amz-request-id": ev.requestID,
			"x-amz-id-2":       ev.hostID,
		},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: c.ID,
			Bucket: events.S3Bucket{
				Name:          bucket,
				OwnerIdentity: events.S3UserIdentity{PrincipalID: accountID},
				Arn:           "arn:aws:s3:::" + bucket,
			},
			Object: events.S3Object{
				Key:           EncodeEventKey(rec.Key),
				URLDecodedKey: rec.Key,
				Size:          rec.Size,
				ETag:          rec.ETag,
				VersionID:     rec.VersionID,
				Sequencer:     fmt.Sprintf("%016X", rec.Seq),
			},
		},
	}
}

// Wire form of the notification configuration. In the S3 REST API the
// Lambda list is flattened as <CloudFunctionConfiguration> elements whose
// ARN element is <CloudFunction>.
type notificationConfigurationXML struct {
	XMLName     xml.Name          `xml:"NotificationConfiguration"`
	Xmlns       string            `xml:"xmlns,attr,omitempty"`
	Topics      []rawXML          `xml:"TopicConfiguration"`
	Queues      []rawXML          `xml:"QueueConfiguration"`
	Lambdas     []lambdaConfigXML `xml:"CloudFunctionConfiguration"`
	EventBridge *rawXML           `xml:"EventBridgeConfiguration"`
}

type rawXML struct {
	Inner []byte `xml:",innerxml"`
}

type lambdaConfigXML struct {
	ID            string     `xml:"Id,omitempty"`
	CloudFunction string     `xml:"CloudFunction"`
	Events        []string   `xml:"Event"`
	Filter        *filterXML `xml:"Filter,omitempty"`
}

type filterXML struct {
	Rules []filterRuleXML `xml:"S3Key>FilterRule"`
}

type filterRuleXML struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

// parseNotificationXML decodes and validates a PutBucketNotificationConfiguration body.
func parseNotificationXML(body []byte) ([]LambdaConfiguration, *APIError) {
	var in notificationConfigurationXML
	if err := xml.Unmarshal(body, &in); err != nil {
		return nil, errMalformedXML()
	}
	if len(in.Topics) > 0 || len(in.Queues) > 0 {
		return nil, errNotImplemented("SNS topic and SQS queue notification destinations (only Lambda functions are supported)")
	}
	if in.EventBridge != nil {
		return nil, errNotImplemented("EventBridge notifications")
	}
	cfgs := make([]LambdaConfiguration, 0, len(in.Lambdas))
	for _, l := range in.Lambdas {
		c := LambdaConfiguration{ID: l.ID, FunctionARN: l.CloudFunction, Events: l.Events}
		if l.Filter != nil {
			seen := map[string]bool{}
			for _, r := range l.Filter.Rules {
				name := strings.ToLower(r.Name)
				if seen[name] {
					return nil, errInvalidArgument("Cannot specify more than one " + name + " rule in a filter.")
				}
				seen[name] = true
				switch name {
				case "prefix":
					c.Prefix = r.Value
				case "suffix":
					c.Suffix = r.Value
				default:
					return nil, errInvalidArgument("filter rule name must be either prefix or suffix")
				}
			}
		}
		cfgs = append(cfgs, c)
	}
	return validateNotifications(cfgs)
}

// notificationXML renders cfgs as a GetBucketNotificationConfiguration body.
func notificationXML(cfgs []LambdaConfiguration) ([]byte, error) {
	out := notificationConfigurationXML{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/"}
	for _, c := range cfgs {
		l := lambdaConfigXML{ID: c.ID, CloudFunction: c.FunctionARN, Events: c.Events}
		if c.Prefix != "" || c.Suffix != "" {
			l.Filter = &filterXML{}
			if c.Prefix != "" {
				l.Filter.Rules = append(l.Filter.Rules, filterRuleXML{Name: "Prefix", Value: c.Prefix})
			}
			if c.Suffix != "" {
				l.Filter.Rules = append(l.Filter.Rules, filterRuleXML{Name: "Suffix", Value: c.Suffix})
			}
		}
		out.Lambdas = append(out.Lambdas, l)
	}
	body, err := xml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("notification xml: %w", err)
	}
	return append([]byte(xml.Header), body...), nil
}
