package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgflow/imgflow/internal/heifmux"
	"github.com/imgflow/imgflow/internal/imaging/heif"
	"github.com/imgflow/imgflow/internal/imaging/hevc"
)

// heicFixture returns the bytes of a HEIC test file: heif's fixtures
// (heif/testdata/<case>/image.heic) or ours (testdata/heic/<case>).
func heicFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHEICMatchesHeifConvert decodes each fixture and compares it with
// libheif's heif-convert output (testdata/heic/<case>/heif-convert.png,
// made by libheif 1.15: orientation, crop, alpha, colour conversion; 16-bit
// for 10-bit input). libheif converts 10-bit samples without first
// rounding them to 8 bits, hence the tolerance. libheif 1.15 also takes
// the nearest chroma sample where we interpolate (chromaUpsampler), so
// the tight bound holds for our planes converted the same way
// (nearestRows) and the pipeline's output gets a looser one.
func TestHEICMatchesHeifConvert(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		w, h    int // displayed size
		minPSNR float64
		// refPrimaries: heif-convert leaves the nclx primaries' values
		// as they are; we map them to sRGB, so the reference is mapped too.
		refPrimaries int
	}{
		{name: "single", file: "heif/testdata/single/image.heic", w: 64, h: 64, minPSNR: 45},
		{name: "grid-crop", file: "heif/testdata/grid-crop/image.heic", w: 64, h: 48, minPSNR: 45},
		{name: "alpha", file: "heif/testdata/alpha/image.heic", w: 64, h: 48, minPSNR: 45},
		// An Exif Orientation 6 without irot: not rotated.
		{name: "exif-orientation", file: "heif/testdata/exif-orientation/image.heic", w: 64, h: 64, minPSNR: 45},
		// 2×2 grid cropped by clap, irot+imir (orientation 7), alpha grid, nclx.
		{name: "iphone-grid", file: "heif/testdata/iphone-grid/image.heic", w: 96, h: 110, minPSNR: 45, refPrimaries: 12},
		{name: "limited-709", file: "testdata/heic/limited-709/image.heic", w: 96, h: 72, minPSNR: 45},
		{name: "10bit-2020", file: "testdata/heic/10bit-2020/image.heic", w: 96, h: 72, minPSNR: 40},
		{name: "rgb-444", file: "testdata/heic/rgb-444/image.heic", w: 96, h: 72, minPSNR: 45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, info, err := Decode(context.Background(), bytes.NewReader(heicFixture(t, tt.file)), Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if info.Format != HEIC {
				t.Errorf("Format = %q, want heic", info.Format)
			}
			if b := got.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.w, tt.h)
			}
			ref := readPNG(t, filepath.Join("testdata/heic", tt.name, "heif-convert.png"))
			if tt.refPrimaries != 0 {
				r := image.NewNRGBA(ref.Bounds())
				for y := 0; y < r.Rect.Dy(); y++ {
					for x := 0; x < r.Rect.Dx(); x++ {
						r.Set(x, y, ref.At(x, y))
					}
				}
				primariesTransform(tt.refPrimaries).apply(r.Pix)
				ref = r
			}
			if ref.Bounds().Size() != got.Bounds().Size() {
				t.Fatalf("heif-convert size %v, ours %v", ref.Bounds().Size(), got.Bounds().Size())
			}
			if p := psnr(got, ref); p < tt.minPSNR-10 {
				t.Errorf("PSNR against heif-convert %.1f dB, want >= %.0f", p, tt.minPSNR-10)
			}
			nearest := decodeHEICNearest(t, heicFixture(t, tt.file), info)
			if p := psnr(nearest, ref); p < tt.minPSNR {
				t.Errorf("PSNR against heif-convert with nearest chroma %.1f dB, want >= %.0f", p, tt.minPSNR)
			}
		})
	}
}

