package stack_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/stack"
)

// TestDeadLetterAlarm: a trigger that keeps failing (its state machine is
// gone) sends the event to the DLQ after its retries; the template's alarm
// goes to ALARM and its notification reaches the topic's email subscriber;
// AWS/Lambda counts the three failed attempts.
func TestDeadLetterAlarm(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is needed to build the layer")
	}
	cfg := stack.NewDefaultConfig()
	cfg.Template, cfg.DataDir, cfg.Listen = templateCopy(t), t.TempDir(), "127.0.0.1:0"
	cfg.NotificationEmail, cfg.AutoConfirm = "ops@example.com", true
	cfg.AlarmInterval = 0 // the test evaluates
	ctx := context.Background()
	st, err := stack.Start(ctx, cfg, builders, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if len(st.Resources.Alarms) != 1 || st.Resources.Alarms[0] != "imgflow-TriggerDeadLetterAlarm" {
		t.Fatalf("alarms %v", st.Resources.Alarms)
	}
	if err := st.MonitorOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := st.Alarms.Describe()[0].State; got != "OK" {
		t.Fatalf("with an empty DLQ the alarm is %s, want OK", got)
	}
	if err := st.SFN.DeleteStateMachine(ctx, st.Resources.StateMachines[0]); err != nil {
		t.Fatal(err)
	}
	upload := st.Resources.Outputs["UploadBucketName"]
	event := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"` + upload +
		`"},"object":{"key":"uploads/a.jpg","size":10,"versionId":"v1","sequencer":"01"}}}]}`
	if err := st.Lambda.RunAsync(ctx, "imgflow-TriggerFunction", []byte(event)); err != nil {
		t.Fatal(err)
	}
	if err := st.MonitorOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := st.Alarms.Describe()[0].State; got != "ALARM" {
		t.Fatalf("with a message in the DLQ the alarm is %s, want ALARM", got)
	}
	deliveries, err := st.SNS.Deliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var alarmMail []string
	for _, d := range deliveries {
		if strings.HasPrefix(d.Subject, "ALARM: ") {
			alarmMail = append(alarmMail, d.Endpoint+" "+d.Subject+"\n"+d.Body)
		}
	}
	if len(alarmMail) != 1 || !strings.Contains(alarmMail[0], `ops@example.com ALARM: "imgflow-TriggerDeadLetterAlarm" in US East (N. Virginia)`) ||
		!strings.Contains(alarmMail[0], `"NewStateValue":"ALARM"`) {
		t.Fatalf("alarm emails: %q", alarmMail)
	}

	c := cw.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(st.URL), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	now := time.Now()
	for _, m := range []struct {
		name string
		want float64
	}{{"Invocations", 3}, {"Errors", 3}} {
		out, err := c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(m.name),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("imgflow-TriggerFunction")}},
			StartTime:  aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now.Add(time.Minute)), Period: aws.Int32(3600),
			Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, d := range out.Datapoints {
			sum += aws.ToFloat64(d.Sum)
		}
		if sum != m.want {
			b, _ := json.Marshal(out.Datapoints)
			t.Errorf("%s of the trigger: %v, want %v (the first attempt and 2 retries): %s", m.name, sum, m.want, b)
		}
	}
	alarms, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm})
	if err != nil || len(alarms.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms: %+v %v", alarms, err)
	}
}
