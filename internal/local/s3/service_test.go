package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func getBody(t *testing.T, out *awss3.GetObjectOutput, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestObjectBasics(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pathStyle bool
	}{
		{"path-style", true},
		{"virtual-host", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			c := e.newClient(t, tc.pathStyle, testRegion)
			ctx := context.Background()
			if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
				t.Fatalf("CreateBucket: %v", err)
			}
			key := "in/a b+c é.jpg"
			put, err := c.PutObject(ctx, &awss3.PutObjectInput{
				Bucket: aws.String("photos"), Key: aws.String(key),
				Body: strings.NewReader("0123456789"), ContentType: aws.String("image/jpeg"),
				Metadata: map[string]string{"owner": "me"},
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if got := aws.ToString(put.ETag); got != `"781e5e245d69b566979b86e28d23f2c7"` {
				t.Errorf("put ETag = %s", got)
			}
			out, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
			if got := getBody(t, out, err); got != "0123456789" {
				t.Errorf("body = %q", got)
			}
			if aws.ToString(out.ContentType) != "image/jpeg" || out.Metadata["owner"] != "me" {
				t.Errorf("content-type %q metadata %v", aws.ToString(out.ContentType), out.Metadata)
			}
			head, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToInt64(head.ContentLength) != 10 || aws.ToString(head.ETag) != aws.ToString(put.ETag) {
				t.Errorf("head length %d etag %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag))
			}
			rng, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key), Range: aws.String("bytes=2-5")})
			if got := getBody(t, rng, err); got != "2345" {
				t.Errorf("ranged body = %q", got)
			}
			if aws.ToString(rng.ContentRange) != "bytes 2-5/10" {
				t.Errorf("Content-Range = %q", aws.ToString(rng.ContentRange))
			}
			list, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("photos"), Prefix: aws.String("in/")})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != key {
				t.Fatalf("list = %+v", list.Contents)
			}
			if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)}); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			_, err = c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String(key)})
			var nsk *types.NoSuchKey
			if !errors.As(err, &nsk) {
				t.Fatalf("GetObject after delete: %v, want NoSuchKey", err)
			}
		})
	}
}

func TestIfMatch(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "bkt", false)
	ctx := context.Background()
	put, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	for _, tc := range []struct {
		name     string
		ifMatch  string
		wantCode string
	}{
		{"same etag", aws.ToString(put.ETag), ""},
		{"star", "*", ""},
		{"other etag", `"0000"`, "PreconditionFailed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), IfMatch: aws.String(tc.ifMatch)})
			if tc.wantCode == "" {
				getBody(t, out, err)
			} else if apiCode(err) != tc.wantCode {
				t.Errorf("GET err = %v, want %s", err, tc.wantCode)
			}
			_, err = e.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), IfMatch: aws.String(tc.ifMatch)})
			if tc.wantCode == "" && err != nil {
				t.Errorf("HEAD: %v", err)
			}
			if tc.wantCode != "" {
				// HEAD errors have no body: the SDK reports the status text.
				var re interface{ HTTPStatusCode() int }
				if !errors.As(err, &re) || re.HTTPStatusCode() != 412 {
					t.Errorf("HEAD err = %v, want 412", err)
				}
			}
		})
	}
}

func TestVersions(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "vbkt", false)
	ctx := context.Background()
	if _, err := e.client.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: aws.String("vbkt"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	var ids []string
	for _, body := range []string{"one", "two"} {
		out, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("vbkt"), Key: aws.String("k"), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		ids = append(ids, aws.ToString(out.VersionId))
	}
	if ids[0] == "" || ids[0] == ids[1] {
		t.Fatalf("version ids %q", ids)
	}
	for i, want := range []string{"one", "two"} {
		out, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("vbkt"), Key: aws.String("k"), VersionId: aws.String(ids[i])})
		if got := getBody(t, out, err); got != want || aws.ToString(out.VersionId) != ids[i] {
			t.Errorf("version %d: body %q version %q", i, got, aws.ToString(out.VersionId))
		}
		head, err := e.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("vbkt"), Key: aws.String("k"), VersionId: aws.String(ids[i])})
		if err != nil || aws.ToInt64(head.ContentLength) != int64(len(want)) || aws.ToString(head.VersionId) != ids[i] {
			t.Errorf("head version %d: %v len %d version %q", i, err, aws.ToInt64(head.ContentLength), aws.ToString(head.VersionId))
		}
	}
	lv, err := e.client.ListObjectVersions(ctx, &awss3.ListObjectVersionsInput{Bucket: aws.String("vbkt")})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	if len(lv.Versions) != 2 || aws.ToString(lv.Versions[0].VersionId) != ids[1] || !aws.ToBool(lv.Versions[0].IsLatest) {
		t.Errorf("versions = %+v", lv.Versions)
	}
	// A delete adds a marker; the old versions stay readable.
	del, err := e.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("vbkt"), Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) {
		t.Fatalf("DeleteObject: %v marker=%v", err, aws.ToBool(del.DeleteMarker))
	}
	out, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("vbkt"), Key: aws.String("k"), VersionId: aws.String(ids[0])})
	if got := getBody(t, out, err); got != "one" {
		t.Errorf("after delete marker: %q", got)
	}
}

