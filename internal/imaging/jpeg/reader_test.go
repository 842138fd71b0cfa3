package jpeg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fixtures are the files testdata/gen.sh makes from src.ppm (83x61).
var fixtures = []string{
	"b420.jpg", "b420q50.jpg", "b420q98.jpg", "b422.jpg", "b444.jpg", "b440.jpg",
	"b411.jpg", "gray.jpg", "rgb.jpg", "r420.jpg", "r444.jpg", "opt420.jpg", "ni420.jpg",
	"p420.jpg", "p422.jpg", "p444.jpg", "pgray.jpg", "pr420.jpg",
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// maxDiff returns the largest per-channel difference between two images of
// the same bounds, comparing planes directly when both are the same type.
func maxDiff(t *testing.T, got, want image.Image) int {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds: got %v, want %v", got.Bounds(), want.Bounds())
	}
	r := got.Bounds()
	md := 0
	switch g := got.(type) {
	case *image.YCbCr:
		w, ok := want.(*image.YCbCr)
		if !ok || w.SubsampleRatio != g.SubsampleRatio {
			break
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				gy, wy := g.YOffset(x, y), w.YOffset(x, y)
				gc, wc := g.COffset(x, y), w.COffset(x, y)
				md = max(md, absDiff(g.Y[gy], w.Y[wy]), absDiff(g.Cb[gc], w.Cb[wc]), absDiff(g.Cr[gc], w.Cr[wc]))
			}
		}
		return md
	case *image.CMYK:
		w, ok := want.(*image.CMYK)
		if !ok {
			break
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				a, b := g.CMYKAt(x, y), w.CMYKAt(x, y)
				md = max(md, absDiff(a.C, b.C), absDiff(a.M, b.M), absDiff(a.Y, b.Y), absDiff(a.K, b.K))
			}
		}
		return md
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			a := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			b := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			md = max(md, absDiff(a.R, b.R), absDiff(a.G, b.G), absDiff(a.B, b.B))
		}
	}
	return md
}

// TestDecodeMatchesStdlib: full-scale output equals image/jpeg's within
// +-2 per channel, in the same image type, for every fixture.
func TestDecodeMatchesStdlib(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			if name == "pr420.jpg" {
				// image/jpeg rejects progressive files with restart
				// intervals ("missing 0xff00 sequence"); djpeg and
				// TestProgressiveEqualsBaseline cover this file.
				t.Skip("image/jpeg cannot decode it")
			}
			b := readFixture(t, name)
			want, err := stdjpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("image/jpeg: %v", err)
			}
			got, err := Decode(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if gt, wt := fmt.Sprintf("%T", got), fmt.Sprintf("%T", want); gt != wt {
				t.Fatalf("type %s, image/jpeg gives %s", gt, wt)
			}
			if d := maxDiff(t, got, want); d > 2 {
				t.Errorf("max channel difference %d > 2", d)
			}
			if _, ok := want.(*image.YCbCr); ok && !strings.Contains(name, "444") {
				return // upsampled: DecodeRGBA is checked against djpeg
			}
			rgba, err := DecodeRGBA(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatalf("DecodeRGBA: %v", err)
			}
			// Colour conversion rounding adds at most 1 more.
			if d := maxDiff(t, rgba, want); d > 3 {
				t.Errorf("DecodeRGBA: max channel difference %d > 3", d)
			}
		})
	}
}

// readPNM reads a binary PPM (P6) or PGM (P5) as written by djpeg.
func readPNM(t *testing.T, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var magic string
	var w, h, maxv int
	if _, err := fmt.Fscan(br, &magic, &w, &h, &maxv); err != nil {
		t.Fatalf("pnm header: %v", err)
	}
	br.ReadByte()
	n := 3
	if magic == "P5" {
		n = 1
	}
	pix := make([]byte, w*h*n)
	if _, err := io.ReadFull(br, pix); err != nil {
		t.Fatalf("pnm data: %v", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		if n == 1 {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2] = pix[i], pix[i], pix[i]
		} else {
			copy(img.Pix[4*i:], pix[3*i:3*i+3])
		}
		img.Pix[4*i+3] = 255
	}
	return img
}

