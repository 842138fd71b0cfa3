package rejection

import (
	"errors"
	"fmt"
	"testing"

	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// statusError stands in for the SDK's response error, which carries the
// HTTP status S3 answered with.
type statusError struct{ code int }

func (e *statusError) Error() string       { return fmt.Sprintf("api error: status %d", e.code) }
func (e *statusError) HTTPStatusCode() int { return e.code }

func TestFromStorage(t *testing.T) {
	versioned := s3io.Ref{Bucket: "in", Key: "uploads/a.jpg", VersionID: "no-such-version"}
	latest := s3io.Ref{Bucket: "in", Key: "uploads/a.jpg"}
	tests := []struct {
		name       string
		ref        s3io.Ref
		err        error
		wantReason pipelineerr.Reason // "" for a retryable StorageError
	}{
		{name: "missing", ref: latest, err: fmt.Errorf("%w: x", s3io.ErrNotFound), wantReason: pipelineerr.ReasonSourceMissing},
		{name: "changed", ref: latest, err: fmt.Errorf("%w: x", s3io.ErrPreconditionFailed), wantReason: pipelineerr.ReasonSourceChanged},
		{name: "malformed version id", ref: versioned, err: fmt.Errorf("head: %w", &statusError{400}), wantReason: pipelineerr.ReasonInvalidInput},
		{name: "400 without a version is S3's trouble", ref: latest, err: &statusError{400}},
		{name: "503 is retried", ref: versioned, err: &statusError{503}},
		{name: "network", ref: versioned, err: errors.New("connection reset")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := FromStorage("head", tt.ref, tt.err)
			var rejected *pipelineerr.ImageRejectedError
			var storage *pipelineerr.StorageError
			switch {
			case tt.wantReason == "" && !errors.As(err, &storage):
				t.Errorf("err = %T %v, want *StorageError", err, err)
			case tt.wantReason != "" && (!errors.As(err, &rejected) || rejected.Reason != tt.wantReason):
				t.Errorf("err = %T %v, want a %s rejection", err, err, tt.wantReason)
			}
		})
	}
}
