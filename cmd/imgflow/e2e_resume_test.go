package main

// The restart test of `imgflow local`: 50 uploads, kill -9 while some of
// their Maps are resizing and others have ended, restart. Every execution must end SUCCEEDED, none
// FAILED, every variant must be there and decode, and no Resize whose
// success the history had recorded before the kill may run again.
//
// Resize invocations are counted with the output bucket's versions: the
// bucket is versioned and Resize writes its variant once per invocation,
// so a variant key with two versions was resized twice. The set of
// Resizes completed before the kill is read from the stopped stack's
// store (internal/local/sfnapi/store), before the restart.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

func TestLocalStackResumesAfterKill(t *testing.T) {
	began := time.Now()
	e := newE2E(t, false)
	e.args = []string{"local", "--data", e.data, "--endpoint", "127.0.0.1:0", "--console", "127.0.0.1:0",
		"--auto-confirm", "--log-level", "info"}
	e.start()
	t.Cleanup(e.stop)
	t.Logf("build and boot: %d ms", time.Since(began).Milliseconds())

	// 50 uploads of a few photo-like JPEGs, large enough that resizing
	// them (four sizes, each in WebP and JPEG) takes several seconds in all,
	// so the kill lands while Maps run, and small enough that a loaded
	// 2-core machine finishes them within the waits below.
	const uploads = 50
	dir := filepath.Join(t.TempDir(), "resume")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for i := range 5 {
		bodies = append(bodies, noisyPhoto(1000, 750, uint64(900+i)))
	}
	for i := range uploads {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r-%02d.jpg", i)), bodies[i%len(bodies)], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.mustAWS("s3", "cp", "--recursive", "--quiet", dir, "s3://"+e.upload+"/uploads/resume/")
	uploaded := time.Now()
	t.Logf("%d uploads: %d ms", uploads, time.Since(began).Milliseconds())

	// Kill once executions have started, some have ended and others are
	// in their Map. Each upload's sizes are one Map item (one Resize), so
	// the Resizes recorded as done are mostly those of ended executions
	// (a running one holds one only between its Map and the end of Store
	// and Notify): all of them must stay written once.
	c := newResumeClients(t, e)
	var at resumeProgress
	eventually(t, 2*time.Minute, "executions ended and in their Map", func() bool {
		at = c.progress(t)
		if at.finished == uploads {
			t.Fatalf("all %d executions ended before the kill: nothing to resume (make the images larger)", uploads)
		}
		return at.started >= uploads/5 && at.finished >= 2 && at.inMap >= 3
	})
	if err := e.proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-e.exited
	killed := time.Now()
	done, running, doneRunning := completedResizes(t, filepath.Join(e.data, "sfn", "sfn.db"))
	t.Logf("killed %d ms after the uploads, with %d executions started, %d ended, %d in their Map; the store holds %d running executions and %d variant files of Resizes recorded as done (%d of running executions)",
		killed.Sub(uploaded).Milliseconds(), at.started, at.finished, at.inMap, running, len(done), doneRunning)
	if len(done) == 0 || running == 0 {
		t.Fatalf("the store holds %d running executions and %d completed Resizes: the kill came too late", running, len(done))
	}

	e.start()
	c = newResumeClients(t, e)
	var execs []sfntypes.ExecutionListItem
	eventually(t, 4*time.Minute, fmt.Sprintf("%d executions to end", uploads), func() bool {
		execs = c.executions(t)
		if len(execs) < uploads {
			return false
		}
		for _, x := range execs {
			if x.Status == sfntypes.ExecutionStatusRunning {
				return false
			}
		}
		return true
	})
	t.Logf("restart to %d executions ended: %d ms", uploads, time.Since(killed).Milliseconds())
	logged, err := os.ReadFile(filepath.Join(e.data, "imgflow.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(logged, []byte(`"message":"execution resumed"`)); n != running {
		t.Errorf("the log shows %d executions resumed, want the %d the store held as running", n, running)
	}

	var variants []string
	for _, x := range execs {
		if x.Status != sfntypes.ExecutionStatusSucceeded {
			d, _ := c.sfn.DescribeExecution(context.Background(), &sfnsdk.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
			t.Errorf("%s: %s %s %s", aws.ToString(x.Name), x.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
			continue
		}
		variants = append(variants, c.outputVariants(t, aws.ToString(x.ExecutionArn))...)
	}
	if len(execs) != uploads {
		t.Errorf("%d executions, want %d", len(execs), uploads)
	}
	if len(variants) != uploads*8 { // four sizes, each WebP and JPEG
		t.Errorf("%d variant files in the outputs, want %d", len(variants), uploads*8)
	}

	// Every variant decodes; none whose Resize the history had recorded
	// ran again.
	t.Logf("checked the executions: %d ms", time.Since(began).Milliseconds())
	versions := c.versions(t)
	rerun := 0
	for _, key := range variants {
		switch n := versions[key]; {
		case n == 0:
			t.Errorf("%s: not stored", key)
		case n > 1 && done[key]:
			t.Errorf("%s: written %d times, although its Resize was recorded as done before the kill", key, n)
		case n > 1:
			rerun++
		}
	}
	for k := range done {
		if versions[k] == 0 {
			t.Errorf("%s: recorded as resized before the kill, but not stored", k)
		}
	}
	c.decodeAll(t, variants)
	t.Logf("%d executions running at the kill; %d Resizes recorded as done before it, each written once; "+
		"%d Resizes in flight at the kill written again; whole test %d ms",
		running, len(done), rerun, time.Since(began).Milliseconds())
}

// resumeClients are SDK clients for the running stack (faster than the
// CLI for polling and for reading 200 objects).
type resumeClients struct {
	e   *e2e
	sfn *sfnsdk.Client
	s3  *s3.Client
}

func newResumeClients(t *testing.T, e *e2e) *resumeClients {
	t.Helper()
	cfg := aws.Config{Region: e.sf.Region, Credentials: credentials.NewStaticCredentialsProvider("e2e", "e2e", "")}
	return &resumeClients{
		e:   e,
		sfn: sfnsdk.NewFromConfig(cfg, func(o *sfnsdk.Options) { o.BaseEndpoint = aws.String(e.sf.Endpoint) }),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint, o.UsePathStyle = aws.String(e.sf.Endpoint), true
		}),
	}
}

func (c *resumeClients) executions(t *testing.T) []sfntypes.ExecutionListItem {
	t.Helper()
	var out []sfntypes.ExecutionListItem
	p := sfnsdk.NewListExecutionsPaginator(c.sfn, &sfnsdk.ListExecutionsInput{StateMachineArn: aws.String(c.e.sm)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListExecutions: %v", err)
		}
		out = append(out, page.Executions...)
	}
	return out
}

// resumeProgress is where the executions are, from their histories.
type resumeProgress struct {
	started        int // executions listed
	finished       int // executions closed
	inMap          int // running executions with a Map iteration under way
	iterationsDone int // Map iterations succeeded in running executions
}

func (c *resumeClients) progress(t *testing.T) resumeProgress {
	t.Helper()
	var p resumeProgress
	execs := c.executions(t)
	p.started = len(execs)
	for _, x := range execs {
		if x.Status != sfntypes.ExecutionStatusRunning {
			p.finished++
			continue
		}
		out, err := c.sfn.GetExecutionHistory(context.Background(), &sfnsdk.GetExecutionHistoryInput{
			ExecutionArn: x.ExecutionArn, MaxResults: 1000, IncludeExecutionData: aws.Bool(false)})
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		started, succeeded := 0, 0
		for _, ev := range out.Events {
			switch ev.Type {
			case sfntypes.HistoryEventTypeMapIterationStarted:
				started++
			case sfntypes.HistoryEventTypeMapIterationSucceeded:
				succeeded++
			}
		}
		p.iterationsDone += succeeded
		if started > succeeded {
			p.inMap++
		}
	}
	return p
}

// outputVariants returns the output keys of an execution's variants.
func (c *resumeClients) outputVariants(t *testing.T, arn string) []string {
	t.Helper()
	d, err := c.sfn.DescribeExecution(context.Background(), &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	var out struct {
		Variants []pipeline.Variant `json:"variants"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil {
		t.Fatalf("%s output: %v", arn, err)
	}
	var keys []string
	for _, v := range out.Variants {
		for _, f := range v.Files {
			keys = append(keys, f.Key)
		}
	}
	return keys
}

// versions counts the stored versions of every key in the output bucket.
func (c *resumeClients) versions(t *testing.T) map[string]int {
	t.Helper()
	n := map[string]int{}
	p := s3.NewListObjectVersionsPaginator(c.s3, &s3.ListObjectVersionsInput{Bucket: aws.String(c.e.output)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		for _, v := range page.Versions {
			n[aws.ToString(v.Key)]++
		}
	}
	return n
}

// decodeAll downloads and decodes every key, two at a time.
func (c *resumeClients) decodeAll(t *testing.T, keys []string) {
	t.Helper()
	sort.Strings(keys)
	var mu sync.Mutex
	var failures []string
	work := make(chan string)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range work {
				if err := c.decode(key); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: %v", key, err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
}

func (c *resumeClients) decode(key string) error {
	out, err := c.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.e.output), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return err
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if r := img.Bounds(); r.Dx() == 0 || r.Dy() == 0 {
		return fmt.Errorf("empty image %v", r)
	}
	return nil
}

// completedResizes reads a stopped stack's store: the output keys of the
// Resizes whose success is recorded in any execution's history, how many
// executions are running, and how many of those keys running executions
// recorded.
func completedResizes(t *testing.T, path string) (map[string]bool, int, int) {
	t.Helper()
	st, err := store.Open(path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	done := map[string]bool{}
	running, doneRunning := 0, 0
	err = st.Executions(func(x *store.Execution) error {
		if x.Status == "RUNNING" {
			running++
		}
		evs, err := st.Events(x.ARN, false, 0, 0)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if ev.Type != "TaskSucceeded" {
				continue
			}
			var d struct {
				Output string `json:"output"`
			}
			var res struct {
				Payload pipeline.Variant `json:"Payload"`
			}
			if json.Unmarshal(ev.Details, &d) != nil || json.Unmarshal([]byte(d.Output), &res) != nil {
				continue
			}
			// A Resize of one size, or of a group of sizes.
			for _, v := range pipeline.Flatten([]pipeline.Variant{res.Payload}) {
				if v.Preset == "" {
					continue
				}
				for _, f := range v.Files {
					if !strings.HasSuffix(f.Key, ".json") {
						done[f.Key] = true
						if x.Status == "RUNNING" {
							doneRunning++
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return done, running, doneRunning
}