// TestScaledMatchesDjpeg: DecodeRGBA at 1/1, 1/2, 1/4 and 1/8 has djpeg's
// size and pixels: mean absolute error <= 0.1 and no channel off by more
// than 3 against `djpeg -scale 1/N` (islow IDCT, fancy upsampling). The
// reduced IDCTs are the same box averages, chroma of 4:2:0 is decoded at
// its own resolution at reduced scales, and chroma is upsampled with the
// same triangle filter (box at 1/8); only fixed-point rounding differs.
// At full scale the output must be bit-exact.
func TestScaledMatchesDjpeg(t *testing.T) {
	const bound, maxBound = 0.1, 3
	for _, f := range []string{"b420", "b422", "b444", "b440", "b411", "gray", "rgb", "p420", "p422", "pr420"} {
		for _, s := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/1:%d", f, s), func(t *testing.T) {
				want := readPNM(t, fmt.Sprintf("ref_%s_s%d.pnm", f, s))
				got, err := DecodeRGBA(bytes.NewReader(readFixture(t, f+".jpg")), &Options{Scale: s})
				if err != nil {
					t.Fatalf("DecodeRGBA: %v", err)
				}
				if got.Bounds() != want.Bounds() {
					t.Fatalf("bounds %v, djpeg %v", got.Bounds(), want.Bounds())
				}
				wp := want.(*image.RGBA).Pix
				sum, mx := 0, 0
				for i := range got.Pix {
					d := absDiff(got.Pix[i], wp[i])
					sum += d
					mx = max(mx, d)
				}
				mae := float64(sum) / float64(len(got.Pix)*3/4)
				t.Logf("mean abs error %.2f, max %d", mae, mx)
				n, err := DecodeNRGBA(bytes.NewReader(readFixture(t, f+".jpg")), &Options{Scale: s})
				if err != nil || !bytes.Equal(n.Pix, got.Pix) || n.Rect != got.Rect {
					t.Errorf("DecodeNRGBA differs from DecodeRGBA (err %v)", err)
				}
				if s == 1 && mx != 0 {
					t.Errorf("full scale differs from djpeg by %d, want bit-exact", mx)
				}
				if mae > bound || mx > maxBound {
					t.Errorf("mean abs error %.2f (max %d), want <= %.2f (max %d)", mae, mx, bound, maxBound)
				}
			})
		}
	}
}

// TestProgressiveEqualsBaseline: jpegtran -progressive keeps the
// coefficients, so the progressive decode must equal the baseline one
// exactly, at every scale (also with restart intervals in the progressive
// file).
func TestProgressiveEqualsBaseline(t *testing.T) {
	pairs := []struct{ name, prog, base string }{
		{"420", "p420.jpg", "b420.jpg"},
		{"422", "p422.jpg", "b422.jpg"},
		{"444", "p444.jpg", "b444.jpg"},
		{"gray", "pgray.jpg", "gray.jpg"},
		{"420 restart", "pr420.jpg", "b420.jpg"},
	}
	for _, p := range pairs {
		for _, s := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/1:%d", p.name, s), func(t *testing.T) {
				a, err := Decode(bytes.NewReader(readFixture(t, p.prog)), &Options{Scale: s})
				if err != nil {
					t.Fatalf("progressive: %v", err)
				}
				b, err := Decode(bytes.NewReader(readFixture(t, p.base)), &Options{Scale: s})
				if err != nil {
					t.Fatalf("baseline: %v", err)
				}
				if d := maxDiff(t, a, b); d != 0 {
					t.Errorf("max difference %d, want 0", d)
				}
			})
		}
	}
}

