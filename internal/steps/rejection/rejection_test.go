package rejection

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/internal/imaging"

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

// TestFromImagingHEIC: the HEIF container's and HEVC decoder's errors,
// mapped by the engine, reach the state machine as typed rejections.
func TestFromImagingHEIC(t *testing.T) {
	grid, err := os.ReadFile("../../imaging/heif/testdata/iphone-grid/image.heic")
	if err != nil {
		t.Fatal(err)
	}
	avif, err := os.ReadFile("../../imaging/heif/testdata/avif/image.avif")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		data       []byte
		lim        imaging.Limits
		wantReason pipelineerr.Reason
		wantText   string
	}{
		{name: "avif", data: avif, wantReason: pipelineerr.ReasonUnsupportedFormat, wantText: "AVIF"},
		{name: "meta cut short", data: grid[:300], wantReason: pipelineerr.ReasonCorruptHeader, wantText: "heic"},
		{name: "over MaxPixels", data: grid, lim: imaging.Limits{MaxPixels: 1000}, wantReason: pipelineerr.ReasonTooManyPixels},
		{name: "over MaxSide", data: grid, lim: imaging.Limits{MaxSide: 50}, wantReason: pipelineerr.ReasonTooLongSide},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := imaging.Process(context.Background(), bytes.NewReader(tt.data), io.Discard, imaging.Spec{LongSide: 64, Format: imaging.JPEG}, tt.lim)
			var rejected *pipelineerr.ImageRejectedError
			if !errors.As(FromImaging(err, true), &rejected) || rejected.Reason != tt.wantReason || !strings.Contains(rejected.Error(), tt.wantText) {
				t.Errorf("FromImaging(%v) = %v, want a %s rejection mentioning %q", err, FromImaging(err, true), tt.wantReason, tt.wantText)
			}
		})
	}
}
