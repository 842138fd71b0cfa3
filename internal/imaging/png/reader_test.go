package png

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	stdpng "image/png"
	"io"
	"testing"
)

// chunk builds one PNG chunk with its CRC.
func chunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// rawSize is the size of the filtered data of a w×h image.
func rawSize(w, h, depth, ct int, interlace bool) int {
	row := func(w int) int { return 1 + (w*channels[ct]*depth+7)/8 }
	if !interlace {
		return h * row(w)
	}
	n := 0
	for _, p := range adam7 {
		pw, ph := (w-p.x0+p.dx-1)/p.dx, (h-p.y0+p.dy-1)/p.dy
		if pw > 0 && ph > 0 {
			n += ph * row(pw)
		}
	}
	return n
}

// pngFile is a test PNG: random filtered data (random filter types too,
// since unfiltering any bytes gives some image), any colour type, depth,
// interlacing, palette and tRNS.
type pngFile struct {
	w, h, depth, ct int
	interlace       bool
	plte, trns      []byte
	idatSplit       int // split the zlib stream into IDAT chunks of this size (0: one)
	seed            uint32
}

func (f pngFile) bytes() []byte {
	raw := make([]byte, rawSize(f.w, f.h, f.depth, f.ct, f.interlace))
	s := f.seed
	for i := range raw {
		s = s*1664525 + 1013904223
		raw[i] = uint8(s >> 24)
	}
	// Filter bytes: walk the rows and set each to 0..4.
	row := func(w int) int { return 1 + (w*channels[f.ct]*f.depth+7)/8 }
	passes := []pass{{0, 0, 1, 1}}
	if f.interlace {
		passes = adam7[:]
	}
	off := 0
	for _, p := range passes {
		pw, ph := (f.w-p.x0+p.dx-1)/p.dx, (f.h-p.y0+p.dy-1)/p.dy
		if pw <= 0 || ph <= 0 {
			continue
		}
		for y := 0; y < ph; y++ {
			raw[off] %= 5
			off += row(pw)
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(f.w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(f.h))
	il := byte(0)
	if f.interlace {
		il = 1
	}
	ihdr = append(ihdr, byte(f.depth), byte(f.ct), 0, 0, il)
	b := append([]byte(signature), chunk("IHDR", ihdr)...)
	if f.plte != nil {
		b = append(b, chunk("PLTE", f.plte)...)
	}
	if f.trns != nil {
		b = append(b, chunk("tRNS", f.trns)...)
	}
	data := z.Bytes()
	for f.idatSplit > 0 && len(data) > f.idatSplit {
		b = append(b, chunk("IDAT", data[:f.idatSplit])...)
		data = data[f.idatSplit:]
	}
	b = append(b, chunk("IDAT", data)...)
	return append(b, chunk("IEND", nil)...)
}

// rgba8 returns m's pixels as straight 8-bit RGBA the way the engine reads
// image/png's images: the high byte of 16-bit samples.
func rgba8(m image.Image) []uint8 {
	b := m.Bounds()
	out := make([]uint8, 0, 4*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var c color.NRGBA
			switch m := m.(type) {
			case *image.Gray16:
				v := m.Gray16At(x, y).Y >> 8
				c = color.NRGBA{uint8(v), uint8(v), uint8(v), 255}
			case *image.NRGBA64:
				p := m.NRGBA64At(x, y)
				c = color.NRGBA{uint8(p.R >> 8), uint8(p.G >> 8), uint8(p.B >> 8), uint8(p.A >> 8)}
			default:
				c = color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
			}
			out = append(out, c.R, c.G, c.B, c.A)
		}
	}
	return out
}

// checkSame decodes b with Decode and image/png and fails unless both
// reject it or both accept it with the same 8-bit pixels.
func checkSame(t testing.TB, b []byte) {
	t.Helper()
	want, werr := stdpng.Decode(bytes.NewReader(b))
	got, err := Decode(context.Background(), bytes.NewReader(b), nil)
	if (err == nil) != (werr == nil) {
		t.Fatalf("Decode err = %v, image/png err = %v", err, werr)
	}
	if err != nil {
		return
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, image/png %v", got.Bounds(), want.Bounds())
	}
	if g, w := rgba8(got), rgba8(want); !bytes.Equal(g, w) {
		for i := range g {
			if g[i] != w[i] {
				t.Fatalf("pixel %d channel %d = %d, image/png %d (%T vs %T)", i/4, i%4, g[i], w[i], got, want)
			}
		}
	}
}

func TestMatchesImagePNG(t *testing.T) {
	plte := func(n int) []byte {
		p := make([]byte, 3*n)
		for i := range p {
			p[i] = uint8(i * 37)
		}
		return p
	}
	var files []pngFile
	for _, c := range []struct{ ct, depth int }{
		{0, 1}, {0, 2}, {0, 4}, {0, 8}, {0, 16}, {2, 8}, {2, 16}, {3, 1}, {3, 2}, {3, 4}, {3, 8}, {4, 8}, {4, 16}, {6, 8}, {6, 16},
	} {
		for _, il := range []bool{false, true} {
			for _, size := range [][2]int{{1, 1}, {3, 2}, {17, 9}, {33, 21}} {
				f := pngFile{w: size[0], h: size[1], depth: c.depth, ct: c.ct, interlace: il, seed: uint32(size[0]*7 + c.ct)}
				if c.ct == ctPaletted {
					f.plte = plte(min(1<<c.depth, 5)) // short: indexes beyond it are opaque black
				}
				files = append(files, f)
				switch c.ct {
				case ctGray: // tRNS matching a common value
					t := []byte{0, 0}
					if c.depth == 16 {
						t = []byte{0x80, 0x11}
					}
					f.trns = t
					files = append(files, f)
				case ctTrueColor:
					f.trns = []byte{0, 0x10, 0, 0x20, 0, 0x30}
					files = append(files, f)
				case ctPaletted:
					f.trns = []byte{0, 128, 255, 7, 9, 11, 13}[:min(1<<c.depth, 7)]
					files = append(files, f)
				}
			}
		}
	}
	for _, f := range files {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) { checkSame(t, f.bytes()) })
	}
	// A gray tRNS value that matches nothing after scaling, a palette
	// with a tRNS longer than PLTE, IDAT split in many chunks.
	checkSame(t, pngFile{w: 9, h: 5, depth: 2, ct: 0, trns: []byte{0, 7}, seed: 1}.bytes())
	checkSame(t, pngFile{w: 9, h: 5, depth: 8, ct: 3, plte: plte(2), trns: []byte{1, 2, 3, 4}, seed: 2}.bytes())
	checkSame(t, pngFile{w: 40, h: 30, depth: 8, ct: 6, idatSplit: 7, seed: 3}.bytes())
}

