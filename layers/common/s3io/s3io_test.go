package s3io_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/imgflow/imgflow/layers/common/s3io"
	"github.com/imgflow/imgflow/layers/common/s3io/s3iotest"
)

func TestReadsPinnedToVersionAndETag(t *testing.T) {
	mem, fake := s3iotest.NewMemory()
	v1 := mem.Add("b", "k", []byte("first version"), "text/plain")
	mem.Add("b", "k", []byte("second"), "text/plain")
	c := s3io.New(fake)
	ctx := context.Background()

	tests := []struct {
		name    string
		ref     s3io.Ref
		want    string
		wantErr error
	}{
		{name: "latest", ref: s3io.Ref{Bucket: "b", Key: "k"}, want: "second"},
		{name: "pinned version", ref: s3io.Ref{Bucket: "b", Key: "k", VersionID: v1.VersionID}, want: "first version"},
		{name: "version and etag", ref: s3io.Ref{Bucket: "b", Key: "k", VersionID: v1.VersionID, ETag: v1.ETag}, want: "first version"},
		{name: "etag of another version", ref: s3io.Ref{Bucket: "b", Key: "k", ETag: v1.ETag}, wantErr: s3io.ErrPreconditionFailed},
		{name: "missing key", ref: s3io.Ref{Bucket: "b", Key: "nope"}, wantErr: s3io.ErrNotFound},
		{name: "missing version", ref: s3io.Ref{Bucket: "b", Key: "k", VersionID: "v9"}, wantErr: s3io.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := c.Open(ctx, tt.ref)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				_, herr := c.Head(ctx, tt.ref)
				if !errors.Is(herr, tt.wantErr) {
					t.Fatalf("head err = %v, want %v", herr, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, _ := io.ReadAll(rc)
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRangeReaderFetchesOnlyWhatIsRead(t *testing.T) {
	mem, fake := s3iotest.NewMemory()
	body := bytes.Repeat([]byte("0123456789"), 1000) // 10,000 bytes
	obj := mem.Add("b", "big", body, "")
	c := s3io.New(fake)
	r := c.NewRangeReader(context.Background(), s3io.Ref{Bucket: "b", Key: "big", VersionID: obj.VersionID}, int64(len(body)), 4096)

	head := make([]byte, 100)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	if r.Fetched() != 4096 {
		t.Errorf("fetched %d bytes for a 100-byte read, want one 4096-byte chunk", r.Fetched())
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(head, rest...), body) {
		t.Error("reassembled bytes differ from the object")
	}
	if r.Fetched() != int64(len(body)) {
		t.Errorf("fetched %d, want %d", r.Fetched(), len(body))
	}
}

func TestTranslateHTTPStatus(t *testing.T) {
	fake := &s3iotest.Fake{HeadObjectFunc: func(context.Context, *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "SlowDown", Message: "reduce your request rate"}
	}}
	_, err := s3io.New(fake).Head(context.Background(), s3io.Ref{Bucket: "b", Key: "k"})
	if err == nil || errors.Is(err, s3io.ErrNotFound) || errors.Is(err, s3io.ErrPreconditionFailed) {
		t.Fatalf("a throttle must stay a plain (transient) error, got %v", err)
	}
}
