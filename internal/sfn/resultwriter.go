package sfn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/imgflow/imgflow/internal/arn"
)

// ObjectPutter is what a ResultWriter's arn:aws:states:::s3:putObject
// integration implements: it stores an object whose body is streamed, so
// that the result files are written as the children end and never held
// whole.
type ObjectPutter interface {
	PutObject(ctx context.Context, bucket, key string, body io.Reader) error
}

// resultWriterSpec is a ResultWriter field with its Parameters evaluated.
type resultWriterSpec struct {
	putter         ObjectPutter
	bucket, prefix string
	maxFile        int64
}

// resultWriterSpec reads the Map's ResultWriter (nil when it has none).
// Its errors are States.ResultWriterFailed.
func (k *mapState) resultWriterSpec(f *frame, rt *runtimeCtx, input any) (*resultWriterSpec, error) {
	if len(k.writer) == 0 {
		return nil, nil
	}
	var w struct {
		Resource   string          `json:"Resource"`
		Parameters json.RawMessage `json:"Parameters"`
		Arguments  json.RawMessage `json:"Arguments"`
	}
	if err := json.Unmarshal(k.writer, &w); err != nil {
		return nil, newErr(ErrResultWriterFailed, rt.stateCause("Invalid ResultWriter: "+err.Error()))
	}
	args := valueField{name: "ResultWriter/Parameters", raw: w.Parameters}
	if len(w.Arguments) > 0 {
		args = valueField{name: "ResultWriter/Arguments", raw: w.Arguments}
	}
	params, err := rt.st.proc.value(rt, args, input)
	if err != nil {
		return nil, err
	}
	p, _ := params.(map[string]any)
	bucket, _ := p["Bucket"].(string)
	prefix, _ := p["Prefix"].(string)
	res := parseResource(w.Resource)
	in := f.ex.eng.cfg.Integrations[arn.Integration(res.service, res.action)]
	putter, ok := in.(ObjectPutter)
	if res.service != "s3" || res.action != "putObject" || !ok {
		return nil, newErr(ErrResultWriterFailed, rt.stateCause(fmt.Sprintf("The ResultWriter resource '%s' is not supported.", w.Resource)))
	}
	if bucket == "" {
		return nil, newErr(ErrResultWriterFailed, rt.stateCause("The ResultWriter needs a Bucket."))
	}
	return &resultWriterSpec{putter: putter, bucket: bucket, prefix: strings.TrimSuffix(prefix, "/"), maxFile: f.ex.eng.cfg.ResultFileMaxBytes}, nil
}

// open starts the writer of a Map Run's results, under
// <Prefix>/<map run id>/.
func (s *resultWriterSpec) open(ctx context.Context, mapRunARN string) (*resultWriter, error) {
	dir := arn.Name(mapRunARN)
	if s.prefix != "" {
		dir = s.prefix + "/" + dir
	}
	// The uploads outlive the state's context until close or abort.
	uctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	upload := func(key string, body io.Reader) error { return s.putter.PutObject(uctx, s.bucket, key, body) }
	return &resultWriter{spec: s, dir: dir, mapRunARN: mapRunARN, files: map[string]*resultFile{},
		listed: map[string][]resultFileRef{"SUCCEEDED": {}, "FAILED": {}, "PENDING": {}}, upload: upload, cancel: cancel}, nil
}

// resultFileRef is a file in manifest.json's ResultFiles.
type resultFileRef struct {
	Key  string `json:"Key"`
	Size int64  `json:"Size"`
}

// resultWriter streams child execution records to SUCCEEDED_<n>.json and
// FAILED_<n>.json (JSON arrays), each up to the file size limit, then
// writes manifest.json.
type resultWriter struct {
	spec      *resultWriterSpec
	dir       string
	mapRunARN string

	mu     sync.Mutex
	files  map[string]*resultFile // open file by group
	listed map[string][]resultFileRef
	err    error
	// upload stores an object; cancel stops the uploads.
	upload func(key string, body io.Reader) error
	cancel context.CancelFunc
}

// resultFile is one file being uploaded through a pipe.
type resultFile struct {
	key   string
	pw    *io.PipeWriter
	size  int64
	count int
	done  chan error
}

