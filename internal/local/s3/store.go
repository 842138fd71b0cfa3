package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/local/awsid"
	bolt "go.etcd.io/bbolt"
)

// Storage layout under DataDir/s3:
//
//	meta.db        bbolt: buckets, object versions, uploads, event outbox
//	blobs/ab/<id>  object and part contents, one immutable file per version/part
//	tmp/           blobs being written (cleared at open)
//
// bbolt top-level buckets:
//
//	buckets          name → bucketRecord (versioning, notification and CORS config)
//	o/<bucket>       per S3 bucket, with nested
//	    cur          key → versionRecord of the newest version (may be a delete marker)
//	    ver          key 0x00 ^seq(8 bytes BE) → versionRecord (all versions, newest first per key)
//	uploads          uploadID → uploadRecord
//	outbox           id(8 bytes BE) → outboxEntry (events not yet delivered)
//	failed           id(8 bytes BE) → outboxEntry (events that exhausted their attempts)
//	seq              its NextSequence numbers versions, sequencers and blob order
//
// An object version's record and its event records are written in one bbolt
// transaction, after the blob file is durable: an acknowledged write always
// has its events, and a restart never loses either.

var (
	bktBuckets = []byte("buckets")
	bktUploads = []byte("uploads")
	bktOutbox  = []byte("outbox")
	bktFailed  = []byte("failed")
	bktSeq     = []byte("seq")
	subCur     = []byte("cur")
	subVer     = []byte("ver")
)

const (
	versioningEnabled   = "Enabled"
	versioningSuspended = "Suspended"
)

type bucketRecord struct {
	Name          string                `json:"name"`
	Created       time.Time             `json:"created"`
	Versioning    string                `json:"versioning,omitempty"` // "", Enabled, Suspended
	Notifications []LambdaConfiguration `json:"notifications,omitempty"`
	CORS          []CORSRule            `json:"cors,omitempty"`
}

// versionRecord is one version of an object (or a delete marker).
type versionRecord struct {
	Key          string            `json:"key"`
	VersionID    string            `json:"versionId,omitempty"` // "" is the null version
	Seq          uint64            `json:"seq"`
	DeleteMarker bool              `json:"deleteMarker,omitempty"`
	Blob         string            `json:"blob,omitempty"`
	Size         int64             `json:"size"`
	MD5          []byte            `json:"md5,omitempty"`  // of the content
	ETag         string            `json:"etag,omitempty"` // unquoted; "<md5 of part md5s>-N" for multipart
	Meta         map[string]string `json:"meta,omitempty"`
	LastModified time.Time         `json:"lastModified"`
	PartSizes    []int64           `json:"partSizes,omitempty"`
	Tags         []tag             `json:"tags,omitempty"`
	// Checksums maps an algorithm (CRC32, CRC32C, SHA1, SHA256, CRC64NVME)
	// to its base64 value; ChecksumType is FULL_OBJECT or COMPOSITE.
	Checksums    map[string]string `json:"checksums,omitempty"`
	ChecksumType string            `json:"checksumType,omitempty"`
}

type uploadRecord struct {
	ID           string             `json:"id"`
	Bucket       string             `json:"bucket"`
	Key          string             `json:"key"`
	Meta         map[string]string  `json:"meta,omitempty"`
	Tags         []tag              `json:"tags,omitempty"`
	ChecksumAlgo string             `json:"checksumAlgo,omitempty"`
	ChecksumType string             `json:"checksumType,omitempty"` // COMPOSITE (default) or FULL_OBJECT
	Initiated    time.Time          `json:"initiated"`
	Parts        map[int]partRecord `json:"parts,omitempty"`
}

type partRecord struct {
	Blob         string            `json:"blob"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"` // unquoted md5 hex
	LastModified time.Time         `json:"lastModified"`
	Checksums    map[string]string `json:"checksums,omitempty"`
}

type store struct {
	db   *bolt.DB
	root string
	// createTemp creates a blob file being written: os.CreateTemp, or a
	// fake in tests (a full disk).
	createTemp func(dir, pattern string) (blobFile, error)
	clock      Clock
	region     string
	accountID  string
}

