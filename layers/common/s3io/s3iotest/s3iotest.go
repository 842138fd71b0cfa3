// Package s3iotest provides a fake of s3io.API for handler tests: func fields
// for one-off behaviour, and an in-memory bucket store behind them.
package s3iotest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/imgflow/imgflow/layers/common/s3io"
)

var _ s3io.API = (*Fake)(nil)

// Fake implements s3io.API by calling its func fields.
type Fake struct {
	HeadObjectFunc func(ctx context.Context, in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error)
	GetObjectFunc  func(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error)
	PutObjectFunc  func(ctx context.Context, in *s3.PutObjectInput) (*s3.PutObjectOutput, error)
}

func (f *Fake) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return f.HeadObjectFunc(ctx, in)
}

func (f *Fake) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return f.GetObjectFunc(ctx, in)
}

func (f *Fake) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return f.PutObjectFunc(ctx, in)
}

// Object is one stored object version.
type Object struct {
	Body         []byte
	ETag         string
	VersionID    string
	ContentType  string
	CacheControl string
}

// Memory is an in-memory S3 with versioned objects. It keeps a log of calls
// so tests can assert what was read and that originals were never written.
type Memory struct {
	mu      sync.Mutex
	objects map[string][]Object // bucket/key -> versions, newest last
	Calls   []string            // "GET b/k bytes=0-99", "PUT b/k", "HEAD b/k"
}

// NewMemory returns an empty store and a Fake bound to it.
func NewMemory() (*Memory, *Fake) {
	m := &Memory{objects: map[string][]Object{}}
	return m, &Fake{HeadObjectFunc: m.head, GetObjectFunc: m.get, PutObjectFunc: m.put}
}

// Add stores a new version of bucket/key and returns it.
func (m *Memory) Add(bucket, key string, body []byte, contentType string) Object {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addLocked(bucket, key, body, contentType, "")
}

func (m *Memory) addLocked(bucket, key string, body []byte, contentType, cacheControl string) Object {
	sum := md5.Sum(body)
	id := bucket + "/" + key
	obj := Object{
		Body:         bytes.Clone(body),
		ETag:         `"` + hex.EncodeToString(sum[:]) + `"`,
		VersionID:    "v" + strconv.Itoa(len(m.objects[id])+1),
		ContentType:  contentType,
		CacheControl: cacheControl,
	}
	m.objects[id] = append(m.objects[id], obj)
	return obj
}

// Latest returns the newest version of bucket/key.
func (m *Memory) Latest(bucket, key string) (Object, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.objects[bucket+"/"+key]
	if len(vs) == 0 {
		return Object{}, false
	}
	return vs[len(vs)-1], true
}

// Versions returns how many versions bucket/key has.
func (m *Memory) Versions(bucket, key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.objects[bucket+"/"+key])
}

// Keys returns every key in bucket with at least one version.
func (m *Memory) Keys(bucket string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for id := range m.objects {
		if k, ok := strings.CutPrefix(id, bucket+"/"); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

func (m *Memory) find(bucket, key, version, ifMatch *string) (Object, error) {
	vs := m.objects[aws.ToString(bucket)+"/"+aws.ToString(key)]
	if len(vs) == 0 {
		return Object{}, &smithy.GenericAPIError{Code: "NoSuchKey", Message: "The specified key does not exist."}
	}
	obj := vs[len(vs)-1]
	if v := aws.ToString(version); v != "" {
		found := false
		for _, o := range vs {
			if o.VersionID == v {
				obj, found = o, true
			}
		}
		if !found {
			return Object{}, &smithy.GenericAPIError{Code: "NoSuchVersion", Message: "The specified version does not exist."}
		}
	}
	if e := aws.ToString(ifMatch); e != "" && e != obj.ETag {
		return Object{}, &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"}
	}
	return obj, nil
}

func (m *Memory) head(_ context.Context, in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls = append(m.Calls, "HEAD "+aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key))
	obj, err := m.find(in.Bucket, in.Key, in.VersionId, in.IfMatch)
	if err != nil {
		return nil, err
	}
	return &s3.HeadObjectOutput{
		ContentLength: aws.Int64(int64(len(obj.Body))),
		ETag:          aws.String(obj.ETag),
		VersionId:     aws.String(obj.VersionID),
		ContentType:   aws.String(obj.ContentType),
	}, nil
}

func (m *Memory) get(_ context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls = append(m.Calls, strings.TrimSpace("GET "+aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)+" "+aws.ToString(in.Range)))
	obj, err := m.find(in.Bucket, in.Key, in.VersionId, in.IfMatch)
	if err != nil {
		return nil, err
	}
	body := obj.Body
	if r := aws.ToString(in.Range); r != "" {
		var from, to int
		if _, err := fmt.Sscanf(r, "bytes=%d-%d", &from, &to); err != nil || from > to {
			return nil, &smithy.GenericAPIError{Code: "InvalidRange", Message: "bad range " + r}
		}
		if from >= len(body) {
			return nil, &smithy.GenericAPIError{Code: "InvalidRange", Message: "The requested range is not satisfiable"}
		}
		body = body[from:min(to+1, len(body))]
	}
	return &s3.GetObjectOutput{
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: aws.Int64(int64(len(body))),
		ETag:          aws.String(obj.ETag),
		VersionId:     aws.String(obj.VersionID),
	}, nil
}

func (m *Memory) put(_ context.Context, in *s3.PutObjectInput) (*s3.PutObjectOutput, error) {
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls = append(m.Calls, "PUT "+aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key))
	obj := m.addLocked(aws.ToString(in.Bucket), aws.ToString(in.Key), body, aws.ToString(in.ContentType), aws.ToString(in.CacheControl))
	return &s3.PutObjectOutput{ETag: aws.String(obj.ETag), VersionId: aws.String(obj.VersionID)}, nil
}
