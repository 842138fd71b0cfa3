package placeholder

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func fill(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func TestThumbHashRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		img       image.Image
		wantW     int
		wantH     int
		wantAlpha bool
		centre    color.NRGBA
		tol       int
	}{
		// Decoded sizes follow the hash's approximate aspect ratio (lx:ly, each 1..7).
		{"solid orange landscape", fill(80, 40, color.NRGBA{230, 120, 20, 255}), 32, 18, false, color.NRGBA{230, 120, 20, 255}, 12},
		{"solid teal portrait", fill(30, 90, color.NRGBA{20, 150, 160, 255}), 9, 32, false, color.NRGBA{20, 150, 160, 255}, 12},
		{"square gray", fill(50, 50, color.NRGBA{128, 128, 128, 255}), 32, 32, false, color.NRGBA{128, 128, 128, 255}, 6},
		{"large input is downsampled", fill(4000, 3000, color.NRGBA{200, 30, 60, 255}), 32, 23, false, color.NRGBA{200, 30, 60, 255}, 14},
		{"transparent", fill(40, 40, color.NRGBA{255, 0, 0, 0}), 32, 32, true, color.NRGBA{0, 0, 0, 0}, 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Encode(tt.img)
			if len(h) < 5 || len(h) > 25 {
				t.Fatalf("hash length %d", len(h))
			}
			if got := h[2]&0x80 != 0; got != tt.wantAlpha {
				t.Errorf("hasAlpha = %v, want %v", got, tt.wantAlpha)
			}
			m, err := DecodeImage(h)
			if err != nil {
				t.Fatal(err)
			}
			if m.Rect.Dx() != tt.wantW || m.Rect.Dy() != tt.wantH {
				t.Errorf("decoded size %v, want %dx%d", m.Rect.Size(), tt.wantW, tt.wantH)
			}
			c := m.NRGBAAt(m.Rect.Dx()/2, m.Rect.Dy()/2)
			if tt.wantAlpha {
				if c.A > 20 {
					t.Errorf("centre alpha %d, want ~0", c.A)
				}
				return
			}
			if !near(c, tt.centre, tt.tol) {
				t.Errorf("centre %v, want ~%v", c, tt.centre)
			}
		})
	}
}

func TestThumbHashStructure(t *testing.T) {
	// Left half black, right half white: luminance must increase left to right.
	m := fill(60, 30, color.NRGBA{0, 0, 0, 255})
	for y := 0; y < 30; y++ {
		for x := 30; x < 60; x++ {
			m.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
		}
	}
	h := Encode(m)
	if !bytes.Equal(h, Encode(m)) {
		t.Fatal("not deterministic")
	}
	d, err := DecodeImage(h)
	if err != nil {
		t.Fatal(err)
	}
	l, r := d.NRGBAAt(2, 8), d.NRGBAAt(29, 8)
	if int(l.R)+60 > int(r.R) {
		t.Fatalf("left %v not darker than right %v", l, r)
	}
}

func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name string
		hash []byte
	}{
		{"nil", nil},
		{"short", []byte{1, 2, 3, 4}},
		{"alpha flag without alpha byte", []byte{0, 0, 0x80, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeImage(tt.hash); err == nil {
				t.Fatal("want error")
			}
			if s := DataURI(tt.hash); s != "" {
				t.Fatalf("DataURI = %q, want empty", s)
			}
		})
	}
	// Header only (no AC bytes) and lx/ly of 0 must not panic.
	for _, h := range [][]byte{{0xff, 0xff, 0x7f, 0x00, 0x80}, {0, 0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		if _, err := DecodeImage(h); err != nil {
			t.Fatalf("DecodeImage(%x): %v", h, err)
		}
	}
}

func TestDataURI(t *testing.T) {
	uri := DataURI(Encode(fill(40, 20, color.NRGBA{10, 200, 30, 255})))
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(uri, prefix) {
		t.Fatalf("DataURI = %.40q", uri)
	}
	b, err := base64.StdEncoding.DecodeString(uri[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if m.Bounds().Dx() != 32 || m.Bounds().Dy() != 18 { // aspect 7:4 as the hash stores it
		t.Fatalf("size %v", m.Bounds())
	}
	if len(uri) > 2048 {
		t.Errorf("data URI is %d bytes", len(uri))
	}
}

func FuzzDecodeImage(f *testing.F) {
	f.Add(Encode(fill(10, 10, color.NRGBA{1, 2, 3, 255})))
	f.Add(Encode(fill(10, 20, color.NRGBA{1, 2, 3, 100})))
	f.Fuzz(func(t *testing.T, h []byte) {
		m, err := DecodeImage(h)
		if err == nil && (m.Rect.Dx() < 1 || m.Rect.Dy() < 1 || m.Rect.Dx() > 32 || m.Rect.Dy() > 32) {
			t.Fatalf("size %v", m.Rect)
		}
	})
}
