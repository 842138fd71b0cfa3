// Command fn is the test function of the runtimeapi tests: a real
// aws-lambda-go program whose behaviour each invocation picks.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// ImageRejectedError is a typed error: the runtime reports its name.
type ImageRejectedError struct{ Reason string }

func (e *ImageRejectedError) Error() string { return "rejected: " + e.Reason }

type request struct {
	Do  string `json:"do"`
	Say string `json:"say"`
	URL string `json:"url"`
}

type response struct {
	Said      string            `json:"said"`
	PID       int               `json:"pid"`
	RequestID string            `json:"requestId"`
	ARN       string            `json:"arn"`
	Deadline  int64             `json:"deadline"`
	Env       map[string]string `json:"env"`
}

func handler(ctx context.Context, in request) (*response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	switch in.Do {
	case "reject":
		return nil, &ImageRejectedError{Reason: in.Say}
	case "panic":
		panic("boom")
	case "exit":
		fmt.Println("fn: exiting mid-invocation")
		os.Exit(2)
	case "sleep":
		time.Sleep(time.Hour)
	case "print":
		fmt.Println(in.Say)
	case "barrier": // returns once the test has seen enough invocations at once
		resp, err := http.Get(in.URL)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
	}
	dl, _ := ctx.Deadline()
	env := map[string]string{}
	for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
		"AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT", "CUSTOM", "HOME", "_X_AMZN_TRACE_ID"} {
		env[k] = os.Getenv(k)
	}
	wd, _ := os.Getwd()
	env["PWD"] = wd
	return &response{Said: in.Say, PID: os.Getpid(), RequestID: lc.AwsRequestID, ARN: lc.InvokedFunctionArn,
		Deadline: dl.UnixMilli(), Env: env}, nil
}

func main() {
	fmt.Println("fn: init")
	switch os.Getenv("FAIL_INIT") {
	case "exit":
		fmt.Fprintln(os.Stderr, "fn: cannot start")
		os.Exit(1)
	case "post":
		body := `{"errorMessage":"bad configuration","errorType":"Runtime.ConfigInvalid"}`
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigInvalid")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		time.Sleep(time.Hour) // the pool stops it
	}
	lambda.Start(handler)
}
