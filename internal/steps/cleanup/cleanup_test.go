package cleanup

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	awshttp "github.com/aws/smithy-go/transport/http"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/layers/common/pipelineerr"
)

const (
	uploadBucket = "up"
	outputBucket = "out"
)

// fakeS3 is a func-field API.
type fakeS3 struct {
	HeadObjectFunc    func(ctx context.Context, in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error)
	ListObjectsV2Func func(ctx context.Context, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error)
	DeleteObjectsFunc func(ctx context.Context, in *s3.DeleteObjectsInput) (*s3.DeleteObjectsOutput, error)
}

var _ API = (*fakeS3)(nil)

func (f *fakeS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return f.HeadObjectFunc(ctx, in)
}

func (f *fakeS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return f.ListObjectsV2Func(ctx, in)
}

func (f *fakeS3) DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, _ ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	return f.DeleteObjectsFunc(ctx, in)
}

// memory is the two buckets: the upload bucket's current keys and the
// output bucket's keys. Listing pages pageSize keys at a time.
type memory struct {
	mu       sync.Mutex
	current  map[string]bool
	outputs  map[string]bool
	pageSize int
	deletes  int // DeleteObjects calls
}

func newMemory(current []string, outputs []string) (*memory, *fakeS3) {
	m := &memory{current: map[string]bool{}, outputs: map[string]bool{}, pageSize: 1000}
	for _, k := range current {
		m.current[k] = true
	}
	for _, k := range outputs {
		m.outputs[k] = true
	}
	return m, &fakeS3{HeadObjectFunc: m.head, ListObjectsV2Func: m.list, DeleteObjectsFunc: m.delete}
}

func notFound() error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "HeadObject", Err: &awshttp.ResponseError{
		Response: &awshttp.Response{Response: &http.Response{StatusCode: http.StatusNotFound}}, Err: &s3types.NotFound{}}}
}

func (m *memory) head(_ context.Context, in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if aws.ToString(in.Bucket) != uploadBucket || !m.current[aws.ToString(in.Key)] {
		return nil, notFound()
	}
	return &s3.HeadObjectOutput{}, nil
}

