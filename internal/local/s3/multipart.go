package s3

import (
	"hash"
	"net/http"
	"strconv"
	"strings"
)

// Multipart upload operations.

func (s *Service) createMultipartUpload(rq *request) error {
	hdr := rq.r.Header
	tags, err := parseTagging(hdr.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	in := objectInput{Meta: metaFromHeader(hdr), Tags: tags}
	if a := strings.ToUpper(hdr.Get("X-Amz-Checksum-Algorithm")); a != "" {
		if newChecksum(a) == nil {
			return errInvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		in.ChecksumAlgo = a
		in.ChecksumType = strings.ToUpper(hdr.Get("X-Amz-Checksum-Type"))
		if in.ChecksumType == "" {
			in.ChecksumType = "COMPOSITE"
			if a == "CRC64NVME" {
				in.ChecksumType = "FULL_OBJECT"
			}
		}
		if in.ChecksumType != "COMPOSITE" && in.ChecksumType != "FULL_OBJECT" ||
			in.ChecksumType == "FULL_OBJECT" && !strings.HasPrefix(a, "CRC") ||
			in.ChecksumType == "COMPOSITE" && a == "CRC64NVME" {
			return errInvalidRequest("The " + a + " checksum algorithm does not support the " + in.ChecksumType + " checksum type.")
		}
	}
	id, err := s.st.createUpload(rq.bucket, rq.key, in)
	if err != nil {
		return err
	}
	if in.ChecksumAlgo != "" {
		rq.w.Header().Set("x-amz-checksum-algorithm", in.ChecksumAlgo)
		rq.w.Header().Set("x-amz-checksum-type", in.ChecksumType)
	}
	return writeXML(rq.w, initiateMultipartUploadResult{XMLNS: s3XMLNS, Bucket: rq.bucket, Key: rq.key, UploadID: id})
}

func partNumber(q string) (int, error) {
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

// uploadPart serves UploadPart, or UploadPartCopy when x-amz-copy-source
// is set.
func (s *Service) uploadPart(rq *request) error {
	id := rq.q.Get("uploadId")
	n, err := partNumber(rq.q.Get("partNumber"))
	if err != nil {
		return err
	}
	if rq.r.Header.Get("X-Amz-Copy-Source") != "" {
		return s.uploadPartCopy(rq, id, n)
	}
	up, err := s.st.checkUpload(rq.bucket, rq.key, id)
	if err != nil {
		return err
	}
	cs, ae := newChecksummer(rq.r, up.ChecksumAlgo)
	if ae != nil {
		return ae
	}
	body, size, trailers, err := s.objectBody(rq)
	if err != nil {
		return err
	}
	p, err := s.st.writePart(rq.bucket, rq.key, id, n, size, body, cs.writers()...)
	if err != nil {
		return err
	}
	sums, ae := cs.verify(mustHex(p.ETag), trailers())
	if ae != nil {
		s.st.removeBlobs([]string{p.Blob})
		return ae
	}
	p.Checksums = sums
	if p, err = s.st.putPart(rq.bucket, rq.key, id, n, p); err != nil {
		return err
	}
	h := rq.w.Header()
	h.Set("ETag", `"`+p.ETag+`"`)
	for algo, v := range p.Checksums {
		h[checksumHeader(algo)] = []string{v}
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// uploadPartCopy copies a source object, or the x-amz-copy-source-range of
// it, into part n.
func (s *Service) uploadPartCopy(rq *request, id string, n int) error {
	up, err := s.st.checkUpload(rq.bucket, rq.key, id)
	if err != nil {
		return err
	}
	srcBR, src, _, err := s.resolveCopySource(rq)
	if err != nil {
		return err
	}
	var rng *byteRange
	if v := rq.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		spec, ok := strings.CutPrefix(v, "bytes=")
		first, last, ok2 := strings.Cut(spec, "-")
		start, err1 := strconv.ParseInt(first, 10, 64)
		end, err2 := strconv.ParseInt(last, 10, 64)
		if !ok || !ok2 || err1 != nil || err2 != nil || start < 0 || end < start {
			return errInvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
		}
		if end >= src.Size {
			return &APIError{Status: http.StatusRequestedRangeNotSatisfiable, Code: "InvalidRange",
				Message: "The requested range is not satisfiable"}
		}
		rng = &byteRange{Start: start, Length: end - start + 1}
	}
	f, err := s.st.openBlob(src.Blob, rng)
	if err != nil {
		return errNoSuchKey(src.Key)
	}
	defer f.Close()
	size := src.Size
	if rng != nil {
		size = rng.Length
	}
	var extra []hash.Hash
	var sum hash.Hash
	if up.ChecksumAlgo != "" {
		sum = newChecksum(up.ChecksumAlgo)
		extra = append(extra, sum)
	}
	p, err := s.st.writePart(rq.bucket, rq.key, id, n, size, f, extra...)
	if err != nil {
		return err
	}
	if sum != nil {
		p.Checksums = map[string]string{up.ChecksumAlgo: b64(sum.Sum(nil))}
	}
	if p, err = s.st.putPart(rq.bucket, rq.key, id, n, p); err != nil {
		return err
	}
	setOrDel(rq.w.Header(), "x-amz-copy-source-version-id", wireVersionID(srcBR, src))
	return writeXML(rq.w, copyPartResult{XMLNS: s3XMLNS, ETag: `"` + p.ETag + `"`, LastModified: xmlTime(p.LastModified),
		checksumsXML: checksumsOf(p.Checksums)})
}

func (s *Service) listParts(rq *request) error {
	q := rq.q
	limit := 1000
	if v := q.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-parts not an integer or within integer range")
		}
		limit = min(n, 1000)
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided part-number-marker not an integer or within integer range")
		}
		marker = n
	}
	id := q.Get("uploadId")
	res, err := s.st.listParts(rq.bucket, rq.key, id, marker, limit)
	if err != nil {
		return err
	}
	out := listPartsResult{XMLNS: s3XMLNS, Bucket: rq.bucket, Key: rq.key, UploadID: id, PartNumberMarker: marker,
		NextPartNumberMarker: res.NextPartNumberMarker, MaxParts: limit, IsTruncated: res.IsTruncated,
		Initiator: localOwner, Owner: localOwner, StorageClass: "STANDARD", ChecksumAlgorithm: res.Upload.ChecksumAlgo}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, partXML{PartNumber: p.Number, LastModified: xmlTime(p.LastModified),
			ETag: `"` + p.ETag + `"`, Size: p.Size, checksumsXML: checksumsOf(p.Checksums)})
	}
	return writeXML(rq.w, out)
}