func openStore(dataDir string, clock Clock, region, accountID string) (*store, error) {
	root := filepath.Join(dataDir, "s3")
	for _, d := range []string{root, filepath.Join(root, "blobs"), filepath.Join(root, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open s3 store: %w", err)
		}
	}
	if err := clearDir(filepath.Join(root, "tmp")); err != nil {
		return nil, fmt.Errorf("open s3 store: %w", err)
	}
	db, err := bolt.Open(filepath.Join(root, "meta.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open s3 store %s (in use by another process?): %w", root, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktBuckets, bktUploads, bktOutbox, bktFailed, bktSeq} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open s3 store: %w", err)
	}
	return &store{db: db, root: root, clock: clock, region: region, accountID: accountID, createTemp: createTempFile}, nil
}

func (st *store) close() error { return st.db.Close() }

func clearDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// ---- blobs ----

func newID() string { return awsid.Hex(16) }

func (st *store) blobPath(id string) string {
	return filepath.Join(st.root, "blobs", id[:2], id)
}

// blobFile is the file writeBlob writes.
type blobFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

func createTempFile(dir, pattern string) (blobFile, error) { return os.CreateTemp(dir, pattern) }

// writeBlob streams r into a new durable blob and returns its id, size and MD5.
func (st *store) writeBlob(r io.Reader, extra ...hash.Hash) (id string, size int64, sum []byte, err error) {
	id = newID()
	f, err := st.createTemp(filepath.Join(st.root, "tmp"), id+"-*")
	if err != nil {
		return "", 0, nil, fmt.Errorf("write blob: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := md5.New()
	ws := []io.Writer{f, h}
	for _, x := range extra {
		ws = append(ws, x)
	}
	size, err = io.Copy(io.MultiWriter(ws...), r)
	if err != nil {
		return "", 0, nil, err // a body error (bodyError maps it) or a write error (isNoSpace)
	}
	if err = f.Sync(); err != nil {
		return "", 0, nil, fmt.Errorf("write blob: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", 0, nil, fmt.Errorf("write blob: %w", err)
	}
	dst := st.blobPath(id)
	if err = os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", 0, nil, fmt.Errorf("write blob: %w", err)
	}
	if err = os.Rename(tmp, dst); err != nil {
		return "", 0, nil, fmt.Errorf("write blob: %w", err)
	}
	if d, derr := os.Open(filepath.Dir(dst)); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return id, size, h.Sum(nil), nil
}

func (st *store) removeBlobs(ids []string) {
	for _, id := range ids {
		if id != "" {
			_ = os.Remove(st.blobPath(id))
		}
	}
}

// openBlob opens a blob for reading, limited to rng when not nil.
func (st *store) openBlob(id string, rng *byteRange) (io.ReadCloser, error) {
	f, err := os.Open(st.blobPath(id))
	if err != nil {
		return nil, err
	}
	if rng == nil {
		return f, nil
	}
	if _, err := f.Seek(rng.Start, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, rng.Length), f}, nil
}

// ---- encoding helpers ----

func verKey(key string, seq uint64) []byte {
	b := make([]byte, 0, len(key)+9)
	b = append(b, key...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, ^seq)
}

func u64Key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func getJSON[T any](b *bolt.Bucket, k []byte) (*T, error) {
	data := b.Get(k)
	if data == nil {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decode %q: %w", k, err)
	}
	return v, nil
}

// newVersionID makes an opaque 32-character version ID that embeds seq.
func newVersionID(seq uint64) string {
	return fmt.Sprintf("%016x%s", seq, awsid.Hex(8))
}

// wireVersionID is the version ID as S3 shows it: "null" for the null version
// of a bucket that has had versioning configured, nothing otherwise.
func wireVersionID(br *bucketRecord, rec *versionRecord) string {
	if rec.VersionID != "" {
		return rec.VersionID
	}
	if br.Versioning != "" {
		return "null"
	}
	return ""
}

// ---- buckets ----

func (st *store) bucket(tx *bolt.Tx, name string) (*bucketRecord, error) {
	br, err := getJSON[bucketRecord](tx.Bucket(bktBuckets), []byte(name))
	if err != nil {
		return nil, err
	}
	if br == nil {
		return nil, errNoSuchBucket(name)
	}
	return br, nil
}

func objBuckets(tx *bolt.Tx, name string) (cur, ver *bolt.Bucket) {
	ob := tx.Bucket([]byte("o/" + name))
	if ob == nil {
		return nil, nil
	}
	return ob.Bucket(subCur), ob.Bucket(subVer)
}

// createBucket creates name; an existing bucket is BucketAlreadyOwnedByYou.
func (st *store) createBucket(name string) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		bb := tx.Bucket(bktBuckets)
		if bb.Get([]byte(name)) != nil {
			return &APIError{Status: http.StatusConflict, Code: "BucketAlreadyOwnedByYou",
				Message: "Your previous request to create the named bucket succeeded and you already own it.", Resource: name}
		}
		ob, err := tx.CreateBucketIfNotExists([]byte("o/" + name))
		if err != nil {
			return err
		}
		if _, err := ob.CreateBucketIfNotExists(subCur); err != nil {
			return err
		}
		if _, err := ob.CreateBucketIfNotExists(subVer); err != nil {
			return err
		}
		return putJSON(bb, []byte(name), bucketRecord{Name: name, Created: st.clock.Now().UTC()})
	})
}

