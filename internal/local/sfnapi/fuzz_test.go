package sfnapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/internal/sfn"
)

// FuzzHandler sends arbitrary operations and bodies: the service must
// answer every one with JSON and never panic.
func FuzzHandler(f *testing.F) {
	for op := range ops {
		f.Add(op, `{}`)
	}
	f.Add("StartExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:fz","input":"{\"a\":"}`)
	f.Add("StartExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:fz","name":"n","input":"[1,2]"}`)
	f.Add("GetExecutionHistory", `{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:fz:n","nextToken":"Zjox","maxResults":-1}`)
	f.Add("ListExecutions", `{"stateMachineArn":"arn:aws:states:::stateMachine:","nextToken":"eDo"}`)
	f.Add("CreateStateMachine", `{"name":"x","definition":"{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Map\"}}}"}`)
	f.Add("SendTaskSuccess", `{"taskToken":"t","output":"{"}`)
	cfg := NewDefaultConfig()
	cfg.DataDir = f.TempDir()
	cfg.RequireSignature = false
	svc, err := New(cfg, engineConfig(sfn.NewFakeClock(t0), newLambdaStub()), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = svc.Close(context.Background()) })
	if _, err := svc.CreateStateMachine(context.Background(), "fz", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "", ""); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", targetPrefix+op)
		w := httptest.NewRecorder()
		svc.ServeHTTP(w, req)
		if ct := w.Header().Get("Content-Type"); ct != contentType || !strings.HasPrefix(strings.TrimSpace(w.Body.String()), "{") {
			t.Fatalf("%s %q: status %d content type %q body %q", op, body, w.Code, ct, w.Body.String())
		}
	})
}
