package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"io"
	"runtime"
	"testing"
)

func process(t testing.TB, src []byte, spec Spec) ([]byte, Output) {
	t.Helper()
	var out bytes.Buffer
	o, err := Process(context.Background(), bytes.NewReader(src), &out, spec, Limits{})
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	if o.Bytes != int64(out.Len()) {
		t.Fatalf("Output.Bytes = %d, wrote %d", o.Bytes, out.Len())
	}
	return out.Bytes(), o
}

// checkQuads checks the colour at the centre of each quadrant.
func checkQuads(t *testing.T, m image.Image, tl, tr, bl, br color.NRGBA, tol int) {
	t.Helper()
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	pts := []struct {
		name string
		x, y int
		want color.NRGBA
	}{
		{"top-left", w / 4, h / 4, tl}, {"top-right", 3 * w / 4, h / 4, tr},
		{"bottom-left", w / 4, 3 * h / 4, bl}, {"bottom-right", 3 * w / 4, 3 * h / 4, br},
	}
	for _, p := range pts {
		if got := at(m, b.Min.X+p.x, b.Min.Y+p.y); !near(got, p.want, tol) {
			t.Errorf("%s = %v, want %v", p.name, got, p.want)
		}
	}
}

// TestOrientation stores a display image (TL red, TR green, BL blue, BR
// yellow; 64×32) in each of the 8 EXIF layouts, written out by hand from the
// EXIF definition rather than derived from orient(), and checks that Process
// and Decode restore the display layout, with and without resizing.
func TestOrientation(t *testing.T) {
	const dw, dh = 64, 32
	R, G, B, Y := red, green, blue, yellow
	tests := []struct {
		name           string
		o              int
		tl, tr, bl, br color.NRGBA // stored quadrants
	}{
		{"1 normal", 1, R, G, B, Y},
		{"2 mirror horizontal", 2, G, R, Y, B},
		{"3 rotate 180", 3, Y, B, G, R},
		{"4 mirror vertical", 4, B, Y, R, G},
		{"5 transpose", 5, R, B, G, Y},
		{"6 rotate 90 CW to display", 6, G, Y, R, B},
		{"7 transverse", 7, Y, G, B, R},
		{"8 rotate 90 CCW to display", 8, B, R, Y, G},
	}
	for _, tt := range tests {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(tt.name+"/"+order.String(), func(t *testing.T) {
				sw, sh := dw, dh
				if tt.o >= 5 {
					sw, sh = dh, dw
				}
				stored := encodeJPEG(t, quads(sw, sh, tt.tl, tt.tr, tt.bl, tt.br), 95)
				src := insertSegments(stored, exifSegment(order, tt.o, false))

				for _, long := range []int{0, dw, 32} {
					out, o := process(t, src, Spec{LongSide: long, Format: PNG})
					wantW, wantH := Fit(dw, dh, long)
					if o.Width != wantW || o.Height != wantH {
						t.Fatalf("long %d: output %dx%d, want %dx%d", long, o.Width, o.Height, wantW, wantH)
					}
					checkQuads(t, decodeOutput(t, out), R, G, B, Y, 12)
				}
				m, info, err := Decode(context.Background(), bytes.NewReader(src), Limits{})
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if info.Orientation != tt.o || m.Rect.Dx() != dw || m.Rect.Dy() != dh {
					t.Fatalf("Decode: orientation %d size %v", info.Orientation, m.Rect)
				}
				checkQuads(t, m, R, G, B, Y, 12)
			})
		}
	}
}

