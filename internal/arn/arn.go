// Package arn builds and splits the Amazon Resource Names that the engine
// and the local stack hand out, in the formats AWS uses, so that every
// ARN is made in one place. It imports nothing of the project: both
// internal/sfn and internal/local/* use it.
package arn

import "strings"

// ARN is arn:<Partition>:<Service>:<Region>:<Account>:<Resource>.
type ARN struct {
	Partition, Service, Region, Account string
	// Resource is everything after the account, colons included
	// ("stateMachine:sm", "execution:sm:x", "function:f:1").
	Resource string
}

// String renders the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// Parse splits s into its parts; ok is false when s is not
// "arn:" followed by five colon-separated fields.
func Parse(s string) (a ARN, ok bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return ARN{}, false
	}
	return ARN{Partition: p[1], Service: p[2], Region: p[3], Account: p[4], Resource: p[5]}, true
}

// States splits a Step Functions ARN
// (arn:aws:states:<region>:<account>:<kind>:<name>[:<name>...]) into its
// kind ("stateMachine", "execution", "mapRun", ...) and the names after
// it. ok is false for another service's ARN or an empty name.
func States(s string) (a ARN, kind string, names []string, ok bool) {
	a, ok = Parse(s)
	if !ok || a.Service != "states" {
		return ARN{}, "", nil, false
	}
	p := strings.Split(a.Resource, ":")
	if len(p) < 2 {
		return ARN{}, "", nil, false
	}
	for _, n := range p[1:] {
		if n == "" {
			return ARN{}, "", nil, false
		}
	}
	return a, p[0], p[1:], true
}

// StateMachine is arn:aws:states:<region>:<account>:stateMachine:<name>.
func StateMachine(region, account, name string) string {
	return ARN{"aws", "states", region, account, "stateMachine:" + name}.String()
}

// Execution is arn:aws:states:<region>:<account>:execution:<stateMachine>:<name>.
func Execution(region, account, stateMachine, name string) string {
	return ARN{"aws", "states", region, account, "execution:" + stateMachine + ":" + name}.String()
}

// ExecutionOf is the ARN of execution name of the state machine whose ARN
// is smARN, in smARN's partition, region and account. An smARN that is not
// a state machine's is returned with ":"+name appended.
func ExecutionOf(smARN, name string) string {
	return strings.Replace(smARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// MapRun is a distributed Map run's ARN:
// arn:aws:states:<region>:<account>:mapRun:<stateMachine>/<label>:<id>.
func MapRun(region, account, stateMachine, label, id string) string {
	return ARN{"aws", "states", region, account, "mapRun:" + stateMachine + "/" + label + ":" + id}.String()
}

// Function is arn:aws:lambda:<region>:<account>:function:<name>.
func Function(region, account, name string) string {
	return ARN{"aws", "lambda", region, account, "function:" + name}.String()
}

// Topic is arn:aws:sns:<region>:<account>:<name>.
func Topic(region, account, name string) string {
	return ARN{"aws", "sns", region, account, name}.String()
}

// Role is arn:aws:iam::<account>:role/<name>.
func Role(account, name string) string {
	return ARN{"aws", "iam", "", account, "role/" + name}.String()
}

// Name is an ARN's last colon-separated component: a state machine's,
// a function's or an execution's name.
func Name(s string) string { return s[strings.LastIndex(s, ":")+1:] }

// Integration is the resource of a Step Functions service integration's
// action, arn:aws:states:::<service>:<action>, which is also the key
// integrations are registered under.
func Integration(service, action string) string {
	return ARN{"aws", "states", "", "", service + ":" + action}.String()
}
