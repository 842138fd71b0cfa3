// Package jpegenc is a baseline JPEG encoder (ITU T.81, JFIF) for opaque
// 8-bit RGB images: YCbCr 4:2:0, the libjpeg-scaled standard quantisation
// tables, an integer AAN forward DCT and a 64-bit-accumulator Huffman writer.
// Large images are split into bands of MCU rows separated by restart markers
// (DRI/RSTn) and encoded in parallel. Output is deterministic: it depends on
// the pixels and Options only, not on GOMAXPROCS. The only metadata written
// is the JFIF APP0 segment.
package jpegenc

import (
	"errors"
	"image"
	"image/draw"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// DefaultQuality is used when Options.Quality is 0 (as image/jpeg).
const DefaultQuality = 75

// Options controls Encode. A nil *Options means the defaults.
type Options struct {
	// Quality 1..100 scales the T.81 Annex K tables exactly like libjpeg's
	// jpeg_set_quality (force_baseline). 0 means DefaultQuality; values out of
	// range are clamped.
	Quality int
	// OptimizeHuffman builds image-specific Huffman tables (two passes,
	// T.81 K.2) instead of the Annex K tables: smaller files, slower.
	OptimizeHuffman bool
	// RestartRows is the number of MCU rows (16 pixel rows) per restart
	// interval. 0 chooses automatically from the image size; < 0 disables
	// restart markers (and with them parallel encoding).
	RestartRows int
}

// parallelMinMCUs is the image size (in 16×16 MCUs) from which the
// automatic RestartRows splits the image into bands; autoBands is the band
// count aimed for. Both fixed so the output does not depend on the machine.
const (
	parallelMinMCUs = 1024 // ~ 512×512 pixels
	autoBands       = 8
)

// checkedOptions is o with its defaults filled in, or an error when b is
// not a size a baseline JPEG can hold: what both entry points check first.
func checkedOptions(o *Options, b image.Rectangle) (Options, error) {
	var opt Options
	if o != nil {
		opt = *o
	}
	if opt.Quality == 0 {
		opt.Quality = DefaultQuality
	}
	if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > 65535 || b.Dy() > 65535 {
		return opt, errors.New("jpegenc: image size must be 1..65535 in each dimension")
	}
	return opt, nil
}

// Encode writes m as a baseline JPEG. *image.NRGBA and *image.RGBA are read
// directly and must be opaque (alpha is ignored); other image types are
// converted to RGBA first.
func Encode(w io.Writer, m image.Image, o *Options) error {
	b := m.Bounds()
	opt, err := checkedOptions(o, b)
	if err != nil {
		return err
	}
	var pix []byte
	var stride int
	switch m := m.(type) {
	case *image.NRGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	case *image.RGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	default:
		r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(r, r.Rect, m, b.Min, draw.Src)
		pix, stride = r.Pix, r.Stride
	}
	e := newEncoder(pix, stride, b.Dx(), b.Dy(), &opt)
	return e.encode(w)
}

type encoder struct {
	pix        []byte
	stride     int
	w, h       int
	mcuW, mcuH int // MCUs across and down
	quant      [2][64]uint8
	recip      [2][64]uint64
	spec       [4]huffSpec // DC luma, AC luma, DC chroma, AC chroma
	codes      [4]codeTable
	optimize   bool
	rows       int          // MCU rows per band (= restart interval in rows); 0: one band, no DRI
	ycc        *image.YCbCr // EncodeYCbCr: 4:2:0 planes read instead of pix
}

func newEncoder(pix []byte, stride, w, h int, o *Options) *encoder {
	e := &encoder{pix: pix, stride: stride, w: w, h: h,
		mcuW: (w + 15) / 16, mcuH: (h + 15) / 16, optimize: o.OptimizeHuffman}
	for i := range e.quant {
		e.quant[i] = scaleQuant(&baseQuant[i], o.Quality)
		e.recip[i] = quantRecip(&e.quant[i])
	}
	maxRows := 65535 / e.mcuW // Ri is 16-bit, in MCUs
	switch {
	case o.RestartRows > 0:
		e.rows = o.RestartRows
	case o.RestartRows == 0 && e.mcuW*e.mcuH >= parallelMinMCUs:
		e.rows = (e.mcuH + autoBands - 1) / autoBands
	}
	if e.rows > 0 {
		e.rows = max(1, min(e.rows, maxRows))
		if e.rows >= e.mcuH {
			e.rows = 0
		}
	}
	return e
}

// band is the scratch and output of one worker for a range of MCU rows.
type band struct {
	y, cb, cr []int16 // one MCU row: 16 luma rows, 8 rows of each chroma, level-shifted
	blk       [64]int16
	coefs     []int16  // OptimizeHuffman: the band's quantised blocks, zig-zag
	masks     []uint64 // their non-zero masks
	freq      [4][257]int64
	out       bitWriter
}

func (e *encoder) newBand() *band {
	pw := e.mcuW * 16
	return &band{y: make([]int16, 16*pw), cb: make([]int16, 8*pw/2), cr: make([]int16, 8*pw/2)}
}

// blocksPerRow is the number of 8×8 blocks in one MCU row (4 Y + Cb + Cr per MCU).
func (e *encoder) blocksPerRow() int { return e.mcuW * 6 }

// quantRow converts MCU row my and calls fn for each quantised block in
// scan order with its component (0 Y, 1 Cb, 2 Cr).
func (e *encoder) quantRow(b *band, my int, fn func(comp int, q *[64]int16, nz uint64)) {
	if e.ycc != nil {
		e.planarRow(b, my)
	} else {
		e.convertRow(b, my)
	}
	pw := e.mcuW * 16
	cw := pw / 2
	for mx := 0; mx < e.mcuW; mx++ {
		x := mx * 16
		for i := 0; i < 4; i++ {
			off := (i>>1)*8*pw + x + (i&1)*8
			nz := fdctQuant(b.y[off:], pw, &e.recip[0], &b.blk)
			fn(0, &b.blk, nz)
		}
		nz := fdctQuant(b.cb[mx*8:], cw, &e.recip[1], &b.blk)
		fn(1, &b.blk, nz)
		nz = fdctQuant(b.cr[mx*8:], cw, &e.recip[1], &b.blk)
		fn(2, &b.blk, nz)
	}
}

// encodeBand entropy-codes MCU rows [r0, r1) into b.out (standard or already
// built tables), padding the last byte.
func (e *encoder) encodeBand(b *band, r0, r1 int) {
	var pred [3]int32
	tab := func(comp int) (*codeTable, *codeTable) {
		if comp == 0 {
			return &e.codes[0], &e.codes[1]
		}
		return &e.codes[2], &e.codes[3]
	}
	if e.optimize {
		for i, nz := range b.masks {
			comp := i % 6
			comp = max(comp-3, 0)
			dc, ac := tab(comp)
			b.out.encodeBlock((*[64]int16)(b.coefs[i*64:i*64+64]), nz, &pred[comp], dc, ac)
		}
	} else {
		for my := r0; my < r1; my++ {
			e.quantRow(b, my, func(comp int, q *[64]int16, nz uint64) {
				dc, ac := tab(comp)
				b.out.encodeBlock(q, nz, &pred[comp], dc, ac)
			})
		}
	}
	b.out.flush()
}

// gatherBand quantises rows [r0, r1) into b.coefs and counts symbols.
func (e *encoder) gatherBand(b *band, r0, r1 int) {
	n := (r1 - r0) * e.blocksPerRow()
	b.coefs = make([]int16, 0, n*64)
	b.masks = make([]uint64, 0, n)
	var pred [3]int32
	for my := r0; my < r1; my++ {
		e.quantRow(b, my, func(comp int, q *[64]int16, nz uint64) {
			b.coefs = append(b.coefs, q[:]...)
			b.masks = append(b.masks, nz)
			t := 0
			if comp > 0 {
				t = 2
			}
			countBlock(q, nz, &pred[comp], &b.freq[t], &b.freq[t+1])
		})
	}
}

// forBands runs fn on every band, in parallel when there are several.
func (e *encoder) forBands(bands []*band, fn func(b *band, r0, r1 int)) {
	rows := e.rows
	if rows == 0 {
		rows = e.mcuH
	}
	n := len(bands)
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i, b := range bands {
			fn(b, i*rows, min((i+1)*rows, e.mcuH))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(bands[i], i*rows, min((i+1)*rows, e.mcuH))
			}
		})
	}
	wg.Wait()
}