func TestCMYKToRGB(t *testing.T) {
	tests := []struct {
		name       string
		c, m, y, k uint8
		want       [3]uint8
	}{
		{"no ink is white", 0, 0, 0, 0, [3]uint8{255, 255, 255}},
		{"full black", 0, 0, 0, 255, [3]uint8{0, 0, 0}},
		{"cyan", 255, 0, 0, 0, [3]uint8{0, 255, 255}},
		{"magenta", 0, 255, 0, 0, [3]uint8{255, 0, 255}},
		{"yellow", 0, 0, 255, 0, [3]uint8{255, 255, 0}},
		{"red = magenta+yellow", 0, 255, 255, 0, [3]uint8{255, 0, 0}},
		{"50% black", 0, 0, 0, 128, [3]uint8{127, 127, 127}},
		{"mixed", 64, 128, 192, 32, [3]uint8{167, 111, 55}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, g, b := cmykToRGB(tt.c, tt.m, tt.y, tt.k)
			if [3]uint8{r, g, b} != tt.want {
				t.Fatalf("cmykToRGB = %v, want %v", [3]uint8{r, g, b}, tt.want)
			}
			// Cross-check against the standard library's (16-bit) formula.
			sr, sg, sb := color.CMYKToRGB(tt.c, tt.m, tt.y, tt.k)
			if !near(color.NRGBA{r, g, b, 255}, color.NRGBA{sr, sg, sb, 255}, 1) {
				t.Errorf("differs from color.CMYKToRGB %v", [3]uint8{sr, sg, sb})
			}
		})
	}
}

// TestColorModels decodes inputs in every colour model and checks colours.
func TestColorModels(t *testing.T) {
	cyan, magenta := color.NRGBA{0, 255, 255, 255}, color.NRGBA{255, 0, 255, 255}
	white, black := color.NRGBA{255, 255, 255, 255}, color.NRGBA{0, 0, 0, 255}
	gray := image.NewGray(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			v := uint8(40)
			if x >= 16 {
				v = 200
			}
			gray.SetGray(x, y, color.Gray{v})
		}
	}
	pal := color.Palette{red, green, blue, yellow}
	paletted := image.NewPaletted(image.Rect(0, 0, 32, 32), pal)
	for i := range paletted.Pix {
		x, y := i%32, i/32
		paletted.Pix[i] = uint8(x/16 + 2*(y/16))
	}
	frame2 := palettedFill(32, 32, pal, 3)
	g40, g200 := color.NRGBA{40, 40, 40, 255}, color.NRGBA{200, 200, 200, 255}

	tests := []struct {
		name           string
		src            []byte
		model          string
		tl, tr, bl, br color.NRGBA
		tol            int
	}{
		{"cmyk adobe jpeg", cmykJPEG([][]color.CMYK{{{255, 0, 0, 0}, {0, 255, 0, 0}}, {{0, 0, 0, 0}, {0, 0, 0, 255}}}),
			ModelCMYK, cyan, magenta, white, black, 2},
		{"gray jpeg", encodeJPEG(t, gray, 95), ModelGray, g40, g200, g40, g200, 3},
		{"gray png", encodePNG(t, gray), ModelGray, g40, g200, g40, g200, 0},
		{"paletted png", encodePNG(t, paletted), ModelPaletted, red, green, blue, yellow, 0},
		{"paletted gif", gifBytes(t, []*image.Paletted{paletted}, false), ModelPaletted, red, green, blue, yellow, 0},
		{"animated gif takes first frame", gifBytes(t, []*image.Paletted{paletted, frame2}, true), ModelPaletted, red, green, blue, yellow, 0},
		{"rgb jpeg", encodeJPEG(t, quads(32, 32, red, green, blue, yellow), 95), ModelYCbCr, red, green, blue, yellow, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe(bytes.NewReader(tt.src))
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if info.ColorModel != tt.model {
				t.Errorf("ColorModel = %q, want %q", info.ColorModel, tt.model)
			}
			for _, f := range []Format{PNG, JPEG} {
				out, o := process(t, tt.src, Spec{Format: f, Quality: 100})
				if o.Width != info.Width || o.Height != info.Height {
					t.Fatalf("%s: size %dx%d", f, o.Width, o.Height)
				}
				tol := tt.tol
				if f == JPEG {
					tol += 12
				}
				checkQuads(t, decodeOutput(t, out), tt.tl, tt.tr, tt.bl, tt.br, tol)
			}
		})
	}
}

