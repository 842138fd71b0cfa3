package s3

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/imgflow/imgflow/internal/local/endpoint"
	"github.com/imgflow/imgflow/internal/local/sigv4"
)

// guardedServer serves svc behind the endpoint's guard, as the stack does.
func guardedServer(t *testing.T, svc *Service, creds sigv4.Credentials) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	gcfg := endpoint.NewDefaultGuardConfig(srv.Listener.Addr().String())
	if creds != nil {
		gcfg.Credentials = creds
	}
	h, err := endpoint.NewGuard(gcfg, svc)
	if err != nil {
		t.Fatalf("NewGuard: %v", err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func clientFor(srv *httptest.Server, key, secret string, pathStyle bool) *awss3.Client {
	endpointURL := srv.URL
	httpClient := srv.Client()
	if !pathStyle {
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		endpointURL = "http://localhost:" + port
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		}
		httpClient = &http.Client{Transport: tr}
	}
	return awss3.NewFromConfig(aws.Config{Region: testRegion, Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		HTTPClient: httpClient}, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(endpointURL)
		o.UsePathStyle = pathStyle
		o.RetryMaxAttempts = 1
	})
}

// TestSignaturesVerified checks header signatures with and without
// configured credentials.
func TestSignaturesVerified(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "auth", false)
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		creds       sigv4.Credentials
		key, secret string
		wantCode    string
	}{
		{"no credentials configured: any key whose secret is itself", nil, "local", "local", ""},
		{"no credentials configured: wrong secret", nil, "local", "other", "SignatureDoesNotMatch"},
		{"configured: the configured key", sigv4.StaticCredentials{"admin": "s3cr3t"}, "admin", "s3cr3t", ""},
		{"configured: wrong secret", sigv4.StaticCredentials{"admin": "s3cr3t"}, "admin", "admin", "SignatureDoesNotMatch"},
		{"configured: another key", sigv4.StaticCredentials{"admin": "s3cr3t"}, "local", "local", "InvalidAccessKeyId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := guardedServer(t, e.svc, tc.creds)
			c := clientFor(srv, tc.key, tc.secret, true)
			_, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("auth"), Key: aws.String("k"), Body: strings.NewReader("x")})
			if tc.wantCode == "" && err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if tc.wantCode != "" && (apiCode(err) != tc.wantCode || httpStatus(err) != 403) {
				t.Fatalf("PutObject err = %v, want 403 %s", err, tc.wantCode)
			}
		})
	}
}

// TestPresignedURLs checks SigV4 presigned URLs (altered ones refused) and
// the SigV2 query form, path-style and virtual-host.
func TestPresignedURLs(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "pre", false)
	ctx := context.Background()
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("a b.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("other"), Body: strings.NewReader("no")}); err != nil {
		t.Fatal(err)
	}
	srv := guardedServer(t, e.svc, sigv4.StaticCredentials{"admin": "s3cr3t"})
	pc := awss3.NewPresignClient(clientFor(srv, "admin", "s3cr3t", true))
	signed, err := pc.PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("a b.txt")})
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	v2 := func(host, path, key, secret string) string {
		exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
		resource := path
		if host != "" {
			resource = "/pre" + path
		}
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte("GET\n\n\n" + exp + "\n" + resource))
		base := srv.URL
		if host != "" {
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			base = "http://" + host + ":" + port
		}
		return base + path + "?AWSAccessKeyId=" + key + "&Expires=" + exp + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	for _, tc := range []struct {
		name       string
		url        string
		wantStatus int
		wantCode   string
	}{
		{"SigV4 presigned", signed.URL, 200, ""},
		{"SigV4 presigned, path altered", strings.Replace(signed.URL, "/a%20b.txt", "/other", 1), 403, "SignatureDoesNotMatch"},
		{"SigV4 presigned, query altered", strings.Replace(signed.URL, "X-Amz-Expires=900", "X-Amz-Expires=901", 1), 403, "SignatureDoesNotMatch"},
		{"SigV4 presigned, parameter added", signed.URL + "&versionId=null", 403, "SignatureDoesNotMatch"},
		{"SigV2 presigned", v2("", "/pre/a%20b.txt", "admin", "s3cr3t"), 200, ""},
		{"SigV2 presigned, virtual host", v2("pre.localhost", "/a%20b.txt", "admin", "s3cr3t"), 200, ""},
		{"SigV2 presigned, wrong secret", v2("", "/pre/a%20b.txt", "admin", "nope"), 403, "SignatureDoesNotMatch"},
		{"SigV2 presigned, unknown key", v2("", "/pre/a%20b.txt", "local", "local"), 403, "InvalidAccessKeyId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || (tc.wantCode != "" && !strings.Contains(string(body), "<Code>"+tc.wantCode+"</Code>")) {
				t.Fatalf("status %d body %s, want %d %s", resp.StatusCode, body, tc.wantStatus, tc.wantCode)
			}
			if tc.wantCode == "" && string(body) != "hello" {
				t.Errorf("body %q", body)
			}
		})
	}
	t.Run("SigV2 presigned, expired", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/pre/other?AWSAccessKeyId=admin&Expires=1000&Signature=x", nil)
		rec := httptest.NewRecorder()
		e.svc.ServeHTTP(rec, req)
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), "Request has expired") {
			t.Fatalf("status %d body %s", rec.Code, rec.Body)
		}
	})
}
