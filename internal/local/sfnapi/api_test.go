package sfnapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func sfnTypes(s string) types.StateMachineType { return types.StateMachineType(s) }

const lambdaARN = "arn:aws:lambda:us-east-1:123456789012:function:"

// pipelineDef is Pass -> Task (stub Lambda) -> Choice -> Succeed | Fail.
var pipelineDef = `{
  "StartAt": "Init",
  "States": {
    "Init": {"Type": "Pass", "Result": 2, "ResultPath": "$.factor", "Next": "Double"},
    "Double": {"Type": "Task", "Resource": "` + lambdaARN + `double", "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.value", "NumericGreaterThan": 100, "Next": "TooBig"}], "Default": "Done"},
    "TooBig": {"Type": "Fail", "Error": "TooBig", "Cause": "value over 100"},
    "Done": {"Type": "Succeed"}
  }
}`

func taskDef(fn string) string {
	return `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"` + lambdaARN + fn + `","End":true}}}`
}

func TestStateMachineLifecycle(t *testing.T) {
	h := newHarness(t, "")
	ctx := ctxT(t)
	arn := h.createSM("pipeline", pipelineDef, "")
	if want := "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline"; arn != want {
		t.Fatalf("arn = %s, want %s", arn, want)
	}
	tests := []struct {
		name     string
		smName   string
		def      string
		typ      types.StateMachineType
		role     string // "" = a valid role
		wantCode string
		wantMsg  []string
	}{
		{name: "identical is idempotent", smName: "pipeline", def: pipelineDef},
		{name: "role is not an ARN", smName: "x", def: pipelineDef, role: "my-role", wantCode: "InvalidArn", wantMsg: []string{"my-role"}},
		{name: "role ARN of a user", smName: "x", def: pipelineDef, role: "arn:aws:iam::123456789012:user/u", wantCode: "InvalidArn"},
		{name: "role ARN without account", smName: "x", def: pipelineDef, role: "arn:aws:iam:::role/r", wantCode: "InvalidArn"},
		{name: "role with a path in another partition", smName: "cn", def: pipelineDef, role: "arn:aws-cn:iam::123456789012:role/service-role/r"},
		{name: "same name other definition", smName: "pipeline", def: taskDef("double"), wantCode: "StateMachineAlreadyExists"},
		{name: "bad name", smName: "has space", def: pipelineDef, wantCode: "InvalidName"},
		{name: "bad type", smName: "x", def: pipelineDef, typ: "BATCH", wantCode: "ValidationException"},
		{name: "express", smName: "fast", def: pipelineDef, typ: types.StateMachineTypeExpress},
		{name: "not json", smName: "x", def: `{"StartAt":`, wantCode: "InvalidDefinition", wantMsg: []string{"INVALID_JSON_DESCRIPTION"}},
		{name: "every problem listed", smName: "x",
			def:      `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"},"B":{"Type":"Bogus"},"C":{"Type":"Task","End":true}}}`,
			wantCode: "InvalidDefinition",
			wantMsg: []string{"Invalid State Machine Definition: '", "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/A",
				"Unknown state type 'Bogus'. at /States/B/Type", "at /States/C/Resource"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			role := tc.role
			if role == "" {
				role = "arn:aws:iam::123456789012:role/r"
			}
			out, err := h.client.CreateStateMachine(ctx, &sfnsdk.CreateStateMachineInput{Name: aws.String(tc.smName),
				Definition: aws.String(tc.def), RoleArn: aws.String(role), Type: tc.typ})
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("CreateStateMachine: %v", err)
				}
				if tc.smName == "pipeline" && *out.StateMachineArn != arn {
					t.Fatalf("idempotent create returned %s", *out.StateMachineArn)
				}
				return
			}
			if got := apiCode(err); got != tc.wantCode {
				t.Fatalf("error code = %q (%v), want %s", got, err, tc.wantCode)
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(apiMessage(err), m) {
					t.Errorf("message %q lacks %q", apiMessage(err), m)
				}
			}
		})
	}

	d, err := h.client.DescribeStateMachine(ctx, &sfnsdk.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeStateMachine: %v", err)
	}
	if *d.Definition != pipelineDef || d.Type != types.StateMachineTypeStandard || d.Status != types.StateMachineStatusActive || !d.CreationDate.Equal(t0) {
		t.Fatalf("DescribeStateMachine = %+v", d)
	}

	// Pagination of ListStateMachines, one per page.
	var names []string
	var token *string
	for range 5 {
		l, err := h.client.ListStateMachines(ctx, &sfnsdk.ListStateMachinesInput{MaxResults: 1, NextToken: token})
		if err != nil {
			t.Fatalf("ListStateMachines: %v", err)
		}
		for _, sm := range l.StateMachines {
			names = append(names, *sm.Name)
		}
		if token = l.NextToken; token == nil {
			break
		}
	}
	if got := strings.Join(names, ","); got != "cn,fast,pipeline" {
		t.Fatalf("listed %s", got)
	}

	if _, err := h.client.UpdateStateMachine(ctx, &sfnsdk.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(taskDef("double"))}); err != nil {
		t.Fatalf("UpdateStateMachine: %v", err)
	}
	d, _ = h.client.DescribeStateMachine(ctx, &sfnsdk.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if *d.Definition != taskDef("double") {
		t.Fatalf("definition not updated")
	}
	_, err = h.client.UpdateStateMachine(ctx, &sfnsdk.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(`{}`)})
	if apiCode(err) != "InvalidDefinition" {
		t.Fatalf("update with invalid definition: %v", err)
	}
	_, err = h.client.UpdateStateMachine(ctx, &sfnsdk.UpdateStateMachineInput{StateMachineArn: aws.String(arn), RoleArn: aws.String("not-an-arn")})
	if apiCode(err) != "InvalidArn" {
		t.Fatalf("update with a role that is not an ARN: %v", err)
	}

	if _, err := h.client.DeleteStateMachine(ctx, &sfnsdk.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteStateMachine: %v", err)
	}
	_, err = h.client.DescribeStateMachine(ctx, &sfnsdk.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if apiCode(err) != "StateMachineDoesNotExist" {
		t.Fatalf("describe deleted: %v", err)
	}
	_, err = h.client.DescribeStateMachine(ctx, &sfnsdk.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:1:execution:x:y")})
	if apiCode(err) != "InvalidArn" {
		t.Fatalf("describe with execution ARN: %v", err)
	}
}

func TestValidateStateMachineDefinition(t *testing.T) {
	h := newHarness(t, "")
	tests := []struct {
		name   string
		def    string
		result types.ValidateStateMachineDefinitionResultCode
		codes  []string
	}{
		{name: "ok", def: pipelineDef, result: types.ValidateStateMachineDefinitionResultCodeOk},
		{name: "two problems", def: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"},"B":{"Type":"Pass","End":true}}}`,
			result: types.ValidateStateMachineDefinitionResultCodeFail, codes: []string{"MISSING_TRANSITION_TARGET", "SCHEMA_VALIDATION_FAILED"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.client.ValidateStateMachineDefinition(ctxT(t), &sfnsdk.ValidateStateMachineDefinitionInput{Definition: aws.String(tc.def)})
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if out.Result != tc.result || len(out.Diagnostics) != len(tc.codes) {
				t.Fatalf("result %s diagnostics %+v", out.Result, out.Diagnostics)
			}
			for i, d := range out.Diagnostics {
				if *d.Code != tc.codes[i] || d.Severity != types.ValidateStateMachineDefinitionSeverityError || d.Location == nil || *d.Message == "" {
					t.Errorf("diagnostic %d = %+v", i, d)
				}
			}
		})
	}
}

// historyShape renders events as "id:prev:type" for comparison.
func historyShape(evs []types.HistoryEvent) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%d:%d:%s\n", e.Id, e.PreviousEventId, e.Type)
	}
	return b.String()
}

