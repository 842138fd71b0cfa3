package sfnapi

import (
	"context"
	"time"
)

// The api* methods adapt the wire structs to the Go API.

func (s *Service) apiCreateStateMachine(ctx context.Context, in *createStateMachineInput) (any, error) {
	sm, err := s.createStateMachine(ctx, in.Name, in.Definition, in.RoleARN, in.Type)
	if err != nil {
		return nil, err
	}
	return &createStateMachineOutput{StateMachineARN: sm.ARN, CreationDate: epoch(sm.CreationDate)}, nil
}

func (s *Service) apiUpdateStateMachine(ctx context.Context, in *updateStateMachineInput) (any, error) {
	sm, err := s.UpdateStateMachine(ctx, in.StateMachineARN, in.Definition, in.RoleARN)
	if err != nil {
		return nil, err
	}
	return &updateStateMachineOutput{UpdateDate: epoch(sm.UpdateDate), RevisionID: sm.RevisionID}, nil
}

var loggingOff = cloudWatchLogsConfig{Level: "OFF"}

func (s *Service) apiDescribeStateMachine(ctx context.Context, in *stateMachineARNInput) (any, error) {
	sm, err := s.DescribeStateMachine(ctx, in.StateMachineARN)
	if err != nil {
		return nil, err
	}
	return &describeStateMachineOutput{StateMachineARN: sm.ARN, Name: sm.Name, Status: "ACTIVE", Definition: sm.Definition,
		RoleARN: sm.RoleARN, Type: sm.Type, CreationDate: epoch(sm.CreationDate), LoggingConfiguration: loggingOff,
		RevisionID: sm.RevisionID, Description: sm.Description}, nil
}

func (s *Service) apiDescribeStateMachineForExecution(ctx context.Context, in *executionARNInput) (any, error) {
	sm, err := s.DescribeStateMachineForExecution(ctx, in.ExecutionARN)
	if err != nil {
		return nil, err
	}
	return &describeStateMachineForExecutionOutput{StateMachineARN: sm.ARN, Name: sm.Name, Definition: sm.Definition,
		RoleARN: sm.RoleARN, UpdateDate: epoch(sm.UpdateDate), LoggingConfiguration: loggingOff, RevisionID: sm.RevisionID}, nil
}

func (s *Service) apiListStateMachines(ctx context.Context, in *listInput) (any, error) {
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, "s")
	if err != nil {
		return nil, err
	}
	sms, err := s.ListStateMachines(ctx)
	if err != nil {
		return nil, err
	}
	out := &listStateMachinesOutput{StateMachines: []stateMachineListItem{}}
	skipping := after != ""
	for _, sm := range sms {
		if skipping {
			skipping = sm.ARN != after
			continue
		}
		if len(out.StateMachines) == limit {
			out.NextToken = encodeToken("s", out.StateMachines[limit-1].StateMachineARN)
			break
		}
		out.StateMachines = append(out.StateMachines, stateMachineListItem{StateMachineARN: sm.ARN, Name: sm.Name, Type: sm.Type, CreationDate: epoch(sm.CreationDate)})
	}
	return out, nil
}

func (s *Service) apiDeleteStateMachine(ctx context.Context, in *stateMachineARNInput) (any, error) {
	return emptyOutput{}, s.DeleteStateMachine(ctx, in.StateMachineARN)
}