// TestRestartParallel: decoding restart intervals on several goroutines
// gives the same pixels as one goroutine, at every scale.
func TestRestartParallel(t *testing.T) {
	big := encodeTestJPEG(encOptions{
		width: 300, height: 100, adobeTransform: -1, restart: 3,
		comps: []encComp{
			{id: 1, h: 2, v: 2, sample: func(x, y int) uint8 { return uint8(x*7 + y*3) }},
			{id: 2, h: 1, v: 1, sample: func(x, y int) uint8 { return uint8(128 + x - y) }},
			{id: 3, h: 1, v: 1, sample: func(x, y int) uint8 { return uint8(x ^ y) }},
		},
	})
	files := map[string][]byte{"r420.jpg": readFixture(t, "r420.jpg"), "r444.jpg": readFixture(t, "r444.jpg"), "encoded": big}
	for name, b := range files {
		for _, s := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/1:%d", name, s), func(t *testing.T) {
				prev := runtime.GOMAXPROCS(1)
				serial, err := Decode(bytes.NewReader(b), &Options{Scale: s})
				runtime.GOMAXPROCS(max(prev, 4))
				par, err2 := Decode(bytes.NewReader(b), &Options{Scale: s})
				runtime.GOMAXPROCS(prev)
				if err != nil || err2 != nil {
					t.Fatalf("serial %v, parallel %v", err, err2)
				}
				if d := maxDiff(t, par, serial); d != 0 {
					t.Errorf("parallel differs from serial by %d", d)
				}
			})
		}
	}
}

// TestPipeline: a sequential file without restart markers large enough for
// the Huffman/IDCT pipeline decodes the same on one goroutine and on
// several, and matches image/jpeg within +-2 (Go's encoder writes the file).
func TestPipeline(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 643, 401))
	for y := 0; y < 401; y++ {
		for x := 0; x < 643; x++ {
			i := src.PixOffset(x, y)
			src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = uint8(x^y), uint8(x*y>>6), uint8(3*x+y), 255
		}
	}
	gray := image.NewGray(src.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = src.Pix[4*i]
	}
	for _, tt := range []struct {
		name string
		img  image.Image
	}{{"420", src}, {"gray", gray}} {
		var buf bytes.Buffer
		if err := stdjpeg.Encode(&buf, tt.img, &stdjpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		want, err := stdjpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(tt.name+"/truncated and corrupt", func(t *testing.T) {
			prev := runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), 2))
			defer runtime.GOMAXPROCS(prev)
			for i := 1; i < 16; i++ {
				_, err := Decode(bytes.NewReader(b[:len(b)*i/16]), nil)
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("cut at %d/16: err = %v, want io.ErrUnexpectedEOF", i, err)
				}
				c := append([]byte{}, b...)
				c[len(c)*i/16] ^= 0x81
				Decode(bytes.NewReader(c), nil) // must not panic or hang
			}
		})
		for _, s := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/1:%d", tt.name, s), func(t *testing.T) {
				prev := runtime.GOMAXPROCS(1)
				serial, err := Decode(bytes.NewReader(b), &Options{Scale: s})
				runtime.GOMAXPROCS(max(prev, 2))
				piped, err2 := Decode(bytes.NewReader(b), &Options{Scale: s})
				runtime.GOMAXPROCS(prev)
				if err != nil || err2 != nil {
					t.Fatalf("serial %v, pipelined %v", err, err2)
				}
				if d := maxDiff(t, piped, serial); d != 0 {
					t.Errorf("pipelined differs from serial by %d", d)
				}
				if s == 1 {
					if d := maxDiff(t, piped, want); d > 2 {
						t.Errorf("max channel difference from image/jpeg %d > 2", d)
					}
				}
			})
		}
	}
}

