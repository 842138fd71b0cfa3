package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The operations, on typed structs; protocol.go carries them over Query
// and RPC v2 CBOR. Field names are CloudWatch's member names (the json tag,
// which the CBOR codec reads too); xml tags give Query's list wrapping.

// APIError is an error in CloudWatch's terms: Code is the Query code
// (InvalidParameterValue), Type the Smithy shape's name.
type APIError struct {
	Status  int
	Code    string
	Type    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func invalidValue(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Type: "InvalidParameterValueException", Message: fmt.Sprintf(format, args...)}
}

func missing(name string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "MissingParameter", Type: "MissingRequiredParameterException",
		Message: "The parameter " + name + " is required."}
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	var ie *InvalidError
	if errors.As(err, &ie) {
		return invalidValue("%s", ie.Message)
	}
	return &APIError{Status: http.StatusInternalServerError, Code: "InternalServiceError", Type: "InternalServiceFault", Message: err.Error()}
}

// API serves CloudWatch over a Store and its Alarms.
type API struct {
	store  *Store
	alarms *Alarms
}

// NewAPI returns the CloudWatch handler; alarms may be nil (no alarms).
func NewAPI(store *Store, alarms *Alarms) *API { return &API{store: store, alarms: alarms} }

type getMetricStatisticsInput struct {
	Namespace          string      `json:"Namespace"`
	MetricName         string      `json:"MetricName"`
	Dimensions         []Dimension `json:"Dimensions"`
	StartTime          timestamp   `json:"StartTime"`
	EndTime            timestamp   `json:"EndTime"`
	Period             int         `json:"Period"`
	Statistics         []string    `json:"Statistics"`
	ExtendedStatistics []string    `json:"ExtendedStatistics"`
	Unit               string      `json:"Unit"`
}

// statMap is a map member: a CBOR map, and Query's entry/key/value list.
type statMap map[string]float64

type datapoint struct {
	Timestamp          timestamp `json:"Timestamp" xml:"Timestamp"`
	SampleCount        *float64  `json:"SampleCount,omitempty" xml:"SampleCount,omitempty"`
	Average            *float64  `json:"Average,omitempty" xml:"Average,omitempty"`
	Sum                *float64  `json:"Sum,omitempty" xml:"Sum,omitempty"`
	Minimum            *float64  `json:"Minimum,omitempty" xml:"Minimum,omitempty"`
	Maximum            *float64  `json:"Maximum,omitempty" xml:"Maximum,omitempty"`
	Unit               string    `json:"Unit,omitempty" xml:"Unit,omitempty"`
	ExtendedStatistics statMap   `json:"ExtendedStatistics,omitempty" xml:"ExtendedStatistics,omitempty"`
}

type getMetricStatisticsOutput struct {
	Label      string      `json:"Label" xml:"Label"`
	Datapoints []datapoint `json:"Datapoints" xml:"Datapoints>member"`
}

// maxDatapoints is how many datapoints one GetMetricStatistics may return.
const maxDatapoints = 1440

