package s3

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Object-level operations: PutObject, CopyObject, GetObject, HeadObject,
// DeleteObject and object tagging.

// storedHeaders are the request headers S3 keeps with an object and returns
// on GET and HEAD, besides x-amz-meta-*.
var storedHeaders = []string{"Content-Type", "Content-Disposition", "Content-Encoding", "Content-Language",
	"Cache-Control", "Expires", "X-Amz-Website-Redirect-Location"}

const metaPrefix = "x-amz-meta-"

// metaFromHeader takes what S3 stores from a write's headers: the content
// headers, the website redirect and the user metadata, whose names S3
// lower-cases.
func metaFromHeader(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range storedHeaders {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	if enc, ok := out["Content-Encoding"]; ok {
		var keep []string
		for e := range strings.SplitSeq(enc, ",") {
			if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
				keep = append(keep, e)
			}
		}
		setOrDelMap(out, "Content-Encoding", strings.Join(keep, ","))
	}
	for k, vs := range h {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, metaPrefix) && len(lk) > len(metaPrefix) {
			out[lk] = strings.Join(vs, ",")
		}
	}
	if out["Content-Type"] == "" {
		out["Content-Type"] = "binary/octet-stream"
	}
	return out
}

// writeMeta sets an object's stored headers on a response; user metadata
// names go out lower-case, as S3 sends them.
func writeMeta(h http.Header, meta map[string]string) {
	for k, v := range meta {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, metaPrefix) {
			h[lk] = []string{v}
			continue
		}
		h.Set(k, v)
	}
}

func setOrDel(h http.Header, k, v string) {
	if v == "" {
		h.Del(k)
	} else {
		h.Set(k, v)
	}
}

func setOrDelMap(m map[string]string, k, v string) {
	if v == "" {
		delete(m, k)
	} else {
		m[k] = v
	}
}

func base64Encode(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

func base64Decode(s string) (string, error) {
	b, err := base64.URLEncoding.DecodeString(s)
	return string(b), err
}

func xmlUnmarshalString(s string, v any) error { return xml.Unmarshal([]byte(s), v) }

// parseTagging parses an x-amz-tagging header (URL query form) and checks
// the tag limits.
func parseTagging(v string) ([]tag, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."}
	}
	var tags []tag
	for _, kv := range strings.Split(v, "&") {
		k, _, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		if vs, ok := q[k]; ok {
			if len(vs) > 1 {
				return nil, &APIError{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."}
			}
			tags = append(tags, tag{Key: k, Value: vs[0]})
			delete(q, k)
		}
	}
	return tags, checkTags(tags)
}

func checkTags(tags []tag) error {
	if len(tags) > 10 {
		return &APIError{Status: http.StatusBadRequest, Code: "BadRequest", Message: "Object tags cannot be greater than 10"}
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if seen[t.Key] {
			return &APIError{Status: http.StatusBadRequest, Code: "InvalidTag", Message: "Cannot provide multiple Tags with the same key"}
		}
		seen[t.Key] = true
		if t.Key == "" || len([]rune(t.Key)) > 128 {
			return &APIError{Status: http.StatusBadRequest, Code: "InvalidTag", Message: "The TagKey you have provided is invalid"}
		}
		if len([]rune(t.Value)) > 256 {
			return &APIError{Status: http.StatusBadRequest, Code: "InvalidTag", Message: "The TagValue you have provided is invalid"}
		}
	}
	return nil
}

// objectBody caps and decodes a write's body: aws-chunked framing is
// removed (its trailers kept), and the size is checked against
// MaxObjectSize early on the declared length and then hard-limited.
func (s *Service) objectBody(rq *request) (body io.Reader, size int64, trailers func() map[string]string, err error) {
	r := rq.r
	noTrailers := func() map[string]string { return nil }
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") || strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		size, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil || size < 0 {
			return nil, 0, nil, &APIError{Status: http.StatusLengthRequired, Code: "MissingContentLength",
				Message: "You must provide the Content-Length HTTP header."}
		}
		if size > s.cfg.MaxObjectSize {
			return nil, 0, nil, errEntityTooLarge(s.cfg.MaxObjectSize)
		}
		cr := newChunkedReader(http.MaxBytesReader(rq.w, r.Body, size+size/4+64<<10))
		return cr, size, func() map[string]string { return cr.trailers }, nil
	}
	if r.ContentLength > s.cfg.MaxObjectSize {
		return nil, 0, nil, errEntityTooLarge(s.cfg.MaxObjectSize)
	}
	return http.MaxBytesReader(rq.w, r.Body, s.cfg.MaxObjectSize), r.ContentLength, noTrailers, nil
}

