package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI finds the AWS CLI: $AWS_CLI_BIN, Debian's /usr/bin/aws, then PATH.
func awsCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AWS_CLI_BIN"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	p, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed (apt-get install -y awscli)")
	}
	return p
}

func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("the AWS CLI takes seconds per call")
	}
	bin := awsCLI(t)
	h := newHarness(t)
	home := t.TempDir()
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", h.srv.URL, "--region", "us-east-1", "--output", "json", "sns"}, args...)...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=AKIDLOCAL", "AWS_SECRET_ACCESS_KEY=secret",
			"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
			"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("aws sns %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		out := map[string]any{}
		if stdout.Len() > 0 {
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("aws sns %s: %v\n%s", args[0], err, stdout.String())
			}
		}
		return out
	}
	arn, _ := run("create-topic", "--name", "cli-topic")["TopicArn"].(string)
	if arn != "arn:aws:sns:us-east-1:000000000000:cli-topic" {
		t.Fatalf("create-topic gave %q", arn)
	}
	if got := run("subscribe", "--topic-arn", arn, "--protocol", "email", "--notification-endpoint", "cli@example.com",
		"--attributes", `{"FilterPolicy":"{\"status\":[\"FAILED\"]}"}`)["SubscriptionArn"]; got != "pending confirmation" {
		t.Fatalf("subscribe gave %v", got)
	}
	h.waitDelivery()
	subs, _ := h.svc.Subscriptions(context.Background())
	confirmed, _ := run("confirm-subscription", "--topic-arn", arn, "--token", subs[0].Token)["SubscriptionArn"].(string)
	if confirmed != subs[0].ARN {
		t.Fatalf("confirm-subscription gave %q, want %q", confirmed, subs[0].ARN)
	}
	for _, status := range []string{"SUCCEEDED", "FAILED"} {
		if id, _ := run("publish", "--topic-arn", arn, "--subject", "cli "+status, "--message", "from the CLI",
			"--message-attributes", `{"status":{"DataType":"String","StringValue":"`+status+`"}}`)["MessageId"].(string); id == "" {
			t.Fatal("publish gave no MessageId")
		}
	}
	h.waitDelivery()
	box, _ := h.svc.Mailbox(context.Background())
	if len(box) != 2 || box[1].Subject != "cli FAILED" {
		t.Fatalf("mailbox %+v", box)
	}
	list := run("list-subscriptions")["Subscriptions"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["SubscriptionArn"] != confirmed {
		t.Fatalf("list-subscriptions gave %v", list)
	}
}