func (a *API) getMetricStatistics(_ context.Context, in *getMetricStatisticsInput) (any, error) {
	switch {
	case in.Namespace == "":
		return nil, missing("Namespace")
	case in.MetricName == "":
		return nil, missing("MetricName")
	case in.StartTime.IsZero():
		return nil, missing("StartTime")
	case in.EndTime.IsZero():
		return nil, missing("EndTime")
	case in.Period == 0:
		return nil, missing("Period")
	case len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0:
		return nil, &APIError{Status: http.StatusBadRequest, Code: "MissingParameter", Type: "MissingRequiredParameterException",
			Message: "Must specify either Statistics or ExtendedStatistics"}
	}
	for _, s := range in.Statistics {
		if !slices.Contains([]string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}, s) {
			return nil, invalidValue("The parameter Statistics.member.1 must be one of SampleCount, Average, Sum, Minimum, Maximum, not %q.", s)
		}
	}
	for _, s := range in.ExtendedStatistics {
		if _, ok := percentileName(s); !ok {
			return nil, invalidValue("The parameter ExtendedStatistics %q is not a percentile pNN.NN.", s)
		}
	}
	period := time.Duration(in.Period) * time.Second
	if period > 0 && in.EndTime.Sub(in.StartTime.Time)/period > maxDatapoints {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "InvalidParameterCombination", Type: "InvalidParameterCombinationException",
			Message: fmt.Sprintf("You have requested up to %d datapoints, which exceeds the limit of %d.", in.EndTime.Sub(in.StartTime.Time)/period, maxDatapoints)}
	}
	points, err := a.store.Statistics(Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: in.Dimensions}, in.StartTime.Time, in.EndTime.Time, period)
	if err != nil {
		return nil, err
	}
	out := &getMetricStatisticsOutput{Label: in.MetricName, Datapoints: []datapoint{}}
	for _, p := range points {
		if in.Unit != "" && p.Unit != in.Unit {
			continue
		}
		d := datapoint{Timestamp: timestamp{p.Time}, Unit: p.Unit}
		if d.Unit == "" {
			d.Unit = "None"
		}
		for _, s := range in.Statistics {
			v, _ := p.Agg.Statistic(s)
			switch s {
			case "SampleCount":
				d.SampleCount = &v
			case "Average":
				d.Average = &v
			case "Sum":
				d.Sum = &v
			case "Minimum":
				d.Minimum = &v
			case "Maximum":
				d.Maximum = &v
			}
		}
		for _, s := range in.ExtendedStatistics {
			if d.ExtendedStatistics == nil {
				d.ExtendedStatistics = statMap{}
			}
			d.ExtendedStatistics[s], _ = p.Agg.Statistic(s)
		}
		out.Datapoints = append(out.Datapoints, d)
	}
	return out, nil
}

type metricStat struct {
	Metric Metric `json:"Metric"`
	Period int    `json:"Period"`
	Stat   string `json:"Stat"`
	Unit   string `json:"Unit"`
}

type metricDataQuery struct {
	ID         string      `json:"Id"`
	MetricStat *metricStat `json:"MetricStat"`
	Expression string      `json:"Expression"`
	Label      string      `json:"Label"`
	ReturnData *bool       `json:"ReturnData"`
	Period     int         `json:"Period"`
}

type getMetricDataInput struct {
	MetricDataQueries []metricDataQuery `json:"MetricDataQueries"`
	StartTime         timestamp         `json:"StartTime"`
	EndTime           timestamp         `json:"EndTime"`
	NextToken         string            `json:"NextToken"`
	ScanBy            string            `json:"ScanBy"`
	MaxDatapoints     int               `json:"MaxDatapoints"`
}

type metricDataResult struct {
	ID         string      `json:"Id" xml:"Id"`
	Label      string      `json:"Label" xml:"Label"`
	Timestamps []timestamp `json:"Timestamps" xml:"Timestamps>member"`
	Values     []float64   `json:"Values" xml:"Values>member"`
	StatusCode string      `json:"StatusCode" xml:"StatusCode"`
	Messages   []struct{}  `json:"Messages" xml:"Messages"`
}

type getMetricDataOutput struct {
	MetricDataResults []metricDataResult `json:"MetricDataResults" xml:"MetricDataResults>member"`
	Messages          []struct{}         `json:"Messages" xml:"Messages"`
}

