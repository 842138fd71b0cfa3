package stack_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	snssdk "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/stack"
)

// bootSecure starts the stack from the repository's template on a free
// loopback port.
func bootSecure(t *testing.T) *stack.Stack {
	t.Helper()
	cfg := stack.NewDefaultConfig()
	cfg.Template = filepath.Join(moduleRoot, "template.yaml")
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.AutoConfirm = true
	cfg.DrainTimeout = 5 * time.Second
	st, err := stack.Start(context.Background(), cfg, builders, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = st.Close(ctx)
	})
	return st
}

func sdkConfig(st *stack.Stack, key, secret string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(st.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestSignedClients: the SDK's clients for the four services work through
// the endpoint's signature check, including streaming (aws-chunked) and
// multipart uploads and presigned URLs; a wrong secret is refused by each.
func TestSignedClients(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the stack")
	}
	st := bootSecure(t)
	ctx := context.Background()
	cfg := sdkConfig(st, "test", "test")
	s3c := s3sdk.NewFromConfig(cfg, func(o *s3sdk.Options) { o.UsePathStyle = true })
	bucket := aws.String("security-test")
	if _, err := s3c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: bucket}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := s3c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: bucket, Key: aws.String("dir/a b+é.txt"), Body: strings.NewReader("seekable")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	// An unseekable, unsigned body goes as aws-chunked with a trailing
	// checksum, as the console streams uploads.
	if _, err := s3c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: bucket, Key: aws.String("chunked"), ContentLength: aws.Int64(7),
		Body: io.NopCloser(strings.NewReader("chunked"))}, s3sdk.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)); err != nil {
		t.Fatalf("PutObject aws-chunked: %v", err)
	}
	up, err := s3c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("multi")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	part, err := s3c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: bucket, Key: aws.String("multi"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("one part"))})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	if _, err := s3c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("multi"), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	list, err := s3c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: bucket})
	if err != nil || len(list.Contents) != 3 {
		t.Fatalf("ListObjectsV2: %v, %v", list, err)
	}
	presign := s3sdk.NewPresignClient(s3c)
	put, err := presign.PresignPutObject(ctx, &s3sdk.PutObjectInput{Bucket: bucket, Key: aws.String("presigned")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, put.URL, strings.NewReader("via url"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %v %v", resp, err)
	}
	get, err := presign.PresignGetObject(ctx, &s3sdk.GetObjectInput{Bucket: bucket, Key: aws.String("presigned")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "via url" {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, body)
	}
	if _, err := s3c.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: bucket, Key: aws.String("presigned")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := snssdk.NewFromConfig(cfg).ListTopics(ctx, &snssdk.ListTopicsInput{}); err != nil {
		t.Fatalf("SNS ListTopics: %v", err)
	}
	if _, err := sfnsdk.NewFromConfig(cfg).ListStateMachines(ctx, &sfnsdk.ListStateMachinesInput{}); err != nil {
		t.Fatalf("SFN ListStateMachines: %v", err)
	}
	fns, err := lambdasdk.NewFromConfig(cfg).ListFunctions(ctx, &lambdasdk.ListFunctionsInput{})
	if err != nil || len(fns.Functions) == 0 {
		t.Fatalf("Lambda ListFunctions: %v", err)
	}
	got, err := lambdasdk.NewFromConfig(cfg).GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: fns.Functions[0].FunctionArn})
	if err != nil {
		t.Fatalf("Lambda GetFunction by ARN (escaped path): %v", err)
	}
	// What the template declares, as on AWS; not what the stack injects.
	c := got.Configuration
	if !strings.HasPrefix(aws.ToString(c.Role), "arn:aws:iam::") || aws.ToString(c.LastModified) == "" ||
		len(c.Layers) != 1 || c.Layers[0].CodeSize == 0 {
		t.Errorf("GetFunction: Role %q, LastModified %q, Layers %+v", aws.ToString(c.Role), aws.ToString(c.LastModified), c.Layers)
	}
	if c.Environment != nil {
		for k := range c.Environment.Variables {
			if strings.HasPrefix(k, "AWS_") {
				t.Errorf("GetFunction shows the injected variable %s", k)
			}
		}
	}

	bad := sdkConfig(st, "test", "not-the-secret")
	for _, tc := range []struct {
		name, code string
		call       func() error
	}{
		{"s3", "SignatureDoesNotMatch", func() error {
			_, err := s3sdk.NewFromConfig(bad, func(o *s3sdk.Options) { o.UsePathStyle = true }).ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: bucket})
			return err
		}},
		{"sns", "SignatureDoesNotMatch", func() error {
			_, err := snssdk.NewFromConfig(bad).ListTopics(ctx, &snssdk.ListTopicsInput{})
			return err
		}},
		{"states", "InvalidSignatureException", func() error {
			_, err := sfnsdk.NewFromConfig(bad).ListStateMachines(ctx, &sfnsdk.ListStateMachinesInput{})
			return err
		}},
		{"lambda", "InvalidSignatureException", func() error {
			_, err := lambdasdk.NewFromConfig(bad).ListFunctions(ctx, &lambdasdk.ListFunctionsInput{})
			return err
		}},
	} {
		t.Run("wrong secret "+tc.name, func(t *testing.T) {
			if err := tc.call(); errorCode(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}

// TestAWSCLI runs the aws CLI (botocore) and boto3 through the endpoint.
func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the stack")
	}
	awsBin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	st := bootSecure(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "ENDPOINT=" + st.URL}
	run := func(extraEnv []string, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	file := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(file, bytes.Repeat([]byte("imgflow "), 9<<17), 0o644); err != nil { // 9 MiB: multipart
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"s3", "mb", "s3://cli-test"},
		{"s3", "cp", file, "s3://cli-test/big.bin"},
		{"s3", "ls", "s3://cli-test/"},
		{"sns", "list-topics"},
		{"stepfunctions", "list-state-machines"},
		{"lambda", "list-functions"},
	} {
		if out, err := run(nil, awsBin, append([]string{"--endpoint-url", st.URL}, args...)...); err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
	}
	// aws CLI v1 presigns with SigV2 unless told otherwise; both forms are
	// verified and work, as on S3. An altered SigV2 URL is refused.
	for _, tc := range []struct {
		name   string
		config string
		status int
	}{
		{name: "sigv2", status: http.StatusOK},
		{name: "sigv4", config: "[default]\ns3 =\n    signature_version = s3v4\n", status: http.StatusOK},
	} {
		cfgFile := filepath.Join(home, tc.name+".config")
		if err := os.WriteFile(cfgFile, []byte(tc.config), 0o600); err != nil {
			t.Fatal(err)
		}
		url, err := run([]string{"AWS_CONFIG_FILE=" + cfgFile}, awsBin, "--endpoint-url", st.URL, "s3", "presign", "s3://cli-test/big.bin")
		if err != nil {
			t.Fatalf("aws s3 presign: %v\n%s", err, url)
		}
		resp, err := http.Get(strings.TrimSpace(url))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || tc.status == http.StatusOK && n != 9<<20 {
			t.Fatalf("GET of the CLI's %s presigned URL %s: %d, %d bytes", tc.name, url, resp.StatusCode, n)
		}
		altered := strings.Replace(strings.TrimSpace(url), "big.bin", "big.bin2", 1)
		resp, err = http.Get(altered)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("GET of the CLI's %s presigned URL with another key: %d, want 403", tc.name, resp.StatusCode)
		}
	}
	out, err := run([]string{"AWS_SECRET_ACCESS_KEY=wrong"}, awsBin, "--endpoint-url", st.URL, "s3", "ls", "s3://cli-test/")
	if err == nil || !strings.Contains(out, "SignatureDoesNotMatch") {
		t.Fatalf("aws with a wrong secret: %v\n%s", err, out)
	}

	if _, err := run(nil, "python3", "-c", "import boto3"); err != nil {
		t.Log("boto3 not installed; skipping the boto3 part")
		return
	}
	script := `
import os, urllib.request, boto3
from botocore.config import Config
e = os.environ["ENDPOINT"]
s3 = boto3.client("s3", endpoint_url=e, config=Config(signature_version="s3v4"))
s3.put_object(Bucket="cli-test", Key="boto3.txt", Body=b"from boto3")
assert s3.get_object(Bucket="cli-test", Key="boto3.txt")["Body"].read() == b"from boto3"
url = s3.generate_presigned_url("get_object", Params={"Bucket": "cli-test", "Key": "boto3.txt"})
assert urllib.request.urlopen(url).read() == b"from boto3"
boto3.client("sns", endpoint_url=e).list_topics()
boto3.client("stepfunctions", endpoint_url=e).list_state_machines()
print("ok")
`
	if out, err := run(nil, "python3", "-c", script); err != nil || !strings.Contains(out, "ok") {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}

// TestWebPagesRefused replays what a web page can send without the
// browser asking first (simple requests: GET, HEAD, form POST, no custom
// headers) and a DNS-rebinding Host, and checks each is refused and changes
// nothing.
func TestWebPagesRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the stack")
	}
	st := bootSecure(t)
	ctx := context.Background()
	cfg := sdkConfig(st, "test", "test")
	snsc := snssdk.NewFromConfig(cfg)
	topic := st.Resources.Topics[0]
	subscriptions := func() int {
		out, err := snsc.ListSubscriptionsByTopic(ctx, &snssdk.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Subscriptions)
	}
	before := subscriptions()
	scope := "test%2F" + time.Now().UTC().Format("20060102") + "%2Fus-east-1%2Fsns%2Faws4_request"
	subscribe := url.Values{"Action": {"Subscribe"}, "Version": {"2010-03-31"}, "TopicArn": {topic},
		"Protocol": {"http"}, "Endpoint": {"http://127.0.0.1:9/hook"}}.Encode()

	// A valid presigned Subscribe: the local credentials are public, so a
	// page can compute one.
	presignedReq, _ := http.NewRequest(http.MethodPost, st.URL+"/", nil)
	presignedURL, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
		presignedReq, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sns", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		method  string
		target  string
		body    string
		headers map[string]string
	}{
		{name: "form post with a bare credential (issue 9)", method: "POST", target: "/?X-Amz-Credential=" + scope, body: subscribe,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}},
		{name: "bare credential without browser headers", method: "POST", target: "/?X-Amz-Credential=" + scope, body: subscribe,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{name: "forged full presigned query", method: "POST", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + scope +
			"&X-Amz-Date=" + time.Now().UTC().Format("20060102T150405Z") + "&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("ab", 32),
			body: subscribe, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		{name: "valid presigned query from a web page", method: "POST", target: strings.TrimPrefix(presignedURL, st.URL), body: subscribe,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}},
		{name: "valid presigned query from an image tag", method: "GET", target: strings.TrimPrefix(presignedURL, st.URL) + "&" + subscribe,
			headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}},
		{name: "unsigned form post", method: "POST", target: "/", body: subscribe,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, st.URL+tc.target, strings.NewReader(tc.body))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Fatalf("accepted: %d %s", resp.StatusCode, body)
			}
			if n := subscriptions(); n != before {
				t.Fatalf("subscriptions went from %d to %d", before, n)
			}
		})
	}

	// A CORS preflight is not answered with a wildcard.
	req, _ := http.NewRequest(http.MethodOptions, st.URL+"/"+st.Resources.Buckets[0]+"/x", nil)
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight: %d, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}

	// DNS rebinding: a correctly signed request for Host evil.example.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(st.URL, "http://"))
	dial := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, strings.TrimPrefix(st.URL, "http://"))
	}}
	rebound := cfg.Copy()
	rebound.BaseEndpoint = aws.String("http://evil.example:" + port)
	rebound.HTTPClient = &http.Client{Transport: dial}
	_, err = s3sdk.NewFromConfig(rebound, func(o *s3sdk.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Fatalf("S3 for Host evil.example: %v, want 403", err)
	}
	_, err = snssdk.NewFromConfig(rebound).Subscribe(ctx, &snssdk.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String("http://127.0.0.1:9/")})
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Fatalf("SNS for Host evil.example: %v, want 403", err)
	}
	if n := subscriptions(); n != before {
		t.Fatalf("subscriptions went from %d to %d", before, n)
	}
}
