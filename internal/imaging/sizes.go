package imaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
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
// cost, never the bytes. A JPEG shrinks on load by a factor that depends
// on the size wanted, so each of its targets gets a decode of its own
// from the source bytes, which ProcessSizes then keeps in memory (a
// single JPEG target reads the source as a stream, as ProcessAll does).
//
// Memory: one decoded source at a time, plus one target's output; what a
// single ProcessAll of the largest target holds.
//
// The result has one []Output per target, in the order of targets, each in
// the order of its Encodings. Errors are those of ProcessAll; the first
// failing target stops the rest (earlier targets' writers have received
// their complete output).
func ProcessSizes(ctx context.Context, src io.Reader, targets []Target, lim Limits) ([][]Output, error) {
	j := &job{lim: lim, in: src}
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
// size wanted). ProcessSizes decodes such a source once per target, and
// the others once for all targets.
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

// decodeTargetsStep decodes the source once for all targets, or once per
// target when the format shrinks on load (the source bytes are then read
// into memory first, since src is read only once), and runs targetSteps
// on each target with its decoded image.
func decodeTargetsStep(ctx context.Context, j *job) error {
	groups := [][]*job{j.targets}
	if shrinksOnLoad[j.info.Format] && len(j.targets) > 1 {
		groups = groups[:0]
		for _, t := range j.targets {
			groups = append(groups, []*job{t})
		}
		data, err := readSource(ctx, j.src)
		if err != nil {
			return err
		}
		for i := range groups {
			if err := decodeGroup(ctx, j, groups[i], bytes.NewReader(data)); err != nil {
				return err
			}
		}
		return nil
	}
	return decodeGroup(ctx, j, groups[0], j.src)
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
		t.img = j.img
		err := run(ctx, targetSteps, t)
		t.img, t.out, t.flat = nil, nil, nil // only the Outputs are kept
		if err != nil {
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
