package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"io"
	"os"
	"testing"
)

func gifBytes(t testing.TB, frames []*image.Paletted, loop bool) []byte {
	t.Helper()
	g := &gif.GIF{Image: frames, Delay: make([]int, len(frames))}
	if !loop {
		g.LoopCount = -1
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatalf("gif.EncodeAll: %v", err)
	}
	return b.Bytes()
}

func palettedFill(w, h int, pal color.Palette, idx uint8) *image.Paletted {
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range m.Pix {
		m.Pix[i] = idx
	}
	return m
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func TestProbe(t *testing.T) {
	rgb := quads(40, 30, red, green, blue, yellow)
	jpg := encodeJPEG(t, rgb, 90)
	gray := image.NewGray(image.Rect(0, 0, 9, 7))
	nrgba := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	trnsPal := color.Palette{color.NRGBA{0, 0, 0, 0}, red}
	opaquePal := color.Palette{red, blue}

	tests := []struct {
		name string
		data []byte
		want Info
	}{
		{"jpeg ycbcr", jpg, Info{Format: JPEG, Width: 40, Height: 30, Orientation: 1, ColorModel: ModelYCbCr}},
		{"jpeg exif orientation gps icc", insertSegments(jpg, exifSegment(binary.BigEndian, 6, true), iccSegment()),
			Info{Format: JPEG, Width: 40, Height: 30, Orientation: 6, ColorModel: ModelYCbCr, HasEXIF: true, HasGPS: true, HasICC: true}},
		{"jpeg gray", encodeJPEG(t, gray, 90), Info{Format: JPEG, Width: 9, Height: 7, Orientation: 1, ColorModel: ModelGray}},
		{"jpeg progressive header", sofHeader(mSOF2, 8, 300, 200, 3), Info{Format: JPEG, Width: 300, Height: 200, Orientation: 1, ColorModel: ModelYCbCr, Progressive: true}},
		{"jpeg cmyk adobe", cmykJPEG([][]color.CMYK{{{0, 0, 0, 0}}}), Info{Format: JPEG, Width: 8, Height: 8, Orientation: 1, ColorModel: ModelCMYK}},
		{"jpeg 65000x65000 header", sofHeader(mSOF0, 8, 65000, 65000, 3), Info{Format: JPEG, Width: 65000, Height: 65000, Orientation: 1, ColorModel: ModelYCbCr}},
		{"png rgba", encodePNG(t, nrgba), Info{Format: PNG, Width: 5, Height: 3, Orientation: 1, ColorModel: ModelRGBA, HasAlpha: true}},
		{"png gray", encodePNG(t, gray), Info{Format: PNG, Width: 9, Height: 7, Orientation: 1, ColorModel: ModelGray}},
		{"png paletted with tRNS", encodePNG(t, palettedFill(4, 4, trnsPal, 1)), Info{Format: PNG, Width: 4, Height: 4, Orientation: 1, ColorModel: ModelPaletted, HasAlpha: true}},
		{"png 50000x50000 header", pngHeader(50000, 50000), Info{Format: PNG, Width: 50000, Height: 50000, Orientation: 1, ColorModel: ModelRGBA, HasAlpha: true}},
		{"apng eXIf iCCP", insertPNGChunks(pngHeader(10, 20), pngChunk("acTL", make([]byte, 8)), pngChunk("iCCP", []byte("x\x00\x00")), pngChunk("eXIf", tiffEXIF(binary.LittleEndian, 8, true))),
			Info{Format: PNG, Width: 10, Height: 20, Orientation: 8, ColorModel: ModelRGBA, HasAlpha: true, Animated: true, HasICC: true, HasEXIF: true, HasGPS: true}},
		{"gif opaque", gifBytes(t, []*image.Paletted{palettedFill(6, 4, opaquePal, 0)}, false), Info{Format: GIF, Width: 6, Height: 4, Orientation: 1, ColorModel: ModelPaletted}},
		{"gif transparent animated", gifBytes(t, []*image.Paletted{palettedFill(6, 4, trnsPal, 0), palettedFill(6, 4, trnsPal, 1)}, true),
			Info{Format: GIF, Width: 6, Height: 4, Orientation: 1, ColorModel: ModelPaletted, HasAlpha: true, Animated: true}},
		{"webp lossy", readFile(t, "testdata/webp/blue-purple-pink.lossy.webp"), Info{Format: WebP, Width: 150, Height: 100, Orientation: 1, ColorModel: ModelYCbCr}},
		{"webp lossless alpha", readFile(t, "testdata/webp/gopher-doc.with-alpha.lossless.webp"), Info{Format: WebP, Width: 75, Height: 100, Orientation: 1, ColorModel: ModelRGBA, HasAlpha: true, HasICC: true}},
		{"webp vp8x alpha", readFile(t, "testdata/webp/yellow_rose.lossy-with-alpha.webp"), Info{Format: WebP, Width: 400, Height: 301, Orientation: 1, ColorModel: ModelYCbCr, HasAlpha: true}},
		{"webp animated", []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x12\x00\x00\x00\x09\x00\x00\x04\x00\x00ANIM"),
			Info{Format: WebP, Width: 10, Height: 5, Orientation: 1, ColorModel: ModelRGBA, HasAlpha: true, Animated: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Probe(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Probe =\n %+v, want\n %+v", got, tt.want)
			}
		})
	}
}

func TestProbeErrors(t *testing.T) {
	jpg := encodeJPEG(t, quads(16, 16, red, green, blue, yellow), 90)
	png16 := encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 4, 4)))
	tests := []struct {
		name        string
		data        []byte
		unsupported bool
		unexpEOF    bool
	}{
		{name: "empty", data: nil, unexpEOF: true},
		{name: "text", data: []byte("just some text that is long enough to sniff")},
		{name: "jpeg truncated in header", data: jpg[:30], unexpEOF: true},
		{name: "jpeg truncated in SOF", data: sofHeader(mSOF0, 8, 10, 10, 3)[:12], unexpEOF: true},
		{name: "jpeg no SOF", data: []byte("\xff\xd8\xff\xd9"), unexpEOF: false},
		{name: "jpeg SOS before SOF", data: append([]byte("\xff\xd8"), segment(mSOS, []byte{1, 1, 0, 0, 63, 0})...)},
		{name: "jpeg zero width", data: sofHeader(mSOF0, 8, 0, 10, 3)},
		{name: "jpeg 12-bit", data: sofHeader(mSOF1, 12, 10, 10, 3), unsupported: true},
		{name: "jpeg arithmetic", data: sofHeader(0xc9, 8, 10, 10, 3), unsupported: true},
		{name: "jpeg lossless", data: sofHeader(0xc3, 8, 10, 10, 3), unsupported: true},
		{name: "jpeg DNL height", data: sofHeader(mSOF0, 8, 10, 0, 3), unsupported: true},
		{name: "jpeg cmyk without adobe", data: sofHeader(mSOF0, 8, 10, 10, 4), unsupported: true},
		{name: "png truncated", data: png16[:20], unexpEOF: true},
		{name: "png bad IHDR crc", data: func() []byte { b := append([]byte{}, png16...); b[29] ^= 1; return b }()},
		{name: "png zero width", data: pngHeader(0, 10)},
		{name: "png no IDAT", data: append(append([]byte{}, pngHeader(1, 1)[:33]...), pngChunk("IEND", nil)...)},
		{name: "gif truncated", data: []byte("GIF89a\x01\x00"), unexpEOF: true},
		{name: "gif zero size", data: []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00;")},
		{name: "webp truncated", data: []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x05\x00"), unexpEOF: true},
		{name: "heic without meta", data: []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")},
		{name: "avif", data: []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"), unsupported: true},
		{name: "tiff", data: []byte("II*\x00\x08\x00\x00\x00\x00\x00"), unsupported: true},
		{name: "bmp", data: []byte("BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), unsupported: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Probe(bytes.NewReader(tt.data))
			var fe *FormatError
			var ue *UnsupportedError
			if tt.unsupported {
				if !errors.As(err, &ue) {
					t.Fatalf("Probe error = %v (%T), want *UnsupportedError", err, err)
				}
				return
			}
			if !errors.As(err, &fe) {
				t.Fatalf("Probe error = %v (%T), want *FormatError", err, err)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tt.unexpEOF {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v, want %v", err, got, tt.unexpEOF)
			}
		})
	}
}

// TestProbeReadsOnlyHeader checks that Probe stops at the frame header: the
// bytes after it are never read.
func TestProbeReadsOnlyHeader(t *testing.T) {
	jpg := encodeJPEG(t, quads(64, 64, red, green, blue, yellow), 90)
	tests := []struct {
		name string
		data []byte
	}{
		{"jpeg", jpg},
		{"png", encodePNG(t, quads(64, 64, red, green, blue, yellow))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(tt.data)
			if _, err := Probe(r); err != nil {
				t.Fatalf("Probe: %v", err)
			}
			read := len(tt.data) - r.Len()
			if read > len(tt.data)/2 {
				t.Fatalf("Probe read %d of %d bytes", read, len(tt.data))
			}
		})
	}
}

var _ = palette.Plan9
