package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/imgflow/imgflow/internal/imaging/heif"
	"github.com/imgflow/imgflow/internal/imaging/hevc"
)

// maxHEICBytes bounds how much of a HEIC source decodeHEIC reads into
// memory (the container needs random access). validate refuses larger
// uploads long before (MAX_BYTES, 100 MiB by default).
const maxHEICBytes = 256 << 20

// decodeHEIC decodes the primary image of a HEIC file: package heif reads
// the container and assembles the grid, package hevc decodes each coded
// item. The result is the clean aperture in stored orientation (the
// pipeline applies Info.Orientation, which Probe took from irot/imir), as
// a yccImage converting with the picture's own matrix and range, an
// *image.Gray (monochrome), or NRGBA/NRGBA64 when heif could not assemble
// planes. Samples deeper than 8 bits are rounded to 8 (hevc.Planes8).
//
// Tiles of a grid are decoded in parallel, up to GOMAXPROCS at a time,
// a few tiles ahead of the assembly, so memory stays the output plus a
// handful of tiles; a single coded item is decoded with GOMAXPROCS
// workers (hevc decodes its WPP rows in parallel). want is ignored: HEVC has no cheap reduced decode.
//
// A decodeFunc is not given the caller's Limits, only the Info that
// checkLimitsStep accepted, so the limits applied here are those Info
// implies (heicInfoLimits); decodeHEICLimits applies the caller's.
func decodeHEIC(ctx context.Context, r io.Reader, info Info, _ image.Point) (image.Image, error) {
	return decodeHEICLimits(ctx, r, info, heicInfoLimits(info), runtime.GOMAXPROCS(0))
}

// heicInfoLimits are the limits an Info accepted by Limits.Check implies:
// at least its own size, at least the defaults (probe checked the
// uncropped image against the caller's MaxPixels, which may exceed the
// cropped size Info holds).
func heicInfoLimits(info Info) Limits {
	return Limits{
		MaxPixels: max(info.Pixels(), DefaultMaxPixels),
		MaxSide:   max(info.Width, info.Height, DefaultMaxSide),
	}
}

// decodeHEICWorkers is decodeHEIC with workers tile decoders.
func decodeHEICWorkers(ctx context.Context, r io.Reader, info Info, workers int) (image.Image, error) {
	return decodeHEICLimits(ctx, r, info, heicInfoLimits(info), workers)
}

// decodeHEICLimits is decodeHEIC with the caller's limits, checked from the
// header before any pixel buffer is allocated, as the JPEG path checks the
// frame header: the container refuses a primary image (ispe, or a grid's
// output size) above lim's MaxPixels and tiles covering more than twice
// that (*LimitError); the clean aperture is then checked with lim.Check
// (*LimitError, *SideLimitError) and must be the size info declares
// (*FormatError otherwise: the source changed since Probe).
func decodeHEICLimits(ctx context.Context, r io.Reader, info Info, lim Limits, workers int) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxHEICBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxHEICBytes {
		return nil, &UnsupportedError{Format: string(HEIC), Reason: fmt.Sprintf("file larger than %d bytes", maxHEICBytes)}
	}
	f, err := heif.Parse(bytes.NewReader(data), int64(len(data)), &heif.Options{MaxPixels: lim.maxPixels()})
	if err != nil {
		return nil, heicError(err)
	}
	img, err := f.PrimaryImage()
	if err != nil {
		return nil, heicError(err)
	}
	if err := checkHEICSize(img, info, lim); err != nil {
		return nil, err
	}
	k, err := heicCoeffs(img)
	if err != nil {
		return nil, heicError(err)
	}
	codec := &hevcCodec{}
	if !heicPlanar(img) && !k.jfif() {
		// heif assembles through color.Model conversion (JFIF): convert
		// each colour tile to RGB first with the right coefficients.
		codec.rgb = k
	}
	pf := newTilePrefetch(f, img, codec, workers)
	// The workers go to the items decoded at once (grid tiles), and what
	// is left to each item's WPP rows: a single item gets all of them,
	// grid tiles one each, so the two levels do not oversubscribe.
	codec.workers = max(workers, 1) / max(min(len(pf.seq), workers), 1)
	out, err := pf.decode(ctx)
	if err != nil {
		return nil, heicError(err)
	}
	return wrapHEIC(out, k), nil
}

// checkHEICSize checks the clean aperture of img (its stored size) with
// lim, as checkLimitsStep checks Info, and against info's size.
func checkHEICSize(img *heif.Image, info Info, lim Limits) error {
	crop := img.Layout.Crop
	if crop.Empty() {
		crop = image.Rect(0, 0, img.Width, img.Height)
	}
	stored := Info{Format: HEIC, Width: crop.Dx(), Height: crop.Dy()}
	if err := lim.Check(stored); err != nil {
		return err
	}
	if stored.Width != info.Width || stored.Height != info.Height {
		return &FormatError{Format: HEIC, Reason: fmt.Sprintf("image is %dx%d, the header read before said %dx%d", stored.Width, stored.Height, info.Width, info.Height)}
	}
	return nil
}

