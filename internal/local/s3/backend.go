package s3

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"go.uber.org/zap"
)

// requestInfo carries one request's context into the backend (gofakes3's
// Backend methods take no context) and carries back what the response
// writer must fix up after gofakes3 has set its headers.
type requestInfo struct {
	method string
	// putEvent is the event name of a plain object write: EventPut, or
	// EventPost for a browser form upload.
	putEvent string
	ev       eventSpec
	// readVersion is the version GET/HEAD read ("null" allowed), or the
	// version a CopyObject copies from.
	readVersion string

	// Set by the backend, applied to 2xx responses.
	etag           string // unquoted ETag of the object served
	partsCount     int
	isCopy         bool
	copySrcVersion gofakes3.VersionID
	copyDstVersion gofakes3.VersionID

	// apiErr replaces gofakes3's error response: gofakes3 maps unknown error
	// codes to 500, so errors it cannot express travel here.
	apiErr *APIError
	queued int
	// cors are the Access-Control-* headers of the bucket's CORS rule that
	// allowed the request; they replace gofakes3's wildcard ones.
	cors http.Header
}

// reqBackend adapts the store to gofakes3 for one request.
type reqBackend struct {
	st          *store
	dataDir     string // named in the error of a full disk
	ri          *requestInfo
	log         *zap.Logger
	minPartSize int64
}

var (
	_ gofakes3.Backend          = (*reqBackend)(nil)
	_ gofakes3.VersionedBackend = (*reqBackend)(nil)
	_ gofakes3.MultipartBackend = (*reqBackend)(nil)
)

// fail routes err to where it can be answered faithfully.
func (b *reqBackend) fail(err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		b.ri.apiErr = ae
		return gofakes3.ErrInternal // body and status replaced by the response writer
	}
	if isNoSpace(err) {
		b.log.Warn("s3 write refused: data directory full", zap.String("method", b.ri.method), zap.Error(err))
		b.ri.apiErr = errInsufficientStorage(b.dataDir)
		return gofakes3.ErrInternal
	}
	var ge gofakes3.Error
	if !errors.As(err, &ge) {
		b.log.Error("s3 backend failure", zap.String("method", b.ri.method), zap.Error(err))
	}
	return err
}

func (b *reqBackend) ListBuckets() ([]gofakes3.BucketInfo, error) {
	brs, err := b.st.listBuckets()
	if err != nil {
		return nil, b.fail(err)
	}
	out := make([]gofakes3.BucketInfo, 0, len(brs))
	for _, br := range brs {
		out = append(out, gofakes3.BucketInfo{Name: br.Name, CreationDate: gofakes3.NewContentTime(br.Created)})
	}
	return out, nil
}

func (b *reqBackend) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	out, err := b.st.listCurrent(name, prefix, page)
	return out, b.fail(err)
}

func (b *reqBackend) CreateBucket(name string) error { return b.fail(b.st.createBucket(name)) }

func (b *reqBackend) BucketExists(name string) (bool, error) {
	ok, err := b.st.bucketExists(name)
	return ok, b.fail(err)
}

func (b *reqBackend) DeleteBucket(name string) error { return b.fail(b.st.deleteBucket(name, false)) }

func (b *reqBackend) ForceDeleteBucket(name string) error {
	return b.fail(b.st.deleteBucket(name, true))
}

func (b *reqBackend) get(bucket, key, version string, rng *gofakes3.ObjectRangeRequest, withBody bool) (*gofakes3.Object, error) {
	br, rec, err := b.st.lookup(bucket, key, version)
	if err != nil {
		return nil, b.fail(err)
	}
	obj, err := b.st.objectOf(br, rec, rng, withBody)
	if err != nil {
		return nil, b.fail(err)
	}
	if !rec.DeleteMarker {
		b.ri.etag = rec.ETag
	}
	return obj, nil
}

func (b *reqBackend) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	return b.get(bucket, key, b.ri.readVersion, rng, true)
}

