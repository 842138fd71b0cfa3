// Package webpenc is a lossy WebP encoder (RFC 9649 container, RFC 6386
// VP8 key frame) in pure Go: BT.601 limited-range 4:2:0 conversion as
// libwebp's default (gamma-compressed chroma averaging), intra 16×16 / 4×4 /
// chroma prediction chosen by rate–distortion (SSE plus libwebp's texture
// term, rates from the token costs, the 4×4 λ tuned on SSIM), RD trimming
// of trailing ±1 levels, libwebp's quality→quantiser mapping (so Quality
// means cwebp -q: the same SSIM), per-frame token probability updates, four
// segments by libwebp's susceptibility measure and SNS quantiser law, a
// chroma AC delta from the chroma susceptibility, per-segment loop-filter
// levels chosen by simulating the decoder's filter, token partitions, and
// an alpha plane (ALPH) coded with a VP8L (lossless) coder (predictor
// transform, cost-based LZ77, meta prefix codes) or raw, whichever is
// smaller. Mode decision runs on several goroutines as a wavefront over
// macroblock rows; the output depends on the pixels and Options only, never
// on GOMAXPROCS or Workers.
package webpenc

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"io"
)

// DefaultQuality is the quality used when Options.Quality is 0 (libwebp's
// and cwebp's default).
const DefaultQuality = 75

// MaxSize is the largest width or height VP8 can code (14 bits).
const MaxSize = 16383

// Options controls Encode. A nil *Options means the defaults.
type Options struct {
	// Quality 1..100 has libwebp's meaning (cwebp -q): it selects the same
	// quantiser. 0 means DefaultQuality; out-of-range values are clamped.
	Quality int
	// Method 1..6 trades speed for size like cwebp -m; 0 means 4. Method
	// 4 codes fully only the best-ranked candidates (4 of the 10 subblock
	// modes, 2 of the 4 luma and chroma modes, ranked by prediction error),
	// 5 and 6 all of them; from 4 on the texture distortion term and RD
	// tail trimming are used; below 2 only 16×16 luma prediction is tried.
	Method int
	// Workers bounds the goroutines used for one image; 0 means GOMAXPROCS.
	// It never changes the output.
	Workers int

	noFilter bool // tests: loop filter off, so decoders return the reconstruction
	keep     **encoder
}

// UnsupportedError reports a valid image this encoder cannot write.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "webpenc: unsupported: " + string(e) }

// checkedOptions is opt with its defaults filled in and its values clamped,
// or an UnsupportedError when b is not a size VP8 can code: what every
// entry point checks before it reads a pixel.
func checkedOptions(opt *Options, b image.Rectangle) (Options, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.Quality == 0 {
		o.Quality = DefaultQuality
	}
	o.Quality = clampInt(o.Quality, 0, 100)
	if o.Method == 0 {
		o.Method = 4
	}
	o.Method = clampInt(o.Method, 0, 6)
	if o.Workers <= 0 {
		o.Workers = defaultWorkers()
	}
	if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > MaxSize || b.Dy() > MaxSize {
		return o, UnsupportedError(fmt.Sprintf("size %dx%d (must be 1..%d)", b.Dx(), b.Dy(), MaxSize))
	}
	return o, nil
}