func (st *store) bucketExists(name string) (bool, error) {
	var ok bool
	err := st.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bktBuckets).Get([]byte(name)) != nil
		return nil
	})
	return ok, err
}

func (st *store) listBuckets() ([]bucketRecord, error) {
	var out []bucketRecord
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktBuckets).ForEach(func(k, v []byte) error {
			var br bucketRecord
			if err := json.Unmarshal(v, &br); err != nil {
				return err
			}
			out = append(out, br)
			return nil
		})
	})
	return out, err
}

func (st *store) getBucket(name string) (*bucketRecord, error) {
	var br *bucketRecord
	err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		br, err = st.bucket(tx, name)
		return err
	})
	return br, err
}

// updateBucket applies fn to the bucket record in one transaction.
func (st *store) updateBucket(name string, fn func(*bucketRecord) error) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		br, err := st.bucket(tx, name)
		if err != nil {
			return err
		}
		if err := fn(br); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bktBuckets), []byte(name), br)
	})
}

// deleteBucket deletes an empty bucket, or with force any bucket and its contents.
func (st *store) deleteBucket(name string, force bool) error {
	var garbage []string
	err := st.db.Update(func(tx *bolt.Tx) error {
		if _, err := st.bucket(tx, name); err != nil {
			return err
		}
		_, ver := objBuckets(tx, name)
		if ver != nil {
			if k, _ := ver.Cursor().First(); k != nil && !force {
				return errBucketNotEmpty(name)
			}
			if err := ver.ForEach(func(k, v []byte) error {
				var rec versionRecord
				if err := json.Unmarshal(v, &rec); err != nil {
					return err
				}
				garbage = append(garbage, rec.Blob)
				return nil
			}); err != nil {
				return err
			}
		}
		ups := tx.Bucket(bktUploads)
		var dead [][]byte
		if err := ups.ForEach(func(k, v []byte) error {
			var up uploadRecord
			if err := json.Unmarshal(v, &up); err != nil {
				return err
			}
			if up.Bucket == name {
				dead = append(dead, append([]byte(nil), k...))
				for _, p := range up.Parts {
					garbage = append(garbage, p.Blob)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range dead {
			if err := ups.Delete(k); err != nil {
				return err
			}
		}
		if tx.Bucket([]byte("o/"+name)) != nil {
			if err := tx.DeleteBucket([]byte("o/" + name)); err != nil {
				return err
			}
		}
		return tx.Bucket(bktBuckets).Delete([]byte(name))
	})
	if err == nil {
		st.removeBlobs(garbage)
	}
	return err
}

// ---- objects ----

// lookupTx finds a version of key: versionID "" is the current version,
// "null" the null version. A current delete marker is returned as is.
func (st *store) lookupTx(tx *bolt.Tx, bucket, key, versionID string) (*bucketRecord, *versionRecord, error) {
	br, err := st.bucket(tx, bucket)
	if err != nil {
		return nil, nil, err
	}
	cur, ver := objBuckets(tx, bucket)
	if versionID == "" {
		rec, err := getJSON[versionRecord](cur, []byte(key))
		if err != nil {
			return nil, nil, err
		}
		if rec == nil {
			return br, nil, errNoSuchKey(key)
		}
		return br, rec, nil
	}
	if versionID == "null" {
		rec, _, err := findNullVersion(ver, key)
		if err != nil {
			return nil, nil, err
		}
		if rec == nil {
			return br, nil, errNoSuchVersion()
		}
		return br, rec, nil
	}
	var seq uint64
	if len(versionID) != 32 {
		return br, nil, errInvalidArgument("Invalid version id specified")
	}
	if _, err := fmt.Sscanf(versionID[:16], "%016x", &seq); err != nil {
		return br, nil, errInvalidArgument("Invalid version id specified")
	}
	rec, err := getJSON[versionRecord](ver, verKey(key, seq))
	if err != nil {
		return nil, nil, err
	}
	if rec == nil || rec.VersionID != versionID {
		return br, nil, errNoSuchVersion()
	}
	return br, rec, nil
}

func (st *store) lookup(bucket, key, versionID string) (*bucketRecord, *versionRecord, error) {
	var br *bucketRecord
	var rec *versionRecord
	err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		br, rec, err = st.lookupTx(tx, bucket, key, versionID)
		return err
	})
	return br, rec, err
}

func findNullVersion(ver *bolt.Bucket, key string) (*versionRecord, []byte, error) {
	prefix := append([]byte(key), 0)
	c := ver.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
		var rec versionRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, nil, err
		}
		if rec.VersionID == "" {
			return &rec, append([]byte(nil), k...), nil
		}
	}
	return nil, nil, nil
}

