package s3

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Multipart uploads are persisted: each part is a blob, and the upload
// record lists them, so an upload survives a restart.

func (st *store) upload(tx *bolt.Tx, bucket, key, id string) (*uploadRecord, error) {
	up, err := getJSON[uploadRecord](tx.Bucket(bktUploads), []byte(id))
	if err != nil {
		return nil, err
	}
	if up == nil || up.Bucket != bucket || up.Key != key {
		return nil, errNoSuchUpload(id)
	}
	return up, nil
}

func (st *store) createUpload(bucket, key string, in objectInput) (string, error) {
	id := newID()
	err := st.db.Update(func(tx *bolt.Tx) error {
		if _, err := st.bucket(tx, bucket); err != nil {
			return err
		}
		up := uploadRecord{ID: id, Bucket: bucket, Key: key, Meta: in.Meta, Tags: in.Tags, ChecksumAlgo: in.ChecksumAlgo, ChecksumType: in.ChecksumType, Initiated: st.clock.Now().UTC()}
		return putJSON(tx.Bucket(bktUploads), []byte(id), up)
	})
	return id, err
}

// maxPartNumber is S3's highest part number.
const maxPartNumber = 10000

// checkUpload reports whether the upload exists, before a part is written.
func (st *store) checkUpload(bucket, key, id string) (*uploadRecord, error) {
	var up *uploadRecord
	err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		up, err = st.upload(tx, bucket, key, id)
		return err
	})
	return up, err
}

// writePart writes r as the blob of part n (not yet recorded: see putPart).
func (st *store) writePart(bucket, key, id string, n int, size int64, r io.Reader, extra ...hash.Hash) (partRecord, error) {
	if n < 1 || n > maxPartNumber {
		return partRecord{}, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
	}
	if _, err := st.checkUpload(bucket, key, id); err != nil {
		return partRecord{}, err
	}
	blob, written, sum, err := st.writeBlob(r, extra...)
	if err != nil {
		return partRecord{}, bodyError(err)
	}
	if size >= 0 && written != size {
		st.removeBlobs([]string{blob})
		return partRecord{}, errIncompleteBody()
	}
	return partRecord{Blob: blob, Size: written, ETag: hex.EncodeToString(sum)}, nil
}

// putPart records p as part n of the upload, replacing an earlier one.
// p's blob is removed if the upload is gone.
func (st *store) putPart(bucket, key, id string, n int, p partRecord) (partRecord, error) {
	var old string
	p.LastModified = st.clock.Now().UTC()
	err := st.db.Update(func(tx *bolt.Tx) error {
		up, err := st.upload(tx, bucket, key, id)
		if err != nil {
			return err
		}
		if up.Parts == nil {
			up.Parts = map[int]partRecord{}
		}
		old = up.Parts[n].Blob
		up.Parts[n] = p
		return putJSON(tx.Bucket(bktUploads), []byte(id), up)
	})
	if err != nil {
		st.removeBlobs([]string{p.Blob})
		return partRecord{}, err
	}
	st.removeBlobs([]string{old})
	return p, nil
}

func (st *store) abortUpload(bucket, key, id string) error {
	var garbage []string
	err := st.db.Update(func(tx *bolt.Tx) error {
		up, err := st.upload(tx, bucket, key, id)
		if err != nil {
			return err
		}
		for _, p := range up.Parts {
			garbage = append(garbage, p.Blob)
		}
		return tx.Bucket(bktUploads).Delete([]byte(id))
	})
	if err == nil {
		st.removeBlobs(garbage)
	}
	return err
}