func (e *encoder) encode(w io.Writer) error {
	nb := 1
	if e.rows > 0 {
		nb = (e.mcuH + e.rows - 1) / e.rows
	}
	bands := make([]*band, nb)
	for i := range bands {
		bands[i] = e.newBand()
	}
	if e.optimize {
		e.forBands(bands, e.gatherBand)
		var freq [4][257]int64
		for _, b := range bands {
			for t := range freq {
				for s := range freq[t] {
					freq[t][s] += b.freq[t][s]
				}
			}
		}
		for t := range e.spec {
			e.spec[t] = optimalSpec(&freq[t])
		}
	} else {
		e.spec = stdHuff
	}
	for t := range e.codes {
		e.codes[t] = e.spec[t].codes()
	}
	e.forBands(bands, e.encodeBand)

	hdr := e.header()
	size := len(hdr) + 2 + 2*nb
	for _, b := range bands {
		size += b.out.pos
	}
	out := make([]byte, 0, size)
	out = append(out, hdr...)
	for i, b := range bands {
		if i > 0 {
			out = append(out, 0xFF, byte(0xD0+(i-1)%8))
		}
		out = append(out, b.out.bytes()...)
	}
	out = append(out, 0xFF, 0xD9)
	_, err := w.Write(out)
	return err
}

// header returns SOI, APP0 (JFIF 1.01, no thumbnail), DQT, SOF0, DHT, DRI
// (when banded) and SOS.
func (e *encoder) header() []byte {
	h := []byte{0xFF, 0xD8,
		0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	// DQT: both 8-bit tables in one segment, zig-zag order.
	h = append(h, 0xFF, 0xDB, 0, 2+2*65)
	for t := range e.quant {
		h = append(h, byte(t))
		for k := 0; k < 64; k++ {
			h = append(h, e.quant[t][zigzag[k]])
		}
	}
	// SOF0: 8-bit, 3 components, Y 2×2 with table 0, Cb/Cr 1×1 with table 1.
	h = append(h, 0xFF, 0xC0, 0, 17, 8, byte(e.h>>8), byte(e.h), byte(e.w>>8), byte(e.w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	// DHT: all four tables in one segment.
	n := 2
	for _, s := range e.spec {
		n += 17 + len(s.vals)
	}
	h = append(h, 0xFF, 0xC4, byte(n>>8), byte(n))
	for i, s := range e.spec {
		// i: 0 DC0, 1 AC0, 2 DC1, 3 AC1 -> Tc<<4 | Th
		h = append(h, byte((i&1)<<4|i>>1))
		h = append(h, s.bits[:]...)
		h = append(h, s.vals...)
	}
	if e.rows > 0 {
		ri := e.rows * e.mcuW
		h = append(h, 0xFF, 0xDD, 0, 4, byte(ri>>8), byte(ri))
	}
	h = append(h, 0xFF, 0xDA, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	return h
}
