package sfnapi

import (
	"encoding/json"
	"strconv"
	"time"
)

// Wire structs for the Step Functions JSON 1.0 protocol. Field names are
// the API's; timestamps are epoch seconds with a fraction.

// epoch is a timestamp rendered as the JSON protocol's epoch seconds.
type epoch time.Time

func (t epoch) IsZero() bool { return time.Time(t).IsZero() }

func (t epoch) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	ms := tt.UnixMilli()
	s := strconv.FormatInt(ms/1000, 10) + "." + pad3(ms%1000)
	return []byte(s), nil
}

func pad3(n int64) string {
	if n < 0 {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

type cloudWatchLogsConfig struct {
	Level                string          `json:"level,omitempty"`
	IncludeExecutionData bool            `json:"includeExecutionData"`
	Destinations         json.RawMessage `json:"destinations,omitempty"`
}

type tracingConfig struct {
	Enabled bool `json:"enabled"`
}

type createStateMachineInput struct {
	Name                 string                `json:"name"`
	Definition           string                `json:"definition"`
	RoleARN              string                `json:"roleArn"`
	Type                 string                `json:"type"`
	LoggingConfiguration *cloudWatchLogsConfig `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfig        `json:"tracingConfiguration"`
	Tags                 json.RawMessage       `json:"tags"`
	Publish              bool                  `json:"publish"`
	VersionDescription   string                `json:"versionDescription"`
}

type createStateMachineOutput struct {
	StateMachineARN string `json:"stateMachineArn"`
	CreationDate    epoch  `json:"creationDate"`
}

type updateStateMachineInput struct {
	StateMachineARN      string                `json:"stateMachineArn"`
	Definition           *string               `json:"definition"`
	RoleARN              *string               `json:"roleArn"`
	LoggingConfiguration *cloudWatchLogsConfig `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfig        `json:"tracingConfiguration"`
	Publish              bool                  `json:"publish"`
	VersionDescription   string                `json:"versionDescription"`
}

type updateStateMachineOutput struct {
	UpdateDate epoch  `json:"updateDate"`
	RevisionID string `json:"revisionId,omitempty"`
}

type stateMachineARNInput struct {
	StateMachineARN string `json:"stateMachineArn"`
}

type describeStateMachineOutput struct {
	StateMachineARN      string               `json:"stateMachineArn"`
	Name                 string               `json:"name"`
	Status               string               `json:"status"`
	Definition           string               `json:"definition"`
	RoleARN              string               `json:"roleArn"`
	Type                 string               `json:"type"`
	CreationDate         epoch                `json:"creationDate"`
	LoggingConfiguration cloudWatchLogsConfig `json:"loggingConfiguration"`
	TracingConfiguration tracingConfig        `json:"tracingConfiguration"`
	RevisionID           string               `json:"revisionId,omitempty"`
	Description          string               `json:"description,omitempty"`
}

type describeStateMachineForExecutionOutput struct {
	StateMachineARN      string               `json:"stateMachineArn"`
	Name                 string               `json:"name"`
	Definition           string               `json:"definition"`
	RoleARN              string               `json:"roleArn"`
	UpdateDate           epoch                `json:"updateDate"`
	LoggingConfiguration cloudWatchLogsConfig `json:"loggingConfiguration"`
	TracingConfiguration tracingConfig        `json:"tracingConfiguration"`
	RevisionID           string               `json:"revisionId,omitempty"`
}

type listInput struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

type stateMachineListItem struct {
	StateMachineARN string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    epoch  `json:"creationDate"`
}

type listStateMachinesOutput struct {
	StateMachines []stateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

type validateInput struct {
	Definition string `json:"definition"`
	Type       string `json:"type"`
	Severity   string `json:"severity"`
	MaxResults int    `json:"maxResults"`
}

type validateOutput struct {
	Result      string       `json:"result"`
	Diagnostics []diagnostic `json:"diagnostics"`
	Truncated   bool         `json:"truncated"`
}

type startExecutionInput struct {
	StateMachineARN string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
}

type startExecutionOutput struct {
	ExecutionARN string `json:"executionArn"`
	StartDate    epoch  `json:"startDate"`
}

type billingDetails struct {
	BilledMemoryUsedInMB  int64 `json:"billedMemoryUsedInMB"`
	BilledDurationInMilli int64 `json:"billedDurationInMilliseconds"`
}

type startSyncExecutionOutput struct {
	ExecutionARN    string          `json:"executionArn"`
	StateMachineARN string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	StartDate       epoch           `json:"startDate"`
	StopDate        epoch           `json:"stopDate"`
	Status          string          `json:"status"`
	Input           string          `json:"input"`
	InputDetails    payloadDetails  `json:"inputDetails"`
	Output          *string         `json:"output,omitempty"`
	OutputDetails   *payloadDetails `json:"outputDetails,omitempty"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	BillingDetails  billingDetails  `json:"billingDetails"`
}

type payloadDetails struct {
	Included bool `json:"included"`
}

type executionARNInput struct {
	ExecutionARN string `json:"executionArn"`
}

type describeExecutionOutput struct {
	ExecutionARN    string          `json:"executionArn"`
	StateMachineARN string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	Status          string          `json:"status"`
	StartDate       epoch           `json:"startDate"`
	StopDate        epoch           `json:"stopDate,omitzero"`
	Input           string          `json:"input"`
	InputDetails    payloadDetails  `json:"inputDetails"`
	Output          *string         `json:"output,omitempty"`
	OutputDetails   *payloadDetails `json:"outputDetails,omitempty"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	RedriveCount    int             `json:"redriveCount"`
	RedriveDate     epoch           `json:"redriveDate,omitzero"`
	RedriveStatus   string          `json:"redriveStatus,omitempty"`
	RedriveReason   string          `json:"redriveStatusReason,omitempty"`
	MapRunARN       string          `json:"mapRunArn,omitempty"`
}

type listExecutionsInput struct {
	StateMachineARN string `json:"stateMachineArn"`
	StatusFilter    string `json:"statusFilter"`
	MaxResults      int    `json:"maxResults"`
	NextToken       string `json:"nextToken"`
	RedriveFilter   string `json:"redriveFilter"`
	MapRunARN       string `json:"mapRunArn"`
}

type executionListItem struct {
	ExecutionARN    string `json:"executionArn"`
	StateMachineARN string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       epoch  `json:"startDate"`
	StopDate        epoch  `json:"stopDate,omitzero"`
	RedriveCount    int    `json:"redriveCount,omitempty"`
	RedriveDate     epoch  `json:"redriveDate,omitzero"`
}

type listExecutionsOutput struct {
	Executions []executionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

type getExecutionHistoryInput struct {
	ExecutionARN         string `json:"executionArn"`
	MaxResults           int    `json:"maxResults"`
	NextToken            string `json:"nextToken"`
	ReverseOrder         bool   `json:"reverseOrder"`
	IncludeExecutionData *bool  `json:"includeExecutionData"`
}

// historyEvent is rendered by hand: its details sit under a key named
// after the event type.
type historyEvent struct {
	ID         int64
	PreviousID int64
	Timestamp  time.Time
	Type       string
	DetailsKey string
	Details    json.RawMessage
}

func (e historyEvent) MarshalJSON() ([]byte, error) {
	b := []byte(`{"timestamp":`)
	ts, _ := epoch(e.Timestamp).MarshalJSON()
	b = append(b, ts...)
	b = append(b, `,"type":`...)
	t, _ := json.Marshal(e.Type)
	b = append(b, t...)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, e.ID, 10)
	b = append(b, `,"previousEventId":`...)
	b = strconv.AppendInt(b, e.PreviousID, 10)
	if len(e.Details) > 0 && e.DetailsKey != "" {
		b = append(b, ',')
		k, _ := json.Marshal(e.DetailsKey)
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, e.Details...)
	}
	return append(b, '}'), nil
}

type getExecutionHistoryOutput struct {
	Events    []historyEvent `json:"events"`
	NextToken string         `json:"nextToken,omitempty"`
}

type stopExecutionInput struct {
	ExecutionARN string `json:"executionArn"`
	Error        string `json:"error"`
	Cause        string `json:"cause"`
}

type stopExecutionOutput struct {
	StopDate epoch `json:"stopDate"`
}

type redriveExecutionInput struct {
	ExecutionARN string `json:"executionArn"`
	ClientToken  string `json:"clientToken"`
}

type redriveExecutionOutput struct {
	RedriveDate epoch `json:"redriveDate"`
}

type sendTaskSuccessInput struct {
	TaskToken string `json:"taskToken"`
	Output    string `json:"output"`
}

type sendTaskFailureInput struct {
	TaskToken string `json:"taskToken"`
	Error     string `json:"error"`
	Cause     string `json:"cause"`
}

type sendTaskHeartbeatInput struct {
	TaskToken string `json:"taskToken"`
}

type emptyOutput struct{}
