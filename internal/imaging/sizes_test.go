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
	"os"
	"testing"
)

// sizesSources are sources of every format, with and without alpha and
// orientation, for the ProcessSizes tests.
func sizesSources(t *testing.T) map[string][]byte {
	t.Helper()
	noisy := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range noisy.Pix {
		noisy.Pix[i] = uint8(i*7919 + i/997)
	}
	opaque := image.NewNRGBA(noisy.Rect)
	copy(opaque.Pix, noisy.Pix)
	for i := 3; i < len(opaque.Pix); i += 4 {
		opaque.Pix[i] = 255
	}
	var g bytes.Buffer
	if err := gif.Encode(&g, opaque, &gif.Options{NumColors: 256}); err != nil {
		t.Fatal(err)
	}
	jpg := encodeJPEG(t, opaque, 90)
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return map[string][]byte{
		"jpeg":               jpg,
		"jpeg orientation 6": insertSegments(jpg, exifSegment(binary.BigEndian, 6, false)),
		"jpeg cmyk":          cmykJPEG([][]color.CMYK{{{C: 200}, {M: 200}}, {{Y: 200}, {K: 100}}}),
		"png alpha":          encodePNG(t, noisy),
		"gif":                g.Bytes(),
		"webp lossy":         read("testdata/webp/blue-purple-pink.lossy.webp"),
		"webp alpha":         read("testdata/webp/yellow_rose.lossy-with-alpha.webp"),
		"heic grid alpha":    read("heif/testdata/iphone-grid/image.heic"),
		"heic irot":          read("heif/testdata/exif-orientation/image.heic"),
		"heic 10-bit":        read("testdata/heic/10bit-2020/image.heic"),
	}
}

// TestProcessSizesMatchesProcessAll checks the invariant that makes
// grouping sizes safe: every target of one ProcessSizes call is
// byte-identical, with the same Outputs, to a ProcessAll call of its own,
// for every format (one shared decode, or a JPEG's coefficients
// reconstructed at each target's scale), with
// targets larger than the source, at its size, repeated and out of order.
func TestProcessSizesMatchesProcessAll(t *testing.T) {
	bg := color.NRGBA{20, 40, 60, 255}
	webpJPEG := []Encoding{{Format: WebP, Quality: 85}, {Format: JPEG, Quality: 82}}
	tests := []struct {
		name  string
		sides []int
		encs  []Encoding
	}{
		{"webp and jpeg, 4 sizes", []int{2048, 120, 64, 16}, webpJPEG},
		{"out of order, repeated, source size", []int{40, 0, 40, 100}, webpJPEG},
		{"png, gif, jpeg, webp", []int{90, 33}, []Encoding{{Format: PNG}, {Format: GIF}, {Format: JPEG}, {Format: WebP}}},
		{"one size", []int{50}, []Encoding{{Format: JPEG, Quality: 70}}},
	}
	for srcName, src := range sizesSources(t) {
		for _, tt := range tests {
			t.Run(srcName+"/"+tt.name, func(t *testing.T) {
				targets := make([]Target, len(tt.sides))
				bufs := make([][]bytes.Buffer, len(tt.sides))
				for i, side := range tt.sides {
					bufs[i] = make([]bytes.Buffer, len(tt.encs))
					targets[i] = Target{Spec: Spec{LongSide: side, Background: bg}}
					for k, e := range tt.encs {
						e.Dst = &bufs[i][k]
						targets[i].Encodings = append(targets[i].Encodings, e)
					}
				}
				outs, err := ProcessSizes(context.Background(), bytes.NewReader(src), targets, Limits{})
				if err != nil {
					t.Fatalf("ProcessSizes: %v", err)
				}
				if len(outs) != len(targets) {
					t.Fatalf("%d results for %d targets", len(outs), len(targets))
				}
				for i, tg := range targets {
					want := make([]bytes.Buffer, len(tt.encs))
					encs := make([]Encoding, len(tt.encs))
					for k, e := range tt.encs {
						e.Dst = &want[k]
						encs[k] = e
					}
					wantOuts, err := ProcessAll(context.Background(), bytes.NewReader(src), tg.Spec, encs, Limits{})
					if err != nil {
						t.Fatalf("ProcessAll: %v", err)
					}
					for k := range encs {
						if !bytes.Equal(bufs[i][k].Bytes(), want[k].Bytes()) {
							t.Errorf("target %d (long side %d) %s: %d bytes differ from ProcessAll's %d",
								i, tg.Spec.LongSide, encs[k].Format, bufs[i][k].Len(), want[k].Len())
						}
						if outs[i][k] != wantOuts[k] {
							t.Errorf("target %d %s: Output %+v, ProcessAll gave %+v", i, encs[k].Format, outs[i][k], wantOuts[k])
						}
					}
				}
			})
		}
	}
}