// checkPutConditions applies If-Match / If-None-Match of a PUT to the
// current version.
func checkPutConditions(key string, cond *putConditions, cur *versionRecord) error {
	if cond == nil {
		return nil
	}
	exists := cur != nil && !cur.DeleteMarker
	if strings.TrimSpace(cond.IfNoneMatch) == "*" && exists {
		return errPreconditionFailed()
	}
	if cond.IfMatch != "" {
		if !exists {
			return errNoSuchKey(key)
		}
		if !etagMatches(cond.IfMatch, cur.ETag) {
			return errPreconditionFailed()
		}
	}
	return nil
}

// commitVersionTx makes rec the newest version of rec.Key, applying the
// bucket's versioning rules, and queues its events. It returns blobs that
// became garbage (delete them after commit) and how many events it queued.
func (st *store) commitVersionTx(tx *bolt.Tx, br *bucketRecord, rec *versionRecord, cond *putConditions, ev *eventSpec) (garbage []string, queued int, err error) {
	cur, ver := objBuckets(tx, br.Name)
	existing, err := getJSON[versionRecord](cur, []byte(rec.Key))
	if err != nil {
		return nil, 0, err
	}
	if err := checkPutConditions(rec.Key, cond, existing); err != nil {
		return nil, 0, err
	}
	seq, err := tx.Bucket(bktSeq).NextSequence()
	if err != nil {
		return nil, 0, err
	}
	rec.Seq = seq
	rec.LastModified = st.clock.Now().UTC()
	if br.Versioning == versioningEnabled {
		rec.VersionID = newVersionID(seq)
	} else {
		rec.VersionID = ""
		old, oldKey, err := findNullVersion(ver, rec.Key)
		if err != nil {
			return nil, 0, err
		}
		if old != nil {
			if err := ver.Delete(oldKey); err != nil {
				return nil, 0, err
			}
			garbage = append(garbage, old.Blob)
		}
	}
	if err := putJSON(ver, verKey(rec.Key, seq), rec); err != nil {
		return nil, 0, err
	}
	if err := putJSON(cur, []byte(rec.Key), rec); err != nil {
		return nil, 0, err
	}
	if ev != nil {
		queued, err = st.enqueueEventsTx(tx, br, rec, ev)
		if err != nil {
			return nil, 0, err
		}
	}
	return garbage, queued, nil
}

