package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Alarm states.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// AlarmConfig is a metric alarm as AWS::CloudWatch::Alarm (or
// PutMetricAlarm) declares it.
type AlarmConfig struct {
	AlarmName         string
	AlarmDescription  string
	Metric            Metric
	Statistic         string // SampleCount, Sum, Average, Minimum, Maximum
	ExtendedStatistic string // pNN, when Statistic is empty
	Unit              string
	Period            time.Duration
	EvaluationPeriods int
	// DatapointsToAlarm is M of "M out of N"; 0 means EvaluationPeriods.
	DatapointsToAlarm  int
	Threshold          float64
	ComparisonOperator string
	// TreatMissingData: missing (the default), notBreaching, breaching or
	// ignore.
	TreatMissingData        string
	ActionsEnabled          bool
	AlarmActions            []string
	OKActions               []string
	InsufficientDataActions []string
}

// Validate reports what CloudWatch would refuse.
func (c *AlarmConfig) Validate() error {
	var errs []error
	if c.AlarmName == "" || c.Metric.Namespace == "" || c.Metric.MetricName == "" {
		errs = append(errs, errors.New("an alarm needs a name, a namespace and a metric name"))
	}
	if (c.Statistic == "") == (c.ExtendedStatistic == "") {
		errs = append(errs, errors.New("an alarm needs exactly one of Statistic and ExtendedStatistic"))
	}
	if c.Period < time.Minute || c.Period%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("period %v: locally a multiple of 60 seconds", c.Period))
	}
	if c.EvaluationPeriods < 1 || c.DatapointsToAlarm < 0 || c.DatapointsToAlarm > c.EvaluationPeriods {
		errs = append(errs, errors.New("EvaluationPeriods must be at least 1 and DatapointsToAlarm at most EvaluationPeriods"))
	}
	if _, ok := comparisons[c.ComparisonOperator]; !ok {
		errs = append(errs, fmt.Errorf("ComparisonOperator %q is not supported locally", c.ComparisonOperator))
	}
	switch c.TreatMissingData {
	case "", "missing", "notBreaching", "breaching", "ignore":
	default:
		errs = append(errs, fmt.Errorf("TreatMissingData %q", c.TreatMissingData))
	}
	if err := errors.Join(errs...); err != nil {
		return &InvalidError{Message: "alarm " + c.AlarmName + ": " + err.Error()}
	}
	return nil
}

type comparison struct {
	holds func(v, threshold float64) bool
	words string // as the state reason says it
}

var comparisons = map[string]comparison{
	"GreaterThanThreshold":          {func(v, t float64) bool { return v > t }, "greater than"},
	"GreaterThanOrEqualToThreshold": {func(v, t float64) bool { return v >= t }, "greater than or equal to"},
	"LessThanThreshold":             {func(v, t float64) bool { return v < t }, "less than"},
	"LessThanOrEqualToThreshold":    {func(v, t float64) bool { return v <= t }, "less than or equal to"},
}

// PeriodValue is one evaluation period's statistic, or its absence.
type PeriodValue struct {
	Start   time.Time
	Value   float64
	Present bool
}

// Evaluate decides an alarm's state from its last EvaluationPeriods
// periods (newest first) and its current state, as CloudWatch does:
// ALARM when at least DatapointsToAlarm periods breach, missing periods
// treated as TreatMissingData says. It is a pure function: the stack's
// ticker and the tests call it alike.
func Evaluate(c AlarmConfig, current string, periods []PeriodValue) (state, reason string) {
	cmp := comparisons[c.ComparisonOperator]
	m := c.DatapointsToAlarm
	if m == 0 {
		m = c.EvaluationPeriods
	}
	var present []PeriodValue
	breaching, missingBreach := 0, 0
	for _, p := range periods {
		if p.Present {
			present = append(present, p)
			if cmp.holds(p.Value, c.Threshold) {
				breaching++
			}
			continue
		}
		if c.TreatMissingData == "breaching" {
			missingBreach++
		}
	}
	missing := len(periods) - len(present)
	if len(present) == 0 {
		switch c.TreatMissingData {
		case "breaching":
			return StateAlarm, fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s treated as [Breaching].",
				missing, plural(missing, "period"), missing, plural(missing, "datapoint was", "datapoints were"))
		case "notBreaching":
			return StateOK, fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s treated as [NonBreaching].",
				missing, plural(missing, "period"), missing, plural(missing, "datapoint was", "datapoints were"))
		case "ignore":
			return current, "no datapoints: the state is kept (TreatMissingData ignore)"
		}
		return StateInsufficientData, fmt.Sprintf("Insufficient Data: %d %s missing.", missing, plural(missing, "datapoint was", "datapoints were"))
	}
	var vals []string
	for _, p := range present {
		vals = append(vals, fmt.Sprintf("%s (%s)", formatValue(p.Value), p.Start.UTC().Format("02/01/06 15:04:05")))
	}
	n := len(present)
	if breaching+missingBreach >= m {
		return StateAlarm, fmt.Sprintf("Threshold Crossed: %d %s [%s] %s %s the threshold (%s).", n, plural(n, "datapoint"),
			strings.Join(vals, ", "), plural(n, "was", "were"), cmp.words, formatValue(c.Threshold))
	}
	return StateOK, fmt.Sprintf("Threshold Crossed: %d %s [%s] %s not %s the threshold (%s).", n, plural(n, "datapoint"),
		strings.Join(vals, ", "), plural(n, "was", "were"), cmp.words, formatValue(c.Threshold))
}