// TestGIFFrameSmallerThanScreen checks that a first frame covering only part
// of the logical screen is placed on a transparent canvas of the screen size.
func TestGIFFrameSmallerThanScreen(t *testing.T) {
	frame := image.NewPaletted(image.Rect(8, 8, 24, 24), color.Palette{red, blue})
	g := &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0}, Config: image.Config{Width: 32, Height: 32, ColorModel: frame.Palette}}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	out, o := process(t, b.Bytes(), Spec{Format: PNG})
	if o.Width != 32 || o.Height != 32 {
		t.Fatalf("size %dx%d", o.Width, o.Height)
	}
	m := decodeOutput(t, out)
	tests := []struct {
		name string
		x, y int
		want color.NRGBA
	}{
		{"outside frame is transparent", 2, 2, color.NRGBA{}},
		{"inside frame", 16, 16, red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := at(m, tt.x, tt.y); !near(got, tt.want, 0) {
				t.Fatalf("pixel = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWebPInput(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		alpha bool
	}{
		{"lossy", "testdata/webp/blue-purple-pink.lossy.webp", false},
		{"lossless with alpha", "testdata/webp/gopher-doc.with-alpha.lossless.webp", true},
		{"lossy with alpha", "testdata/webp/yellow_rose.lossy-with-alpha.webp", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := readFile(t, tt.file)
			out, o := process(t, src, Spec{LongSide: 50, Format: PNG})
			if max(o.Width, o.Height) != 50 {
				t.Fatalf("size %dx%d", o.Width, o.Height)
			}
			m := decodeOutput(t, out)
			_, isOpaque := m.(*image.RGBA) // png decodes opaque RGB as *image.RGBA
			if tt.alpha == isOpaque {
				t.Errorf("output %T, want alpha %v", m, tt.alpha)
			}
		})
	}
}

// TestAlpha checks that PNG output keeps alpha (including through the
// premultiplied resampler) and JPEG output is flattened onto Background.
func TestAlpha(t *testing.T) {
	clear := color.NRGBA{0, 255, 0, 0}
	half := color.NRGBA{0, 0, 255, 128}
	src := encodePNG(t, quads(64, 64, red, clear, half, yellow))
	bg := color.NRGBA{255, 255, 255, 255}
	tests := []struct {
		name           string
		spec           Spec
		tl, tr, bl, br color.NRGBA
		tol            int
	}{
		{"png keeps alpha", Spec{Format: PNG}, red, color.NRGBA{}, half, yellow, 0},
		{"png keeps alpha resized", Spec{Format: PNG, LongSide: 32}, red, color.NRGBA{}, half, yellow, 1},
		{"jpeg flattens onto white", Spec{Format: JPEG, Quality: 100, Background: bg}, red, bg, color.NRGBA{127, 127, 255, 255}, yellow, 6},
		{"jpeg flattens onto black resized", Spec{Format: JPEG, Quality: 100, LongSide: 32}, red, color.NRGBA{0, 0, 0, 255}, color.NRGBA{0, 0, 128, 255}, yellow, 6},
		{"gif flattens", Spec{Format: GIF, Background: bg}, red, bg, color.NRGBA{127, 127, 255, 255}, yellow, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := process(t, src, tt.spec)
			checkQuads(t, decodeOutput(t, out), tt.tl, tt.tr, tt.bl, tt.br, tt.tol)
		})
	}
}

// TestNeverUpscale processes inputs of many sizes and checks exact output sizes.
func TestNeverUpscale(t *testing.T) {
	tests := []struct {
		name       string
		w, h, long int
		ww, wh     int
	}{
		{"smaller than target", 100, 60, 2048, 100, 60},
		{"equal to target", 256, 100, 256, 256, 100},
		{"landscape", 400, 300, 256, 256, 192},
		{"portrait", 300, 400, 256, 192, 256},
		{"odd rounding", 301, 199, 100, 100, 66},
		{"thin strip", 500, 2, 100, 100, 1},
		{"one pixel", 1, 1, 256, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := encodePNG(t, quads(tt.w, tt.h, red, green, blue, yellow))
			out, o := process(t, src, Spec{LongSide: tt.long, Format: PNG})
			b := decodeOutput(t, out).Bounds()
			if o.Width != tt.ww || o.Height != tt.wh || b.Dx() != tt.ww || b.Dy() != tt.wh {
				t.Fatalf("Output %dx%d, image %v; want %dx%d", o.Width, o.Height, b, tt.ww, tt.wh)
			}
		})
	}
}

