// Package pipelineview tells the local console what the image pipeline's
// executions mean: the uploaded object an execution processes (its input, a
// pipeline.ObjectRef), the variants and the manifest it produced (its
// output, with the Store step's result at $.stored), how a failure reads to
// the uploader (the failure email's words) and whether a redrive can pass,
// and where the console's upload page puts files.
//
// It is the only place that knows this: the console is written against
// console.Workload in the types of package workload, and cmd/imgflow wires
// a *View into it. So the console shows any state machine, and this package
// changes with the pipeline's payloads and state machine.
package pipelineview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/imgflow/imgflow/internal/local/console/workload"
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/pipelineerr"
)

// Config says which state machines run the pipeline and where uploads go.
type Config struct {
	StateMachines []string // ARNs of the pipeline's state machines; none: the view knows no execution
	UploadBucket  string   // "": no uploads
	UploadPrefix  string
	// MaxManifestBytes caps the manifest read for the execution page.
	MaxManifestBytes int64
}

// NewDefaultConfig returns the defaults; ConfigForStack fills the rest.
func NewDefaultConfig() *Config { return &Config{MaxManifestBytes: 1 << 20} }

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.UploadBucket == "" && c.UploadPrefix != "" {
		errs = append(errs, errors.New("pipelineview: UploadPrefix without UploadBucket"))
	}
	if c.MaxManifestBytes <= 0 {
		errs = append(errs, errors.New("pipelineview: MaxManifestBytes must be positive"))
	}
	return errors.Join(errs...)
}

// The template's names for the upload bucket (an output) and prefix (a
// parameter).
const (
	uploadBucketOutput = "UploadBucketName"
	uploadPrefixParam  = "UploadPrefix"
)

// ConfigForStack fills cfg from the running stack: its state machines are
// the pipeline's, and the template says where uploads go (a template
// without the output uploads to its first bucket, without the parameter
// at the bucket's root).
func ConfigForStack(cfg *Config, st *stack.Stack) {
	cfg.StateMachines = st.Resources.StateMachines
	cfg.UploadBucket = st.Resources.Outputs[uploadBucketOutput]
	if cfg.UploadBucket == "" && len(st.Resources.Buckets) > 0 {
		cfg.UploadBucket = st.Resources.Buckets[0]
	}
	cfg.UploadPrefix = ""
	if cfg.UploadBucket != "" {
		cfg.UploadPrefix, _ = st.Template.Ref(uploadPrefixParam)
	}
}

// View implements console.Workload for the image pipeline.
type View struct {
	cfg Config
}

// New returns the view.
func New(cfg *Config) (*View, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &View{cfg: *cfg}, nil
}

// Uploads is the upload bucket and prefix: an object created there starts
// the pipeline.
func (v *View) Uploads() workload.Uploads {
	return workload.Uploads{Bucket: v.cfg.UploadBucket, Prefix: v.cfg.UploadPrefix}
}

func (v *View) ours(x workload.Execution) bool {
	return slices.Contains(v.cfg.StateMachines, x.StateMachineARN)
}

// Source is the uploaded object, from the execution input that trigger
// builds (an ObjectRef); false for an execution of another state machine or
// one started by hand with another input.
func (v *View) Source(x workload.Execution) (workload.Object, bool) {
	var in pipeline.ObjectRef
	if !v.ours(x) || json.Unmarshal([]byte(x.Input), &in) != nil || in.Key == "" {
		return workload.Object{}, false
	}
	return workload.Object{Bucket: in.Bucket, Key: in.Key, VersionID: in.VersionID, Size: in.Size}, true
}

// output is the state machine's output on success: the Map's variants at
// $.variants and the Store step's result at $.stored (its ResultPaths).
type output struct {
	Variants []pipeline.Variant     `json:"variants"`
	Stored   pipeline.StoreResponse `json:"stored"`
}

func (v *View) output(x workload.Execution) (output, bool) {
	var out output
	if !v.ours(x) || x.Output == "" || json.Unmarshal([]byte(x.Output), &out) != nil {
		return output{}, false
	}
	return out, true
}

