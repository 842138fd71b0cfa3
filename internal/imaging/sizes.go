package imaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/imgflow/imgflow/internal/imaging/jpeg"
)

// Target is one size of a ProcessSizes call: Spec gives the size and the
// background (its Format and Quality must be zero, as for ProcessAll) and
// Encodings the formats, each written to its Dst.
type Target struct {
	Spec      Spec
	Encodings []Encoding
}

// ProcessSizes is ProcessAll for several sizes of one source: the source is
// read and probed once, every target is planned before any pixel is
// decoded, and a source whose decoder has no shrink-on-load (PNG, GIF,
// WebP, HEIC: see ShrinksOnLoad) is decoded once, at full size, for all
// the targets. Each target is then resized from that decoded image, not
// from a larger target's output, and oriented, converted, flattened and
// encoded as ProcessAll does, one target after the other in order.
//
// Every target's outputs are byte-identical to what ProcessAll writes for
// the same Spec and Encodings, so which sizes share a call changes the
// cost, never the bytes. A JPEG shrinks on load by a DCT scale (1/1, 1/2,
// 1/4 or 1/8) that depends on the size wanted: when its targets need more
// than one scale, its entropy-coded data is decoded once into coefficients
// (jpeg.DecodeCoefficients) and each target's image is reconstructed from
// them at that target's own scale, the image ProcessAll decodes for it.
// A frame whose coefficients would exceed maxSharedCoefBytes is decoded
// once per scale instead, from the source bytes read into memory. Targets
// of one scale share one decode either way.
//
// Memory: one decoded source at a time, plus one target's output; what a
// single ProcessAll of the largest target holds. A JPEG of several scales
// also holds its coefficients (for a baseline photo, about 5 bytes a block
// and 2 a coded coefficient: 10 to 20 MB for 12 MP) until the last scale
// is reconstructed, or the source bytes when they are decoded once per
// scale.
//
// The result has one []Output per target, in the order of targets, each in
// the order of its Encodings. Errors are those of ProcessAll; the first
// failing target stops the rest (earlier targets' writers have received
// their complete output). A JPEG of several scales is entropy-decoded in
// full before any target is made, so corrupt data fails before the first
// target's output is written.
func ProcessSizes(ctx context.Context, src io.Reader, targets []Target, lim Limits) ([][]Output, error) {
	return processSizes(ctx, src, targets, lim, maxSharedCoefBytes)
}

// maxSharedCoefBytes bounds the coefficients ProcessSizes keeps to share
// one entropy decode between a JPEG's scales, checked against the most a
// frame can take (jpeg.Config.CoefficientBytes: 64 coefficients a block,
// where a photo codes a fraction): 256 MB admits any 24 MP photo (4:4:4
// at most 150 MB, CMYK 200 MB) and 4:2:0 up to 80 MP, and with the
// full-scale planes beside it stays far below the Resize Lambda's 2048
// MB. A larger frame is decoded once per scale from the source bytes, as
// before sharing.
const maxSharedCoefBytes = 256 << 20

// processSizes is ProcessSizes with the bound on shared coefficients.
func processSizes(ctx context.Context, src io.Reader, targets []Target, lim Limits, coefBudget int64) ([][]Output, error) {
	j := &job{lim: lim, in: src, coefBudget: coefBudget}
	for _, t := range targets {
		j.targets = append(j.targets, &job{spec: t.Spec, encs: t.Encodings, all: true, lim: lim})
	}
	if err := run(ctx, sizesSteps, j); err != nil {
		return nil, err
	}
	res := make([][]Output, len(j.targets))
	for i, t := range j.targets {
		res[i] = t.res
	}
	return res, nil
}

// ShrinksOnLoad reports whether f's decoder can decode directly at a
// reduced size (JPEG: 1/2, 1/4 or 1/8 in the DCT domain, picked from the
// size wanted). ProcessSizes decodes the others once at full size for all
// targets, and a JPEG's entropy-coded data once, reconstructed at each
// target's scale.
func ShrinksOnLoad(f Format) bool { return shrinksOnLoad[f] }

// shrinksOnLoad lists the formats whose decodeFunc uses its want argument
// (see decodeFunc): their decoded image depends on the target size.
// TestDecodersIgnoreWant checks that no other decoder does.
var shrinksOnLoad = map[Format]bool{JPEG: true}

// checkTargetsStep validates every target's spec and encodings (as
// checkSpecStep) before any byte is read.
func checkTargetsStep(ctx context.Context, j *job) error {
	if len(j.targets) == 0 {
		return &SpecError{Field: "Targets", Reason: "none given"}
	}
	for i, t := range j.targets {
		if err := checkSpecStep(ctx, t); err != nil {
			var se *SpecError
			if errors.As(err, &se) {
				return &SpecError{Field: fmt.Sprintf("Targets[%d].%s", i, se.Field), Reason: se.Reason}
			}
			return err
		}
	}
	return nil
}

