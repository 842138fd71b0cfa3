// Package jpeg is a pure-Go JPEG decoder (ITU T.81 baseline, extended
// sequential and progressive Huffman DCT, 8-bit samples) that decodes at
// 1/1, 1/2, 1/4 and 1/8 scale directly in the DCT domain: each 8x8 block is
// reconstructed with an 8x8, 4x4, 2x2 or 1x1 inverse DCT, so a reduced
// decode never builds the full-size image. It handles restart intervals,
// any integral sampling factors (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, ...),
// grayscale, RGB, CMYK and YCCK (Adobe APP14), and assembles APP2 ICC
// profiles.
//
// Files are split by spec concern: reader.go (markers, T.81 Annex B),
// huffman.go (entropy bit reader, Annex C and F.2.2), scan.go (MCUs, Annex F
// and G, and the goroutines), idct.go (A.3.3 inverse DCT, full and reduced)
// and color.go (JFIF/Adobe colour conversion and output images).
//
// Output: Decode returns the planes as decoded (*image.YCbCr, *image.Gray)
// or, where image has no planar type for the data, *image.CMYK or
// *image.RGBA; DecodeRGBA fuses chroma upsampling (libjpeg's triangle
// filter) and colour conversion into one pass. Both match `djpeg -scale
// 1/N` (libjpeg-turbo, islow IDCT) to within rounding at every scale.
//
// Concurrency: a sequential scan with restart intervals is decoded on up
// to GOMAXPROCS goroutines, one run of intervals each; one without restart
// markers overlaps Huffman decoding with the IDCT (two goroutines); the
// progressive IDCT and the colour conversion are split into row bands.
// Every goroutine is waited for before Decode returns.
//
// Input policy: the whole file is read into memory after the frame header
// has been checked against Options.MaxPixels. Entropy-coded data that ends
// early (at a marker or at the end of input, where more bits are needed) is
// an error, never a partial image: truncated input is a *FormatError
// wrapping io.ErrUnexpectedEOF. A sequential file whose last scan is
// complete but that lacks the EOI marker decodes; a progressive one must
// reach EOI. Before any plane is allocated, the remaining input must be
// large enough to code the declared number of blocks (2 bits a block
// sequential, 1 bit for a progressive DC scan), so a huge header on a small
// file fails fast even without MaxPixels.
package jpeg

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
)

// FormatError reports that the input is not a valid JPEG. Err, when set, is
// the cause; io.ErrUnexpectedEOF means the input ended inside a structure.
type FormatError struct {
	Reason string
	Err    error
}