// Thumbnail is the "thumb" preset's first file, else the smallest
// variant's, read from the output alone (no S3 request).
func (v *View) Thumbnail(x workload.Execution) (workload.Object, bool) {
	out, ok := v.output(x)
	if !ok {
		return workload.Object{}, false
	}
	var best *pipeline.Variant
	for i := range out.Variants {
		pv := &out.Variants[i]
		if len(pv.Files) == 0 {
			continue
		}
		if pv.Preset == "thumb" {
			best = pv
			break
		}
		if best == nil || pv.Width*pv.Height < best.Width*best.Height {
			best = pv
		}
	}
	if best == nil {
		return workload.Object{}, false
	}
	f := best.Files[0]
	return workload.Object{Bucket: best.Bucket, Key: f.Key, Size: f.Bytes}, true
}

// Outputs lists the variants, grouped by size, and the manifest. The
// manifest lists every stored file, so when read can fetch it the variants
// come from it; otherwise (read nil or failing) from the output. A failed
// read is returned beside what the output gives.
func (v *View) Outputs(ctx context.Context, x workload.Execution, read workload.ReadFunc) (workload.Outputs, error) {
	out, ok := v.output(x)
	if !ok {
		return workload.Outputs{}, nil
	}
	var res workload.Outputs
	for _, pv := range out.Variants {
		g := workload.Variant{Name: pv.Preset, Width: pv.Width, Height: pv.Height}
		for _, f := range pv.Files {
			g.Files = append(g.Files, workload.File{Object: workload.Object{Bucket: pv.Bucket, Key: f.Key, Size: f.Bytes}, Format: f.Format})
		}
		res.Variants = append(res.Variants, g)
	}
	if read == nil || out.Stored.ManifestKey == "" || len(out.Variants) == 0 {
		return res, nil
	}
	bucket := out.Stored.Bucket
	if bucket == "" {
		bucket = out.Variants[0].Bucket
	}
	b, err := read(ctx, bucket, out.Stored.ManifestKey, v.cfg.MaxManifestBytes)
	if err != nil {
		return res, fmt.Errorf("pipelineview: manifest s3://%s/%s: %w", bucket, out.Stored.ManifestKey, err)
	}
	res.Manifest = &workload.Document{Object: workload.Object{Bucket: bucket, Key: out.Stored.ManifestKey, Size: int64(len(b))}, Body: b}
	var m pipeline.Manifest
	if json.Unmarshal(b, &m) == nil && len(m.Variants) > 0 {
		res.Variants = manifestVariants(bucket, m.Variants)
	}
	return res, nil
}

// manifestVariants groups the manifest's files (sorted by width, then
// preset, then the preset's format order) by preset and size.
func manifestVariants(bucket string, files []pipeline.ManifestVariant) []workload.Variant {
	var gs []workload.Variant
	for _, mv := range files {
		f := workload.File{Object: workload.Object{Bucket: bucket, Key: mv.Key, Size: mv.Bytes}, Format: mv.Format}
		if n := len(gs); n > 0 && gs[n-1].Name == mv.Preset && gs[n-1].Width == mv.Width && gs[n-1].Height == mv.Height {
			gs[n-1].Files = append(gs[n-1].Files, f)
			continue
		}
		gs = append(gs, workload.Variant{Name: mv.Preset, Width: mv.Width, Height: mv.Height, Files: []workload.File{f}})
	}
	return gs
}

// rejected is the error name of a rejected upload (the Go type name, as
// the Lambda runtime reports it).
var rejected = reflect.TypeFor[pipelineerr.ImageRejectedError]().Name()

// Failure explains a failed execution in the failure email's words. A
// rejected upload cannot pass on a redrive: the object is what it is.
func (v *View) Failure(x workload.Execution) workload.Failure {
	if !v.ours(x) || x.Error == "" {
		return workload.Failure{}
	}
	f := notify.ExplainFailure(x.Error, x.Cause)
	wf := workload.Failure{Reason: string(f.Reason), Summary: f.Summary, Message: f.Message, Advice: f.Advice}
	if f.ErrorType == rejected {
		wf.NoRedrive = fmt.Sprintf("Redrive would fail the same way: the upload itself was rejected (%s, %s). %s", rejected, f.Summary, f.Advice)
	}
	return wf
}