// TestProcessSizesJPEGScales checks the JPEG path of ProcessSizes: targets
// of several DCT scales (out of order, repeated) are made from one entropy
// decode, without a per-target decode through decoders[JPEG], and each is
// byte-identical to its own ProcessAll, for baseline, progressive, restart
// interval, grayscale and CMYK sources. Targets of a single scale share one
// ordinary decode, and a frame whose coefficients exceed the budget is
// decoded once per run of targets of one scale.
func TestProcessSizesJPEGScales(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("jpeg/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	srcs := []struct {
		name string
		data []byte
	}{
		{"baseline 4:2:0", sizesSources(t)["jpeg"]},
		{"progressive 4:2:2", read("p422.jpg")},
		{"restart intervals", read("r420.jpg")},
		{"gray", read("gray.jpg")},
		{"cmyk", cmykJPEG([][]color.CMYK{{{C: 200}, {M: 200}, {K: 30}}, {{Y: 200}, {K: 100}, {C: 9}}, {{M: 7}, {Y: 70}, {K: 255}}})},
	}
	tests := []struct {
		name    string
		divs    []int // long sides: the source's divided by these
		budget  int64 // coefficient bytes that may be kept
		decodes int   // calls of decoders[JPEG]
	}{
		{"four scales", []int{1, 2, 4, 8}, maxSharedCoefBytes, 0},
		{"out of order, repeated", []int{8, 1, 8, 2, 2}, maxSharedCoefBytes, 0},
		{"one scale", []int{4, 5}, maxSharedCoefBytes, 1},
		{"over budget: a decode per scale", []int{8, 1, 8, 2, 2}, 1, 4},
	}
	orig := decoders[JPEG]
	t.Cleanup(func() { decoders[JPEG] = orig })
	for _, src := range srcs {
		info, err := Probe(bytes.NewReader(src.data))
		if err != nil {
			t.Fatal(err)
		}
		long := max(info.Width, info.Height)
		for _, tt := range tests {
			t.Run(src.name+"/"+tt.name, func(t *testing.T) {
				calls := 0
				decoders[JPEG] = func(ctx context.Context, r io.Reader, info Info, want image.Point) (image.Image, error) {
					calls++
					return orig(ctx, r, info, want)
				}
				targets := make([]Target, len(tt.divs))
				bufs := make([]bytes.Buffer, len(tt.divs))
				for i, d := range tt.divs {
					targets[i] = Target{Spec: Spec{LongSide: max(long/d, 1)}, Encodings: []Encoding{{Format: JPEG, Quality: 80, Dst: &bufs[i]}}}
				}
				outs, err := processSizes(context.Background(), bytes.NewReader(src.data), targets, Limits{}, tt.budget)
				if err != nil {
					t.Fatalf("ProcessSizes: %v", err)
				}
				if calls != tt.decodes {
					t.Errorf("%d decodes through decoders[JPEG], want %d", calls, tt.decodes)
				}
				for i, tg := range targets {
					var want bytes.Buffer
					o, err := ProcessAll(context.Background(), bytes.NewReader(src.data), tg.Spec, []Encoding{{Format: JPEG, Quality: 80, Dst: &want}}, Limits{})
					if err != nil {
						t.Fatalf("ProcessAll: %v", err)
					}
					if !bytes.Equal(bufs[i].Bytes(), want.Bytes()) || outs[i][0] != o[0] {
						t.Errorf("target %d (long side %d): %+v, %d bytes; ProcessAll: %+v, %d bytes",
							i, tg.Spec.LongSide, outs[i][0], bufs[i].Len(), o[0], want.Len())
					}
				}
			})
		}
	}
}

// TestDecodersIgnoreWant checks shrinksOnLoad against the decoders: a
// decoder of a format not listed must return the same image whatever size
// it is asked for (ProcessSizes shares one decode between the sizes), and
// JPEG's must not (or grouping JPEG sizes would cost nothing).
func TestDecodersIgnoreWant(t *testing.T) {
	srcs := sizesSources(t)
	for _, name := range []string{"jpeg", "png alpha", "gif", "webp lossy", "heic grid alpha"} {
		t.Run(name, func(t *testing.T) {
			info, err := Probe(bytes.NewReader(srcs[name]))
			if err != nil {
				t.Fatal(err)
			}
			decode := func(want image.Point) image.Image {
				m, err := decoders[info.Format](context.Background(), bytes.NewReader(srcs[name]), info, want)
				if err != nil {
					t.Fatalf("decode for %v: %v", want, err)
				}
				return m
			}
			full := decode(image.Pt(info.Width, info.Height))
			small := decode(image.Pt(1, 1))
			same := full.Bounds() == small.Bounds() && rowsEqual(full, small)
			if same == ShrinksOnLoad(info.Format) {
				t.Errorf("%s: decoded %v for full size and %v for 1x1 (identical: %t), but ShrinksOnLoad is %t",
					info.Format, full.Bounds(), small.Bounds(), same, ShrinksOnLoad(info.Format))
			}
		})
	}
}