// putObject serves PutObject, or CopyObject when x-amz-copy-source is set.
func (s *Service) putObject(rq *request) error {
	if rq.r.Header.Get("X-Amz-Copy-Source") != "" {
		return s.copyObject(rq)
	}
	tags, err := parseTagging(rq.r.Header.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	cs, ae := newChecksummer(rq.r, "CRC64NVME")
	if ae != nil {
		return ae
	}
	body, size, trailers, err := s.objectBody(rq)
	if err != nil {
		return err
	}
	rec, err := s.st.writeObject(rq.bucket, rq.key, objectInput{Meta: metaFromHeader(rq.r.Header), Tags: tags}, body, size, cs.writers()...)
	if err != nil {
		return err
	}
	sums, ae := cs.verify(rec.MD5, trailers())
	if ae != nil {
		s.st.removeBlobs([]string{rec.Blob})
		return ae
	}
	rec.Checksums, rec.ChecksumType = sums, ""
	if sums != nil {
		rec.ChecksumType = "FULL_OBJECT"
	}
	cond := &putConditions{IfMatch: rq.r.Header.Get("If-Match"), IfNoneMatch: rq.r.Header.Get("If-None-Match")}
	br, rec, queued, err := s.st.commitNew(rq.bucket, rec, cond, rq.event(EventPut))
	if err != nil {
		return err
	}
	rq.queued += queued
	h := rq.w.Header()
	h.Set("ETag", `"`+rec.ETag+`"`)
	setOrDel(h, "x-amz-version-id", wireVersionID(br, rec))
	setChecksumHeaders(h, rec.Checksums, rec.ChecksumType)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key",
// URL-encoded, with an optional "?versionId=".
func copySource(raw string) (bucket, key, version string, err error) {
	src, rawQuery, _ := strings.Cut(raw, "?")
	src, err = url.PathUnescape(strings.TrimPrefix(src, "/"))
	if err != nil {
		return "", "", "", errInvalidArgument("Invalid copy source encoding")
	}
	bucket, key, ok := strings.Cut(src, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", "", errInvalidArgument("Invalid copy source object key")
	}
	if rawQuery != "" {
		sq, err := url.ParseQuery(rawQuery)
		if err != nil {
			return "", "", "", errInvalidArgument("Invalid copy source")
		}
		version = sq.Get("versionId")
	}
	return bucket, key, version, nil
}

// checkCopyConditions applies the x-amz-copy-source-if-* headers to src.
func checkCopyConditions(hdr http.Header, src *versionRecord) error {
	if v := hdr.Get("X-Amz-Copy-Source-If-Match"); v != "" && !etagMatches(v, src.ETag) {
		return errPreconditionFailed()
	}
	if v := hdr.Get("X-Amz-Copy-Source-If-None-Match"); v != "" && etagMatches(v, src.ETag) {
		return errPreconditionFailed()
	}
	lm := src.LastModified.Truncate(time.Second)
	if t, err := http.ParseTime(hdr.Get("X-Amz-Copy-Source-If-Unmodified-Since")); err == nil && lm.After(t) {
		return errPreconditionFailed()
	}
	if t, err := http.ParseTime(hdr.Get("X-Amz-Copy-Source-If-Modified-Since")); err == nil && !lm.After(t) {
		return errPreconditionFailed()
	}
	return nil
}

// resolveCopySource parses and looks up x-amz-copy-source and checks its
// conditions.
func (s *Service) resolveCopySource(rq *request) (*bucketRecord, *versionRecord, string, error) {
	srcBucket, srcKey, srcVersion, err := copySource(rq.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, nil, "", err
	}
	srcBR, src, err := s.st.copySource(srcBucket, srcKey, srcVersion)
	if err != nil {
		return nil, nil, "", err
	}
	if err := checkCopyConditions(rq.r.Header, src); err != nil {
		return nil, nil, "", err
	}
	return srcBR, src, srcBucket, nil
}

// copyObject serves CopyObject: metadata and tags are the source's
// (directive COPY, the default) or the request's (REPLACE).
func (s *Service) copyObject(rq *request) error {
	hdr := rq.r.Header
	md := strings.ToUpper(hdr.Get("X-Amz-Metadata-Directive"))
	td := strings.ToUpper(hdr.Get("X-Amz-Tagging-Directive"))
	if md != "" && md != "COPY" && md != "REPLACE" {
		return errInvalidArgument("Unknown metadata directive.")
	}
	if td != "" && td != "COPY" && td != "REPLACE" {
		return errInvalidArgument("Unknown tagging directive.")
	}
	srcBR, src, srcBucket, err := s.resolveCopySource(rq)
	if err != nil {
		return err
	}
	if srcBucket == rq.bucket && src.Key == rq.key && md != "REPLACE" &&
		hdr.Get("X-Amz-Storage-Class") == "" && hdr.Get("X-Amz-Website-Redirect-Location") == "" &&
		hdr.Get("X-Amz-Server-Side-Encryption") == "" {
		return errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	in := objectInput{Meta: src.Meta, Tags: src.Tags}
	if md == "REPLACE" {
		in.Meta = metaFromHeader(hdr)
	} else if v := hdr.Get("X-Amz-Website-Redirect-Location"); v != "" {
		in.Meta = cloneMap(src.Meta)
		in.Meta["X-Amz-Website-Redirect-Location"] = v
	}
	if td == "REPLACE" {
		if in.Tags, err = parseTagging(hdr.Get("X-Amz-Tagging")); err != nil {
			return err
		}
	}
	dst, dstBR, queued, err := s.st.copyObject(src, rq.bucket, rq.key, in, rq.event(EventCopy))
	if err != nil {
		return err
	}
	rq.queued += queued
	h := rq.w.Header()
	setOrDel(h, "x-amz-version-id", wireVersionID(dstBR, dst))
	setOrDel(h, "x-amz-copy-source-version-id", wireVersionID(srcBR, src))
	return writeXML(rq.w, copyObjectResult{XMLNS: s3XMLNS, ETag: `"` + dst.ETag + `"`, LastModified: xmlTime(dst.LastModified),
		ChecksumType: dst.ChecksumType, checksumsXML: checksumsOf(dst.Checksums)})
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// parseRange parses a single "bytes=" range against size. ok is false for
// a header S3 ignores (not bytes, several ranges); an unsatisfiable range
// is InvalidRange.
func parseRange(v string, size int64) (rng *byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return nil, false, nil
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return nil, false, nil
	}
	invalid := &APIError{Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidRange",
		Message: "The requested range is not satisfiable", Header: http.Header{"Content-Range": {fmt.Sprintf("bytes */%d", size)}}}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil {
			return nil, false, nil
		}
		if n == 0 || size == 0 {
			return nil, false, invalid
		}
		n = min(n, size)
		return &byteRange{Start: size - n, Length: n}, true, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return nil, false, nil
	}
	end := size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
			return nil, false, nil
		}
	}
	if start >= size {
		return nil, false, invalid
	}
	end = min(end, size-1)
	return &byteRange{Start: start, Length: end - start + 1}, true, nil
}

