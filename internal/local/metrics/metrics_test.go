package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// t0 is a minute boundary.
var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func newStore(t testing.TB, dir string) (*Store, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	cfg := NewDefaultConfig()
	cfg.DataDir = dir
	cfg.Now = clk.Now
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk
}

var validate = Metric{Namespace: "AWS/Lambda", MetricName: "Duration", Dimensions: []Dimension{{Name: "FunctionName", Value: "validate"}}}

// fillDurations puts 1..100 ms in the first minute and 1000 ms in the
// third.
func fillDurations(s *Store) {
	for i := 1; i <= 100; i++ {
		s.Put(validate, UnitMilliseconds, t0.Add(time.Duration(i)*100*time.Millisecond), float64(i))
	}
	s.Put(validate, UnitMilliseconds, t0.Add(2*time.Minute+time.Second), 1000)
}

func TestStatisticsAndPercentiles(t *testing.T) {
	s, _ := newStore(t, t.TempDir())
	fillDurations(s)
	tests := []struct {
		name   string
		period time.Duration
		stat   string
		want   []float64
	}{
		{"sum per minute", time.Minute, "Sum", []float64{5050, 1000}},
		{"count per 5 minutes", 5 * time.Minute, "SampleCount", []float64{101}},
		{"average", time.Minute, "Average", []float64{50.5, 1000}},
		{"min and max", 5 * time.Minute, "Maximum", []float64{1000}},
		{"minimum", 5 * time.Minute, "Minimum", []float64{1}},
		{"p50 within 2.5%", time.Minute, "p50", []float64{50, 1000}},
		{"p99 within 2.5%", time.Minute, "p99", []float64{99, 1000}},
		{"p100 is the maximum", time.Minute, "p100", []float64{100, 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			points, err := s.Statistics(validate, t0, t0.Add(10*time.Minute), tt.period)
			if err != nil {
				t.Fatal(err)
			}
			if len(points) != len(tt.want) {
				t.Fatalf("%d datapoints, want %d", len(points), len(tt.want))
			}
			for i, p := range points {
				got, err := p.Agg.Statistic(tt.stat)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-tt.want[i]) > tt.want[i]*0.025 {
					t.Errorf("datapoint %d (%v): %s = %v, want %v", i, p.Time, tt.stat, got, tt.want[i])
				}
			}
		})
	}
	if _, err := s.Statistics(validate, t0, t0.Add(time.Hour), 30*time.Second); err == nil {
		t.Error("a 30 s period was accepted; only whole minutes are kept")
	}
}