// decodeHEICNearest is Decode converting planes with the nearest chroma
// sample, as libheif 1.15 does: decodeHEIC, nearestRows, the nclx
// primaries, the orientation.
func decodeHEICNearest(t testing.TB, data []byte, info Info) *image.NRGBA {
	t.Helper()
	m, err := decodeHEIC(context.Background(), bytes.NewReader(data), info, image.Point{})
	if err != nil {
		t.Fatal(err)
	}
	var out *image.NRGBA
	if y, ok := m.(*yccImage); ok {
		out = image.NewNRGBA(y.Rect)
		rows := nearestRows(y)
		for r := range y.Rect.Dy() {
			rows(r, out.Pix[r*out.Stride:])
			if y.alpha != nil {
				for x, a := range y.alpha[r*y.aStride:][:y.Rect.Dx()] {
					out.Pix[r*out.Stride+4*x+3] = a
				}
			}
		}
	} else if out, err = toNRGBA(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	f, err := heif.Parse(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.PrimaryImage()
	if err != nil {
		t.Fatal(err)
	}
	if n := img.Color.NCLX; n != nil && img.Color.ICC == nil {
		if ct := primariesTransform(int(n.Primaries)); ct != nil {
			ct.apply(out.Pix)
		}
	}
	return orient(out, info.Orientation)
}

func readPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// psnr compares straight 8-bit RGBA (references deeper than 8 bits are
// rounded), all four channels.
func psnr(a *image.NRGBA, ref image.Image) float64 {
	var se float64
	n := 0
	b := a.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := color.NRGBA64Model.Convert(ref.At(ref.Bounds().Min.X+x, ref.Bounds().Min.Y+y)).(color.NRGBA64)
			r8 := func(v uint16) float64 { return math.Round(float64(v) / 257) }
			p := a.Pix[a.PixOffset(x, y):]
			for i, v := range []float64{r8(c.R), r8(c.G), r8(c.B), r8(c.A)} {
				d := float64(p[i]) - v
				se += d * d
				n++
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

// TestHEICOrientation checks that the displayed image is the stored one
// with heif.Layout's crop and orientation applied, and that the Exif
// item's orientation is not applied as well.
func TestHEICOrientation(t *testing.T) {
	tests := []struct {
		name            string
		file            string
		wantOrientation int
		wantEXIF        bool
	}{
		{name: "no transforms", file: "heif/testdata/single/image.heic", wantOrientation: 1},
		{name: "exif orientation 6 ignored", file: "heif/testdata/exif-orientation/image.heic", wantOrientation: 1, wantEXIF: true},
		{name: "irot imir clap", file: "heif/testdata/iphone-grid/image.heic", wantOrientation: 7, wantEXIF: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := heicFixture(t, tt.file)
			f, err := heif.Parse(bytes.NewReader(data), int64(len(data)), nil)
			if err != nil {
				t.Fatal(err)
			}
			img, err := f.PrimaryImage()
			if err != nil {
				t.Fatal(err)
			}
			info, err := Probe(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if info.Orientation != tt.wantOrientation || info.Orientation != img.Layout.Orientation || info.HasEXIF != tt.wantEXIF {
				t.Errorf("Probe: orientation %d (layout %d, want %d), HasEXIF %v", info.Orientation, img.Layout.Orientation, tt.wantOrientation, info.HasEXIF)
			}
			if info.Width != img.Layout.Crop.Dx() || info.Height != img.Layout.Crop.Dy() {
				t.Errorf("Probe size %dx%d, layout crop %v", info.Width, info.Height, img.Layout.Crop)
			}
			stored, err := decodeHEIC(context.Background(), bytes.NewReader(data), info, image.Point{})
			if err != nil {
				t.Fatal(err)
			}
			rgba, err := toNRGBA(context.Background(), stored)
			if err != nil {
				t.Fatal(err)
			}
			if n := img.Color.NCLX; n != nil {
				if ct := primariesTransform(int(n.Primaries)); ct != nil {
					ct.apply(rgba.Pix)
				}
			}
			want := orient(rgba, img.Layout.Orientation)
			got, _, err := Decode(context.Background(), bytes.NewReader(data), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Bounds().Dx() != img.Layout.Width || got.Bounds().Dy() != img.Layout.Height {
				t.Errorf("Decode size %v, layout %dx%d", got.Bounds().Size(), img.Layout.Width, img.Layout.Height)
			}
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("Decode differs from the stored image oriented by Layout.Orientation")
			}
		})
	}
}

// TestHEICProcess runs the whole pipeline: variants keep alpha in PNG and
// are upright.
func TestHEICProcess(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		spec      Spec
		w, h      int
		wantAlpha bool
	}{
		{name: "jpeg from grid", file: "heif/testdata/iphone-grid/image.heic", spec: Spec{LongSide: 55, Format: JPEG}, w: 48, h: 55},
		{name: "png keeps alpha", file: "heif/testdata/iphone-grid/image.heic", spec: Spec{LongSide: 55, Format: PNG}, w: 48, h: 55, wantAlpha: true},
		{name: "png from alpha item", file: "heif/testdata/alpha/image.heic", spec: Spec{Format: PNG}, w: 64, h: 48, wantAlpha: true},
		{name: "limited range", file: "testdata/heic/limited-709/image.heic", spec: Spec{LongSide: 48, Format: JPEG}, w: 48, h: 36},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			res, err := Process(context.Background(), bytes.NewReader(heicFixture(t, tt.file)), &out, tt.spec, Limits{})
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if res.Width != tt.w || res.Height != tt.h {
				t.Errorf("output %dx%d, want %dx%d", res.Width, res.Height, tt.w, tt.h)
			}
			m := decodeOutput(t, out.Bytes())
			hasAlpha := false
			b := m.Bounds()
			for y := b.Min.Y; y < b.Max.Y && !hasAlpha; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if _, _, _, a := m.At(x, y).RGBA(); a != 0xffff {
						hasAlpha = true
						break
					}
				}
			}
			if hasAlpha != tt.wantAlpha {
				t.Errorf("output has alpha %v, want %v", hasAlpha, tt.wantAlpha)
			}
		})
	}
}

