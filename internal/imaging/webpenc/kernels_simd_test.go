//go:build !purego && (amd64 || arm64)

package webpenc

import (
	"bytes"
	"context"
	"image"
	"os"
	"testing"

	_ "image/png"
)

// TestEncodeSIMDEqualsGo: whole encodes with the assembly kernels and with
// the Go ones (what a purego build or a CPU without AVX2 runs) give the same
// bytes. WEBPENC_SIMD_IMAGES may name PNG files to add (space-separated).
func TestEncodeSIMDEqualsGo(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD on this CPU")
	}
	imgs := map[string]image.Image{
		"photo": testImage(301, 203, "photo", 3),
		"noise": testImage(64, 48, "noise", 4),
		"alpha": alphaImage(90, 70, "shape"),
		"flat":  testImage(40, 40, "flat", 1),
	}
	for _, p := range bytes.Fields([]byte(os.Getenv("WEBPENC_SIMD_IMAGES"))) {
		f, err := os.Open(string(p))
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		imgs[string(p)] = m
	}
	encode := func(m image.Image, q int, simd bool) []byte {
		t.Helper()
		defer func(saved bool) { useSIMD = saved }(useSIMD)
		useSIMD = simd
		var buf bytes.Buffer
		if err := Encode(context.Background(), &buf, m, &Options{Quality: q, Workers: 1}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for name, m := range imgs {
		for _, q := range []int{5, 50, 80, 100} {
			if a, g := encode(m, q, true), encode(m, q, false); !bytes.Equal(a, g) {
				t.Errorf("%s q%d: assembly and Go encodes differ (%d and %d bytes)", name, q, len(a), len(g))
			}
		}
	}
}
