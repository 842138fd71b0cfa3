package heif

import (
	"context"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/imgflow/imgflow/internal/heifmux"
)

// Pixel values the fake codec writes, as functions of the position in
// the assembled (grid) image, so assembly errors show.
func lumaAt(x, y int) uint8  { return uint8(x + 2*y) }
func cbAt(cx, cy int) uint8  { return uint8(3*cx + cy) }
func crAt(cx, cy int) uint8  { return uint8(cx + 5*cy) }
func alphaAt(x, y int) uint8 { return uint8(7*x + y) }

// FakeCodec decodes the items of gridSpec-like files: the NAL payload's
// second byte tags the item; tags 2-5 are the tiles of a 2x2 grid of
// 64x64, 10 an alpha plane.
type FakeCodec struct {
	DecodeItemFunc func(ctx context.Context, c *Coded, data []byte) (image.Image, error)
}

var _ Codec = (*FakeCodec)(nil)

func (f *FakeCodec) DecodeItem(ctx context.Context, c *Coded, data []byte) (image.Image, error) {
	return f.DecodeItemFunc(ctx, c, data)
}

// tileCodec returns tiles as kind ("ycbcr", "gray" or "rgba").
func tileCodec(kind string) *FakeCodec {
	return &FakeCodec{DecodeItemFunc: func(_ context.Context, c *Coded, data []byte) (image.Image, error) {
		h, err := ParseHVCC(c.Config)
		if err != nil {
			return nil, err
		}
		nals, err := SplitNALUnits(data, h.LengthSize)
		if err != nil || len(nals) != 1 || len(nals[0]) != 2 {
			return nil, errors.New("fake: bad data")
		}
		tag := int(nals[0][1])
		var ox, oy int
		if tag >= 2 && tag <= 5 {
			ox, oy = (tag-2)%2*64, (tag-2)/2*64
		}
		r := image.Rect(0, 0, c.Width, c.Height)
		switch {
		case tag == 10:
			m := image.NewGray(r)
			for y := range c.Height {
				for x := range c.Width {
					m.Pix[y*m.Stride+x] = alphaAt(x, y)
				}
			}
			return m, nil
		case kind == "gray":
			m := image.NewGray(r)
			for y := range c.Height {
				for x := range c.Width {
					m.Pix[y*m.Stride+x] = lumaAt(ox+x, oy+y)
				}
			}
			return m, nil
		case kind == "rgba":
			m := image.NewRGBA(r)
			for y := range c.Height {
				for x := range c.Width {
					m.Set(x, y, color.RGBA{lumaAt(ox+x, oy+y), 0, 0, 255})
				}
			}
			return m, nil
		}
		m := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
		for y := range c.Height {
			for x := range c.Width {
				m.Y[m.YOffset(x, y)] = lumaAt(ox+x, oy+y)
				i := m.COffset(x, y)
				m.Cb[i], m.Cr[i] = cbAt((ox+x)/2, (oy+y)/2), crAt((ox+x)/2, (oy+y)/2)
			}
		}
		return m, nil
	}}
}

func decodeSpec(t *testing.T, spec *heifmux.File, codec Codec) (*Image, image.Image, error) {
	t.Helper()
	f, err := parseBytes(spec.Bytes())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	img, err := f.PrimaryImage()
	if err != nil {
		t.Fatalf("PrimaryImage: %v", err)
	}
	m, err := f.Decode(context.Background(), img, codec)
	return img, m, err
}

// withAlphaItem adds an alpha plane (item 10) with the grid's transforms.
func withAlphaItem(f *heifmux.File) *heifmux.File {
	props := []heifmux.Prop{ess(fakeHVCC), opt(heifmux.Ispe(100, 90)), ess(heifmux.AuxC(AuxAlphaHEVC))}
	for _, it := range f.Items {
		for _, p := range it.Props {
			if t := string(p.Box[4:8]); it.ID == 1 && (t == "irot" || t == "imir" || t == "clap") {
				props = append(props, p)
			}
		}
	}
	f.Items = append(f.Items, heifmux.Item{ID: 10, Type: "hvc1", Hidden: true, Data: nal4(10), Props: props})
	f.Refs = append(f.Refs, heifmux.Ref{Type: "auxl", From: 10, To: []uint32{1}})
	return f
}

// withClap replaces the grid's irot with a clap (layouts are tested in
// transform_test.go; here the crop is in grid coordinates).
func withClap(w, h uint32, dx, dy int32) func(*heifmux.Item) {
	return func(it *heifmux.Item) { it.Props = append(it.Props[:3:3], ess(heifmux.Clap(w, h, dx, dy))) }
}