// TestHEICRejections: hostile or unsupported HEIF input gives typed errors.
func TestHEICRejections(t *testing.T) {
	grid := heicFixture(t, "heif/testdata/iphone-grid/image.heic")
	single := heicFixture(t, "heif/testdata/single/image.heic")
	tests := []struct {
		name  string
		data  []byte
		lim   Limits
		check func(error) bool
	}{
		{name: "avif", data: heicFixture(t, "heif/testdata/avif/image.avif"), check: func(err error) bool {
			var ue *UnsupportedError
			return errors.As(err, &ue) && ue.Format == "avif" && bytes.Contains([]byte(err.Error()), []byte("AVIF"))
		}},
		{name: "ftyp only", data: []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), check: isHEICFormatErr},
		{name: "truncated meta", data: grid[:200], check: isHEICFormatErr},
		{name: "truncated item data", data: single[:len(single)-100], check: isHEICFormatErr},
		{name: "over MaxPixels", data: grid, lim: Limits{MaxPixels: 5000}, check: func(err error) bool {
			var le *LimitError
			return errors.As(err, &le)
		}},
		{name: "over MaxSide", data: grid, lim: Limits{MaxSide: 100}, check: func(err error) bool {
			var se *SideLimitError
			return errors.As(err, &se)
		}},
		// The hostile list of issue 10, each a typed error that
		// rejection.FromImaging turns into TooManyPixels, CorruptHeader
		// (while validate reads the header) or CorruptImage.
		{name: "huge ispe", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			f.Items[len(f.Items)-1].Props[0].Box = heifmux.Ispe(1<<20, 1<<20)
			f.Items[len(f.Items)-1].Data = heifmux.GridData(2, 2, 1<<20, 1<<20)
			return f.Bytes()
		}(), check: isHEICLimitErr},
		{name: "huge ispe on a tile", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			f.Items[0].Props[1].Box = heifmux.Ispe(1<<20, 1<<20)
			return f.Bytes()
		}(), check: isHEICLimitErr},
		{name: "iloc extent past the end of the file", data: func() []byte {
			b := heicGridFromFixture(t, 2, 2)
			return b[:len(b)-10] // the last tile's extent runs past the end
		}(), check: isHEICFormatErr},
		{name: "iref loop: grid is its own tile", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			f.Refs[0].To[3] = 1
			return f.Bytes()
		}(), check: isHEICFormatErr},
		{name: "iref loop: iden cycle", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			f.Primary = 100
			f.Items = append(f.Items, heifmux.Item{ID: 100, Type: "iden", NoLocation: true}, heifmux.Item{ID: 101, Type: "iden", NoLocation: true})
			f.Refs = append(f.Refs, heifmux.Ref{Type: "dimg", From: 100, To: []uint32{101}}, heifmux.Ref{Type: "dimg", From: 101, To: []uint32{100}})
			return f.Bytes()
		}(), check: isHEICFormatErr},
		// A grid descriptor holds at most 256×256 tiles (8-bit counts),
		// whose output is then at least 255 tiles wide and high (every
		// tile must reach into it): 10^6 tiles can only be asked for by
		// references.
		{name: "grid of 256x256 tiles", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			g := &f.Items[len(f.Items)-1]
			g.Data = heifmux.GridData(256, 256, 256*64, 256*64)
			g.Props[0].Box = heifmux.Ispe(256*64, 256*64)
			return f.Bytes()
		}(), check: isHEICLimitErr},
		{name: "grid with 10^6 tile references", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			ids := make([]uint32, 1_000_000)
			for i := range ids {
				ids[i] = uint32(2 + i%4)
			}
			f.Refs[0].To = ids
			return f.Bytes()
		}(), check: isHEICFormatErr},
		{name: "truncated NAL unit", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			d := f.Items[1].Data
			f.Items[1].Data = d[:len(d)*2/3] // its length prefix says more
			return f.Bytes()
		}(), check: isHEICFormatErr},
		{name: "NAL unit cut to its header", data: func() []byte {
			f := heicGridSpec(t, 2, 2)
			f.Items[2].Data = f.Items[2].Data[:6]
			return f.Bytes()
		}(), check: isHEICFormatErr},
		{name: "absurd SPS: all ones", data: heicWithSPS(t, 0xff), check: isHEICFormatErr},
		{name: "absurd SPS: all zeros", data: heicWithSPS(t, 0x00), check: isHEICFormatErr},
		{name: "corrupt slice data", data: func() []byte {
			b := append([]byte{}, single...)
			for i := len(b) - 150; i < len(b)-20; i++ {
				b[i] ^= 0x5a
			}
			return b
		}(), check: func(err error) bool { return err == nil || isHEICFormatErr(err) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(context.Background(), bytes.NewReader(tt.data), &bytes.Buffer{}, Spec{LongSide: 32, Format: JPEG}, tt.lim)
			if !tt.check(err) {
				t.Errorf("Process error = %T %v", err, err)
			}
		})
	}
}