func fullHistory(t *testing.T, h *harness, arn string) []types.HistoryEvent {
	t.Helper()
	out, err := h.client.GetExecutionHistory(ctxT(t), &sfnsdk.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	return out.Events
}

func TestExecutionHistory(t *testing.T) {
	h := newHarness(t, "")
	sm := h.createSM("pipeline", pipelineDef, "")
	// The first state's event has previousEventId 0, as AWS records it.
	head := `1:0:ExecutionStarted
2:0:PassStateEntered
3:2:PassStateExited
4:3:TaskStateEntered
5:4:LambdaFunctionScheduled
6:5:LambdaFunctionStarted
7:6:LambdaFunctionSucceeded
8:7:TaskStateExited
9:8:ChoiceStateEntered
10:9:ChoiceStateExited
`
	tests := []struct {
		name              string
		input             string
		status            types.ExecutionStatus
		output            string
		errName, cause    string
		history           string
		lastDetailsFields []string
	}{
		{name: "succeeds", input: `{"value":21}`, status: types.ExecutionStatusSucceeded, output: `{"value":42}`,
			history: head + "11:10:SucceedStateEntered\n12:11:SucceedStateExited\n13:12:ExecutionSucceeded\n"},
		{name: "fail-state", input: `{"value":60}`, status: types.ExecutionStatusFailed, errName: "TooBig", cause: "value over 100",
			history: head + "11:10:FailStateEntered\n12:11:ExecutionFailed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := h.run(sm, tc.name, tc.input)
			if d.Status != tc.status || aws.ToString(d.Output) != tc.output || aws.ToString(d.Error) != tc.errName || aws.ToString(d.Cause) != tc.cause {
				t.Fatalf("DescribeExecution: status %s output %q error %q cause %q", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
			}
			if *d.Input != tc.input || !d.StartDate.Equal(t0) || d.StopDate == nil || *d.Name != tc.name || *d.StateMachineArn != sm {
				t.Fatalf("DescribeExecution: %+v", d)
			}
			evs := fullHistory(t, h, *d.ExecutionArn)
			if got := historyShape(evs); got != tc.history {
				t.Fatalf("history:\n%s\nwant:\n%s", got, tc.history)
			}
			if evs[0].ExecutionStartedEventDetails == nil || *evs[0].ExecutionStartedEventDetails.Input != tc.input {
				t.Errorf("ExecutionStarted details = %+v", evs[0].ExecutionStartedEventDetails)
			}
			if e := evs[1].StateEnteredEventDetails; e == nil || *e.Name != "Init" {
				t.Errorf("PassStateEntered details = %+v", e)
			}
			if e := evs[4].LambdaFunctionScheduledEventDetails; e == nil || *e.Resource != lambdaARN+"double" {
				t.Errorf("LambdaFunctionScheduled details = %+v", e)
			}
			last := evs[len(evs)-1]
			switch tc.status {
			case types.ExecutionStatusSucceeded:
				if last.ExecutionSucceededEventDetails == nil || *last.ExecutionSucceededEventDetails.Output != tc.output {
					t.Errorf("ExecutionSucceeded details = %+v", last.ExecutionSucceededEventDetails)
				}
			case types.ExecutionStatusFailed:
				if e := last.ExecutionFailedEventDetails; e == nil || *e.Error != tc.errName || *e.Cause != tc.cause {
					t.Errorf("ExecutionFailed details = %+v", e)
				}
			}
			for _, e := range evs {
				if !e.Timestamp.Equal(t0) {
					t.Errorf("event %d timestamp %v", e.Id, e.Timestamp)
				}
			}
			// DescribeStateMachineForExecution gives the definition the execution ran.
			f, err := h.client.DescribeStateMachineForExecution(ctxT(t), &sfnsdk.DescribeStateMachineForExecutionInput{ExecutionArn: d.ExecutionArn})
			if err != nil || *f.Definition != pipelineDef || *f.StateMachineArn != sm {
				t.Fatalf("DescribeStateMachineForExecution: %v", err)
			}
		})
	}
}

func TestLambdaFailure(t *testing.T) {
	h := newHarness(t, "")
	sm := h.createSM("boom", taskDef("boom"), "")
	d := h.run(sm, "e1", `{}`)
	wantCause := `{"errorType":"ImageTooLargeError","errorMessage":"40000000 px exceeds 25000000"}`
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "ImageTooLargeError" {
		t.Fatalf("status %s error %q", d.Status, aws.ToString(d.Error))
	}
	var got, want any
	if json.Unmarshal([]byte(aws.ToString(d.Cause)), &got) != nil || json.Unmarshal([]byte(wantCause), &want) != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cause = %q, want JSON equal to %s", aws.ToString(d.Cause), wantCause)
	}
	evs := fullHistory(t, h, *d.ExecutionArn)
	wantShape := "1:0:ExecutionStarted\n2:0:TaskStateEntered\n3:2:LambdaFunctionScheduled\n4:3:LambdaFunctionStarted\n5:4:LambdaFunctionFailed\n6:5:ExecutionFailed\n"
	if s := historyShape(evs); s != wantShape {
		t.Fatalf("history:\n%s", s)
	}
	if e := evs[4].LambdaFunctionFailedEventDetails; e == nil || *e.Error != "ImageTooLargeError" || *e.Cause != aws.ToString(d.Cause) {
		t.Fatalf("LambdaFunctionFailed details = %+v", e)
	}
	if e := evs[5].ExecutionFailedEventDetails; e == nil || *e.Error != "ImageTooLargeError" || *e.Cause != aws.ToString(d.Cause) {
		t.Fatalf("ExecutionFailed details = %+v", e)
	}
}

