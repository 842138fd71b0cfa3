package s3

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// These tests pin the behaviours of issue 12, each as S3 documents it,
// through the real SDK client.

// TestStoredHeaders checks that Cache-Control, Expires, Content-Language,
// x-amz-website-redirect-location and user metadata are kept, and that
// metadata names come back lower-case.
func TestStoredHeaders(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "hdrs", false)
	ctx := context.Background()
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err := e.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("hdrs"), Key: aws.String("k"), Body: strings.NewReader("x"),
		CacheControl: aws.String("public, max-age=31536000, immutable"), Expires: aws.Time(expires),
		ContentLanguage: aws.String("de-CH"), WebsiteRedirectLocation: aws.String("/other"),
		ContentDisposition: aws.String(`attachment; filename="a.jpg"`),
		Metadata:           map[string]string{"Foo": "1", "Camel-Case": "2"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			req := httptest.NewRequest(method, "/hdrs/k", nil)
			signForTest(req, testRegion)
			rec := httptest.NewRecorder()
			e.svc.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			h := rec.Header()
			for k, want := range map[string]string{
				"Cache-Control": "public, max-age=31536000, immutable", "Expires": expires.Format(http.TimeFormat),
				"Content-Language": "de-CH", "X-Amz-Website-Redirect-Location": "/other",
				"Content-Disposition": `attachment; filename="a.jpg"`,
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"x-amz-meta-foo", "x-amz-meta-camel-case"} {
				if _, ok := h[k]; !ok { // exact, lower-case name on the wire
					t.Errorf("no header %q in %v", k, h)
				}
			}
		})
	}
	out, err := e.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToString(out.CacheControl) != "public, max-age=31536000, immutable" || aws.ToString(out.ContentLanguage) != "de-CH" ||
		aws.ToString(out.WebsiteRedirectLocation) != "/other" || out.Metadata["foo"] != "1" || out.Metadata["camel-case"] != "2" {
		t.Errorf("HeadObject = cache %q lang %q redirect %q meta %v", aws.ToString(out.CacheControl),
			aws.ToString(out.ContentLanguage), aws.ToString(out.WebsiteRedirectLocation), out.Metadata)
	}
}

func TestCopyObjectDirectives(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "cpy", false)
	ctx := context.Background()
	b := aws.String("cpy")
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: aws.String("src"), Body: strings.NewReader("data"),
		ContentType: aws.String("image/png"), Metadata: map[string]string{"a": "1"}, Tagging: aws.String("t=1")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	for _, tc := range []struct {
		name     string
		in       awss3.CopyObjectInput
		wantCode string
		wantMeta map[string]string
		wantType string
		wantTags int32
	}{
		{name: "COPY keeps the source's", in: awss3.CopyObjectInput{Key: aws.String("d1"), CopySource: aws.String("cpy/src"),
			Metadata: map[string]string{"ignored": "x"}}, wantMeta: map[string]string{"a": "1"}, wantType: "image/png", wantTags: 1},
		{name: "REPLACE replaces", in: awss3.CopyObjectInput{Key: aws.String("d2"), CopySource: aws.String("cpy/src"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"b": "2"}, ContentType: aws.String("text/plain"),
			TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("x=1&y=2")},
			wantMeta: map[string]string{"b": "2"}, wantType: "text/plain", wantTags: 2},
		{name: "onto itself unchanged", in: awss3.CopyObjectInput{Key: aws.String("src"), CopySource: aws.String("cpy/src")},
			wantCode: "InvalidRequest"},
		{name: "onto itself with REPLACE", in: awss3.CopyObjectInput{Key: aws.String("src"), CopySource: aws.String("cpy/src"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"c": "3"}},
			wantMeta: map[string]string{"c": "3"}, wantType: "binary/octet-stream", wantTags: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket = b
			_, err := e.client.CopyObject(ctx, &in)
			if tc.wantCode != "" {
				if apiCode(err) != tc.wantCode || httpStatus(err) != 400 {
					t.Fatalf("err = %v, want 400 %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			out, err := e.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: b, Key: in.Key})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if len(out.Metadata) != len(tc.wantMeta) || aws.ToString(out.ContentType) != tc.wantType {
				t.Errorf("meta %v type %q, want %v %q", out.Metadata, aws.ToString(out.ContentType), tc.wantMeta, tc.wantType)
			}
			for k, v := range tc.wantMeta {
				if out.Metadata[k] != v {
					t.Errorf("meta %v, want %v", out.Metadata, tc.wantMeta)
				}
			}
			g, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: in.Key})
			if getBody(t, g, err) != "data" || aws.ToInt32(g.TagCount) != tc.wantTags {
				t.Errorf("tag count %d, want %d", aws.ToInt32(g.TagCount), tc.wantTags)
			}
		})
	}
}