// rowsEqual compares two images of one size as 8-bit sRGB rows.
func rowsEqual(a, b image.Image) bool {
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	ra, rb := rowsOf(a), rowsOf(b)
	la, lb := make([]uint8, 4*w), make([]uint8, 4*w)
	for y := 0; y < h; y++ {
		ra(y, la)
		rb(y, lb)
		if !bytes.Equal(la, lb) {
			return false
		}
	}
	return true
}

// TestProcessSizesErrors checks that targets are checked before any byte
// is read, with the target named in the SpecError, and that a size a
// target cannot have is refused before decoding.
func TestProcessSizesErrors(t *testing.T) {
	jpg := encodeJPEG(t, quads(64, 32, red, green, blue, yellow), 90)
	// A PNG header declaring 20000x10, and no pixel data: refused while
	// planning (WebP sides are at most 16383) means it was never decoded.
	wide := append(pngHeader(20000, 10), pngChunk("IEND", nil)...)
	tests := []struct {
		name    string
		src     []byte
		targets []Target
		check   func(error) bool
	}{
		{"no targets", jpg, nil, func(err error) bool {
			var se *SpecError
			return errors.As(err, &se) && se.Field == "Targets"
		}},
		{"no encodings in target 1", jpg, []Target{{Encodings: []Encoding{{Format: JPEG, Dst: io.Discard}}}, {}}, func(err error) bool {
			var se *SpecError
			return errors.As(err, &se) && se.Field == "Targets[1].Encodings"
		}},
		{"unknown format in target 1", jpg, []Target{{Encodings: []Encoding{{Format: JPEG, Dst: io.Discard}}}, {Encodings: []Encoding{{Format: "bmp", Dst: io.Discard}}}}, func(err error) bool {
			var se *SpecError
			return errors.As(err, &se) && se.Field == "Targets[1].Encodings[0].Format"
		}},
		{"spec format set", jpg, []Target{{Spec: Spec{Format: JPEG}, Encodings: []Encoding{{Format: JPEG, Dst: io.Discard}}}}, func(err error) bool {
			var se *SpecError
			return errors.As(err, &se) && se.Field == "Targets[0].Format"
		}},
		{"webp too wide for the second target, before decoding", wide, []Target{
			{Spec: Spec{LongSide: 256}, Encodings: []Encoding{{Format: WebP, Dst: io.Discard}}},
			{Encodings: []Encoding{{Format: WebP, Dst: io.Discard}}},
		}, func(err error) bool {
			var ue *UnsupportedError
			return errors.As(err, &ue) && ue.Format == string(WebP)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ProcessSizes(context.Background(), bytes.NewReader(tt.src), tt.targets, Limits{})
			if err == nil || !tt.check(err) {
				t.Fatalf("ProcessSizes: %v (%T)", err, err)
			}
		})
	}
}

// TestProcessSizesCancelled checks that a context cancelled while the first
// target is written stops before the second target.
func TestProcessSizesCancelled(t *testing.T) {
	for _, name := range []string{"png alpha", "jpeg"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var second bytes.Buffer
			targets := []Target{
				{Spec: Spec{LongSide: 100}, Encodings: []Encoding{{Format: JPEG, Dst: cancelWriter(cancel)}}},
				{Spec: Spec{LongSide: 50}, Encodings: []Encoding{{Format: JPEG, Dst: &second}}},
			}
			_, err := ProcessSizes(ctx, bytes.NewReader(sizesSources(t)[name]), targets, Limits{})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if second.Len() != 0 {
				t.Errorf("second target got %d bytes after the cancel", second.Len())
			}
		})
	}
}

// TestProcessSizesReadError checks that a source failing after its header
// (a cut network stream) is reported as a read error, not as corrupt data,
// both when it is decoded once and when JPEG targets read it into memory.
func TestProcessSizesReadError(t *testing.T) {
	errCut := errors.New("connection reset")
	srcs := sizesSources(t)
	for _, name := range []string{"png alpha", "jpeg"} {
		t.Run(name, func(t *testing.T) {
			src := io.MultiReader(bytes.NewReader(srcs[name][:len(srcs[name])/2]), &failReader{err: errCut})
			targets := []Target{
				{Spec: Spec{LongSide: 100}, Encodings: []Encoding{{Format: JPEG, Dst: io.Discard}}},
				{Spec: Spec{LongSide: 50}, Encodings: []Encoding{{Format: JPEG, Dst: io.Discard}}},
			}
			_, err := ProcessSizes(context.Background(), src, targets, Limits{})
			if !errors.Is(err, errCut) {
				t.Fatalf("err = %v, want %v wrapped", err, errCut)
			}
			var fe *FormatError
			if errors.As(err, &fe) {
				t.Errorf("err = %v is a FormatError", err)
			}
		})
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }
