package console

import (
	"context"
	"slices"
	"strings"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/internal/local/console/workload"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// stateMachines lists the ARN of every state machine: the configured ones
// first (the stack's), then the others as ListStateMachines returns them
// (oldest first).
func (h *handler) stateMachines(ctx context.Context) ([]string, error) {
	sms, err := h.sfn.ListStateMachines(ctx)
	if err != nil {
		return nil, err
	}
	exists := make(map[string]bool, len(sms))
	for _, sm := range sms {
		exists[sm.ARN] = true
	}
	out := make([]string, 0, len(sms))
	for _, arn := range h.cfg.StateMachines {
		if exists[arn] && !slices.Contains(out, arn) {
			out = append(out, arn)
		}
	}
	for _, sm := range sms {
		if !slices.Contains(out, sm.ARN) {
			out = append(out, sm.ARN)
		}
	}
	return out, nil
}

// smARN is the state machine named want (?sm=), else the first one; ""
// when there is none.
func smARN(want string, arns []string) string {
	for _, arn := range arns {
		if arnName(arn) == want {
			return arn
		}
	}
	if len(arns) == 0 {
		return ""
	}
	return arns[0]
}

// execARN rebuilds an execution ARN from its state machine's name. The
// state machine may have been deleted (its executions stay readable): the
// ARN is then built in the account and region of the others.
func (h *handler) execARN(ctx context.Context, sm, name string) string {
	if strings.Contains(name, ":") {
		// <map run id>:<name>: a Distributed Map's EXPRESS child.
		if a, ok := arn.Parse(arn.ExecutionOf(h.anyStateMachine(ctx), "x")); ok {
			a.Resource = "express:" + sm + ":" + name
			return a.String()
		}
	}
	arns, _ := h.stateMachines(ctx)
	for _, a := range arns {
		if arnName(a) == sm {
			return arn.ExecutionOf(a, name)
		}
	}
	for _, a := range append(arns, h.cfg.StateMachines...) {
		if p, kind, _, ok := arn.States(a); ok && kind == "stateMachine" {
			return arn.Execution(p.Region, p.Account, sm, name)
		}
	}
	return ""
}

// arnName is the last ARN component.
func arnName(s string) string { return arn.Name(s) }

// described is what the workload is told about an execution.
func described(x *sfnapi.Execution) workload.Execution {
	return workload.Execution{StateMachineARN: x.StateMachineARN, Status: x.Status, Input: x.Input, Output: x.Output, Error: x.Error, Cause: x.Cause}
}

// anyStateMachine is a state machine ARN of the stack (for its partition,
// region and account).
func (h *handler) anyStateMachine(ctx context.Context) string {
	arns, _ := h.stateMachines(ctx)
	if len(arns) > 0 {
		return arns[0]
	}
	if len(h.cfg.StateMachines) > 0 {
		return h.cfg.StateMachines[0]
	}
	return ""
}
