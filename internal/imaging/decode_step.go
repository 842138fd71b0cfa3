package imaging

import (
	"context"
	"image"
	"runtime"
)

// decodeStep runs the format's decodeFunc with the target size as shrink hint
// and checks that the decoder returned a size between the target and the
// stored size.
func decodeStep(ctx context.Context, j *job) error {
	f := j.info.Format
	if j.info.Animated && f == WebP {
		return &UnsupportedError{Format: string(f), Reason: "animated WebP"}
	}
	dec, ok := decoders[f]
	if !ok {
		return &UnsupportedError{Format: string(f), Reason: "no decoder"}
	}
	src := &sourceReader{ctx: ctx, r: j.src}
	var img image.Image
	var err error
	if f == HEIC {
		// The container holds more than its primary item's header: the
		// caller's limits bound every tile and the grid before allocation.
		img, err = decodeHEICLimits(ctx, src, j.info, j.lim, runtime.GOMAXPROCS(0))
	} else {
		img, err = dec(ctx, src, j.info, j.want)
	}
	if err != nil {
		return decodeError(f, err, src)
	}
	if err := checkDecodedSize(img, j.want, j.info); err != nil {
		return err
	}
	j.img = img
	return nil
}

// checkDecodedSize refuses a decoded image smaller than want (the decoder
// shrank too far) or larger than the header's stored size: either means
// the file and its header disagree.
func checkDecodedSize(img image.Image, want image.Point, info Info) error {
	b := img.Bounds()
	if b.Dx() < want.X || b.Dy() < want.Y || b.Dx() > info.Width || b.Dy() > info.Height {
		return &FormatError{Format: info.Format, Reason: "decoded size differs from header"}
	}
	return nil
}

// resizeStep converts the decoded image to 8-bit straight sRGB and resizes it
// to j.want with Lanczos3 when the sizes differ; a resize also applies the
// EXIF orientation as it stores the rows (orientStep then has nothing to do).
// A JPEG source is resized for the JPEG outputs as Y′CbCr planes into
// j.ycc (planar.go); j.out is then made only if another output needs it.
func resizeStep(ctx context.Context, j *job) error {
	if done, err := planarStep(ctx, j); done || err != nil {
		return err
	}
	b := j.img.Bounds()
	if b.Dx() == j.want.X && b.Dy() == j.want.Y {
		out, err := toNRGBA(ctx, j.img)
		if err != nil {
			return err
		}
		j.img, j.out = nil, out
		return nil
	}
	opaque := false
	if o, ok := j.img.(interface{ Opaque() bool }); ok {
		opaque = o.Opaque()
	}
	out, err := resampleOriented(ctx, rowsOf(j.img), packedRowsOf(j.img), b.Dx(), b.Dy(), j.want.X, j.want.Y, opaque, j.info.Orientation)
	if err != nil {
		return err
	}
	j.img, j.out, j.oriented = nil, out, true
	return nil
}

// planarStep is resizeStep's planar path: it resizes a JPEG source for the
// JPEG outputs as Y′CbCr planes into j.ycc (also when the decoder already
// shrank it to the size wanted: the planes are then copied and oriented),
// and reports done when no output needs j.out.
func planarStep(ctx context.Context, j *job) (done bool, err error) {
	m, ok := j.planar()
	if !ok {
		return false, nil
	}
	needRGB := len(j.encs) == 0 // Decode
	needPlanes := false
	for _, e := range j.encs {
		if e.takesPlanes() {
			needPlanes = true
		} else {
			needRGB = true
		}
	}
	if needPlanes {
		ycc, err := resamplePlanar(ctx, m, j.want.X, j.want.Y, j.info.Orientation)
		if err != nil {
			return false, err
		}
		j.ycc = ycc
	}
	if needRGB {
		return false, nil
	}
	j.img, j.oriented = nil, true
	return true, nil
}

// planar reports whether resizeStep can take the planar path (planar.go)
// for the encodings that take planes, and returns the source planes:
// Y′CbCr (a JPEG source) that needs no ICC conversion and no box
// pre-shrink. It does not depend on the other encodings, so an output's
// bytes do not depend on which others ProcessAll makes beside it.
func (j *job) planar() (*image.YCbCr, bool) {
	m, ok := planarSource(j.img)
	if !ok || j.icc != nil {
		return nil, false
	}
	b := m.Bounds()
	if boxFactor(b.Dx(), j.want.X) > 1 || boxFactor(b.Dy(), j.want.Y) > 1 {
		return nil, false
	}
	return m, true
}

// orientStep applies the EXIF orientation to the (already resized) image,
// unless resizeStep already did.
func orientStep(_ context.Context, j *job) error {
	if j.oriented {
		return nil
	}
	j.out = orient(j.out, j.info.Orientation)
	return nil
}