// getObject serves GetObject and HeadObject.
func (s *Service) getObject(rq *request) error {
	r, q, h := rq.r, rq.q, rq.w.Header()
	versionID := q.Get("versionId")
	br, rec, err := s.st.lookup(rq.bucket, rq.key, versionID)
	if err != nil {
		return err
	}
	if rec.DeleteMarker {
		hdr := http.Header{"x-amz-delete-marker": {"true"}}
		if vid := wireVersionID(br, rec); vid != "" {
			hdr["x-amz-version-id"] = []string{vid}
		}
		if versionID == "" {
			ae := errNoSuchKey(rq.key)
			ae.Header = hdr
			return ae
		}
		hdr["Last-Modified"] = []string{rec.LastModified.UTC().Format(http.TimeFormat)}
		hdr["Allow"] = []string{"DELETE"}
		ae := errMethodNotAllowed()
		ae.Header = hdr
		return ae
	}
	lm := rec.LastModified.Truncate(time.Second)
	if im := r.Header.Get("If-Match"); im != "" {
		if !etagMatches(im, rec.ETag) {
			return errPreconditionFailed()
		}
	} else if t, err := http.ParseTime(r.Header.Get("If-Unmodified-Since")); err == nil && lm.After(t) {
		return errPreconditionFailed()
	}
	notModified := false
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		notModified = etagMatches(inm, rec.ETag)
	} else if t, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !lm.After(t) {
		notModified = true
	}
	h.Set("ETag", `"`+rec.ETag+`"`)
	h.Set("Last-Modified", rec.LastModified.UTC().Format(http.TimeFormat))
	setOrDel(h, "x-amz-version-id", wireVersionID(br, rec))
	if notModified {
		rq.w.WriteHeader(http.StatusNotModified)
		return nil
	}

	var rng *byteRange
	if pn := q.Get("partNumber"); pn != "" {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > maxPartNumber {
			return errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
		}
		if r.Header.Get("Range") != "" {
			return errInvalidRequest("Cannot specify both Range header and partNumber query parameter")
		}
		sizes := rec.PartSizes
		if len(sizes) == 0 {
			sizes = []int64{rec.Size}
		} else {
			h.Set("x-amz-mp-parts-count", strconv.Itoa(len(sizes)))
		}
		if n > len(sizes) {
			return &APIError{Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidPartNumber",
				Message: "The requested partnumber is not satisfiable"}
		}
		var start int64
		for _, sz := range sizes[:n-1] {
			start += sz
		}
		rng = &byteRange{Start: start, Length: sizes[n-1]}
	} else if v := r.Header.Get("Range"); v != "" {
		var ok bool
		if rng, ok, err = parseRange(v, rec.Size); err != nil {
			return err
		} else if !ok {
			rng = nil
		}
	}

	writeMeta(h, rec.Meta)
	h.Set("Accept-Ranges", "bytes")
	if len(rec.Tags) > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(len(rec.Tags)))
	}
	if rng == nil && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		setChecksumHeaders(h, rec.Checksums, rec.ChecksumType)
	}
	if r.Method == http.MethodGet {
		for _, o := range []struct{ param, header string }{
			{"response-content-type", "Content-Type"}, {"response-content-language", "Content-Language"},
			{"response-expires", "Expires"}, {"response-cache-control", "Cache-Control"},
			{"response-content-disposition", "Content-Disposition"}, {"response-content-encoding", "Content-Encoding"},
		} {
			if v := q.Get(o.param); v != "" {
				h.Set(o.header, v)
			}
		}
	}
	status, length := http.StatusOK, rec.Size
	if rng != nil {
		status, length = http.StatusPartialContent, rng.Length
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.Start, rng.Start+rng.Length-1, rec.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	if r.Method == http.MethodHead {
		rq.w.WriteHeader(status)
		return nil
	}
	f, err := s.st.openBlob(rec.Blob, rng)
	if err != nil {
		h.Del("Content-Length")
		h.Del("Content-Range")
		return errNoSuchKey(rq.key) // deleted concurrently
	}
	defer f.Close()
	rq.w.WriteHeader(status)
	_, _ = io.Copy(rq.w, f) // a client gone mid-body is not an error to answer
	return nil
}

