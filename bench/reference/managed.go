package reference

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// An ICC-tagged source is displayed through its profile: by every viewer,
// and by both tools under test (the engine with its own colour management,
// sharp with lcms2). The standard library's plain conversion of such a file
// is another picture (cmyk_icc-swop: luma SSIM 0.98 against the managed
// rendering before any coding), so a reference built from it measures that
// mismatch instead of the encoders, and rewards an encoder for moving its
// output towards the wrong picture. Such sources therefore take their
// full-size sRGB pixels from sharp: libvips decodes (libjpeg-turbo, libspng)
// and lcms2 converts through the profile, none of it sharing code with ours.
// The resampling and everything after it are the same float path as for
// every other source.

// Source names the pixels a reference was built from.
type Source string

const (
	// Plain: the standard library's decode and its fixed conversions.
	Plain Source = "plain"
	// Managed: converted to sRGB through the embedded ICC profile by lcms2.
	Managed Source = "lcms2"
)

// Renderer makes the colour-managed rendering of an ICC-tagged file.
type Renderer struct {
	Node        string // the node binary
	Script      string // bench/sharp-srgb.mjs
	SharpPrefix string // the folder sharp is installed in (npm --prefix)
}

// Render writes src converted to sRGB through its embedded profile (not
// rotated, alpha kept) to dst as PNG.
func (r *Renderer) Render(ctx context.Context, src, dst string) error {
	cmd := exec.CommandContext(ctx, r.Node, r.Script, src, dst)
	cmd.Env = append(os.Environ(), "SHARP_PREFIX="+r.SharpPrefix)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("reference: render %s through its ICC profile: %v: %s", src, err, out)
	}
	return nil
}

// Load returns the reference pixels of path, oriented for EXIF orientation
// o, and what they were built from: for a source with an embedded ICC
// profile (hasICC) the rendering r writes under work, otherwise, or when r
// is nil (sharp not installed), LoadOriented's plain decode.
func Load(ctx context.Context, path string, o int, hasICC bool, r *Renderer, work string) (*Image, Source, error) {
	if !hasICC || r == nil {
		m, err := LoadOriented(path, o)
		return m, Plain, err
	}
	dst := filepath.Join(work, filepath.Base(path)+".srgb.png")
	if err := r.Render(ctx, path, dst); err != nil {
		return nil, "", err
	}
	m, err := LoadOriented(dst, o)
	return m, Managed, err
}
