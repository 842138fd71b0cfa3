package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/imgflow/imgflow/internal/steps/reprocess"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
)

// maxFailuresListed bounds the failed objects a summary email lists; the
// result files have them all.
const maxFailuresListed = 50

// summarise reads a reprocess's results, when the Map left any, and
// composes its one summary message. Results that cannot be read do not
// stop the summary: it says so and where they are.
func (h *Handler) summarise(ctx context.Context, req pipeline.NotifyRequest) (Message, *pipeline.ReprocessCounts, error) {
	run := req.Reprocess
	var sum *reprocess.Summary
	var readErr error
	if d := run.ResultWriterDetails; d != nil && d.Key != "" {
		// The function may read only the output bucket; a payload naming
		// another is a fault in the state machine, not in S3.
		if d.Bucket != h.cfg.OutputBucket {
			return Message{}, nil, &pipelineerr.ConfigError{Err: fmt.Errorf("results in bucket %q, not OUTPUT_BUCKET %q", d.Bucket, h.cfg.OutputBucket)}
		}
		if h.s3 == nil {
			return Message{}, nil, &pipelineerr.ConfigError{Err: fmt.Errorf("no S3 client to read the results")}
		}
		s, err := reprocess.Read(ctx, h.s3, d.Bucket, d.Key, maxFailuresListed)
		switch {
		case err == nil:
			sum = &s
		case ctx.Err() != nil:
			return Message{}, nil, ctx.Err()
		default:
			readErr = err
		}
	}
	msg := ComposeSummary(req, sum, readErr)
	if sum == nil {
		return msg, nil, nil
	}
	return msg, &sum.ReprocessCounts, nil
}

// ComposeSummary writes the summary of a reprocess: its counts and
// failures when sum is known, why they are not (readErr) otherwise, and
// where the results are.
func ComposeSummary(req pipeline.NotifyRequest, sum *reprocess.Summary, readErr error) Message {
	run := req.Reprocess
	var b strings.Builder
	what := "reprocess of " + run.Prefix
	if run.Force {
		what += " (forced)"
	}
	var subj string
	if req.Status == pipeline.StatusFailed {
		f := ExplainFailure(req.Error, req.Cause)
		fmt.Fprintf(&b, "The imgflow %s failed: %s.\n\n", what, f.Summary)
		fmt.Fprintf(&b, "Error:   %s\n", f.ErrorType)
		fmt.Fprintf(&b, "Details: %s\n\n", clip(f.Message, maxInputShown))
		subj = subject("imgflow: reprocess ", run.Prefix, " FAILED: "+f.Summary)
	} else {
		fmt.Fprintf(&b, "The imgflow %s finished.\n\n", what)
		subj = subject("imgflow: reprocess ", run.Prefix, " done")
	}
	if sum != nil {
		c := sum.ReprocessCounts
		fmt.Fprintf(&b, "Objects:    %d\n", c.Total())
		fmt.Fprintf(&b, "Processed:  %d\n", c.Processed)
		fmt.Fprintf(&b, "Skipped:    %d (outputs already current)\n", c.Skipped)
		fmt.Fprintf(&b, "Failed:     %d\n", c.Failed)
		if c.FailedBatches > 0 {
			fmt.Fprintf(&b, "            (%d batches failed as a whole)\n", c.FailedBatches)
		}
		if req.Status != pipeline.StatusFailed {
			subj = subject("imgflow: reprocess ", run.Prefix, fmt.Sprintf(" done (%d processed, %d skipped, %d failed)", c.Processed, c.Skipped, c.Failed))
		}
		if len(sum.Failures) > 0 {
			b.WriteString("\nFailed objects")
			if c.Failed > len(sum.Failures) {
				fmt.Fprintf(&b, " (the first %d of %d; the result files list them all)", len(sum.Failures), c.Failed)
			}
			b.WriteString(":\n")
			for _, f := range sum.Failures {
				ex := ExplainFailure(f.Error, f.Cause)
				fmt.Fprintf(&b, "  %s: %s (%s)\n", f.Key, ex.Summary, clip(oneLine(ex.Message), 160))
			}
		}
		b.WriteString("\n")
	}
	switch d := run.ResultWriterDetails; {
	case d != nil && d.Key != "":
		fmt.Fprintf(&b, "Results:    s3://%s/%s\n", d.Bucket, d.Key)
	case run.ResultsBucket != "":
		fmt.Fprintf(&b, "Results:    under s3://%s/%s/\n", run.ResultsBucket, strings.Trim(run.ResultsPrefix, "/"))
	}
	if readErr != nil {
		fmt.Fprintf(&b, "The results could not be read: %v\n", readErr)
	}
	if run.MapRunARN != "" {
		fmt.Fprintf(&b, "Map Run:    %s\n", run.MapRunARN)
	}
	writeExecution(&b, cmpString(run.ExecutionARN, req.ExecutionARN))
	return Message{Subject: subj, Body: b.String()}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cmpString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