// HeadObject serves HEAD (gofakes3 ignores ?versionId on HEAD, so the
// version comes from requestInfo) and CopyObject's source lookup.
func (b *reqBackend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := b.get(bucket, key, b.ri.readVersion, nil, false)
	if err == nil && b.ri.isCopy {
		b.ri.etag = "" // the copy response's ETag is the new object's
	}
	return obj, err
}

func (b *reqBackend) GetObjectVersion(bucket, key string, id gofakes3.VersionID, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	return b.get(bucket, key, string(id), rng, true)
}

func (b *reqBackend) HeadObjectVersion(bucket, key string, id gofakes3.VersionID) (*gofakes3.Object, error) {
	return b.get(bucket, key, string(id), nil, false)
}

func (b *reqBackend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	res, err := b.st.deleteObject(bucket, key)
	return res, b.fail(err)
}

func (b *reqBackend) DeleteObjectVersion(bucket, key string, id gofakes3.VersionID) (gofakes3.ObjectDeleteResult, error) {
	res, err := b.st.deleteVersion(bucket, key, string(id))
	return res, b.fail(err)
}

func (b *reqBackend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	ev := b.ri.ev
	ev.name = b.ri.putEvent
	br, rec, queued, err := b.st.putObject(bucket, key, meta, input, size, cond, &ev)
	if err != nil {
		return gofakes3.PutObjectResult{}, b.fail(err)
	}
	b.ri.queued += queued
	return gofakes3.PutObjectResult{VersionID: wireVersionID(br, rec)}, nil
}

func (b *reqBackend) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	ev := b.ri.ev
	ev.name = EventCopy
	src, dst, dstBR, queued, err := b.st.copyObject(srcBucket, srcKey, b.ri.readVersion, dstBucket, dstKey, meta, &ev)
	if err != nil {
		return gofakes3.CopyObjectResult{}, b.fail(err)
	}
	b.ri.queued += queued
	srcBR, _ := b.st.getBucket(srcBucket)
	if srcBR != nil {
		b.ri.copySrcVersion = wireVersionID(srcBR, src)
	}
	b.ri.copyDstVersion = wireVersionID(dstBR, dst)
	return gofakes3.CopyObjectResult{ETag: `"` + dst.ETag + `"`, LastModified: gofakes3.NewContentTime(dst.LastModified)}, nil
}

func (b *reqBackend) deleteMany(bucket string, objs []gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	if ok, err := b.st.bucketExists(bucket); err != nil || !ok {
		if err == nil {
			err = gofakes3.BucketNotFound(bucket)
		}
		return gofakes3.MultiDeleteResult{}, b.fail(err)
	}
	var res gofakes3.MultiDeleteResult
	for _, o := range objs {
		var err error
		var r gofakes3.ObjectDeleteResult
		if o.VersionID != "" {
			r, err = b.st.deleteVersion(bucket, o.Key, o.VersionID)
		} else {
			r, err = b.st.deleteObject(bucket, o.Key)
		}
		if err != nil {
			er := gofakes3.ErrorResultFromError(err)
			var ae *APIError
			if errors.As(err, &ae) {
				er = gofakes3.ErrorResult{Code: gofakes3.ErrorCode(ae.Code), Message: ae.Message}
			}
			er.Key = o.Key
			res.Error = append(res.Error, er)
			continue
		}
		id := o.VersionID
		if id == "" {
			id = string(r.VersionID)
		}
		res.Deleted = append(res.Deleted, gofakes3.ObjectID{Key: o.Key, VersionID: id})
	}
	return res, nil
}

func (b *reqBackend) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	objs := make([]gofakes3.ObjectID, len(keys))
	for i, k := range keys {
		objs[i].Key = k
	}
	return b.deleteMany(bucket, objs)
}

func (b *reqBackend) DeleteMultiVersions(bucket string, objs ...gofakes3.ObjectID) (gofakes3.MultiDeleteResult, error) {
	return b.deleteMany(bucket, objs)
}

