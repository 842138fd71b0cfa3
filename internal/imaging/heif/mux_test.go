package heif

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/imgflow/imgflow/internal/heifmux"
)

var update = flag.Bool("update", false, "rewrite testdata/iphone-grid/image.heic from heif-enc tiles")

const iphoneGrid = "testdata/iphone-grid/image.heic"

// needTools skips the test unless libheif's (and libde265's) command-line
// tools are installed (apt-get install libheif-examples libde265-examples).
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s not installed", n)
		}
	}
}

// sourcePicture is 128x128 with a red top-left block on a gradient and a
// horizontal alpha ramp, so orientation, cropping and alpha show.
func sourcePicture() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 128, 128))
	for y := range 128 {
		for x := range 128 {
			c := color.NRGBA{uint8(40 + x*3/2), uint8(40 + y*3/2), 90, uint8(255 - x)}
			if x < 40 && y < 30 {
				c.R, c.G, c.B = 230, 30, 30
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// heifEnc encodes m with heif-enc and returns the file.
func heifEnc(t *testing.T, m image.Image, args ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.heic")
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("heif-enc", append(args, in, "-o", out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("heif-enc: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// codedOf extracts the hvcC property box and the data of a single-image
// file's primary item and of its alpha plane, with this package's parser.
func codedOf(t *testing.T, b []byte) (hvcC, data, alphaHvcC, alphaData []byte) {
	t.Helper()
	f, err := parseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.PrimaryImage()
	if err != nil || img.Coded == nil {
		t.Fatalf("PrimaryImage: %v (want one coded item)", err)
	}
	get := func(c *Coded) ([]byte, []byte) {
		d, err := f.ItemData(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return heifmux.Box("hvcC", c.Config), d
	}
	hvcC, data = get(img.Coded)
	if img.Alpha != nil {
		alphaHvcC, alphaData = get(img.Alpha.Coded)
	}
	return
}

// buildIPhoneLike assembles what an iPhone writes, from heif-enc tiles: a
// grid (item 1, descriptor in idat) of 2x2 hvc1 tiles (2-5) cropped to
// 120x100, an alpha grid (6) of tiles 7-10, an Exif item (11) with
// Orientation 6 that must be ignored, a thumbnail (12), and on the grid
// nclx colour, pixi, a clap and irot 3 (90° clockwise) and imir 0; the
// alpha grid has the same transforms (libheif applies an alpha plane's
// own transforms before attaching it).
func buildIPhoneLike(t *testing.T) []byte {
	src := sourcePicture()
	f := &heifmux.File{Primary: 1, Major: "heic", Compatible: []string{"mif1", "MiHE", "MiPr", "miaf", "MiHB", "heic"}}
	var tiles, alphaTiles []uint32
	for i := range 4 {
		tile := src.SubImage(image.Rect(i%2*64, i/2*64, i%2*64+64, i/2*64+64))
		hvcC, data, ahvcC, adata := codedOf(t, heifEnc(t, tile, "-q", "40"))
		if ahvcC == nil {
			t.Fatal("heif-enc wrote no alpha plane")
		}
		id, aid := uint32(2+i), uint32(7+i)
		f.Items = append(f.Items,
			heifmux.Item{ID: id, Type: "hvc1", Hidden: true, Data: data, Props: []heifmux.Prop{ess(hvcC), opt(heifmux.Ispe(64, 64))}},
			heifmux.Item{ID: aid, Type: "hvc1", Hidden: true, Data: adata, Props: []heifmux.Prop{ess(ahvcC), opt(heifmux.Ispe(64, 64))}})
		tiles, alphaTiles = append(tiles, id), append(alphaTiles, aid)
	}
	thumb := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	hvcC, data, _, _ := codedOf(t, heifEnc(t, thumb, "-q", "10", "--no-alpha"))
	f.Items = append(f.Items,
		heifmux.Item{ID: 1, Type: "grid", Data: heifmux.GridData(2, 2, 120, 100), InIdat: true, Props: []heifmux.Prop{
			opt(heifmux.Ispe(120, 100)), opt(heifmux.ColrNCLX(12, 13, 6, true)), opt(heifmux.Pixi(8, 8, 8)),
			ess(heifmux.Clap(110, 96, -10, -4)), ess(heifmux.Irot(3)), ess(heifmux.Imir(0)),
		}},
		heifmux.Item{ID: 6, Type: "grid", Hidden: true, Data: heifmux.GridData(2, 2, 120, 100), InIdat: true, Props: []heifmux.Prop{
			opt(heifmux.Ispe(120, 100)), ess(heifmux.AuxC(AuxAlphaHEVC)),
			ess(heifmux.Clap(110, 96, -10, -4)), ess(heifmux.Irot(3)), ess(heifmux.Imir(0)),
		}},
		heifmux.Item{ID: 11, Type: "Exif", Hidden: true, Data: append(heifmux.U32(6), append([]byte("Exif\x00\x00"), tiffBE...)...)},
		heifmux.Item{ID: 12, Type: "hvc1", Hidden: true, Data: data, Props: []heifmux.Prop{ess(hvcC), opt(heifmux.Ispe(64, 64))}},
	)
	f.Refs = []heifmux.Ref{
		{Type: "dimg", From: 1, To: tiles},
		{Type: "dimg", From: 6, To: alphaTiles},
		{Type: "auxl", From: 6, To: []uint32{1}},
		{Type: "thmb", From: 12, To: []uint32{1}},
		{Type: "cdsc", From: 11, To: []uint32{1}},
	}
	return f.Bytes()
}

// wantIPhoneGrid is what Probe and Info say about the iphone-grid fixture:
// clap 110x96 (centre moved 5 px left, 2 up) of the 120x100 grid, then a
// quarter turn clockwise and a top-bottom mirror (imir mode 0): EXIF
// orientation 7, as heif-convert shows.
var wantIPhoneGrid = Info{
	MajorBrand: "heic", Width: 110, Height: 96, Orientation: 7, HasAlpha: true, Grid: true, Tiles: 4,
	BitDepth: 8, ChromaFormat: 1, Color: Color{NCLX: &NCLX{Primaries: 12, Transfer: 13, Matrix: 6, FullRange: true}}, HasEXIF: true,
}

// TestMuxIPhoneGrid builds the iPhone-like file from fresh heif-enc tiles
// and has libheif check it: heif-info accepts it, and heif-convert's
// output has the size this package's Layout predicts.
func TestMuxIPhoneGrid(t *testing.T) {
	needTools(t, "heif-enc", "heif-info", "heif-convert")
	b := buildIPhoneLike(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "grid.heic")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("heif-info", path).CombinedOutput()
	if err != nil {
		t.Fatalf("heif-info rejects the muxed file: %v\n%s", err, out)
	}
	for _, want := range []string{`image: 96x110 \(id=1\), primary`, `alpha channel: yes`, `Exif: \d+ bytes`} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("heif-info output lacks %q:\n%s", want, out)
		}
	}
	f, err := parseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.PrimaryImage()
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Info(img); !reflect.DeepEqual(*got, wantIPhoneGrid) {
		t.Errorf("Info = %+v\nwant   %+v", *got, wantIPhoneGrid)
	}
	conv := filepath.Join(dir, "out.png")
	if out, err := exec.Command("heif-convert", path, conv).CombinedOutput(); err != nil {
		t.Fatalf("heif-convert: %v\n%s", err, out)
	}
	m := readPNG(t, conv)
	if m.Bounds().Dx() != img.Layout.Width || m.Bounds().Dy() != img.Layout.Height {
		t.Errorf("heif-convert wrote %v, Layout says %dx%d", m.Bounds().Size(), img.Layout.Width, img.Layout.Height)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(iphoneGrid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(iphoneGrid, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	m, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIPhoneGridFixture(t *testing.T) {
	b := readFixture(t, "iphone-grid/image.heic")
	info, err := Probe(onlyReader{bytes.NewReader(b)}, nil)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if len(info.Exif) < 8 || string(info.Exif[:2]) != "MM" {
		t.Errorf("Exif = %q, want the TIFF structure after the 6-byte offset", info.Exif)
	}
	info.Exif = nil
	if !reflect.DeepEqual(*info, wantIPhoneGrid) {
		t.Errorf("Probe = %+v\nwant    %+v", *info, wantIPhoneGrid)
	}
}

// dec265Codec decodes items with libde265's command-line decoder: the
// parameter sets and the item's NAL units, each with a 4-byte length, in
// one stream (dec265 -n); its 8-bit 4:2:0 output becomes an *image.YCbCr.
type dec265Codec struct{ dir string }

func (d dec265Codec) DecodeItem(_ context.Context, c *Coded, data []byte) (image.Image, error) {
	h, err := ParseHVCC(c.Config)
	if err != nil {
		return nil, err
	}
	nals, err := SplitNALUnits(data, h.LengthSize)
	if err != nil {
		return nil, err
	}
	var stream []byte
	for _, n := range append(append([][]byte(nil), h.ParamSets...), nals...) {
		stream = binary.BigEndian.AppendUint32(stream, uint32(len(n)))
		stream = append(stream, n...)
	}
	in, out := filepath.Join(d.dir, fmt.Sprintf("%d.nal", c.ID)), filepath.Join(d.dir, fmt.Sprintf("%d.yuv", c.ID))
	if err := os.WriteFile(in, stream, 0o644); err != nil {
		return nil, err
	}
	if b, err := exec.Command("libde265-dec265", "-q", "-n", "-t", "0", "-o", out, in).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dec265: %v: %s", err, b)
	}
	yuv, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	// dec265 writes the picture cropped to the SPS conformance window,
	// which heif-enc sets to the ispe.
	w, hh := c.Width, c.Height
	if h.ChromaFormat == 0 { // monochrome: an alpha plane
		g := image.NewGray(image.Rect(0, 0, w, hh))
		if len(yuv) != len(g.Pix) {
			return nil, fmt.Errorf("dec265 wrote %d bytes for %dx%d", len(yuv), w, hh)
		}
		copy(g.Pix, yuv)
		return g, nil
	}
	m := image.NewYCbCr(image.Rect(0, 0, w, hh), image.YCbCrSubsampleRatio420)
	if len(yuv) != len(m.Y)+len(m.Cb)+len(m.Cr) {
		return nil, fmt.Errorf("dec265 wrote %d bytes for %dx%d", len(yuv), w, hh)
	}
	copy(m.Y, yuv)
	copy(m.Cb, yuv[len(m.Y):])
	copy(m.Cr, yuv[len(m.Y)+len(m.Cb):])
	return m, nil
}

// TestDecodeAgainstLibheif decodes the fixtures with this package's grid
// assembly and layout over libde265, and compares with heif-convert
// (libheif over libde265) after the same colour conversion.
func TestDecodeAgainstLibheif(t *testing.T) {
	needTools(t, "libde265-dec265", "heif-convert")
	for _, name := range []string{"single/image.heic", "grid-crop/image.heic", "alpha/image.heic", "iphone-grid/image.heic"} {
		t.Run(name, func(t *testing.T) {
			b := readFixture(t, name)
			f, err := parseBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			img, err := f.PrimaryImage()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			m, err := f.Decode(context.Background(), img, dec265Codec{dir: dir})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got := orientNRGBA(toNRGBA(m, img.Color), img.Layout.Orientation)
			conv := filepath.Join(dir, "ref.png")
			if out, err := exec.Command("heif-convert", filepath.Join("testdata", name), conv).CombinedOutput(); err != nil {
				t.Fatalf("heif-convert: %v\n%s", err, out)
			}
			ref := readPNG(t, conv)
			if got.Bounds().Size() != ref.Bounds().Size() {
				t.Fatalf("size %v, heif-convert %v", got.Bounds().Size(), ref.Bounds().Size())
			}
			var sum [4]float64
			for y := 0; y < got.Bounds().Dy(); y++ {
				for x := 0; x < got.Bounds().Dx(); x++ {
					a := got.NRGBAAt(x, y)
					r := color.NRGBAModel.Convert(ref.At(x, y)).(color.NRGBA)
					for i, d := range [][2]uint8{{a.R, r.R}, {a.G, r.G}, {a.B, r.B}, {a.A, r.A}} {
						sum[i] += abs(float64(d[0]) - float64(d[1]))
					}
				}
			}
			// Same decoder, so differences come from chroma upsampling and
			// the YCbCr matrix only; a wrong tile, crop or orientation
			// gives tens.
			n := float64(got.Bounds().Dx() * got.Bounds().Dy())
			for i, s := range sum {
				if mean := s / n; mean > 3 {
					t.Errorf("channel %d: mean absolute difference to heif-convert %.2f, want <= 3", i, mean)
				}
			}
		})
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// toNRGBA converts with the nclx matrix (BT.601 when absent, as libheif
// assumes for files without colr) in full or limited range.
func toNRGBA(m image.Image, col Color) *image.NRGBA {
	b := m.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	full := col.NCLX == nil || col.NCLX.FullRange
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			var yy, cb, cr, a float64
			a = 255
			switch c := m.At(b.Min.X+x, b.Min.Y+y).(type) {
			case color.YCbCr:
				yy, cb, cr = float64(c.Y), float64(c.Cb), float64(c.Cr)
			case color.NYCbCrA:
				yy, cb, cr, a = float64(c.Y), float64(c.Cb), float64(c.Cr), float64(c.A)
			default:
				out.Set(x, y, c)
				continue
			}
			if !full {
				yy, cb, cr = (yy-16)*255/219, (cb-128)*255/224+128, (cr-128)*255/224+128
			}
			cb, cr = cb-128, cr-128
			clamp := func(v float64) uint8 { return uint8(max(0, min(255, v+0.5))) }
			out.SetNRGBA(x, y, color.NRGBA{clamp(yy + 1.402*cr), clamp(yy - 0.344136*cb - 0.714136*cr), clamp(yy + 1.772*cb), uint8(a)})
		}
	}
	return out
}

// orientNRGBA applies EXIF orientation o.
func orientNRGBA(m *image.NRGBA, o int) *image.NRGBA {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		for x := range dw {
			sx, sy := displayToStored(o, w, h, x, y)
			out.SetNRGBA(x, y, m.NRGBAAt(sx, sy))
		}
	}
	return out
}
