package s3

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestRegionCheckWithSDK(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "region", false)
	ctx := context.Background()
	wrong := e.newClient(t, true, "us-east-1")
	_, err := wrong.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("region")})
	if apiCode(err) != "AuthorizationHeaderMalformed" || httpStatus(err) != http.StatusBadRequest {
		t.Fatalf("wrong-region client: %v, want 400 AuthorizationHeaderMalformed", err)
	}
	// Presigned URLs from the SDK pass.
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("region"), Key: aws.String("k"), Body: strings.NewReader("hi")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	ps, err := awss3.NewPresignClient(e.client).PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("region"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	resp, err := http.Get(ps.URL)
	if err != nil {
		t.Fatalf("GET presigned: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("presigned GET status %d", resp.StatusCode)
	}
	resp, err = http.Get(e.srv.URL + "/region/k")
	if err != nil {
		t.Fatalf("GET unsigned: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET status %d, want 403", resp.StatusCode)
	}
}
