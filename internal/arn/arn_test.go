package arn

import (
	"slices"
	"testing"
)

func TestBuild(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"state machine", StateMachine("us-east-1", "000000000000", "sm"), "arn:aws:states:us-east-1:000000000000:stateMachine:sm"},
		{"execution", Execution("us-east-1", "000000000000", "sm", "x"), "arn:aws:states:us-east-1:000000000000:execution:sm:x"},
		{"execution of", ExecutionOf("arn:aws:states:us-east-1:000000000000:stateMachine:sm", "x"), "arn:aws:states:us-east-1:000000000000:execution:sm:x"},
		{"integration", Integration("lambda", "invoke"), "arn:aws:states:::lambda:invoke"},
		{"map run", MapRun("us-east-1", "1", "sm", "M", "u"), "arn:aws:states:us-east-1:1:mapRun:sm/M:u"},
		{"function", Function("eu-west-1", "1", "f"), "arn:aws:lambda:eu-west-1:1:function:f"},
		{"topic", Topic("eu-west-1", "1", "t"), "arn:aws:sns:eu-west-1:1:t"},
		{"role", Role("1", "r"), "arn:aws:iam::1:role/r"},
		{"name", Name("arn:aws:states:us-east-1:1:stateMachine:sm"), "sm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestStates(t *testing.T) {
	tests := []struct {
		name, in, kind string
		names          []string
		ok             bool
	}{
		{"execution", "arn:aws:states:us-east-1:1:execution:sm:x", "execution", []string{"sm", "x"}, true},
		{"state machine", "arn:aws-cn:states:cn-north-1:1:stateMachine:sm", "stateMachine", []string{"sm"}, true},
		{"round trip", Execution("r", "1", "sm", "x"), "execution", []string{"sm", "x"}, true},
		{"other service", "arn:aws:lambda:us-east-1:1:function:f", "", nil, false},
		{"empty name", "arn:aws:states:us-east-1:1:execution:sm:", "", nil, false},
		{"no name", "arn:aws:states:us-east-1:1:stateMachine", "", nil, false},
		{"not an arn", "states:us-east-1:1:stateMachine:sm", "", nil, false},
		{"too short", "arn:aws:states", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, kind, names, ok := States(tt.in)
			if ok != tt.ok || kind != tt.kind || !slices.Equal(names, tt.names) {
				t.Fatalf("States(%q) = %q %q %v, want %q %q %v", tt.in, kind, names, ok, tt.kind, tt.names, tt.ok)
			}
			if ok && a.String() != tt.in {
				t.Fatalf("String() = %q, want %q", a.String(), tt.in)
			}
		})
	}
}
