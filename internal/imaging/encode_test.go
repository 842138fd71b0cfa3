package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"io"
	"testing"

	"golang.org/x/image/webp"
)

// xWebPDecode decodes with golang.org/x/image/webp, which checks the
// container and the VP8 bitstream independently of our encoder, and reads
// its limited-range planes as libwebp does (decodeWebP).
func xWebPDecode(t testing.TB, b []byte) image.Image {
	t.Helper()
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		t.Fatalf("output is not a RIFF WEBP file: % x", b[:min(len(b), 12)])
	}
	if _, err := webp.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Fatalf("x/image/webp config: %v", err)
	}
	m, err := decodeWebP(context.Background(), bytes.NewReader(b), Info{}, image.Point{})
	if err != nil {
		t.Fatalf("x/image/webp: %v", err)
	}
	return m
}

// TestWebPOutput encodes WebP from opaque and transparent sources and checks
// size, colours and alpha after decoding with x/image/webp.
func TestWebPOutput(t *testing.T) {
	clear := color.NRGBA{0, 255, 0, 0}
	half := color.NRGBA{0, 0, 255, 128}
	opaque := encodeJPEG(t, quads(640, 480, red, green, blue, yellow), 95)
	alpha := encodePNG(t, quads(640, 480, red, clear, half, yellow))
	rotated := insertSegments(encodeJPEG(t, quads(480, 640, green, yellow, red, blue), 95), exifSegment(binary.BigEndian, 6, false))
	tests := []struct {
		name           string
		src            []byte
		spec           Spec
		w, h           int
		tl, tr, bl, br color.NRGBA
		alpha          bool // VP8X + ALPH expected
	}{
		{"opaque full size", opaque, Spec{Format: WebP, Quality: 90}, 640, 480, red, green, blue, yellow, false},
		{"opaque resized", opaque, Spec{Format: WebP, LongSide: 256}, 256, 192, red, green, blue, yellow, false},
		{"exif rotated", rotated, Spec{Format: WebP, LongSide: 320, Quality: 90}, 320, 240, red, green, blue, yellow, false},
		{"alpha kept", alpha, Spec{Format: WebP, Quality: 90}, 640, 480, red, color.NRGBA{}, half, yellow, true},
		{"alpha kept resized", alpha, Spec{Format: WebP, LongSide: 100, Background: color.NRGBA{255, 255, 255, 255}}, 100, 75, red, color.NRGBA{}, half, yellow, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, o := process(t, tt.src, tt.spec)
			if o.Format != WebP || o.Width != tt.w || o.Height != tt.h {
				t.Fatalf("Output = %+v, want webp %dx%d", o, tt.w, tt.h)
			}
			if got := bytes.Contains(out[:min(len(out), 64)], []byte("ALPH")); got != tt.alpha {
				t.Errorf("ALPH chunk present = %v, want %v", got, tt.alpha)
			}
			m := xWebPDecode(t, out)
			if b := m.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("decoded %v, want %dx%d", b, tt.w, tt.h)
			}
			// Lossy 4:2:0 in limited range: colours within a few levels at
			// quadrant centres; alpha is coded losslessly.
			if tt.alpha {
				checkAlpha(t, m, tt.tl.A, tt.tr.A, tt.bl.A, tt.br.A)
				tt.tr = at(m, 3*tt.w/4, tt.h/4) // fully transparent: colour is undefined
			}
			checkQuads(t, m, tt.tl, tt.tr, tt.bl, tt.br, 12)
		})
	}
}

// checkAlpha compares the alpha at the quadrant centres exactly.
func checkAlpha(t *testing.T, m image.Image, tl, tr, bl, br uint8) {
	t.Helper()
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	for _, p := range []struct {
		x, y int
		a    uint8
	}{{w / 4, h / 4, tl}, {3 * w / 4, h / 4, tr}, {w / 4, 3 * h / 4, bl}, {3 * w / 4, 3 * h / 4, br}} {
		if got := at(m, b.Min.X+p.x, b.Min.Y+p.y).A; got != p.a {
			t.Errorf("alpha at (%d,%d) = %d, want %d", p.x, p.y, got, p.a)
		}
	}
}