// TestNoMetadata feeds inputs carrying EXIF (with GPS), ICC, XMP, IPTC and
// text chunks and checks that none reaches the output.
func TestNoMetadata(t *testing.T) {
	base := encodeJPEG(t, quads(64, 48, red, green, blue, yellow), 90)
	jpg := insertSegments(base,
		exifSegment(binary.BigEndian, 1, true),
		iccSegment(),
		segment(mAPP1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>")),
		segment(mAPP13, []byte("Photoshop 3.0\x008BIM")),
		segment(0xfe, []byte("a comment")))
	pngSrc := insertPNGChunks(encodePNG(t, quads(64, 48, red, green, blue, yellow)),
		pngChunk("eXIf", tiffEXIF(binary.LittleEndian, 1, true)),
		pngChunk("iCCP", []byte("p\x00\x00xx")),
		pngChunk("tEXt", []byte("Comment\x00hello")),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x/>")))

	for _, in := range []struct {
		name string
		src  []byte
	}{{"jpeg input", jpg}, {"png input", pngSrc}} {
		info, err := Probe(bytes.NewReader(in.src))
		if err != nil || !info.HasGPS || !info.HasEXIF {
			t.Fatalf("%s: fixture lacks metadata: %+v %v", in.name, info, err)
		}
		tests := []struct {
			name string
			spec Spec
		}{
			{"jpeg output", Spec{Format: JPEG}},
			{"jpeg output resized", Spec{Format: JPEG, LongSide: 32}},
			{"png output", Spec{Format: PNG}},
		}
		for _, tt := range tests {
			t.Run(in.name+"/"+tt.name, func(t *testing.T) {
				out, _ := process(t, in.src, tt.spec)
				got, err := Probe(bytes.NewReader(out))
				if err != nil {
					t.Fatalf("Probe output: %v", err)
				}
				if got.HasEXIF || got.HasGPS || got.HasICC || got.Orientation != 1 {
					t.Errorf("output Info has metadata: %+v", got)
				}
				if tt.spec.Format == JPEG {
					for _, m := range jpegMarkers(t, out) {
						if m >= mAPP1 && m <= 0xef || m == 0xfe {
							t.Errorf("output has marker %#x", m)
						}
					}
					return
				}
				for _, c := range pngChunkTypes(t, out) {
					switch c {
					case "IHDR", "PLTE", "tRNS", "IDAT", "IEND":
					default:
						t.Errorf("output has chunk %q", c)
					}
				}
			})
		}
	}
}

// countAlloc returns the bytes allocated by fn.
func countAlloc(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestProcessErrors(t *testing.T) {
	jpg := encodeJPEG(t, quads(256, 256, red, green, blue, yellow), 90)
	errNet := errors.New("connection reset")
	tests := []struct {
		name  string
		src   io.Reader
		spec  Spec
		check func(t *testing.T, err error)
	}{
		{"truncated jpeg", bytes.NewReader(jpg[:len(jpg)/2]), Spec{Format: JPEG}, isFormatErr},
		{"jpeg cut after header", bytes.NewReader(jpg[:700]), Spec{Format: JPEG}, isFormatErr},
		{"corrupt jpeg data", bytes.NewReader(append(append([]byte{}, jpg[:600]...), bytes.Repeat([]byte{0xff, 0x12}, 200)...)), Spec{Format: JPEG}, isFormatErr},
		{"text bytes named .jpg", bytes.NewReader([]byte("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")), Spec{Format: JPEG}, isFormatErr},
		{"empty", bytes.NewReader(nil), Spec{Format: JPEG}, isFormatErr},
		{"png declaring 50000x50000", bytes.NewReader(pngHeader(50000, 50000)), Spec{Format: JPEG}, isLimitErr(2_500_000_000)},
		{"jpeg declaring 65000x65000", bytes.NewReader(sofHeader(mSOF0, 8, 65000, 65000, 3)), Spec{Format: JPEG}, isLimitErr(4_225_000_000)},
		{"png declaring 25000000x1", bytes.NewReader(pngHeader(25_000_000, 1)), Spec{Format: JPEG}, isSideLimitErr(25_000_000, 1)},
		{"gif declaring 1x65535", bytes.NewReader(gifScreen(t, 1, 65535, 1, 1)), Spec{Format: JPEG}, isSideLimitErr(1, 65535)},
		{"heic without meta", bytes.NewReader([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")), Spec{Format: JPEG}, isFormatErr},
		{"avif", bytes.NewReader([]byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")), Spec{Format: JPEG}, isUnsupported("avif")},
		{"tiff", bytes.NewReader([]byte("MM\x00*\x00\x00\x00\x08\x00\x00")), Spec{Format: JPEG}, isUnsupported("tiff")},
		{"bmp", bytes.NewReader([]byte("BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00")), Spec{Format: JPEG}, isUnsupported("bmp")},
		{"animated webp", bytes.NewReader([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x12\x00\x00\x00\x09\x00\x00\x04\x00\x00ANIM")), Spec{Format: JPEG}, isUnsupported("webp")},
		{"heic output", bytes.NewReader(jpg), Spec{Format: HEIC}, isUnsupported("heic")},
		{"bad quality", bytes.NewReader(jpg), Spec{Format: JPEG, Quality: 101}, isSpecErr},
		{"no format", bytes.NewReader(jpg), Spec{}, isSpecErr},
		{"source cut in header is not a FormatError", io.MultiReader(bytes.NewReader(jpg[:10]), failingReader{io.ErrUnexpectedEOF}), Spec{Format: JPEG}, func(t *testing.T, err error) {
			var fe *FormatError
			if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want wrapped source error", err, err)
			}
		}},
		{"source read error is not a FormatError", io.MultiReader(bytes.NewReader(jpg[:1000]), failingReader{errNet}), Spec{Format: JPEG}, func(t *testing.T, err error) {
			var fe *FormatError
			if !errors.Is(err, errNet) || errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want wrapped source error", err, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			alloc := countAlloc(func() {
				_, err = Process(context.Background(), tt.src, io.Discard, tt.spec, Limits{})
			})
			tt.check(t, err)
			var le *LimitError
			var se *SideLimitError
			if (errors.As(err, &le) || errors.As(err, &se)) && alloc > 1<<20 {
				t.Errorf("allocated %d bytes before rejecting", alloc)
			}
		})
	}
}

func isFormatErr(t *testing.T, err error) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want *FormatError", err, err)
	}
}

func isSpecErr(t *testing.T, err error) {
	t.Helper()
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want *SpecError", err, err)
	}
}

func isLimitErr(pixels int64) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var le *LimitError
		if !errors.As(err, &le) || le.Pixels != pixels || le.Limit != DefaultMaxPixels {
			t.Fatalf("err = %v (%T), want *LimitError{%d, %d}", err, err, pixels, DefaultMaxPixels)
		}
	}
}

func isSideLimitErr(w, h int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var se *SideLimitError
		if !errors.As(err, &se) || se.Width != w || se.Height != h || se.Limit != DefaultMaxSide {
			t.Fatalf("err = %v (%T), want *SideLimitError{%d, %d, %d}", err, err, w, h, DefaultMaxSide)
		}
	}
}

func isUnsupported(format string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Format != format {
			t.Fatalf("err = %v (%T), want *UnsupportedError{%s}", err, err, format)
		}
	}
}

func TestLimits(t *testing.T) {
	src := encodePNG(t, quads(100, 100, red, green, blue, yellow))
	tests := []struct {
		name    string
		max     int64
		wantErr bool
	}{
		{"default", 0, false},
		{"exactly at limit", 10000, false},
		{"one below", 9999, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(context.Background(), bytes.NewReader(src), io.Discard, Spec{Format: PNG}, Limits{MaxPixels: tt.max})
			_, _, derr := Decode(context.Background(), bytes.NewReader(src), Limits{MaxPixels: tt.max})
			var le *LimitError
			if errors.As(err, &le) != tt.wantErr || errors.As(derr, &le) != tt.wantErr {
				t.Fatalf("Process err = %v, Decode err = %v, want LimitError %v", err, derr, tt.wantErr)
			}
		})
	}
}

