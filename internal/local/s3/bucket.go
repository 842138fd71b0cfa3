package s3

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Bucket-level operations.

// validBucketName applies S3's general purpose bucket naming rules.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || net.ParseIP(name) != nil {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		edge := i == 0 || i == len(name)-1
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '.') && !edge:
			if c == '.' && (name[i-1] == '.' || name[i+1] == '.') {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (s *Service) listBuckets(rq *request) error {
	brs, err := s.st.listBuckets()
	if err != nil {
		return err
	}
	out := listAllMyBucketsResult{XMLNS: s3XMLNS, Owner: localOwner}
	for _, br := range brs {
		out.Buckets = append(out.Buckets, bucketXML{Name: br.Name, CreationDate: xmlTime(br.Created)})
	}
	return writeXML(rq.w, out)
}

func (s *Service) createBucket(rq *request) error {
	if !validBucketName(rq.bucket) {
		return errInvalidBucketName(rq.bucket)
	}
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(rq.w, rq.r.Body, s.cfg.MaxXMLBodySize))
	if err := s.st.createBucket(rq.bucket); err != nil {
		return err
	}
	rq.w.Header().Set("Location", "/"+rq.bucket)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) headBucket(rq *request) error {
	if _, err := s.st.getBucket(rq.bucket); err != nil {
		return err
	}
	rq.w.Header().Set("x-amz-bucket-region", s.cfg.Region)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteBucket(rq *request) error {
	if err := s.st.deleteBucket(rq.bucket, false); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxKeys reads a max-keys style parameter: default 1000, capped at 1000.
func maxKeys(v string) (int64, error) {
	if v == "" {
		return 1000, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errInvalidArgument("Provided max-keys not an integer or within integer range")
	}
	return min(n, 1000), nil
}

// listObjects serves ListObjects and, with list-type=2, ListObjectsV2.
func (s *Service) listObjects(rq *request) error {
	q := rq.q
	enc := q.Get("encoding-type")
	if enc != "" && enc != "url" {
		return errInvalidArgument("Invalid Encoding Method specified in Request")
	}
	mk, err := maxKeys(q.Get("max-keys"))
	if err != nil {
		return err
	}
	prefix := listPrefix{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter")}
	page := listPage{MaxKeys: mk}
	v2 := q.Get("list-type") == "2"
	out := listBucketResult{XMLNS: s3XMLNS, Name: rq.bucket, Prefix: encodeKey(enc, prefix.Prefix), MaxKeys: mk,
		Delimiter: encodeKey(enc, prefix.Delimiter), EncodingType: enc}
	if v2 {
		out.ContinuationToken = q.Get("continuation-token")
		out.StartAfter = encodeKey(enc, q.Get("start-after"))
		if tok := q.Get("continuation-token"); tok != "" {
			raw, err := base64Decode(tok)
			if err != nil {
				return errInvalidArgument("The continuation token provided is incorrect")
			}
			page.Marker, page.HasMarker = raw, true
		} else if sa := q.Get("start-after"); sa != "" {
			page.Marker, page.HasMarker = sa, true
		}
	} else {
		m := q.Get("marker")
		out.Marker = &m
		page.Marker, page.HasMarker = m, m != ""
		if out.Marker != nil {
			em := encodeKey(enc, m)
			out.Marker = &em
		}
	}
	res, err := s.st.listCurrent(rq.bucket, prefix, page)
	if err != nil {
		return err
	}
	fetchOwner := !v2 || q.Get("fetch-owner") == "true"
	for _, rec := range res.Objects {
		o := objectXML{Key: encodeKey(enc, rec.Key), LastModified: xmlTime(rec.LastModified), ETag: `"` + rec.ETag + `"`,
			Size: rec.Size, StorageClass: "STANDARD"}
		o.ChecksumAlgorithm, o.ChecksumType = checksumList(rec)
		if fetchOwner {
			o.Owner = &localOwner
		}
		out.Contents = append(out.Contents, o)
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefixXML{encodeKey(enc, cp)})
	}
	out.IsTruncated = res.IsTruncated
	if v2 {
		kc := len(res.Objects) + len(res.CommonPrefixes)
		out.KeyCount = &kc
		if res.IsTruncated {
			out.NextContinuationToken = base64Encode(res.NextMarker)
		}
	} else if res.IsTruncated && prefix.Delimiter != "" {
		out.NextMarker = encodeKey(enc, res.NextMarker)
	}
	return writeXML(rq.w, out)
}

func checksumList(rec *versionRecord) ([]string, string) {
	if len(rec.Checksums) == 0 {
		return nil, ""
	}
	var algos []string
	for _, a := range checksumAlgos {
		if _, ok := rec.Checksums[a]; ok {
			algos = append(algos, a)
		}
	}
	typ := rec.ChecksumType
	if typ == "" {
		typ = "FULL_OBJECT"
	}
	return algos, typ
}

func (s *Service) listObjectVersions(rq *request) error {
	q := rq.q
	enc := q.Get("encoding-type")
	if enc != "" && enc != "url" {
		return errInvalidArgument("Invalid Encoding Method specified in Request")
	}
	mk, err := maxKeys(q.Get("max-keys"))
	if err != nil {
		return err
	}
	prefix := listPrefix{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter")}
	page := versionsPage{MaxKeys: mk}
	if v, ok := q["key-marker"]; ok && v[0] != "" {
		page.KeyMarker, page.HasKeyMarker = v[0], true
	}
	if v, ok := q["version-id-marker"]; ok && v[0] != "" {
		if !page.HasKeyMarker {
			return errInvalidArgument("A version-id marker cannot be specified without a key marker.")
		}
		page.VersionIDMarker, page.HasVersionIDMarker = v[0], true
	}
	res, err := s.st.listVersions(rq.bucket, prefix, page)
	if err != nil {
		return err
	}
	out := listVersionsResult{XMLNS: s3XMLNS, Name: rq.bucket, Prefix: encodeKey(enc, prefix.Prefix),
		KeyMarker: encodeKey(enc, page.KeyMarker), VersionIDMarker: page.VersionIDMarker, MaxKeys: mk,
		Delimiter: encodeKey(enc, prefix.Delimiter), EncodingType: enc, IsTruncated: res.IsTruncated,
		NextKeyMarker: encodeKey(enc, res.NextKeyMarker), NextVersionIDMarker: res.NextVersionIDMarker}
	for _, v := range res.Versions {
		e := versionXML{Key: encodeKey(enc, v.Rec.Key), VersionID: v.VersionID, IsLatest: v.IsLatest,
			LastModified: xmlTime(v.Rec.LastModified), Owner: localOwner}
		if v.Rec.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			e.XMLName.Local = "Version"
			size := v.Rec.Size
			e.Size, e.ETag, e.StorageClass = &size, `"`+v.Rec.ETag+`"`, "STANDARD"
			e.ChecksumAlgorithm, e.ChecksumType = checksumList(v.Rec)
		}
		out.Entries = append(out.Entries, e)
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefixXML{encodeKey(enc, cp)})
	}
	return writeXML(rq.w, out)
}

// getBucketVersioning answers an empty configuration for a bucket that was
// never versioned, as S3 does.
func (s *Service) getBucketVersioning(rq *request) error {
	br, err := s.st.getBucket(rq.bucket)
	if err != nil {
		return err
	}
	return writeXML(rq.w, versioningConfiguration{XMLNS: s3XMLNS, Status: br.Versioning})
}

func (s *Service) putBucketVersioning(rq *request) error {
	var in versioningConfiguration
	if err := readXML(rq.w, rq.r, s.cfg.MaxXMLBodySize, &in); err != nil {
		return err
	}
	if in.MFADelete == "Enabled" {
		return errNotImplemented("MFA delete")
	}
	if in.Status != versioningEnabled && in.Status != versioningSuspended {
		return errMalformedXML()
	}
	if err := s.st.updateBucket(rq.bucket, func(br *bucketRecord) error {
		br.Versioning = in.Status
		return nil
	}); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketLocation answers the configured region ("" for us-east-1).
func (s *Service) getBucketLocation(rq *request) error {
	if _, err := s.st.getBucket(rq.bucket); err != nil {
		return err
	}
	loc := s.cfg.Region
	if loc == "us-east-1" {
		loc = ""
	}
	return writeXML(rq.w, locationConstraint{XMLNS: s3XMLNS, Value: loc})
}

func (s *Service) getBucketNotification(rq *request) error {
	br, err := s.st.getBucket(rq.bucket)
	if err != nil {
		return err
	}
	body, err := notificationXML(br.Notifications)
	if err != nil {
		return err
	}
	rq.w.Header().Set("Content-Type", "application/xml")
	_, _ = rq.w.Write(body)
	return nil
}

func (s *Service) putBucketNotification(rq *request) error {
	body, err := io.ReadAll(http.MaxBytesReader(rq.w, rq.r.Body, s.cfg.MaxXMLBodySize))
	if err != nil {
		return errMalformedXML()
	}
	cfgs, ae := parseNotificationXML(body)
	if ae != nil {
		return ae
	}
	if err := s.st.updateBucket(rq.bucket, func(br *bucketRecord) error {
		br.Notifications = cfgs
		return nil
	}); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// deleteObjects serves DeleteObjects: per key a Deleted or an Error entry;
// on a versioned bucket a delete marker's creation or removal is reported
// with DeleteMarker and DeleteMarkerVersionId, as S3 does.
func (s *Service) deleteObjects(rq *request) error {
	var in deleteRequest
	if err := readXML(rq.w, rq.r, s.cfg.MaxXMLBodySize, &in); err != nil {
		return err
	}
	if len(in.Objects) == 0 || len(in.Objects) > 1000 {
		return errMalformedXML()
	}
	if _, err := s.st.getBucket(rq.bucket); err != nil {
		return err
	}
	out := deleteResultXML{XMLNS: s3XMLNS}
	for _, o := range in.Objects {
		var res deleteResult
		var queued int
		var err error
		if o.VersionID != "" {
			res, queued, err = s.st.deleteVersion(rq.bucket, o.Key, o.VersionID, rq.event(EventDelete))
		} else {
			res, queued, err = s.st.deleteObject(rq.bucket, o.Key, rq.event(EventDelete))
		}
		rq.queued += queued
		if err != nil {
			ae := s.toAPIError(rq, err)
			out.Errors = append(out.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID, Code: ae.Code, Message: ae.Message})
			continue
		}
		if in.Quiet {
			continue
		}
		d := deletedXML{Key: o.Key, VersionID: o.VersionID}
		if res.IsDeleteMarker {
			d.DeleteMarker, d.DeleteMarkerVersionID = true, res.VersionID
		}
		out.Deleted = append(out.Deleted, d)
	}
	return writeXML(rq.w, out)
}

func (s *Service) listMultipartUploads(rq *request) error {
	q := rq.q
	limit := 1000
	if v := q.Get("max-uploads"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-uploads not an integer or within integer range")
		}
		limit = min(n, 1000)
	}
	prefix := listPrefix{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter")}
	marker := uploadMarker{Key: q.Get("key-marker"), UploadID: q.Get("upload-id-marker")}
	res, err := s.st.listUploads(rq.bucket, marker, prefix, limit)
	if err != nil {
		return err
	}
	out := listMultipartUploadsResult{XMLNS: s3XMLNS, Bucket: rq.bucket, KeyMarker: marker.Key, UploadIDMarker: marker.UploadID,
		NextKeyMarker: res.NextKeyMarker, NextUploadIDMarker: res.NextUploadIDMarker, Prefix: prefix.Prefix,
		Delimiter: prefix.Delimiter, MaxUploads: limit, IsTruncated: res.IsTruncated}
	for _, up := range res.Uploads {
		out.Uploads = append(out.Uploads, uploadXML{Key: up.Key, UploadID: up.ID, Initiator: localOwner, Owner: localOwner,
			StorageClass: "STANDARD", Initiated: xmlTime(up.Initiated)})
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefixXML{cp})
	}
	return writeXML(rq.w, out)
}

// postObject serves a browser form upload (POST Object): the form's
// fields, then the file, which must be the last field. The policy is not
// evaluated (the local stack's credentials are public).
func (s *Service) postObject(rq *request) error {
	mt, params, err := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return errInvalidArgument("POST requires exactly one file upload per request.")
	}
	body := http.MaxBytesReader(rq.w, rq.r.Body, s.cfg.MaxObjectSize+1<<20)
	mr := multipart.NewReader(body, params["boundary"])
	fields := http.Header{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return errInvalidArgument("POST requires exactly one file upload per request.")
		}
		if err != nil {
			return bodyError(err)
		}
		name := part.FormName()
		if name != "file" {
			v, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return bodyError(err)
			}
			fields.Set(name, string(v))
			continue
		}
		key := fields.Get("key")
		if key == "" {
			return errInvalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
		}
		key = strings.ReplaceAll(key, "${filename}", part.FileName())
		ct := fields.Get("Content-Type")
		if ct == "" {
			ct = part.Header.Get("Content-Type")
		}
		fields.Set("Content-Type", ct)
		in := objectInput{Meta: metaFromHeader(fields)}
		if tags := fields.Get("tagging"); tags != "" {
			var t tagging
			if err := xmlUnmarshalString(tags, &t); err != nil {
				return errMalformedXML()
			}
			in.Tags = t.TagSet
		}
		crc := newChecksum("CRC64NVME")
		rec, err := s.st.writeObject(rq.bucket, key, in, part, -1, crc)
		if err != nil {
			return err
		}
		rec.Checksums, rec.ChecksumType = map[string]string{"CRC64NVME": b64(crc.Sum(nil))}, "FULL_OBJECT"
		br, rec, queued, err := s.st.commitNew(rq.bucket, rec, nil, rq.event(EventPost))
		if err != nil {
			return err
		}
		rq.queued += queued
		h := rq.w.Header()
		h.Set("ETag", `"`+rec.ETag+`"`)
		h.Set("Location", "/"+rq.bucket+"/"+key)
		setOrDel(h, "x-amz-version-id", wireVersionID(br, rec))
		status := http.StatusNoContent
		switch fields.Get("success_action_status") {
		case "200":
			status = http.StatusOK
		case "201":
			status = http.StatusCreated
		}
		rq.w.WriteHeader(status)
		return nil
	}
}
