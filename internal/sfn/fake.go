package sfn

import (
	"context"
	"encoding/json"
)

// FakeLambda is a LambdaInvoker for tests.
type FakeLambda struct {
	InvokeFunc func(ctx context.Context, function string, payload []byte) (*LambdaResponse, error)
}

var _ LambdaInvoker = (*FakeLambda)(nil)

// Invoke implements LambdaInvoker.
func (f *FakeLambda) Invoke(ctx context.Context, function string, payload []byte) (*LambdaResponse, error) {
	return f.InvokeFunc(ctx, function, payload)
}

// FakeSNS is an SNSPublisher for tests.
type FakeSNS struct {
	PublishFunc func(ctx context.Context, input map[string]any) (string, error)
}

var _ SNSPublisher = (*FakeSNS)(nil)

// Publish implements SNSPublisher.
func (f *FakeSNS) Publish(ctx context.Context, input map[string]any) (string, error) {
	return f.PublishFunc(ctx, input)
}

var _ Integration = IntegrationFunc(nil)

// LambdaErrorResponse builds the response of a function that raised
// errorType with message, as the Lambda runtime reports it.
func LambdaErrorResponse(errorType, message string) *LambdaResponse {
	b, _ := json.Marshal(map[string]any{"errorType": errorType, "errorMessage": message})
	return &LambdaResponse{Payload: b, FunctionError: "Unhandled"}
}
