package pipelineerr

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// typeName mirrors how aws-lambda-go names an error for Step Functions.
func typeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

func TestBoundaryKeepsTypeNames(t *testing.T) {
	plain := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "wrapped rejection", err: fmt.Errorf("validate: %w", Reject(ReasonNotAnImage, "starts with %q", "hello")), want: "ImageRejectedError"},
		{name: "wrapped storage", err: fmt.Errorf("resize: %w", &StorageError{Op: "get", URI: "s3://b/k", Err: plain}), want: "StorageError"},
		{name: "wrapped publish", err: fmt.Errorf("notify: %w", &PublishError{Topic: "arn:t", Err: plain}), want: "PublishError"},
		{name: "wrapped config", err: fmt.Errorf("x: %w", &ConfigError{Err: plain}), want: "ConfigError"},
		{name: "other stays as is", err: plain, want: "errorString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := typeName(Boundary(tt.err)); got != tt.want {
				t.Errorf("type name = %q, want %q", got, tt.want)
			}
		})
	}
	if Boundary(nil) != nil {
		t.Error("Boundary(nil) != nil")
	}
}

func TestReasonTexts(t *testing.T) {
	for _, r := range []Reason{ReasonEmpty, ReasonNotAnImage, ReasonUnsupportedFormat, ReasonTooManyBytes,
		ReasonTooManyPixels, ReasonTooLongSide, ReasonCorruptHeader, ReasonCorruptImage, ReasonSourceMissing, ReasonSourceChanged, ReasonInvalidInput, ReasonKeyTooLong} {
		if r.Summary() == "rejected" {
			t.Errorf("%s has no summary", r)
		}
		if r.Advice() == Reason("").Advice() {
			t.Errorf("%s has no advice", r)
		}
	}
	if got := Reject(ReasonNotAnImage, "text").Error(); got != "NotAnImage: text" {
		t.Errorf("Error() = %q", got)
	}
}
