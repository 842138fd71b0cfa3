package jpeg

import (
	"context"
	"fmt"
	"image"
	"io"
)

// Coefficients is a JPEG whose entropy-coded data has been decoded once:
// the quantised DCT coefficients of every block, from which Image
// reconstructs the picture at any of the four scales. Several sizes of
// one photo then cost one Huffman decode (about a third of a full-scale
// decode of a baseline file) and one IDCT pass at each scale, instead of
// a whole decode each.
//
// Memory: 128 bytes a block, every component (a 12 MP 4:2:0 photo holds
// 36 MB, 4:2:2 48 MB), kept until the Coefficients are dropped; the file's
// bytes are not kept.
//
// Image may be called any number of times, from several goroutines at
// once: it only reads the coefficients.
type Coefficients struct {
	d *decoder
}

// DecodeCoefficients reads r and decodes its entropy-coded data into
// coefficients (T.81 F.2 sequential, G.2 progressive), running no inverse
// DCT. Its errors are Decode's, for the same input: opt.MaxPixels is
// checked against the frame header before anything is allocated (opt.Scale
// is ignored: Image takes the scale). Restart intervals are decoded on up to
// GOMAXPROCS goroutines, as Decode does; ctx is checked before each scan.
//
// It is as strict as Decode at full scale: a file whose only fault is in
// AC data that a 1/8-scale Decode skips (a progressive AC scan, an AC run
// past index 63) fails here, at every scale.
func DecodeCoefficients(ctx context.Context, r io.Reader, opt *Options) (*Coefficients, error) {
	d := &decoder{r: r, scale: 1, bs: 8, keepCoef: true, chunks: &chunkStore{}}
	if opt != nil {
		d.maxPixels = opt.MaxPixels
	}
	if err := d.parse(ctx); err != nil {
		return nil, err
	}
	// Neither the input nor the ICC chunks (which point into it) are
	// needed to reconstruct.
	d.r, d.data, d.icc = nil, nil, [maxICCChunks][]byte{}
	return &Coefficients{d: d}, nil
}

// Image reconstructs the picture at scale 1, 2, 4 or 8, as DecodeContext
// would at that scale: the same type, bounds and bytes (every plane, its
// padding included), because the coefficients, the IDCT and the colour
// conversion are the same. Block rows are split over GOMAXPROCS
// goroutines. It returns ctx's error if ctx has ended.
func (c *Coefficients) Image(ctx context.Context, scale int) (image.Image, error) {
	switch scale {
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("jpeg: invalid scale %d: want 1, 2, 4 or 8", scale)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A copy of the decoder owns this scale's planes; the coefficient
	// slices it shares are only read.
	d := *c.d
	d.scale, d.bs = scale, 8/scale
	for i := 0; i < d.nComp; i++ {
		d.allocPlane(&d.comp[i])
	}
	d.reconstructProgressive()
	return d.image()
}

// Bounds is the picture's size at full scale.
func (c *Coefficients) Bounds() image.Rectangle {
	return image.Rect(0, 0, c.d.width, c.d.height)
}
