package s3

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestChunkedReader(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		wantErr        bool
	}{
		{"signed", "5;chunk-signature=aa\r\nhello\r\n6;chunk-signature=bb\r\n world\r\n0;chunk-signature=cc\r\n\r\n", "hello world", false},
		{"unsigned with trailer", "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n", "hello world", false},
		{"trailer without final blank line", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAA==\r\n", "abc", false},
		{"empty", "0\r\n\r\n", "", false},
		{"truncated", "b\r\nhello", "", true},
		{"bad size", "zz\r\nabc\r\n", "", true},
		{"missing CRLF", "3\r\nabcX\r\n0\r\n\r\n", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := io.ReadAll(newChunkedReader(strings.NewReader(tc.in)))
			if tc.wantErr {
				var cfe *ChunkFormatError
				if err == nil || (!errors.As(err, &cfe) && !errors.Is(err, io.ErrUnexpectedEOF)) {
					t.Fatalf("err = %v, want a format error", err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestStreamingPut sends an aws-chunked body with a trailing checksum, as
// SDKs do for streaming uploads, and checks the stored content.
func TestStreamingPut(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "stream", false)
	body := "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
	req := httptest.NewRequest("PUT", "/stream/greeting.txt", strings.NewReader(body))
	signForTest(req, testRegion)
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", "11")
	req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	rec := httptest.NewRecorder()
	e.svc.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("PUT status %d: %s", rec.Code, rec.Body)
	}
	get := httptest.NewRequest("GET", "/stream/greeting.txt", nil)
	signForTest(get, testRegion)
	rec = httptest.NewRecorder()
	e.svc.ServeHTTP(rec, get)
	if rec.Body.String() != "hello world" || rec.Header().Get("Content-Encoding") != "" {
		t.Fatalf("GET %d %q encoding %q", rec.Code, rec.Body, rec.Header().Get("Content-Encoding"))
	}
}

// TestChunkedTrailers checks that trailer fields are kept, with or
// without the final CRLF.
func TestChunkedTrailers(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
	}{
		{"unsigned with checksum", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n", map[string]string{"x-amz-checksum-crc32": "NSRBwg=="}},
		{"signed trailer", "3;chunk-signature=aa\r\nabc\r\n0;chunk-signature=bb\r\nX-Amz-Checksum-Sha256:abc=\r\nx-amz-trailer-signature:cc\r\n\r\n",
			map[string]string{"x-amz-checksum-sha256": "abc=", "x-amz-trailer-signature": "cc"}},
		{"no final CRLF", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32c:AAAAAA==", map[string]string{"x-amz-checksum-crc32c": "AAAAAA=="}},
		{"no trailers", "3\r\nabc\r\n0\r\n\r\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := newChunkedReader(strings.NewReader(tc.in))
			got, err := io.ReadAll(cr)
			if err != nil || string(got) != "abc" {
				t.Fatalf("ReadAll = %q, %v", got, err)
			}
			if len(cr.trailers) != len(tc.want) {
				t.Fatalf("trailers %v, want %v", cr.trailers, tc.want)
			}
			for k, v := range tc.want {
				if cr.trailers[k] != v {
					t.Errorf("trailer %s = %q, want %q", k, cr.trailers[k], v)
				}
			}
		})
	}
}
