package s3

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestConcurrentPuts checks that concurrent writers to one key each get a
// version and an event, with strictly increasing sequencers, and that
// version listing pages through all of them.
func TestConcurrentPuts(t *testing.T) {
	e := newEnv(t, envOpts{})
	mustCreateBucket(t, e, "conc", true)
	ctx := context.Background()
	if err := e.svc.SetNotification(ctx, "conc", []LambdaConfiguration{{FunctionARN: testFn, Events: []string{"s3:ObjectCreated:*"}}}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("conc"), Key: aws.String("same"), Body: strings.NewReader("x")}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	evs, err := e.svc.PendingEvents(ctx)
	if err != nil || len(evs) != n {
		t.Fatalf("events %d, %v; want %d", len(evs), err, n)
	}
	prev := ""
	for _, ev := range evs {
		if s := ev.Event.Records[0].S3.Object.Sequencer; s <= prev {
			t.Errorf("sequencer %s after %s", s, prev)
		} else {
			prev = s
		}
	}
	if _, err := e.client.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: aws.String("conc"),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("same")}}}}); err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	seen := 0
	in := &awss3.ListObjectVersionsInput{Bucket: aws.String("conc"), MaxKeys: aws.Int32(6)}
	for page := 0; ; page++ {
		out, err := e.client.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		seen += len(out.Versions) + len(out.DeleteMarkers)
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if page > n {
			t.Fatalf("paging does not end")
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if seen != n+1 {
		t.Errorf("listed %d versions and markers, want %d", seen, n+1)
	}
}