// TestCMYK: 4-component files (made by the test encoder) decode to
// standard-semantics *image.CMYK equal to image/jpeg's within +-2: Adobe
// CMYK (inverted storage), Adobe YCCK, with and without subsampling.
func TestCMYK(t *testing.T) {
	// Smooth ramps: image/jpeg replicates chroma where we interpolate, and
	// on gentle slopes the two agree within the tolerance.
	ramp := func(a, b int) func(x, y int) uint8 {
		return func(x, y int) uint8 { return uint8(20 + a*x + b*y) }
	}
	tests := []struct {
		name      string
		transform int
		h, v      int
	}{
		{"cmyk", 0, 1, 1},
		{"ycck", 2, 1, 1},
		{"ycck 2x2", 2, 2, 2},
		{"cmyk 2x2", 0, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encodeTestJPEG(encOptions{
				width: 37, height: 29, adobeTransform: tt.transform,
				comps: []encComp{
					{id: 1, h: tt.h, v: tt.v, sample: ramp(2, 1)},
					{id: 2, h: 1, v: 1, sample: ramp(1, 2)},
					{id: 3, h: 1, v: 1, sample: func(x, y int) uint8 { return uint8(200 - x - y) }},
					{id: 4, h: tt.h, v: tt.v, sample: func(x, y int) uint8 { return uint8(150 - x + y) }},
				},
			})
			want, err := stdjpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("image/jpeg: %v", err)
			}
			got, err := Decode(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if _, ok := got.(*image.CMYK); !ok {
				t.Fatalf("got %T, want *image.CMYK", got)
			}
			if d := maxDiff(t, got, want); d > 2 {
				t.Errorf("max channel difference %d > 2", d)
			}
			cfg, err := DecodeConfig(bytes.NewReader(b))
			if err != nil || !cfg.Adobe || cfg.Components != 4 {
				t.Errorf("DecodeConfig = %+v, %v", cfg, err)
			}
			for _, s := range []int{2, 4, 8} {
				if _, err := DecodeRGBA(bytes.NewReader(b), &Options{Scale: s}); err != nil {
					t.Errorf("scale %d: %v", s, err)
				}
			}
		})
	}
}