// Encode writes img as a lossy WebP. *image.NRGBA is read directly (the
// engine's output); *image.RGBA is un-premultiplied, *image.YCbCr (any
// range: Go's full-range JFIF) and other types are converted through NRGBA.
// Images with any alpha below 255 get an ALPH chunk (VP8X container).
func Encode(ctx context.Context, w io.Writer, img image.Image, opt *Options) error {
	b := img.Bounds()
	o, err := checkedOptions(opt, b)
	if err != nil {
		return err
	}
	var pix []uint8
	var stride int
	switch m := img.(type) {
	case *image.NRGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	default:
		n := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(n, n.Rect, img, b.Min, draw.Src)
		pix, stride = n.Pix, n.Stride
	}
	data, err := encodeNRGBA(ctx, pix, stride, b.Dx(), b.Dy(), &o)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// encodeNRGBA returns the complete RIFF file.
func encodeNRGBA(ctx context.Context, pix []uint8, stride, w, h int, o *Options) ([]byte, error) {
	e := newConfiguredEncoder(w, h, o)
	e.importRGBA(pix, stride, 0, h)
	alpha := alphaPlane(pix, stride, w, h)
	if alpha != nil {
		e.flattenTransparent(alpha)
	}
	vp8, err := e.encodeFrame(ctx, o)
	if err != nil {
		return nil, err
	}
	if alpha == nil {
		return riffSimple(vp8), nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return riffAlpha(vp8, encodeAlpha(alpha, w, h), w, h), nil
}

// newConfiguredEncoder is a w×h encoder set up for o's method: every entry
// point (RGBA pixels, Y′CbCr planes) starts here, so that the same picture
// is coded with the same settings whichever way it arrives.
func newConfiguredEncoder(w, h int, o *Options) *encoder {
	e := newEncoder(w, h)
	e.method = o.Method
	e.workers = o.Workers
	e.tdisto = o.Method >= 4
	e.trim = o.Method >= 4 && trimOn
	e.expnScale = 1
	if e.trim {
		e.expnScale = trimExpn
	}
	e.i4Candidates, e.i16Candidates, e.uvCandidates = numBModes, numPredModes, numPredModes
	if o.Method <= 4 {
		e.i4Candidates, e.i16Candidates, e.uvCandidates = i4CandidatesM4, i16CandidatesM4, uvCandidatesM4
		if e.mbw*e.mbh <= smallMBs {
			e.i4Candidates = i4CandidatesSmall
		}
	}
	return e
}

// encodeFrame codes the imported source planes as a VP8 key frame: the
// steps after import that every entry point shares.
func (e *encoder) encodeFrame(ctx context.Context, o *Options) ([]byte, error) {
	e.padSource()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := e.setup(ctx, o.Quality); err != nil {
		return nil, err
	}
	if err := e.encodeMBs(ctx); err != nil {
		return nil, err
	}
	if err := e.chooseFilterLevels(ctx); err != nil {
		return nil, err
	}
	if o.noFilter {
		e.filterLevel = 0
		for s := range e.seg {
			e.seg[s].filterLevel = 0
		}
	}
	vp8, err := e.writeFrame()
	if err != nil {
		return nil, err
	}
	if o.keep != nil {
		*o.keep = e
	}
	return vp8, nil
}

// i4CandidatesM4 is how many of the 10 subblock modes method 4 evaluates.
var i4CandidatesM4, i16CandidatesM4, uvCandidatesM4 = 4, 2, 2

// Small pictures (at most smallMBs macroblocks, 512×512) cost little to
// encode whatever the effort, so method 4 evaluates i4CandidatesSmall
// subblock modes there: 1–1.5 % fewer bytes at equal SSIM on the 512-px
// and smaller photos of bench/webpenc, for about 1.2× their encode time
// (p12 at 512: 59 against 50 ms CPU, about 1 % of the 4-size unit's).
const (
	smallMBs          = 1024
	i4CandidatesSmall = 6
)

var trimOn = true

// trimExpn scales libwebp's quality exponent when RD tail trimming is on.
// Trimming (which libwebp's method 4 does not do) lowers SSIM at a given
// quantiser; with libwebp's λ for 4×4 decisions and trimming, a finer
// quantiser (0.85) was needed to give cwebp's SSIM at the same quality.
// With λ at 0.55 of libwebp's (newSegmentQuant) the decisions spend more
// on luma detail and libwebp's own mapping (1) gives cwebp's SSIM again:
// at q80, +0.0007…+0.0013 on the 512-px photos of bench/webpenc, at
// 0.90–0.97× cwebp's bytes.
var trimExpn = 1.0

// filterStrength is libwebp's default "-f 60" filter strength.
const filterStrength = 60

// setup chooses quantisers, segments, loop filter and partitions.
func (e *encoder) setup(ctx context.Context, quality int) error {
	if err := e.analyze(ctx, quality); err != nil {
		return err
	}
	e.costs = newCostTables(&defaultCoefProb)
	// Token partitions by size only (never by machine), so the bytes are
	// deterministic: 2 from 1024 macroblocks (~512×512) for parallel
	// coding, more for huge pictures to stay under the 16 MiB partition
	// limit.
	switch n := e.mbw * e.mbh; {
	case n >= 1<<16:
		e.numParts = 8
	case n >= 1<<14:
		e.numParts = 4
	case n >= 1024:
		e.numParts = 2
	default:
		e.numParts = 1
	}
	return nil
}
