package logx

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.uber.org/zap/zapcore"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    zapcore.Level
		wantErr bool
	}{
		{name: "empty is info", in: "", want: zapcore.InfoLevel},
		{name: "debug", in: "debug", want: zapcore.DebugLevel},
		{name: "upper case", in: "WARN", want: zapcore.WarnLevel},
		{name: "unknown", in: "verbose", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForInvocationFields(t *testing.T) {
	var buf bytes.Buffer
	base := New(&buf, zapcore.InfoLevel)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ForInvocation(ctx, base, "arn:exec", "uploads/a.jpg").Info("hello")
	ForInvocation(context.Background(), base, "", "").Debug("dropped below level")

	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
	}
	want := map[string]string{KeyRequestID: "req-1", KeyExecutionARN: "arn:exec", KeySourceKey: "uploads/a.jpg", "message": "hello", "level": "info"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %q", k, line[k], v)
		}
	}
}