func TestDecodeGrid(t *testing.T) {
	tests := []struct {
		name     string
		spec     *heifmux.File
		codec    string
		wantType string
		crop     image.Rectangle // expected Layout.Crop in grid coordinates
		alpha    bool
	}{
		{"ycbcr tiles", gridSpec(), "ycbcr", "*image.YCbCr", rect(0, 0, 100, 90), false},
		{"ycbcr tiles, even clap", editItem(gridSpec(), 1, withClap(60, 50, -20, -16)), "ycbcr", "*image.YCbCr", rect(10, 12, 70, 62), false},
		{"ycbcr tiles, odd clap", editItem(gridSpec(), 1, withClap(61, 51, -21, -17)), "ycbcr", "*image.NRGBA64", rect(9, 11, 70, 62), false},
		{"gray tiles", gridSpec(), "gray", "*image.Gray", rect(0, 0, 100, 90), false},
		{"rgba tiles", gridSpec(), "rgba", "*image.NRGBA64", rect(0, 0, 100, 90), false},
		{"ycbcr tiles with alpha", withAlphaItem(gridSpec()), "ycbcr", "*image.NYCbCrA", rect(0, 0, 100, 90), true},
		{"gray tiles with alpha", withAlphaItem(gridSpec()), "gray", "*image.NRGBA", rect(0, 0, 100, 90), true},
		{"odd clap with alpha", withAlphaItem(editItem(gridSpec(), 1, withClap(61, 51, -21, -17))), "ycbcr", "*image.NRGBA64", rect(9, 11, 70, 62), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, m, err := decodeSpec(t, tt.spec, tileCodec(tt.codec))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if img.Layout.Crop != tt.crop {
				t.Fatalf("Layout.Crop = %v, want %v", img.Layout.Crop, tt.crop)
			}
			if got := typeName(m); got != tt.wantType {
				t.Fatalf("Decode returned %s, want %s", got, tt.wantType)
			}
			if m.Bounds() != image.Rect(0, 0, tt.crop.Dx(), tt.crop.Dy()) {
				t.Fatalf("bounds %v, want the crop's size %v", m.Bounds(), tt.crop.Size())
			}
			c := tt.crop.Min
			for y := 0; y < tt.crop.Dy(); y++ {
				for x := 0; x < tt.crop.Dx(); x++ {
					X, Y := c.X+x, c.Y+y
					switch m := m.(type) {
					case *image.YCbCr:
						ci := m.COffset(x, y)
						if m.Y[m.YOffset(x, y)] != lumaAt(X, Y) || m.Cb[ci] != cbAt(X/2, Y/2) || m.Cr[ci] != crAt(X/2, Y/2) {
							t.Fatalf("(%d,%d): YCbCr %v", x, y, m.YCbCrAt(x, y))
						}
					case *image.NYCbCrA:
						if m.Y[m.YOffset(x, y)] != lumaAt(X, Y) || m.A[m.AOffset(x, y)] != alphaAt(X, Y) {
							t.Fatalf("(%d,%d): NYCbCrA %v", x, y, m.NYCbCrAAt(x, y))
						}
					case *image.Gray:
						if m.GrayAt(x, y).Y != lumaAt(X, Y) {
							t.Fatalf("(%d,%d): gray %v", x, y, m.GrayAt(x, y))
						}
					case *image.NRGBA:
						if p := m.NRGBAAt(x, y); p.R != lumaAt(X, Y) || p.A != alphaAt(X, Y) {
							t.Fatalf("(%d,%d): NRGBA %v", x, y, p)
						}
					case *image.NRGBA64:
						p := m.NRGBA64At(x, y)
						var want color.NRGBA64
						switch tt.codec {
						case "rgba":
							want = color.NRGBA64Model.Convert(color.RGBA{lumaAt(X, Y), 0, 0, 255}).(color.NRGBA64)
						default:
							want = color.NRGBA64Model.Convert(color.YCbCr{lumaAt(X, Y), cbAt(X/2, Y/2), crAt(X/2, Y/2)}).(color.NRGBA64)
						}
						if tt.alpha {
							a := uint16(alphaAt(X, Y))
							want.A = a<<8 | a
						}
						if p != want {
							t.Fatalf("(%d,%d): NRGBA64 %v, want %v", x, y, p, want)
						}
					}
				}
			}
		})
	}
}

func typeName(m image.Image) string {
	switch m.(type) {
	case *image.YCbCr:
		return "*image.YCbCr"
	case *image.NYCbCrA:
		return "*image.NYCbCrA"
	case *image.Gray:
		return "*image.Gray"
	case *image.NRGBA:
		return "*image.NRGBA"
	case *image.NRGBA64:
		return "*image.NRGBA64"
	}
	return "other"
}

func TestDecodeErrors(t *testing.T) {
	small := &FakeCodec{DecodeItemFunc: func(_ context.Context, c *Coded, _ []byte) (image.Image, error) {
		return image.NewGray(image.Rect(0, 0, c.Width-1, c.Height)), nil
	}}
	failing := &FakeCodec{DecodeItemFunc: func(context.Context, *Coded, []byte) (image.Image, error) {
		return nil, errors.New("codec says no")
	}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		spec  *heifmux.File
		codec Codec
		check func(error) bool
	}{
		{"decoded tile smaller than ispe", context.Background(), gridSpec(), small, func(err error) bool { return errKind(err) == "format" }},
		{"codec error is wrapped", context.Background(), gridSpec(), failing, func(err error) bool { return err != nil && errKind(err) == "other" }},
		{"cancelled context", cancelled, gridSpec(), tileCodec("ycbcr"), func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"premultiplied alpha", context.Background(), func() *heifmux.File {
			f := withAlphaItem(gridSpec())
			f.Refs = append(f.Refs, heifmux.Ref{Type: "prem", From: 1, To: []uint32{10}})
			return f
		}(), tileCodec("ycbcr"), func(err error) bool { return errKind(err) == "unsupported" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseBytes(tt.spec.Bytes())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			img, err := f.PrimaryImage()
			if err != nil {
				t.Fatalf("PrimaryImage: %v", err)
			}
			if _, err := f.Decode(tt.ctx, img, tt.codec); !tt.check(err) {
				t.Fatalf("Decode error %v (%s)", err, errKind(err))
			}
		})
	}
}
