package sfnapi

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Redrive continues the execution's recorded history as a resume after a
// restart does (see Resume), with an ExecutionRedriven event appended and
// the top-level state that did not complete run again, its retries
// counted afresh: the states that completed are not run again, and their
// variables and $$.Execution.Input are as they were. The difference from
// AWS: a Map or Parallel state that failed runs again whole, not only its
// failed iterations or branches.

// redrivable explains why an execution cannot be redriven ("" = it can).
func redrivable(x *Execution) string {
	switch x.Status {
	case StatusFailed, StatusTimedOut, StatusAborted:
		return ""
	}
	return fmt.Sprintf("Execution is %s and cannot be redriven", x.Status)
}

// RedriveExecution restarts a FAILED, TIMED_OUT or ABORTED execution
// from its unsuccessful top-level state.
func (s *Service) RedriveExecution(ctx context.Context, arn string) (time.Time, error) {
	if v, ok := s.live.Load(arn); ok {
		le := v.(*liveExec)
		select {
		case <-le.started:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
		if le.run == nil {
			return time.Time{}, apiErr(codeExecutionNotRedrivable, "Execution is RUNNING and cannot be redriven")
		}
		select {
		case <-le.run.done(): // ended; its record is being committed
		default:
			return time.Time{}, apiErr(codeExecutionNotRedrivable, "Execution is RUNNING and cannot be redriven")
		}
		select {
		case <-le.done:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
	x, err := s.DescribeExecution(ctx, arn)
	if err != nil {
		return time.Time{}, err
	}
	if why := redrivable(x); why != "" {
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "%s", why)
	}
	rec := *x
	rec.Status, rec.Output, rec.HasOutput, rec.Error, rec.Cause, rec.StopDate = StatusRunning, "", false, "", "", time.Time{}
	rec.RedriveCount++
	le, err := s.continueExecution(ctx, rec, true)
	var nr *notResumableError
	if errors.As(err, &nr) {
		return time.Time{}, apiErr(codeExecutionNotRedrivable, "%s", nr.msg)
	}
	if err != nil {
		return time.Time{}, err
	}
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.rec.RedriveDate, nil
}