func (e *FormatError) Error() string {
	if e.Err != nil {
		return "jpeg: invalid format: " + e.Reason + ": " + e.Err.Error()
	}
	return "jpeg: invalid format: " + e.Reason
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid JPEG that uses a feature this package does
// not implement (arithmetic coding, 12-bit samples, lossless, hierarchical).
type UnsupportedError string

func (e UnsupportedError) Error() string { return "jpeg: unsupported feature: " + string(e) }

// LimitError reports a frame whose declared pixel count exceeds
// Options.MaxPixels. It is returned before any pixel buffer is allocated.
type LimitError struct {
	Pixels, Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("jpeg: image has %d pixels, limit is %d", e.Pixels, e.Limit)
}

func formatErr(reason string) error { return &FormatError{Reason: reason} }

// errTruncated is the error for input that ends inside a structure.
var errTruncated = &FormatError{Reason: "truncated", Err: io.ErrUnexpectedEOF}

// Options controls Decode.
type Options struct {
	// Scale is the DCT-domain reduction: 1, 2, 4 or 8 (0 means 1). The
	// output is ceil(w/Scale) x ceil(h/Scale).
	Scale int
	// MaxPixels is checked against the SOF width x height before any
	// allocation; 0 means no limit.
	MaxPixels int64
}

// Config is what the headers up to the frame header (SOF) say.
type Config struct {
	Width, Height int
	Components    int
	// ColorSpace is "ycbcr", "gray", "cmyk", "ycck" or "rgb".
	ColorSpace  string
	Progressive bool
	Adobe       bool   // an Adobe APP14 marker is present
	ICC         []byte // the APP2 ICC_PROFILE chunks, assembled; nil if none
	// CoefficientBytes bounds the memory DecodeCoefficients allocates for
	// the frame, every component padded to whole MCUs: a progressive frame
	// needs 129 bytes a block (64 int16 coefficients and their extent), a
	// sequential one 5 bytes a block and 2 a coefficient up to the last
	// nonzero one of each block (133 when all 64 are coded, a fraction of
	// it in a camera photo), in chunks of up to 128 KB, of which each
	// decoding goroutine of each scan may leave one partly used.
	CoefficientBytes int64
}

// ScaleFor returns the largest scale in {1,2,4,8} such that the scaled image
// still has a long side >= targetLongSide (1 when even that is too small).
func ScaleFor(w, h, targetLongSide int) int {
	long := max(w, h)
	for s := 8; s > 1; s /= 2 {
		if (long+s-1)/s >= targetLongSide {
			return s
		}
	}
	return 1
}

// Marker codes, T.81 Table B.1.
const (
	mSOF0  = 0xc0 // baseline DCT
	mSOF1  = 0xc1 // extended sequential DCT, Huffman
	mSOF2  = 0xc2 // progressive DCT, Huffman
	mSOF3  = 0xc3 // lossless
	mDHT   = 0xc4
	mSOF15 = 0xcf
	mDAC   = 0xcc
	mRST0  = 0xd0
	mRST7  = 0xd7
	mSOI   = 0xd8
	mEOI   = 0xd9
	mSOS   = 0xda
	mDQT   = 0xdb
	mDNL   = 0xdc
	mDRI   = 0xdd
	mAPP0  = 0xe0
	mAPP2  = 0xe2
	mAPP14 = 0xee
	mAPP15 = 0xef
	mCOM   = 0xfe
	mTEM   = 0x01
)

const (
	maxComponents = 4
	blockSize     = 64
	maxICCChunks  = 255
)

// component is one frame component (T.81 B.2.2: Ci, Hi, Vi, Tqi) plus its
// decode buffers.
type component struct {
	id   uint8
	h, v int   // Hi, Vi sampling factors
	tq   uint8 // Tqi quantisation table selector
	// bw, bh are the component's blocks per row and column, padded to whole
	// MCUs; cw, ch are the blocks actually coded in a non-interleaved scan.
	bw, bh, cw, ch int
	// bs is the component's IDCT output size (pixels per block side).
	// It is the decoder's 8/scale, doubled (up to 8) while the component is
	// subsampled 2x both ways, as libjpeg does: a 4:2:0 file at 1/2 scale
	// decodes chroma with the 8x8 IDCT at its native resolution, which
	// then needs no upsampling.
	bs int
	// coef holds the progressive coefficients, zig-zag order, coefN per
	// block (64, or 1 when bs is 1 and only DC is kept).
	coef  []int16
	coefN int
	last  []uint8 // per block: highest zig-zag index set
	// loc, for a sequential frame's DecodeCoefficients, places each
	// block's coefficients 0..last (zig-zag) in the decoder's chunks:
	// chunk index << chunkBits | offset (see keepBlock).
	loc []uint32
	// cbw, cbh are the blocks per row and column that reconstruction from
	// coef writes: all of bw x bh for a progressive frame (as its final
	// IDCT pass always did), the blocks its scan coded for a sequential
	// one (cw x ch when not interleaved), so that the planes equal those
	// of a sequential decode, whose uncoded padding blocks stay zero.
	cbw, cbh int
	// pix is the output plane at the decode scale, stride bytes per row.
	pix    []byte
	stride int
	// done is set once a scan has coded this component.
	done bool
}

// decoder is the whole decode state.
type decoder struct {
	r    io.Reader // nil once the source is drained
	data []byte
	pos  int

	width, height int
	nComp         int
	comp          [maxComponents]component
	maxH, maxV    int
	mcusX, mcusY  int // MCUs per row and column of an interleaved scan

	quant    [4][blockSize]uint16 // zig-zag order
	quantSet [4]bool
	huff     [2][4]huffTable // [Tc][Th]: class 0 DC, 1 AC
	huffSet  [2][4]bool

	sofSeen     bool
	progressive bool
	ri          int // restart interval in MCUs (DRI), 0 = none

	jfif           bool
	adobe          bool
	adobeTransform uint8
	icc            [maxICCChunks][]byte
	iccCount       int

	scale  int // 1, 2, 4, 8
	bs     int // output pixels per block side of a full-resolution component: 8/scale
	eobRun int // EOBRUN, G.1.2.2

	maxPixels  int64
	configMode bool
	keepCoef   bool // DecodeCoefficients: keep every coefficient, build no plane
	// chunks hold a sequential frame's kept coefficients (component.loc).
	chunks      *chunkStore
	planesReady bool
	scans       int
}

// Decode decodes a JPEG at the scale in opt (nil means full scale, no
// limit) and returns, sized ceil(w/Scale) x ceil(h/Scale):
//   - *image.YCbCr for YCbCr with a subsampling image.YCbCr can represent,
//     planes as decoded (no upsampling, no colour conversion). At reduced
//     scales 4:2:0 chroma is decoded with a larger IDCT at its own
//     resolution (as libjpeg does), so e.g. a 4:2:0 file at 1/2 comes back
//     as 4:4:4;
//   - *image.Gray for grayscale;
//   - *image.CMYK for CMYK and YCCK, in standard semantics (0 = no ink):
//     Adobe's inverted storage is undone;
//   - *image.RGBA (opaque) for RGB files and YCbCr with unusual sampling.
func Decode(r io.Reader, opt *Options) (image.Image, error) {
	return DecodeContext(context.Background(), r, opt)
}

// DecodeContext is Decode checking ctx before each scan and before the
// final inverse DCT of a progressive image; it returns ctx's error when
// ctx ends first.
func DecodeContext(ctx context.Context, r io.Reader, opt *Options) (image.Image, error) {
	d, err := decodePlanesContext(ctx, r, opt)
	if err != nil {
		return nil, err
	}
	return d.image()
}

// DecodeRGBA decodes like Decode but always returns 8-bit RGBA (opaque),
// with chroma upsampling and colour conversion fused into one pass over the
// output rows.
func DecodeRGBA(r io.Reader, opt *Options) (*image.RGBA, error) {
	d, err := decodePlanes(r, opt)
	if err != nil {
		return nil, err
	}
	return d.rgba(), nil
}

// DecodeNRGBA is DecodeRGBA returning *image.NRGBA: JPEG pixels are
// opaque, so the bytes are the same and no conversion is needed.
func DecodeNRGBA(r io.Reader, opt *Options) (*image.NRGBA, error) {
	m, err := DecodeRGBA(r, opt)
	if err != nil {
		return nil, err
	}
	return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}, nil
}

