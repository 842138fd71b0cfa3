// Package s3io is the S3 access the pipeline steps share: head, ranged and
// whole reads pinned to one object version, and writes, with SDK errors
// translated into the errors the steps act on.
package s3io

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// API is the part of *s3.Client that s3io uses.
type API interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ API = (*s3.Client)(nil)

// Errors the steps act on. Anything else from S3 is returned as is (wrapped),
// and the steps treat it as transient.
var (
	ErrNotFound           = errors.New("object not found")
	ErrPreconditionFailed = errors.New("object changed (ETag no longer matches)")
)

// Ref names one object, optionally pinned to a version and an ETag. A pinned
// read of a changed object fails with ErrPreconditionFailed instead of
// silently returning other bytes.
type Ref struct {
	Bucket    string
	Key       string
	VersionID string
	ETag      string
}

// URI returns s3://bucket/key, for messages.
func (r Ref) URI() string { return "s3://" + r.Bucket + "/" + r.Key }

// ObjectInfo is what HEAD tells.
type ObjectInfo struct {
	Size         int64
	ETag         string
	VersionID    string
	ContentType  string
	LastModified time.Time
}

// Client wraps an API.
type Client struct {
	api API
}

// New returns a Client over api.
func New(api API) *Client {
	return &Client{api: api}
}

// Head returns the object's metadata.
func (c *Client) Head(ctx context.Context, ref Ref) (ObjectInfo, error) {
	out, err := c.api.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket:    aws.String(ref.Bucket),
		Key:       aws.String(ref.Key),
		VersionId: optional(ref.VersionID),
		IfMatch:   optional(ref.ETag),
	})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("head %s: %w", ref.URI(), translate(err))
	}
	return ObjectInfo{
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         aws.ToString(out.ETag),
		VersionID:    aws.ToString(out.VersionId),
		ContentType:  aws.ToString(out.ContentType),
		LastModified: aws.ToTime(out.LastModified),
	}, nil
}

// Open streams the whole object. The caller closes the reader.
func (c *Client) Open(ctx context.Context, ref Ref) (io.ReadCloser, error) {
	return c.get(ctx, ref, "")
}

// ReadRange returns n bytes from offset off (fewer at the end of the object).
func (c *Client) ReadRange(ctx context.Context, ref Ref, off, n int64) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	body, err := c.get(ctx, ref, fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, n))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref.URI(), err)
	}
	return data, nil
}

func (c *Client) get(ctx context.Context, ref Ref, rng string) (io.ReadCloser, error) {
	out, err := c.api.GetObject(ctx, &s3.GetObjectInput{
		Bucket:    aws.String(ref.Bucket),
		Key:       aws.String(ref.Key),
		VersionId: optional(ref.VersionID),
		IfMatch:   optional(ref.ETag),
		Range:     optional(rng),
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", ref.URI(), translate(err))
	}
	return out.Body, nil
}

// PutInput is an object to write.
type PutInput struct {
	Bucket       string
	Key          string
	Body         []byte
	ContentType  string
	CacheControl string
}

// Put writes an object and returns its ETag.
func (c *Client) Put(ctx context.Context, in PutInput) (string, error) {
	out, err := c.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(in.Bucket),
		Key:           aws.String(in.Key),
		Body:          bytes.NewReader(in.Body),
		ContentLength: aws.Int64(int64(len(in.Body))),
		ContentType:   optional(in.ContentType),
		CacheControl:  optional(in.CacheControl),
	})
	if err != nil {
		return "", fmt.Errorf("put s3://%s/%s: %w", in.Bucket, in.Key, translate(err))
	}
	return aws.ToString(out.ETag), nil
}

// RangeReader reads an object front to back in ranged GETs of chunk bytes,
// fetching a chunk only when the reader gets to it. Header parsers read
// through it, so validating a 50 MB upload costs a few KiB of transfer.
type RangeReader struct {
	ctx     context.Context
	c       *Client
	ref     Ref
	size    int64
	chunk   int64
	off     int64 // next byte to fetch
	buf     []byte
	fetched int64
}

// NewRangeReader returns a RangeReader over the first size bytes of ref.
func (c *Client) NewRangeReader(ctx context.Context, ref Ref, size, chunk int64) *RangeReader {
	if chunk <= 0 {
		chunk = 64 << 10
	}
	return &RangeReader{ctx: ctx, c: c, ref: ref, size: size, chunk: chunk}
}

func (r *RangeReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.off >= r.size {
			return 0, io.EOF
		}
		n := min(r.chunk, r.size-r.off)
		data, err := r.c.ReadRange(r.ctx, r.ref, r.off, n)
		if err != nil {
			return 0, err
		}
		if len(data) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		r.off += int64(len(data))
		r.fetched += int64(len(data))
		r.buf = data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Fetched is how many bytes the reader has transferred so far.
func (r *RangeReader) Fetched() int64 { return r.fetched }

// Translate maps an error of an S3 call that does not go through a Client
// (a list, a delete) onto ErrNotFound and ErrPreconditionFailed, as the
// Client's own calls are.
func Translate(err error) error { return translate(err) }

// translate maps S3's answers onto the sentinels, keeping the original error
// in the chain for logs.
func translate(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchVersion", "NoSuchBucket":
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case "PreconditionFailed":
			return fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
		}
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		switch status.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
		}
	}
	return err
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
