package s3

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// fullFile is a blob file on a full disk: every write fails with ENOSPC.
type fullFile struct{ name string }

func (f fullFile) Write(p []byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
}
func (f fullFile) Sync() error  { return nil }
func (f fullFile) Close() error { return nil }
func (f fullFile) Name() string { return f.name }

func TestFullDisk(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "full", false)
	ctx := context.Background()
	e.svc.st.createTemp = func(dir, pattern string) (blobFile, error) {
		return fullFile{name: filepath.Join(t.TempDir(), "blob")}, nil
	}
	up, err := e.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("full"), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"PutObject", func() error {
			_, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("k"), Body: strings.NewReader("photo")})
			return err
		}},
		{"UploadPart", func() error {
			_, err := e.client.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("full"), Key: aws.String("mp"),
				UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "InsufficientStorage" || httpStatus(err) != 503 ||
				!strings.Contains(ae.ErrorMessage(), e.dir) || !strings.Contains(ae.ErrorMessage(), "full") {
				t.Fatalf("got %v, want 503 InsufficientStorage naming %s", err, e.dir)
			}
		})
	}
	if _, err := e.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("full"), Key: aws.String("k")}); httpStatus(err) != 404 {
		t.Fatalf("HeadObject after a failed PUT: %v, want 404", err)
	}
}

func TestIsNoSpace(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"wrapped errno", fmt.Errorf("write blob: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), true},
		{"bbolt resize text", fmt.Errorf("file resize error: %s", syscall.ENOSPC), true},
		{"quota", &os.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, true},
		{"other", errors.New("permission denied"), false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isNoSpace(tc.err); got != tc.want {
				t.Fatalf("isNoSpace(%v) = %v", tc.err, got)
			}
		})
	}
}