func TestSideLimit(t *testing.T) {
	tests := []struct {
		name    string
		w, h    int
		max     int
		wantErr bool
	}{
		{"default, at the limit", DefaultMaxSide, 1, 0, false},
		{"default, one over", DefaultMaxSide + 1, 1, 0, true},
		{"tall, one over", 1, DefaultMaxSide + 1, 0, true},
		{"configured, at the limit", 100, 60, 100, false},
		{"configured, one over", 100, 60, 99, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := encodePNG(t, image.NewGray(image.Rect(0, 0, tt.w, tt.h)))
			_, err := Process(context.Background(), bytes.NewReader(src), io.Discard, Spec{Format: PNG, LongSide: 64}, Limits{MaxSide: tt.max})
			_, _, derr := Decode(context.Background(), bytes.NewReader(src), Limits{MaxSide: tt.max})
			var se *SideLimitError
			if errors.As(err, &se) != tt.wantErr || errors.As(derr, &se) != tt.wantErr {
				t.Fatalf("Process err = %v, Decode err = %v, want SideLimitError %v", err, derr, tt.wantErr)
			}
			if err == nil && derr != nil {
				t.Fatalf("Decode: %v", derr)
			}
		})
	}
}

// TestLosslessWebPLimit checks the lower pixel limit of lossless WebP (and
// that it is not applied to lossy WebP or to a smaller MaxPixels).
func TestLosslessWebPLimit(t *testing.T) {
	tests := []struct {
		name    string
		src     []byte
		lim     Limits
		wantErr int64 // the LimitError's limit; 0 for none
	}{
		{"lossless at the limit", flatLossless(8000, 5000), Limits{}, 0},
		{"lossless one row over", flatLossless(8000, 5001), Limits{}, MaxLosslessWebPPixels},
		{"lossless under a smaller MaxPixels", flatLossless(8000, 5001), Limits{MaxPixels: 1000}, 1000},
		{"lossy over 40 MP", flatLossy(8000, 5001, 0), Limits{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe(bytes.NewReader(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			err = tt.lim.Check(info)
			var le *LimitError
			if got := errors.As(err, &le); got != (tt.wantErr != 0) || got && le.Limit != tt.wantErr {
				t.Fatalf("Check(%dx%d %s) = %v, want a limit of %d", info.Width, info.Height, info.ColorModel, err, tt.wantErr)
			}
		})
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := encodeJPEG(t, quads(64, 64, red, green, blue, yellow), 90)
	_, err := Process(ctx, bytes.NewReader(src), io.Discard, Spec{Format: JPEG}, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestDeterministic checks byte-identical output across runs and across
// different degrees of parallelism: the JPEG and WebP encoders spread one
// image over GOMAXPROCS goroutines.
func TestDeterministic(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 900, 700)) // > 1024 macroblocks: two WebP token partitions
	for i := range m.Pix {
		m.Pix[i] = uint8(i*7919 + i/2801)
	}
	opaque, alpha := encodeJPEG(t, m, 90), encodePNG(t, m)
	tests := []struct {
		name string
		src  []byte
		spec Spec
	}{
		{"jpeg to jpeg", opaque, Spec{Format: JPEG, LongSide: 256, Quality: 80}},
		{"png alpha to png", alpha, Spec{Format: PNG, LongSide: 300}},
		{"jpeg to webp", opaque, Spec{Format: WebP, Quality: 80}},
		{"png alpha to webp", alpha, Spec{Format: WebP, LongSide: 600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := runtime.GOMAXPROCS(1)
			defer runtime.GOMAXPROCS(prev)
			want, _ := process(t, tt.src, tt.spec)
			for _, procs := range []int{1, 2, 3, 4, 8} {
				runtime.GOMAXPROCS(procs)
				got, _ := process(t, tt.src, tt.spec)
				if !bytes.Equal(got, want) {
					t.Fatalf("GOMAXPROCS=%d: output differs", procs)
				}
			}
		})
	}
}
