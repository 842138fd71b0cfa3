// Package pipelineerr holds the errors that cross the Lambda boundary.
//
// The Lambda Go runtime reports an error's Go type name as its errorType, and
// Step Functions matches Retry and Catch on that name. So these types are
// returned unwrapped from handlers (see Boundary) and their names are part of
// the state machine's contract: renaming one is a breaking change to
// statemachine/pipeline.asl.json.
package pipelineerr

import (
	"errors"
	"fmt"
)

// Reason says why an image was rejected. The values are stable: subscribers
// filter on them and the notify step turns them into advice.
type Reason string

// The reasons an upload is rejected.
const (
	ReasonEmpty             Reason = "EmptyObject"
	ReasonNotAnImage        Reason = "NotAnImage"
	ReasonUnsupportedFormat Reason = "UnsupportedFormat"
	ReasonTooManyBytes      Reason = "TooManyBytes"
	ReasonTooManyPixels     Reason = "TooManyPixels"
	ReasonCorruptHeader     Reason = "CorruptHeader"
	ReasonCorruptImage      Reason = "CorruptImage"
	ReasonSourceMissing     Reason = "SourceMissing"
	ReasonSourceChanged     Reason = "SourceChanged"
	// ReasonInvalidInput is an execution input the pipeline cannot read:
	// not a JSON object, or without a bucket and key. Only an execution
	// started by hand can have one; the trigger always sends a good one.
	ReasonInvalidInput Reason = "InvalidInput"
	// ReasonKeyTooLong is a key whose output keys would pass S3's limit of
	// 1024 bytes once the output prefix and escaping are added.
	ReasonKeyTooLong Reason = "KeyTooLong"
	// ReasonTooLongSide is a width or height over MaxSide: a 100,000,000×1
	// image is within MaxPixels, but every row of it is 100 MB.
	ReasonTooLongSide Reason = "TooLongSide"
)

// Summary is a short lower-case phrase for an email subject line.
func (r Reason) Summary() string {
	switch r {
	case ReasonEmpty:
		return "empty file"
	case ReasonNotAnImage:
		return "not an image"
	case ReasonUnsupportedFormat:
		return "unsupported image format"
	case ReasonTooManyBytes:
		return "file too large"
	case ReasonTooManyPixels:
		return "image dimensions too large"
	case ReasonTooLongSide:
		return "image too long or too narrow"
	case ReasonCorruptHeader, ReasonCorruptImage:
		return "corrupt image"
	case ReasonSourceMissing:
		return "original no longer exists"
	case ReasonSourceChanged:
		return "original changed during processing"
	case ReasonInvalidInput:
		return "invalid execution input"
	case ReasonKeyTooLong:
		return "file name too long"
	}
	return "rejected"
}

// Advice tells the uploader what to do about a rejection.
func (r Reason) Advice() string {
	switch r {
	case ReasonEmpty:
		return "The upload had no content. Upload the file again; check that the copy finished before it was uploaded."
	case ReasonNotAnImage:
		return "The file's bytes are not an image, whatever its name says. Upload a JPEG, PNG, GIF, WebP or HEIC file."
	case ReasonUnsupportedFormat:
		return "Convert the image to JPEG, PNG, GIF, WebP or HEIC and upload it again."
	case ReasonTooManyBytes:
		return "Reduce the file size (re-export at a lower quality or resolution), or raise the MaxBytes parameter of the stack."
	case ReasonTooManyPixels:
		return "Reduce the image's dimensions, or raise the MaxPixels parameter of the stack if such images are expected."
	case ReasonTooLongSide:
		return "Reduce the image's longer side (split a very long panorama or strip into parts), or raise the MaxSide parameter of the stack if such images are expected."
	case ReasonCorruptHeader, ReasonCorruptImage:
		return "The file is damaged or was cut short during upload. Upload it again from the original."
	case ReasonSourceMissing:
		return "The original was deleted before it could be processed. Upload it again if it is still needed."
	case ReasonSourceChanged:
		return "The original was overwritten while it was processed; the newer upload has its own run."
	case ReasonInvalidInput:
		return `Start the execution with a JSON object naming the original, e.g. {"bucket": "<upload bucket>", "key": "uploads/photo.jpg"} ("versionId" is optional), or upload the file and let the trigger start it.`
	case ReasonKeyTooLong:
		return "Upload the file under a shorter name or folder path: the output keys add the output prefix and escape some characters, and S3 keys are limited to 1024 bytes."
	}
	return "Check the error below, fix the file and upload it again."
}

// ImageRejectedError means the input itself is unusable. Retrying cannot help,
// so the state machine catches it without retrying and notifies the uploader.
type ImageRejectedError struct {
	Reason Reason
	Detail string
}

// Reject returns an *ImageRejectedError with a formatted detail.
func Reject(reason Reason, format string, args ...any) *ImageRejectedError {
	return &ImageRejectedError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func (e *ImageRejectedError) Error() string {
	if e.Detail == "" {
		return string(e.Reason)
	}
	return string(e.Reason) + ": " + e.Detail
}

// StorageError is a failure to talk to S3 that may pass (throttling, a 5xx,
// a network fault). The state machine retries it with backoff.
type StorageError struct {
	Op  string // "get", "put", "head"
	URI string // s3://bucket/key
	Err error
}

func (e *StorageError) Error() string { return e.Op + " " + e.URI + ": " + e.Err.Error() }
func (e *StorageError) Unwrap() error { return e.Err }

// ConfigError means the function is deployed with bad settings. Retrying
// cannot help; the execution fails and the operator is notified.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return "configuration: " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Boundary prepares err for return from a Lambda handler: a typed error
// wrapped anywhere in err's chain is returned itself, so the runtime reports
// its type name instead of "wrapError". Any context wrapped around it is
// dropped: the runtime's errorMessage is the typed error's own Error(), so
// what the operator needs (a StorageError's Op and URI, a rejection's Detail)
// must be in its fields. An untyped err is returned as it is.
func Boundary(err error) error {
	if err == nil {
		return nil
	}
	var rejected *ImageRejectedError
	if errors.As(err, &rejected) {
		return rejected
	}
	var storage *StorageError
	if errors.As(err, &storage) {
		return storage
	}
	var publish *PublishError
	if errors.As(err, &publish) {
		return publish
	}
	var cfg *ConfigError
	if errors.As(err, &cfg) {
		return cfg
	}
	return err
}

// PublishError is a failure to publish a notification that may pass
// (throttling, a 5xx). The state machine retries it with backoff.
type PublishError struct {
	Topic string
	Err   error
}

func (e *PublishError) Error() string { return "publish to " + e.Topic + ": " + e.Err.Error() }
func (e *PublishError) Unwrap() error { return e.Err }
