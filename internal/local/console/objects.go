package console

import (
	"errors"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// object is the read-only console endpoint for stored images and
// manifests: GET /objects/{bucket}/{key...}, read with GetObject through
// the S3 API. Only the stack's buckets are readable. Images are shown
// inline; everything else (and ?download=1) is an attachment, sandboxed.
func (h *handler) object(w http.ResponseWriter, r *http.Request) {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	if !slices.Contains(h.cfg.Buckets, bucket) || key == "" {
		http.NotFound(w, r)
		return
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if v := r.URL.Query().Get("versionId"); v != "" {
		in.VersionId = aws.String(v)
	}
	if etag := r.Header.Get("If-None-Match"); etag != "" {
		in.IfNoneMatch = aws.String(etag)
	}
	out, err := h.s3.GetObject(r.Context(), in)
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode() {
			case "NotModified":
				w.WriteHeader(http.StatusNotModified)
				return
			case "NoSuchKey", "NoSuchVersion", "NotFound", "NoSuchBucket":
				http.NotFound(w, r)
				return
			}
		}
		if strings.Contains(err.Error(), "304") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.fail(w, r, err)
		return
	}
	defer out.Body.Close()
	ct := aws.ToString(out.ContentType)
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, max-age=60")
	if out.ETag != nil {
		hd.Set("ETag", *out.ETag)
	}
	inline := (ct == "image/jpeg" || ct == "image/png" || ct == "image/gif" || ct == "image/webp" || ct == "application/json") &&
		r.URL.Query().Get("download") == ""
	if ct == "" || !inline && !strings.HasPrefix(ct, "image/") && ct != "application/json" {
		ct = "application/octet-stream"
	}
	hd.Set("Content-Type", ct)
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	hd.Set("Content-Disposition", disp+`; filename="`+strings.ReplaceAll(path.Base(key), `"`, "")+`"`)
	if out.ContentLength != nil {
		hd.Set("Content-Length", strconv.FormatInt(*out.ContentLength, 10))
	}
	_, _ = io.Copy(w, out.Body)
}