func (b *reqBackend) VersioningConfiguration(bucket string) (gofakes3.VersioningConfiguration, error) {
	br, err := b.st.getBucket(bucket)
	if err != nil {
		return gofakes3.VersioningConfiguration{}, b.fail(err)
	}
	return gofakes3.VersioningConfiguration{Status: gofakes3.VersioningStatus(br.Versioning)}, nil
}

func (b *reqBackend) SetVersioningConfiguration(bucket string, v gofakes3.VersioningConfiguration) error {
	if v.MFADelete == gofakes3.MFADeleteEnabled {
		return b.fail(errNotImplemented("MFA delete"))
	}
	if v.Status == gofakes3.VersioningNone {
		_, err := b.st.getBucket(bucket)
		return b.fail(err)
	}
	return b.fail(b.st.updateBucket(bucket, func(br *bucketRecord) error {
		br.Versioning = string(v.Status)
		return nil
	}))
}

func (b *reqBackend) ListBucketVersions(bucket string, prefix *gofakes3.Prefix, page *gofakes3.ListBucketVersionsPage) (*gofakes3.ListBucketVersionsResult, error) {
	out, err := b.st.listVersions(bucket, prefix, page)
	return out, b.fail(err)
}

func (b *reqBackend) CreateMultipartUpload(bucket, key string, meta map[string]string) (gofakes3.UploadID, error) {
	id, err := b.st.createUpload(bucket, key, meta)
	return gofakes3.UploadID(id), b.fail(err)
}

func (b *reqBackend) UploadPart(bucket, key string, id gofakes3.UploadID, n int, size int64, input io.Reader) (string, error) {
	etag, err := b.st.uploadPart(bucket, key, string(id), n, size, input)
	return etag, b.fail(err)
}

func (b *reqBackend) ListMultipartUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	out, err := b.st.listUploads(bucket, marker, prefix, limit)
	return out, b.fail(err)
}

func (b *reqBackend) ListParts(bucket, key string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	out, err := b.st.listParts(bucket, key, string(id), marker, limit)
	return out, b.fail(err)
}

func (b *reqBackend) AbortMultipartUpload(bucket, key string, id gofakes3.UploadID) error {
	return b.fail(b.st.abortUpload(bucket, key, string(id)))
}

func (b *reqBackend) CompleteMultipartUpload(bucket, key string, id gofakes3.UploadID, in *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	ev := b.ri.ev
	ev.name = EventCompleteMultipartUpload
	br, rec, queued, err := b.st.completeUpload(bucket, key, string(id), in, b.minPartSize, &ev)
	if err != nil {
		return "", "", b.fail(err)
	}
	b.ri.queued += queued
	return wireVersionID(br, rec), `"` + rec.ETag + `"`, nil
}

// responseWriter applies requestInfo's fix-ups to gofakes3's response.
type responseWriter struct {
	http.ResponseWriter
	r           *http.Request
	ri          *requestInfo
	requestID   string
	hostID      string
	wroteHeader bool
	suppress    bool
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	h := w.Header()
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	for k, v := range w.ri.cors {
		h[k] = v
	}
	if code >= 400 && w.ri.apiErr != nil {
		writeAPIError(w.ResponseWriter, w.r, w.ri.apiErr, w.requestID, w.hostID)
		w.suppress = true
		return
	}
	if code < 300 {
		if w.ri.etag != "" {
			h.Set("ETag", `"`+w.ri.etag+`"`)
		}
		if w.ri.partsCount > 0 {
			h.Set("x-amz-mp-parts-count", strconv.Itoa(w.ri.partsCount))
		}
		if w.ri.isCopy {
			setOrDel(h, "x-amz-version-id", string(w.ri.copyDstVersion))
			setOrDel(h, "x-amz-copy-source-version-id", string(w.ri.copySrcVersion))
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		if w.Header().Get("Content-Type") == "" && len(p) >= 5 && string(p[:5]) == "<?xml" {
			w.Header().Set("Content-Type", "application/xml")
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.suppress {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func setOrDel(h http.Header, k, v string) {
	if v == "" {
		h.Del(k)
	} else {
		h.Set(k, v)
	}
}