// add writes one child's record. The first write error fails the Map
// Run with States.ResultWriterFailed.
func (w *resultWriter) add(x *Execution, res Result) error {
	rec, err := json.Marshal(resultRecord(x, res))
	if err != nil {
		return newErr(ErrResultWriterFailed, err.Error())
	}
	group := "FAILED"
	if res.Status == StatusSucceeded {
		group = "SUCCEEDED"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	f := w.files[group]
	if f != nil && f.count > 0 && f.size+int64(len(rec))+2 > w.spec.maxFile {
		if err := w.closeFile(group, f); err != nil {
			return w.failed(err)
		}
		f = nil
	}
	if f == nil {
		f = w.openFile(group)
	}
	sep := []byte(",")
	if f.count == 0 {
		sep = []byte("[")
	}
	if err := f.write(sep, rec); err != nil {
		return w.failed(err)
	}
	return nil
}

func (f *resultFile) write(parts ...[]byte) error {
	for _, p := range parts {
		n, err := f.pw.Write(p)
		f.size += int64(n)
		if err != nil {
			return err
		}
	}
	f.count++
	return nil
}

// openFile starts the group's next file. w.mu is held.
func (w *resultWriter) openFile(group string) *resultFile {
	key := fmt.Sprintf("%s/%s_%d.json", w.dir, group, len(w.listed[group]))
	pr, pw := io.Pipe()
	f := &resultFile{key: key, pw: pw, done: make(chan error, 1)}
	go func() {
		err := w.upload(key, pr)
		pr.CloseWithError(fmt.Errorf("put %s: upload ended", key))
		f.done <- err
	}()
	w.files[group] = f
	return f
}

// closeFile ends a file's array and waits for its upload. w.mu is held.
func (w *resultWriter) closeFile(group string, f *resultFile) error {
	n, err := f.pw.Write([]byte("]"))
	f.size += int64(n)
	f.pw.CloseWithError(err)
	if perr := <-f.done; err == nil {
		err = perr
	}
	delete(w.files, group)
	if err != nil {
		return err
	}
	w.listed[group] = append(w.listed[group], resultFileRef{Key: f.key, Size: f.size})
	return nil
}

// failed makes err the writer's sticky States.ResultWriterFailed.
func (w *resultWriter) failed(err error) error {
	if w.err == nil {
		w.err = newErr(ErrResultWriterFailed, err.Error())
		w.cancel()
	}
	return w.err
}

// close finishes the files, writes manifest.json and returns the Map's
// output: the Map Run ARN and where the manifest is.
func (w *resultWriter) close() (any, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.cancel()
	for _, group := range []string{"SUCCEEDED", "FAILED"} {
		if f := w.files[group]; f != nil && w.err == nil {
			if err := w.closeFile(group, f); err != nil {
				w.failed(err)
			}
		}
	}
	if w.err != nil {
		return nil, w.err
	}
	manifest := map[string]any{"DestinationBucket": w.spec.bucket, "MapRunArn": w.mapRunARN, "ResultFiles": w.listed}
	key := w.dir + "/manifest.json"
	if err := w.upload(key, bytes.NewReader([]byte(encodeJSON(manifest)))); err != nil {
		return nil, w.failed(err)
	}
	return map[string]any{"MapRunArn": w.mapRunARN,
		"ResultWriterDetails": map[string]any{"Bucket": w.spec.bucket, "Key": key}}, nil
}

// abort stops the uploads of a failed Map Run.
func (w *resultWriter) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	for group, f := range w.files {
		f.pw.CloseWithError(errMapRunFailed)
		<-f.done
		delete(w.files, group)
	}
}

// resultRecord is a child execution as AWS writes it to the result files.
func resultRecord(x *Execution, res Result) map[string]any {
	r := map[string]any{
		"ExecutionArn": x.arn, "Name": x.opts.Name, "StateMachineArn": x.opts.StateMachineARN,
		"Input": encodeJSON(x.input), "InputDetails": map[string]any{"Included": true},
		"Status": string(res.Status), "StartDate": fmtTime(res.StartDate), "StopDate": fmtTime(res.StopDate),
		"RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE",
		"RedriveStatusReason": "Execution is " + string(res.Status) + " and cannot be redriven",
	}
	if res.Status == StatusSucceeded {
		r["Output"], r["OutputDetails"] = res.Output, map[string]any{"Included": true}
	} else {
		r["Error"], r["Cause"] = res.Error, res.Cause
	}
	return r
}