func TestObjectTagging(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "tags", true)
	ctx := context.Background()
	b, k := aws.String("tags"), aws.String("obj")
	put, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("v1"), Tagging: aws.String("color=red&size=big%20one")})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	tagsOf := func(t *testing.T, version *string) map[string]string {
		t.Helper()
		out, err := e.client.GetObjectTagging(ctx, &awss3.GetObjectTaggingInput{Bucket: b, Key: k, VersionId: version})
		if err != nil {
			t.Fatalf("GetObjectTagging: %v", err)
		}
		m := map[string]string{}
		for _, tg := range out.TagSet {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	steps := []struct {
		name string
		do   func(t *testing.T)
		want map[string]string
	}{
		{"x-amz-tagging on PUT", func(t *testing.T) {}, map[string]string{"color": "red", "size": "big one"}},
		{"PutObjectTagging", func(t *testing.T) {
			if _, err := e.client.PutObjectTagging(ctx, &awss3.PutObjectTaggingInput{Bucket: b, Key: k,
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("only"), Value: aws.String("one")}}}}); err != nil {
				t.Fatalf("PutObjectTagging: %v", err)
			}
		}, map[string]string{"only": "one"}},
		{"DeleteObjectTagging", func(t *testing.T) {
			if _, err := e.client.DeleteObjectTagging(ctx, &awss3.DeleteObjectTaggingInput{Bucket: b, Key: k}); err != nil {
				t.Fatalf("DeleteObjectTagging: %v", err)
			}
		}, map[string]string{}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			got := tagsOf(t, nil)
			if len(got) != len(st.want) {
				t.Fatalf("tags %v, want %v", got, st.want)
			}
			for k, v := range st.want {
				if got[k] != v {
					t.Fatalf("tags %v, want %v", got, st.want)
				}
			}
			g, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: k})
			_ = getBody(t, g, err)
			if int(aws.ToInt32(g.TagCount)) != len(st.want) {
				t.Errorf("x-amz-tagging-count %d, want %d", aws.ToInt32(g.TagCount), len(st.want))
			}
		})
	}
	t.Run("by version", func(t *testing.T) {
		if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("v2")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.PutObjectTagging(ctx, &awss3.PutObjectTaggingInput{Bucket: b, Key: k, VersionId: put.VersionId,
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("old"), Value: aws.String("yes")}}}}); err != nil {
			t.Fatalf("PutObjectTagging by version: %v", err)
		}
		if got := tagsOf(t, put.VersionId); got["old"] != "yes" {
			t.Errorf("old version tags %v", got)
		}
		if got := tagsOf(t, nil); len(got) != 0 {
			t.Errorf("current version tags %v, want none", got)
		}
	})
	t.Run("too many tags", func(t *testing.T) {
		var ts []types.Tag
		for i := range 11 {
			ts = append(ts, types.Tag{Key: aws.String(string(rune('a' + i))), Value: aws.String("v")})
		}
		_, err := e.client.PutObjectTagging(ctx, &awss3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: ts}})
		if httpStatus(err) != 400 {
			t.Errorf("11 tags: %v, want 400", err)
		}
	})
}

