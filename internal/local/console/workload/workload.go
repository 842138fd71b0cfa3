// Package workload is the vocabulary in which the console is told what an
// execution works on and what it produced, without knowing what runs.
//
// The console shows executions of any state machine. What an execution's
// input and output mean (an uploaded object, the images made from it, a
// manifest) is the workload's business: the composition root (cmd/imgflow)
// gives the console an implementation of console.Workload, written in these
// types (internal/pipelineview for the image pipeline). This package imports
// nothing of the pipeline and nothing of the console, so both sides can use
// it.
package workload

import "context"

// Execution is what the console tells the workload about one execution: the
// fields of DescribeExecution that carry meaning.
type Execution struct {
	StateMachineARN string
	Status          string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Input           string
	Output          string // "" unless SUCCEEDED
	Error           string
	Cause           string
}

// Object is one S3 object.
type Object struct {
	Bucket    string
	Key       string
	VersionID string // "" for the current version
	Size      int64  // bytes; -1 when unknown
}

// File is one produced image.
type File struct {
	Object
	Format string // jpeg, png, webp, ...
}

// Variant is one produced size in every format it was written in, in the
// workload's order (a modern format beside its fallback).
type Variant struct {
	Name          string // e.g. the preset
	Width, Height int
	Files         []File
}

// Document is a produced document shown as is (a manifest).
type Document struct {
	Object
	Body []byte // JSON
}

// Outputs are what an execution produced.
type Outputs struct {
	Variants []Variant
	Manifest *Document // nil when there is none
}

// Failure is what a failed execution means to the person who started it.
type Failure struct {
	Reason  string // a stable code, e.g. EmptyObject; "" when none
	Summary string // a few words, e.g. "empty file"
	Message string // the error's own message
	Advice  string // what to do about it
	// NoRedrive says why a redrive can never pass (the input itself is
	// bad, so a redrive fails the same way); "" when it may.
	NoRedrive string
}

// Uploads is where new inputs go: an S3 PutObject under Prefix in Bucket
// starts an execution.
type Uploads struct {
	Bucket string
	Prefix string
}

// ReadFunc reads at most max bytes of an object, as the console reads any
// object (through the stack's S3 API).
type ReadFunc func(ctx context.Context, bucket, key string, max int64) ([]byte, error)