func plural(n int, one string, many ...string) string {
	if n == 1 {
		return one
	}
	if len(many) > 0 {
		return many[0]
	}
	return one + "s"
}

// formatValue writes a number as CloudWatch's reasons do: 1.0, 0.5.
func formatValue(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Publisher sends an alarm's notification to an action (an SNS topic).
type Publisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) error
}

// AlarmView is an alarm with its state, as DescribeAlarms returns it.
type AlarmView struct {
	Config          AlarmConfig
	ARN             string
	State           string
	Reason          string
	ReasonData      string
	StateUpdated    time.Time
	ConfigUpdated   time.Time
	StateTransition time.Time
}

type alarmState struct {
	State   string    `json:"state"`
	Reason  string    `json:"reason"`
	Updated time.Time `json:"updated"`
}

// Alarms holds the metric alarms and evaluates them over a Store.
type Alarms struct {
	store *Store
	pub   Publisher
	log   *zap.Logger

	mu     sync.Mutex
	alarms map[string]*alarm
}

type alarm struct {
	cfg     AlarmConfig
	created time.Time
	state   alarmState
}

// NewAlarms returns the alarms of store; pub receives their actions.
func NewAlarms(store *Store, pub Publisher) *Alarms {
	return &Alarms{store: store, pub: pub, log: store.log, alarms: map[string]*alarm{}}
}

// Put creates or replaces an alarm. A new one starts in
// INSUFFICIENT_DATA, unless the data dir remembers its state from an
// earlier run: a restart does not notify again of an alarm already on.
func (a *Alarms) Put(cfg AlarmConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	now := a.store.cfg.Now()
	st := alarmState{State: StateInsufficientData, Reason: "Unchecked: Initial alarm creation", Updated: now}
	_ = a.store.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketAlarms).Get([]byte(cfg.AlarmName)); v != nil {
			_ = json.Unmarshal(v, &st)
		}
		return nil
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	a.alarms[cfg.AlarmName] = &alarm{cfg: cfg, created: now, state: st}
	return nil
}

// ARN is an alarm's ARN.
func (a *Alarms) ARN(name string) string {
	return "arn:aws:cloudwatch:" + a.store.cfg.Region + ":" + a.store.cfg.AccountID + ":alarm:" + name
}

// Describe returns the alarms, by name.
func (a *Alarms) Describe() []AlarmView {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AlarmView, 0, len(a.alarms))
	for _, al := range a.alarms {
		out = append(out, AlarmView{Config: al.cfg, ARN: a.ARN(al.cfg.AlarmName), State: al.state.State, Reason: al.state.Reason,
			StateUpdated: al.state.Updated, ConfigUpdated: al.created, StateTransition: al.state.Updated})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Config.AlarmName < out[j].Config.AlarmName })
	return out
}

// Periods reads an alarm's last EvaluationPeriods periods ending at now
// from the store, newest first.
func (a *Alarms) Periods(c AlarmConfig, now time.Time) []PeriodValue {
	out := make([]PeriodValue, 0, c.EvaluationPeriods)
	stat := c.Statistic
	if stat == "" {
		stat = c.ExtendedStatistic
	}
	for i := range c.EvaluationPeriods {
		end := now.Add(-time.Duration(i) * c.Period)
		start := end.Add(-c.Period)
		agg, ok := a.store.Window(c.Metric, start, end)
		pv := PeriodValue{Start: start}
		if ok {
			if v, err := agg.Statistic(stat); err == nil {
				pv.Value, pv.Present = v, true
			}
		}
		out = append(out, pv)
	}
	return out
}