func TestUploadPartCopy(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "mpc", true)
	ctx := context.Background()
	b := aws.String("mpc")
	src := bytes.Repeat([]byte("0123456789"), 100)
	srcPut, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: aws.String("src"), Body: bytes.NewReader(src)})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	up, err := e.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("dst")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var parts []types.CompletedPart
	for i, tc := range []struct {
		name, rng string
		want      []byte
	}{
		{"a range", "bytes=0-499", src[:500]},
		{"the rest, by version", "bytes=500-999", src[500:]},
		{"the whole object", "", src},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &awss3.UploadPartCopyInput{Bucket: b, Key: aws.String("dst"), UploadId: up.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("mpc/src?versionId=" + aws.ToString(srcPut.VersionId))}
			if tc.rng != "" {
				in.CopySourceRange = aws.String(tc.rng)
			}
			out, err := e.client.UploadPartCopy(ctx, in)
			if err != nil {
				t.Fatalf("UploadPartCopy: %v", err)
			}
			if aws.ToString(out.CopySourceVersionId) != aws.ToString(srcPut.VersionId) {
				t.Errorf("copy source version %q", aws.ToString(out.CopySourceVersionId))
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
		})
	}
	_, err = e.client.UploadPartCopy(ctx, &awss3.UploadPartCopyInput{Bucket: b, Key: aws.String("dst"), UploadId: up.UploadId,
		PartNumber: aws.Int32(9), CopySource: aws.String("mpc/src"), CopySourceRange: aws.String("bytes=900-1000")})
	if apiCode(err) != "InvalidRange" {
		t.Errorf("range past the end: %v, want InvalidRange", err)
	}
	if _, err := e.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("dst"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	g, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: aws.String("dst")})
	if got := getBody(t, g, err); got != string(src)+string(src) {
		t.Errorf("assembled %d bytes, want %d", len(got), 2*len(src))
	}
}

func crcBytes32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// TestCRC64NVME checks the table against the catalogue's check value.
func TestCRC64NVME(t *testing.T) {
	if got := crc64.Checksum([]byte("123456789"), crc64NVMETable); got != 0xae8b14860a799888 {
		t.Fatalf("CRC-64/NVME(123456789) = %x, want ae8b14860a799888", got)
	}
}

