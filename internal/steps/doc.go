// Package steps holds the handlers of the pipeline's Lambda functions, one
// package per step. Each functions/<step>/main.go only wires a handler's
// dependencies and starts it; the local stack imports the same handlers and
// runs exactly the code that Lambda runs.
package steps
