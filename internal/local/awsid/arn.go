package awsid

import "strings"

// StateMachineARN is arn:aws:states:<region>:<account>:stateMachine:<name>.
func StateMachineARN(region, account, name string) string {
	return "arn:aws:states:" + region + ":" + account + ":stateMachine:" + name
}

// ExecutionARN is arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>.
func ExecutionARN(region, account, stateMachine, name string) string {
	return "arn:aws:states:" + region + ":" + account + ":execution:" + stateMachine + ":" + name
}

// ExecutionARNOf is the ARN of execution name of the state machine whose
// ARN is smARN (ExecutionARN without splitting smARN first). An smARN
// that is not a state machine's is returned with ":"+name appended.
func ExecutionARNOf(smARN, name string) string {
	return strings.Replace(smARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// FunctionARN is arn:aws:lambda:<region>:<account>:function:<name>.
func FunctionARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}

// TopicARN is arn:aws:sns:<region>:<account>:<name>.
func TopicARN(region, account, name string) string {
	return "arn:aws:sns:" + region + ":" + account + ":" + name
}

// RoleARN is arn:aws:iam::<account>:role/<name>.
func RoleARN(account, name string) string {
	return "arn:aws:iam::" + account + ":role/" + name
}