func TestStartExecutionErrors(t *testing.T) {
	h := newHarness(t, "")
	sm := h.createSM("wait", taskDef("block"), "")
	running := h.start(sm, "run1", `{"a":1}`)
	first, _ := h.client.DescribeExecution(ctxT(t), &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(running)})
	h.clock.Advance(time.Minute)

	tests := []struct {
		name, smARN, execName string
		input                 *string
		wantCode              string
	}{
		{name: "same name and input while running is idempotent", smARN: sm, execName: "run1", input: aws.String(`{"a":1}`)},
		{name: "same name other input", smARN: sm, execName: "run1", input: aws.String(`{"a":2}`), wantCode: "ExecutionAlreadyExists"},
		{name: "malformed input", smARN: sm, execName: "bad", input: aws.String(`{"a":`), wantCode: "InvalidExecutionInput"},
		{name: "bad name", smARN: sm, execName: "a/b", input: aws.String(`{}`), wantCode: "InvalidName"},
		{name: "unknown state machine", smARN: "arn:aws:states:us-east-1:123456789012:stateMachine:nope", execName: "x", wantCode: "StateMachineDoesNotExist"},
		{name: "not an ARN", smARN: "nope", execName: "x", wantCode: "InvalidArn"},
		{name: "sync on standard", smARN: sm, execName: "sync", wantCode: "StateMachineTypeNotSupported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var arn string
			var start time.Time
			var err error
			if tc.execName == "sync" {
				_, err = h.client.StartSyncExecution(ctxT(t), &sfnsdk.StartSyncExecutionInput{StateMachineArn: aws.String(tc.smARN)})
			} else {
				var out *sfnsdk.StartExecutionOutput
				out, err = h.client.StartExecution(ctxT(t), &sfnsdk.StartExecutionInput{StateMachineArn: aws.String(tc.smARN), Name: aws.String(tc.execName), Input: tc.input})
				if err == nil {
					arn, start = *out.ExecutionArn, *out.StartDate
				}
			}
			if got := apiCode(err); got != tc.wantCode {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.wantCode)
			}
			if tc.wantCode == "" && (arn != running || !start.Equal(*first.StartDate)) {
				t.Fatalf("idempotent start gave %s %v, want %s %v", arn, start, running, *first.StartDate)
			}
		})
	}
	close(h.lambda.block)
	h.wait(running)
	_, err := h.client.StartExecution(ctxT(t), &sfnsdk.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("run1"), Input: aws.String(`{"a":1}`)})
	if apiCode(err) != "ExecutionAlreadyExists" {
		t.Fatalf("reusing a closed execution's name: %v", err)
	}
}

