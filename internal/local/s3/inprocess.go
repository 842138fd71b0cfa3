package s3

import (
	"context"
	"fmt"
	"io"
	"time"
)

// The methods below serve in-process callers that act as an AWS service
// would (Step Functions' Distributed Map reads its items and writes its
// results through them): the same store, the same events as the wire API,
// without a signed HTTP round trip.

// ObjectInfo is one listed object, as ListObjectsV2 describes it.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // quoted, as S3 returns it
	LastModified time.Time
	StorageClass string
}

// ListPage lists up to max (1..1000) current objects of bucket under
// prefix after key startAfter ("" for the first page). next is the last
// key returned when there are more.
func (s *Service) ListPage(ctx context.Context, bucket, prefix, startAfter string, max int) (objs []ObjectInfo, next string, err error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if max <= 0 || max > 1000 {
		max = 1000
	}
	if !s.enter() {
		return nil, "", errServiceUnavailable()
	}
	defer s.inflight.Done()
	res, err := s.st.listCurrent(bucket, listPrefix{Prefix: prefix}, listPage{Marker: startAfter, HasMarker: startAfter != "", MaxKeys: int64(max)})
	if err != nil {
		return nil, "", fmt.Errorf("s3 list %s/%s: %w", bucket, prefix, err)
	}
	objs = make([]ObjectInfo, len(res.Objects))
	for i, rec := range res.Objects {
		objs[i] = ObjectInfo{Key: rec.Key, Size: rec.Size, ETag: `"` + rec.ETag + `"`, LastModified: rec.LastModified, StorageClass: "STANDARD"}
	}
	if res.IsTruncated && len(objs) > 0 {
		next = objs[len(objs)-1].Key
	}
	return objs, next, nil
}

// OpenObject opens the current version of key for reading.
func (s *Service) OpenObject(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, rec, err := s.st.lookup(bucket, key, "")
	if err != nil {
		return nil, fmt.Errorf("s3 get %s/%s: %w", bucket, key, err)
	}
	if rec.DeleteMarker {
		return nil, fmt.Errorf("s3 get %s/%s: %w", bucket, key, errNoSuchKey(key))
	}
	return s.st.openBlob(rec.Blob, nil)
}

// PutObjectStream stores body as a new version of key, as PutObject does
// (event notifications included), reading body to its end; principal
// names the caller in the events ("states.amazonaws.com").
func (s *Service) PutObjectStream(ctx context.Context, bucket, key string, body io.Reader, principal string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.enter() {
		return errServiceUnavailable()
	}
	defer s.inflight.Done()
	rec, err := s.st.writeObject(bucket, key, objectInput{}, body, -1)
	if err != nil {
		return fmt.Errorf("s3 put %s/%s: %w", bucket, key, err)
	}
	ev := &eventSpec{name: EventPut, requestID: "inprocess", hostID: "inprocess", sourceIP: "127.0.0.1", principalID: principal}
	_, _, queued, err := s.st.commitNew(bucket, rec, &putConditions{}, ev)
	if err != nil {
		return fmt.Errorf("s3 put %s/%s: %w", bucket, key, err)
	}
	if queued > 0 {
		s.kick()
	}
	return nil
}