func (s *Service) apiValidateStateMachineDefinition(_ context.Context, in *validateInput) (any, error) {
	if in.Definition == "" {
		return nil, apiErr(codeValidation, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	diags := validateDefinition(in.Definition)
	if in.Severity == "ERROR" {
		diags = errorsOnly(diags)
	}
	out := &validateOutput{Result: "OK", Diagnostics: []diagnostic{}}
	for _, d := range diags {
		if d.Severity == "ERROR" {
			out.Result = "FAIL"
		}
	}
	if in.MaxResults > 0 && len(diags) > in.MaxResults {
		diags, out.Truncated = diags[:in.MaxResults], true
	}
	out.Diagnostics = append(out.Diagnostics, diags...)
	return out, nil
}

func (s *Service) apiStartExecution(ctx context.Context, in *startExecutionInput) (any, error) {
	input := ""
	if in.Input != nil {
		input = *in.Input
	}
	arn, start, err := s.StartExecution(ctx, in.StateMachineARN, in.Name, input)
	if err != nil {
		return nil, err
	}
	return &startExecutionOutput{ExecutionARN: arn, StartDate: epoch(start)}, nil
}

func (s *Service) apiStartSyncExecution(ctx context.Context, in *startExecutionInput) (any, error) {
	input := ""
	if in.Input != nil {
		input = *in.Input
	}
	le, rec, err := s.startExecution(ctx, in.StateMachineARN, in.Name, input, true)
	if err != nil {
		return nil, err
	}
	select {
	case <-le.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	x, err := s.st.Execution(rec.ARN)
	if err != nil {
		return nil, err
	}
	out := &startSyncExecutionOutput{ExecutionARN: x.ARN, StateMachineARN: x.StateMachineARN, Name: x.Name,
		StartDate: epoch(x.StartDate), StopDate: epoch(x.StopDate), Status: x.Status, Input: x.Input,
		InputDetails: payloadDetails{Included: true}, Error: x.Error, Cause: x.Cause,
		BillingDetails: billingDetails{BilledMemoryUsedInMB: 64, BilledDurationInMilli: billedMillis(x.StopDate.Sub(x.StartDate))}}
	if x.HasOutput {
		out.Output, out.OutputDetails = &x.Output, &payloadDetails{Included: true}
	}
	return out, nil
}

// billedMillis rounds up to 100 ms as Express billing does.
func billedMillis(d time.Duration) int64 {
	ms := d.Milliseconds()
	return (ms + 99) / 100 * 100
}

func (s *Service) apiDescribeExecution(ctx context.Context, in *executionARNInput) (any, error) {
	x, err := s.DescribeExecution(ctx, in.ExecutionARN)
	if err != nil {
		return nil, err
	}
	out := &describeExecutionOutput{ExecutionARN: x.ARN, StateMachineARN: x.StateMachineARN, Name: x.Name,
		Status: x.Status, StartDate: epoch(x.StartDate), StopDate: epoch(x.StopDate), Input: x.Input,
		InputDetails: payloadDetails{Included: true}, Error: x.Error, Cause: x.Cause,
		RedriveCount: x.RedriveCount, RedriveDate: epoch(x.RedriveDate), MapRunARN: x.MapRunARN}
	if x.HasOutput {
		out.Output, out.OutputDetails = &x.Output, &payloadDetails{Included: true}
	}
	if why := redrivable(x); why == "" {
		out.RedriveStatus = "REDRIVABLE"
	} else {
		out.RedriveStatus, out.RedriveReason = "NOT_REDRIVABLE", why
	}
	return out, nil
}

func (s *Service) apiListExecutions(ctx context.Context, in *listExecutionsInput) (any, error) {
	var execs []Execution
	var next string
	var err error
	switch {
	case in.MapRunARN != "" && in.StateMachineARN != "":
		return nil, apiErr(codeValidation, "Specify either stateMachineArn or mapRunArn, not both")
	case in.MapRunARN != "":
		execs, next, err = s.ListMapRunExecutions(ctx, in.MapRunARN, in.StatusFilter, in.MaxResults, in.NextToken)
	default:
		execs, next, err = s.ListExecutions(ctx, in.StateMachineARN, in.StatusFilter, in.MaxResults, in.NextToken)
	}
	if err != nil {
		return nil, err
	}
	out := &listExecutionsOutput{Executions: make([]executionListItem, 0, len(execs)), NextToken: next}
	for _, x := range execs {
		out.Executions = append(out.Executions, executionListItem{ExecutionARN: x.ARN, StateMachineARN: x.StateMachineARN,
			Name: x.Name, Status: x.Status, StartDate: epoch(x.StartDate), StopDate: epoch(x.StopDate),
			RedriveCount: x.RedriveCount, RedriveDate: epoch(x.RedriveDate)})
	}
	return out, nil
}

func (s *Service) apiGetExecutionHistory(ctx context.Context, in *getExecutionHistoryInput) (any, error) {
	events, next, err := s.ExecutionHistory(ctx, in.ExecutionARN, in.ReverseOrder, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	strip := in.IncludeExecutionData != nil && !*in.IncludeExecutionData
	out := &getExecutionHistoryOutput{Events: make([]historyEvent, 0, len(events)), NextToken: next}
	for _, ev := range events {
		d := ev.Details
		if strip {
			d = stripExecutionData(d)
		}
		out.Events = append(out.Events, historyEvent{ID: ev.ID, PreviousID: ev.PreviousID, Timestamp: ev.Timestamp,
			Type: ev.Type, DetailsKey: detailsKey(ev.Type), Details: d})
	}
	return out, nil
}

func (s *Service) apiStopExecution(ctx context.Context, in *stopExecutionInput) (any, error) {
	x, err := s.StopExecution(ctx, in.ExecutionARN, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return &stopExecutionOutput{StopDate: epoch(x.StopDate)}, nil
}

func (s *Service) apiRedriveExecution(ctx context.Context, in *redriveExecutionInput) (any, error) {
	t, err := s.RedriveExecution(ctx, in.ExecutionARN)
	if err != nil {
		return nil, err
	}
	return &redriveExecutionOutput{RedriveDate: epoch(t)}, nil
}

func (s *Service) apiSendTaskSuccess(ctx context.Context, in *sendTaskSuccessInput) (any, error) {
	return emptyOutput{}, s.SendTaskSuccess(ctx, in.TaskToken, in.Output)
}

func (s *Service) apiSendTaskFailure(ctx context.Context, in *sendTaskFailureInput) (any, error) {
	return emptyOutput{}, s.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause)
}

func (s *Service) apiSendTaskHeartbeat(ctx context.Context, in *sendTaskHeartbeatInput) (any, error) {
	return emptyOutput{}, s.SendTaskHeartbeat(ctx, in.TaskToken)
}
