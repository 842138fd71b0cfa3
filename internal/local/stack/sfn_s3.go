package stack

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/imgflow/imgflow/internal/local/s3"
	"github.com/imgflow/imgflow/internal/sfn"
)

// sfnS3 is Step Functions' S3 for a Distributed Map: the ItemReader
// (arn:aws:states:::s3:listObjectsV2 and s3:getObject) and the
// ResultWriter (s3:putObject). Items are streamed: a listing is paged
// 1,000 keys at a time, an object is decoded as it is read.
type sfnS3 struct {
	s3 *s3.Service
	// pageSize is the keys a ListObjectsV2 page holds (0: 1,000, as AWS).
	pageSize int
}

var (
	_ sfn.ItemReaderIntegration = sfnS3{}
	_ sfn.ItemCounter           = sfnS3{}
	_ sfn.ObjectPutter          = sfnS3{}
)

// sfnS3Integrations registers the adapter under the resources it serves.
func sfnS3Integrations(svc *s3.Service) map[string]sfn.Integration {
	a := sfnS3{s3: svc}
	return map[string]sfn.Integration{
		"arn:aws:states:::s3:listObjectsV2": a,
		"arn:aws:states:::s3:getObject":     a,
		"arn:aws:states:::s3:putObject":     a,
	}
}

// Invoke refuses Task use: these resources serve a Map's ItemReader and
// ResultWriter only.
func (a sfnS3) Invoke(context.Context, sfn.TaskRequest) (json.RawMessage, error) {
	return nil, &sfn.TaskError{Err: "States.Runtime", Cause: "the local stack serves s3:listObjectsV2, s3:getObject and s3:putObject as a Distributed Map's ItemReader and ResultWriter only"}
}

// readerParams are an ItemReader's Parameters and ReaderConfig.
type readerParams struct {
	Bucket, Prefix, Key string
	InputType           string
	CSVHeaderLocation   string
	CSVHeaders          []string
}

func parseReaderParams(req sfn.TaskRequest) (readerParams, error) {
	var p readerParams
	if err := json.Unmarshal(req.Parameters, &p); err != nil {
		return p, fmt.Errorf("ItemReader parameters: %w", err)
	}
	if len(req.ReaderConfig) > 0 {
		if err := json.Unmarshal(req.ReaderConfig, &p); err != nil {
			return p, fmt.Errorf("ReaderConfig: %w", err)
		}
	}
	if p.Bucket == "" {
		return p, errors.New("the ItemReader needs a Bucket")
	}
	return p, nil
}

// ReadItems opens the listing or the object the ItemReader names.
func (a sfnS3) ReadItems(ctx context.Context, req sfn.TaskRequest) (sfn.ItemIterator, error) {
	p, err := parseReaderParams(req)
	if err != nil {
		return nil, err
	}
	switch req.Action {
	case "listObjectsV2":
		return &listIter{s3: a.s3, bucket: p.Bucket, prefix: p.Prefix, pageSize: cmp.Or(a.pageSize, 1000)}, nil
	case "getObject":
		return a.openObjectItems(ctx, p)
	}
	return nil, fmt.Errorf("the ItemReader resource %s is not supported", req.Resource)
}

// CountItems counts a listing's keys, a page at a time, so that the Map
// Run's totals are known early (AWS reads a listing before it starts
// children). Objects are not counted: their items are only known by
// reading them.
func (a sfnS3) CountItems(ctx context.Context, req sfn.TaskRequest) (int64, error) {
	p, err := parseReaderParams(req)
	if err != nil {
		return 0, err
	}
	if req.Action != "listObjectsV2" {
		return 0, errors.ErrUnsupported
	}
	var n int64
	after := ""
	for {
		page, next, err := a.s3.ListPage(ctx, p.Bucket, p.Prefix, after, cmp.Or(a.pageSize, 1000))
		if err != nil {
			return 0, err
		}
		n += int64(len(page))
		if next == "" {
			return n, nil
		}
		after = next
	}
}

// PutObject stores a ResultWriter file.
func (a sfnS3) PutObject(ctx context.Context, bucket, key string, body io.Reader) error {
	return a.s3.PutObjectStream(ctx, bucket, key, body, "AWS:states.amazonaws.com")
}