// DecodeConfig reads the headers up to the frame header. It reads only as
// much of r as it needs.
func DecodeConfig(r io.Reader) (Config, error) {
	d := &decoder{r: r, configMode: true}
	if err := d.parse(context.Background()); err != nil {
		return Config{}, err
	}
	return d.config(), nil
}

func (d *decoder) config() Config {
	c := Config{
		Width:       d.width,
		Height:      d.height,
		Components:  d.nComp,
		ColorSpace:  d.colorSpace(),
		Progressive: d.progressive,
		Adobe:       d.adobe,
	}
	perBlock := int64(2*blockSize + 1)
	if !d.progressive {
		perBlock += 4 // loc; the coefficients are at most 64 a block
	}
	for i := 0; i < d.nComp; i++ {
		c.CoefficientBytes += int64(d.comp[i].bw) * int64(d.comp[i].bh) * perBlock
	}
	if d.iccCount > 0 {
		var icc []byte
		for i := 0; i < d.iccCount; i++ {
			if d.icc[i] == nil {
				icc = nil // a missing chunk: the profile is unusable
				break
			}
			icc = append(icc, d.icc[i]...)
		}
		c.ICC = icc
	}
	return c
}

// colorSpace follows libjpeg's rules (and image/jpeg's): for 3 components
// a JFIF marker means YCbCr, else the Adobe transform flag decides, else
// component ids 'R','G','B' mean RGB.
func (d *decoder) colorSpace() string {
	switch d.nComp {
	case 1:
		return "gray"
	case 3:
		switch {
		case d.jfif:
			return "ycbcr"
		case d.adobe:
			if d.adobeTransform == 0 {
				return "rgb"
			}
			return "ycbcr"
		case d.comp[0].id == 'R' && d.comp[1].id == 'G' && d.comp[2].id == 'B':
			return "rgb"
		}
		return "ycbcr"
	case 4:
		if d.adobe && d.adobeTransform == 2 {
			return "ycck"
		}
		return "cmyk"
	}
	return ""
}