// writeObject writes r as the blob of a new version of key (not yet
// committed: see commitNew), hashing it with extra on the way.
func (st *store) writeObject(bucket, key string, in objectInput, r io.Reader, size int64, extra ...hash.Hash) (*versionRecord, error) {
	if ok, err := st.bucketExists(bucket); err != nil {
		return nil, err
	} else if !ok {
		return nil, errNoSuchBucket(bucket)
	}
	blob, n, sum, err := st.writeBlob(r, extra...)
	if err != nil {
		return nil, bodyError(err)
	}
	if size >= 0 && n != size {
		st.removeBlobs([]string{blob})
		return nil, errIncompleteBody()
	}
	return &versionRecord{Key: key, Blob: blob, Size: n, MD5: sum, ETag: hex.EncodeToString(sum), Meta: in.Meta, Tags: in.Tags}, nil
}

// commitNew commits an already written rec (its blob is removed on failure).
func (st *store) commitNew(bucket string, rec *versionRecord, cond *putConditions, ev *eventSpec) (*bucketRecord, *versionRecord, int, error) {
	var garbage []string
	var queued int
	var br *bucketRecord
	err := st.db.Update(func(tx *bolt.Tx) error {
		var err error
		br, err = st.bucket(tx, bucket)
		if err != nil {
			return err
		}
		garbage, queued, err = st.commitVersionTx(tx, br, rec, cond, ev)
		return err
	})
	if err != nil {
		st.removeBlobs([]string{rec.Blob})
		return nil, nil, 0, err
	}
	st.removeBlobs(garbage)
	return br, rec, queued, nil
}

// copySource resolves a copy source version (srcVersion "" = current).
func (st *store) copySource(srcBucket, srcKey, srcVersion string) (*bucketRecord, *versionRecord, error) {
	br, src, err := st.lookup(srcBucket, srcKey, srcVersion)
	if err != nil {
		return nil, nil, err
	}
	if src.DeleteMarker {
		if srcVersion != "" {
			return nil, nil, &APIError{Status: http.StatusBadRequest, Code: "InvalidRequest",
				Message: "The source of a copy request may not specifically refer to a delete marker by version id."}
		}
		return nil, nil, errNoSuchKey(srcKey)
	}
	return br, src, nil
}

// copyObject copies src (a resolved source version) to dstKey with in's
// metadata and tags.
func (st *store) copyObject(src *versionRecord, dstBucket, dstKey string, in objectInput, ev *eventSpec) (dst *versionRecord, dstBR *bucketRecord, queued int, err error) {
	f, err := st.openBlob(src.Blob, nil)
	if err != nil {
		return nil, nil, 0, errNoSuchKey(src.Key)
	}
	defer f.Close()
	blob, n, sum, err := st.writeBlob(f)
	if err != nil {
		return nil, nil, 0, err
	}
	rec := &versionRecord{Key: dstKey, Blob: blob, Size: n, MD5: sum, ETag: hex.EncodeToString(sum), Meta: in.Meta, Tags: in.Tags}
	if src.ChecksumType != "COMPOSITE" {
		rec.Checksums, rec.ChecksumType = src.Checksums, src.ChecksumType
	}
	dstBR, dst, queued, err = st.commitNew(dstBucket, rec, nil, ev)
	return dst, dstBR, queued, err
}

// deleteObject deletes the current version: a delete marker in a versioned
// bucket, removal of the null version otherwise. ev names the request for
// the removal's event (EventDeleteMarkerCreated or EventDelete; its name is
// set here); nil queues none. It returns how many events it queued.
func (st *store) deleteObject(bucket, key string, ev *eventSpec) (deleteResult, int, error) {
	var res deleteResult
	var garbage []string
	var queued int
	err := st.db.Update(func(tx *bolt.Tx) error {
		br, err := st.bucket(tx, bucket)
		if err != nil {
			return err
		}
		cur, ver := objBuckets(tx, bucket)
		if br.Versioning == "" {
			old, oldKey, err := findNullVersion(ver, key)
			if err != nil || old == nil {
				return err
			}
			garbage = append(garbage, old.Blob)
			if err := ver.Delete(oldKey); err != nil {
				return err
			}
			if err := cur.Delete([]byte(key)); err != nil {
				return err
			}
			queued, err = st.enqueueRemovalTx(tx, br, old, ev)
			return err
		}
		marker := &versionRecord{Key: key, DeleteMarker: true}
		g, q, err := st.commitVersionTx(tx, br, marker, nil, named(ev, EventDeleteMarkerCreated))
		if err != nil {
			return err
		}
		garbage, queued = g, q
		res = deleteResult{IsDeleteMarker: true, VersionID: wireVersionID(br, marker)}
		return nil
	})
	if err == nil {
		st.removeBlobs(garbage)
	}
	return res, queued, err
}

