package main

// The monitoring end-to-end test: after a few uploads, `aws logs tail`
// (once with --since, once with --follow), `aws logs filter-log-events` and
// `aws cloudwatch get-metric-statistics` against `imgflow local`, with the
// numbers checked against the executions that ran; then a trigger that
// keeps failing fills the dead-letter queue and the template's alarm emails.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMonitoringEndToEnd(t *testing.T) {
	e := newE2E(t, true)
	e.args = []string{"local", "--data", e.data, "--endpoint", "127.0.0.1:0", "--console", "127.0.0.1:0",
		"--smtp", e.smtp, "--notification-email", "ops@example.com", "--auto-confirm"}
	e.start()
	t.Cleanup(e.stop)
	start := time.Now()

	keys := []string{"uploads/mon/a.jpg", "uploads/mon/b.jpg", "uploads/mon/c.jpg"}
	for i, k := range keys {
		e.put(e.writeFile(fmt.Sprintf("p%d.jpg", i), noisyPhoto(400, 300, uint64(i+1))), k)
	}
	succeeded := 0
	for _, d := range e.waitFinished(time.Minute, keys...) {
		if d.Status == "SUCCEEDED" {
			succeeded++
		}
	}
	if succeeded != len(keys) {
		t.Fatalf("%d of %d executions succeeded", succeeded, len(keys))
	}
	t.Logf("3 uploads to SUCCEEDED: %d ms", time.Since(start).Milliseconds())

	const group = "/aws/lambda/imgflow/validate"
	t.Run("logs tail", func(t *testing.T) {
		e.t = t
		out := e.mustAWS("logs", "tail", group, "--since", "10m", "--format", "detailed")
		checkPlatformLines(t, out, len(keys), "256 MB")
	})
	t.Run("logs filter-log-events", func(t *testing.T) {
		e.t = t
		var res struct {
			Events []struct{ LogStreamName, Message string }
		}
		e.awsJSON(&res, "logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", `{ $.message = "upload validated" }`)
		if len(res.Events) != len(keys) {
			t.Fatalf("%d JSON lines matched, want one per upload (%d): %+v", len(res.Events), len(keys), res.Events)
		}
		for _, k := range keys {
			found := false
			for _, ev := range res.Events {
				found = found || strings.Contains(ev.Message, `"source_key":"`+k+`"`)
			}
			if !found {
				t.Errorf("no validate line for %s", k)
			}
		}
		e.awsJSON(&res, "logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "REPORT")
		if len(res.Events) != len(keys) {
			t.Fatalf("%d REPORT lines, want %d", len(res.Events), len(keys))
		}
	})
	t.Run("cloudwatch get-metric-statistics and get-metric-data", func(t *testing.T) {
		e.t = t
		// The execution metrics are recorded as the executions close; the
		// CLI polls as a user would, all the sums in one get-metric-data.
		want := map[string]float64{
			"AWS/Lambda Invocations FunctionName=imgflow-ValidateFunction": float64(len(keys)),
			"AWS/Lambda Errors FunctionName=imgflow-ValidateFunction":      0,
			// Resize runs one item per upload (every size grouped).
			"AWS/Lambda Invocations FunctionName=imgflow-ResizeFunction": float64(len(keys)),
			"AWS/States ExecutionsStarted StateMachineArn=" + e.sm:       float64(len(keys)),
			"AWS/States ExecutionsSucceeded StateMachineArn=" + e.sm:     float64(succeeded),
			"AWS/States ExecutionsFailed StateMachineArn=" + e.sm:        0,
		}
		var got map[string]float64
		defer func() {
			if t.Failed() {
				t.Logf("metrics %v, want %v", got, want)
			}
		}()
		eventually(t, 30*time.Second, "the metrics to match the executions", func() bool {
			got = e.metricSums(want)
			for k, v := range want {
				if got[k] != v {
					return false
				}
			}
			return true
		})
		if n := e.metricSum("AWS/Lambda", "Invocations", "FunctionName", "imgflow-ValidateFunction"); n != float64(len(keys)) {
			t.Errorf("get-metric-statistics: validate Invocations = %v, want %d", n, len(keys))
		}
	})
	t.Run("logs tail --follow sees a new invocation", func(t *testing.T) {
		e.t = t
		cmd := exec.Command(awsCLI, "--endpoint-url", e.sf.Endpoint, "logs", "tail", group, "--follow", "--since", "1s", "--format", "short")
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e", "AWS_DEFAULT_REGION="+e.sf.Region,
			"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		defer func() {
			_ = cmd.Process.Kill()
			_, _ = io.Copy(io.Discard, stdout)
			_ = cmd.Wait()
		}()
		const key = "uploads/mon/followed.jpg"
		e.put(e.writeFile("f.jpg", noisyPhoto(300, 200, 9)), key)
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("aws logs tail --follow exited")
				}
				if strings.Contains(l, `"source_key":"`+key+`"`) {
					return // the new invocation's line, seen while following
				}
			case <-deadline:
				t.Fatal("aws logs tail --follow did not show the new invocation within 30 s")
			}
		}
	})
	t.Run("a failing trigger fills the DLQ and the alarm emails", func(t *testing.T) {
		e.t = t
		e.mustAWS("stepfunctions", "delete-state-machine", "--state-machine-arn", e.sm)
		e.put(e.writeFile("d.jpg", noisyPhoto(64, 64, 3)), "uploads/mon/dead.jpg")
		msg := e.waitMailExact(`ALARM: "imgflow-TriggerDeadLetterAlarm" in US East (N. Virginia)`)
		if len(msg.To) != 1 || msg.To[0].Address != "ops@example.com" || !strings.Contains(msg.Text, `"NewStateValue":"ALARM"`) ||
			!strings.Contains(msg.Text, `"MetricName":"ApproximateNumberOfMessagesVisible"`) {
			t.Fatalf("alarm email to %+v:\n%s", msg.To, msg.Text)
		}
		var alarms struct {
			MetricAlarms []struct{ AlarmName, StateValue string }
		}
		e.awsJSON(&alarms, "cloudwatch", "describe-alarms")
		if len(alarms.MetricAlarms) != 1 || alarms.MetricAlarms[0].StateValue != "ALARM" {
			t.Fatalf("describe-alarms: %+v", alarms)
		}
		if n := e.metricSum("AWS/Lambda", "Errors", "FunctionName", "imgflow-TriggerFunction"); n != 3 {
			t.Errorf("trigger Errors = %v, want 3 (the first attempt and two retries)", n)
		}
	})
	t.Logf("monitoring test after the build: %d ms", time.Since(start).Milliseconds())
}