// listIter pages ListObjectsV2; it holds one page at a time. Each item is
// what AWS's ItemReader yields: Etag, Key, LastModified (epoch seconds),
// Size, StorageClass.
type listIter struct {
	s3             *s3.Service
	bucket, prefix string
	pageSize       int
	page           []s3.ObjectInfo
	after          string
	done           bool
}

func (l *listIter) Next(ctx context.Context) (json.RawMessage, bool, error) {
	for len(l.page) == 0 {
		if l.done {
			return nil, false, nil
		}
		page, next, err := l.s3.ListPage(ctx, l.bucket, l.prefix, l.after, l.pageSize)
		if err != nil {
			return nil, false, err
		}
		l.page, l.after, l.done = page, next, next == ""
	}
	o := l.page[0]
	l.page = l.page[1:]
	b, err := json.Marshal(map[string]any{"Etag": o.ETag, "Key": o.Key, "LastModified": o.LastModified.Unix(),
		"Size": o.Size, "StorageClass": o.StorageClass})
	return b, err == nil, err
}

func (l *listIter) Close() error { return nil }

// openObjectItems decodes an object as JSON (an array), JSONL or CSV.
func (a sfnS3) openObjectItems(ctx context.Context, p readerParams) (sfn.ItemIterator, error) {
	if p.Key == "" {
		return nil, errors.New("the ItemReader needs a Key")
	}
	rc, err := a.s3.OpenObject(ctx, p.Bucket, p.Key)
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(p.InputType) {
	case "", "JSON":
		dec := json.NewDecoder(bufio.NewReader(rc))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			rc.Close()
			return nil, fmt.Errorf("s3://%s/%s is not a JSON array", p.Bucket, p.Key)
		}
		return &jsonArrayIter{rc: rc, dec: dec}, nil
	case "JSONL":
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 64<<10), 256<<10)
		return &jsonlIter{rc: rc, sc: sc}, nil
	case "CSV":
		return newCSVIter(rc, p)
	}
	rc.Close()
	return nil, fmt.Errorf("ReaderConfig InputType %s is not supported locally", p.InputType)
}

// jsonArrayIter yields a JSON array's elements as the decoder reaches them.
type jsonArrayIter struct {
	rc  io.ReadCloser
	dec *json.Decoder
}

func (j *jsonArrayIter) Next(context.Context) (json.RawMessage, bool, error) {
	if !j.dec.More() {
		return nil, false, nil
	}
	var v json.RawMessage
	if err := j.dec.Decode(&v); err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func (j *jsonArrayIter) Close() error { return j.rc.Close() }

// jsonlIter yields one JSON value a line (blank lines skipped).
type jsonlIter struct {
	rc io.ReadCloser
	sc *bufio.Scanner
}

func (j *jsonlIter) Next(context.Context) (json.RawMessage, bool, error) {
	for j.sc.Scan() {
		line := strings.TrimSpace(j.sc.Text())
		if line == "" {
			continue
		}
		if !json.Valid([]byte(line)) {
			return nil, false, errors.New("a JSONL line is not JSON")
		}
		return json.RawMessage(line), true, nil
	}
	return nil, false, j.sc.Err()
}

func (j *jsonlIter) Close() error { return j.rc.Close() }

// csvIter yields each row as an object keyed by the header (the first row,
// or ReaderConfig.CSVHeaders with CSVHeaderLocation GIVEN), values as
// strings, as AWS does.
type csvIter struct {
	rc     io.ReadCloser
	r      *csv.Reader
	header []string
}

func newCSVIter(rc io.ReadCloser, p readerParams) (*csvIter, error) {
	it := &csvIter{rc: rc, r: csv.NewReader(bufio.NewReader(rc))}
	it.r.FieldsPerRecord = -1
	if strings.EqualFold(p.CSVHeaderLocation, "GIVEN") {
		it.header = p.CSVHeaders
		return it, nil
	}
	h, err := it.r.Read()
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	it.header = h
	return it, nil
}

func (c *csvIter) Next(context.Context) (json.RawMessage, bool, error) {
	row, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	m := make(map[string]string, len(c.header))
	for i, h := range c.header {
		if i < len(row) {
			m[h] = row[i]
		}
	}
	b, err := json.Marshal(m)
	return b, err == nil, err
}

func (c *csvIter) Close() error { return c.rc.Close() }