func (s *Service) deleteObject(rq *request) error {
	var res deleteResult
	var queued int
	var err error
	if v := rq.q.Get("versionId"); v != "" {
		res, queued, err = s.st.deleteVersion(rq.bucket, rq.key, v, rq.event(EventDelete))
	} else {
		res, queued, err = s.st.deleteObject(rq.bucket, rq.key, rq.event(EventDelete))
	}
	if err != nil {
		return err
	}
	rq.queued += queued
	h := rq.w.Header()
	if res.IsDeleteMarker {
		h.Set("x-amz-delete-marker", "true")
	}
	setOrDel(h, "x-amz-version-id", res.VersionID)
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getObjectTagging(rq *request) error {
	br, rec, err := s.st.lookup(rq.bucket, rq.key, rq.q.Get("versionId"))
	if err != nil {
		return err
	}
	if rec.DeleteMarker {
		if rq.q.Get("versionId") == "" {
			return errNoSuchKey(rq.key)
		}
		return errMethodNotAllowed()
	}
	setOrDel(rq.w.Header(), "x-amz-version-id", wireVersionID(br, rec))
	return writeXML(rq.w, tagging{XMLNS: s3XMLNS, TagSet: rec.Tags})
}

func (s *Service) putObjectTagging(rq *request) error {
	var in tagging
	if err := readXML(rq.w, rq.r, s.cfg.MaxXMLBodySize, &in); err != nil {
		return err
	}
	if err := checkTags(in.TagSet); err != nil {
		return err
	}
	br, rec, err := s.st.updateVersion(rq.bucket, rq.key, rq.q.Get("versionId"), func(rec *versionRecord) { rec.Tags = in.TagSet })
	if err != nil {
		return err
	}
	setOrDel(rq.w.Header(), "x-amz-version-id", wireVersionID(br, rec))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteObjectTagging(rq *request) error {
	br, rec, err := s.st.updateVersion(rq.bucket, rq.key, rq.q.Get("versionId"), func(rec *versionRecord) { rec.Tags = nil })
	if err != nil {
		return err
	}
	setOrDel(rq.w.Header(), "x-amz-version-id", wireVersionID(br, rec))
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}
