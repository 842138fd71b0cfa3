package sfnapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
)

func TestRequestChecks(t *testing.T) {
	h := newHarness(t, "")
	sig := "AWS4-HMAC-SHA256 Credential=test/20260102/%s/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	tests := []struct {
		name       string
		auth       string
		target     string
		body       string
		status     int
		code       string
		msgContain string
	}{
		{name: "unsigned", target: "AWSStepFunctions.ListStateMachines", body: "{}", status: 403, code: "MissingAuthenticationTokenException"},
		{name: "other region", auth: strings.Replace(sig, "%s", "eu-west-1", 1), target: "AWSStepFunctions.ListStateMachines", body: "{}",
			status: 403, code: "InvalidSignatureException", msgContain: "Credential should be scoped to a valid region, not 'eu-west-1'"},
		{name: "other service", auth: strings.Replace(strings.Replace(sig, "%s", "us-east-1", 1), "/states/", "/sns/", 1), target: "AWSStepFunctions.ListStateMachines",
			body: "{}", status: 403, code: "InvalidSignatureException"},
		{name: "malformed authorization", auth: "AWS4-HMAC-SHA256 Credential=x", target: "AWSStepFunctions.ListStateMachines", body: "{}", status: 400, code: "IncompleteSignatureException"},
		{name: "unknown operation", auth: strings.Replace(sig, "%s", "us-east-1", 1), target: "AWSStepFunctions.Frobnicate", body: "{}", status: 400, code: "UnknownOperationException"},
		{name: "not json", auth: strings.Replace(sig, "%s", "us-east-1", 1), target: "AWSStepFunctions.ListStateMachines", body: "{", status: 400, code: "SerializationException"},
		{name: "too large", auth: strings.Replace(sig, "%s", "us-east-1", 1), target: "AWSStepFunctions.CreateStateMachine",
			body: `{"name":"x","definition":"` + strings.Repeat("a", 3<<20) + `"}`, status: 413, code: "ValidationException"},
		{name: "signed", auth: strings.Replace(sig, "%s", "us-east-1", 1), target: "AWSStepFunctions.ListStateMachines", body: "{}", status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, h.srv.URL+"/", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("X-Amz-Target", tc.target)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tc.status || body["__type"] != tc.code || resp.Header.Get("X-Amzn-Errortype") != tc.code ||
				!strings.Contains(body["message"], tc.msgContain) {
				t.Fatalf("status %d body %v header %q", resp.StatusCode, body, resp.Header.Get("X-Amzn-Errortype"))
			}
		})
	}
	// The SDK signing for another region gets the same answer.
	_, err := newClient(h.srv, "eu-west-1").ListStateMachines(ctxT(t), &sfnsdk.ListStateMachinesInput{})
	if apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("SDK with eu-west-1: %v", err)
	}
	_, err = h.client.ListStateMachines(ctxT(t), &sfnsdk.ListStateMachinesInput{MaxResults: 5000})
	if apiCode(err) != "ValidationException" {
		t.Fatalf("maxResults 5000: %v", err)
	}
}
