// Package reprocess reads what a reprocess run left behind: the Map Run's
// ResultWriter output (manifest.json, then the SUCCEEDED_<n>.json and
// FAILED_<n>.json files it lists), summed into counts and a list of the
// objects that failed. Notify uses it for the summary email and `imgflow
// reprocess` for its report, so both say the same.
package reprocess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// Summary is a reprocess's outcome as read from its results.
type Summary struct {
	pipeline.ReprocessCounts
	// Failures lists failed objects, at most the limit given to Read, in
	// the order the results list them.
	Failures []pipeline.ReprocessItem
	// Files are the result files read, as s3://bucket/key.
	Files []string
}

// resultManifest is the ResultWriter's manifest.json.
type resultManifest struct {
	DestinationBucket string `json:"DestinationBucket"`
	MapRunArn         string `json:"MapRunArn"`
	ResultFiles       map[string][]struct {
		Key  string `json:"Key"`
		Size int64  `json:"Size"`
	} `json:"ResultFiles"`
}

// record is one child execution in a result file. Input and Output are
// JSON documents in strings, as the ResultWriter writes them.
type record struct {
	ExecutionArn string `json:"ExecutionArn"`
	Status       string `json:"Status"`
	Input        string `json:"Input"`
	Output       string `json:"Output"`
	Error        string `json:"Error"`
	Cause        string `json:"Cause"`
}

// ResultsError is results that cannot be read as a reprocess's: a missing
// or malformed file.
type ResultsError struct {
	URI string
	Err error
}

func (e *ResultsError) Error() string { return "reprocess results " + e.URI + ": " + e.Err.Error() }
func (e *ResultsError) Unwrap() error { return e.Err }

// Read sums the results whose manifest.json is at bucket/manifestKey,
// keeping at most maxFailures failures. Result files are streamed, one
// record at a time, so a run of millions of objects is read in constant
// memory.
func Read(ctx context.Context, api s3io.API, bucket, manifestKey string, maxFailures int) (Summary, error) {
	c := s3io.New(api)
	var m resultManifest
	if err := readJSON(ctx, c, bucket, manifestKey, &m); err != nil {
		return Summary{}, err
	}
	var s Summary
	for _, group := range []string{"SUCCEEDED", "FAILED", "PENDING"} {
		for _, f := range m.ResultFiles[group] {
			if err := ctx.Err(); err != nil {
				return s, err
			}
			if err := s.readFile(ctx, c, bucket, f.Key, maxFailures); err != nil {
				return s, err
			}
			s.Files = append(s.Files, "s3://"+bucket+"/"+f.Key)
		}
	}
	return s, nil
}

func readJSON(ctx context.Context, c *s3io.Client, bucket, key string, v any) error {
	ref := s3io.Ref{Bucket: bucket, Key: key}
	body, err := c.Open(ctx, ref)
	if err != nil {
		return &ResultsError{URI: ref.URI(), Err: err}
	}
	defer body.Close()
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return &ResultsError{URI: ref.URI(), Err: err}
	}
	return nil
}

// readFile adds one result file's records, read as a stream.
func (s *Summary) readFile(ctx context.Context, c *s3io.Client, bucket, key string, maxFailures int) error {
	ref := s3io.Ref{Bucket: bucket, Key: key}
	body, err := c.Open(ctx, ref)
	if err != nil {
		return &ResultsError{URI: ref.URI(), Err: err}
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return &ResultsError{URI: ref.URI(), Err: fmt.Errorf("not a JSON array (%v)", cmpErr(err, io.ErrUnexpectedEOF))}
	}
	for dec.More() {
		var r record
		if err := dec.Decode(&r); err != nil {
			return &ResultsError{URI: ref.URI(), Err: err}
		}
		if err := s.add(r, maxFailures); err != nil {
			return &ResultsError{URI: ref.URI(), Err: err}
		}
	}
	return nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// add counts one child execution: a succeeded one by its ReprocessBatch, a
// failed (or never run) one as a failure of every object of its batch.
func (s *Summary) add(r record, maxFailures int) error {
	if r.Status == "SUCCEEDED" {
		var b pipeline.ReprocessBatch
		if err := json.Unmarshal([]byte(r.Output), &b); err != nil {
			return fmt.Errorf("execution %s: output: %w", r.ExecutionArn, err)
		}
		s.Processed += b.Processed
		s.Skipped += b.Skipped
		s.Failed += b.Failed
		for _, f := range b.Failures {
			s.addFailure(f, maxFailures)
		}
		return nil
	}
	var in struct {
		Items []struct {
			Key string `json:"key"`
		} `json:"Items"`
	}
	if err := json.Unmarshal([]byte(r.Input), &in); err != nil {
		return fmt.Errorf("execution %s: input: %w", r.ExecutionArn, err)
	}
	if len(in.Items) == 0 {
		return errors.New("execution " + r.ExecutionArn + ": a batch without Items")
	}
	s.FailedBatches++
	s.Failed += len(in.Items)
	errName := r.Error
	if errName == "" {
		errName = r.Status // PENDING, ABORTED, TIMED_OUT without an error name
	}
	for _, it := range in.Items {
		s.addFailure(pipeline.ReprocessItem{Key: it.Key, Status: pipeline.ItemFailed, Error: errName, Cause: r.Cause}, maxFailures)
	}
	return nil
}

func (s *Summary) addFailure(f pipeline.ReprocessItem, maxFailures int) {
	if len(s.Failures) < maxFailures {
		s.Failures = append(s.Failures, f)
	}
}
