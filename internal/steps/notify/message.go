package notify

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
)

// maxSubject is SNS's limit: fewer than 100 characters, ASCII, one line.
const maxSubject = 99

// Message is one notification as a subscriber receives it.
type Message struct {
	Subject string
	Body    string
	Reason  string // the rejection reason on failures, "" otherwise
}

// Failure is a failed execution's error, explained.
type Failure struct {
	ErrorType string             // e.g. ImageRejectedError, States.Timeout
	Message   string             // the error's own message
	Reason    pipelineerr.Reason // set for rejections
	Summary   string             // a few words for the subject line
	Advice    string             // what the uploader can do
}

// ExplainFailure turns a Step Functions Error and Cause into words. A Lambda
// error's Cause is the JSON the runtime reported ({"errorType", "errorMessage"});
// a States.* error's Cause is plain text.
func ExplainFailure(errName, cause string) Failure {
	f := Failure{ErrorType: errName, Message: cause}
	var lambdaErr struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		f.Message = lambdaErr.ErrorMessage
		if f.ErrorType == "" {
			f.ErrorType = lambdaErr.ErrorType
		}
	}
	switch f.ErrorType {
	case "ImageRejectedError":
		code, _, _ := strings.Cut(f.Message, ":")
		f.Reason = pipelineerr.Reason(strings.TrimSpace(code))
		f.Summary, f.Advice = f.Reason.Summary(), f.Reason.Advice()
	case "States.Timeout":
		f.Summary = "timed out"
		f.Advice = "A step ran longer than its timeout. Very large images need more time or memory: raise the resize function's Timeout and MemorySize."
	case "StorageError", "PublishError":
		f.Summary = "storage unavailable"
		f.Advice = "S3 or SNS kept failing after the retries. Nothing is wrong with the file; upload it again once the service recovers."
	case "ConfigError":
		f.Summary = "deployment misconfigured"
		f.Advice = "A function is deployed with bad settings; the operator must fix the stack. The upload itself may be fine."
	default:
		f.Summary = "processing error"
		if f.ErrorType != "" {
			f.Summary += " (" + f.ErrorType + ")"
		}
		f.Advice = "This looks like a fault in the pipeline rather than in the file. Check the execution's history; uploading the file again starts a new run."
	}
	return f
}

// Compose writes the notification for req.
func Compose(req pipeline.NotifyRequest, outputBucket string) Message {
	if req.Status == pipeline.StatusSucceeded {
		return composeSuccess(req, outputBucket)
	}
	return composeFailure(req)
}

func composeSuccess(req pipeline.NotifyRequest, outputBucket string) Message {
	src := req.Object
	n := len(req.Variants)
	noun := "variants"
	if n == 1 {
		noun = "variant"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "imgflow processed %s into %d %s.\n\n", src.Key, n, noun)
	fmt.Fprintf(&b, "Original:  s3://%s/%s", src.Bucket, src.Key)
	if src.VersionID != "" {
		fmt.Fprintf(&b, " (version %s)", src.VersionID)
	}
	fmt.Fprintf(&b, "\n           %s, %dx%d, %s\n\n", strings.ToUpper(src.Format), src.Width, src.Height, humanBytes(src.Bytes))
	if n > 0 && len(req.Variants[0].Files) > 0 {
		fmt.Fprintf(&b, "Variants in s3://%s/%s/\n", outputBucket, path.Dir(req.Variants[0].Files[0].Key))
		for _, v := range req.Variants {
			for _, f := range v.Files {
				fmt.Fprintf(&b, "  %-8s %5dx%-5d %-4s %9s  %s\n", v.Preset, v.Width, v.Height, strings.ToUpper(f.Format), humanBytes(f.Bytes), path.Base(f.Key))
			}
		}
		b.WriteString("\n")
	}
	if req.ManifestKey != "" {
		fmt.Fprintf(&b, "Manifest:  s3://%s/%s\n", outputBucket, req.ManifestKey)
	}
	writeExecution(&b, req.ExecutionARN)
	return Message{Subject: subject("imgflow: ", src.Key, fmt.Sprintf(" processed (%d %s)", n, noun)), Body: b.String()}
}

func composeFailure(req pipeline.NotifyRequest) Message {
	src := req.Object
	f := ExplainFailure(req.Error, req.Cause)
	// An execution started by hand may name no object at all; the
	// execution's name is then what identifies the failure.
	what := src.Key
	if what == "" {
		what = "execution " + executionName(req.ExecutionARN)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "imgflow could not process %s: %s.\n\n", what, f.Summary)
	fmt.Fprintf(&b, "What to do: %s\n\n", f.Advice)
	fmt.Fprintf(&b, "Error:   %s\n", f.ErrorType)
	fmt.Fprintf(&b, "Details: %s\n\n", f.Message)
	switch {
	case src.Key != "" && src.Bucket != "":
		fmt.Fprintf(&b, "The original s3://%s/%s", src.Bucket, src.Key)
		if src.VersionID != "" {
			fmt.Fprintf(&b, " (version %s)", src.VersionID)
		}
		b.WriteString(" was left untouched.\n")
	case len(req.Input) > 0:
		fmt.Fprintf(&b, "Execution input: %s\n", clip(string(req.Input), maxInputShown))
	}
	writeExecution(&b, req.ExecutionARN)
	return Message{Subject: subject("imgflow: ", what, " FAILED: "+f.Summary), Body: b.String(), Reason: string(f.Reason)}
}

// maxInputShown bounds the execution input quoted in a failure email.
const maxInputShown = 500

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// executionName is the last part of an execution ARN
// (arn:aws:states:region:account:execution:machine:NAME).
func executionName(arn string) string {
	if arn == "" {
		return "(unknown)"
	}
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

// FailedObject is the object a failed execution was about: req.Object, with
// the bucket, key and version taken from the execution input where it has
// them as strings. The input is whatever the execution was started with,
// so anything else in it (another type, a missing field, not an object at
// all) is ignored rather than allowed to fail the failure report.
func FailedObject(req pipeline.NotifyRequest) pipeline.Source {
	obj := req.Object
	var in map[string]any
	if json.Unmarshal(req.Input, &in) != nil {
		return obj
	}
	for field, dst := range map[string]*string{"bucket": &obj.Bucket, "key": &obj.Key, "versionId": &obj.VersionID} {
		if v, ok := in[field].(string); ok && *dst == "" {
			*dst = v
		}
	}
	return obj
}

func writeExecution(b *strings.Builder, arn string) {
	if arn != "" {
		fmt.Fprintf(b, "Execution: %s\n", arn)
	}
}

// subject builds prefix+key+suffix within SNS's limits, shortening the key
// in the middle (the file name at the end is the part people recognise).
func subject(prefix, key, suffix string) string {
	key = asciiLine(key)
	suffix = asciiLine(suffix)
	if room := maxSubject - len(prefix) - len(suffix); len(key) > room {
		if room < 8 {
			suffix = suffix[:max(0, len(suffix)-(8-room))]
			room = 8
		}
		keep := room - 3
		key = key[:keep/2] + "..." + key[len(key)-(keep-keep/2):]
	}
	return prefix + key + suffix
}

// asciiLine replaces what SNS refuses in a subject (non-ASCII, control
// characters) with '?'.
func asciiLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7E {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
