package sns

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

// apiVersion is the SNS Query API version.
const (
	apiVersion = "2010-03-31"
	xmlns      = "http://sns.amazonaws.com/doc/2010-03-31/"
)

// actionFunc runs one Query action; a nil result writes an empty Result-less reply.
type actionFunc func(s *Service, form url.Values) (any, *APIError)

var actions = map[string]actionFunc{
	"CreateTopic":               (*Service).actCreateTopic,
	"DeleteTopic":               (*Service).actDeleteTopic,
	"ListTopics":                (*Service).actListTopics,
	"GetTopicAttributes":        (*Service).actGetTopicAttributes,
	"SetTopicAttributes":        (*Service).actSetTopicAttributes,
	"Subscribe":                 (*Service).actSubscribe,
	"ConfirmSubscription":       (*Service).actConfirmSubscription,
	"Unsubscribe":               (*Service).actUnsubscribe,
	"ListSubscriptions":         (*Service).actListSubscriptions,
	"ListSubscriptionsByTopic":  (*Service).actListSubscriptionsByTopic,
	"GetSubscriptionAttributes": (*Service).actGetSubscriptionAttributes,
	"SetSubscriptionAttributes": (*Service).actSetSubscriptionAttributes,
	"Publish":                   (*Service).actPublish,
	"PublishBatch":              (*Service).actPublishBatch,
	"ListTagsForResource":       (*Service).actListTags,
	"TagResource":               (*Service).actTagResource,
	"UntagResource":             (*Service).actUntagResource,
}

// routes registers the service's routes; tests reuse it through ServeHTTP.
// SNS answers on any path of the endpoint, as the Query protocol has none.
func (s *Service) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /", s.handleQuery)
	mux.HandleFunc("GET /", s.handleQuery)
}

// ServeHTTP serves the SNS Query protocol.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Service) handleQuery(w http.ResponseWriter, r *http.Request) {
	reqID := awsid.UUID()
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		// SNS has no JSON protocol (SDKs and the CLI send Query); say so
		// in the JSON shape the caller expects.
		writeJSONError(w, reqID, newAPIError(http.StatusBadRequest, "UnknownOperationException",
			"SNS speaks the Query protocol only; %s is not supported", target))
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		s.writeError(w, r, reqID, newAPIError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is too large"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, reqID, newAPIError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is too large"))
			return
		}
		s.writeError(w, r, reqID, newAPIError(http.StatusBadRequest, "MalformedQueryString", "The query string is malformed"))
		return
	}
	form := r.Form
	action := form.Get("Action")
	if action == "" {
		s.writeError(w, r, reqID, newAPIError(http.StatusBadRequest, "MissingAction", "Missing Action"))
		return
	}
	// The links SNS mails and posts (confirm, unsubscribe) work unsigned.
	link := r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Credential") == "" &&
		(action == "ConfirmSubscription" || action == "Unsubscribe")
	if !link {
		if err := s.checkAuth(r); err != nil {
			s.writeError(w, r, reqID, err)
			return
		}
	}
	if v := form.Get("Version"); v != "" && v != apiVersion {
		s.writeError(w, r, reqID, newAPIError(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, v))
		return
	}
	act, ok := actions[action]
	if !ok {
		s.writeError(w, r, reqID, newAPIError(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this endpoint.", action))
		return
	}
	res, aerr := act(s, form)
	if aerr != nil {
		s.writeError(w, r, reqID, aerr)
		return
	}
	if link && r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		writeLinkPage(w, action, res)
		return
	}
	writeResult(w, action, reqID, res)
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func writeResult(w http.ResponseWriter, action, reqID string, result any) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	err := enc.EncodeToken(start)
	if err == nil && result != nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(responseMetadata{RequestID: reqID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(start.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     errorBody
	RequestID string `xml:"RequestId"`
}

type errorBody struct {
	Type    string
	Code    string
	Message string
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, reqID string, e *APIError) {
	if e.Status >= 500 {
		s.log.Error("request failed", zap.String("request_id", reqID), zap.String("action", r.Form.Get("Action")), zap.Error(e))
	}
	b, _ := xml.Marshal(errorResponse{Xmlns: xmlns, Error: errorBody{Type: e.faultType(), Code: e.Code, Message: e.Message}, RequestID: reqID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.Status)
	w.Write(b)
}

func writeJSONError(w http.ResponseWriter, reqID string, e *APIError) {
	b, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.Status)
	w.Write(b)
}

var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p><p><code>{{.ARN}}</code></p></body></html>
`))

// writeLinkPage answers a person who opened a confirm/unsubscribe link in
// a browser, as AWS does, instead of with XML.
func writeLinkPage(w http.ResponseWriter, action string, res any) {
	v := struct{ Title, Text, ARN string }{Title: "Subscription confirmed!", Text: "You have subscribed to the topic. Your subscription's id is:"}
	switch r := res.(type) {
	case *subscribeResult:
		v.ARN = r.SubscriptionArn
	}
	if action == "Unsubscribe" {
		v.Title, v.Text = "Subscription removed!", "You will no longer receive messages from this topic."
	}
	var buf bytes.Buffer
	if err := linkPage.Execute(&buf, v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// Typed results, in SNS's element names.
type (
	createTopicResult struct{ TopicArn string }
	attrEntry         struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	attributesResult struct {
		Attributes []attrEntry `xml:"Attributes>entry"`
	}
	topicMember      struct{ TopicArn string }
	listTopicsResult struct {
		Topics    []topicMember `xml:"Topics>member"`
		NextToken string        `xml:",omitempty"`
	}
	subscribeResult struct{ SubscriptionArn string }
	subMember       struct {
		TopicArn, Protocol, SubscriptionArn, Owner, Endpoint string
	}
	listSubsResult struct {
		Subscriptions []subMember `xml:"Subscriptions>member"`
		NextToken     string      `xml:",omitempty"`
	}
	publishResult      struct{ MessageId string }
	batchResultEntry   struct{ Id, MessageId string }
	batchResultFailure struct {
		Id, Code, Message string
		SenderFault       bool
	}
	publishBatchResult struct {
		Failed     []batchResultFailure `xml:"Failed>member"`
		Successful []batchResultEntry   `xml:"Successful>member"`
	}
	tagMember  struct{ Key, Value string }
	tagsResult struct {
		Tags []tagMember `xml:"Tags>member"`
	}
	emptyResult struct{}
)

func sortedEntries(m map[string]string) []attrEntry {
	out := make([]attrEntry, 0, len(m))
	for k, v := range m {
		out = append(out, attrEntry{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b attrEntry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func required(form url.Values, param, field string) (string, *APIError) {
	v := form.Get(param)
	if !form.Has(param) {
		return "", errValidation(field)
	}
	return v, nil
}

// page cuts keys (sorted) at the opaque token; the token names the first
// key of the next page.
func page[T any](items []T, key func(T) string, token string, size int) ([]T, string, *APIError) {
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", errInvalidParameter("Invalid parameter: NextToken")
		}
		start = -1
		for i, it := range items {
			if key(it) == string(raw) {
				start = i
				break
			}
		}
		if start < 0 {
			return nil, "", errInvalidParameter("Invalid parameter: NextToken")
		}
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end])))
	}
	return items[start:end], next, nil
}
