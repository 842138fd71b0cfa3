package sfnapi

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
)

// StartExecution starts an execution of a state machine. An empty name
// gets a UUID and an empty input is "{}". Repeating the call with the
// same name and input while the execution runs returns the same ARN and
// start date; any other reuse of a name is ExecutionAlreadyExists.
func (s *Service) StartExecution(ctx context.Context, smARN, name, input string) (string, time.Time, error) {
	_, rec, err := s.startExecution(ctx, smARN, name, input, false)
	if err != nil {
		return "", time.Time{}, err
	}
	return rec.ARN, rec.StartDate, nil
}

// startExecution returns the live execution and its record as started.
func (s *Service) startExecution(ctx context.Context, smARN, name, input string, sync bool) (*liveExec, store.Execution, error) {
	le, err := s.startExecution1(ctx, smARN, name, input, sync)
	if err != nil {
		return nil, store.Execution{}, err
	}
	le.mu.Lock()
	defer le.mu.Unlock()
	rec := le.rec
	rec.Status = StatusRunning
	rec.Output, rec.HasOutput, rec.Error, rec.Cause, rec.StopDate = "", false, "", "", time.Time{}
	return le, rec, nil
}

func (s *Service) startExecution1(ctx context.Context, smARN, name, input string, sync bool) (*liveExec, error) {
	if _, err := parseARN(smARN, "stateMachine"); err != nil {
		return nil, err
	}
	if input == "" {
		input = "{}"
	}
	if len(input) > s.cfg.MaxInputBytes {
		return nil, apiErr(codeInvalidExecutionInput, "Invalid State Machine Execution Input: 'input exceeds the maximum size of %d bytes'", s.cfg.MaxInputBytes)
	}
	if name == "" {
		name = awsid.UUID()
	}
	if !validName(name) {
		return nil, apiErr(codeInvalidName, "Invalid Name: '%s'", name)
	}
	sm, err := s.st.StateMachine(smARN)
	if err != nil {
		return nil, notFoundSM(smARN, err)
	}
	if sync && sm.Type != TypeExpress {
		return nil, apiErr(codeStateMachineTypeNotSupported, "This operation is only supported by EXPRESS state machines")
	}
	v, err := decodeInput(input)
	if err != nil {
		return nil, apiErr(codeInvalidExecutionInput, "Invalid State Machine Execution Input: '%s'", err.Error())
	}
	p, err := s.parsedFor(sm.Definition)
	if err != nil {
		return nil, definitionError([]diagnostic{{Code: "SCHEMA_VALIDATION_FAILED", Message: err.Error()}})
	}
	arn := s.execARN(sm.Name, name)
	rec := store.Execution{ARN: arn, Name: name, StateMachineARN: sm.ARN, StateMachineName: sm.Name,
		DefinitionHash: store.DefinitionHash(sm.Definition), Status: StatusRunning, Input: input}
	le := &liveExec{rec: rec, done: make(chan struct{})}
	started := make(chan struct{})

	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, &APIError{Status: 503, Code: codeServiceUnavailable, Message: "the local stack is shutting down"}
	}
	if v, ok := s.live.Load(arn); ok {
		old := v.(*liveExec)
		s.mu.Unlock()
		return s.sameExecution(ctx, old, input)
	}
	if _, err := s.st.Execution(arn); err == nil {
		s.mu.Unlock()
		return nil, apiErr(codeExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
	}
	le.started = started
	s.live.Store(arn, le)
	s.wg.Add(1)
	s.mu.Unlock()

	r, err := s.eng.start(ctx, p, v, startOpts{Name: name, StateMachineARN: sm.ARN, StateMachineName: sm.Name, RoleARN: sm.RoleARN})
	if err != nil {
		le.startErr = err
		s.live.Delete(arn)
		close(started)
		close(le.done)
		s.wg.Done()
		var ie *invalidInputError
		switch {
		case errors.As(err, &ie):
			return nil, apiErr(codeInvalidExecutionInput, "Invalid State Machine Execution Input: '%s'", ie.msg)
		case errors.Is(err, errEngineAlreadyRunning):
			return nil, apiErr(codeExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
		}
		return nil, err
	}
	le.mu.Lock()
	le.run = r // its record was queued with its first event (onEvent)
	le.mu.Unlock()
	close(started)
	go s.watch(le)
	err = s.st.Flush(ctx)
	s.started(le) // it runs, even if the commit failed
	if err != nil {
		return nil, err
	}
	return le, nil
}

// sameExecution applies StartExecution's idempotency to a running
// execution with the requested name.
func (s *Service) sameExecution(ctx context.Context, old *liveExec, input string) (*liveExec, error) {
	select {
	case <-old.started:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	old.mu.Lock()
	rec := old.rec
	closed := old.startErr != nil || old.detached || old.redrive > 0 || old.run == nil
	old.mu.Unlock()
	if closed || rec.Input != input {
		return nil, apiErr(codeExecutionAlreadyExists, "Execution Already Exists: '%s'", rec.ARN)
	}
	if err := s.st.Flush(ctx); err != nil {
		return nil, err
	}
	return old, nil
}

// DescribeExecution returns an execution's record (also a Distributed
// Map's EXPRESS child, express:...).
func (s *Service) DescribeExecution(_ context.Context, arn string) (*Execution, error) {
	if _, err := parseARN(arn, "execution"); err != nil {
		if _, err2 := parseARN(arn, "express"); err2 != nil {
			return nil, err
		}
	}
	x, err := s.st.Execution(arn)
	if err != nil {
		return nil, notFoundExec(arn, err)
	}
	return x, nil
}

// ListExecutions lists a state machine's executions, newest first,
// optionally only those with status statusFilter; maxResults <= 0 means
// 100. next is "" on the last page.
func (s *Service) ListExecutions(_ context.Context, smARN, statusFilter string, maxResults int, token string) (execs []Execution, next string, err error) {
	if _, err := parseARN(smARN, "stateMachine"); err != nil {
		return nil, "", err
	}
	if _, err := s.st.StateMachine(smARN); err != nil {
		return nil, "", notFoundSM(smARN, err)
	}
	switch statusFilter {
	case "", StatusRunning, StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted, "PENDING_REDRIVE":
	default:
		return nil, "", apiErr(codeValidation, "1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]", statusFilter)
	}
	limit, err := pageSize(maxResults)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeToken(token, "x")
	if err != nil {
		return nil, "", err
	}
	var keep func(*store.Execution) bool
	if statusFilter != "" {
		keep = func(x *store.Execution) bool { return x.Status == statusFilter }
	}
	execs, next, err = s.st.ListExecutions(smARN, keep, after, limit)
	if next != "" {
		next = encodeToken("x", next)
	}
	return execs, next, err
}

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 0 || n > 1000:
		return 0, apiErr(codeValidation, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", n)
	}
	return n, nil
}

// Page tokens are opaque to clients: a kind letter and a position.
func encodeToken(kind, pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + pos))
}

func decodeToken(tok, kind string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < len(kind)+1 || string(b[:len(kind)+1]) != kind+":" {
		return "", apiErr(codeInvalidToken, "Invalid Token: '%s'", tok)
	}
	return string(b[len(kind)+1:]), nil
}

// StopExecution aborts a running execution and waits (bounded by ctx)
// until its ABORTED record is committed. Stopping a closed execution
// changes nothing.
func (s *Service) StopExecution(ctx context.Context, arn, errName, cause string) (*Execution, error) {
	if _, err := parseARN(arn, "execution"); err != nil {
		return nil, err
	}
	if v, ok := s.live.Load(arn); ok {
		le := v.(*liveExec)
		select {
		case <-le.started:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if le.run != nil {
			le.run.stop(errName, cause)
			select {
			case <-le.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return s.DescribeExecution(ctx, arn)
}
