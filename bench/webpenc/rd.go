package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/imgflow/imgflow/bench/metric"
	"github.com/imgflow/imgflow/bench/reference"
	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/imaging/jpegenc"
	"github.com/imgflow/imgflow/internal/imaging/webpenc"
	"golang.org/x/image/webp"
)

type point struct {
	Q     int     `json:"q"`
	Bytes int     `json:"bytes"`
	SSIM  float64 `json:"ssim"`
}

// rdRow is one source at one output size.
type rdRow struct {
	File, Kind string
	Presets    string // preset sides that give this size (the engine never enlarges)
	W, H       int
	curves
	PNGBytes int // the engine's PNG of the same pixels (alpha sources)
	// Engine is the engine's own WebP of this variant at the reference
	// quality (one decode+resize+encode). For a JPEG source it is coded from
	// the planar Y′CbCr resize, not from these RGB pixels, so its bytes
	// differ from webpenc's point at the same quality; it must sit on the
	// same curve (EngineOnCurve: no more bytes than webpenc's curve needs for
	// its SSIM, within 2 %).
	Engine        point
	EngineOnCurve bool
	VsCWebP       float64
	VsJPEG        float64
	Alpha         bool
	OursALPH      int // ALPH chunk bytes at the reference quality (alpha sources)
	CWebPALPH     int
	RefQ          int
	// Ceiling is the SSIM of the pixels every encoder gets (the engine's
	// resize, on white) against the reference: no encoder can exceed it,
	// and RD curves flatten as they approach it.
	Ceiling float64
	// Ref is what the reference was built from; a source rendered through
	// its ICC profile is also measured against the plain conversion
	// (Plain), the reference earlier runs used, so the two can be compared.
	Ref   reference.Source
	ICC   bool          // the source has an embedded ICC profile
	Plain *plainFigures `json:",omitempty"`
}

// curves are the RD curves of the three encoders against one reference.
type curves struct {
	Ours, CWebP, JPEG []point
}

// plainFigures are a managed row's curves, ratios and ceiling against the
// plain (not colour-managed) reference.
type plainFigures struct {
	curves
	VsCWebP, VsJPEG float64
	Ceiling         float64
}

// refs are a source's full-size references: full is the one its row is
// measured against, plain the plain conversion when full is not it.
type refs struct {
	full, plain *reference.Image
	src         reference.Source
	icc         bool
}

type preset struct {
	Name     string `json:"name"`
	LongSide int    `json:"longSide"`
	Quality  int    `json:"quality"`
}

func readPresets(path string) ([]preset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct{ Presets []preset }
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(f.Presets) == 0 {
		return nil, fmt.Errorf("%s: no presets", path)
	}
	return f.Presets, nil
}

func defaultWebPQuality() int { return imaging.DefaultWebPQuality }

func kindOf(name string) string {
	switch {
	case len(name) > 4 && name[len(name)-4:] == ".png":
		return "alpha"
	case bytes.Contains([]byte(name), []byte("cmyk")):
		return "CMYK"
	case bytes.Contains([]byte(name), []byte("prog")):
		return "progressive"
	}
	return "baseline"
}