// list lists as S3 does with a Delimiter: keys below a further "/" are
// rolled up into common prefixes.
func (m *memory) list(_ context.Context, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if aws.ToString(in.Bucket) != outputBucket {
		return nil, fmt.Errorf("list of bucket %q", aws.ToString(in.Bucket))
	}
	prefix, delim := aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	var keys []string
	for k := range m.outputs {
		if rest, ok := strings.CutPrefix(k, prefix); ok && (delim == "" || !strings.Contains(rest, delim)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	start := 0
	if t := aws.ToString(in.ContinuationToken); t != "" {
		start, _ = strconv.Atoi(t)
	}
	end := min(start+m.pageSize, len(keys))
	out := &s3.ListObjectsV2Output{}
	for _, k := range keys[start:end] {
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k)})
	}
	if end < len(keys) {
		out.IsTruncated, out.NextContinuationToken = aws.Bool(true), aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (m *memory) delete(_ context.Context, in *s3.DeleteObjectsInput) (*s3.DeleteObjectsOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if aws.ToString(in.Bucket) != outputBucket {
		return nil, fmt.Errorf("delete in bucket %q", aws.ToString(in.Bucket))
	}
	if len(in.Delete.Objects) > maxDeleteBatch {
		return nil, fmt.Errorf("%d keys in one DeleteObjects", len(in.Delete.Objects))
	}
	m.deletes++
	for _, o := range in.Delete.Objects {
		delete(m.outputs, aws.ToString(o.Key))
	}
	return &s3.DeleteObjectsOutput{}, nil
}

func (m *memory) remaining() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.outputs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func removal(name, bucket, encodedKey string) events.S3Event {
	return events.S3Event{Records: []events.S3EventRecord{{EventName: name, S3: events.S3Entity{
		Bucket: events.S3Bucket{Name: bucket}, Object: events.S3Object{Key: encodedKey, VersionID: "v1"}}}}}
}

func newHandler(t *testing.T, api API) *Handler {
	t.Helper()
	h, err := New(&Config{UploadBucket: uploadBucket, UploadPrefix: "uploads/", OutputBucket: outputBucket, OutputPrefix: "variants"}, api, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// outputs of uploads/a, of sources whose folders are near it (inside it,
// a sibling with the same start) and a stray file at the folder's own key.
var nearby = []string{
	"variants/uploads/a/xl.webp", "variants/uploads/a/xl.jpg", "variants/uploads/a/manifest.json",
	"variants/uploads/a/b.jpg/xl.jpg", "variants/uploads/a/b.jpg/manifest.json", // uploads/a/b.jpg's folder
	"variants/uploads/ab/xl.jpg", "variants/uploads/a", "variants/uploads/a%2F/xl.jpg",
	"other/uploads/a/xl.jpg",
}

func TestHandle(t *testing.T) {
	rest := []string{"other/uploads/a/xl.jpg", "variants/uploads/a", "variants/uploads/a%2F/xl.jpg",
		"variants/uploads/a/b.jpg/manifest.json", "variants/uploads/a/b.jpg/xl.jpg", "variants/uploads/ab/xl.jpg"}
	cases := []struct {
		name        string
		current     []string // keys with a current object after the removal
		outputs     []string
		event       events.S3Event
		wantDeleted []string
		wantLeft    []string
		wantKept    bool
		wantIgnored bool
	}{
		{"delete marker removes exactly the folder's files", nil, nearby,
			removal("ObjectRemoved:DeleteMarkerCreated", uploadBucket, "uploads/a"),
			[]string{"variants/uploads/a/manifest.json", "variants/uploads/a/xl.jpg", "variants/uploads/a/xl.webp"}, rest, false, false},
		{"permanent delete of the last version", nil, nearby,
			removal("ObjectRemoved:Delete", uploadBucket, "uploads/a"),
			[]string{"variants/uploads/a/manifest.json", "variants/uploads/a/xl.jpg", "variants/uploads/a/xl.webp"}, rest, false, false},
		{"older version deleted, current version stays", []string{"uploads/a"}, nearby,
			removal("ObjectRemoved:Delete", uploadBucket, "uploads/a"), nil, nearby, true, false},
		{"delete marker removed (the object is restored)", []string{"uploads/a"}, nearby,
			removal("ObjectRemoved:Delete", uploadBucket, "uploads/a"), nil, nearby, true, false},
		{"encoded key", nil, []string{"variants/uploads/My photo%25.jpg/xl.jpg", "variants/uploads/My photo.jpg/xl.jpg"},
			removal("ObjectRemoved:Delete", uploadBucket, "uploads/My+photo%25.jpg"),
			[]string{"variants/uploads/My photo%25.jpg/xl.jpg"}, []string{"variants/uploads/My photo.jpg/xl.jpg"}, false, false},
		{"unknown key is harmless", nil, nearby,
			removal("ObjectRemoved:DeleteMarkerCreated", uploadBucket, "uploads/never-uploaded.jpg"), nil, nearby, false, false},
		{"other bucket", nil, nearby, removal("ObjectRemoved:Delete", "someone-else", "uploads/a"), nil, nearby, false, true},
		{"outside the upload prefix", nil, []string{"variants/elsewhere/a/xl.jpg"},
			removal("ObjectRemoved:Delete", uploadBucket, "elsewhere/a"), nil, []string{"variants/elsewhere/a/xl.jpg"}, false, true},
		{"folder marker", nil, nearby, removal("ObjectRemoved:Delete", uploadBucket, "uploads/"), nil, nearby, false, true},
		{"not a removal", nil, nearby, removal("ObjectCreated:Put", uploadBucket, "uploads/a"), nil, nearby, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, api := newMemory(tc.current, tc.outputs)
			h := newHandler(t, api)
			res, err := h.Handle(context.Background(), tc.event)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			var deleted []string
			for _, c := range res.Cleaned {
				deleted = append(deleted, c.Deleted...)
			}
			sort.Strings(deleted)
			if !slices.Equal(deleted, tc.wantDeleted) {
				t.Errorf("deleted %q, want %q", deleted, tc.wantDeleted)
			}
			want := slices.Clone(tc.wantLeft)
			sort.Strings(want)
			if got := m.remaining(); !slices.Equal(got, want) {
				t.Errorf("left %q, want %q", got, want)
			}
			if (len(res.Kept) > 0) != tc.wantKept || (len(res.Ignored) > 0) != tc.wantIgnored {
				t.Errorf("kept %q, ignored %q; want kept %v, ignored %v", res.Kept, res.Ignored, tc.wantKept, tc.wantIgnored)
			}
			if len(tc.wantDeleted) == 0 && m.deletes != 0 {
				t.Errorf("%d DeleteObjects calls for nothing to delete", m.deletes)
			}
		})
	}
}

// TestHandleTwice: a second delivery of the same event finds an empty
// folder and deletes nothing.
func TestHandleTwice(t *testing.T) {
	m, api := newMemory(nil, nearby)
	h := newHandler(t, api)
	ev := removal("ObjectRemoved:DeleteMarkerCreated", uploadBucket, "uploads/a")
	if _, err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	left, calls := m.remaining(), m.deletes
	res, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cleaned) != 1 || len(res.Cleaned[0].Deleted) != 0 || m.deletes != calls || !slices.Equal(m.remaining(), left) {
		t.Errorf("second delivery: %+v, %d DeleteObjects calls (was %d), left %q", res, m.deletes, calls, m.remaining())
	}
}

// TestManyFiles: listing pages and deletes in batches of at most 1000.
func TestManyFiles(t *testing.T) {
	var outputs []string
	for i := range 2500 {
		outputs = append(outputs, fmt.Sprintf("variants/uploads/big.jpg/f%04d.jpg", i))
	}
	outputs = append(outputs, "variants/uploads/big.jpg.jpg/xl.jpg")
	m, api := newMemory(nil, outputs)
	m.pageSize = 333
	h := newHandler(t, api)
	res, err := h.Handle(context.Background(), removal("ObjectRemoved:Delete", uploadBucket, "uploads/big.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cleaned) != 1 || len(res.Cleaned[0].Deleted) != 2500 || m.deletes != 3 {
		t.Fatalf("deleted %d in %d calls", len(res.Cleaned[0].Deleted), m.deletes)
	}
	if got := m.remaining(); !slices.Equal(got, []string{"variants/uploads/big.jpg.jpg/xl.jpg"}) {
		t.Errorf("left %q", got)
	}
}

// TestGuard: whatever the listing returns, a key that is not a file of the
// source's own folder is never deleted, and the record fails.
func TestGuard(t *testing.T) {
	for _, stray := range []string{
		"variants/uploads/a/b.jpg/xl.jpg", // a nested source's file (a listing that ignored the Delimiter)
		"variants/uploads/ab/xl.jpg",      // a sibling (a listing that ignored the Prefix)
		"variants/uploads/a/",             // the folder itself
		"uploads/a",                       // the original's key
	} {
		t.Run(stray, func(t *testing.T) {
			m, api := newMemory(nil, []string{"variants/uploads/a/xl.jpg", stray})
			api.ListObjectsV2Func = func(context.Context, *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
				return &s3.ListObjectsV2Output{Contents: []s3types.Object{{Key: aws.String("variants/uploads/a/xl.jpg")}, {Key: aws.String(stray)}}}, nil
			}
			h := newHandler(t, api)
			res, err := h.Handle(context.Background(), removal("ObjectRemoved:Delete", uploadBucket, "uploads/a"))
			var rf *RecordsFailedError
			var ge *GuardError
			if !errors.As(err, &rf) || !errors.As(rf.Errs[0], &ge) || ge.Key != stray {
				t.Fatalf("err = %v (%+v), want a GuardError for %q", err, res, stray)
			}
			if m.deletes != 0 || len(m.remaining()) != 2 {
				t.Errorf("deleted something: %d calls, left %q", m.deletes, m.remaining())
			}
		})
	}
}

// TestStorageErrors: an S3 failure fails the record (Lambda retries the
// event) with a StorageError, and deletes nothing when the HEAD failed.
func TestStorageErrors(t *testing.T) {
	boom := errors.New("503 SlowDown")
	cases := []struct {
		name     string
		breakAPI func(f *fakeS3)
		op       string
	}{
		{"head", func(f *fakeS3) {
			f.HeadObjectFunc = func(context.Context, *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) { return nil, boom }
		}, "head"},
		{"list", func(f *fakeS3) {
			f.ListObjectsV2Func = func(context.Context, *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) { return nil, boom }
		}, "list"},
		{"delete", func(f *fakeS3) {
			f.DeleteObjectsFunc = func(context.Context, *s3.DeleteObjectsInput) (*s3.DeleteObjectsOutput, error) { return nil, boom }
		}, "delete"},
		{"delete errors", func(f *fakeS3) {
			f.DeleteObjectsFunc = func(context.Context, *s3.DeleteObjectsInput) (*s3.DeleteObjectsOutput, error) {
				return &s3.DeleteObjectsOutput{Errors: []s3types.Error{{Key: aws.String("variants/uploads/a/xl.jpg"), Code: aws.String("AccessDenied")}}}, nil
			}
		}, "delete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, api := newMemory(nil, nearby)
			tc.breakAPI(api)
			h := newHandler(t, api)
			_, err := h.Handle(context.Background(), removal("ObjectRemoved:Delete", uploadBucket, "uploads/a"))
			var se *pipelineerr.StorageError
			if !errors.As(err, &se) || se.Op != tc.op {
				t.Fatalf("err = %v, want a StorageError of %s", err, tc.op)
			}
			if len(m.remaining()) != len(nearby) {
				t.Errorf("left %d of %d", len(m.remaining()), len(nearby))
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"ok", Config{UploadBucket: "u", OutputBucket: "o", OutputPrefix: "variants"}, nil},
		{"empty", Config{}, []string{"UPLOAD_BUCKET", "OUTPUT_BUCKET", "OUTPUT_PREFIX"}},
		{"same bucket", Config{UploadBucket: "b", OutputBucket: "b", OutputPrefix: "v"}, []string{"same bucket"}},
		{"slash prefix", Config{UploadBucket: "u", OutputBucket: "o", OutputPrefix: "/"}, []string{"OUTPUT_PREFIX"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != (tc.want == nil) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to name %s", err, w)
				}
			}
		})
	}
}
