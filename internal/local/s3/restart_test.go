package s3

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestRestartKeepsEverything closes the service with an undelivered event
// (the notifier never succeeds) and reopens the same data dir: objects,
// versions, the notification configuration, an in-progress multipart upload
// and the event all survive, and the event is delivered by the new run.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	clk := newFakeClock()
	failing, failCh := chanNotifier(func(int) error { return context.Canceled })
	e1 := newEnv(t, envOpts{dir: dir, clock: clk, notifier: failing})
	mustCreateBucket(t, e1, "keep", true)
	if err := e1.svc.SetNotification(ctx, "keep", []LambdaConfiguration{{ID: "cfg", FunctionARN: testFn, Events: []string{"s3:ObjectCreated:*"}, Suffix: ".jpg"}}); err != nil {
		t.Fatalf("SetNotification: %v", err)
	}
	var versions []string
	for _, body := range []string{"v1", "v2"} {
		out, err := e1.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("keep"), Key: aws.String("a b.jpg"), Body: stringsReader(body)})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		versions = append(versions, aws.ToString(out.VersionId))
	}
	recv(t, failCh) // first attempt of the first event failed
	<-clk.waiters   // the dispatcher is now waiting for its backoff
	cr, err := e1.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("keep"), Key: aws.String("mp.bin")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	up, err := e1.client.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("keep"), Key: aws.String("mp.bin"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: stringsReader("part-one")})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	e1.close(t)

	ok, okCh := chanNotifier(nil)
	e2 := newEnv(t, envOpts{dir: dir, clock: clk, notifier: ok})
	got := map[string]bool{}
	for range 2 {
		d := recv(t, okCh)
		o := d.event.Records[0].S3.Object
		if o.Key != "a+b.jpg" || d.event.Records[0].S3.ConfigurationID != "cfg" {
			t.Errorf("redelivered event = %+v", d.event.Records[0])
		}
		got[o.VersionID] = true
	}
	if !got[versions[0]] || !got[versions[1]] {
		t.Errorf("redelivered versions %v, want %v", got, versions)
	}
	for i, want := range []string{"v1", "v2"} {
		out, err := e2.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("keep"), Key: aws.String("a b.jpg"), VersionId: aws.String(versions[i])})
		if body := getBody(t, out, err); body != want {
			t.Errorf("version %d after restart = %q", i, body)
		}
	}
	nc, err := e2.client.GetBucketNotificationConfiguration(ctx, &awss3.GetBucketNotificationConfigurationInput{Bucket: aws.String("keep")})
	if err != nil {
		t.Fatalf("GetBucketNotificationConfiguration: %v", err)
	}
	if len(nc.LambdaFunctionConfigurations) != 1 || aws.ToString(nc.LambdaFunctionConfigurations[0].LambdaFunctionArn) != testFn ||
		aws.ToString(nc.LambdaFunctionConfigurations[0].Filter.Key.FilterRules[0].Value) != ".jpg" {
		t.Errorf("notification config after restart = %+v", nc.LambdaFunctionConfigurations)
	}
	vc, err := e2.client.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: aws.String("keep")})
	if err != nil || vc.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("versioning after restart = %v, %v", vc, err)
	}
	comp, err := e2.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String("keep"), Key: aws.String("mp.bin"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: up.ETag, PartNumber: aws.Int32(1)}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload after restart: %v", err)
	}
	out, err := e2.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("keep"), Key: aws.String("mp.bin"), VersionId: comp.VersionId})
	if body := getBody(t, out, err); body != "part-one" {
		t.Errorf("multipart after restart = %q", body)
	}
}