// checkPlatformLines checks `aws logs tail` output: per invocation a START,
// an END and a REPORT as Lambda writes them, in streams named as Lambda
// names them.
func checkPlatformLines(t *testing.T, out string, invocations int, memory string) {
	t.Helper()
	line := regexp.MustCompile(`^\S+ (\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}) (.*)$`)
	start := regexp.MustCompile(`^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST$`)
	report := regexp.MustCompile(`^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: ` + memory +
		`\tMax Memory Used: \d+ MB\t?(Init Duration: \d+\.\d\d ms)?`)
	starts, ends, reports := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a detailed tail line: %q", l)
		}
		msg := m[2]
		switch {
		case strings.HasPrefix(msg, "START "):
			sm := start.FindStringSubmatch(msg)
			if sm == nil {
				t.Fatalf("START line %q", msg)
			}
			starts[sm[1]] = true
		case strings.HasPrefix(msg, "END "):
			ends[strings.TrimPrefix(msg, "END RequestId: ")] = true
		case strings.HasPrefix(msg, "REPORT "):
			rm := report.FindStringSubmatch(msg)
			if rm == nil {
				t.Fatalf("REPORT line %q", msg)
			}
			reports[rm[1]] = true
		}
	}
	if len(starts) != invocations || len(ends) != invocations || len(reports) != invocations {
		t.Fatalf("%d START, %d END, %d REPORT lines, want %d each:\n%s", len(starts), len(ends), len(reports), invocations, out)
	}
	for id := range starts {
		if !ends[id] || !reports[id] {
			t.Errorf("request %s has no END or REPORT", id)
		}
	}
}

// metricSums reads the Sum over the last hour of each metric named
// "<namespace> <metric> <dimension>=<value>", with one `aws cloudwatch
// get-metric-data`.
func (e *e2e) metricSums(metrics map[string]float64) map[string]float64 {
	e.t.Helper()
	type query struct {
		ID         string `json:"Id"`
		MetricStat struct {
			Metric struct {
				Namespace, MetricName string
				Dimensions            []struct{ Name, Value string }
			}
			Period int
			Stat   string
		}
	}
	var qs []query
	names := map[string]string{}
	for name := range metrics {
		var q query
		q.ID = fmt.Sprintf("m%d", len(qs))
		names[q.ID] = name
		f := strings.Fields(name)
		dim, value, _ := strings.Cut(f[2], "=")
		q.MetricStat.Metric.Namespace, q.MetricStat.Metric.MetricName = f[0], f[1]
		q.MetricStat.Metric.Dimensions = []struct{ Name, Value string }{{dim, value}}
		q.MetricStat.Period, q.MetricStat.Stat = 3600, "Sum"
		qs = append(qs, q)
	}
	body, err := json.Marshal(qs)
	if err != nil {
		e.t.Fatal(err)
	}
	now := time.Now().UTC()
	var out struct {
		MetricDataResults []struct {
			ID     string `json:"Id"`
			Values []float64
		}
	}
	e.awsJSON(&out, "cloudwatch", "get-metric-data", "--metric-data-queries", string(body),
		"--start-time", now.Add(-time.Hour).Format(time.RFC3339), "--end-time", now.Add(time.Minute).Format(time.RFC3339))
	sums := map[string]float64{}
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			sums[names[r.ID]] += v
		}
	}
	return sums
}

// metricSum is the Sum of a metric over the last hour, through `aws
// cloudwatch get-metric-statistics` (the CLI v2 speaks Query).
func (e *e2e) metricSum(namespace, metric, dimension, value string) float64 {
	e.t.Helper()
	now := time.Now().UTC()
	var out struct{ Datapoints []struct{ Sum float64 } }
	e.awsJSON(&out, "cloudwatch", "get-metric-statistics", "--namespace", namespace, "--metric-name", metric,
		"--dimensions", "Name="+dimension+",Value="+value, "--start-time", now.Add(-time.Hour).Format(time.RFC3339),
		"--end-time", now.Add(time.Minute).Format(time.RFC3339), "--period", "3600", "--statistics", "Sum")
	sum := 0.0
	for _, d := range out.Datapoints {
		sum += d.Sum
	}
	return sum
}

// waitMailExact waits for an email with exactly this subject, looking
// through mailpit's message list: its search cannot match the quotes an
// alarm's subject has.
func (e *e2e) waitMailExact(subject string) mailMessage {
	e.t.Helper()
	var found mailMessage
	eventually(e.t, 30*time.Second, "email "+strconvQuote(subject), func() bool {
		var ok bool
		found, ok = e.findMail("/api/v1/messages?limit=200", subject)
		return ok
	})
	return found
}
