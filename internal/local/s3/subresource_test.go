package s3

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestUnimplementedSubresources checks that operations the router does not
// implement answer 501 NotImplemented, with nothing changed.
func TestUnimplementedSubresources(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "subres", false)
	ctx := context.Background()
	c := e.client
	b, k := aws.String("subres"), aws.String("obj")
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("keep me")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	tagging := &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"PutBucketTagging", func() error {
			_, err := c.PutBucketTagging(ctx, &awss3.PutBucketTaggingInput{Bucket: b, Tagging: tagging})
			return err
		}},
		{"DeleteBucketWebsite", func() error {
			_, err := c.DeleteBucketWebsite(ctx, &awss3.DeleteBucketWebsiteInput{Bucket: b})
			return err
		}},
		{"DeleteBucketPolicy", func() error {
			_, err := c.DeleteBucketPolicy(ctx, &awss3.DeleteBucketPolicyInput{Bucket: b})
			return err
		}},
		{"GetBucketAcl", func() error { _, err := c.GetBucketAcl(ctx, &awss3.GetBucketAclInput{Bucket: b}); return err }},
		{"PutObjectAcl", func() error {
			_, err := c.PutObjectAcl(ctx, &awss3.PutObjectAclInput{Bucket: b, Key: k, ACL: types.ObjectCannedACLPrivate})
			return err
		}},
		{"GetObjectAttributes", func() error {
			_, err := c.GetObjectAttributes(ctx, &awss3.GetObjectAttributesInput{Bucket: b, Key: k, ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}})
			return err
		}},
		{"PutBucketLifecycleConfiguration", func() error {
			_, err := c.PutBucketLifecycleConfiguration(ctx, &awss3.PutBucketLifecycleConfigurationInput{Bucket: b,
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{Status: types.ExpirationStatusEnabled,
					Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}}}})
			return err
		}},
		{"PutBucketNotification with SQS queue", func() error {
			_, err := c.PutBucketNotificationConfiguration(ctx, &awss3.PutBucketNotificationConfigurationInput{Bucket: b,
				NotificationConfiguration: &types.NotificationConfiguration{QueueConfigurations: []types.QueueConfiguration{{
					QueueArn: aws.String("arn:aws:sqs:eu-west-1:000000000000:q"), Events: []types.Event{"s3:ObjectCreated:*"}}}}})
			return err
		}},
		{"PutBucketNotification with ObjectRestore", func() error {
			_, err := c.PutBucketNotificationConfiguration(ctx, &awss3.PutBucketNotificationConfigurationInput{Bucket: b,
				NotificationConfiguration: &types.NotificationConfiguration{LambdaFunctionConfigurations: []types.LambdaFunctionConfiguration{{
					LambdaFunctionArn: aws.String(testFn), Events: []types.Event{"s3:ObjectRestore:*"}}}}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if apiCode(err) != "NotImplemented" || httpStatus(err) != http.StatusNotImplemented {
				t.Fatalf("err = %v, want 501 NotImplemented", err)
			}
		})
	}
	out, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: b, Key: k})
	if got := getBody(t, out, err); got != "keep me" {
		t.Errorf("object changed: %q", got)
	}
	if _, err := c.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: b}); err != nil {
		t.Errorf("bucket gone: %v", err)
	}
}

// TestSubresourceTable checks raw query handling, including parameters no
// SDK operation sends.
func TestSubresourceTable(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "raw", false)
	for _, tc := range []struct {
		name, method, target string
		wantStatus           int
		wantCode             string
	}{
		{"unknown valueless sub-resource", "GET", "/raw?frobnicate", 501, "NotImplemented"},
		{"unknown valued parameter is ignored", "GET", "/raw?list-type=2&x-id=ListObjectsV2&foo=bar", 200, ""},
		{"tagging on bucket PUT", "PUT", "/raw?tagging", 501, "NotImplemented"},
		{"website on bucket DELETE", "DELETE", "/raw?website", 501, "NotImplemented"},
		{"notification on object", "GET", "/raw/key?notification", 405, "MethodNotAllowed"},
		{"notification DELETE", "DELETE", "/raw?notification", 405, "MethodNotAllowed"},
		{"versioning on object", "PUT", "/raw/key?versioning", 405, "MethodNotAllowed"},
		{"partNumber on PUT without uploadId", "PUT", "/raw/key?partNumber=1", 501, "NotImplemented"},
		{"location", "GET", "/raw?location", 200, ""},
		{"notification GET", "GET", "/raw?notification", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(""))
			signForTest(req, testRegion)
			rec := httptest.NewRecorder()
			e.svc.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantCode != "" && !strings.Contains(rec.Body.String(), "<Code>"+tc.wantCode+"</Code>") {
				t.Errorf("body %s, want code %s", rec.Body, tc.wantCode)
			}
		})
	}
}

// signForTest adds a SigV4-shaped Authorization header (the signature is
// not verified).
func signForTest(r *http.Request, region string) {
	r.Header.Set("X-Amz-Date", "20261125T183000Z")
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261125/"+region+
		"/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123")
}
