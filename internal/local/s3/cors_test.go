package s3

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// awsResponseHeader is the HTTP header of the response an SDK call got.
func awsResponseHeader(md middleware.Metadata) (http.Header, bool) {
	raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response)
	if !ok {
		return nil, false
	}
	return raw.Header, true
}

// withOrigin makes the SDK send an Origin header, as a browser would.
func withOrigin(origin string) func(*awss3.Options) {
	return func(o *awss3.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("Origin", origin))
	}
}

// preflight sends an OPTIONS preflight and returns the response.
func preflight(t *testing.T, e *testEnv, path, origin, method, headers string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+path, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestBucketCORS(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "web", false)
	ctx := context.Background()
	c := e.client
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("web"), Key: aws.String("a.txt"), Body: strings.NewReader("a")}); err != nil {
		t.Fatal(err)
	}

	// Without a configuration nothing is allowed, and no response carries
	// a wildcard.
	if _, err := c.GetBucketCors(ctx, &awss3.GetBucketCorsInput{Bucket: aws.String("web")}); apiCode(err) != "NoSuchCORSConfiguration" {
		t.Fatalf("GetBucketCors without config: %v", err)
	}
	if resp := preflight(t, e, "/web/a.txt", "http://app.localhost:3000", "GET", ""); resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight without config: %d %v", resp.StatusCode, resp.Header)
	}
	resp, err := http.Get(e.srv.URL + "/web/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Fatalf("unsigned GET answered with Access-Control-Allow-Origin %q", v)
	}
	if _, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("web"), Key: aws.String("a.txt")}, withOrigin("http://evil.example")); httpStatus(err) != 403 {
		t.Fatalf("signed request from an unlisted origin: %v, want 403", err)
	}

	for _, tc := range []struct {
		name  string
		rules []types.CORSRule
		code  string
	}{
		{name: "two wildcards in an origin", rules: []types.CORSRule{{AllowedOrigins: []string{"http://*.*.example"}, AllowedMethods: []string{"GET"}}}, code: "InvalidRequest"},
		{name: "unsupported method", rules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}}, code: "InvalidRequest"},
		{name: "two wildcards in a header", rules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"x-*-*"}}}, code: "InvalidRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutBucketCors(ctx, &awss3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: tc.rules}})
			if apiCode(err) != tc.code {
				t.Fatalf("PutBucketCors: %v, want %s", err, tc.code)
			}
		})
	}

	rules := []types.CORSRule{
		{ID: aws.String("app"), AllowedOrigins: []string{"http://*.localhost:3000"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"Content-Type", "x-amz-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"HEAD"}},
	}
	if _, err := c.PutBucketCors(ctx, &awss3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	got, err := c.GetBucketCors(ctx, &awss3.GetBucketCorsInput{Bucket: aws.String("web")})
	if err != nil || len(got.CORSRules) != 2 || aws.ToString(got.CORSRules[0].ID) != "app" || aws.ToInt32(got.CORSRules[0].MaxAgeSeconds) != 600 ||
		strings.Join(got.CORSRules[0].AllowedHeaders, ",") != "Content-Type,x-amz-*" {
		t.Fatalf("GetBucketCors = %+v, %v", got, err)
	}

	for _, tc := range []struct {
		name, origin, method, headers string
		status                        int
		allowOrigin                   string
	}{
		{name: "allowed", origin: "http://app.localhost:3000", method: "PUT", headers: "content-type, x-amz-date", status: 200, allowOrigin: "http://app.localhost:3000"},
		{name: "origin not listed", origin: "http://evil.example", method: "GET", status: 403},
		{name: "method not listed", origin: "http://app.localhost:3000", method: "DELETE", status: 403},
		{name: "header not listed", origin: "http://app.localhost:3000", method: "PUT", headers: "authorization", status: 403},
		{name: "wildcard origin rule", origin: "http://evil.example", method: "HEAD", status: 200, allowOrigin: "*"},
		{name: "no origin", method: "GET", status: 400},
	} {
		t.Run("preflight "+tc.name, func(t *testing.T) {
			resp := preflight(t, e, "/web/a.txt", tc.origin, tc.method, tc.headers)
			if resp.StatusCode != tc.status || resp.Header.Get("Access-Control-Allow-Origin") != tc.allowOrigin {
				t.Fatalf("got %d, Access-Control-Allow-Origin %q; want %d, %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tc.status, tc.allowOrigin)
			}
			if tc.name == "allowed" {
				h := resp.Header
				if h.Get("Access-Control-Allow-Methods") != "GET, PUT" || h.Get("Access-Control-Allow-Headers") != "content-type, x-amz-date" ||
					h.Get("Access-Control-Max-Age") != "600" || h.Get("Access-Control-Expose-Headers") != "ETag" || h.Get("Access-Control-Allow-Credentials") != "true" {
					t.Fatalf("preflight headers: %v", h)
				}
			}
		})
	}

	// The actual request gets the rule's headers, never a wildcard.
	var hdr http.Header
	capture := func(o *awss3.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("Origin", "http://app.localhost:3000"))
	}
	out, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("web"), Key: aws.String("a.txt")}, capture)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if raw, ok := awsResponseHeader(out.ResultMetadata); ok {
		hdr = raw
	}
	if hdr.Get("Access-Control-Allow-Origin") != "http://app.localhost:3000" || hdr.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Fatalf("GET with Origin: CORS headers %v", hdr)
	}
	if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("web"), Key: aws.String("a.txt")}, capture); httpStatus(err) != 403 {
		t.Fatalf("DELETE from an origin allowed only GET and PUT: %v, want 403", err)
	}

	if _, err := c.DeleteBucketCors(ctx, &awss3.DeleteBucketCorsInput{Bucket: aws.String("web")}); err != nil {
		t.Fatalf("DeleteBucketCors: %v", err)
	}
	if resp := preflight(t, e, "/web/a.txt", "http://app.localhost:3000", "GET", ""); resp.StatusCode != 403 {
		t.Fatalf("preflight after DeleteBucketCors: %d", resp.StatusCode)
	}
}