// named returns a copy of ev named name (nil for nil).
func named(ev *eventSpec, name string) *eventSpec {
	if ev == nil {
		return nil
	}
	c := *ev
	c.name = name
	return &c
}

// enqueueRemovalTx queues the EventDelete records of removed, a version
// that no longer exists: the record carries its key and version id, a new
// sequencer (later than any event of the key before) and the time of the
// removal, and no size or ETag, as AWS's removal records have none.
func (st *store) enqueueRemovalTx(tx *bolt.Tx, br *bucketRecord, removed *versionRecord, ev *eventSpec) (int, error) {
	if ev == nil || len(br.Notifications) == 0 {
		return 0, nil
	}
	seq, err := tx.Bucket(bktSeq).NextSequence()
	if err != nil {
		return 0, err
	}
	rec := &versionRecord{Key: removed.Key, VersionID: wireVersionID(br, removed), Seq: seq, LastModified: st.clock.Now().UTC()}
	return st.enqueueEventsTx(tx, br, rec, named(ev, EventDelete))
}

// deleteVersion permanently deletes one version; deleting a missing version
// succeeds, as in S3, and queues no event. ev is as for deleteObject.
func (st *store) deleteVersion(bucket, key, versionID string, ev *eventSpec) (deleteResult, int, error) {
	var res deleteResult
	var garbage []string
	var queued int
	err := st.db.Update(func(tx *bolt.Tx) error {
		br, rec, err := st.lookupTx(tx, bucket, key, versionID)
		if br == nil {
			return err
		}
		if rec == nil || versionID == "" {
			return nil // missing version or key: nothing to do
		}
		cur, ver := objBuckets(tx, bucket)
		if err := ver.Delete(verKey(key, rec.Seq)); err != nil {
			return err
		}
		garbage = append(garbage, rec.Blob)
		res = deleteResult{IsDeleteMarker: rec.DeleteMarker, VersionID: wireVersionID(br, rec)}
		if queued, err = st.enqueueRemovalTx(tx, br, rec, ev); err != nil {
			return err
		}
		curRec, err := getJSON[versionRecord](cur, []byte(key))
		if err != nil {
			return err
		}
		if curRec == nil || curRec.Seq != rec.Seq {
			return nil
		}
		prefix := append([]byte(key), 0)
		k, v := ver.Cursor().Seek(prefix)
		if k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8 {
			return cur.Put([]byte(key), v)
		}
		return cur.Delete([]byte(key))
	})
	if err == nil {
		st.removeBlobs(garbage)
	}
	return res, queued, err
}