func TestRejects(t *testing.T) {
	good := pngFile{w: 20, h: 10, depth: 8, ct: 2, seed: 9}.bytes()
	corrupt := append([]byte{}, good...)
	corrupt[40] ^= 1 // inside the IDAT data: a CRC mismatch
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"signature only", []byte(signature)},
		{"cut in the image data", good[:len(good)-30]},
		{"no IEND", good[:len(good)-12]},
		{"bad CRC", corrupt},
		{"palette image without PLTE", pngFile{w: 4, h: 4, depth: 8, ct: 3}.bytes()},
		{"PLTE in a grey image", pngFile{w: 4, h: 4, depth: 8, ct: 0, plte: []byte{1, 2, 3}}.bytes()},
		{"bad tRNS length", pngFile{w: 4, h: 4, depth: 8, ct: 2, trns: []byte{1, 2}}.bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(context.Background(), bytes.NewReader(tt.b), nil); err == nil {
				t.Fatal("decoded")
			}
			checkSame(t, tt.b)
		})
	}
}

func TestLimit(t *testing.T) {
	b := pngFile{w: 300, h: 200, depth: 8, ct: 6}.bytes()
	_, err := Decode(context.Background(), bytes.NewReader(b), &Options{MaxPixels: 300*200 - 1})
	var le *LimitError
	if !errors.As(err, &le) || le.Pixels != 60000 {
		t.Fatalf("err = %v, want *LimitError", err)
	}
	if _, err := Decode(context.Background(), bytes.NewReader(b), &Options{MaxPixels: 300 * 200}); err != nil {
		t.Fatal(err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := pngFile{w: 30, h: 20, depth: 8, ct: 2}.bytes()
	if _, err := Decode(ctx, bytes.NewReader(b), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestSixteenBitMemory decodes a 2000×2000 16-bit RGBA image: the result
// takes 4 bytes a pixel, where image/png's takes 8.
func TestSixteenBitMemory(t *testing.T) {
	b := pngFile{w: 2000, h: 2000, depth: 16, ct: 6}.bytes()
	m, err := Decode(context.Background(), bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := m.(*image.NRGBA); !ok || len(n.Pix) != 4*2000*2000 {
		t.Fatalf("got %T", m)
	}
}

var _ = io.EOF
