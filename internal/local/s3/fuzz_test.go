package s3

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func FuzzChunkedReader(f *testing.F) {
	f.Add("5;chunk-signature=aa\r\nhello\r\n0;chunk-signature=cc\r\n\r\n")
	f.Add("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n")
	f.Add("ffffffffffffffff\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 1<<16 {
			t.Skip()
		}
		out, _ := io.ReadAll(newChunkedReader(strings.NewReader(in)))
		if len(out) > len(in) {
			t.Fatalf("decoded %d bytes from %d", len(out), len(in))
		}
	})
}

func FuzzParseNotificationXML(f *testing.F) {
	f.Add(`<NotificationConfiguration><CloudFunctionConfiguration><Id>a</Id><CloudFunction>arn:aws:lambda:eu-west-1:0:function:f</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>in/</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration></NotificationConfiguration>`)
	f.Add(`<NotificationConfiguration><TopicConfiguration><Topic>x</Topic></TopicConfiguration></NotificationConfiguration>`)
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 1<<16 {
			t.Skip()
		}
		cfgs, ae := parseNotificationXML([]byte(in))
		if ae == nil {
			if _, err := notificationXML(cfgs); err != nil {
				t.Fatalf("render accepted config: %v", err)
			}
		}
	})
}

func FuzzCheckSigV4(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=abc", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261125%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T000000Z&X-Amz-Expires=9&X-Amz-SignedHeaders=host&X-Amz-Signature=0")
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, authz, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", authz)
		r.Header.Set("X-Amz-Date", "20261125T000000Z")
		scope, err := CheckSigV4(r, "eu-west-1", "s3", now)
		if err == nil && (scope.Region != "eu-west-1" || scope.Service != "s3") {
			t.Fatalf("accepted scope %+v", scope)
		}
	})
}
