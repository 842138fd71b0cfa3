package awsid

import "github.com/imgflow/imgflow/internal/arn"

// The ARN formats live in internal/arn, which the engine (internal/sfn)
// shares; these are the local stack's names for them.

// StateMachineARN is arn:aws:states:<region>:<account>:stateMachine:<name>.
func StateMachineARN(region, account, name string) string {
	return arn.StateMachine(region, account, name)
}

// ExecutionARN is arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>.
func ExecutionARN(region, account, stateMachine, name string) string {
	return arn.Execution(region, account, stateMachine, name)
}

// ExecutionARNOf is the ARN of execution name of the state machine whose
// ARN is smARN (ExecutionARN without splitting smARN first). An smARN
// that is not a state machine's is returned with ":"+name appended.
func ExecutionARNOf(smARN, name string) string { return arn.ExecutionOf(smARN, name) }

// FunctionARN is arn:aws:lambda:<region>:<account>:function:<name>.
func FunctionARN(region, account, name string) string { return arn.Function(region, account, name) }

// TopicARN is arn:aws:sns:<region>:<account>:<name>.
func TopicARN(region, account, name string) string { return arn.Topic(region, account, name) }

// RoleARN is arn:aws:iam::<account>:role/<name>.
func RoleARN(account, name string) string { return arn.Role(account, name) }
