package imaging

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"slices"
)

// job is the state one Process, ProcessSizes (and each of its targets) or
// Decode call threads through its steps.
type job struct {
	spec Spec
	encs []Encoding // outputs; Process has one, from spec
	all  bool       // ProcessAll: spec.Format and spec.Quality must be zero
	lim  Limits
	in   io.Reader // the caller's source, read sequentially once
	src  io.Reader // the whole source again: bytes Probe consumed, then the rest of in

	info Info
	want image.Point     // size to resize to, in stored orientation
	icc  *colorTransform // embedded profile to sRGB; nil when none or already sRGB
	cmyk *cmykProfile    // embedded CMYK profile (icc_lut.go); nil when none or unusable
	img  image.Image     // decoded, any colour model
	out  *image.NRGBA
	ycc  *image.YCbCr // resized 4:2:0 planes, oriented, instead of out (resizeStep's planar path)
	flat *image.NRGBA // out composited over spec.Background for JPEG and GIF; set by flattenStep
	res  []Output     // one per encoding

	oriented bool // resizeStep already applied info.Orientation to out

	targets    []*job // ProcessSizes: one job per size, sharing this one's decode
	coefBudget int64  // ProcessSizes: the most JPEG coefficient bytes kept to share an entropy decode
}

// step is one stage of the pipeline.
type step func(ctx context.Context, j *job) error

// processSteps is the Process pipeline. Resizing happens before orienting, so
// the rotation works on the small result; planStep computes the target in
// stored orientation for that.
var processSteps = slices.Concat(
	[]step{
		checkSpecStep,
		probeStep,
		checkLimitsStep,
		planStep,
	},
	loadSteps,
	targetSteps,
)

// loadSteps decode the source for the size j.want (shrink-on-load may
// return anything between it and the stored size).
var loadSteps = []step{
	decodeStep,
	cmykProfileStep,
}

// targetSteps make one output size from j.img. No step writes into j.img
// (resizeStep reads it and makes j.out, a new image), so ProcessSizes runs
// them for several targets on one decoded image, and each target's bytes
// are what Process writes for it.
var targetSteps = []step{
	resizeStep,
	colorStep,
	orientStep,
	flattenStep,
	encodeStep,
}

// sizesSteps is the ProcessSizes pipeline (sizes.go): the steps before
// decoding once for all targets, then loadSteps once per decode and
// targetSteps once per target (decodeTargetsStep).
var sizesSteps = []step{
	checkTargetsStep,
	probeStep,
	checkLimitsStep,
	planTargetsStep,
	decodeTargetsStep,
}

// decodeSteps is the Decode pipeline: like Process without resize and encode.
var decodeSteps = []step{
	probeStep,
	checkLimitsStep,
	planFullSizeStep,
	decodeStep,
	cmykProfileStep,
	resizeStep, // converts to NRGBA; want equals the decoded size
	colorStep,
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
// decoder can read the complete stream without seeking the source. The
// source is buffered first: Probe reads small pieces (markers, lengths).
func probeStep(_ context.Context, j *job) error {
	var rec bytes.Buffer
	br := bufio.NewReaderSize(j.in, 32<<10)
	info, p, err := probeLimited(io.TeeReader(br, &rec), j.lim)
	if err != nil {
		var fe *FormatError
		var ue *UnsupportedError
		var le *LimitError
		var se *SideLimitError
		if errors.As(err, &fe) || errors.As(err, &ue) || errors.As(err, &le) || errors.As(err, &se) {
			return err
		}
		return fmt.Errorf("imaging: read source: %w", err)
	}
	j.info = info
	j.icc = p.primaries
	if profile := p.icc; profile != nil {
		j.icc = parseICC(profile)
		gray := info.ColorModel == ModelGray || info.ColorModel == ModelGrayAlpha
		if j.icc != nil && j.icc.gray != gray {
			j.icc = nil // a gray profile on a colour image or the reverse
		}
		if info.ColorModel == ModelCMYK || info.ColorModel == ModelYCCK {
			j.icc, j.cmyk = nil, parseCMYKProfile(profile)
		}
	}
	j.src = io.MultiReader(&rec, br)
	return nil
}

// colorStep converts from the embedded ICC profile's RGB space (Display P3,
// Adobe RGB, ...) or gray tone curve to sRGB. It runs after resizing, on the
// small image. (CMYK profiles apply before resizing: cmykProfileStep.)
func colorStep(_ context.Context, j *job) error {
	if j.icc != nil && j.out != nil { // the planar path never has a profile
		j.icc.apply(j.out.Pix)
	}
	return nil
}

// cmykProfileStep makes resizeStep convert a CMYK image with its embedded
// profile (through a cached device-link grid) instead of the plain formula.
// It runs before resizing: the profile maps ink, which does not survive the
// plain conversion.
func cmykProfileStep(_ context.Context, j *job) error {
	if m, ok := j.img.(*image.CMYK); ok && j.cmyk != nil {
		j.img = &profiledCMYK{CMYK: m, lut: j.cmyk.lut()}
	}
	return nil
}
