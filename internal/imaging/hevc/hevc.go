// Package hevc is a pure-Go HEVC (ITU-T H.265) decoder for intra-coded
// pictures, written for HEIF/HEIC still images. It decodes I slices of the
// Main, Main 10 and Main Still Picture profiles: parameter sets and slice
// headers, CABAC, the coding and transform quadtrees, the 35 intra
// prediction modes with reference smoothing, the 4–32 point inverse DCT and
// the 4×4 DST, transform skip, scaling lists, PCM, transquant bypass,
// deblocking and SAO, over any number of slices, slice segments, tiles and
// WPP substreams, in 4:0:0, 4:2:0, 4:2:2 and 4:4:4 at 8 to 12 bits (the
// format range extensions profiles' bit depths and chroma formats, but
// none of their extra coding tools). Output is bit-exact with libde265
// and ffmpeg on every generated test stream.
//
// Files are split by spec concern (section numbers are ITU-T H.265 (V4+)):
// nal.go (Annex B byte stream, 7.3.1 NAL units, ISO/IEC 14496-15 hvcC),
// bitreader.go (7.2 RBSP bit reader and Exp-Golomb codes), params.go (7.3.2
// VPS/SPS/PPS, 7.3.4 scaling lists), slice.go (7.3.6 slice segment header),
// cabac.go (9.3 arithmetic decoding engine and context initialisation),
// ctu.go (7.3.8 slice data: CTU loop, tiles, WPP, coding and transform
// quadtrees), wavefront.go (9.3.1, 9.3.2.4: substreams of WPP rows and
// tiles decoded in parallel), residual.go (7.3.8.11 residual coding),
// intra.go (8.4.4.2 intra sample prediction), transform.go (8.6 scaling
// and inverse transforms), deblock.go (8.7.2) and sao.go (8.7.3).
//
// Options.Workers sets how many goroutines decode one picture: the
// substreams of a slice segment whose header gives entry points (the CTB
// rows of a WPP stream, as x265 and so heif-enc write, or tiles) run as a
// wavefront, and deblocking and SAO by bands of rows. The output is the
// same for any number of workers.
//
// Use from HEIF: parse the item's hvcC box with ParseHvcC and pass it with
// the item data to DecodeSample (or split the data with
// SplitLengthPrefixed and call Decode). DecodeConfig gives the size, bit
// depth and chroma format from the parameter sets alone. Picture holds
// 16-bit planes cropped to the conformance window; Planes8 rounds them to
// 8 bits. Annex B streams (.h265 files) split with SplitAnnexB.
//
// Input policy: the picture size in the SPS is checked against Options
// before any plane is allocated. Malformed input yields a *FormatError
// (truncated input wraps io.ErrUnexpectedEOF); valid input using a feature
// this package does not implement (P and B slices, range-extension coding
// tools, separate colour planes, bit depths above 12) yields an
// UnsupportedError. No
// input can make the decoder panic or loop without bound: every loop is
// bounded by the picture size or by the (finite) input.
package hevc

import (
	"context"
	"fmt"
	"io"
)

// FormatError reports that the input is not a valid HEVC stream. Err, when
// set, is the cause; io.ErrUnexpectedEOF means the input ended inside a
// structure.
type FormatError struct {
	Reason string
	Err    error
}

