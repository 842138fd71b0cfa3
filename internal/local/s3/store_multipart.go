package s3

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/johannesboyne/gofakes3"
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
		return nil, gofakes3.ErrNoSuchUpload
	}
	return up, nil
}

func (st *store) createUpload(bucket, key string, meta map[string]string) (string, error) {
	id := newID()
	err := st.db.Update(func(tx *bolt.Tx) error {
		if _, err := st.bucket(tx, bucket); err != nil {
			return err
		}
		up := uploadRecord{ID: id, Bucket: bucket, Key: key, Meta: filterMeta(meta), Initiated: st.clock.Now().UTC()}
		return putJSON(tx.Bucket(bktUploads), []byte(id), up)
	})
	return id, err
}

func (st *store) uploadPart(bucket, key, id string, n int, size int64, r io.Reader) (string, error) {
	if n < 1 || n > gofakes3.MaxUploadPartNumber {
		return "", gofakes3.ErrInvalidPart
	}
	if err := st.db.View(func(tx *bolt.Tx) error {
		_, err := st.upload(tx, bucket, key, id)
		return err
	}); err != nil {
		return "", err
	}
	blob, written, sum, err := st.writeBlob(r)
	if err != nil {
		return "", bodyError(err)
	}
	if size >= 0 && written != size {
		st.removeBlobs([]string{blob})
		return "", gofakes3.ErrIncompleteBody
	}
	etag := hex.EncodeToString(sum)
	var old string
	err = st.db.Update(func(tx *bolt.Tx) error {
		up, err := st.upload(tx, bucket, key, id)
		if err != nil {
			return err
		}
		if up.Parts == nil {
			up.Parts = map[int]partRecord{}
		}
		old = up.Parts[n].Blob
		up.Parts[n] = partRecord{Blob: blob, Size: written, ETag: etag, LastModified: st.clock.Now().UTC()}
		return putJSON(tx.Bucket(bktUploads), []byte(id), up)
	})
	if err != nil {
		st.removeBlobs([]string{blob})
		return "", err
	}
	st.removeBlobs([]string{old})
	return `"` + etag + `"`, nil
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

func (st *store) listParts(bucket, key, id string, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	var up *uploadRecord
	if err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		up, err = st.upload(tx, bucket, key, id)
		return err
	}); err != nil {
		return nil, err
	}
	res := &gofakes3.ListMultipartUploadPartsResult{
		Bucket: bucket, Key: key, UploadID: gofakes3.UploadID(id), MaxParts: limit,
		PartNumberMarker: marker, StorageClass: gofakes3.StorageStandard,
	}
	for _, n := range sortedParts(up) {
		if n <= marker {
			continue
		}
		if limit > 0 && int64(len(res.Parts)) >= limit {
			res.IsTruncated = true
			break
		}
		p := up.Parts[n]
		res.Parts = append(res.Parts, gofakes3.ListMultipartUploadPartItem{
			PartNumber: n, LastModified: gofakes3.NewContentTime(p.LastModified), ETag: `"` + p.ETag + `"`, Size: p.Size,
		})
		res.NextPartNumberMarker = n
	}
	return res, nil
}

func (st *store) listUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
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
	res := &gofakes3.ListMultipartUploadsResult{Bucket: bucket, Prefix: prefix.Prefix, Delimiter: prefix.Delimiter, MaxUploads: limit}
	if marker != nil {
		res.KeyMarker, res.UploadIDMarker = marker.Object, marker.UploadID
	}
	seen := map[string]bool{}
	for _, up := range ups {
		if marker != nil {
			if up.Key < marker.Object || (up.Key == marker.Object && (marker.UploadID == "" || up.ID <= string(marker.UploadID))) {
				continue
			}
		}
		var m gofakes3.PrefixMatch
		if !prefix.Match(up.Key, &m) {
			continue
		}
		if m.CommonPrefix {
			if !seen[m.MatchedPart] {
				seen[m.MatchedPart] = true
				res.CommonPrefixes = append(res.CommonPrefixes, m.AsCommonPrefix())
			}
			continue
		}
		if limit > 0 && int64(len(res.Uploads)) >= limit {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, gofakes3.ListMultipartUploadItem{
			Key: up.Key, UploadID: gofakes3.UploadID(up.ID), StorageClass: gofakes3.StorageStandard,
			Initiated: gofakes3.NewContentTime(up.Initiated),
		})
		res.NextKeyMarker, res.NextUploadIDMarker = up.Key, gofakes3.UploadID(up.ID)
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res, nil
}

// completeUpload assembles the listed parts into a new object version.
func (st *store) completeUpload(bucket, key, id string, in *gofakes3.CompleteMultipartUploadRequest, minPartSize int64, ev *eventSpec) (*bucketRecord, *versionRecord, int, error) {
	if len(in.Parts) == 0 {
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
	parts := make([]partRecord, 0, len(in.Parts))
	partMD5s := md5.New()
	for i, cp := range in.Parts {
		if i > 0 && cp.PartNumber <= in.Parts[i-1].PartNumber {
			return nil, nil, 0, gofakes3.ErrInvalidPartOrder
		}
		p, ok := up.Parts[cp.PartNumber]
		if !ok || strings.Trim(cp.ETag, `"`) != p.ETag {
			return nil, nil, 0, gofakes3.ErrorMessage(gofakes3.ErrInvalidPart,
				"One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
		}
		if i < len(in.Parts)-1 && p.Size < minPartSize {
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
	blob, size, sum, err := st.writeBlob(io.MultiReader(readers...))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("complete upload: %w", err)
	}
	rec := &versionRecord{
		Key: key, Blob: blob, Size: size, MD5: sum, Meta: up.Meta, PartSizes: sizes,
		ETag: fmt.Sprintf("%s-%d", hex.EncodeToString(partMD5s.Sum(nil)), len(parts)),
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
