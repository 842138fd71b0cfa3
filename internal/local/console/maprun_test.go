package console

import (
	"context"
	"strings"
	"testing"
)

// TestMapRunPages: a Distributed Map's execution page links its Map Run;
// the Map Run page shows the counters, the progress bar and the children
// (all, and the failed ones), each linking to its own execution page,
// which links back (EXPRESS children: express:<sm>/<label>:<run>:<name>).
func TestMapRunPages(t *testing.T) {
	env := bootStack(t)
	base, ctx := env.srv.URL, context.Background()
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Each","ItemsPath":"$.xs","ToleratedFailureCount":1,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"F"}],"Default":"S"},
			"F":{"Type":"Fail","Error":"Two","Cause":"two"},"S":{"Type":"Succeed"}}},"End":true}}}`
	smARN, err := env.st.SFN.CreateStateMachine(ctx, "dist", def, "arn:aws:iam::000000000000:role/sfn", "")
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	execARN, _, err := env.st.SFN.StartExecution(ctx, smARN, "e1", `{"xs":[1,2,3]}`)
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	if err := env.st.SFN.WaitExecution(ctx, execARN); err != nil {
		t.Fatalf("WaitExecution: %v", err)
	}
	runs, err := env.st.SFN.ListMapRuns(ctx, execARN)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns: %v %v", err, runs)
	}
	_, body := get(t, base+executionURL(execARN))
	if !strings.Contains(body, `href="`+strings.ReplaceAll(mapRunURL(runs[0].ARN), "&", "&amp;")) || !strings.Contains(body, "2 of 3 items") && !strings.Contains(body, "3 of 3 items") {
		t.Fatalf("execution page does not link its Map Run:\n%s", body)
	}
	resp, body := get(t, base+mapRunURL(runs[0].ARN))
	if resp.StatusCode != 200 || !strings.Contains(body, `id="maprun-progress" max="3" value="3"`) || !strings.Contains(body, "Failed (1)") {
		t.Fatalf("map run page %d:\n%s", resp.StatusCode, body)
	}
	_, failed := get(t, base+mapRunURL(runs[0].ARN)+"&status=FAILED")
	if n := strings.Count(failed, `href="/executions/dist%2FEach/`); n != 1 {
		t.Fatalf("%d failed children listed, want 1:\n%s", n, failed)
	}
	i := strings.Index(failed, `href="/executions/dist%2FEach/`)
	childURL := failed[i+len(`href="`):]
	childURL = childURL[:strings.IndexByte(childURL, '"')]
	resp, child := get(t, base+childURL)
	if resp.StatusCode != 200 || !strings.Contains(child, `id="parent-map-run"`) || !strings.Contains(child, "FAILED") {
		t.Fatalf("child page %s %d:\n%s", childURL, resp.StatusCode, child)
	}
}
