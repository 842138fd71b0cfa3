package sfnapi

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const awsCLI = "/usr/bin/aws"

// TestAWSCLI drives the service with Debian's aws CLI v2.
func TestAWSCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skip("no " + awsCLI)
	}
	h := newHarness(t, "")
	home := t.TempDir()
	defFile := filepath.Join(home, "pipeline.asl.json")
	if err := os.WriteFile(defFile, []byte(pipelineDef), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctxT(t), awsCLI, append([]string{"--endpoint-url", h.srv.URL, "--output", "json", "stepfunctions"}, args...)...)
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
			"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
		return cmd.Output()
	}
	aws := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		out, err := run(t, args...)
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		var m map[string]any
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), out, err)
			}
		}
		return m
	}

	created := aws(t, "create-state-machine", "--name", "pipeline", "--definition", "file://"+defFile,
		"--role-arn", "arn:aws:iam::123456789012:role/sfn")
	sm, _ := created["stateMachineArn"].(string)
	if sm != "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline" {
		t.Fatalf("create-state-machine: %v", created)
	}
	tests := []struct {
		name, input, status, output, errName, cause string
		events                                      int
	}{
		{name: "ok", input: `{"value":21}`, status: "SUCCEEDED", output: `{"value":42}`, events: 13},
		{name: "too-big", input: `{"value":70}`, status: "FAILED", errName: "TooBig", cause: "value over 100", events: 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			started := aws(t, "start-execution", "--state-machine-arn", sm, "--name", tc.name, "--input", tc.input)
			arn, _ := started["executionArn"].(string)
			if _, ok := started["startDate"]; !ok || arn == "" {
				t.Fatalf("start-execution: %v", started)
			}
			if err := h.svc.WaitExecution(ctxT(t), arn); err != nil {
				t.Fatal(err)
			}
			d := aws(t, "describe-execution", "--execution-arn", arn)
			if d["status"] != tc.status || str(d["error"]) != tc.errName || str(d["cause"]) != tc.cause || str(d["output"]) != tc.output {
				t.Fatalf("describe-execution: %v", d)
			}
			hist := aws(t, "get-execution-history", "--execution-arn", arn)
			evs, _ := hist["events"].([]any)
			if len(evs) != tc.events {
				t.Fatalf("get-execution-history: %d events: %v", len(evs), hist)
			}
			last, _ := evs[len(evs)-1].(map[string]any)
			if tc.status == "FAILED" {
				det, _ := last["executionFailedEventDetails"].(map[string]any)
				if last["type"] != "ExecutionFailed" || det["error"] != tc.errName || det["cause"] != tc.cause {
					t.Fatalf("last event %v", last)
				}
			} else if last["type"] != "ExecutionSucceeded" {
				t.Fatalf("last event %v", last)
			}
		})
	}
	// Errors arrive as the CLI expects them.
	_, err := run(t, "start-execution", "--state-machine-arn", sm, "--name", "ok", "--input", "{}")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(string(ee.Stderr), "(ExecutionAlreadyExists) when calling the StartExecution operation: Execution Already Exists:") {
		t.Fatalf("duplicate start-execution: %v %s", err, stderrOf(err))
	}
	list := aws(t, "list-executions", "--state-machine-arn", sm)
	execs, _ := list["executions"].([]any)
	if len(execs) != 2 {
		t.Fatalf("list-executions: %v", list)
	}
	failed := aws(t, "list-executions", "--state-machine-arn", sm, "--status-filter", "FAILED")
	if execs, _ := failed["executions"].([]any); len(execs) != 1 || execs[0].(map[string]any)["name"] != "too-big" {
		t.Fatalf("list-executions FAILED: %v", failed)
	}
	// The CLI paginates by itself with --page-size.
	paged := aws(t, "get-execution-history", "--execution-arn", sm[:strings.Index(sm, ":stateMachine:")]+":execution:pipeline:ok", "--page-size", "2")
	if evs, _ := paged["events"].([]any); len(evs) != 13 {
		t.Fatalf("paged history: %d events", len(evs))
	}
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