func TestMultipartAndCopy(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "mpbkt", true)
	ctx := context.Background()
	key := "big file+1.bin"
	cr, err := e.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("mpbkt"), Key: aws.String(key), ContentType: aws.String("application/x-test")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	parts := []string{"hello-", "multipart-", "world"}
	var done []types.CompletedPart
	for i, p := range parts {
		up, err := e.client.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("mpbkt"), Key: aws.String(key), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader(p)})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		done = append(done, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	comp, err := e.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String("mpbkt"), Key: aws.String(key),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(comp.ETag), `-3"`) || aws.ToString(comp.VersionId) == "" {
		t.Errorf("complete etag %s version %q", aws.ToString(comp.ETag), aws.ToString(comp.VersionId))
	}
	out, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("mpbkt"), Key: aws.String(key)})
	if got := getBody(t, out, err); got != strings.Join(parts, "") {
		t.Errorf("assembled = %q", got)
	}
	if aws.ToString(out.ETag) != aws.ToString(comp.ETag) || aws.ToString(out.ContentType) != "application/x-test" {
		t.Errorf("GET etag %s content-type %s", aws.ToString(out.ETag), aws.ToString(out.ContentType))
	}
	p2, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("mpbkt"), Key: aws.String(key), PartNumber: aws.Int32(2)})
	if got := getBody(t, p2, err); got != "multipart-" || aws.ToInt32(p2.PartsCount) != 3 {
		t.Errorf("part 2 = %q parts %d", got, aws.ToInt32(p2.PartsCount))
	}

	// Copy (with the source pinned to its version) into another key.
	cp, err := e.client.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String("mpbkt"), Key: aws.String("copy/of it"),
		CopySource: aws.String("mpbkt/" + "big%20file%2B1.bin?versionId=" + aws.ToString(comp.VersionId))})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if aws.ToString(cp.CopySourceVersionId) != aws.ToString(comp.VersionId) || aws.ToString(cp.VersionId) == "" || aws.ToString(cp.VersionId) == aws.ToString(comp.VersionId) {
		t.Errorf("copy source version %q dest version %q", aws.ToString(cp.CopySourceVersionId), aws.ToString(cp.VersionId))
	}
	out, err = e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("mpbkt"), Key: aws.String("copy/of it")})
	if got := getBody(t, out, err); got != strings.Join(parts, "") {
		t.Errorf("copy body = %q", got)
	}
	list, err := e.client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("mpbkt"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(list.Contents) != 1 || len(list.CommonPrefixes) != 1 || aws.ToString(list.CommonPrefixes[0].Prefix) != "copy/" {
		t.Errorf("list contents %d prefixes %+v", len(list.Contents), list.CommonPrefixes)
	}
}

func TestPutLarge(t *testing.T) {
	e := newEnv(t, envOpts{cfg: func(c *Config) { c.MaxObjectSize = 1 << 20 }})
	mustCreateBucket(t, e, "lim", false)
	ctx := context.Background()
	_, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("lim"), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, 1<<20+1))})
	if apiCode(err) != "EntityTooLarge" {
		t.Fatalf("oversized put: %v, want EntityTooLarge", err)
	}
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("lim"), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, 1<<20))}); err != nil {
		t.Fatalf("put at limit: %v", err)
	}
}
