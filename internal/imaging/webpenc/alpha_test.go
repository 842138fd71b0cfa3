package webpenc

import (
	"bytes"
	"image"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/image/webp"
)

// alphaImage returns an image whose alpha follows pattern.
func alphaImage(w, h int, pattern string) *image.NRGBA {
	m := testImage(w, h, "photo", 9)
	r := rand.New(rand.NewPCG(4, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var a uint8
			switch pattern {
			case "gradient":
				a = uint8((x*7 + y*3) & 255)
			case "noise":
				a = uint8(r.IntN(256))
			case "shape": // opaque disc on transparent, antialiased rim
				dx, dy := x-w/2, y-h/2
				d := dx*dx + dy*dy
				switch rr := (w * w) / 9; {
				case d < rr:
					a = 255
				case d < rr+w*4:
					a = 128
				}
			case "one-value":
				a = 77
			case "regions": // noise above, sparse small values below
				if y < h/2 {
					a = uint8(r.IntN(256))
				} else if r.IntN(8) == 0 {
					a = uint8(r.IntN(4))
				}
			}
			m.Pix[m.PixOffset(x, y)+3] = a
		}
	}
	return m
}

// TestAlphaLossless checks that the alpha plane decodes exactly with
// x/image/webp and with dwebp (when installed), and which coding was used.
func TestAlphaLossless(t *testing.T) {
	tests := []struct {
		name    string
		w, h    int
		pattern string
	}{
		{"gradient", 70, 50, "gradient"},
		{"noise", 33, 21, "noise"},
		{"shape", 120, 90, "shape"},
		{"one-value", 40, 40, "one-value"},
		{"regions", 256, 192, "regions"},
		{"1x1", 1, 1, "noise"},
		{"wide", 300, 2, "shape"},
		{"tall", 2, 300, "gradient"},
	}
	dwebp, _ := exec.LookPath("dwebp")
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := alphaImage(tc.w, tc.h, tc.pattern)
			data, _ := encodeTest(t, m, Options{Quality: 80})
			img, err := webp.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("x/image/webp: %v", err)
			}
			n, ok := img.(*image.NYCbCrA)
			if !ok {
				t.Fatalf("decoded %T, want *image.NYCbCrA", img)
			}
			for y := 0; y < tc.h; y++ {
				for x := 0; x < tc.w; x++ {
					if g, w := n.A[y*n.AStride+x], m.Pix[m.PixOffset(x, y)+3]; g != w {
						t.Fatalf("x/image alpha(%d,%d) = %d, want %d", x, y, g, w)
					}
				}
			}
			if dwebp == "" {
				return
			}
			in := filepath.Join(dir, tc.name+".webp")
			out := filepath.Join(dir, tc.name+".pam")
			if err := os.WriteFile(in, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command(dwebp, in, "-pam", "-o", out).CombinedOutput(); err != nil {
				t.Fatalf("dwebp: %v\n%s", err, b)
			}
			pam, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(pam, []byte("ENDHDR\n"))
			if i < 0 {
				t.Fatal("dwebp -pam: no header")
			}
			px := pam[i+7:]
			for k := 0; k < tc.w*tc.h; k++ {
				if g, w := px[4*k+3], m.Pix[m.PixOffset(k%tc.w, k/tc.w)+3]; g != w {
					t.Fatalf("dwebp alpha(%d,%d) = %d, want %d", k%tc.w, k/tc.w, g, w)
				}
			}
		})
	}
}

// TestAlphaMetaCodes checks that a plane of two very different halves is
// coded with meta prefix codes (a group of codes per tile group), with
// and without the predictor transform; TestAlphaLossless decodes it.
func TestAlphaMetaCodes(t *testing.T) {
	m := alphaImage(256, 192, "regions")
	a := alphaPlane(m.Pix, m.Stride, 256, 192)
	for _, pred := range []bool{false, true} {
		if _, meta := encodeLossless(a, 256, pred); !meta {
			t.Errorf("pred %v: one prefix-code group, want meta prefix codes", pred)
		}
	}
}

// TestAlphaCodingChoice checks that smooth or flat alpha is coded
// losslessly (compression 1) and far below the raw size.
func TestAlphaCodingChoice(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		maxRatio float64 // ALPH payload / (w·h)
	}{
		{"shape", "shape", 0.10},
		{"one-value", "one-value", 0.02},
		{"gradient", "gradient", 0.10},
		{"noise", "noise", 1.0 + 1.0/(64*64)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := alphaImage(64, 64, tc.pattern)
			a := alphaPlane(m.Pix, m.Stride, 64, 64)
			got := encodeAlpha(a, 64, 64)
			if r := float64(len(got)) / (64 * 64); r > tc.maxRatio {
				t.Errorf("ALPH %d bytes (%.3f of raw, header %#x), want ≤ %.3f", len(got), r, got[0], tc.maxRatio)
			}
		})
	}
}

// TestTransparentAreaIsCheap checks that colour under alpha 0 is
// flattened: a noisy image that is transparent except for one opaque
// corner codes far smaller than its opaque version, and the visible
// corner still decodes close to the source.
func TestTransparentAreaIsCheap(t *testing.T) {
	m := testImage(128, 128, "noise", 3)
	opaque, _ := encodeTest(t, m, Options{Quality: 75})
	for y := 0; y < 128; y++ {
		for x := 0; x < 128; x++ {
			if x >= 32 || y >= 32 {
				m.Pix[m.PixOffset(x, y)+3] = 0
			}
		}
	}
	data, e := encodeTest(t, m, Options{Quality: 75})
	if len(data)*4 > len(opaque) {
		t.Errorf("mostly transparent: %d bytes, opaque %d: want < 1/4", len(data), len(opaque))
	}
	d := decodeX(t, data)
	var se float64
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			v := float64(d.Y[y*d.YStride+x]) - float64(e.srcY[y*e.yStride+x])
			se += v * v
		}
	}
	if mse := se / 1024; mse > 400 {
		t.Errorf("visible corner luma MSE %.0f", mse)
	}
}

// TestAlphaFarRepeat checks that LZ77 never emits a distance beyond the
// VP8L limit (2^20−120): the plane repeats itself 1.1 M pixels later, and
// must still decode exactly.
func TestAlphaFarRepeat(t *testing.T) {
	const w, h = 1100, 2000
	r := rand.New(rand.NewPCG(6, 6))
	half := make([]uint8, w*h/2)
	for i := range half {
		half[i] = uint8(r.IntN(256))
	}
	plane := append(append([]uint8(nil), half...), half...)
	for _, tk := range lz77(plane, w, nil) {
		if tk.len == 0 {
			continue
		}
		if s, _, _ := prefixEncode(int(tk.dist)); s >= numDistCodes {
			t.Fatalf("distance code %d has prefix %d ≥ %d", tk.dist, s, numDistCodes)
		}
	}
	md, _ := findMatches(plane, w)
	for i, d := range md {
		if d > maxDistance {
			t.Fatalf("findMatches: distance %d at %d beyond %d", d, i, maxDistance)
		}
	}
	if testing.Short() {
		t.Skip("round trip of a 2.2 M-pixel alpha plane skipped in -short mode")
	}
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, a := range plane {
		m.Pix[4*i+3] = a
	}
	data, _ := encodeTest(t, m, Options{Quality: 50})
	img, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("x/image/webp: %v", err)
	}
	n := img.(*image.NYCbCrA)
	for i, a := range plane {
		if g := n.A[(i/w)*n.AStride+i%w]; g != a {
			t.Fatalf("alpha %d = %d, want %d", i, g, a)
		}
	}
}