func (e *FormatError) Error() string {
	if e.Err != nil {
		return "hevc: invalid format: " + e.Reason + ": " + e.Err.Error()
	}
	return "hevc: invalid format: " + e.Reason
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid stream that uses a feature this package
// does not implement (inter-coded slices, range-extension tools).
type UnsupportedError string

func (e UnsupportedError) Error() string { return "hevc: unsupported feature: " + string(e) }

// LimitError reports a picture whose size exceeds Options. It is returned
// before any plane is allocated.
type LimitError struct {
	Width, Height int
	Pixels, Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("hevc: picture %dx%d (%d pixels) exceeds limit %d", e.Width, e.Height, e.Pixels, e.Limit)
}

func formatErr(reason string) error { return &FormatError{Reason: reason} }

// errTruncated is the error for input that ends inside a structure.
var errTruncated = &FormatError{Reason: "truncated", Err: io.ErrUnexpectedEOF}

// Default limits used when Options is nil or a field is zero.
const (
	DefaultMaxWidth  = 16888 // level 6.2 maximum, sqrt(8 * MaxLumaPs)
	DefaultMaxHeight = 16888
	DefaultMaxPixels = 35651584 // level 6.2 MaxLumaPs
)

// Options limits what Decode accepts and says how many goroutines it may
// use. Zero fields take the defaults.
type Options struct {
	MaxWidth, MaxHeight int
	MaxPixels           int64
	// Workers is the number of goroutines decoding one picture: the
	// substreams of a slice segment (the CTB rows of WPP streams, or
	// tiles) run in parallel when its header gives their entry points.
	// 0 or 1 decodes on the calling goroutine alone. The output does not
	// depend on Workers.
	Workers int
}

func (o *Options) workers() int {
	if o == nil || o.Workers < 1 {
		return 1
	}
	return o.Workers
}

func (o *Options) limits() (w, h int, px int64) {
	w, h, px = DefaultMaxWidth, DefaultMaxHeight, DefaultMaxPixels
	if o == nil {
		return
	}
	if o.MaxWidth > 0 {
		w = o.MaxWidth
	}
	if o.MaxHeight > 0 {
		h = o.MaxHeight
	}
	if o.MaxPixels > 0 {
		px = o.MaxPixels
	}
	return
}

// Chroma formats (chroma_format_idc).
const (
	Chroma400 = 0
	Chroma420 = 1
	Chroma422 = 2
	Chroma444 = 3
)

// Config describes a coded picture as its SPS declares it. Width and Height
// are after conformance-window cropping.
type Config struct {
	Width, Height  int
	BitDepth       int // luma bit depth
	BitDepthChroma int
	ChromaFormat   int // Chroma400, Chroma420, Chroma422 or Chroma444
	// CodedWidth and CodedHeight are the decoded sizes before cropping.
	CodedWidth, CodedHeight int
	// Video full-range flag and colour description from the VUI, when
	// present (ColourPrimaries etc. are 2, "unspecified", otherwise).
	FullRange                                              bool
	ColourPrimaries, TransferCharacteristics, MatrixCoeffs int
}

// Picture is a decoded picture, cropped to the conformance window. Samples
// are stored in uint16 whatever the bit depth; Y[y*YStride+x] is the luma
// sample at (x, y), and Cb/Cr use CStride, with chroma dimensions
// ChromaWidth×ChromaHeight. For Chroma400 Cb and Cr are nil.
type Picture struct {
	Width, Height             int
	ChromaWidth, ChromaHeight int
	BitDepth, BitDepthChroma  int
	ChromaFormat              int
	Y, Cb, Cr                 []uint16
	YStride, CStride          int
	FullRange                 bool
	ColourPrimaries           int
	TransferCharacteristics   int
	MatrixCoeffs              int
}

// DecodeConfig parses the parameter sets (VPS, SPS and PPS NAL units,
// without start codes or length prefixes) and returns the first SPS's
// picture description.
func DecodeConfig(paramSets [][]byte) (Config, error) {
	var ps paramStore
	var first *sps
	for _, n := range paramSets {
		s, err := ps.add(n)
		if err != nil {
			return Config{}, err
		}
		if first == nil && s != nil {
			first = s
		}
	}
	if first == nil {
		return Config{}, formatErr("no SPS")
	}
	return first.config(), nil
}

// Decode decodes one coded picture from its parameter sets and NAL units
// (without start codes or length prefixes; parameter sets may also appear
// among nalus). NAL units other than parameter sets and slice segments of
// the first picture in nalus are ignored, as are layers above 0. The
// context is checked between CTU rows.
func Decode(ctx context.Context, paramSets [][]byte, nalus [][]byte, opt *Options) (*Picture, error) {
	d := &decoder{}
	d.maxW, d.maxH, d.maxPx = opt.limits()
	d.workers = opt.workers()
	for _, n := range paramSets {
		if _, err := d.ps.add(n); err != nil {
			return nil, err
		}
	}
	return d.decode(ctx, nalus)
}

// DecodeSample decodes an HEIF item or MP4 sample: cfg is the parsed hvcC
// of the item and data its NAL units, each preceded by a cfg.LengthSize
// byte length.
func DecodeSample(ctx context.Context, cfg *HvcC, data []byte, opt *Options) (*Picture, error) {
	nalus, err := SplitLengthPrefixed(data, cfg.LengthSize)
	if err != nil {
		return nil, err
	}
	return Decode(ctx, cfg.ParamSets, nalus, opt)
}
