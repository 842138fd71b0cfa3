package sfn

import (
	"errors"
	"fmt"
	"strings"
)

// Error names raised by the interpreter (ASL "States.*" errors).
const (
	ErrALL                             = "States.ALL"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
	ErrRuntime                         = "States.Runtime"
	ErrTimeout                         = "States.Timeout"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrPermissions                     = "States.Permissions"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrParameterPathFailure            = "States.ParameterPathFailure"
	ErrBranchFailed                    = "States.BranchFailed"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrIntrinsicFailure                = "States.IntrinsicFailure"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrQueryEvaluationError            = "States.QueryEvaluationError"
)

// StatesError is a failure inside an execution: an ASL error name and a
// cause text, as they appear in history events and Catch outputs.
type StatesError struct {
	Name  string
	Cause string
	// HasCause is false when the failure carries no cause at all (a Fail
	// state without Cause), which AWS reports as an absent field.
	HasCause bool
	// NoName is set when the failure carries no error name (a Fail state
	// without Error), which AWS reports as an absent field.
	NoName bool
	// evalFailed marks a query evaluation failure, which the lifecycle
	// of state (the state it was raised in) records as an
	// EvaluationFailed event; location names the failing field.
	evalFailed bool
	location   string
	state      *State
}

func (e *StatesError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

func newErr(name, cause string) *StatesError {
	return &StatesError{Name: name, Cause: cause, HasCause: true}
}

func newErrf(name, format string, args ...any) *StatesError {
	return newErr(name, fmt.Sprintf(format, args...))
}

// TaskError is returned by integrations to fail a task with an error
// name and cause, as a Lambda function reports them.
type TaskError struct {
	Err   string
	Cause string
}

func (e *TaskError) Error() string { return e.Err + ": " + e.Cause }

// asStatesError converts any error into a StatesError.
func asStatesError(err error) *StatesError {
	var se *StatesError
	if errors.As(err, &se) {
		return se
	}
	var te *TaskError
	if errors.As(err, &te) {
		return &StatesError{Name: te.Err, Cause: te.Cause, HasCause: true}
	}
	return newErr(ErrRuntime, err.Error())
}

// errorMatches implements ErrorEquals matching for one error name.
func errorMatches(equals []string, name string) bool {
	for _, e := range equals {
		switch {
		case e == name:
			return true
		case e == ErrALL:
			// States.ALL matches every error except the terminal ones.
			return name != ErrRuntime
		case e == ErrTaskFailed:
			// States.TaskFailed matches any error except States.Timeout.
			return !strings.HasPrefix(name, "States.") || name == ErrTaskFailed
		}
	}
	return false
}

// stateFailure builds the runtime cause prefix AWS uses for state errors.
func stateCause(state string, enteredID int64, msg string) string {
	return fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", state, enteredID, msg)
}