func TestRestartKeepsDatapointsAndRetentionDropsThem(t *testing.T) {
	dir := t.TempDir()
	s, _ := newStore(t, dir)
	fillDurations(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, clk := newStore(t, dir)
	points, err := s2.Statistics(validate, t0, t0.Add(time.Hour), time.Hour)
	if err != nil || len(points) != 1 || points[0].Agg.Count != 101 {
		t.Fatalf("after a restart: %+v %v", points, err)
	}
	clk.Set(t0.Add(15*24*time.Hour + time.Minute + 1)) // the first minute is past 15 days; the third is not
	if err := s2.flush(); err != nil {
		t.Fatal(err)
	}
	points, _ = s2.Statistics(validate, t0, t0.Add(time.Hour), time.Hour)
	if len(points) != 1 || points[0].Agg.Count != 1 {
		t.Fatalf("after retention: %+v", points)
	}
}

func TestEvaluate(t *testing.T) {
	dlq := AlarmConfig{AlarmName: "dlq", Metric: Metric{Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible"},
		Statistic: "Maximum", Period: 5 * time.Minute, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: "GreaterThanThreshold",
		TreatMissingData: "notBreaching"}
	twoOfThree := dlq
	twoOfThree.EvaluationPeriods, twoOfThree.DatapointsToAlarm, twoOfThree.TreatMissingData = 3, 2, "missing"
	v := func(x float64) PeriodValue { return PeriodValue{Start: t0, Value: x, Present: true} }
	none := PeriodValue{Start: t0}
	tests := []struct {
		name    string
		cfg     AlarmConfig
		current string
		periods []PeriodValue
		want    string
		reason  string
	}{
		{"a message in the queue", dlq, StateOK, []PeriodValue{v(1)}, StateAlarm,
			"Threshold Crossed: 1 datapoint [1.0 (04/03/26 10:00:00)] was greater than the threshold (0.0)."},
		{"an empty queue", dlq, StateAlarm, []PeriodValue{v(0)}, StateOK,
			"Threshold Crossed: 1 datapoint [0.0 (04/03/26 10:00:00)] was not greater than the threshold (0.0)."},
		{"no data, not breaching", dlq, StateInsufficientData, []PeriodValue{none}, StateOK,
			"Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."},
		{"no data, missing", twoOfThree, StateOK, []PeriodValue{none, none, none}, StateInsufficientData, ""},
		{"2 of 3 breach", twoOfThree, StateOK, []PeriodValue{v(1), none, v(2)}, StateAlarm, ""},
		{"1 of 3 breach", twoOfThree, StateAlarm, []PeriodValue{v(1), v(0), v(0)}, StateOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := Evaluate(tt.cfg, tt.current, tt.periods)
			if got != tt.want || tt.reason != "" && reason != tt.reason {
				t.Fatalf("Evaluate = %s %q, want %s %q", got, reason, tt.want, tt.reason)
			}
		})
	}
}

type fakePublisher struct {
	mu   sync.Mutex
	msgs []string
	subj []string
}

func (f *fakePublisher) Publish(_ context.Context, topic, subject, message string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subj = append(f.subj, topic+" "+subject)
	f.msgs = append(f.msgs, message)
	return nil
}

var _ Publisher = (*fakePublisher)(nil)

func TestAlarmPublishesOnceAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s, clk := newStore(t, dir)
	pub := &fakePublisher{}
	queue := Metric{Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible", Dimensions: []Dimension{{Name: "QueueName", Value: "dlq"}}}
	cfg := AlarmConfig{AlarmName: "imgflow-TriggerDeadLetterAlarm", AlarmDescription: "see the DLQ", Metric: queue, Statistic: "Maximum",
		Period: 5 * time.Minute, EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
		ActionsEnabled: true, AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:topic"}}
	alarms := NewAlarms(s, pub)
	if err := alarms.Put(cfg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	step := func(visible float64) {
		t.Helper()
		clk.Set(clk.Now().Add(10 * time.Second))
		s.Put(queue, UnitCount, clk.Now(), visible)
		if err := alarms.EvaluateAll(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	step(0)
	step(1)
	step(1)
	if len(pub.msgs) != 1 || pub.subj[0] != `arn:aws:sns:us-east-1:000000000000:topic ALARM: "imgflow-TriggerDeadLetterAlarm" in US East (N. Virginia)` {
		t.Fatalf("published %v, want one ALARM notification", pub.subj)
	}
	var doc struct {
		AlarmName, NewStateValue, OldStateValue, NewStateReason string
		Trigger                                                 struct{ MetricName, Statistic string }
	}
	if err := json.Unmarshal([]byte(pub.msgs[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AlarmName != cfg.AlarmName || doc.NewStateValue != StateAlarm || doc.OldStateValue != StateOK ||
		!strings.HasPrefix(doc.NewStateReason, "Threshold Crossed: 1 datapoint [1.0") || doc.Trigger.Statistic != "MAXIMUM" {
		t.Fatalf("notification %s", pub.msgs[0])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The next run remembers ALARM: the same queue does not notify again.
	s2, clk2 := newStore(t, dir)
	clk2.Set(clk.Now())
	alarms2 := NewAlarms(s2, pub)
	if err := alarms2.Put(cfg); err != nil {
		t.Fatal(err)
	}
	s2.Put(queue, UnitCount, clk2.Now(), 1)
	if err := alarms2.EvaluateAll(ctx, clk2.Now()); err != nil {
		t.Fatal(err)
	}
	if len(pub.msgs) != 1 || alarms2.Describe()[0].State != StateAlarm {
		t.Fatalf("after a restart: %d notifications, state %s", len(pub.msgs), alarms2.Describe()[0].State)
	}
}

// newServer serves the API with the DLQ alarm and the durations.
func newServer(t testing.TB) (*httptest.Server, *Store) {
	t.Helper()
	s, _ := newStore(t, t.TempDir())
	fillDurations(s)
	alarms := NewAlarms(s, nil)
	if err := alarms.Put(AlarmConfig{AlarmName: "dlq-alarm", Metric: Metric{Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible"},
		Statistic: "Maximum", Period: 5 * time.Minute, EvaluationPeriods: 1, ComparisonOperator: "GreaterThanThreshold",
		AlarmActions: []string{"arn:aws:sns:us-east-1:000000000000:t"}, ActionsEnabled: true}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewAPI(s, alarms))
	t.Cleanup(srv.Close)
	return srv, s
}

// TestGoSDK: aws-sdk-go-v2's cloudwatch speaks RPC v2 CBOR.
func TestGoSDK(t *testing.T) {
	srv, _ := newServer(t)
	c := cw.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "k", ""), BaseEndpoint: aws.String(srv.URL)})
	ctx := context.Background()
	stats, err := c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Duration"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("validate")}},
		StartTime:  aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount}, ExtendedStatistics: []string{"p99"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Datapoints) != 2 || aws.ToFloat64(stats.Datapoints[0].Sum)+aws.ToFloat64(stats.Datapoints[1].Sum) != 6050 ||
		stats.Datapoints[0].Unit != cwtypes.StandardUnitMilliseconds || stats.Datapoints[0].ExtendedStatistics["p99"] == 0 {
		t.Fatalf("GetMetricStatistics: %+v", stats.Datapoints)
	}
	data, err := c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("d"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Duration"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("validate")}}},
			Period: aws.Int32(60), Stat: aws.String("SampleCount")}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := data.MetricDataResults[0]
	if len(r.Values) != 2 || r.Values[0] != 1 || r.Values[1] != 100 || !r.Timestamps[0].Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("GetMetricData (newest first): %v at %v", r.Values, r.Timestamps)
	}
	list, err := c.ListMetrics(ctx, &cw.ListMetricsInput{Namespace: aws.String("AWS/Lambda")})
	if err != nil || len(list.Metrics) != 1 || aws.ToString(list.Metrics[0].Dimensions[0].Value) != "validate" {
		t.Fatalf("ListMetrics: %+v %v", list, err)
	}
	alarms, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{})
	if err != nil || len(alarms.MetricAlarms) != 1 || alarms.MetricAlarms[0].StateValue != cwtypes.StateValueInsufficientData {
		t.Fatalf("DescribeAlarms: %+v %v", alarms, err)
	}
	if _, err := c.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{AlarmName: aws.String("slow-validate"), Namespace: aws.String("AWS/Lambda"),
		MetricName: aws.String("Duration"), Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("validate")}},
		ExtendedStatistic: aws.String("p99"), Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(500),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}); err != nil {
		t.Fatal(err)
	}
	alarms, err = c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"slow-validate"}})
	if err != nil || len(alarms.MetricAlarms) != 1 || aws.ToString(alarms.MetricAlarms[0].ExtendedStatistic) != "p99" {
		t.Fatalf("the put alarm: %+v %v", alarms, err)
	}
	_, err = c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Duration"),
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour)), Period: aws.Int32(30), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("a 30 s period: %v, want InvalidParameterValue", err)
	}
}