// EvaluateAll evaluates every alarm at now; each change of state is
// recorded and, when actions are enabled, published to that state's
// actions.
func (a *Alarms) EvaluateAll(ctx context.Context, now time.Time) error {
	a.mu.Lock()
	names := make([]string, 0, len(a.alarms))
	for n := range a.alarms {
		names = append(names, n)
	}
	a.mu.Unlock()
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		a.mu.Lock()
		al := a.alarms[name]
		cfg, old := al.cfg, al.state
		a.mu.Unlock()
		state, reason := Evaluate(cfg, old.State, a.Periods(cfg, now))
		if state == old.State {
			continue
		}
		next := alarmState{State: state, Reason: reason, Updated: now}
		a.mu.Lock()
		al.state = next
		a.mu.Unlock()
		if err := a.store.db.Update(func(tx *bolt.Tx) error {
			body, _ := json.Marshal(next)
			return tx.Bucket(bucketAlarms).Put([]byte(name), body)
		}); err != nil {
			errs = append(errs, err)
		}
		a.log.Info("alarm state changed", zap.String("alarm", name), zap.String("from", old.State), zap.String("to", state), zap.String("reason", reason))
		if !cfg.ActionsEnabled || a.pub == nil {
			continue
		}
		actions := map[string][]string{StateAlarm: cfg.AlarmActions, StateOK: cfg.OKActions, StateInsufficientData: cfg.InsufficientDataActions}[state]
		msg, subject := a.Notification(cfg, old, next)
		for _, arn := range actions {
			if err := a.pub.Publish(ctx, arn, subject, msg); err != nil {
				errs = append(errs, fmt.Errorf("alarm %s: action %s: %w", name, arn, err))
			}
		}
	}
	return errors.Join(errs...)
}

// regionNames are the names alarm notifications use for regions.
var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
	"us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)",
	"ap-northeast-1": "Asia Pacific (Tokyo)",
}

// Notification is the message and subject CloudWatch publishes to an SNS
// action: the JSON document with AlarmName, NewStateValue,
// NewStateReason, the Trigger, ...
func (a *Alarms) Notification(c AlarmConfig, old, next alarmState) (message, subject string) {
	region := regionNames[a.store.cfg.Region]
	if region == "" {
		region = a.store.cfg.Region
	}
	dims := make([]map[string]string, 0, len(c.Metric.Dimensions))
	for _, d := range c.Metric.Dimensions {
		dims = append(dims, map[string]string{"value": d.Value, "name": d.Name})
	}
	statType, stat := "Statistic", strings.ToUpper(c.Statistic)
	if c.Statistic == "" {
		statType, stat = "ExtendedStatistic", c.ExtendedStatistic
	}
	m := c.DatapointsToAlarm
	if m == 0 {
		m = c.EvaluationPeriods
	}
	var unit any
	if c.Unit != "" {
		unit = c.Unit
	}
	treat := c.TreatMissingData
	if treat == "" {
		treat = "missing"
	}
	doc := map[string]any{
		"AlarmName":                          c.AlarmName,
		"AlarmDescription":                   c.AlarmDescription,
		"AWSAccountId":                       a.store.cfg.AccountID,
		"AlarmConfigurationUpdatedTimestamp": awsTime(a.created(c.AlarmName)),
		"NewStateValue":                      next.State,
		"NewStateReason":                     next.Reason,
		"StateChangeTime":                    awsTime(next.Updated),
		"Region":                             region,
		"AlarmArn":                           a.ARN(c.AlarmName),
		"OldStateValue":                      old.State,
		"OKActions":                          nonNil(c.OKActions),
		"AlarmActions":                       nonNil(c.AlarmActions),
		"InsufficientDataActions":            nonNil(c.InsufficientDataActions),
		"Trigger": map[string]any{
			"MetricName": c.Metric.MetricName, "Namespace": c.Metric.Namespace, "StatisticType": statType, "Statistic": stat,
			"Unit": unit, "Dimensions": dims, "Period": int(c.Period / time.Second), "EvaluationPeriods": c.EvaluationPeriods,
			"DatapointsToAlarm": m, "ComparisonOperator": c.ComparisonOperator, "Threshold": c.Threshold,
			"TreatMissingData": treat, "EvaluateLowSampleCountPercentile": "",
		},
	}
	body, _ := json.Marshal(doc)
	subject = fmt.Sprintf("%s: %q in %s", next.State, c.AlarmName, region)
	if len(subject) > 100 { // SNS caps a subject at 100 characters
		subject = subject[:100]
	}
	return string(body), subject
}

func (a *Alarms) created(name string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if al := a.alarms[name]; al != nil {
		return al.created
	}
	return time.Time{}
}

func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
