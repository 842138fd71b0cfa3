package s3

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
)

// APIError is an S3 REST error as sent on the wire: an HTTP status, the S3
// error code and a public message. Internal detail never goes in Message.
type APIError struct {
	Status   int
	Code     string
	Message  string
	Resource string
	// Region is sent for AuthorizationHeaderMalformed and
	// AuthorizationQueryParametersError, as AWS does.
	Region string
	// BucketName, Key, VersionID and UploadID are the extra elements AWS
	// adds to NoSuchBucket, NoSuchKey, NoSuchVersion and NoSuchUpload.
	BucketName string
	Key        string
	VersionID  string
	UploadID   string
	// Header are response headers the error carries (x-amz-delete-marker).
	Header http.Header
}

func (e *APIError) Error() string { return fmt.Sprintf("s3: %s (%d): %s", e.Code, e.Status, e.Message) }

// errorXML is the body of an S3 error response.
type errorXML struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	Region    string   `xml:"Region,omitempty"`
	Bucket    string   `xml:"BucketName,omitempty"`
	Key       string   `xml:"Key,omitempty"`
	VersionID string   `xml:"VersionId,omitempty"`
	UploadID  string   `xml:"UploadId,omitempty"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// writeAPIError writes e as an S3 XML error. HEAD responses carry no body.
func writeAPIError(w http.ResponseWriter, r *http.Request, e *APIError, requestID, hostID string) {
	h := w.Header()
	h.Del("ETag")
	h.Del("Content-Length")
	h.Del("Content-Range")
	h.Del("Last-Modified")
	h.Del("Accept-Ranges")
	h.Del("Content-Encoding")
	h.Del("Content-Disposition")
	h.Del("Cache-Control")
	h.Del("Expires")
	h.Del("Content-Language")
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-meta-") || strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
			delete(h, k)
		}
	}
	for k, v := range e.Header {
		h[k] = v
	}
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	body, err := xml.Marshal(errorXML{
		Code: e.Code, Message: e.Message, Resource: e.Resource, Region: e.Region,
		Bucket: e.BucketName, Key: e.Key, VersionID: e.VersionID, UploadID: e.UploadID,
		RequestID: requestID, HostID: hostID,
	})
	if err != nil {
		return
	}
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

func errNotImplemented(what string) *APIError {
	return &APIError{Status: http.StatusNotImplemented, Code: "NotImplemented",
		Message: "A header or query you provided implies functionality that is not implemented: " + what}
}

func errPreconditionFailed() *APIError {
	return &APIError{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
		Message: "At least one of the pre-conditions you specified did not hold"}
}

func errEntityTooLarge(max int64) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "EntityTooLarge",
		Message: fmt.Sprintf("Your proposed upload exceeds the maximum allowed size of %d bytes", max)}
}

func errInvalidArgument(msg string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: msg}
}

func errMalformedXML() *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "MalformedXML",
		Message: "The XML you provided was not well-formed or did not validate against our published schema"}
}

func errNoSuchBucket(bucket string) *APIError {
	return &APIError{Status: http.StatusNotFound, Code: "NoSuchBucket",
		Message: "The specified bucket does not exist", BucketName: bucket}
}

func errNoSuchKey(key string) *APIError {
	return &APIError{Status: http.StatusNotFound, Code: "NoSuchKey",
		Message: "The specified key does not exist.", Key: key}
}

func errNoSuchVersion() *APIError {
	return &APIError{Status: http.StatusNotFound, Code: "NoSuchVersion",
		Message: "The specified version does not exist."}
}

func errBucketNotEmpty(bucket string) *APIError {
	return &APIError{Status: http.StatusConflict, Code: "BucketNotEmpty",
		Message: "The bucket you tried to delete is not empty", BucketName: bucket}
}

func errIncompleteBody() *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "IncompleteBody",
		Message: "You did not provide the number of bytes specified by the Content-Length HTTP header."}
}

func errNoSuchUpload(id string) *APIError {
	return &APIError{Status: http.StatusNotFound, Code: "NoSuchUpload",
		Message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", UploadID: id}
}

func errInvalidRequest(msg string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: msg}
}

func errInvalidBucketName(bucket string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "InvalidBucketName",
		Message: "The specified bucket is not valid.", BucketName: bucket}
}

func errInternal() *APIError {
	return &APIError{Status: http.StatusInternalServerError, Code: "InternalError",
		Message: "We encountered an internal error. Please try again."}
}

func itoa(n int) string { return strconv.Itoa(n) }

func errMethodNotAllowed() *APIError {
	return &APIError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed",
		Message: "The specified method is not allowed against this resource."}
}

func errServiceUnavailable() *APIError {
	return &APIError{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
		Message: "The local S3 service is shutting down."}
}

// errInsufficientStorage answers a write the data directory has no room
// for. S3 has no such error (its disks do not fill up); 503 says "not now,
// nothing was stored", the code names the cause and the message says what
// to do. SDKs retry a 503 a few times, which is harmless.
func errInsufficientStorage(dataDir string) *APIError {
	return &APIError{Status: http.StatusServiceUnavailable, Code: "InsufficientStorage",
		Message: fmt.Sprintf("The data directory %s is full (no space left on device); nothing was stored. Free some space and retry.", dataDir)}
}

// isNoSpace reports whether err says the disk is full. bbolt formats some
// file errors with %s, so their text is checked too.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		err != nil && strings.Contains(err.Error(), syscall.ENOSPC.Error())
}