// TestPrimariesTransform: nclx Display P3 gives the same transform as the
// Display P3 ICC profile; BT.709 and unspecified give none.
func TestPrimariesTransform(t *testing.T) {
	icc := parseICC(iccProfile(p3Colorants, paraSRGB()))
	tests := []struct {
		name string
		code int
		want *colorTransform
	}{
		{name: "display p3", code: 12, want: icc},
		{name: "bt709", code: 1},
		{name: "unspecified", code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := primariesTransform(tt.code)
			if (got == nil) != (tt.want == nil) {
				t.Fatalf("transform %v, want %v", got != nil, tt.want != nil)
			}
			if got == nil {
				return
			}
			for i := range 3 {
				for j := range 3 {
					if math.Abs(float64(got.m[i][j]-tt.want.m[i][j])) > 0.003 {
						t.Errorf("m[%d][%d] = %.4f, ICC path %.4f", i, j, got.m[i][j], tt.want.m[i][j])
					}
				}
			}
		})
	}
}

// heicWithSPS is a 2×2 grid whose tiles' hvcC SPS has every byte after
// its NAL header set to fill (absurd sizes, depths and Exp-Golomb codes
// longer than 32 bits).
func heicWithSPS(t testing.TB, fill byte) []byte {
	t.Helper()
	f := heicGridSpec(t, 2, 2)
	hb := f.Items[0].Props[0].Box
	c, err := hevc.ParseHvcC(hb[8:])
	if err != nil {
		t.Fatal(err)
	}
	var sps []byte
	for _, ps := range c.ParamSets {
		if len(ps) > 2 && ps[0]>>1&0x3f == 33 {
			sps = ps
		}
	}
	if sps == nil {
		t.Fatal("no SPS in the fixture's hvcC")
	}
	i := bytes.Index(hb, sps)
	nb := append([]byte(nil), hb...)
	for j := i + 2; j < i+len(sps); j++ {
		nb[j] = fill
	}
	for k := range f.Items {
		if f.Items[k].Type == "hvc1" {
			f.Items[k].Props[0].Box = nb
		}
	}
	return f.Bytes()
}

func isHEICLimitErr(err error) bool {
	var le *LimitError
	return errors.As(err, &le)
}

func isHEICFormatErr(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe) && fe.Format == HEIC
}

// TestHEICParallelTiles: the grid decoded by several workers equals the
// one decoded tile by tile, and a cancelled decode stops its workers.
func TestHEICParallelTiles(t *testing.T) {
	data := heicFixture(t, "heif/testdata/iphone-grid/image.heic")
	info, err := Probe(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	decode := func(ctx context.Context, workers int) (*image.NRGBA, error) {
		m, err := decodeHEICWorkers(ctx, bytes.NewReader(data), info, workers)
		if err != nil {
			return nil, err
		}
		return toNRGBA(context.Background(), m)
	}
	want, err := decode(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		workers int
	}{{"two", 2}, {"eight", 8}} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(context.Background(), tt.workers)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%d workers decode differently from one", tt.workers)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := decode(ctx, tt.workers); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled decode: %v, want context.Canceled", err)
			}
		})
	}
}