// TestCLIs runs the two aws CLIs on this machine: Debian's v2 (Query) and
// the pyenv v1 (botocore 1.43, JSON 1.0); TestGoSDK covers RPC v2 CBOR.
func TestCLIs(t *testing.T) {
	srv, _ := newServer(t)
	clis := map[string]string{"aws CLI v2 (query)": "/usr/bin/aws"}
	if p, err := exec.LookPath("aws"); err == nil && p != "/usr/bin/aws" {
		clis["aws CLI v1 (botocore 1.43: JSON 1.0)"] = p
	}
	for name, bin := range clis {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(bin); err != nil {
				t.Skip("no " + bin)
			}
			run := func(args ...string) map[string]any {
				t.Helper()
				cmd := exec.Command(bin, append([]string{"--endpoint-url", srv.URL, "--output", "json", "--region", "us-east-1"}, args...)...)
				cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=k", "AWS_CONFIG_FILE=/dev/null",
					"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
				out, err := cmd.Output()
				if err != nil {
					var ee *exec.ExitError
					errors.As(err, &ee)
					t.Fatalf("%s %v: %v\n%s", bin, args, err, ee.Stderr)
				}
				var doc map[string]any
				if err := json.Unmarshal(out, &doc); err != nil {
					t.Fatalf("%s: %v\n%s", bin, err, out)
				}
				return doc
			}
			stats := run("cloudwatch", "get-metric-statistics", "--namespace", "AWS/Lambda", "--metric-name", "Duration",
				"--dimensions", "Name=FunctionName,Value=validate", "--start-time", t0.Format(time.RFC3339),
				"--end-time", t0.Add(time.Hour).Format(time.RFC3339), "--period", "300", "--statistics", "Sum", "Maximum",
				"--extended-statistics", "p50")
			dps, _ := stats["Datapoints"].([]any)
			if len(dps) != 1 {
				t.Fatalf("datapoints %v", stats)
			}
			dp := dps[0].(map[string]any)
			ext, _ := dp["ExtendedStatistics"].(map[string]any)
			if dp["Sum"] != 6050.0 || dp["Maximum"] != 1000.0 || dp["Unit"] != "Milliseconds" || ext["p50"] == nil {
				t.Fatalf("datapoint %v", dp)
			}
			data := run("cloudwatch", "get-metric-data", "--start-time", t0.Format(time.RFC3339), "--end-time", t0.Add(time.Hour).Format(time.RFC3339),
				"--metric-data-queries", `[{"Id":"d","MetricStat":{"Metric":{"Namespace":"AWS/Lambda","MetricName":"Duration","Dimensions":[{"Name":"FunctionName","Value":"validate"}]},"Period":60,"Stat":"Maximum"}}]`)
			res := data["MetricDataResults"].([]any)[0].(map[string]any)
			if vals := res["Values"].([]any); len(vals) != 2 || vals[0] != 1000.0 {
				t.Fatalf("get-metric-data %v", res)
			}
			list := run("cloudwatch", "list-metrics", "--namespace", "AWS/Lambda", "--dimensions", "Name=FunctionName")
			if ms := list["Metrics"].([]any); len(ms) != 1 {
				t.Fatalf("list-metrics %v", list)
			}
			alarms := run("cloudwatch", "describe-alarms", "--alarm-name-prefix", "dlq")
			if as := alarms["MetricAlarms"].([]any); len(as) != 1 || as[0].(map[string]any)["StateValue"] != "INSUFFICIENT_DATA" {
				t.Fatalf("describe-alarms %v", alarms)
			}
		})
	}
}
