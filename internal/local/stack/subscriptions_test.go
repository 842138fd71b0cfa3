package stack_test

import (
	"context"
	"os/exec"
	"testing"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/local/sns"
	"github.com/imgflow/imgflow/internal/local/stack"
)

// TestNotificationEmailAcrossBoots boots the stack three times on one data
// dir, as `make run` does with different flags: the local mailbox is
// subscribed already confirmed, another address waits for its
// confirmation, and each boot keeps only the subscription the template
// declares now, as a CloudFormation update would.
func TestNotificationEmailAcrossBoots(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is needed to build the layer")
	}
	tmpl, data := templateCopy(t), t.TempDir()
	boots := []struct {
		name  string
		email string
		want  map[string]sns.SubscriptionStatus // endpoint -> status
	}{
		{"the local mailbox", stack.LocalMailbox, map[string]sns.SubscriptionStatus{stack.LocalMailbox: sns.StatusConfirmed}},
		{"another address replaces it", "me@example.com", map[string]sns.SubscriptionStatus{"me@example.com": sns.StatusPendingConfirmation}},
		{"no address", "", map[string]sns.SubscriptionStatus{}},
	}
	for _, b := range boots {
		t.Run(b.name, func(t *testing.T) {
			cfg := stack.NewDefaultConfig()
			cfg.Template, cfg.DataDir, cfg.Listen, cfg.NotificationEmail = tmpl, data, "127.0.0.1:0", b.email
			st, err := stack.Start(context.Background(), cfg, builders, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := st.Close(context.Background()); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
			subs, err := st.SNS.Subscriptions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]sns.SubscriptionStatus{}
			for _, s := range subs {
				got[s.Endpoint] = s.Status
			}
			if len(got) != len(b.want) {
				t.Fatalf("subscriptions %v, want %v", got, b.want)
			}
			for e, status := range b.want {
				if got[e] != status {
					t.Fatalf("subscriptions %v, want %v", got, b.want)
				}
			}
		})
	}
}

// TestWorkflowTypeChangeReplacesStateMachine restarts the stack on the same
// data dir with WorkflowType=EXPRESS after STANDARD (make run ARGS="--param
// WorkflowType=EXPRESS"): the state machine has the new type, since a type
// cannot be updated in place, and the earlier execution is still listed.
func TestWorkflowTypeChangeReplacesStateMachine(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is needed to build the layer")
	}
	tmpl, data := templateCopy(t), t.TempDir()
	var started string
	for _, typ := range []string{sfnapi.TypeStandard, sfnapi.TypeExpress, sfnapi.TypeExpress} {
		cfg := stack.NewDefaultConfig()
		cfg.Template, cfg.DataDir, cfg.Listen = tmpl, data, "127.0.0.1:0"
		cfg.Parameters = map[string]string{"WorkflowType": typ}
		st, err := stack.Start(context.Background(), cfg, builders, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		arn := st.Resources.StateMachines[0]
		sm, err := st.SFN.DescribeStateMachine(context.Background(), arn)
		if err != nil || sm.Type != typ {
			st.Close(context.Background())
			t.Fatalf("after a boot with WorkflowType=%s: %+v, %v", typ, sm, err)
		}
		if started == "" {
			// A hand-started execution that fails at once (no object).
			if started, _, err = st.SFN.StartExecution(context.Background(), arn, "before", `{}`); err != nil {
				t.Fatal(err)
			}
			if err := st.SFN.WaitExecution(context.Background(), started); err != nil {
				t.Fatal(err)
			}
		} else if _, err := st.SFN.DescribeExecution(context.Background(), started); err != nil {
			t.Errorf("the execution from before the replacement: %v", err)
		}
		if err := st.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
