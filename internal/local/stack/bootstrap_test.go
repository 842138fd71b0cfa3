package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/layers/common/logx"
)

// templateCopy writes template.yaml, with its relative CodeUri, ContentUri
// and DefinitionUri made absolute and each edit (old, new) applied once,
// to a temporary directory, and returns its path.
func templateCopy(t *testing.T, edits ...[2]string) string {
	t.Helper()
	root, err := filepath.Abs(moduleRoot)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	// The relative paths, wherever they occur (the template may have
	// several state machines).
	for _, e := range [][2]string{
		{"CodeUri: .\n", "CodeUri: " + root + "\n"},
		{"ContentUri: layers/common/", "ContentUri: " + filepath.Join(root, "layers", "common") + "/"},
		{"DefinitionUri: statemachine/", "DefinitionUri: " + filepath.Join(root, "statemachine") + "/"},
	} {
		if !strings.Contains(s, e[0]) {
			t.Fatalf("template.yaml has no %q", e[0])
		}
		s = strings.ReplaceAll(s, e[0], e[1])
	}
	for _, e := range edits {
		if n := strings.Count(s, e[0]); n != 1 {
			t.Fatalf("template.yaml has %q %d times, want once", e[0], n)
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer is the stack's log file in a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Split(strings.TrimSpace(w.b.String()), "\n")
}

// duplicateKeys returns the top-level keys a JSON object has more than once.
func duplicateKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", line)
	}
	seen := map[string]bool{}
	var dups []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		key := tok.(string)
		if seen[key] {
			dups = append(dups, key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
	}
	return dups
}

// TestInProcessFunctionsLogAsOnLambda: an in-process function logs through
// lambdamain.Init as on Lambda. LOG_LEVEL in the template's environment
// sets its level (debug records reach the stack's log, which logs its own
// at info); the other functions keep the LogLevel parameter's info; no
// record carries a key twice; and the handler's lines are in Invoke's
// LogType=Tail.
func TestInProcessFunctionsLogAsOnLambda(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is needed to build the layer")
	}
	tmpl := templateCopy(t, [2]string{
		"          STATE_MACHINE_ARN: !Ref ImagePipeline\n",
		"          STATE_MACHINE_ARN: !Ref ImagePipeline\n          LOG_LEVEL: debug\n",
	})
	cfg := stack.NewDefaultConfig()
	cfg.Template, cfg.DataDir, cfg.Listen = tmpl, t.TempDir(), "127.0.0.1:0"
	var logFile syncBuffer
	st, err := stack.Start(context.Background(), cfg, builders, logx.New(&logFile, zapcore.InfoLevel))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	trigger, validate := "imgflow-TriggerFunction", "imgflow-ValidateFunction"
	event := `{"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name":"elsewhere"},"object":{"key":"not-an-upload/a.jpg","size":1}}}]}`
	resp, err := st.Lambda.Invoke(context.Background(), trigger, []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	if resp.FunctionError != "" {
		t.Fatalf("trigger failed: %s", resp.Payload)
	}
	tail := string(resp.LogTail)
	if !strings.Contains(tail, `"message":"upload ignored"`) || !strings.Contains(tail, `"function":"`+trigger+`"`) {
		t.Errorf("LogType=Tail lacks the handler's line:\n%s", tail)
	}

	checkLogGroup(t, st, "/aws/lambda/imgflow/trigger", resp.RequestID, `"message":"upload ignored"`)

	levels := map[string]map[string]int{} // function -> level -> records
	for _, line := range logFile.lines() {
		if dups := duplicateKeys(t, line); len(dups) > 0 {
			t.Errorf("keys %v twice: %s", dups, line)
		}
		var rec map[string]any
		_ = json.Unmarshal([]byte(line), &rec)
		fn, _ := rec["function"].(string)
		if fn != "" && rec["component"] == "stack" {
			t.Errorf("a function's record carries the stack's component: %s", line)
		}
		if levels[fn] == nil {
			levels[fn] = map[string]int{}
		}
		lvl, _ := rec["level"].(string)
		levels[fn][lvl]++
	}
	if levels[trigger][zap.DebugLevel.String()] == 0 {
		t.Errorf("no debug record from %s, whose LOG_LEVEL is debug: %v", trigger, levels)
	}
	if levels[validate][zap.DebugLevel.String()] != 0 {
		t.Errorf("debug records from %s, whose LOG_LEVEL is info: %v", validate, levels)
	}
	if levels[trigger][zap.InfoLevel.String()] == 0 {
		t.Errorf("the trigger's info line is not in the stack's log: %v", levels)
	}
}

// TestRenamedFunctionRunsInProcess: builders are keyed by logical ID, so a
// template that renames TriggerFunction (to a name no naming rule maps to
// functions/trigger) runs the pipeline in process once its builder is keyed
// by the new name; a function without a builder stops the boot, naming it.
func TestRenamedFunctionRunsInProcess(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is needed to build the layer")
	}
	root, _ := filepath.Abs(moduleRoot)
	orig, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(orig), "TriggerFunction"); n < 2 {
		t.Fatalf("template.yaml names TriggerFunction %d times", n)
	}
	tmpl := templateCopy(t)
	b, _ := os.ReadFile(tmpl)
	if err := os.WriteFile(tmpl, []byte(strings.ReplaceAll(string(b), "TriggerFunction", "Ingest")), 0o644); err != nil {
		t.Fatal(err)
	}
	renamed := maps.Clone(builders)
	renamed["Ingest"] = renamed["TriggerFunction"]
	delete(renamed, "TriggerFunction")

	t.Run("without a builder for the new name", func(t *testing.T) {
		cfg := stack.NewDefaultConfig()
		cfg.Template, cfg.DataDir, cfg.Listen = tmpl, t.TempDir(), "127.0.0.1:0"
		st, err := stack.Start(context.Background(), cfg, builders, zap.NewNop())
		if err == nil {
			_ = st.Close(context.Background())
			t.Fatal("Start succeeded")
		}
		if !strings.Contains(err.Error(), "function Ingest: no builder") {
			t.Fatalf("got %v, want the missing logical ID named", err)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := stack.NewDefaultConfig()
	cfg.Template, cfg.DataDir, cfg.Listen, cfg.AutoConfirm = tmpl, t.TempDir(), "127.0.0.1:0", true
	st, err := stack.Start(ctx, cfg, renamed, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if !slices.Contains(st.Resources.Functions, "imgflow-Ingest") {
		t.Fatalf("functions %v, want imgflow-Ingest", st.Resources.Functions)
	}
	started := make(chan string, 1)
	defer st.SFN.Subscribe(func(ev sfnapi.ExecutionEvent) {
		select {
		case started <- ev.ExecutionARN:
		default:
		}
	})()
	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(st.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	s3c := s3sdk.NewFromConfig(awsCfg, func(o *s3sdk.Options) { o.UsePathStyle = true })
	img := fixtures.JPEG(fixtures.Quadrants(640, 480), 0, false)
	if _, err := s3c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String(st.Resources.Outputs["UploadBucketName"]),
		Key: aws.String("uploads/renamed.jpg"), Body: bytes.NewReader(img), ContentType: aws.String("image/jpeg")}); err != nil {
		t.Fatal(err)
	}
	var arn string
	select {
	case arn = <-started:
	case <-ctx.Done():
		t.Fatal("the renamed trigger started no execution")
	}
	if err := st.SFN.WaitExecution(ctx, arn); err != nil {
		t.Fatal(err)
	}
	desc, err := sfnsdk.NewFromConfig(awsCfg).DescribeExecution(ctx, &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s %s %s", arn, desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}
}

// checkLogGroup reads an invocation's log through the CloudWatch Logs API
// of the endpoint, signed like any client: the group the template names
// (with its retention), a stream named as Lambda names them, and the
// handler's line between START and END, then REPORT.
func checkLogGroup(t *testing.T, st *stack.Stack, group, requestID, handlerLine string) {
	t.Helper()
	ctx := context.Background()
	c := cwl.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(st.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	groups, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.LogGroups) != 1 || aws.ToInt32(groups.LogGroups[0].RetentionInDays) != 30 {
		t.Fatalf("log group %s: %+v, want one with the template's 30 days", group, groups.LogGroups)
	}
	streams, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	if len(streams.LogStreams) != 1 || !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(aws.ToString(streams.LogStreams[0].LogStreamName)) {
		t.Fatalf("streams: %+v, want one named YYYY/MM/DD/[$LATEST]<32 hex>", streams.LogStreams)
	}
	out, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`"RequestId: ` + requestID + `"`)})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range out.Events {
		lines = append(lines, aws.ToString(e.Message))
	}
	report := regexp.MustCompile(`^REPORT RequestId: ` + requestID + `\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?$`)
	if len(lines) != 3 || lines[0] != "START RequestId: "+requestID+" Version: $LATEST" || lines[1] != "END RequestId: "+requestID || !report.MatchString(lines[2]) {
		t.Fatalf("the invocation's platform lines:\n%s", strings.Join(lines, "\n"))
	}
	all, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range all.Events {
		found = found || strings.Contains(aws.ToString(e.Message), handlerLine)
	}
	if !found {
		t.Errorf("the handler's line %s is not in %s", handlerLine, group)
	}
}
