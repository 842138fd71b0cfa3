package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/local/awsid"
)

// TargetPrefix is the X-Amz-Target prefix of CloudWatch Logs' JSON 1.1
// protocol.
const TargetPrefix = "Logs_20140328."

const contentType = "application/x-amz-json-1.1"

// APIError is an error in CloudWatch Logs' terms.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func invalid(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

// API serves the CloudWatch Logs operations over a Store.
type API struct {
	store *Store
}

// NewAPI returns the JSON 1.1 handler of store.
func NewAPI(store *Store) *API { return &API{store: store} }

type opFunc func(a *API, ctx context.Context, body []byte) (any, error)

func op[In any](f func(*API, context.Context, *In) (any, error)) opFunc {
	return func(a *API, ctx context.Context, body []byte) (any, error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, &APIError{Status: http.StatusBadRequest, Code: "SerializationException", Message: err.Error()}
			}
		}
		return f(a, ctx, &in)
	}
}

var ops = map[string]opFunc{
	"DescribeLogGroups":  op((*API).describeLogGroups),
	"DescribeLogStreams": op((*API).describeLogStreams),
	"GetLogEvents":       op((*API).getLogEvents),
	"FilterLogEvents":    op((*API).filterLogEvents),
}

// ServeHTTP answers POST / with X-Amz-Target: Logs_20140328.<Operation>.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", awsid.UUID())
	name, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	f := ops[name]
	if r.Method != http.MethodPost || f == nil {
		writeError(w, &APIError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: fmt.Sprintf("operation %q is not served locally", r.Header.Get("X-Amz-Target"))})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.store.cfg.MaxRequestBytes))
	if err != nil {
		writeError(w, &APIError{Status: http.StatusRequestEntityTooLarge, Code: "InvalidParameterException", Message: "request body: " + err.Error()})
		return
	}
	out, err := f(a, r.Context(), body)
	if err != nil {
		writeError(w, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, err error) {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, ErrGroupNotFound):
		ae = &APIError{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: "The specified log group does not exist."}
	default:
		var fe *FilterError
		if errors.As(err, &fe) {
			ae = invalid("%s", fe.Error())
		} else {
			ae = &APIError{Status: http.StatusInternalServerError, Code: "ServiceUnavailableException", Message: err.Error()}
		}
	}
	b, _ := json.Marshal(map[string]string{"__type": ae.Code, "message": ae.Message})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Errortype", ae.Code)
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

// groupName reads logGroupName, or logGroupIdentifier (a name or an ARN).
func groupName(name, identifier string) (string, error) {
	if name != "" {
		return name, nil
	}
	if rest, ok := strings.CutPrefix(identifier, "arn:"); ok {
		_, after, found := strings.Cut(rest, ":log-group:")
		if !found {
			return "", invalid("logGroupIdentifier %q is not a log group ARN", identifier)
		}
		return strings.TrimSuffix(after, ":*"), nil
	}
	if identifier == "" {
		return "", invalid("logGroupName or logGroupIdentifier is required")
	}
	return identifier, nil
}

func limit(v *int, def, most int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 || *v > most {
		return 0, invalid("limit must be between 1 and %d", most)
	}
	return *v, nil
}

// ARN is a log group's ARN (without the :* that DescribeLogGroups'
// arn field adds).
func (s *Store) ARN(group string) string {
	return "arn:aws:logs:" + s.cfg.Region + ":" + s.cfg.AccountID + ":log-group:" + group
}

type describeLogGroupsInput struct {
	LogGroupNamePrefix  string `json:"logGroupNamePrefix"`
	LogGroupNamePattern string `json:"logGroupNamePattern"`
	NextToken           string `json:"nextToken"`
	Limit               *int   `json:"limit"`
}

type logGroup struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   int    `json:"retentionInDays,omitempty"`
	MetricFilterCount int    `json:"metricFilterCount"`
	ARN               string `json:"arn"`
	LogGroupARN       string `json:"logGroupArn"`
	StoredBytes       int64  `json:"storedBytes"`
	LogGroupClass     string `json:"logGroupClass"`
}

func (a *API) describeLogGroups(_ context.Context, in *describeLogGroupsInput) (any, error) {
	n, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	var out struct {
		LogGroups []logGroup `json:"logGroups"`
		NextToken string     `json:"nextToken,omitempty"`
	}
	out.LogGroups = []logGroup{}
	for _, g := range a.store.Groups(in.LogGroupNamePrefix) {
		if in.LogGroupNamePattern != "" && !strings.Contains(strings.ToLower(g.Name), strings.ToLower(in.LogGroupNamePattern)) {
			continue
		}
		if in.NextToken != "" && g.Name <= in.NextToken {
			continue
		}
		if len(out.LogGroups) == n {
			out.NextToken = out.LogGroups[n-1].LogGroupName
			break
		}
		arn := a.store.ARN(g.Name)
		out.LogGroups = append(out.LogGroups, logGroup{LogGroupName: g.Name, CreationTime: ms(g.Created), RetentionInDays: g.RetentionDays,
			ARN: arn + ":*", LogGroupARN: arn, StoredBytes: g.StoredBytes, LogGroupClass: "STANDARD"})
	}
	return out, nil
}

