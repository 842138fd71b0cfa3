// Package rejection translates the errors of the image engine and of S3 into
// the typed errors the state machine acts on, in one place, so validate and
// resize reject the same input in the same words.
package rejection

import (
	"errors"
	"io"
	"net/http"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// FromImaging returns the *pipelineerr.ImageRejectedError for an image engine
// error, or err unchanged when it is not about the image. Header is true while
// only the header has been read, so a bad structure there is a CorruptHeader.
func FromImaging(err error, header bool) error {
	var fe *imaging.FormatError
	var ue *imaging.UnsupportedError
	var le *imaging.LimitError
	var se *imaging.SideLimitError
	switch {
	case errors.As(err, &le):
		return pipelineerr.Reject(pipelineerr.ReasonTooManyPixels, "%d pixels, the limit is %d", le.Pixels, le.Limit)
	case errors.As(err, &se):
		return pipelineerr.Reject(pipelineerr.ReasonTooLongSide, "%dx%d, the longest side allowed is %d", se.Width, se.Height, se.Limit)
	case errors.As(err, &ue):
		return pipelineerr.Reject(pipelineerr.ReasonUnsupportedFormat, "%s", trim(ue.Error()))
	case errors.As(err, &fe) && fe.Format == "":
		return pipelineerr.Reject(pipelineerr.ReasonNotAnImage, "%s", trim(fe.Error()))
	case errors.As(err, &fe) && header:
		return pipelineerr.Reject(pipelineerr.ReasonCorruptHeader, "%s", trim(fe.Error()))
	case errors.As(err, &fe):
		return pipelineerr.Reject(pipelineerr.ReasonCorruptImage, "%s", trim(fe.Error()))
	}
	return err
}

// FromStorage returns a rejection for an object that is gone or changed, and
// a retryable *pipelineerr.StorageError for anything else S3 said.
func FromStorage(op string, ref s3io.Ref, err error) error {
	switch {
	case errors.Is(err, s3io.ErrNotFound):
		return pipelineerr.Reject(pipelineerr.ReasonSourceMissing, "%s (version %q) no longer exists", ref.URI(), ref.VersionID)
	case errors.Is(err, s3io.ErrPreconditionFailed):
		return pipelineerr.Reject(pipelineerr.ReasonSourceChanged, "%s no longer has ETag %s", ref.URI(), ref.ETag)
	case ref.VersionID != "" && httpStatus(err) == http.StatusBadRequest:
		// S3 answers 400 to a version id it could never have issued, which
		// only a hand-started execution can carry: retrying cannot help.
		return pipelineerr.Reject(pipelineerr.ReasonInvalidInput, "S3 refused version %q of %s as malformed", ref.VersionID, ref.URI())
	}
	return &pipelineerr.StorageError{Op: op, URI: ref.URI(), Err: err}
}

// httpStatus is the status code of S3's answer in err's chain, 0 if none.
func httpStatus(err error) int {
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		return status.HTTPStatusCode()
	}
	return 0
}

// trim drops the engine's package prefix: users read these messages.
func trim(msg string) string {
	const prefix = "imaging: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}

// SourceReader passes reads through and remembers the first read error
// other than EOF, so that an S3 failure in the middle of an image is not
// mistaken for a corrupt image (and is retried instead of rejected).
type SourceReader struct {
	R   io.Reader
	Err error
}

func (r *SourceReader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	if err != nil && err != io.EOF && r.Err == nil {
		r.Err = err
	}
	return n, err
}