// heicCoeffs picks the Y'CbCr→RGB conversion: the nclx colour box when there
// is one, else the first coded item's VUI (hevc reports unspecified matrix
// 2, which is BT.601, when it has none).
func heicCoeffs(img *heif.Image) (*yccCoeffs, error) {
	if n := img.Color.NCLX; n != nil {
		return newYCCCoeffs(int(n.Matrix), n.FullRange), nil
	}
	c := img.Coded
	if img.Grid != nil && len(img.Grid.Tiles) > 0 {
		c = &img.Grid.Tiles[0]
	}
	if c == nil {
		return newYCCCoeffs(6, true), nil
	}
	hc, err := hevc.ParseHvcC(c.Config)
	if err != nil {
		return nil, err
	}
	cfg, err := hevc.DecodeConfig(hc.ParamSets)
	if err != nil {
		return nil, err
	}
	return newYCCCoeffs(cfg.MatrixCoeffs, cfg.FullRange), nil
}

// heicPlanar reports whether heif will assemble the tiles plane by plane
// (the crop origin and tile sizes on chroma sample boundaries; see
// heif.File.Decode), assuming 4:2:0, the strictest layout.
func heicPlanar(img *heif.Image) bool {
	even := func(v int) bool { return v%2 == 0 }
	ok := even(img.Layout.Crop.Min.X) && even(img.Layout.Crop.Min.Y)
	if img.Grid != nil {
		ok = ok && even(img.Grid.TileWidth) && even(img.Grid.TileHeight)
	}
	return ok
}

// wrapHEIC gives heif's output the picture's colour conversion: planes
// become a yccImage, limited-range monochrome is expanded in place.
func wrapHEIC(m image.Image, k *yccCoeffs) image.Image {
	switch m := m.(type) {
	case *image.YCbCr:
		return &yccImage{YCbCr: m, k: k}
	case *image.NYCbCrA:
		return &yccImage{YCbCr: &m.YCbCr, alpha: m.A, aStride: m.AStride, k: k}
	case *image.Gray:
		if k.yOff != 0 {
			lut := k.expandLUT()
			for i, v := range m.Pix {
				m.Pix[i] = lut[v]
			}
		}
	case *image.NRGBA: // monochrome with alpha
		if k.yOff != 0 {
			lut := k.expandLUT()
			for i := 0; i+3 < len(m.Pix); i += 4 {
				m.Pix[i], m.Pix[i+1], m.Pix[i+2] = lut[m.Pix[i]], lut[m.Pix[i+1]], lut[m.Pix[i+2]]
			}
		}
	}
	return m
}

// hevcCodec is heif's Codec over package hevc: 8-bit planes as
// *image.YCbCr (or *image.Gray for monochrome and alpha items), or, when
// rgb is set, colour items converted to *image.NRGBA64 with rgb.
type hevcCodec struct {
	rgb     *yccCoeffs
	workers int // hevc.Options.Workers for each item
}

var _ heif.Codec = (*hevcCodec)(nil)

func (hc *hevcCodec) DecodeItem(ctx context.Context, c *heif.Coded, data []byte) (image.Image, error) {
	return hc.decode(ctx, c, data, false)
}

// decode decodes one item; alpha items always come back as *image.Gray
// (their luma). The HEVC picture may not be much larger than the item's
// ispe: a tiny tile cannot make the decoder allocate a level-6.2 picture.
func (hc *hevcCodec) decode(ctx context.Context, c *heif.Coded, data []byte, alpha bool) (image.Image, error) {
	cfg, err := hevc.ParseHvcC(c.Config)
	if err != nil {
		return nil, err
	}
	const slack = 64 // coded sizes round up to the CTB
	w, h := c.Width+slack, c.Height+slack
	pic, err := hevc.DecodeSample(ctx, cfg, data, &hevc.Options{MaxWidth: w, MaxHeight: h, MaxPixels: int64(w) * int64(h), Workers: hc.workers})
	if err != nil {
		return nil, err
	}
	y, cb, cr := pic.Planes8()
	r := image.Rect(0, 0, pic.Width, pic.Height)
	if alpha || pic.ChromaFormat == hevc.Chroma400 {
		return &image.Gray{Pix: y, Stride: pic.Width, Rect: r}, nil
	}
	ratio := image.YCbCrSubsampleRatio420
	switch pic.ChromaFormat {
	case hevc.Chroma422:
		ratio = image.YCbCrSubsampleRatio422
	case hevc.Chroma444:
		ratio = image.YCbCrSubsampleRatio444
	}
	m := &image.YCbCr{Y: y, Cb: cb, Cr: cr, YStride: pic.Width, CStride: pic.ChromaWidth, SubsampleRatio: ratio, Rect: r}
	if hc.rgb == nil {
		return m, nil
	}
	out := image.NewNRGBA64(r)
	rows := (&yccImage{YCbCr: m, k: hc.rgb}).rows()
	row := make([]uint8, 4*pic.Width)
	for yy := 0; yy < pic.Height; yy++ {
		rows(yy, row)
		d := out.Pix[yy*out.Stride:]
		for i, v := range row {
			d[2*i], d[2*i+1] = v, v
		}
	}
	return out, nil
}

