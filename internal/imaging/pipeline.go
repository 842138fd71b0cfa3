package imaging

import (
	"bytes"
	"context"
	"image"
	"io"
)

// job is the state one Process or Decode call threads through its steps.
type job struct {
	spec Spec
	lim  Limits
	in   io.Reader // the caller's source, read sequentially once
	src  io.Reader // the whole source again: bytes Probe consumed, then the rest of in

	info Info
	want image.Point // size to resize to, in stored orientation
	img  image.Image // decoded, any colour model
	out  *image.NRGBA
	dst  io.Writer
	res  Output
}

// step is one stage of the pipeline.
type step func(ctx context.Context, j *job) error

// processSteps is the Process pipeline. Resizing happens before orienting, so
// the rotation works on the small result; planStep computes the target in
// stored orientation for that.
var processSteps = []step{
	checkSpecStep,
	probeStep,
	checkLimitsStep,
	planStep,
	decodeStep,
	resizeStep,
	orientStep,
	flattenStep,
	encodeStep,
}

// decodeSteps is the Decode pipeline: like Process without resize and encode.
var decodeSteps = []step{
	probeStep,
	checkLimitsStep,
	planFullSizeStep,
	decodeStep,
	resizeStep, // converts to NRGBA; want equals the decoded size
	orientStep,
}

// run executes steps in order, checking ctx before each one.
func run(ctx context.Context, steps []step, j *job) error {
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := st(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// probeStep reads the header while recording the bytes it consumed, so the
// decoder can read the complete stream without seeking the source.
func probeStep(_ context.Context, j *job) error {
	var rec bytes.Buffer
	info, err := Probe(io.TeeReader(j.in, &rec))
	if err != nil {
		return err
	}
	j.info = info
	j.src = io.MultiReader(&rec, j.in)
	return nil
}
