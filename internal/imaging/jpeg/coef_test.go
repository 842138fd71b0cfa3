package jpeg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"io"
	"reflect"
	"runtime"
	"testing"
)

// coefSources are the fixtures plus files the fixtures do not cover:
// restart intervals long enough to be decoded on several goroutines, a
// sequential file without restarts large enough for Decode's Huffman/IDCT
// pipeline, and CMYK/YCCK (Decode converts those to *image.CMYK).
func coefSources(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range fixtures {
		files[name] = readFixture(t, name)
	}
	files["restart 300x100"] = encodeTestJPEG(encOptions{
		width: 300, height: 100, adobeTransform: -1, restart: 3,
		comps: []encComp{
			{id: 1, h: 2, v: 2, sample: func(x, y int) uint8 { return uint8(x*7 + y*3) }},
			{id: 2, h: 1, v: 1, sample: func(x, y int) uint8 { return uint8(128 + x - y) }},
			{id: 3, h: 1, v: 1, sample: func(x, y int) uint8 { return uint8(x ^ y) }},
		},
	})
	files["ycck 2x2"] = encodeTestJPEG(encOptions{
		width: 37, height: 29, adobeTransform: 2,
		comps: []encComp{
			{id: 1, h: 2, v: 2, sample: func(x, y int) uint8 { return uint8(20 + 2*x + y) }},
			{id: 2, h: 1, v: 1, sample: func(x, y int) uint8 { return uint8(20 + x + 2*y) }},
			{id: 3, h: 1, v: 1, sample: func(x, y int) uint8 { return uint8(200 - x - y) }},
			{id: 4, h: 2, v: 2, sample: func(x, y int) uint8 { return uint8(150 - x + y) }},
		},
	})
	src := image.NewRGBA(image.Rect(0, 0, 643, 401))
	for i := range src.Pix {
		src.Pix[i] = uint8(i*7 ^ i>>9)
	}
	var buf bytes.Buffer
	if err := stdjpeg.Encode(&buf, src, &stdjpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	files["pipeline 643x401"] = buf.Bytes()
	return files
}

// samePlanes fails unless got and want are the same image type with the
// same bounds, strides and every byte of every plane, padding included.
func samePlanes(t *testing.T, got, want image.Image) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) || got.Bounds() != want.Bounds() {
		t.Fatalf("got %T %v, want %T %v", got, got.Bounds(), want, want.Bounds())
	}
	if g, ok := got.(*image.YCbCr); ok {
		w := want.(*image.YCbCr)
		for _, p := range []struct {
			name string
			g, w []byte
		}{{"Y", g.Y, w.Y}, {"Cb", g.Cb, w.Cb}, {"Cr", g.Cr, w.Cr}} {
			if !bytes.Equal(p.g, p.w) {
				t.Errorf("%s plane differs (%d vs %d bytes)", p.name, len(p.g), len(p.w))
			}
		}
	}
	t.Fatalf("%T planes differ", got)
}

// TestCoefficientsImage: one DecodeCoefficients, then Image at every scale,
// gives exactly what Decode gives at that scale, on one goroutine and on
// four (restart runs decoded in parallel, band-parallel IDCT).
func TestCoefficientsImage(t *testing.T) {
	for name, b := range coefSources(t) {
		for _, procs := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/procs=%d", name, procs), func(t *testing.T) {
				prev := runtime.GOMAXPROCS(procs)
				defer runtime.GOMAXPROCS(prev)
				coefs, err := DecodeCoefficients(context.Background(), bytes.NewReader(b), nil)
				if err != nil {
					t.Fatalf("DecodeCoefficients: %v", err)
				}
				cfg, err := DecodeConfig(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if want := image.Rect(0, 0, cfg.Width, cfg.Height); coefs.Bounds() != want {
					t.Errorf("Bounds %v, want %v", coefs.Bounds(), want)
				}
				// What is held stays within the bound: exactly it for a
				// progressive frame, plus a partly used chunk per
				// goroutine for a sequential one.
				var held int64
				for i := 0; i < coefs.d.nComp; i++ {
					c := &coefs.d.comp[i]
					held += int64(2*len(c.coef) + len(c.last) + 4*len(c.loc))
				}
				slack := int64(0)
				if !cfg.Progressive {
					for _, ch := range coefs.d.chunks.c {
						held += int64(2 * len(ch))
					}
					slack = int64(cfg.Components * procs * 2 * coefs.d.chunks.n)
				}
				if held > cfg.CoefficientBytes+slack || cfg.Progressive && held != cfg.CoefficientBytes {
					t.Errorf("holds %d bytes of coefficients, DecodeConfig says %d (+ %d)", held, cfg.CoefficientBytes, slack)
				}
				// Small scales first: an Image must not disturb the next.
				for _, s := range []int{8, 1, 4, 2, 1} {
					want, err := Decode(bytes.NewReader(b), &Options{Scale: s})
					if err != nil {
						t.Fatalf("Decode 1:%d: %v", s, err)
					}
					got, err := coefs.Image(context.Background(), s)
					if err != nil {
						t.Fatalf("Image 1:%d: %v", s, err)
					}
					samePlanes(t, got, want)
				}
			})
		}
	}
}

// TestCoefficientsErrors: DecodeCoefficients fails where a full-scale
// Decode does, with the same error type: the pixel limit before any
// allocation, truncation, corruption, a cancelled context; and Image
// refuses a bad scale and a cancelled context.
func TestCoefficientsErrors(t *testing.T) {
	huge := patchSOF(t, func(p []byte) { p[1], p[2], p[3], p[4] = 0xff, 0xff, 0xff, 0xff })
	var le *LimitError
	if _, err := DecodeCoefficients(context.Background(), bytes.NewReader(huge), &Options{MaxPixels: 50_000_000}); !errors.As(err, &le) {
		t.Errorf("over MaxPixels: err = %v, want *LimitError", err)
	}
	if _, err := DecodeCoefficients(context.Background(), bytes.NewReader(huge), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("huge header on tiny data: err = %v, want io.ErrUnexpectedEOF", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DecodeCoefficients(ctx, bytes.NewReader(readFixture(t, "b420.jpg")), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	coefs, err := DecodeCoefficients(context.Background(), bytes.NewReader(readFixture(t, "p420.jpg")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := coefs.Image(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("Image cancelled: err = %v, want context.Canceled", err)
	}
	if _, err := coefs.Image(context.Background(), 3); err == nil {
		t.Error("Image at scale 3: no error")
	}

	for _, name := range fixtures {
		b := readFixture(t, name)
		for i := 1; i < 16; i++ {
			_, err := DecodeCoefficients(context.Background(), bytes.NewReader(b[:len(b)*i/16]), nil)
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut at %d/16: err = %v, want FormatError wrapping io.ErrUnexpectedEOF", name, i, err)
			}
		}
		// Corrupt bytes: success or failure, and the error's type, as
		// Decode at full scale.
		for i := 2; i < len(b); i += 13 {
			c := append([]byte{}, b...)
			c[i] ^= 0x5a
			_, werr := Decode(bytes.NewReader(c), &Options{MaxPixels: 1 << 20})
			_, err := DecodeCoefficients(context.Background(), bytes.NewReader(c), &Options{MaxPixels: 1 << 20})
			if (err == nil) != (werr == nil) || reflect.TypeOf(err) != reflect.TypeOf(werr) {
				t.Errorf("%s byte %d flipped: DecodeCoefficients %v, Decode %v", name, i, err, werr)
			}
		}
	}
}
