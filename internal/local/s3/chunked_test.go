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
