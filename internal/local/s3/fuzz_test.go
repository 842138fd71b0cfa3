package s3

import (
	"io"
	"strings"
	"testing"
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

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-4", "bytes=-3", "bytes=7-", "bytes=5-2", "bytes=0-0,2-3", "items=1-2", "bytes=99-"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size < 0 || size > 1<<40 {
			t.Skip()
		}
		rng, ok, err := parseRange(v, size)
		if err != nil || !ok {
			return
		}
		if rng.Start < 0 || rng.Length <= 0 || rng.Start+rng.Length > size {
			t.Fatalf("parseRange(%q, %d) = %+v outside the object", v, size, *rng)
		}
	})
}

func FuzzParseTagging(f *testing.F) {
	f.Add("a=1&b=2")
	f.Add("k%20x=v%26y&empty=")
	f.Add("a=1&a=2")
	f.Fuzz(func(t *testing.T, v string) {
		tags, err := parseTagging(v)
		if err == nil && len(tags) > 10 {
			t.Fatalf("parseTagging(%q) accepted %d tags", v, len(tags))
		}
	})
}