// rdSource measures one source file at every distinct output size of
// c.sides. Every WebP written is checked by v.
func rdSource(ctx context.Context, c *config, name string, v *validator) ([]rdRow, error) {
	path := filepath.Join(c.images, name)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	info, err := imaging.Probe(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: probe: %w", name, err)
	}
	rd := refs{icc: info.HasICC}
	if rd.full, rd.src, err = reference.Load(ctx, path, info.Orientation, info.HasICC, c.renderer(), c.work); err != nil {
		return nil, err
	}
	if rd.src != reference.Plain {
		if rd.plain, err = reference.LoadOriented(path, info.Orientation); err != nil {
			return nil, err
		}
	}
	var rows []rdRow
	bySize := map[[2]int]int{}
	for _, side := range c.sides {
		var pb bytes.Buffer
		out, err := imaging.Process(ctx, bytes.NewReader(data), &pb, imaging.Spec{LongSide: side, Format: imaging.PNG}, imaging.Limits{})
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", name, side, err)
		}
		key := [2]int{out.Width, out.Height}
		if i, ok := bySize[key]; ok {
			rows[i].Presets += fmt.Sprintf(",%d", side)
			continue
		}
		bySize[key] = len(rows)
		row, err := rdSize(ctx, c, name, data, pb.Bytes(), rd, side, v)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func rdSize(ctx context.Context, c *config, name string, data, pngBytes []byte, rd refs, side int, v *validator) (rdRow, error) {
	m, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return rdRow{}, err
	}
	in := image.NewNRGBA(m.Bounds())
	draw.Draw(in, in.Rect, m, m.Bounds().Min, draw.Src)
	w, h := in.Rect.Dx(), in.Rect.Dy()
	row := rdRow{File: name, Kind: kindOf(name), Presets: fmt.Sprint(side), W: w, H: h, PNGBytes: len(pngBytes), RefQ: c.quality, Ref: rd.src, ICC: rd.icc}
	row.Alpha = hasAlpha(in)
	ref := reference.Resize(rd.full, w, h)
	flat := flattenWhite(in)
	row.Ceiling = metric.SSIM(ref, flat)
	var plainRef image.Image
	if rd.plain != nil {
		plainRef = reference.Resize(rd.plain, w, h)
		row.Plain = &plainFigures{Ceiling: metric.SSIM(plainRef, flat)}
	}
	// add measures a decoded picture against the reference (and the plain
	// one) and appends its point to the chosen curve of each.
	add := func(curve func(*curves) *[]point, q, n int, dec image.Image) {
		c := curve(&row.curves)
		*c = append(*c, point{q, n, metric.SSIM(ref, dec)})
		if row.Plain != nil {
			c := curve(&row.Plain.curves)
			*c = append(*c, point{q, n, metric.SSIM(plainRef, dec)})
		}
	}
	ours := func(c *curves) *[]point { return &c.Ours }
	cwebp := func(c *curves) *[]point { return &c.CWebP }
	jpg := func(c *curves) *[]point { return &c.JPEG }
	base := fmt.Sprintf("%s-%d", name, side)
	pngPath := filepath.Join(c.work, base+".png")
	if err := os.WriteFile(pngPath, pngBytes, 0o644); err != nil {
		return rdRow{}, err
	}
	for _, q := range c.qs {
		if err := ctx.Err(); err != nil {
			return rdRow{}, err
		}
		var b bytes.Buffer
		if err := webpenc.Encode(ctx, &b, in, &webpenc.Options{Quality: q, Method: 4}); err != nil {
			return rdRow{}, err
		}
		if err := v.check(fmt.Sprintf("%s q%d (webpenc)", base, q), b.Bytes()); err != nil {
			return rdRow{}, err
		}
		d, err := decodeWebP(b.Bytes())
		if err != nil {
			return rdRow{}, err
		}
		add(ours, q, b.Len(), d)
		if q == c.quality {
			row.OursALPH = chunkSize(b.Bytes(), "ALPH")
		}

		cb, err := encCWebP(pngPath, q, c.work)
		if err != nil {
			return rdRow{}, err
		}
		if d, err = decodeWebP(cb); err != nil {
			return rdRow{}, err
		}
		add(cwebp, q, len(cb), d)
		if q == c.quality {
			row.CWebPALPH = chunkSize(cb, "ALPH")
		}

	}
	// JPEG also at q95 and q100, so that its curve reaches the SSIM of
	// WebP's upper qualities.
	for _, q := range append(append([]int(nil), c.qs...), 95, 100) {
		var jb bytes.Buffer
		if err := jpegenc.Encode(&jb, flat, &jpegenc.Options{Quality: q}); err != nil {
			return rdRow{}, err
		}
		d, err := jpeg.Decode(bytes.NewReader(jb.Bytes()))
		if err != nil {
			return rdRow{}, err
		}
		add(jpg, q, jb.Len(), d)
	}
	// The engine's WebP of this variant, as the resize Lambda writes it.
	var eb bytes.Buffer
	if _, err := imaging.Process(ctx, bytes.NewReader(data), &eb, imaging.Spec{LongSide: side, Format: imaging.WebP, Quality: c.quality}, imaging.Limits{}); err != nil {
		return rdRow{}, err
	}
	if err := v.check(fmt.Sprintf("%s q%d (engine)", base, c.quality), eb.Bytes()); err != nil {
		return rdRow{}, err
	}
	ed, err := decodeWebP(eb.Bytes())
	if err != nil {
		return rdRow{}, err
	}
	row.Engine = point{c.quality, eb.Len(), metric.SSIM(ref, ed)}
	row.EngineOnCurve = onCurve(row.Engine, row.Ours, 1.02)
	row.VsCWebP = bdRatio(row.Ours, row.CWebP)
	row.VsJPEG = bdRatio(row.Ours, row.JPEG)
	if p := row.Plain; p != nil {
		p.VsCWebP, p.VsJPEG = bdRatio(p.Ours, p.CWebP), bdRatio(p.Ours, p.JPEG)
	}
	fmt.Fprintf(&c.curves, "%s %dx%d (q, bytes, SSIM)\n  ours  %v\n  cwebp %v\n  jpeg  %v\n", name, w, h, row.Ours, row.CWebP, row.JPEG)
	fmt.Fprintf(os.Stderr, "webpenc: %s %dx%d done\n", name, w, h)
	return row, nil
}

func hasAlpha(m *image.NRGBA) bool {
	for i := 3; i < len(m.Pix); i += 4 {
		if m.Pix[i] != 255 {
			return true
		}
	}
	return false
}

// flattenWhite composites m over white (what the engine's JPEG fallback and
// the reference do with alpha).
func flattenWhite(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	copy(out.Pix, m.Pix)
	for i := 0; i < len(out.Pix); i += 4 {
		a := int(out.Pix[i+3])
		for c := 0; c < 3; c++ {
			out.Pix[i+c] = uint8((int(out.Pix[i+c])*a + 255*(255-a) + 127) / 255)
		}
		out.Pix[i+3] = 255
	}
	return out
}

