package s3

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestCheckSigV4(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)
	const okCred = "AKID/20261125/eu-west-1/s3/aws4_request"
	authz := func(cred string) string {
		return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=abc"
	}
	presign := func(cred, date, expires string) string {
		return "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + strings.ReplaceAll(cred, "/", "%2F") +
			"&X-Amz-Date=" + date + "&X-Amz-Expires=" + expires + "&X-Amz-SignedHeaders=host&X-Amz-Signature=abc"
	}
	for _, tc := range []struct {
		name       string
		target     string
		authz      string
		noDate     bool
		wantStatus int
		wantCode   string
		wantKey    string
	}{
		{name: "header ok", target: "/b/k", authz: authz(okCred), wantKey: "AKID"},
		{name: "unsigned", target: "/b/k", wantStatus: 403, wantCode: "AccessDenied"},
		{name: "wrong region", target: "/b/k", authz: authz("AKID/20261125/us-east-1/s3/aws4_request"), wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "wrong service", target: "/b/k", authz: authz("AKID/20261125/eu-west-1/sns/aws4_request"), wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "malformed credential", target: "/b/k", authz: authz("AKID/eu-west-1/s3"), wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "missing signature", target: "/b/k", authz: "AWS4-HMAC-SHA256 Credential=" + okCred, wantStatus: 400, wantCode: "AuthorizationHeaderMalformed"},
		{name: "sigv2", target: "/b/k", authz: "AWS AKID:sig", wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "no date", target: "/b/k", authz: authz(okCred), noDate: true, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "presigned ok", target: presign(okCred, "20261125T182000Z", "3600"), wantKey: "AKID"},
		{name: "presigned wrong region", target: presign("AKID/20261125/us-west-2/s3/aws4_request", "20261125T182000Z", "3600"), wantStatus: 400, wantCode: "AuthorizationQueryParametersError"},
		{name: "presigned expired", target: presign(okCred, "20261125T172000Z", "60"), wantStatus: 403, wantCode: "AccessDenied"},
		{name: "presigned and header", target: presign(okCred, "20261125T182000Z", "3600"), authz: authz(okCred), wantStatus: 400, wantCode: "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			if tc.authz != "" {
				r.Header.Set("Authorization", tc.authz)
			}
			if !tc.noDate {
				r.Header.Set("X-Amz-Date", "20261125T183000Z")
			}
			scope, err := CheckSigV4(r, "eu-west-1", "s3", now)
			if tc.wantCode == "" {
				if err != nil || scope.AccessKeyID != tc.wantKey {
					t.Fatalf("scope %+v err %v", scope, err)
				}
				return
			}
			ae, ok := err.(*AuthError)
			if !ok || ae.Code != tc.wantCode || ae.Status != tc.wantStatus {
				t.Fatalf("err = %#v, want %d %s", err, tc.wantStatus, tc.wantCode)
			}
		})
	}
}

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
