package pipeline

// The reprocess state machine (statemachine/reprocess.asl.json) lists the
// upload prefix with a Distributed Map. Each child execution runs a batch
// of objects through validate, resize and store, and ends with a
// ReprocessBatch; the Map Run's ResultWriter writes the child executions'
// records to S3, and notify sends one summary (NotifyRequest.Reprocess).

// Reprocess item statuses, one per object of a batch.
const (
	ItemProcessed = "PROCESSED"
	ItemSkipped   = "SKIPPED"
	ItemFailed    = "FAILED"
)

// ReprocessItem is one object's outcome in a child execution.
type ReprocessItem struct {
	Key         string `json:"key"`
	Status      string `json:"status"`
	ManifestKey string `json:"manifestKey,omitempty"` // PROCESSED
	Reason      string `json:"reason,omitempty"`      // SKIPPED: why
	Error       string `json:"error,omitempty"`       // FAILED: the error name, e.g. ImageRejectedError
	Cause       string `json:"cause,omitempty"`       // FAILED
}

// ReprocessBatch is a child execution's output: its counts and its
// failures (processed and skipped objects are only counted, so the output
// stays small whatever the batch size).
type ReprocessBatch struct {
	Processed int             `json:"processed"`
	Skipped   int             `json:"skipped"`
	Failed    int             `json:"failed"`
	Failures  []ReprocessItem `json:"failures"`
}

// ReprocessRun is the reprocess execution that notify summarises.
type ReprocessRun struct {
	ExecutionARN string `json:"executionArn"`
	Prefix       string `json:"prefix"`
	Force        bool   `json:"force"`
	// ResultsBucket and ResultsPrefix are where the ResultWriter writes
	// (<prefix>/<map run id>/manifest.json); named in the email even when
	// the Map failed before writing.
	ResultsBucket string `json:"resultsBucket"`
	ResultsPrefix string `json:"resultsPrefix"`
	// MapRunARN and ResultWriterDetails are the Distributed Map's output,
	// absent when the Map failed.
	MapRunARN           string               `json:"mapRunArn,omitempty"`
	ResultWriterDetails *ResultWriterDetails `json:"resultWriterDetails,omitempty"`
}

// ResultWriterDetails is where a Map Run's ResultWriter put its manifest.
type ResultWriterDetails struct {
	Bucket string `json:"Bucket"`
	Key    string `json:"Key"`
}

// ReprocessCounts are a reprocess's totals over every object listed.
type ReprocessCounts struct {
	Processed int `json:"processed"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
	// FailedBatches counts child executions that failed as a whole (a
	// timeout, say); their objects are in Failed.
	FailedBatches int `json:"failedBatches"`
}

// Total is every object counted.
func (c ReprocessCounts) Total() int { return c.Processed + c.Skipped + c.Failed }