func decodePlanes(r io.Reader, opt *Options) (*decoder, error) {
	return decodePlanesContext(context.Background(), r, opt)
}

func decodePlanesContext(ctx context.Context, r io.Reader, opt *Options) (*decoder, error) {
	d := &decoder{r: r, scale: 1}
	if opt != nil {
		switch opt.Scale {
		case 0, 1, 2, 4, 8:
			d.scale = max(opt.Scale, 1)
		default:
			return nil, fmt.Errorf("jpeg: invalid scale %d: want 1, 2, 4 or 8", opt.Scale)
		}
		d.maxPixels = opt.MaxPixels
	}
	d.bs = 8 / d.scale
	if err := d.parse(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// more makes at least n unread bytes available in data.
func (d *decoder) more(n int) error {
	for len(d.data)-d.pos < n {
		if d.r == nil {
			return errTruncated
		}
		if cap(d.data)-len(d.data) < 512 {
			nd := make([]byte, len(d.data), 2*cap(d.data)+4096)
			copy(nd, d.data)
			d.data = nd
		}
		m, err := d.r.Read(d.data[len(d.data):cap(d.data)])
		d.data = d.data[:len(d.data)+m]
		if err == io.EOF {
			d.r = nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// readRest reads the remaining input into memory, in one allocation when
// the reader knows its length (bytes.Reader, strings.Reader, bytes.Buffer).
func (d *decoder) readRest() error {
	if l, ok := d.r.(interface{ Len() int }); ok && d.r != nil {
		if n := l.Len(); n > 0 && cap(d.data)-len(d.data) < n+1 {
			nd := make([]byte, len(d.data), len(d.data)+n+1)
			copy(nd, d.data)
			d.data = nd
		}
	}
	for d.r != nil {
		if err := d.more(len(d.data) - d.pos + 1); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
	}
	return nil
}

func (d *decoder) u16() (int, error) {
	if err := d.more(2); err != nil {
		return 0, err
	}
	v := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	d.pos += 2
	return v, nil
}

// segment returns the payload of a marker segment (B.1.1.4: a 16-bit length
// that counts itself).
func (d *decoder) segment() ([]byte, error) {
	n, err := d.u16()
	if err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, formatErr("short segment length")
	}
	if err := d.more(n - 2); err != nil {
		return nil, err
	}
	p := d.data[d.pos : d.pos+n-2 : d.pos+n-2]
	d.pos += n - 2
	return p, nil
}

// nextMarker skips to the next marker and returns its code. Bytes before the
// 0xFF (garbage, as libjpeg tolerates) and fill bytes (B.1.1.2) are skipped.
func (d *decoder) nextMarker() (byte, error) {
	for {
		if err := d.more(2); err != nil {
			return 0, err
		}
		if d.data[d.pos] != 0xff {
			d.pos++
			continue
		}
		m := d.data[d.pos+1]
		if m == 0xff {
			d.pos++
			continue
		}
		d.pos += 2
		if m == 0 {
			continue
		}
		return m, nil
	}
}

// parse walks the marker segments (B.2, B.3). In config mode it stops after
// the frame header; otherwise it decodes every scan.
func (d *decoder) parse(ctx context.Context) error {
	if err := d.more(2); err != nil {
		return err
	}
	if d.data[0] != 0xff || d.data[1] != mSOI {
		return formatErr("missing SOI marker")
	}
	d.pos = 2
	for {
		m, err := d.nextMarker()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) && d.sequentialComplete() {
				return nil // complete sequential image without EOI
			}
			return err
		}
		switch {
		case m == mEOI:
			if !d.sofSeen {
				return formatErr("no frame before EOI")
			}
			if d.scans == 0 {
				return formatErr("no scan before EOI")
			}
			if d.progressive && !d.keepCoef {
				if err := ctx.Err(); err != nil {
					return err
				}
				d.reconstructProgressive()
			}
			return nil
		case m == mSOI || m == mTEM || (m >= mRST0 && m <= mRST7):
			// No payload; a stray RST or SOI is ignored.
		case m == mSOF0 || m == mSOF1 || m == mSOF2:
			if d.sofSeen {
				return formatErr("multiple SOF markers")
			}
			if err := d.processSOF(m); err != nil {
				return err
			}
			if d.configMode {
				return nil
			}
			if err := d.readRest(); err != nil {
				return err
			}
		case m == mDHT || m == mDAC || m == 0xc8:
			if m == mDAC {
				return UnsupportedError("arithmetic coding")
			}
			p, err := d.segment()
			if err != nil {
				return err
			}
			if m == mDHT {
				if err := d.processDHT(p); err != nil {
					return err
				}
			}
		case m >= mSOF3 && m <= mSOF15:
			switch m {
			case 0xc3, 0xc7, 0xcb, 0xcf:
				return UnsupportedError("lossless")
			case 0xc5, 0xc6:
				return UnsupportedError("hierarchical")
			default:
				return UnsupportedError("arithmetic coding")
			}
		case m == mDQT:
			p, err := d.segment()
			if err != nil {
				return err
			}
			if err := d.processDQT(p); err != nil {
				return err
			}
		case m == mDRI:
			p, err := d.segment()
			if err != nil {
				return err
			}
			if len(p) != 2 {
				return formatErr("bad DRI length")
			}
			d.ri = int(p[0])<<8 | int(p[1])
		case m == mSOS:
			if !d.sofSeen {
				return formatErr("SOS before SOF")
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			p, err := d.segment()
			if err != nil {
				return err
			}
			if err := d.processSOS(p); err != nil {
				return err
			}
			d.scans++
		case m == mDNL:
			return UnsupportedError("DNL marker")
		case m >= mAPP0 && m <= mAPP15 || m == mCOM || (m >= 0xf0 && m <= 0xfd):
			p, err := d.segment()
			if err != nil {
				return err
			}
			d.processAPP(m, p)
		default:
			// Reserved markers with a length (B.1.1.3 allows skipping them).
			if _, err := d.segment(); err != nil {
				return err
			}
		}
	}
}

// sequentialComplete reports whether a sequential frame has had every
// component fully decoded, so a missing EOI can be forgiven.
func (d *decoder) sequentialComplete() bool {
	if !d.sofSeen || d.progressive || d.configMode || d.scans == 0 {
		return false
	}
	for i := 0; i < d.nComp; i++ {
		if !d.comp[i].done {
			return false
		}
	}
	return true
}

// processAPP reads JFIF (APP0), ICC (APP2) and Adobe (APP14) markers.
func (d *decoder) processAPP(m byte, p []byte) {
	switch m {
	case mAPP0:
		if len(p) >= 5 && string(p[:5]) == "JFIF\x00" {
			d.jfif = true
		}
	case mAPP2:
		const hdr = "ICC_PROFILE\x00"
		if len(p) < len(hdr)+2 || string(p[:len(hdr)]) != hdr {
			return
		}
		seq, n := int(p[len(hdr)]), int(p[len(hdr)+1])
		if seq < 1 || seq > n || (d.iccCount != 0 && n != d.iccCount) {
			return
		}
		d.iccCount = n
		d.icc[seq-1] = p[len(hdr)+2:]
	case mAPP14:
		// Adobe TN 5116: "Adobe", version(2), flags0(2), flags1(2), transform(1).
		if len(p) >= 12 && string(p[:5]) == "Adobe" {
			d.adobe = true
			d.adobeTransform = p[11]
		}
	}
}

// processSOF reads a frame header, B.2.2, checks it against the pixel limit
// and, outside config mode, leaves allocation to the first scan.
func (d *decoder) processSOF(m byte) error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if len(p) < 6 {
		return formatErr("short SOF")
	}
	if p[0] != 8 {
		if p[0] == 12 {
			return UnsupportedError("12-bit precision")
		}
		return formatErr(fmt.Sprintf("bad sample precision %d", p[0]))
	}
	d.height = int(p[1])<<8 | int(p[2])
	d.width = int(p[3])<<8 | int(p[4])
	d.nComp = int(p[5])
	d.progressive = m == mSOF2
	if d.height == 0 {
		return UnsupportedError("image height defined by DNL")
	}
	if d.width == 0 {
		return formatErr("zero width")
	}
	switch d.nComp {
	case 1, 3, 4:
	case 0:
		return formatErr("no components")
	default:
		return UnsupportedError(fmt.Sprintf("%d components", d.nComp))
	}
	if len(p) != 6+3*d.nComp {
		return formatErr("bad SOF length")
	}
	if d.maxPixels > 0 && int64(d.width)*int64(d.height) > d.maxPixels {
		return &LimitError{Pixels: int64(d.width) * int64(d.height), Limit: d.maxPixels}
	}
	d.maxH, d.maxV = 1, 1
	sum := 0
	for i := 0; i < d.nComp; i++ {
		c := &d.comp[i]
		c.id = p[6+3*i]
		c.h, c.v = int(p[7+3*i]>>4), int(p[7+3*i]&15)
		c.tq = p[8+3*i]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return formatErr("bad sampling factor")
		}
		if c.tq > 3 {
			return formatErr("bad quantisation table selector")
		}
		for j := 0; j < i; j++ {
			if d.comp[j].id == c.id {
				return formatErr("duplicate component id")
			}
		}
		if d.nComp == 1 {
			// A single-component frame is never interleaved (A.2.2): its
			// MCU is one block whatever the header says.
			c.h, c.v = 1, 1
		}
		sum += c.h * c.v
		d.maxH, d.maxV = max(d.maxH, c.h), max(d.maxV, c.v)
	}
	if sum > 10 {
		return formatErr("too many blocks per MCU")
	}
	for i := 0; i < d.nComp; i++ {
		c := &d.comp[i]
		if d.maxH%c.h != 0 || d.maxV%c.v != 0 {
			return UnsupportedError("non-integral sampling factor ratio")
		}
	}
	d.mcusX = (d.width + 8*d.maxH - 1) / (8 * d.maxH)
	d.mcusY = (d.height + 8*d.maxV - 1) / (8 * d.maxV)
	for i := 0; i < d.nComp; i++ {
		c := &d.comp[i]
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		// A.1.1: component dimensions are ceil(X*Hi/Hmax), ceil(Y*Vi/Vmax).
		cx := (d.width*c.h + d.maxH - 1) / d.maxH
		cy := (d.height*c.v + d.maxV - 1) / d.maxV
		c.cw, c.ch = (cx+7)/8, (cy+7)/8
	}
	d.sofSeen = true
	return nil
}

// allocPlanes allocates the output planes (and progressive coefficients)
// once the frame is known and the first scan is about to be decoded. Sizes
// are bounded by the SOF dimensions (rounded up to whole MCUs) at the decode
// scale, which processSOF has checked against MaxPixels. For
// DecodeCoefficients it allocates no plane (Coefficients.Image sizes the
// planes for its scale) but a progressive frame's coefficients as usual,
// or a sequential frame's block index (loc, last: 5 bytes a block), whose
// coefficients keepBlock stores as they are decoded.
func (d *decoder) allocPlanes() {
	if d.planesReady {
		return
	}
	d.planesReady = true
	for i := 0; i < d.nComp; i++ {
		c := &d.comp[i]
		c.coefN = blockSize
		if !d.keepCoef {
			d.allocPlane(c)
			if c.bs == 1 {
				c.coefN = 1
			}
		}
		switch {
		case d.progressive:
			c.coef = make([]int16, c.bw*c.bh*c.coefN)
			if c.coefN == blockSize {
				c.last = make([]uint8, c.bw*c.bh)
			}
		case d.keepCoef:
			c.loc = make([]uint32, c.bw*c.bh)
			c.last = make([]uint8, c.bw*c.bh)
			d.chunks.n = min(d.chunks.n+c.bw*c.bh*blockSize, 1<<chunkBits)
		}
		if d.progressive {
			c.cbw, c.cbh = c.bw, c.bh
		}
	}
}

// allocPlane sizes component c's IDCT (bs) for the decoder's scale and
// allocates its plane.
func (d *decoder) allocPlane(c *component) {
	c.bs = d.bs
	for c.bs < 8 && (d.maxH*d.bs)%(c.h*c.bs*2) == 0 && (d.maxV*d.bs)%(c.v*c.bs*2) == 0 {
		c.bs *= 2
	}
	c.stride = c.bw * c.bs
	c.pix = make([]byte, c.stride*c.bh*c.bs)
}

// processDQT reads quantisation tables, B.2.4.1.
func (d *decoder) processDQT(p []byte) error {
	for len(p) > 0 {
		pq, tq := p[0]>>4, p[0]&15
		if tq > 3 || pq > 1 {
			return formatErr("bad DQT header")
		}
		p = p[1:]
		q := &d.quant[tq]
		if pq == 0 {
			if len(p) < 64 {
				return formatErr("short DQT")
			}
			for k := 0; k < 64; k++ {
				q[k] = uint16(p[k])
			}
			p = p[64:]
		} else {
			if len(p) < 128 {
				return formatErr("short DQT")
			}
			for k := 0; k < 64; k++ {
				q[k] = uint16(p[2*k])<<8 | uint16(p[2*k+1])
			}
			p = p[128:]
		}
		d.quantSet[tq] = true
	}
	return nil
}

// processDHT reads Huffman tables, B.2.4.2.
func (d *decoder) processDHT(p []byte) error {
	for len(p) > 0 {
		if len(p) < 17 {
			return formatErr("short DHT")
		}
		tc, th := p[0]>>4, p[0]&15
		if tc > 1 || th > 3 {
			return formatErr("bad DHT header")
		}
		var counts [16]uint8
		copy(counts[:], p[1:17])
		n := 0
		for _, c := range counts {
			n += int(c)
		}
		p = p[17:]
		if n == 0 || n > 256 || len(p) < n {
			return formatErr("bad DHT symbol count")
		}
		if err := d.huff[tc][th].build(&counts, p[:n]); err != nil {
			return err
		}
		d.huffSet[tc][th] = true
		p = p[n:]
	}
	return nil
}
