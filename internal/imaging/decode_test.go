package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"io"
	"testing"
)

// halve box-filters m to half size.
func halve(m image.Image) *image.NRGBA {
	src := toNRGBAForTest(m)
	w, h := src.Rect.Dx()/2, src.Rect.Dy()/2
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 4; c++ {
				s := 0
				for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					s += int(src.Pix[(2*y+d[1])*src.Stride+4*(2*x+d[0])+c])
				}
				out.Pix[y*out.Stride+4*x+c] = uint8((s + 2) / 4)
			}
		}
	}
	return out
}

func toNRGBAForTest(m image.Image) *image.NRGBA {
	b := m.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.SetNRGBA(x, y, at(m, b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// TestShrinkOnLoadHook plugs in a decoder that shrinks while decoding (as the
// scaled-DCT JPEG decoder will) and checks that it is told the target size in
// stored orientation and that the pipeline uses whatever size it returns.
func TestShrinkOnLoadHook(t *testing.T) {
	orig := decoders[JPEG]
	t.Cleanup(func() { decoders[JPEG] = orig })

	// Stored 128×64 with orientation 6 → displayed 64×128 (TL red, TR green, BL blue, BR yellow).
	src := insertSegments(encodeJPEG(t, quads(128, 64, green, yellow, red, blue), 95), exifSegment(binary.BigEndian, 6, false))
	tests := []struct {
		name     string
		long     int
		wantHint image.Point
		shrinks  int // how many halvings the fake decoder can apply
		wantErr  bool
	}{
		{"shrinks twice then resamples", 24, image.Pt(24, 12), 2, false},
		{"shrinks exactly to target", 32, image.Pt(32, 16), 2, false},
		{"no shrink possible", 100, image.Pt(100, 50), 0, false},
		{"decoder returning less than asked is an error", 32, image.Pt(32, 16), 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hint image.Point
			decoders[JPEG] = func(ctx context.Context, r io.Reader, info Info, want image.Point) (image.Image, error) {
				hint = want
				m, err := orig(ctx, r, info, want)
				if err != nil {
					return nil, err
				}
				for i := 0; i < tt.shrinks; i++ {
					if !tt.wantErr && (m.Bounds().Dx()/2 < want.X || m.Bounds().Dy()/2 < want.Y) {
						break
					}
					m = halve(m)
				}
				return m, nil
			}
			var out bytes.Buffer
			o, err := Process(t.Context(), bytes.NewReader(src), &out, Spec{LongSide: tt.long, Format: PNG}, Limits{})
			if tt.wantErr {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want *FormatError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if hint != tt.wantHint {
				t.Errorf("decoder hint %v, want %v", hint, tt.wantHint)
			}
			ww, wh := Fit(64, 128, tt.long)
			if o.Width != ww || o.Height != wh {
				t.Fatalf("output %dx%d, want %dx%d", o.Width, o.Height, ww, wh)
			}
			checkQuads(t, decodeOutput(t, out.Bytes()), red, green, blue, yellow, 16)
		})
	}
}

// TestGIFCanvas checks that a frame smaller than the logical screen reads as
// the old allocated canvas did (transparent around the frame, palette
// colours inside), decoded at full size and resized, and that the canvas is
// not allocated.
func TestGIFCanvas(t *testing.T) {
	pal := color.Palette{color.RGBA{200, 30, 30, 255}, color.RGBA{}, color.RGBA{10, 20, 250, 255}}
	frame := image.NewPaletted(image.Rect(5, 7, 15, 15), pal)
	for i := range frame.Pix {
		frame.Pix[i] = uint8(i % 3)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: pal, Width: 40, Height: 30}}); err != nil {
		t.Fatal(err)
	}
	want := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	draw.Draw(want, frame.Rect, frame, frame.Rect.Min, draw.Src)

	got, _, err := Decode(t.Context(), bytes.NewReader(b.Bytes()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Error("full-size decode differs from the frame drawn on a transparent canvas")
	}
	resized, err := resample(t.Context(), rowsOf(want), nil, 40, 30, 17, 13, false)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := process(t, b.Bytes(), Spec{LongSide: 17, Format: PNG})
	if m := toNRGBAForTest(decodeOutput(t, out)); !bytes.Equal(m.Pix, resized.Pix) {
		t.Error("resized output differs from resizing the drawn canvas")
	}

	// A 1×1 frame on a 30000×3000 screen: only the frame and the output
	// are allocated, not the 360 MB canvas.
	big := gifScreen(t, 30000, 3000, 1, 1)
	alloc := countAlloc(func() { process(t, big, Spec{LongSide: 64, Format: PNG}) })
	if alloc > 32<<20 {
		t.Errorf("allocated %d MB for a 1x1 frame", alloc>>20)
	}
}
