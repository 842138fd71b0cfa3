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