func (a *API) getMetricData(_ context.Context, in *getMetricDataInput) (any, error) {
	switch {
	case len(in.MetricDataQueries) == 0:
		return nil, missing("MetricDataQueries")
	case len(in.MetricDataQueries) > 500:
		return nil, invalidValue("at most 500 MetricDataQueries")
	case in.StartTime.IsZero():
		return nil, missing("StartTime")
	case in.EndTime.IsZero():
		return nil, missing("EndTime")
	case in.NextToken != "":
		return nil, invalidValue("The parameter NextToken is invalid: every result is returned in one page locally.")
	}
	out := &getMetricDataOutput{MetricDataResults: []metricDataResult{}, Messages: []struct{}{}}
	for i, q := range in.MetricDataQueries {
		if q.ID == "" {
			return nil, missing(fmt.Sprintf("MetricDataQueries.member.%d.Id", i+1))
		}
		if q.MetricStat == nil {
			return nil, invalidValue("query %s: only MetricStat queries are served locally (no metric math Expression)", q.ID)
		}
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		ms := q.MetricStat
		points, err := a.store.Statistics(ms.Metric, in.StartTime.Time, in.EndTime.Time, time.Duration(ms.Period)*time.Second)
		if err != nil {
			return nil, err
		}
		r := metricDataResult{ID: q.ID, Label: q.Label, Timestamps: []timestamp{}, Values: []float64{}, StatusCode: "Complete", Messages: []struct{}{}}
		if r.Label == "" {
			r.Label = ms.Metric.MetricName
		}
		if in.ScanBy != "TimestampAscending" { // TimestampDescending is the default
			slices.Reverse(points)
		}
		for _, p := range points {
			if ms.Unit != "" && p.Unit != ms.Unit {
				continue
			}
			v, err := p.Agg.Statistic(ms.Stat)
			if err != nil {
				return nil, err
			}
			if math.IsNaN(v) {
				continue
			}
			r.Timestamps = append(r.Timestamps, timestamp{p.Time})
			r.Values = append(r.Values, v)
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

type listMetricsInput struct {
	Namespace      string      `json:"Namespace"`
	MetricName     string      `json:"MetricName"`
	Dimensions     []Dimension `json:"Dimensions"`
	NextToken      string      `json:"NextToken"`
	RecentlyActive string      `json:"RecentlyActive"`
}

type listMetricsOutput struct {
	Metrics   []Metric `json:"Metrics" xml:"Metrics>member"`
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

// listPage is how many metrics ListMetrics returns at once, as on AWS.
const listPage = 500

func (a *API) listMetrics(_ context.Context, in *listMetricsInput) (any, error) {
	all := a.store.Metrics(in.Namespace, in.MetricName, in.Dimensions)
	skip := 0
	if in.NextToken != "" {
		var err error
		if skip, err = strconv.Atoi(in.NextToken); err != nil || skip < 0 || skip > len(all) {
			return nil, invalidValue("The parameter NextToken is invalid.")
		}
	}
	out := &listMetricsOutput{Metrics: []Metric{}}
	for i := skip; i < len(all); i++ {
		if len(out.Metrics) == listPage {
			out.NextToken = strconv.Itoa(i)
			break
		}
		m := all[i]
		if m.Dimensions == nil {
			m.Dimensions = []Dimension{}
		}
		out.Metrics = append(out.Metrics, m)
	}
	return out, nil
}

type putMetricAlarmInput struct {
	AlarmName               string      `json:"AlarmName"`
	AlarmDescription        string      `json:"AlarmDescription"`
	ActionsEnabled          *bool       `json:"ActionsEnabled"`
	OKActions               []string    `json:"OKActions"`
	AlarmActions            []string    `json:"AlarmActions"`
	InsufficientDataActions []string    `json:"InsufficientDataActions"`
	MetricName              string      `json:"MetricName"`
	Namespace               string      `json:"Namespace"`
	Statistic               string      `json:"Statistic"`
	ExtendedStatistic       string      `json:"ExtendedStatistic"`
	Dimensions              []Dimension `json:"Dimensions"`
	Period                  int         `json:"Period"`
	Unit                    string      `json:"Unit"`
	EvaluationPeriods       int         `json:"EvaluationPeriods"`
	DatapointsToAlarm       int         `json:"DatapointsToAlarm"`
	Threshold               *float64    `json:"Threshold"`
	ComparisonOperator      string      `json:"ComparisonOperator"`
	TreatMissingData        string      `json:"TreatMissingData"`
	Metrics                 []struct{}  `json:"Metrics"`
}

type emptyOutput struct{}

// putMetricAlarm creates or replaces a metric alarm (not a metric math one).
func (a *API) putMetricAlarm(_ context.Context, in *putMetricAlarmInput) (any, error) {
	if a.alarms == nil {
		return nil, invalidValue("alarms are not served")
	}
	if len(in.Metrics) > 0 {
		return nil, invalidValue("metric math alarms (Metrics) are not evaluated locally")
	}
	switch {
	case in.AlarmName == "":
		return nil, missing("AlarmName")
	case in.EvaluationPeriods == 0:
		return nil, missing("EvaluationPeriods")
	case in.ComparisonOperator == "":
		return nil, missing("ComparisonOperator")
	case in.Threshold == nil:
		return nil, missing("Threshold")
	}
	cfg := AlarmConfig{AlarmName: in.AlarmName, AlarmDescription: in.AlarmDescription, ActionsEnabled: in.ActionsEnabled == nil || *in.ActionsEnabled,
		OKActions: in.OKActions, AlarmActions: in.AlarmActions, InsufficientDataActions: in.InsufficientDataActions,
		Metric:    Metric{Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: in.Dimensions},
		Statistic: in.Statistic, ExtendedStatistic: in.ExtendedStatistic, Unit: in.Unit, Period: time.Duration(in.Period) * time.Second,
		EvaluationPeriods: in.EvaluationPeriods, DatapointsToAlarm: in.DatapointsToAlarm, Threshold: *in.Threshold,
		ComparisonOperator: in.ComparisonOperator, TreatMissingData: in.TreatMissingData}
	if err := a.alarms.Put(cfg); err != nil {
		return nil, err
	}
	return emptyOutput{}, nil
}

type describeAlarmsInput struct {
	AlarmNames      []string `json:"AlarmNames"`
	AlarmNamePrefix string   `json:"AlarmNamePrefix"`
	StateValue      string   `json:"StateValue"`
	ActionPrefix    string   `json:"ActionPrefix"`
	MaxRecords      int      `json:"MaxRecords"`
	NextToken       string   `json:"NextToken"`
	AlarmTypes      []string `json:"AlarmTypes"`
}

type metricAlarm struct {
	AlarmName                          string      `json:"AlarmName" xml:"AlarmName"`
	AlarmArn                           string      `json:"AlarmArn" xml:"AlarmArn"`
	AlarmDescription                   string      `json:"AlarmDescription,omitempty" xml:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp timestamp   `json:"AlarmConfigurationUpdatedTimestamp" xml:"AlarmConfigurationUpdatedTimestamp"`
	ActionsEnabled                     bool        `json:"ActionsEnabled" xml:"ActionsEnabled"`
	OKActions                          []string    `json:"OKActions" xml:"OKActions>member"`
	AlarmActions                       []string    `json:"AlarmActions" xml:"AlarmActions>member"`
	InsufficientDataActions            []string    `json:"InsufficientDataActions" xml:"InsufficientDataActions>member"`
	StateValue                         string      `json:"StateValue" xml:"StateValue"`
	StateReason                        string      `json:"StateReason" xml:"StateReason"`
	StateUpdatedTimestamp              timestamp   `json:"StateUpdatedTimestamp" xml:"StateUpdatedTimestamp"`
	MetricName                         string      `json:"MetricName" xml:"MetricName"`
	Namespace                          string      `json:"Namespace" xml:"Namespace"`
	Statistic                          string      `json:"Statistic,omitempty" xml:"Statistic,omitempty"`
	ExtendedStatistic                  string      `json:"ExtendedStatistic,omitempty" xml:"ExtendedStatistic,omitempty"`
	Dimensions                         []Dimension `json:"Dimensions" xml:"Dimensions>member"`
	Period                             int         `json:"Period" xml:"Period"`
	Unit                               string      `json:"Unit,omitempty" xml:"Unit,omitempty"`
	EvaluationPeriods                  int         `json:"EvaluationPeriods" xml:"EvaluationPeriods"`
	DatapointsToAlarm                  int         `json:"DatapointsToAlarm,omitempty" xml:"DatapointsToAlarm,omitempty"`
	Threshold                          float64     `json:"Threshold" xml:"Threshold"`
	ComparisonOperator                 string      `json:"ComparisonOperator" xml:"ComparisonOperator"`
	TreatMissingData                   string      `json:"TreatMissingData,omitempty" xml:"TreatMissingData,omitempty"`
	StateTransitionedTimestamp         timestamp   `json:"StateTransitionedTimestamp" xml:"StateTransitionedTimestamp"`
}

type describeAlarmsOutput struct {
	MetricAlarms    []metricAlarm `json:"MetricAlarms" xml:"MetricAlarms>member"`
	CompositeAlarms []struct{}    `json:"CompositeAlarms" xml:"CompositeAlarms"`
}

func (a *API) describeAlarms(_ context.Context, in *describeAlarmsInput) (any, error) {
	out := &describeAlarmsOutput{MetricAlarms: []metricAlarm{}, CompositeAlarms: []struct{}{}}
	if a.alarms == nil {
		return out, nil
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "" {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "InvalidParameterCombination", Type: "InvalidParameterCombinationException",
			Message: "AlarmNames and AlarmNamePrefix cannot be used together."}
	}
	if len(in.AlarmTypes) > 0 && !slices.Contains(in.AlarmTypes, "MetricAlarm") {
		return out, nil
	}
	for _, v := range a.alarms.Describe() {
		c := v.Config
		if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, c.AlarmName) ||
			!strings.HasPrefix(c.AlarmName, in.AlarmNamePrefix) || in.StateValue != "" && v.State != in.StateValue ||
			in.ActionPrefix != "" && !slices.ContainsFunc(c.AlarmActions, func(s string) bool { return strings.HasPrefix(s, in.ActionPrefix) }) {
			continue
		}
		dims := c.Metric.Dimensions
		if dims == nil {
			dims = []Dimension{}
		}
		out.MetricAlarms = append(out.MetricAlarms, metricAlarm{AlarmName: c.AlarmName, AlarmArn: v.ARN, AlarmDescription: c.AlarmDescription,
			AlarmConfigurationUpdatedTimestamp: timestamp{v.ConfigUpdated}, ActionsEnabled: c.ActionsEnabled, OKActions: nonNil(c.OKActions),
			AlarmActions: nonNil(c.AlarmActions), InsufficientDataActions: nonNil(c.InsufficientDataActions), StateValue: v.State,
			StateReason: v.Reason, StateUpdatedTimestamp: timestamp{v.StateUpdated}, MetricName: c.Metric.MetricName, Namespace: c.Metric.Namespace,
			Statistic: c.Statistic, ExtendedStatistic: c.ExtendedStatistic, Dimensions: dims, Period: int(c.Period / time.Second),
			Unit: c.Unit, EvaluationPeriods: c.EvaluationPeriods, DatapointsToAlarm: c.DatapointsToAlarm, Threshold: c.Threshold,
			ComparisonOperator: c.ComparisonOperator, TreatMissingData: c.TreatMissingData, StateTransitionedTimestamp: timestamp{v.StateTransition}})
	}
	return out, nil
}

// timestamp is a timestamp member: epoch seconds in JSON 1.0, tag 1 in
// CBOR, ISO 8601 in Query (time.Time's text form).
type timestamp struct{ time.Time }

func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)), nil
}

func (t *timestamp) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		t.Time = time.UnixMilli(int64(math.Round(x * 1000))).UTC()
	case string:
		tm, err := parseTime(x)
		if err != nil {
			return err
		}
		t.Time = tm
	case nil:
	default:
		return fmt.Errorf("timestamp %s", b)
	}
	return nil
}

func (t timestamp) MarshalCBOR() ([]byte, error) { return cborEnc.Marshal(t.Time) }

func (t *timestamp) UnmarshalCBOR(b []byte) error { return cborDec.Unmarshal(b, &t.Time) }
