package console

import (
	"errors"
	"net/http"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// UploadView is the upload page.
type UploadView struct {
	Layout
	Bucket   string // "" when the workload takes no uploads
	Prefix   string
	MaxBytes int64
}

func (h *handler) uploadPage(w http.ResponseWriter, r *http.Request) {
	up := h.work.Uploads()
	v := UploadView{Layout: h.layout(r, "Upload", "upload"), Bucket: up.Bucket, Prefix: up.Prefix, MaxBytes: h.cfg.MaxUploadBytes}
	v.Live = true // the status bar counts; the upload list is the page's own
	h.render(w, r, "upload", http.StatusOK, v)
}

// UploadResult is the answer to one upload.
type UploadResult struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Error     string `json:"error,omitempty"`
}

// uploadObject streams the request body to S3 with PutObject, as any S3
// client would, so the bucket notification and trigger run as deployed.
// PUT /upload?path=<relative path>; the key is the upload prefix plus path.
func (h *handler) uploadObject(w http.ResponseWriter, r *http.Request) {
	up := h.work.Uploads()
	if up.Bucket == "" {
		writeJSON(w, http.StatusNotFound, UploadResult{Error: "this stack takes no uploads"})
		return
	}
	key, ok := uploadKey(up.Prefix, r.URL.Query().Get("path"))
	if !ok {
		writeJSON(w, http.StatusBadRequest, UploadResult{Error: "a relative file path is required"})
		return
	}
	// Check the size twice: the declared length first, then the reader.
	if r.ContentLength < 0 {
		writeJSON(w, http.StatusLengthRequired, UploadResult{Error: "Content-Length is required"})
		return
	}
	if r.ContentLength > h.cfg.MaxUploadBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, UploadResult{Error: "file larger than " + humanBytes(h.cfg.MaxUploadBytes)})
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxUploadBytes)
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	out, err := h.s3.PutObject(r.Context(), &s3.PutObjectInput{
		Bucket: aws.String(up.Bucket), Key: aws.String(key), Body: body,
		ContentLength: aws.Int64(r.ContentLength), ContentType: aws.String(ct),
	}, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, UploadResult{Error: "file too large"})
			return
		}
		h.log.Warn("console upload failed: " + err.Error())
		writeJSON(w, http.StatusBadGateway, UploadResult{Key: key, Error: "S3 refused the upload"})
		return
	}
	writeJSON(w, http.StatusOK, UploadResult{Bucket: up.Bucket, Key: key,
		VersionID: aws.ToString(out.VersionId), ETag: strings.Trim(aws.ToString(out.ETag), `"`)})
}

// uploadKey joins the prefix and a browser-supplied relative path (a
// folder upload keeps its sub-folders), refusing anything that climbs out.
func uploadKey(prefix, rel string) (string, bool) {
	rel = strings.ReplaceAll(rel, `\`, "/")
	if rel == "" || len(rel) > 900 {
		return "", false
	}
	for _, part := range strings.Split(rel, "/") {
		if part == ".." {
			return "", false
		}
	}
	clean := strings.TrimPrefix(path.Clean("/"+rel), "/")
	if clean == "" || clean == "." {
		return "", false
	}
	return prefix + clean, true
}

// UploadStatus is what the upload page shows for one upload while it
// follows its execution; on failure it says what the workload says of it
// (for the pipeline, the failure email's words).
type UploadStatus struct {
	ExecutionStatus
	Reason  string `json:"reason,omitempty"`  // rejection reason, e.g. EmptyObject
	Summary string `json:"summary,omitempty"` // a few words, e.g. "empty file"
	Message string `json:"message,omitempty"` // the error's own message
	Advice  string `json:"advice,omitempty"`  // what the uploader can do
}

// uploadStatus answers GET /upload/status?arn=, or ?key=&versionId= until
// the upload's execution is known.
func (h *handler) uploadStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	arn := q.Get("arn")
	if arn == "" && q.Get("key") != "" {
		arn = h.findExecution(r.Context(), q.Get("key"), q.Get("versionId"))
	}
	if arn == "" {
		writeJSON(w, http.StatusOK, UploadStatus{})
		return
	}
	x, err := h.sfn.DescribeExecution(r.Context(), arn)
	switch {
	case notFound(err):
		writeJSON(w, http.StatusOK, UploadStatus{})
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	st := UploadStatus{ExecutionStatus: ExecutionStatus{Exists: true, ARN: x.ARN, Status: x.Status, URL: executionURL(x.ARN), Error: x.Error}}
	switch x.Status {
	case "FAILED", "TIMED_OUT", "ABORTED":
		f := h.work.Failure(described(x))
		st.Reason, st.Summary, st.Message, st.Advice = f.Reason, f.Summary, f.Message, f.Advice
	}
	writeJSON(w, http.StatusOK, st)
}
