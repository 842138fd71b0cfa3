package awsid

import (
	"regexp"
	"testing"
)

func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		gen  func() string
		re   string
	}{
		{"UUID", UUID, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"LambdaRequestID", LambdaRequestID, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`},
		{"Hex", func() string { return Hex(8) }, `^[0-9a-f]{16}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re := regexp.MustCompile(tt.re)
			seen := map[string]bool{}
			for range 100 {
				id := tt.gen()
				if !re.MatchString(id) {
					t.Fatalf("%q does not match %s", id, tt.re)
				}
				if seen[id] {
					t.Fatalf("%q repeated", id)
				}
				seen[id] = true
			}
		})
	}
}

func TestARNs(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"state machine", StateMachineARN("us-east-1", "000000000000", "sm"), "arn:aws:states:us-east-1:000000000000:stateMachine:sm"},
		{"execution", ExecutionARN("us-east-1", "000000000000", "sm", "x"), "arn:aws:states:us-east-1:000000000000:execution:sm:x"},
		{"execution of", ExecutionARNOf("arn:aws:states:us-east-1:000000000000:stateMachine:sm", "x"), "arn:aws:states:us-east-1:000000000000:execution:sm:x"},
		{"function", FunctionARN("eu-west-1", "1", "f"), "arn:aws:lambda:eu-west-1:1:function:f"},
		{"topic", TopicARN("eu-west-1", "1", "t"), "arn:aws:sns:eu-west-1:1:t"},
		{"role", RoleARN("1", "r"), "arn:aws:iam::1:role/r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