func (s *Service) completeMultipartUpload(rq *request) error {
	var in completeMultipartUpload
	if err := readXML(rq.w, rq.r, s.cfg.MaxXMLBodySize, &in); err != nil {
		return err
	}
	parts := make([]completedPart, len(in.Parts))
	for i, p := range in.Parts {
		parts[i] = completedPart{PartNumber: p.PartNumber, ETag: p.ETag, Checksums: p.toMap()}
	}
	br, rec, queued, err := s.st.completeUpload(rq.bucket, rq.key, rq.q.Get("uploadId"), parts, s.cfg.MinPartSize,
		rq.event(EventCompleteMultipartUpload))
	if err != nil {
		return err
	}
	rq.queued += queued
	setOrDel(rq.w.Header(), "x-amz-version-id", wireVersionID(br, rec))
	return writeXML(rq.w, completeMultipartUploadResult{XMLNS: s3XMLNS, Location: "/" + rq.bucket + "/" + rq.key,
		Bucket: rq.bucket, Key: rq.key, ETag: `"` + rec.ETag + `"`, ChecksumType: rec.ChecksumType,
		checksumsXML: checksumsOf(rec.Checksums)})
}

func (s *Service) abortMultipartUpload(rq *request) error {
	if err := s.st.abortUpload(rq.bucket, rq.key, rq.q.Get("uploadId")); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}
