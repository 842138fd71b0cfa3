package console

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// mapDef is a Map over $.items whose item 3 goes to a Fail state; one
// failed item is tolerated.
const mapDef = `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"ToleratedFailureCount":1,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Check","States":{
  "Check":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":3,"Next":"Bad"}],"Default":"Ok"},
  "Bad":{"Type":"Fail","Error":"BadItem","Cause":"item 3 is bad"},
  "Ok":{"Type":"Pass","End":true}}},"End":true}}}`

// TestOtherStateMachines creates a state machine that is not the stack's
// through the Step Functions API: the console lists it beside the
// pipeline's with its executions, and shows them. A Map with a failed
// iteration reads "3 of 4 succeeded, 1 failed", naming the iteration, the
// state, the error and its event. A Map that fails says which items never
// ran; its failure is not one the workload knows, so Redrive is offered.
func TestOtherStateMachines(t *testing.T) {
	env := bootStack(t)
	base := env.srv.URL
	ctx := context.Background()
	client := sfn.NewFromConfig(env.awsConfig())
	created, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("items"), Definition: aws.String(mapDef),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/items")})
	if err != nil {
		t.Fatal(err)
	}
	var execs []string
	for _, in := range []struct{ name, input string }{{"good", `{"items":[1,2,4]}`}, {"tolerated", `{"items":[1,2,3,4]}`}, {"bad", `{"items":[3,3,1]}`}} {
		out, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: created.StateMachineArn, Name: aws.String(in.name), Input: aws.String(in.input)})
		if err != nil {
			t.Fatal(err)
		}
		execs = append(execs, aws.ToString(out.ExecutionArn))
	}
	for _, arn := range execs {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := env.st.SFN.WaitExecution(wctx, arn)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	pipeline := arnName(env.st.Resources.StateMachines[0])

	pages := []struct {
		name, path string
		want       []string
	}{
		{"list offers every state machine", "/executions", []string{`data-sm="items"`, `aria-current="page">` + pipeline}},
		{"its executions", "/executions?sm=items", []string{`data-name="good"`, `data-name="tolerated"`, `data-name="bad"`, `data-status="SUCCEEDED"`,
			`data-status="FAILED"`, `href="/state-machine?sm=items"`, "1–3 of 3", `data-sm="` + pipeline + `"`}},
		{"its failed executions", "/executions?sm=items&status=FAILED", []string{`data-name="bad"`, "1–1 of 1"}},
		{"search keeps the state machine", "/executions?sm=items&q=goo", []string{`data-name="good"`, "1–1 of 1"}},
		{"its definition", "/state-machine?sm=items", []string{"<h1>items</h1>", `data-state="Each"`, `data-sm="` + pipeline + `"`}},
		{"a succeeded execution", "/executions/items/good", []string{`data-state="Each"`, "3 of 3 succeeded", "ExecutionSucceeded"}},
		{"a failed iteration", "/executions/items/tolerated", []string{
			"Map · 3 of 4 succeeded, 1 failed", `<dd class="iter-text">3 of 4 succeeded, 1 failed</dd>`,
			`data-iteration="2"`, "Iteration 2 failed", "BadItem", `data-select-state="Bad"`, "item 3 is bad",
			`data-open-event="`, `<tr id="event-`}},
		{"a failed Map", "/executions/items/bad", []string{"Map · 0 of 3 succeeded, 2 failed, 1 not run",
			`data-iteration="0"`, `data-iteration="1"`, "States.ExceedToleratedFailureThreshold", `action="/executions/items/bad/redrive"`}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			resp, body := get(t, base+p.path)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d\n%s", p.path, resp.StatusCode, body)
			}
			for _, w := range p.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: missing %q", p.path, w)
				}
			}
		})
	}
	t.Run("the iteration links to its event", func(t *testing.T) {
		_, body := get(t, base+"/executions/items/tolerated")
		i := strings.Index(body, `data-open-event="`)
		id := body[i+len(`data-open-event="`):]
		id = id[:strings.IndexByte(id, '"')]
		row := body[strings.Index(body, `<tr id="event-`+id+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, "FailStateEntered") {
			t.Errorf("event %s is not the Fail state's entry: %s", id, row)
		}
	})
	t.Run("redrive is offered and runs", func(t *testing.T) {
		code, loc := post(t, base+"/executions/items/bad/redrive")
		if code != 303 || !strings.Contains(loc, "msg=redriven") {
			t.Fatalf("redrive: %d %q", code, loc)
		}
	})
	t.Run("a deleted state machine's executions stay readable", func(t *testing.T) {
		if _, err := client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: created.StateMachineArn}); err != nil {
			t.Fatal(err)
		}
		if resp, body := get(t, base+"/executions/items/good"); resp.StatusCode != 200 || !strings.Contains(body, "3 of 3 succeeded") {
			t.Fatalf("after delete: %d", resp.StatusCode)
		}
		if _, body := get(t, base+"/executions"); strings.Contains(body, `data-sm="items"`) {
			t.Error("the deleted state machine is still offered")
		}
		if resp, _ := get(t, base+"/executions/"+url.PathEscape("no-such-machine")+"/x"); resp.StatusCode != 404 {
			t.Errorf("unknown state machine: %d", resp.StatusCode)
		}
	})
}