// chunkSize is the payload size of the first RIFF chunk fourcc, or 0.
func chunkSize(b []byte, fourcc string) int {
	for i := 12; i+8 <= len(b); {
		n := int(b[i+4]) | int(b[i+5])<<8 | int(b[i+6])<<16 | int(b[i+7])<<24
		if string(b[i:i+4]) == fourcc {
			return n
		}
		i += 8 + n + n&1
	}
	return 0
}

func encCWebP(pngPath string, q int, tmp string) ([]byte, error) {
	out := filepath.Join(tmp, "c.webp")
	b, err := exec.Command("cwebp", "-quiet", "-m", "4", "-q", fmt.Sprint(q), pngPath, "-o", out).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("cwebp: %v: %s", err, b)
	}
	return os.ReadFile(out)
}

// decodeWebP decodes data with x/image/webp, converts its limited-range
// planes to RGB (BT.601 studio range, as libwebp; see bench/webp/README.md)
// and composites any alpha over white: the picture SSIM is measured on.
func decodeWebP(data []byte) (image.Image, error) {
	d, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return studioOnWhite(d), nil
}

func studioOnWhite(m image.Image) image.Image {
	var yc *image.YCbCr
	var a []uint8
	var as int
	switch t := m.(type) {
	case *image.YCbCr:
		yc = t
	case *image.NYCbCrA:
		yc, a, as = &t.YCbCr, t.A, t.AStride
	default:
		return m
	}
	b := yc.Rect
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			Y := (float64(yc.Y[yc.YOffset(x, y)]) - 16) * 255 / 219
			ci := yc.COffset(x, y)
			cb := (float64(yc.Cb[ci]) - 128) * 255 / 224
			cr := (float64(yc.Cr[ci]) - 128) * 255 / 224
			rgb := [3]float64{Y + 1.402*cr, Y - 0.344136*cb - 0.714136*cr, Y + 1.772*cb}
			al := 1.0
			if a != nil {
				al = float64(a[(y-b.Min.Y)*as+x-b.Min.X]) / 255
			}
			var px [3]uint8
			for i, v := range rgb {
				v = max(0, min(255, v))
				px[i] = uint8(math.Round(v*al + 255*(1-al)))
			}
			out.SetNRGBA(x, y, color.NRGBA{px[0], px[1], px[2], 255})
		}
	}
	return out
}

// bdRatio is exp(mean(log bytes_a − log bytes_b)) over the SSIM range both
// curves cover, each curve interpolated linearly in (SSIM, log bytes): the
// size ratio at equal SSIM averaged over that range. NaN when the ranges do
// not overlap.
func bdRatio(a, b []point) float64 {
	lo := math.Max(minS(a), minS(b))
	hi := math.Min(maxS(a), maxS(b))
	if hi <= lo {
		return math.NaN()
	}
	const n = 50
	var sum float64
	for i := 0; i <= n; i++ {
		s := lo + (hi-lo)*float64(i)/n
		sum += logBytesAt(a, s) - logBytesAt(b, s)
	}
	return math.Exp(sum / (n + 1))
}

func minS(p []point) float64 {
	m := math.Inf(1)
	for _, x := range p {
		m = math.Min(m, x.SSIM)
	}
	return m
}

func maxS(p []point) float64 {
	m := math.Inf(-1)
	for _, x := range p {
		m = math.Max(m, x.SSIM)
	}
	return m
}

func logBytesAt(p []point, s float64) float64 {
	q := append([]point(nil), p...)
	sort.Slice(q, func(i, j int) bool { return q[i].SSIM < q[j].SSIM })
	for i := 1; i < len(q); i++ {
		if s <= q[i].SSIM || i == len(q)-1 {
			a, b := q[i-1], q[i]
			t := 0.0
			if b.SSIM != a.SSIM {
				t = (s - a.SSIM) / (b.SSIM - a.SSIM)
			}
			return math.Log(float64(a.Bytes)) + t*(math.Log(float64(b.Bytes))-math.Log(float64(a.Bytes)))
		}
	}
	return math.Log(float64(q[0].Bytes))
}

// onCurve reports whether p needs no more than slack times the bytes the RD
// curve (points in increasing quality) needs for p's SSIM, interpolating
// log bytes linearly in SSIM; a p above the curve's SSIM range counts as on
// it when its bytes are within slack of the top point's.
func onCurve(p point, curve []point, slack float64) bool {
	if len(curve) == 0 {
		return false
	}
	for i := 1; i < len(curve); i++ {
		a, b := curve[i-1], curve[i]
		if p.SSIM < a.SSIM || p.SSIM > b.SSIM || b.SSIM == a.SSIM {
			continue
		}
		t := (p.SSIM - a.SSIM) / (b.SSIM - a.SSIM)
		want := math.Exp(math.Log(float64(a.Bytes)) + t*(math.Log(float64(b.Bytes))-math.Log(float64(a.Bytes))))
		return float64(p.Bytes) <= slack*want
	}
	if p.SSIM < curve[0].SSIM {
		return float64(p.Bytes) <= slack*float64(curve[0].Bytes)
	}
	return float64(p.Bytes) <= slack*float64(curve[len(curve)-1].Bytes)
}
