package sfnapi

import (
	"errors"
	"fmt"
	"net/http"
)

// APIError is an error as the Step Functions JSON protocol returns it:
// an HTTP status, an error code ("__type" and x-amzn-ErrorType) and a
// public message.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes used here (the SDK's sfn/types names without "Exception"
// where AWS omits it).
const (
	codeInvalidArn                   = "InvalidArn"
	codeInvalidName                  = "InvalidName"
	codeInvalidDefinition            = "InvalidDefinition"
	codeInvalidExecutionInput        = "InvalidExecutionInput"
	codeInvalidOutput                = "InvalidOutput"
	codeInvalidToken                 = "InvalidToken"
	codeStateMachineAlreadyExists    = "StateMachineAlreadyExists"
	codeStateMachineDoesNotExist     = "StateMachineDoesNotExist"
	codeStateMachineTypeNotSupported = "StateMachineTypeNotSupported"
	codeExecutionAlreadyExists       = "ExecutionAlreadyExists"
	codeExecutionDoesNotExist        = "ExecutionDoesNotExist"
	codeExecutionNotRedrivable       = "ExecutionNotRedrivable"
	codeTaskDoesNotExist             = "TaskDoesNotExist"
	codeMissingRequiredParameter     = "MissingRequiredParameter"
	codeValidation                   = "ValidationException"
	codeSerialization                = "SerializationException"
	codeUnknownOperation             = "UnknownOperationException"
	codeMissingAuth                  = "MissingAuthenticationTokenException"
	codeIncompleteSignature          = "IncompleteSignatureException"
	codeInvalidSignature             = "InvalidSignatureException"
	codeServiceUnavailable           = "ServiceUnavailable"
	codeInternalFailure              = "InternalFailure"
)

// asAPIError maps any error to the API error the client sees; internal
// details stay in the log.
func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return &APIError{Status: http.StatusInternalServerError, Code: codeInternalFailure, Message: "internal failure"}
}