type describeLogStreamsInput struct {
	LogGroupName        string `json:"logGroupName"`
	LogGroupIdentifier  string `json:"logGroupIdentifier"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix"`
	OrderBy             string `json:"orderBy"`
	Descending          bool   `json:"descending"`
	NextToken           string `json:"nextToken"`
	Limit               *int   `json:"limit"`
}

type logStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	ARN                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

func (a *API) describeLogStreams(_ context.Context, in *describeLogStreamsInput) (any, error) {
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	if in.OrderBy == "LastEventTime" && in.LogStreamNamePrefix != "" {
		return nil, invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	streams, err := a.store.Streams(group, in.LogStreamNamePrefix)
	if err != nil {
		return nil, err
	}
	switch in.OrderBy {
	case "", "LogStreamName":
	case "LastEventTime":
		sort.SliceStable(streams, func(i, j int) bool { return streams[i].LastEvent.Before(streams[j].LastEvent) })
	default:
		return nil, invalid("orderBy must be LogStreamName or LastEventTime")
	}
	if in.Descending {
		slices.Reverse(streams)
	}
	skip := 0
	if in.NextToken != "" {
		if skip, err = strconv.Atoi(in.NextToken); err != nil || skip < 0 {
			return nil, invalid("The specified nextToken is invalid.")
		}
	}
	var out struct {
		LogStreams []logStream `json:"logStreams"`
		NextToken  string      `json:"nextToken,omitempty"`
	}
	out.LogStreams = []logStream{}
	for i := skip; i < len(streams); i++ {
		if len(out.LogStreams) == n {
			out.NextToken = strconv.Itoa(i)
			break
		}
		st := streams[i]
		ls := logStream{LogStreamName: st.Name, CreationTime: ms(st.Created), ARN: a.store.ARN(group) + ":log-stream:" + st.Name, StoredBytes: st.StoredBytes}
		if !st.FirstEvent.IsZero() {
			ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = ms(st.FirstEvent), ms(st.LastEvent), ms(st.LastIngestion)
		}
		out.LogStreams = append(out.LogStreams, ls)
	}
	return out, nil
}

type outputEvent struct {
	LogStreamName string `json:"logStreamName,omitempty"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId,omitempty"`
}

// maxResponseBytes is the most one GetLogEvents or FilterLogEvents
// response carries (1 MB, as on AWS).
const maxResponseBytes = 1 << 20

// maxScan bounds the events one FilterLogEvents call reads; a sparse match
// returns a nextToken to go on from, as CloudWatch does.
const maxScan = 100_000

type filterLogEventsInput struct {
	LogGroupName        string   `json:"logGroupName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       string   `json:"filterPattern"`
	NextToken           string   `json:"nextToken"`
	Limit               *int     `json:"limit"`
	Interleaved         bool     `json:"interleaved"`
	Unmask              bool     `json:"unmask"`
}

func (a *API) filterLogEvents(ctx context.Context, in *filterLogEventsInput) (any, error) {
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	n, err := limit(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, invalid("logStreamNames and logStreamNamePrefix are mutually exclusive")
	}
	match, err := ParseFilter(in.FilterPattern)
	if err != nil {
		return nil, err
	}
	q := Query{Streams: in.LogStreamNames, Prefix: in.LogStreamNamePrefix, Match: match, Limit: n, MaxScan: maxScan}
	if in.StartTime != nil {
		q.Start = time.UnixMilli(*in.StartTime)
	}
	if in.EndTime != nil {
		q.End = time.UnixMilli(*in.EndTime + 1) // endTime is inclusive
	}
	if in.NextToken != "" {
		if q.After, err = parseToken(in.NextToken, "f"); err != nil {
			return nil, err
		}
	}
	events, last, more, err := a.store.Scan(ctx, group, q)
	if err != nil {
		return nil, err
	}
	var out struct {
		Events             []outputEvent `json:"events"`
		SearchedLogStreams []any         `json:"searchedLogStreams"`
		NextToken          string        `json:"nextToken,omitempty"`
	}
	out.Events, out.SearchedLogStreams = []outputEvent{}, []any{}
	size := 0
	for _, e := range events {
		if size += len(e.Message) + eventOverhead; size > maxResponseBytes {
			more, last = true, e.Seq-1
			break
		}
		out.Events = append(out.Events, outputEvent{LogStreamName: e.Stream, Timestamp: ms(e.Time), Message: e.Message,
			IngestionTime: ms(e.Ingestion), EventID: e.ID()})
	}
	if more {
		out.NextToken = token("f", last)
	}
	return out, nil
}

type getLogEventsInput struct {
	LogGroupName       string `json:"logGroupName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	LogStreamName      string `json:"logStreamName"`
	StartTime          *int64 `json:"startTime"`
	EndTime            *int64 `json:"endTime"`
	NextToken          string `json:"nextToken"`
	Limit              *int   `json:"limit"`
	StartFromHead      *bool  `json:"startFromHead"`
	Unmask             bool   `json:"unmask"`
}

func (a *API) getLogEvents(ctx context.Context, in *getLogEventsInput) (any, error) {
	group, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.LogStreamName == "" {
		return nil, invalid("logStreamName is required")
	}
	n, err := limit(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	streams, err := a.store.Streams(group, in.LogStreamName)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(streams, func(s Stream) bool { return s.Name == in.LogStreamName }) {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
	}
	q := Query{Streams: []string{in.LogStreamName}, Limit: n}
	if in.StartTime != nil {
		q.Start = time.UnixMilli(*in.StartTime)
	}
	if in.EndTime != nil {
		q.End = time.UnixMilli(*in.EndTime)
	}
	// Without a token the read starts at the head (startFromHead) or ends
	// at the tail (the default): Lambda's console shows the newest.
	q.Backward = in.StartFromHead == nil || !*in.StartFromHead
	var pos uint64 // the token's position: forward reads seq > pos, backward seq < pos
	switch {
	case strings.HasPrefix(in.NextToken, "f/"):
		if pos, err = parseToken(in.NextToken, "f"); err != nil {
			return nil, err
		}
		q.Backward, q.After = false, pos
	case strings.HasPrefix(in.NextToken, "b/"):
		if pos, err = parseToken(in.NextToken, "b"); err != nil {
			return nil, err
		}
		q.Backward, q.After = true, pos
		if pos == 0 { // nothing is before the first event
			return getLogEventsOutput{Events: []outputEvent{}, NextForwardToken: token("f", 0), NextBackwardToken: token("b", 0)}, nil
		}
	case in.NextToken != "":
		return nil, invalid("The specified nextToken is invalid.")
	}
	events, _, _, err := a.store.Scan(ctx, group, q)
	if err != nil {
		return nil, err
	}
	if q.Backward {
		size := 0
		for i := len(events) - 1; i >= 0; i-- {
			if size += len(events[i].Message) + eventOverhead; size > maxResponseBytes {
				events = events[i+1:]
				break
			}
		}
	} else {
		size := 0
		for i, e := range events {
			if size += len(e.Message) + eventOverhead; size > maxResponseBytes {
				events = events[:i]
				break
			}
		}
	}
	out := getLogEventsOutput{Events: []outputEvent{}}
	for _, e := range events {
		out.Events = append(out.Events, outputEvent{Timestamp: ms(e.Time), Message: e.Message, IngestionTime: ms(e.Ingestion)})
	}
	// The tokens name positions: forward continues after the last event
	// returned, backward before the first. With no events, a forward read
	// stays where it was (so a client polling with it sees the same token
	// and stops), and a backward read has reached the head.
	switch {
	case len(events) > 0:
		out.NextForwardToken = token("f", events[len(events)-1].Seq)
		out.NextBackwardToken = token("b", events[0].Seq)
	case q.Backward:
		out.NextForwardToken, out.NextBackwardToken = token("f", pos), token("b", 0)
		if pos > 0 {
			out.NextForwardToken = token("f", pos-1)
		}
	default:
		out.NextForwardToken, out.NextBackwardToken = token("f", pos), token("b", pos+1)
	}
	return out, nil
}

type getLogEventsOutput struct {
	Events            []outputEvent `json:"events"`
	NextForwardToken  string        `json:"nextForwardToken"`
	NextBackwardToken string        `json:"nextBackwardToken"`
}

// token encodes a position as CloudWatch's tokens look: f/ or b/ and 56
// digits.
func token(dir string, seq uint64) string { return fmt.Sprintf("%s/%056d", dir, seq) }

func parseToken(tok, dir string) (uint64, error) {
	rest, ok := strings.CutPrefix(tok, dir+"/")
	if !ok {
		return 0, invalid("The specified nextToken is invalid.")
	}
	v, err := strconv.ParseUint(strings.TrimLeft(rest, "0")+"0", 10, 64)
	if err != nil {
		return 0, invalid("The specified nextToken is invalid.")
	}
	return v / 10, nil
}