// planTargetsStep gives each target what probing found and plans its size
// (planStep), so that a target that cannot be made (a WebP too large for
// VP8) is refused before anything is decoded.
func planTargetsStep(ctx context.Context, j *job) error {
	for _, t := range j.targets {
		t.info, t.icc, t.cmyk = j.info, j.icc, j.cmyk
		if err := planStep(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// decodeTargetsStep decodes the source once for all targets and runs
// targetSteps on each target with its decoded image. A JPEG whose targets
// need different DCT scales goes through decodeJPEGTargets instead; one
// whose targets all need one scale is decoded once at that scale (the
// scale for the largest want, see jpegScale).
func decodeTargetsStep(ctx context.Context, j *job) error {
	if j.info.Format == JPEG {
		for _, t := range j.targets[1:] {
			if jpegScale(j.info, t.want) != jpegScale(j.info, j.targets[0].want) {
				return decodeJPEGTargets(ctx, j)
			}
		}
	}
	return decodeGroup(ctx, j, j.targets, j.src)
}

// decodeJPEGTargets makes JPEG targets of several DCT scales. It reads
// the source into memory and, when the frame's coefficients fit
// j.coefBudget, entropy-decodes it once (jpeg.DecodeCoefficients); then,
// target by target in order, it makes the image at the scale that target
// alone is decoded at (decodeJPEGScaled): reconstructed from the
// coefficients and checked as decodeStep checks a decode, or else decoded
// from the bytes (loadSteps). cmykProfileStep and targetSteps follow, as
// for any decode. Consecutive targets of one scale share the image. The
// coefficients are let go once the last scale is reconstructed.
func decodeJPEGTargets(ctx context.Context, j *job) error {
	data, err := readSource(ctx, j.src)
	if err != nil {
		return err
	}
	var coefs *jpeg.Coefficients
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.CoefficientBytes <= j.coefBudget {
		src := &sourceReader{ctx: ctx, r: bytes.NewReader(data)}
		if coefs, err = jpeg.DecodeCoefficients(ctx, src, nil); err != nil {
			return decodeError(JPEG, err, src)
		}
		data = nil
	}
	shared := coefs != nil
	lastChange := 0 // the last target that needs a new image
	for i, t := range j.targets {
		if i > 0 && jpegScale(j.info, t.want) != jpegScale(j.info, j.targets[i-1].want) {
			lastChange = i
		}
	}
	scale := 0
	for i, t := range j.targets {
		if s := jpegScale(j.info, t.want); s != scale {
			scale = s
			j.img = nil // the previous scale's planes, before the next are made
			if shared {
				if err := j.imageFrom(ctx, coefs, s, t.want); err != nil {
					return err
				}
				if i == lastChange {
					coefs = nil
				}
			} else {
				j.src, j.want = bytes.NewReader(data), t.want
				if err := run(ctx, loadSteps, j); err != nil {
					return err
				}
			}
		}
		if err := makeTarget(ctx, t, j.img); err != nil {
			return err
		}
	}
	j.img = nil
	return nil
}

// imageFrom sets j.img to the coefficients reconstructed at scale, checked
// against want and the stored size as decodeStep checks a decode, and runs
// cmykProfileStep on it (the rest of loadSteps).
func (j *job) imageFrom(ctx context.Context, coefs *jpeg.Coefficients, scale int, want image.Point) error {
	img, err := coefs.Image(ctx, scale)
	if err != nil {
		return err // ctx's: the scale is valid
	}
	if err := checkDecodedSize(img, want, j.info); err != nil {
		return err
	}
	j.img = img
	return cmykProfileStep(ctx, j)
}

// makeTarget runs targetSteps on t with the decoded image img, keeping
// only t's Outputs, so that the next target does not hold this one's
// pixels.
func makeTarget(ctx context.Context, t *job, img image.Image) error {
	t.img = img
	err := run(ctx, targetSteps, t)
	t.img, t.out, t.flat, t.ycc = nil, nil, nil, nil
	return err
}

// decodeGroup decodes src (loadSteps) at a size that
// covers every target of group, then makes each target from it.
func decodeGroup(ctx context.Context, j *job, group []*job, src io.Reader) error {
	j.src, j.want = src, image.Point{}
	for _, t := range group {
		j.want = image.Pt(max(j.want.X, t.want.X), max(j.want.Y, t.want.Y))
	}
	if err := run(ctx, loadSteps, j); err != nil {
		return err
	}
	for _, t := range group {
		if err := makeTarget(ctx, t, j.img); err != nil {
			return err
		}
	}
	j.img = nil
	return nil
}

// readSource reads the rest of the source into memory, for a format that
// is decoded more than once. Its errors are read errors, as decodeError
// reports them, or ctx's.
func readSource(ctx context.Context, r io.Reader) ([]byte, error) {
	sr := &sourceReader{ctx: ctx, r: r}
	data, err := io.ReadAll(sr)
	if err == nil {
		return data, nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return nil, fmt.Errorf("imaging: read source: %w", err)
}