// TestDecodeConfig checks the header summary, including assembled ICC
// chunks given out of order and the bound on coefficient storage (blocks
// padded to whole MCUs: 83x61 is 6x4 MCUs of 16x16 in 4:2:0, 6x8 of 16x8
// in 4:2:2; 129 bytes a progressive block, at most 133 a sequential one).
func TestDecodeConfig(t *testing.T) {
	withICC := func() []byte {
		b := readFixture(t, "b420.jpg")
		app2 := func(seq byte, data string) []byte {
			p := append([]byte("ICC_PROFILE\x00"), seq, 2)
			p = append(p, data...)
			return append([]byte{0xff, mAPP2, byte((len(p) + 2) >> 8), byte(len(p) + 2)}, p...)
		}
		out := append([]byte{}, b[:2]...)
		out = append(out, app2(2, "world")...)
		out = append(out, app2(1, "hello ")...)
		return append(out, b[2:]...)
	}()
	tests := []struct {
		name string
		data []byte
		want Config
	}{
		{"baseline 420", readFixture(t, "b420.jpg"), Config{Width: 83, Height: 61, Components: 3, ColorSpace: "ycbcr", CoefficientBytes: (96 + 2*24) * 133}},
		{"progressive", readFixture(t, "p422.jpg"), Config{Width: 83, Height: 61, Components: 3, ColorSpace: "ycbcr", Progressive: true, CoefficientBytes: (96 + 2*48) * 129}},
		{"gray", readFixture(t, "gray.jpg"), Config{Width: 83, Height: 61, Components: 1, ColorSpace: "gray", CoefficientBytes: 88 * 133}},
		{"rgb", readFixture(t, "rgb.jpg"), Config{Width: 83, Height: 61, Components: 3, ColorSpace: "rgb", Adobe: true, CoefficientBytes: 3 * 88 * 133}},
		{"icc", withICC, Config{Width: 83, Height: 61, Components: 3, ColorSpace: "ycbcr", ICC: []byte("hello world"), CoefficientBytes: (96 + 2*24) * 133}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeConfig(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("DecodeConfig: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestScaleFor(t *testing.T) {
	tests := []struct {
		name       string
		w, h, long int
		want       int
	}{
		{"exact 1/8", 6000, 4000, 750, 8},
		{"just over 1/8", 6000, 4000, 751, 4},
		{"1/2", 6000, 4000, 3000, 2},
		{"full", 6000, 4000, 3001, 1},
		{"portrait rounds up", 3000, 4001, 501, 8},
		{"bigger than image", 100, 100, 200, 1},
		{"zero target", 100, 50, 0, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScaleFor(tt.w, tt.h, tt.long); got != tt.want {
				t.Errorf("ScaleFor(%d,%d,%d) = %d, want %d", tt.w, tt.h, tt.long, got, tt.want)
			}
		})
	}
}

// TestScaledSizes: every scale gives ceil(w/s) x ceil(h/s).
func TestScaledSizes(t *testing.T) {
	for _, name := range fixtures {
		b := readFixture(t, name)
		for _, s := range []int{1, 2, 4, 8} {
			m, err := Decode(bytes.NewReader(b), &Options{Scale: s})
			if err != nil {
				t.Fatalf("%s 1:%d: %v", name, s, err)
			}
			if want := image.Rect(0, 0, (83+s-1)/s, (61+s-1)/s); m.Bounds() != want {
				t.Errorf("%s 1:%d: bounds %v, want %v", name, s, m.Bounds(), want)
			}
		}
	}
}

// TestTruncated: a file cut at every 1/16 of its length fails with a
// *FormatError wrapping io.ErrUnexpectedEOF (never a panic, never a partial
// image), at every scale.
func TestTruncated(t *testing.T) {
	for _, name := range fixtures {
		b := readFixture(t, name)
		for i := 1; i < 16; i++ {
			n := len(b) * i / 16
			for _, s := range []int{1, 8} {
				_, err := Decode(bytes.NewReader(b[:n]), &Options{Scale: s})
				var fe *FormatError
				if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("%s cut at %d/16, 1:%d: err = %v, want FormatError wrapping io.ErrUnexpectedEOF", name, i, s, err)
				}
			}
		}
	}
	// Only the EOI marker missing: a complete sequential image decodes, a
	// progressive one is truncated.
	if _, err := Decode(bytes.NewReader(readFixture(t, "b420.jpg")[:len(readFixture(t, "b420.jpg"))-2]), nil); err != nil {
		t.Errorf("baseline without EOI: %v", err)
	}
	p := readFixture(t, "p420.jpg")
	if _, err := Decode(bytes.NewReader(p[:len(p)-2]), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("progressive without EOI: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

// hostile builds a file from b420.jpg with its SOF payload changed by fn.
func patchSOF(t *testing.T, fn func(p []byte)) []byte {
	b := append([]byte{}, readFixture(t, "b420.jpg")...)
	i := bytes.Index(b, []byte{0xff, mSOF0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	fn(b[i+4:])
	return b
}

// TestHostile: bad headers fail fast with the documented error type.
func TestHostile(t *testing.T) {
	base := readFixture(t, "b420.jpg")
	replace := func(old, new []byte) []byte {
		return bytes.Replace(append([]byte{}, base...), old, new, 1)
	}
	dhtAt := bytes.Index(base, []byte{0xff, mDHT})
	badHuff := append([]byte{}, base...)
	badHuff[dhtAt+5+1] = 3 // three 1-bit codes: not a prefix code
	tests := []struct {
		name string
		data []byte
		opt  *Options
		want string // "format", "unsupported", "limit", "truncated"
	}{
		{"empty", nil, nil, "truncated"},
		{"not jpeg", []byte("GIF89a......"), nil, "format"},
		{"huge dims over limit", patchSOF(t, func(p []byte) { p[1], p[2], p[3], p[4] = 0xff, 0xff, 0xff, 0xff }), &Options{MaxPixels: 50_000_000}, "limit"},
		{"huge dims no limit tiny data", patchSOF(t, func(p []byte) { p[1], p[2], p[3], p[4] = 0xff, 0xff, 0xff, 0xff }), nil, "truncated"},
		{"huge progressive no limit tiny data", func() []byte {
			b := append([]byte{}, readFixture(t, "p420.jpg")...)
			i := bytes.Index(b, []byte{0xff, mSOF2})
			b[i+5], b[i+6], b[i+7], b[i+8] = 0xff, 0xff, 0xff, 0xff
			return b
		}(), nil, "truncated"},
		{"zero width", patchSOF(t, func(p []byte) { p[3], p[4] = 0, 0 }), nil, "format"},
		{"zero height (DNL)", patchSOF(t, func(p []byte) { p[1], p[2] = 0, 0 }), nil, "unsupported"},
		{"12-bit", patchSOF(t, func(p []byte) { p[0] = 12 }), nil, "unsupported"},
		{"2 components", patchSOF(t, func(p []byte) { p[5] = 2 }), nil, "unsupported"},
		{"0 components", patchSOF(t, func(p []byte) { p[5] = 0 }), nil, "format"},
		{"sampling factor 0", patchSOF(t, func(p []byte) { p[7] = 0x02 }), nil, "format"},
		{"sampling 3x1 vs 2x2", patchSOF(t, func(p []byte) { p[10] = 0x31 }), nil, "unsupported"},
		{"quant selector 7", patchSOF(t, func(p []byte) { p[8] = 7 }), nil, "format"},
		{"duplicate component id", patchSOF(t, func(p []byte) { p[9] = p[6] }), nil, "format"},
		{"bad Huffman table", badHuff, nil, "format"},
		{"arithmetic SOF9", replace([]byte{0xff, mSOF0}, []byte{0xff, 0xc9}), nil, "unsupported"},
		{"lossless SOF3", replace([]byte{0xff, mSOF0}, []byte{0xff, 0xc3}), nil, "unsupported"},
		{"SOS before SOF", replace([]byte{0xff, mSOF0}, []byte{0xff, mCOM}), nil, "format"},
		{"bad scale", base, &Options{Scale: 3}, "any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Decode(bytes.NewReader(tt.data), tt.opt)
			if el := time.Since(start); el > time.Second {
				t.Errorf("took %v", el)
			}
			var (
				fe *FormatError
				ue UnsupportedError
				le *LimitError
			)
			ok := false
			switch tt.want {
			case "format":
				ok = errors.As(err, &fe)
			case "truncated":
				ok = errors.As(err, &fe) && errors.Is(err, io.ErrUnexpectedEOF)
			case "unsupported":
				ok = errors.As(err, &ue)
			case "limit":
				ok = errors.As(err, &le)
			case "any":
				ok = err != nil
			}
			if !ok {
				t.Errorf("err = %v (%T), want %s error", err, err, tt.want)
			}
		})
	}
}

// TestCorrupt flips bytes all over each fixture: decoding must not panic.
func TestCorrupt(t *testing.T) {
	for _, name := range fixtures {
		b := readFixture(t, name)
		for i := 2; i < len(b); i += 7 {
			c := append([]byte{}, b...)
			c[i] ^= 0x5a
			for _, s := range []int{1, 2, 8} {
				Decode(bytes.NewReader(c), &Options{Scale: s, MaxPixels: 1 << 20})
			}
		}
	}
}

// idctRef is the float A.3.3 IDCT of in, box-averaged over (8/n)x(8/n)
// groups before rounding: what the reduced transforms must compute.
func idctRef(in *[64]int32, n int) []float64 {
	var full [64]float64
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			s := 0.0
			for v := 0; v < 8; v++ {
				for u := 0; u < 8; u++ {
					cu, cv := 1.0, 1.0
					if u == 0 {
						cu = 1 / math.Sqrt2
					}
					if v == 0 {
						cv = 1 / math.Sqrt2
					}
					s += cu * cv * float64(in[v*8+u]) *
						math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) *
						math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
				}
			}
			full[y*8+x] = s/4 + 128
		}
	}
	g := 8 / n
	out := make([]float64, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			s := 0.0
			for yy := 0; yy < g; yy++ {
				for xx := 0; xx < g; xx++ {
					s += full[(y*g+yy)*8+x*g+xx]
				}
			}
			out[y*n+x] = math.Min(255, math.Max(0, math.Round(s/float64(g*g))))
		}
	}
	return out
}

// TestIDCTFloatReference: the fixed-point IDCTs are within 1 of the float
// formula (box-averaged for the reduced ones) for random blocks with realistic magnitudes (decaying with
// frequency) and for extreme ones.
func TestIDCTFloatReference(t *testing.T) {
	seed := uint32(1)
	rnd := func(n int32) int32 {
		seed = seed*1664525 + 1013904223
		return int32(seed>>8)%(2*n+1) - n
	}
	for _, n := range []int{8, 4, 2, 1} {
		t.Run(fmt.Sprintf("%dx%d", n, n), func(t *testing.T) {
			worst := 0.0
			for iter := 0; iter < 2000; iter++ {
				var in [64]int32
				for k := 0; k < 64; k++ {
					lim := int32(1024 >> (k / 8))
					if iter%10 == 0 {
						lim = 1023 // extreme
					}
					if iter%3 == 0 && k > 10 {
						lim = 0 // sparse
					}
					in[unzig[k]] = rnd(max(lim, 0))
				}
				dst := make([]byte, 64)
				switch n {
				case 8:
					idct8x8(dst, 8, &in)
				case 4:
					idct4x4(dst, 8, &in)
				case 2:
					idct2x2(dst, 8, &in)
				case 1:
					dst[0] = dcPixel(in[0])
				}
				ref := idctRef(&in, n)
				for y := 0; y < n; y++ {
					for x := 0; x < n; x++ {
						worst = math.Max(worst, math.Abs(float64(dst[y*8+x])-ref[y*n+x]))
					}
				}
			}
			if worst > 1 {
				t.Errorf("worst error %v > 1", worst)
			}
		})
	}
}

func TestErrorsHaveTypes(t *testing.T) {
	_, err := Decode(strings.NewReader("\xff\xd8\xff"), nil)
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %T %v", err, err)
	}
}

// emptyScans returns a w×h grayscale progressive JPEG of all-zero
// coefficients: a DC scan, then n scans of the band 1..63 that are nothing
// but end-of-band runs (EOB14 with 14 one-bits: 32767 blocks a code), as a
// refinement (Ah=1, Al=0) when refine is set. Both Huffman tables hold one
// 1-bit code.
func emptyScans(w, h, n int, refine bool) []byte {
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	seg := func(m byte, p []byte) []byte {
		return append([]byte{0xff, m, byte((len(p) + 2) >> 8), byte(len(p) + 2)}, p...)
	}
	var b []byte
	b = append(b, 0xff, mSOI)
	b = append(b, seg(mDQT, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))...)
	b = append(b, seg(mSOF2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0})...)
	table := func(class, sym byte) []byte {
		t := make([]byte, 17, 18)
		t[0], t[1] = class<<4, 1
		return append(t, sym)
	}
	b = append(b, seg(mDHT, append(table(0, 0), table(1, 0xe0)...))...)
	b = append(b, seg(mSOS, []byte{1, 1, 0, 0, 0, 0})...)
	b = append(b, make([]byte, blocks/8)...) // one 0-bit code a block
	if blocks%8 != 0 {
		b = append(b, 0xff>>(blocks%8), 0)
	}
	ah := byte(0)
	if refine {
		ah = 1
	}
	for i := 0; i < n; i++ {
		b = append(b, seg(mSOS, []byte{1, 1, 0, 1, 63, ah << 4})...)
		var acc uint64
		var nb uint
		for left := blocks; left > 0; left -= 32767 {
			acc, nb = acc<<15|(1<<14-1), nb+15 // code 0, then 14 extra bits of 1
			for nb >= 8 {
				c := byte(acc >> (nb - 8))
				b = append(b, c)
				if c == 0xff {
					b = append(b, 0)
				}
				nb -= 8
			}
		}
		if nb > 0 {
			c := byte(acc<<(8-nb)) | 0xff>>nb
			b = append(b, c)
			if c == 0xff {
				b = append(b, 0)
			}
		}
	}
	return append(b, 0xff, mEOI)
}

// TestEmptyScansAreCheap decodes files of 900 scans that code nothing: each
// used to visit every block of the image (7.6 s for 1000 such scans on a
// 100 MP file); now an end-of-band run is skipped as a whole, so the scans
// cost about as much as their data. The bound is loose (5× the one-scan
// file plus 100 ms); the old decoder took 40× on this size.
func TestEmptyScansAreCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 16 MP three times")
	}
	elapsed := func(b []byte) time.Duration {
		start := time.Now()
		m, err := Decode(bytes.NewReader(b), &Options{Scale: 2})
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := m.(*image.Gray); !ok || g.Pix[0] != 128 {
			t.Fatalf("decoded %T", m)
		}
		return time.Since(start)
	}
	base := elapsed(emptyScans(4000, 4000, 0, false))
	for _, refine := range []bool{false, true} {
		if el := elapsed(emptyScans(4000, 4000, 900, refine)); el > 5*base+100*time.Millisecond {
			t.Errorf("refine %v: 900 empty scans took %v, one DC scan %v", refine, el, base)
		}
	}
}

func TestDecodeContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DecodeContext(ctx, bytes.NewReader(readFixture(t, "b420.jpg")), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