func TestChecksums(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "sums", false)
	ctx := context.Background()
	b := aws.String("sums")
	data := []byte("checksummed content")
	b64 := base64.StdEncoding.EncodeToString
	s1 := sha1.Sum(data)
	s256 := sha256.Sum256(data)
	want := map[types.ChecksumAlgorithm]string{
		types.ChecksumAlgorithmCrc32:     b64(crcBytes32(crc32.ChecksumIEEE(data))),
		types.ChecksumAlgorithmCrc32c:    b64(crcBytes32(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))),
		types.ChecksumAlgorithmSha1:      b64(s1[:]),
		types.ChecksumAlgorithmSha256:    b64(s256[:]),
		types.ChecksumAlgorithmCrc64nvme: b64(binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, crc64NVMETable))),
	}
	got := func(o *awss3.GetObjectOutput, a types.ChecksumAlgorithm) string {
		return aws.ToString(map[types.ChecksumAlgorithm]*string{
			types.ChecksumAlgorithmCrc32: o.ChecksumCRC32, types.ChecksumAlgorithmCrc32c: o.ChecksumCRC32C,
			types.ChecksumAlgorithmSha1: o.ChecksumSHA1, types.ChecksumAlgorithmSha256: o.ChecksumSHA256,
			types.ChecksumAlgorithmCrc64nvme: o.ChecksumCRC64NVME}[a])
	}
	for algo, sum := range want {
		t.Run(string(algo), func(t *testing.T) {
			key := aws.String("obj-" + string(algo))
			if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: key, Body: bytes.NewReader(data), ChecksumAlgorithm: algo}); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			out, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: key, ChecksumMode: types.ChecksumModeEnabled})
			getBody(t, out, err)
			if got(out, algo) != sum || out.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("GetObject checksum %q type %q, want %q FULL_OBJECT", got(out, algo), out.ChecksumType, sum)
			}
		})
	}
	t.Run("no algorithm: CRC64NVME by default", func(t *testing.T) {
		req := httptest.NewRequest("PUT", "/sums/plain", bytes.NewReader(data))
		signForTest(req, testRegion)
		e.svc.ServeHTTP(httptest.NewRecorder(), req)
		out, err := e.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: b, Key: aws.String("plain"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil || aws.ToString(out.ChecksumCRC64NVME) != want[types.ChecksumAlgorithmCrc64nvme] {
			t.Errorf("HeadObject: %v, crc64nvme %q", err, aws.ToString(out.ChecksumCRC64NVME))
		}
	})
	t.Run("not returned without ChecksumMode", func(t *testing.T) {
		req := httptest.NewRequest("HEAD", "/sums/plain", nil)
		signForTest(req, testRegion)
		rec := httptest.NewRecorder()
		e.svc.ServeHTTP(rec, req)
		if v := rawHeader(rec.Header(), "x-amz-checksum-crc64nvme"); v != "" {
			t.Errorf("checksum %q sent without x-amz-checksum-mode", v)
		}
	})
	t.Run("wrong value is BadDigest", func(t *testing.T) {
		_, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: aws.String("bad"), Body: bytes.NewReader(data),
			ChecksumCRC32: aws.String(b64(crcBytes32(12345)))})
		if apiCode(err) != "BadDigest" || httpStatus(err) != 400 {
			t.Fatalf("err = %v, want 400 BadDigest", err)
		}
		if _, err := e.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: b, Key: aws.String("bad")}); httpStatus(err) != 404 {
			t.Errorf("object stored despite BadDigest: %v", err)
		}
	})
	for _, tc := range []struct {
		name     string
		trailer  string
		wantCode string
	}{
		{"trailing checksum", want[types.ChecksumAlgorithmCrc32], ""},
		{"wrong trailing checksum", b64(crcBytes32(1)), "BadDigest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := "13\r\n" + string(data) + "\r\n0\r\nx-amz-checksum-crc32:" + tc.trailer + "\r\n\r\n"
			req := httptest.NewRequest("PUT", "/sums/trailer", strings.NewReader(body))
			signForTest(req, testRegion)
			req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
			req.Header.Set("Content-Encoding", "aws-chunked")
			req.Header.Set("X-Amz-Decoded-Content-Length", "19")
			req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
			rec := httptest.NewRecorder()
			e.svc.ServeHTTP(rec, req)
			if tc.wantCode != "" {
				if rec.Code != 400 || !strings.Contains(rec.Body.String(), "<Code>"+tc.wantCode+"</Code>") {
					t.Fatalf("status %d body %s, want 400 %s", rec.Code, rec.Body, tc.wantCode)
				}
				return
			}
			if rec.Code != 200 || rawHeader(rec.Header(), "x-amz-checksum-crc32") != tc.trailer {
				t.Fatalf("status %d, checksum %q: %s", rec.Code, rawHeader(rec.Header(), "x-amz-checksum-crc32"), rec.Body)
			}
			out, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: aws.String("trailer"), ChecksumMode: types.ChecksumModeEnabled})
			if getBody(t, out, err) != string(data) || aws.ToString(out.ChecksumCRC32) != tc.trailer {
				t.Errorf("GetObject crc32 %q", aws.ToString(out.ChecksumCRC32))
			}
		})
	}
	t.Run("multipart composite", func(t *testing.T) {
		up, err := e.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("mp"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		var parts []types.CompletedPart
		for i, p := range []string{"first part", "second"} {
			out, err := e.client.UploadPart(ctx, &awss3.UploadPartInput{Bucket: b, Key: aws.String("mp"), UploadId: up.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader(p), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
			if err != nil {
				t.Fatalf("UploadPart: %v", err)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
		}
		c, err := e.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("mp"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		h := crc32.NewIEEE()
		for _, p := range []string{"first part", "second"} {
			h.Write(crcBytes32(crc32.ChecksumIEEE([]byte(p))))
		}
		if want := b64(h.Sum(nil)) + "-2"; aws.ToString(c.ChecksumCRC32) != want || c.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("composite %q %q, want %q COMPOSITE", aws.ToString(c.ChecksumCRC32), c.ChecksumType, want)
		}
	})
}

func TestVersioningBehaviour(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	mustCreateBucket(t, e, "never", false)
	mustCreateBucket(t, e, "ver", true)
	b := aws.String("ver")
	t.Run("never versioned: empty configuration", func(t *testing.T) {
		out, err := e.client.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: aws.String("never")})
		if err != nil || out.Status != "" || out.MFADelete != "" {
			t.Fatalf("GetBucketVersioning = %+v, %v; want empty", out, err)
		}
	})
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	del, err := e.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) {
		t.Fatalf("DeleteObject = %+v, %v", del, err)
	}
	for _, tc := range []struct {
		name       string
		version    *string
		wantStatus int
		wantCode   string
	}{
		{"GET of the delete marker's version", del.VersionId, 405, "MethodNotAllowed"},
		{"GET while the marker is current", nil, 404, "NoSuchKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: aws.String("k"), VersionId: tc.version})
			if apiCode(err) != tc.wantCode || httpStatus(err) != tc.wantStatus {
				t.Fatalf("err = %v, want %d %s", err, tc.wantStatus, tc.wantCode)
			}
		})
	}
	t.Run("DeleteObjects reports delete markers", func(t *testing.T) {
		if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: aws.String("m"), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
		out, err := e.client.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("m")}, {Key: aws.String("k"), VersionId: del.VersionId}}}})
		if err != nil || len(out.Deleted) != 2 {
			t.Fatalf("DeleteObjects = %+v, %v", out, err)
		}
		for _, d := range out.Deleted {
			if !aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) == "" {
				t.Errorf("deleted %s: DeleteMarker %v DeleteMarkerVersionId %q", aws.ToString(d.Key), aws.ToBool(d.DeleteMarker), aws.ToString(d.DeleteMarkerVersionId))
			}
		}
		if d := out.Deleted[1]; aws.ToString(d.DeleteMarkerVersionId) != aws.ToString(del.VersionId) || aws.ToString(d.VersionId) != aws.ToString(del.VersionId) {
			t.Errorf("removed marker: %+v", d)
		}
	})
}

