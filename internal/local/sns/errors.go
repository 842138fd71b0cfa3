package sns

import (
	"fmt"
	"net/http"
)

// APIError is an error SNS reports to its caller: an HTTP status, the SNS
// error code (the SDK maps it to a typed exception) and a public message.
type APIError struct {
	Status  int
	Code    string
	Message string // public: sent to the client
	Err     error  // internal cause, logged, never sent
}

// Error implements error.
func (e *APIError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("sns: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("sns: %s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *APIError) Unwrap() error { return e.Err }

// faultType is the Error/Type of SNS's ErrorResponse: Sender for 4xx, Receiver for 5xx.
func (e *APIError) faultType() string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func newAPIError(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func errInvalidParameter(format string, args ...any) *APIError {
	return newAPIError(http.StatusBadRequest, "InvalidParameter", format, args...)
}

func errInvalidParameterValue(format string, args ...any) *APIError {
	return newAPIError(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

func errNotFound(format string, args ...any) *APIError {
	return newAPIError(http.StatusNotFound, "NotFound", format, args...)
}

func errValidation(field string) *APIError {
	return newAPIError(http.StatusBadRequest, "ValidationError",
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

var (
	errTopicNotFound        = errNotFound("Topic does not exist")
	errSubscriptionNotFound = errNotFound("Subscription does not exist")
	errMissingAuth          = newAPIError(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	errInvalidToken         = errInvalidParameter("Invalid token")
	errClosed               = newAPIError(http.StatusServiceUnavailable, "ServiceUnavailable", "the SNS service is shutting down")
)

func errInternal(err error) *APIError {
	return &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure",
		Message: "The request processing has failed because of an unknown error, exception or failure.", Err: err}
}
