package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/s3"
	"github.com/imgflow/imgflow/internal/sfn"
)

func newTestS3(t *testing.T) *s3.Service {
	t.Helper()
	cfg := s3.NewDefaultConfig()
	cfg.DataDir = t.TempDir()
	notifier := s3.NotifierFunc(func(context.Context, string, events.S3Event) error { return nil })
	svc, err := s3.New(cfg, notifier, zap.NewNop(), s3Clock{sfn.RealClock{}})
	if err != nil {
		t.Fatalf("s3.New: %v", err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	for _, b := range []string{"in-bucket", "out-bucket"} {
		if err := svc.CreateBucket(context.Background(), b); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
	}
	return svc
}

func put(t *testing.T, svc *s3.Service, bucket, key, body string) {
	t.Helper()
	if err := svc.PutObjectStream(context.Background(), bucket, key, strings.NewReader(body), "test"); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func get(t *testing.T, svc *s3.Service, bucket, key string) []byte {
	t.Helper()
	rc, err := svc.OpenObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func runDist(t *testing.T, svc *s3.Service, def string) sfn.Result {
	t.Helper()
	cfg := sfn.NewDefaultConfig()
	cfg.Integrations = sfnS3Integrations(svc)
	// Small pages, so that a few hundred keys take several.
	for k, in := range cfg.Integrations {
		a := in.(sfnS3)
		a.pageSize = 100
		cfg.Integrations[k] = a
	}
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatalf("sfn.New: %v", err)
	}
	ex, err := eng.Start(context.Background(), []byte(def), []byte(`{}`), sfn.StartOptions{Name: "e", StateMachineName: "sm"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := ex.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return res
}

const passChild = `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// TestSFNS3ListAndWrite lists more than a page of keys through the
// adapter and writes the results back to S3.
func TestSFNS3ListAndWrite(t *testing.T) {
	svc := newTestS3(t)
	const n = 250 // three ListObjectsV2 pages of 100
	for i := range n {
		put(t, svc, "in-bucket", fmt.Sprintf("uploads/%04d.jpg", i), "x")
	}
	put(t, svc, "in-bucket", "other/skip.jpg", "x")
	def := `{"StartAt":"M","States":{"M":{"Type":"Map",
		"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"in-bucket","Prefix":"uploads/"}},
		"ItemBatcher":{"MaxItemsPerBatch":100},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out-bucket","Prefix":"runs"}},
		` + passChild + `,"End":true}}}`
	res := runDist(t, svc, def)
	if res.Status != sfn.StatusSucceeded {
		t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
	}
	var out struct{ ResultWriterDetails struct{ Bucket, Key string } }
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		t.Fatalf("output %s: %v", res.Output, err)
	}
	var manifest struct {
		ResultFiles map[string][]struct{ Key string }
	}
	if err := json.Unmarshal(get(t, svc, "out-bucket", out.ResultWriterDetails.Key), &manifest); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	keys := map[string]bool{}
	for _, f := range manifest.ResultFiles["SUCCEEDED"] {
		var recs []struct{ Output string }
		if err := json.Unmarshal(get(t, svc, "out-bucket", f.Key), &recs); err != nil {
			t.Fatalf("%s: %v", f.Key, err)
		}
		for _, r := range recs {
			var batch struct {
				Items []struct {
					Key, Etag, StorageClass string
					Size, LastModified      int64
				}
			}
			if err := json.Unmarshal([]byte(r.Output), &batch); err != nil {
				t.Fatalf("record output %s: %v", r.Output, err)
			}
			for _, it := range batch.Items {
				if it.Size != 1 || it.StorageClass != "STANDARD" || !strings.HasPrefix(it.Etag, `"`) || it.LastModified == 0 {
					t.Fatalf("item %+v", it)
				}
				keys[it.Key] = true
			}
		}
	}
	if len(keys) != n || keys["other/skip.jpg"] {
		t.Fatalf("%d distinct keys in the results, want %d under the prefix", len(keys), n)
	}
}

func TestSFNS3GetObjectItems(t *testing.T) {
	svc := newTestS3(t)
	put(t, svc, "in-bucket", "a.json", `[{"k":1},{"k":2},{"k":3}]`)
	put(t, svc, "in-bucket", "a.jsonl", "{\"k\":1}\n\n{\"k\":2}\n")
	put(t, svc, "in-bucket", "a.csv", "k,v\n1,x\n2,y\n")
	tests := []struct {
		name, key, config, want string
	}{
		{"json", "a.json", `{"InputType":"JSON","MaxItems":2}`, `[{"k":1},{"k":2}]`},
		{"jsonl", "a.jsonl", `{"InputType":"JSONL"}`, `[{"k":1},{"k":2}]`},
		{"csv", "a.csv", `{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}`, `[{"k":"1","v":"x"},{"k":"2","v":"y"}]`},
		{"csv given header", "a.csv", `{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["a","b"]}`, `[{"a":"k","b":"v"},{"a":"1","b":"x"},{"a":"2","b":"y"}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,
				"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":` + tc.config + `,"Parameters":{"Bucket":"in-bucket","Key":"` + tc.key + `"}},
				` + passChild + `,"End":true}}}`
			res := runDist(t, svc, def)
			if res.Status != sfn.StatusSucceeded {
				t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
			}
			g, _ := sfn.DecodeJSON([]byte(res.Output))
			w, _ := sfn.DecodeJSON([]byte(tc.want))
			if !sfn.JSONEqual(g, w) {
				t.Fatalf("output %s, want %s", res.Output, tc.want)
			}
		})
	}
}