func TestPagination(t *testing.T) {
	h := newHarness(t, "")
	sm := h.createSM("pipeline", pipelineDef, "")
	var want []string
	for i := range 7 {
		h.clock.Advance(time.Second)
		input := `{"value":1}`
		if i%2 == 1 {
			input = `{"value":99}` // fails
		}
		d := h.run(sm, fmt.Sprintf("e%d", i), input)
		want = append([]string{*d.Name}, want...) // newest first
	}
	tests := []struct {
		name   string
		filter types.ExecutionStatus
		want   []string
	}{
		{name: "all", want: want},
		{name: "failed", filter: types.ExecutionStatusFailed, want: []string{"e5", "e3", "e1"}},
		{name: "succeeded", filter: types.ExecutionStatusSucceeded, want: []string{"e6", "e4", "e2", "e0"}},
		{name: "aborted", filter: types.ExecutionStatusAborted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			var token *string
			pages := 0
			for {
				out, err := h.client.ListExecutions(ctxT(t), &sfnsdk.ListExecutionsInput{StateMachineArn: aws.String(sm), MaxResults: 3, NextToken: token, StatusFilter: tc.filter})
				if err != nil {
					t.Fatalf("ListExecutions: %v", err)
				}
				pages++
				if len(out.Executions) > 3 {
					t.Fatalf("page of %d", len(out.Executions))
				}
				for _, x := range out.Executions {
					got = append(got, *x.Name)
				}
				if token = out.NextToken; token == nil {
					break
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("listed %v, want %v", got, tc.want)
			}
			if wantPages := max(1, (len(tc.want)+2)/3); pages != wantPages {
				t.Fatalf("%d pages, want %d", pages, wantPages)
			}
		})
	}
	_, err := h.client.ListExecutions(ctxT(t), &sfnsdk.ListExecutionsInput{StateMachineArn: aws.String(sm), NextToken: aws.String("garbage")})
	if apiCode(err) != "InvalidToken" {
		t.Fatalf("bad token: %v", err)
	}

	// History pages, forwards and backwards, with and without data.
	arn := "arn:aws:states:us-east-1:123456789012:execution:pipeline:e0"
	for _, reverse := range []bool{false, true} {
		var ids []int64
		var token *string
		for {
			out, err := h.client.GetExecutionHistory(ctxT(t), &sfnsdk.GetExecutionHistoryInput{ExecutionArn: aws.String(arn),
				MaxResults: 5, ReverseOrder: reverse, NextToken: token, IncludeExecutionData: aws.Bool(false)})
			if err != nil {
				t.Fatalf("GetExecutionHistory: %v", err)
			}
			for _, e := range out.Events {
				ids = append(ids, e.Id)
				if e.ExecutionStartedEventDetails != nil && e.ExecutionStartedEventDetails.Input != nil {
					t.Errorf("includeExecutionData=false returned input %q", *e.ExecutionStartedEventDetails.Input)
				}
				if e.StateEnteredEventDetails != nil && (e.StateEnteredEventDetails.Name == nil || e.StateEnteredEventDetails.Input != nil) {
					t.Errorf("state entered details %+v", e.StateEnteredEventDetails)
				}
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		if len(ids) != 13 {
			t.Fatalf("reverse=%v: %d events", reverse, len(ids))
		}
		for i, id := range ids {
			want := int64(i + 1)
			if reverse {
				want = int64(13 - i)
			}
			if id != want {
				t.Fatalf("reverse=%v: ids %v", reverse, ids)
			}
		}
	}
}

func TestStopExecution(t *testing.T) {
	h := newHarness(t, "")
	sm := h.createSM("wait", taskDef("block"), "")
	arn := h.start(sm, "s1", `{}`)
	out, err := h.client.StopExecution(ctxT(t), &sfnsdk.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("Operator"), Cause: aws.String("no longer needed")})
	if err != nil || out.StopDate == nil {
		t.Fatalf("StopExecution: %v", err)
	}
	d := h.wait(arn)
	if d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Operator" || aws.ToString(d.Cause) != "no longer needed" {
		t.Fatalf("after stop: %s %q %q", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	evs := fullHistory(t, h, arn)
	last := evs[len(evs)-1]
	if last.Type != types.HistoryEventTypeExecutionAborted || last.ExecutionAbortedEventDetails == nil || *last.ExecutionAbortedEventDetails.Error != "Operator" {
		t.Fatalf("last event %+v", last)
	}
	if d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Fatalf("redrive status %s", d.RedriveStatus)
	}
}

func TestTaskToken(t *testing.T) {
	h := newHarness(t, "")
	def := `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	  "Parameters":{"FunctionName":"callback","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}`
	sm := h.createSM("callback", def, "")
	tests := []struct {
		name           string
		send           func(token string) error
		status         types.ExecutionStatus
		output         string
		errName, cause string
	}{
		{name: "success", status: types.ExecutionStatusSucceeded, output: `{"ok":true}`, send: func(tok string) error {
			_, err := h.client.SendTaskSuccess(ctxT(t), &sfnsdk.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"ok":true}`)})
			return err
		}},
		{name: "failure", status: types.ExecutionStatusFailed, errName: "Rejected", cause: "human said no", send: func(tok string) error {
			if _, err := h.client.SendTaskHeartbeat(ctxT(t), &sfnsdk.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); err != nil {
				return err
			}
			_, err := h.client.SendTaskFailure(ctxT(t), &sfnsdk.SendTaskFailureInput{TaskToken: aws.String(tok), Error: aws.String("Rejected"), Cause: aws.String("human said no")})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arn := h.start(sm, tc.name, `{}`)
			tok := <-h.lambda.tokens
			if tok == "" {
				t.Fatalf("no task token")
			}
			if err := tc.send(tok); err != nil {
				t.Fatalf("send: %v", err)
			}
			d := h.wait(arn)
			if d.Status != tc.status || aws.ToString(d.Output) != tc.output || aws.ToString(d.Error) != tc.errName || aws.ToString(d.Cause) != tc.cause {
				t.Fatalf("got %s %q %q %q", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
			}
			_, err := h.client.SendTaskSuccess(ctxT(t), &sfnsdk.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
			if apiCode(err) != "TaskDoesNotExist" {
				t.Fatalf("second send: %v", err)
			}
		})
	}
	_, err := h.client.SendTaskSuccess(ctxT(t), &sfnsdk.SendTaskSuccessInput{TaskToken: aws.String("x"), Output: aws.String(`{`)})
	if c := apiCode(err); c != "InvalidOutput" && c != "TaskDoesNotExist" {
		t.Fatalf("bad output: %v", err)
	}
}

func TestStartSyncExecution(t *testing.T) {
	h := newHarness(t, "")
	sm := h.createSM("fast", pipelineDef, "EXPRESS")
	tests := []struct {
		input, status, output, errName string
	}{
		{input: `{"value":3}`, status: "SUCCEEDED", output: `{"value":6}`},
		{input: `{"value":300}`, status: "FAILED", errName: "TooBig"},
	}
	for _, tc := range tests {
		t.Run(tc.status, func(t *testing.T) {
			out, err := h.client.StartSyncExecution(ctxT(t), &sfnsdk.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(tc.input)})
			if err != nil {
				t.Fatalf("StartSyncExecution: %v", err)
			}
			if string(out.Status) != tc.status || aws.ToString(out.Output) != tc.output || aws.ToString(out.Error) != tc.errName {
				t.Fatalf("got %s %q %q", out.Status, aws.ToString(out.Output), aws.ToString(out.Error))
			}
		})
	}
}

func TestRedriveExecution(t *testing.T) {
	h := newHarness(t, "")
	def := `{"StartAt":"Prep","States":{"Prep":{"Type":"Pass","Result":"x","ResultPath":"$.prep","Next":"Call"},
	  "Call":{"Type":"Task","Resource":"` + lambdaARN + `flaky","End":true}}}`
	sm := h.createSM("flaky", def, "")
	d := h.run(sm, "r1", `{"n":1}`)
	if d.Status != types.ExecutionStatusFailed {
		t.Fatalf("first run %s", d.Status)
	}
	first := len(fullHistory(t, h, *d.ExecutionArn))
	if _, err := h.client.RedriveExecution(ctxT(t), &sfnsdk.RedriveExecutionInput{ExecutionArn: d.ExecutionArn}); err != nil {
		t.Fatalf("RedriveExecution: %v", err)
	}
	d = h.wait(*d.ExecutionArn)
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"n":1,"prep":"x"}` || d.RedriveCount == nil || *d.RedriveCount != 1 {
		t.Fatalf("after redrive: %s %q %v", d.Status, aws.ToString(d.Output), d.RedriveCount)
	}
	evs := fullHistory(t, h, *d.ExecutionArn)
	r := evs[first]
	if r.Type != types.HistoryEventTypeExecutionRedriven || r.Id != int64(first+1) || r.PreviousEventId != int64(first) ||
		evs[first+1].Type != types.HistoryEventTypeTaskStateEntered || evs[first+1].PreviousEventId != r.Id {
		t.Fatalf("redriven history:\n%s", historyShape(evs))
	}
	_, err := h.client.RedriveExecution(ctxT(t), &sfnsdk.RedriveExecutionInput{ExecutionArn: d.ExecutionArn})
	if apiCode(err) != "ExecutionNotRedrivable" {
		t.Fatalf("redrive of succeeded: %v", err)
	}
}

func TestHistoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("25,000 events")
	}
	h := newHarness(t, "")
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
	  "B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"A"},"Done":{"Type":"Succeed"}}}`
	sm := h.createSM("loop", def, "")
	d := h.run(sm, "forever", `{}`)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "States.Runtime" || !strings.Contains(aws.ToString(d.Cause), "25000") {
		t.Fatalf("got %s %q %q", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	out, err := h.client.GetExecutionHistory(ctxT(t), &sfnsdk.GetExecutionHistoryInput{ExecutionArn: d.ExecutionArn, ReverseOrder: true, MaxResults: 1})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	last := out.Events[0]
	if last.Id != 25000 || last.Type != types.HistoryEventTypeExecutionFailed || *last.ExecutionFailedEventDetails.Error != "States.Runtime" {
		t.Fatalf("last event %d %s", last.Id, last.Type)
	}
	// Page through all 25,000 events (1,000 per page).
	n, pages := 0, 0
	var token *string
	for {
		out, err := h.client.GetExecutionHistory(ctxT(t), &sfnsdk.GetExecutionHistoryInput{ExecutionArn: d.ExecutionArn, MaxResults: 1000, NextToken: token})
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		n += len(out.Events)
		pages++
		if token = out.NextToken; token == nil {
			break
		}
	}
	if n != 25000 || pages != 25 {
		t.Fatalf("%d events in %d pages", n, pages)
	}
}