// listCurrent lists current (non-deleted) objects for ListObjects(V2).
func (st *store) listCurrent(bucket string, prefix listPrefix, page listPage) (*listResult, error) {
	out := &listResult{}
	err := st.db.View(func(tx *bolt.Tx) error {
		if _, err := st.bucket(tx, bucket); err != nil {
			return err
		}
		cur, _ := objBuckets(tx, bucket)
		c := cur.Cursor()
		var k, v []byte
		if page.HasMarker && page.Marker >= prefix.Prefix {
			k, v = c.Seek([]byte(page.Marker))
			if string(k) == page.Marker {
				k, v = c.Next()
			}
		} else {
			k, v = c.Seek([]byte(prefix.Prefix))
		}
		var count int64
		lastCP := ""
		for ; k != nil; k, v = c.Next() {
			key := string(k)
			if !strings.HasPrefix(key, prefix.Prefix) {
				break
			}
			ok, cp := prefix.match(key)
			if !ok {
				continue
			}
			if cp != "" && (cp == lastCP || (page.HasMarker && cp <= page.Marker)) {
				continue
			}
			var rec versionRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			if rec.DeleteMarker {
				continue
			}
			if count >= page.MaxKeys {
				out.IsTruncated = true
				break
			}
			count++
			if cp != "" {
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				lastCP = cp
				out.NextMarker = cp
				continue
			}
			out.Objects = append(out.Objects, &rec)
			out.NextMarker = key
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !out.IsTruncated {
		out.NextMarker = ""
	}
	return out, nil
}

// listVersions lists all versions and delete markers, newest first per key.
func (st *store) listVersions(bucket string, prefix listPrefix, page versionsPage) (*versionsResult, error) {
	out := &versionsResult{}
	err := st.db.View(func(tx *bolt.Tx) error {
		br, err := st.bucket(tx, bucket)
		if err != nil {
			return err
		}
		_, ver := objBuckets(tx, bucket)
		c := ver.Cursor()
		start := prefix.Prefix
		if page.HasKeyMarker && page.KeyMarker > start {
			start = page.KeyMarker
		}
		var count int64
		lastKey, lastCP := "", ""
		passedMarker := !page.HasVersionIDMarker
		for k, v := c.Seek([]byte(start)); k != nil; k, v = c.Next() {
			rec := new(versionRecord)
			if err := json.Unmarshal(v, rec); err != nil {
				return err
			}
			if !strings.HasPrefix(rec.Key, prefix.Prefix) {
				break
			}
			isLatest := rec.Key != lastKey
			lastKey = rec.Key
			if page.HasKeyMarker && rec.Key == page.KeyMarker {
				if !passedMarker {
					if wireVersionID(br, rec) == page.VersionIDMarker {
						passedMarker = true
					}
					continue
				}
				if !page.HasVersionIDMarker {
					continue
				}
			}
			ok, cp := prefix.match(rec.Key)
			if !ok {
				continue
			}
			if cp != "" && (cp == lastCP || (page.HasKeyMarker && cp <= page.KeyMarker)) {
				continue
			}
			if count >= page.MaxKeys {
				out.IsTruncated = true
				break
			}
			count++
			if cp != "" {
				out.CommonPrefixes = append(out.CommonPrefixes, cp)
				lastCP = cp
				out.NextKeyMarker = cp
				out.NextVersionIDMarker = ""
				continue
			}
			vid := wireVersionID(br, rec)
			out.Versions = append(out.Versions, versionEntry{Rec: rec, VersionID: vid, IsLatest: isLatest})
			out.NextKeyMarker = rec.Key
			out.NextVersionIDMarker = vid
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextVersionIDMarker = "", ""
	}
	return out, nil
}

// updateVersion applies fn to one version's record (versionID "" is the
// current one), keeping the current pointer in step. A delete marker is
// MethodNotAllowed, as S3 answers tagging a delete marker.
func (st *store) updateVersion(bucket, key, versionID string, fn func(*versionRecord)) (*bucketRecord, *versionRecord, error) {
	var br *bucketRecord
	var rec *versionRecord
	err := st.db.Update(func(tx *bolt.Tx) error {
		var err error
		br, rec, err = st.lookupTx(tx, bucket, key, versionID)
		if err != nil {
			return err
		}
		if rec.DeleteMarker {
			if versionID == "" {
				return errNoSuchKey(key)
			}
			return errMethodNotAllowed()
		}
		fn(rec)
		cur, ver := objBuckets(tx, bucket)
		if err := putJSON(ver, verKey(key, rec.Seq), rec); err != nil {
			return err
		}
		curRec, err := getJSON[versionRecord](cur, []byte(key))
		if err != nil {
			return err
		}
		if curRec != nil && curRec.Seq == rec.Seq {
			return putJSON(cur, []byte(key), rec)
		}
		return nil
	})
	return br, rec, err
}

// bodyError maps a request-body read failure to an S3 error.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	var cfe *ChunkFormatError
	switch {
	case errors.As(err, &mbe):
		return errEntityTooLarge(mbe.Limit)
	case errors.As(err, &cfe):
		return &APIError{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: cfe.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errIncompleteBody()
	}
	return err
}