// tilePrefetch decodes the coded items heif.File.Decode will ask for
// (the colour tiles that meet the crop, then the alpha plane's) with
// several workers, at most window items ahead of the one heif wants next,
// and hands them over in order. An item asked for out of the predicted
// order is decoded on the spot.
type tilePrefetch struct {
	f     *heif.File
	img   *heif.Image
	codec *hevcCodec
	seq   []prefetchItem

	workers int
	next    int // index in seq heif asks for next
	window  chan struct{}
	results []chan prefetchResult
	taken   atomic.Int64
}

type prefetchItem struct {
	c     *heif.Coded
	alpha bool
}

type prefetchResult struct {
	m   image.Image
	err error
}

func newTilePrefetch(f *heif.File, img *heif.Image, codec *hevcCodec, workers int) *tilePrefetch {
	p := &tilePrefetch{f: f, img: img, codec: codec, workers: max(workers, 1)}
	p.seq = visibleItems(img, img.Layout.Crop, false, p.seq)
	if img.Alpha != nil {
		p.seq = visibleItems(img.Alpha, img.Layout.Crop, true, p.seq)
	}
	return p
}

// visibleItems appends the coded items of img that meet crop, in the
// order heif decodes them (row-major).
func visibleItems(img *heif.Image, crop image.Rectangle, alpha bool, seq []prefetchItem) []prefetchItem {
	if crop.Empty() {
		crop = image.Rect(0, 0, img.Width, img.Height)
	}
	if img.Grid == nil {
		if img.Coded != nil {
			seq = append(seq, prefetchItem{c: img.Coded, alpha: alpha})
		}
		return seq
	}
	g := img.Grid
	for i := range g.Tiles {
		t := &g.Tiles[i]
		at := image.Pt(i%g.Columns*g.TileWidth, i/g.Columns*g.TileHeight)
		if !image.Rect(at.X, at.Y, at.X+t.Width, at.Y+t.Height).Overlaps(crop) {
			continue
		}
		seq = append(seq, prefetchItem{c: t, alpha: alpha})
	}
	return seq
}

// decode runs heif's Decode with the prefetching workers; they stop, and
// are waited for, before it returns.
func (p *tilePrefetch) decode(ctx context.Context) (image.Image, error) {
	if len(p.seq) < 2 || p.workers < 2 {
		return p.f.Decode(ctx, p.img, p)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	p.window = make(chan struct{}, p.workers+2)
	p.results = make([]chan prefetchResult, len(p.seq))
	for i := range p.results {
		p.results[i] = make(chan prefetchResult, 1)
	}
	for range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx)
		}()
	}
	return p.f.Decode(ctx, p.img, p)
}

// work takes the next item in order, once a window slot is free, decodes
// it and posts the result.
func (p *tilePrefetch) work(ctx context.Context) {
	for {
		select {
		case p.window <- struct{}{}:
		case <-ctx.Done():
			return
		}
		i := int(p.taken.Add(1) - 1)
		if i >= len(p.seq) {
			<-p.window
			return
		}
		it := p.seq[i]
		data, err := p.f.ItemData(it.c.ID)
		var m image.Image
		if err == nil {
			m, err = p.codec.decode(ctx, it.c, data, it.alpha)
		}
		p.results[i] <- prefetchResult{m: m, err: err}
	}
}

// DecodeItem is heif's Codec: the prefetched result when c is the item
// predicted next, else a decode on the spot.
func (p *tilePrefetch) DecodeItem(ctx context.Context, c *heif.Coded, data []byte) (image.Image, error) {
	if p.next < len(p.seq) && p.seq[p.next].c.ID == c.ID {
		it := p.seq[p.next]
		if p.results == nil { // no workers
			p.next++
			return p.codec.decode(ctx, c, data, it.alpha)
		}
		select {
		case r := <-p.results[p.next]:
			p.next++
			<-p.window
			return r.m, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return p.codec.decode(ctx, c, data, false)
}