// TestErrorBodies checks that error bodies carry <Message>, as AWS's do.
func TestErrorBodies(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "errs", false)
	ctx := context.Background()
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("errs"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, target string
		wantStatus           int
		wantCode, wantMsg    string
	}{
		{"NoSuchKey", "GET", "/errs/missing", 404, "NoSuchKey", "The specified key does not exist."},
		{"BucketNotEmpty", "DELETE", "/errs", 409, "BucketNotEmpty", "The bucket you tried to delete is not empty"},
		{"NoSuchBucket", "GET", "/nobucket?list-type=2", 404, "NoSuchBucket", "The specified bucket does not exist"},
		{"NoSuchUpload", "GET", "/errs/k?uploadId=nope", 404, "NoSuchUpload", "The specified upload does not exist."},
		{"NotImplemented", "GET", "/errs?website", 501, "NotImplemented", "not implemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, nil)
			signForTest(req, testRegion)
			rec := httptest.NewRecorder()
			e.svc.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.wantStatus || !bytes.Contains(body, []byte("<Code>"+tc.wantCode+"</Code>")) ||
				!bytes.Contains(body, []byte(tc.wantMsg)) || !bytes.Contains(body, []byte("<RequestId>")) {
				t.Fatalf("status %d body %s, want %d %s %q", rec.Code, body, tc.wantStatus, tc.wantCode, tc.wantMsg)
			}
		})
	}
	_, err := e.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("errs"), Key: aws.String("missing")})
	var ae smithy.APIError
	if !errorsAs(err, &ae) || ae.ErrorMessage() == "" {
		t.Errorf("SDK error %v has no message", err)
	}
}

// rawHeader looks name up case-insensitively, as a client reads the wire
// (the service sends some names lower-case, as S3 does).
func rawHeader(h http.Header, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
