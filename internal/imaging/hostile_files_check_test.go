package imaging

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/gif"
	stdjpeg "image/jpeg"
	"image/png"
	"io"
	"testing"

	"golang.org/x/image/webp"
)

// TestHostileGenerators checks the generators on small sizes against the
// standard decoders, so the hostile table tests what it says it tests.
func TestHostileGenerators(t *testing.T) {
	for _, n := range []int64{0, 1, 2, 257, 258, 259, 517, 100_000} {
		r, err := zlib.NewReader(bytes.NewReader(zlibZeros(n)))
		if err != nil {
			t.Fatalf("zlibZeros(%d): %v", n, err)
		}
		b, err := io.ReadAll(r)
		if err != nil || int64(len(b)) != n || bytes.Count(b, []byte{0}) != len(b) {
			t.Fatalf("zlibZeros(%d): %d bytes, err %v", n, len(b), err)
		}
	}
	for _, c := range []struct {
		depth, ct byte
		il        bool
	}{{8, 0, false}, {16, 6, false}, {8, 6, true}, {1, 3, false}, {16, 2, true}} {
		m, err := png.Decode(bytes.NewReader(zerosPNG(37, 21, c.depth, c.ct, c.il)))
		if err != nil || m.Bounds() != image.Rect(0, 0, 37, 21) {
			t.Fatalf("zerosPNG %+v: %v", c, err)
		}
	}
	g, err := gif.DecodeConfig(bytes.NewReader(gifScreen(t, 300, 200, 1, 1)))
	if err != nil || g.Width != 300 || g.Height != 200 {
		t.Fatalf("gifScreen: %+v %v", g, err)
	}
	for name, j := range map[string][]byte{
		"repeated": progressiveGray(40, 24, repeatedScans(3), true),
		"deepest":  progressiveGray(40, 24, deepestScans(), true),
		"baseline": baselineGray(40, 24),
	} {
		m, err := stdjpeg.Decode(bytes.NewReader(j))
		if err != nil || m.Bounds() != image.Rect(0, 0, 40, 24) {
			t.Fatalf("%s JPEG: %v", name, err)
		}
	}
	m, err := webp.Decode(bytes.NewReader(flatLossless(33, 17)))
	if err != nil || m.Bounds() != image.Rect(0, 0, 33, 17) {
		t.Fatalf("flatLossless: %v", err)
	}
}
