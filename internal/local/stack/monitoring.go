package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/lambda"
	"github.com/imgflow/imgflow/internal/local/metrics"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/local/sns"
)

// The stack reports what the services do as CloudWatch's metrics: Lambda
// through its Observer, Step Functions through its execution events, and
// the SQS dead-letter files by counting their lines. The engine and the
// services know nothing of CloudWatch.

// lambdaMetrics reports every invocation as AWS/Lambda reports it, by
// FunctionName.
type lambdaMetrics struct{ store *metrics.Store }

func (m lambdaMetrics) Invoked(inv lambda.Invocation) {
	dims := []metrics.Dimension{{Name: "FunctionName", Value: inv.Function}}
	put := func(name, unit string, v float64) {
		m.store.Put(metrics.Metric{Namespace: "AWS/Lambda", MetricName: name, Dimensions: dims}, unit, inv.Start, v)
	}
	put("Invocations", metrics.UnitCount, 1)
	put("Errors", metrics.UnitCount, b2f(inv.Failed))
	put("Throttles", metrics.UnitCount, b2f(inv.Throttled))
	put("Duration", metrics.UnitMilliseconds, float64(inv.Duration)/float64(time.Millisecond))
	put("ConcurrentExecutions", metrics.UnitCount, float64(inv.Concurrent))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// executionMetrics reports executions as AWS/States does, by
// StateMachineArn: ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed,
// ExecutionsAborted, ExecutionsTimedOut, ExecutionsRedriven and
// ExecutionTime (start to stop, in milliseconds).
func (st *Stack) executionMetrics(ev sfnapi.ExecutionEvent) {
	put := func(name, unit string, v float64) {
		st.Metrics.Put(metrics.Metric{Namespace: "AWS/States", MetricName: name,
			Dimensions: []metrics.Dimension{{Name: "StateMachineArn", Value: ev.StateMachineARN}}}, unit, ev.Time, v)
	}
	switch ev.EventType {
	case "ExecutionStarted":
		put("ExecutionsStarted", metrics.UnitCount, 1)
		return
	case "ExecutionRedriven":
		put("ExecutionsRedriven", metrics.UnitCount, 1)
		return
	case "":
	default:
		return
	}
	// The event with no type is the execution's close, published once its
	// record (with the start) is committed.
	name := map[string]string{sfnapi.StatusSucceeded: "ExecutionsSucceeded", sfnapi.StatusFailed: "ExecutionsFailed",
		sfnapi.StatusAborted: "ExecutionsAborted", sfnapi.StatusTimedOut: "ExecutionsTimedOut"}[ev.Status]
	if name == "" {
		return
	}
	put(name, metrics.UnitCount, 1)
	x, err := st.SFN.DescribeExecution(context.Background(), ev.ExecutionARN)
	if err != nil {
		st.log.Warn("execution metrics", zap.String("execution_arn", ev.ExecutionARN), zap.Error(err))
		return
	}
	put("ExecutionTime", metrics.UnitMilliseconds, float64(x.StopDate.Sub(x.StartDate))/float64(time.Millisecond))
}

// alarmSNS publishes alarm notifications to SNS topics.
type alarmSNS struct{ sns *sns.Service }

func (a alarmSNS) Publish(ctx context.Context, topic, subject, message string) error {
	if !strings.HasPrefix(topic, "arn:aws:sns:") {
		return fmt.Errorf("alarm action %s: only SNS topics are supported locally", topic)
	}
	_, err := a.sns.Publish(ctx, sns.PublishInput{TopicARN: topic, Subject: subject, Message: message})
	return err
}

// queueFile is an SQS queue of the template and the file that holds it.
type queueFile struct {
	name string
	path string
}

// createAlarms reads the template's AWS::CloudWatch::Alarm resources and
// notes its queues, whose depth the monitor reports.
func (st *Stack) createAlarms() error {
	for _, id := range st.Template.ResourceIDs("AWS::SQS::Queue") {
		name := st.cfg.StackName + "-" + id
		if n, _ := st.props(id)["QueueName"].(string); n != "" {
			name = n
		}
		st.queues = append(st.queues, queueFile{name: name, path: filepath.Join(st.cfg.DataDir, "sqs", name+".jsonl")})
	}
	for _, id := range st.Template.ResourceIDs("AWS::CloudWatch::Alarm") {
		cfg, err := alarmConfig(st.cfg.StackName, id, st.props(id))
		if err != nil {
			return fmt.Errorf("stack: alarm %s: %w", id, err)
		}
		if err := st.Alarms.Put(cfg); err != nil {
			return fmt.Errorf("stack: alarm %s: %w", id, err)
		}
		st.Resources.Alarms = append(st.Resources.Alarms, cfg.AlarmName)
	}
	return nil
}

// alarmConfig reads an AWS::CloudWatch::Alarm's resolved properties.
// Without AlarmName, CloudFormation names it <stack>-<logical id>-<random>;
// locally the name is <stack>-<logical id>, the same on every start.
func alarmConfig(stackName, id string, p map[string]any) (metrics.AlarmConfig, error) {
	str := func(k string) string { s, _ := p[k].(string); return s }
	list := func(k string) []string {
		var out []string
		items, _ := p[k].([]any)
		for _, it := range items {
			if s, ok := it.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	c := metrics.AlarmConfig{AlarmName: str("AlarmName"), AlarmDescription: str("AlarmDescription"),
		Metric:    metrics.Metric{Namespace: str("Namespace"), MetricName: str("MetricName")},
		Statistic: str("Statistic"), ExtendedStatistic: str("ExtendedStatistic"), Unit: str("Unit"),
		ComparisonOperator: str("ComparisonOperator"), TreatMissingData: str("TreatMissingData"), ActionsEnabled: true,
		AlarmActions: list("AlarmActions"), OKActions: list("OKActions"), InsufficientDataActions: list("InsufficientDataActions")}
	if c.AlarmName == "" {
		c.AlarmName = stackName + "-" + id
	}
	if _, ok := p["Metrics"]; ok {
		return c, errors.New("metric math alarms (Metrics) are not evaluated locally")
	}
	if v, ok := p["ActionsEnabled"].(bool); ok {
		c.ActionsEnabled = v
	}
	dims, _ := p["Dimensions"].([]any)
	for _, d := range dims {
		m, _ := d.(map[string]any)
		name, _ := m["Name"].(string)
		value, _ := m["Value"].(string)
		c.Metric.Dimensions = append(c.Metric.Dimensions, metrics.Dimension{Name: name, Value: value})
	}
	period, _ := number(p["Period"])
	c.Period = time.Duration(period) * time.Second
	c.EvaluationPeriods, _ = number(p["EvaluationPeriods"])
	c.DatapointsToAlarm, _ = number(p["DatapointsToAlarm"])
	switch v := p["Threshold"].(type) {
	case float64:
		c.Threshold = v
	default:
		n, ok := number(v)
		if !ok {
			return c, fmt.Errorf("threshold %v", v)
		}
		c.Threshold = float64(n)
	}
	return c, c.Validate()
}

// monitor reports the queues' depths and evaluates the alarms every
// AlarmInterval, until ctx ends.
func (st *Stack) monitor(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		if err := st.cfg.Clock.Sleep(ctx, st.cfg.AlarmInterval); err != nil {
			return
		}
		if err := st.MonitorOnce(ctx); err != nil && ctx.Err() == nil {
			st.log.Error("alarms", zap.Error(err))
		}
	}
}

// MonitorOnce reports each queue's ApproximateNumberOfMessagesVisible (the
// lines of its file) and evaluates every alarm, now.
func (st *Stack) MonitorOnce(ctx context.Context) error {
	now := st.cfg.Clock.Now()
	for _, q := range st.queues {
		n, err := countLines(q.path)
		if err != nil {
			st.log.Warn("queue depth", zap.String("queue", q.name), zap.Error(err))
			continue
		}
		st.Metrics.Put(metrics.Metric{Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible",
			Dimensions: []metrics.Dimension{{Name: "QueueName", Value: q.name}}}, metrics.UnitCount, now, float64(n))
	}
	return st.Alarms.EvaluateAll(ctx, now)
}

// countLines counts the messages of a queue file (a missing file is an
// empty queue).
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