// TestProcessAll checks that every output of one ProcessAll call is
// byte-identical to a separate Process call, whatever the order of the
// encodings, including a flattened JPEG before and after alpha-keeping
// encodings of the same transparent source.
func TestProcessAll(t *testing.T) {
	noisy := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range noisy.Pix {
		noisy.Pix[i] = uint8(i*7919 + i/997)
	}
	opaque := encodeJPEG(t, noisy, 90)
	alpha := encodePNG(t, noisy) // straight alpha, every level
	bg := color.NRGBA{20, 40, 60, 255}
	tests := []struct {
		name string
		src  []byte
		spec Spec
		encs []Encoding
	}{
		{"webp and jpeg", opaque, Spec{LongSide: 128}, []Encoding{{Format: WebP, Quality: 80}, {Format: JPEG, Quality: 80}}},
		{"jpeg and webp default qualities", opaque, Spec{LongSide: 256}, []Encoding{{Format: JPEG}, {Format: WebP}}},
		{"alpha: webp then jpeg", alpha, Spec{LongSide: 150, Background: bg}, []Encoding{{Format: WebP, Quality: 75}, {Format: JPEG, Quality: 85}}},
		{"alpha: jpeg, webp, png, gif", alpha, Spec{LongSide: 150, Background: bg}, []Encoding{{Format: JPEG, Quality: 85}, {Format: WebP, Quality: 75}, {Format: PNG}, {Format: GIF}}},
		{"alpha: jpeg and gif only", alpha, Spec{Background: bg}, []Encoding{{Format: JPEG}, {Format: GIF}}},
		{"same format twice", opaque, Spec{LongSide: 100}, []Encoding{{Format: WebP, Quality: 50}, {Format: WebP, Quality: 90}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bufs := make([]bytes.Buffer, len(tt.encs))
			encs := make([]Encoding, len(tt.encs))
			for i, e := range tt.encs {
				e.Dst = &bufs[i]
				encs[i] = e
			}
			outs, err := ProcessAll(context.Background(), bytes.NewReader(tt.src), tt.spec, encs, Limits{})
			if err != nil {
				t.Fatalf("ProcessAll: %v", err)
			}
			if len(outs) != len(encs) {
				t.Fatalf("%d outputs for %d encodings", len(outs), len(encs))
			}
			for i, e := range tt.encs {
				spec := tt.spec
				spec.Format, spec.Quality = e.Format, e.Quality
				want, wo := process(t, tt.src, spec)
				if !bytes.Equal(bufs[i].Bytes(), want) {
					t.Errorf("encoding %d (%s q%d): %d bytes differ from Process's %d", i, e.Format, e.Quality, bufs[i].Len(), len(want))
				}
				if outs[i] != wo || outs[i].Bytes != int64(bufs[i].Len()) {
					t.Errorf("encoding %d: Output %+v, Process gave %+v (wrote %d)", i, outs[i], wo, bufs[i].Len())
				}
			}
		})
	}
}

// TestProcessAllErrors checks the spec errors of ProcessAll and the early
// refusal of a WebP larger than VP8 can code.
func TestProcessAllErrors(t *testing.T) {
	jpg := encodeJPEG(t, quads(64, 64, red, green, blue, yellow), 90)
	tests := []struct {
		name  string
		src   []byte
		spec  Spec
		encs  []Encoding
		check func(t *testing.T, err error)
	}{
		{"no encodings", jpg, Spec{}, nil, isSpecErr},
		{"nil writer", jpg, Spec{}, []Encoding{{Format: JPEG}}, isSpecErr},
		{"spec format set", jpg, Spec{Format: JPEG}, []Encoding{{Format: WebP, Dst: io.Discard}}, isSpecErr},
		{"bad quality in second", jpg, Spec{}, []Encoding{{Format: JPEG, Dst: io.Discard}, {Format: WebP, Quality: 101, Dst: io.Discard}}, isSpecErr},
		{"heic output", jpg, Spec{}, []Encoding{{Format: HEIC, Dst: io.Discard}}, isUnsupported("heic")},
		{"webp wider than 16383", pngHeader(16384, 2), Spec{}, []Encoding{{Format: JPEG, Dst: io.Discard}, {Format: WebP, Dst: io.Discard}}, isUnsupported("webp")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ProcessAll(context.Background(), bytes.NewReader(tt.src), tt.spec, tt.encs, Limits{})
			tt.check(t, err)
		})
	}
	t.Run("webp side limit is not a JPEG limit", func(t *testing.T) {
		src := encodePNG(t, image.NewNRGBA(image.Rect(0, 0, 16384, 1)))
		if _, err := Process(context.Background(), bytes.NewReader(src), io.Discard, Spec{Format: JPEG}, Limits{}); err != nil {
			t.Fatalf("jpeg 16384x1: %v", err)
		}
		_, err := Process(context.Background(), bytes.NewReader(src), io.Discard, Spec{Format: WebP, LongSide: 16383}, Limits{})
		if err != nil {
			t.Fatalf("webp resized to 16383x1: %v", err)
		}
	})
}

// TestProcessAllCancelled checks that a cancelled context stops between
// encodings and is reported as itself.
func TestProcessAllCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := encodeJPEG(t, quads(64, 64, red, green, blue, yellow), 90)
	var second bytes.Buffer
	_, err := ProcessAll(ctx, bytes.NewReader(src), Spec{}, []Encoding{{Format: JPEG, Dst: cancelWriter(cancel)}, {Format: WebP, Dst: &second}}, Limits{})
	if !errors.Is(err, context.Canceled) || second.Len() != 0 {
		t.Fatalf("err = %v, second output %d bytes; want context.Canceled before the second encoding", err, second.Len())
	}
}

// cancelWriter cancels its context when written to.
type cancelWriter context.CancelFunc

func (c cancelWriter) Write(p []byte) (int, error) {
	c()
	return len(p), nil
}
