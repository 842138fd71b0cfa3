package sfn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

// pagedListing is a ListObjectsV2 ItemReader over n synthetic keys, read
// 1,000 a page as the S3 adapter reads them, and a ResultWriter sink that
// decodes each file as it streams (keeping only counts).
type pagedListing struct {
	n     int
	pages int

	mu      sync.Mutex
	records map[string]int // records per result group
	files   map[string]int64
	err     error
}

func (p *pagedListing) Invoke(context.Context, sfn.TaskRequest) (json.RawMessage, error) {
	return nil, &sfn.TaskError{Err: "S3.Unsupported", Cause: "ReadItems only"}
}

// CountItems counts ahead as the S3 adapter does (page by page).
func (p *pagedListing) CountItems(context.Context, sfn.TaskRequest) (int64, error) {
	return int64(p.n), nil
}

var _ sfn.ItemCounter = (*pagedListing)(nil)

func (p *pagedListing) ReadItems(context.Context, sfn.TaskRequest) (sfn.ItemIterator, error) {
	return &pageIter{l: p}, nil
}

type pageIter struct {
	l    *pagedListing
	page []json.RawMessage
	next int
}

func (it *pageIter) Next(context.Context) (json.RawMessage, bool, error) {
	if len(it.page) == 0 {
		if it.next >= it.l.n {
			return nil, false, nil
		}
		end := min(it.next+1000, it.l.n)
		for i := it.next; i < end; i++ {
			it.page = append(it.page, json.RawMessage(fmt.Sprintf(
				`{"Etag":"\"%032x\"","Key":"uploads/img-%07d.jpg","LastModified":1764633600,"Size":%d,"StorageClass":"STANDARD"}`, i, i, 1000+i)))
		}
		it.next = end
		it.l.mu.Lock()
		it.l.pages++
		it.l.mu.Unlock()
	}
	v := it.page[0]
	it.page = it.page[1:]
	return v, true, nil
}

func (it *pageIter) Close() error { return nil }

// PutObject decodes a result file record by record.
func (p *pagedListing) PutObject(_ context.Context, _, key string, body io.Reader) error {
	cr := &countingReader{r: body}
	if strings.HasSuffix(key, "manifest.json") {
		_, err := io.Copy(io.Discard, cr)
		return err
	}
	dec := json.NewDecoder(cr)
	if _, err := dec.Token(); err != nil {
		return err
	}
	n := 0
	for dec.More() {
		var rec struct{ Status, ExecutionArn, Output string }
		if err := dec.Decode(&rec); err != nil {
			return err
		}
		if rec.Status != "SUCCEEDED" || rec.ExecutionArn == "" || !strings.Contains(rec.Output, `"Key"`) {
			return fmt.Errorf("record %+v", rec)
		}
		n++
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	group := key[strings.LastIndex(key, "/")+1 : strings.LastIndex(key, "_")]
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records[group] += n
	p.files[key] = cr.n
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// heapSampler records the heap in use every `every` child starts.
type heapSampler struct {
	every   int
	mu      sync.Mutex
	started int
	samples []uint64
}

func (h *heapSampler) child(*sfn.Execution) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started++
	if h.started%h.every == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.samples = append(h.samples, ms.HeapInuse)
	}
}

// TestDistributedMapStreamsLargeListing runs a listing of N objects
// (10,000 in make test; `make soak-dmap` sets IMGFLOW_DMAP_ITEMS=100000)
// through a Distributed Map with a
// Pass child per object and a ResultWriter, and checks that the heap
// stays flat: the reader, the dispatcher and the writer each hold a
// bounded amount whatever N is. It logs the peak heap in use (sampled
// with runtime.ReadMemStats every 1/20 of the run) and the process's
// peak RSS (VmHWM).
func TestDistributedMapStreamsLargeListing(t *testing.T) {
	n := 10000
	if v := os.Getenv("IMGFLOW_DMAP_ITEMS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("IMGFLOW_DMAP_ITEMS=%q: %v", v, err)
		}
	}
	l := &pagedListing{n: n, records: map[string]int{}, files: map[string]int64{}}
	hs := &heapSampler{every: max(n/20, 1)}
	cfg := sfn.NewDefaultConfig()
	cfg.Clock = sfn.NewFakeClock(t0)
	cfg.Integrations = map[string]sfn.Integration{"arn:aws:states:::s3:listObjectsV2": l, "arn:aws:states:::s3:putObject": l}
	cfg.OnChildExecution = hs.child
	cfg.ResultFileMaxBytes = 4 << 20 // several SUCCEEDED files
	eng, err := sfn.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":200,
		"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"in","Prefix":"uploads/"}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"runs"}},
		` + passProcessor + `,"End":true}}}`
	start := time.Now()
	res, _ := startWait(t, eng, def, `{}`)
	elapsed := time.Since(start)
	if res.Status != sfn.StatusSucceeded {
		t.Fatalf("status %s %s %s", res.Status, res.Error, res.Cause)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.records["SUCCEEDED"] != n || l.records["FAILED"] != 0 || l.pages != (n+999)/1000 || len(l.files) < 2 {
		t.Fatalf("results %v in %d files, %d pages; want %d SUCCEEDED, %d pages", l.records, len(l.files), l.pages, n, (n+999)/1000)
	}
	var info sfn.MapRunInfo
	for _, r := range eng.MapRuns() {
		info = r.Info()
	}
	if info.ItemCounts.Total != int64(n) || info.ItemCounts.Succeeded != int64(n) || info.ItemCounts.ResultsWritten != int64(n) {
		t.Fatalf("map run counts %+v", info.ItemCounts)
	}
	checkFlatHeap(t, hs.samples)
	t.Logf("%d items in %v (%.0f children/s); heap in use sampled: first %.1f MB, peak %.1f MB; process peak RSS %s",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), mb(hs.samples[0]), mb(peak(hs.samples)), vmHWM())
}

// checkFlatHeap fails when the heap grows with the items read: the peak
// of the second half of the run may exceed the first half's by 16 MB at
// most (garbage between collections), whatever the number of items.
func checkFlatHeap(t *testing.T, samples []uint64) {
	t.Helper()
	if len(samples) < 4 {
		t.Fatalf("only %d heap samples", len(samples))
	}
	half := len(samples) / 2
	first, second := peak(samples[:half]), peak(samples[half:])
	if second > first+16<<20 {
		t.Fatalf("heap grew from a peak of %.1f MB to %.1f MB: samples %v", mb(first), mb(second), samples)
	}
}

func peak(s []uint64) uint64 {
	var m uint64
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// vmHWM is the process's peak resident set (Linux), or "n/a".
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "n/a"
}