func sortedParts(up *uploadRecord) []int {
	nums := make([]int, 0, len(up.Parts))
	for n := range up.Parts {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	return nums
}

func (st *store) listParts(bucket, key, id string, marker int, limit int) (*partsResult, error) {
	up, err := st.checkUpload(bucket, key, id)
	if err != nil {
		return nil, err
	}
	res := &partsResult{Upload: up}
	for _, n := range sortedParts(up) {
		if n <= marker {
			continue
		}
		if len(res.Parts) >= limit {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, partItem{Number: n, partRecord: up.Parts[n]})
		res.NextPartNumberMarker = n
	}
	return res, nil
}

func (st *store) listUploads(bucket string, marker uploadMarker, prefix listPrefix, limit int) (*uploadsResult, error) {
	var ups []uploadRecord
	err := st.db.View(func(tx *bolt.Tx) error {
		if _, err := st.bucket(tx, bucket); err != nil {
			return err
		}
		return tx.Bucket(bktUploads).ForEach(func(k, v []byte) error {
			var up uploadRecord
			if err := json.Unmarshal(v, &up); err != nil {
				return err
			}
			if up.Bucket == bucket {
				ups = append(ups, up)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(ups, func(i, j int) bool {
		if ups[i].Key != ups[j].Key {
			return ups[i].Key < ups[j].Key
		}
		return ups[i].ID < ups[j].ID
	})
	res := &uploadsResult{}
	seen := map[string]bool{}
	for _, up := range ups {
		if marker.Key != "" {
			if up.Key < marker.Key || (up.Key == marker.Key && (marker.UploadID == "" || up.ID <= marker.UploadID)) {
				continue
			}
		}
		ok, cp := prefix.match(up.Key)
		if !ok {
			continue
		}
		if cp != "" {
			if !seen[cp] {
				seen[cp] = true
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
			}
			continue
		}
		if len(res.Uploads) >= limit {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, up)
		res.NextKeyMarker, res.NextUploadIDMarker = up.Key, up.ID
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res, nil
}

// completeUpload assembles the listed parts into a new object version.
func (st *store) completeUpload(bucket, key, id string, in []completedPart, minPartSize int64, ev *eventSpec) (*bucketRecord, *versionRecord, int, error) {
	if len(in) == 0 {
		return nil, nil, 0, errMalformedXML()
	}
	var up *uploadRecord
	if err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		up, err = st.upload(tx, bucket, key, id)
		return err
	}); err != nil {
		return nil, nil, 0, err
	}
	parts := make([]partRecord, 0, len(in))
	partMD5s := md5.New()
	for i, cp := range in {
		if i > 0 && cp.PartNumber <= in[i-1].PartNumber {
			return nil, nil, 0, &APIError{Status: http.StatusBadRequest, Code: "InvalidPartOrder",
				Message: "The list of parts was not in ascending order. The parts list must be specified in order by part number."}
		}
		p, ok := up.Parts[cp.PartNumber]
		if !ok || strings.Trim(cp.ETag, `"`) != p.ETag {
			return nil, nil, 0, &APIError{Status: http.StatusBadRequest, Code: "InvalidPart",
				Message: "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."}
		}
		for algo, v := range cp.Checksums {
			if p.Checksums[algo] != v {
				return nil, nil, 0, &APIError{Status: http.StatusBadRequest, Code: "InvalidPart",
					Message: "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified checksum may not match the part's checksum."}
			}
		}
		if i < len(in)-1 && p.Size < minPartSize {
			return nil, nil, 0, &APIError{Status: http.StatusBadRequest, Code: "EntityTooSmall",
				Message: "Your proposed upload is smaller than the minimum allowed object size."}
		}
		raw, _ := hex.DecodeString(p.ETag)
		partMD5s.Write(raw)
		parts = append(parts, p)
	}
	readers := make([]io.Reader, 0, len(parts))
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	sizes := make([]int64, 0, len(parts))
	for _, p := range parts {
		f, err := st.openBlob(p.Blob, nil)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("complete upload: %w", err)
		}
		closers = append(closers, f)
		readers = append(readers, f)
		sizes = append(sizes, p.Size)
	}
	var full hash.Hash
	if up.ChecksumAlgo != "" && up.ChecksumType == "FULL_OBJECT" {
		full = newChecksum(up.ChecksumAlgo)
	}
	var extra []hash.Hash
	if full != nil {
		extra = append(extra, full)
	}
	blob, size, sum, err := st.writeBlob(io.MultiReader(readers...), extra...)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("complete upload: %w", err)
	}
	rec := &versionRecord{
		Key: key, Blob: blob, Size: size, MD5: sum, Meta: up.Meta, Tags: up.Tags, PartSizes: sizes,
		ETag: fmt.Sprintf("%s-%d", hex.EncodeToString(partMD5s.Sum(nil)), len(parts)),
	}
	if full != nil {
		rec.Checksums = map[string]string{up.ChecksumAlgo: base64.StdEncoding.EncodeToString(full.Sum(nil))}
		rec.ChecksumType = "FULL_OBJECT"
	} else if up.ChecksumAlgo != "" {
		if v, ok := compositeChecksum(up.ChecksumAlgo, parts); ok {
			rec.Checksums = map[string]string{up.ChecksumAlgo: v}
			rec.ChecksumType = "COMPOSITE"
		}
	}
	var garbage []string
	var queued int
	var br *bucketRecord
	err = st.db.Update(func(tx *bolt.Tx) error {
		cur, err := st.upload(tx, bucket, key, id)
		if err != nil {
			return err // completed or aborted concurrently
		}
		for _, p := range cur.Parts {
			garbage = append(garbage, p.Blob)
		}
		if err := tx.Bucket(bktUploads).Delete([]byte(id)); err != nil {
			return err
		}
		br, err = st.bucket(tx, bucket)
		if err != nil {
			return err
		}
		g, q, err := st.commitVersionTx(tx, br, rec, nil, ev)
		garbage = append(garbage, g...)
		queued = q
		return err
	})
	if err != nil {
		st.removeBlobs([]string{blob})
		return nil, nil, 0, err
	}
	st.removeBlobs(garbage)
	return br, rec, queued, nil
}
