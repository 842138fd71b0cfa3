//go:build !purego

package webpenc

import (
	"bytes"
	"context"
	"image"
	"os"
	"testing"

	_ "image/png"
)

// TestEncodeSIMDEqualsGo: whole encodes with the AVX2 kernels and with the
// Go ones (what a purego build or a CPU without AVX2 runs) give the same
// bytes. WEBPENC_SIMD_IMAGES may name PNG files to add (space-separated).
func TestEncodeSIMDEqualsGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
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
		defer func(saved bool) { useAVX2 = saved }(useAVX2)
		useAVX2 = simd
		var buf bytes.Buffer
		if err := Encode(context.Background(), &buf, m, &Options{Quality: q, Workers: 1}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for name, m := range imgs {
		for _, q := range []int{5, 50, 80, 100} {
			if a, g := encode(m, q, true), encode(m, q, false); !bytes.Equal(a, g) {
				t.Errorf("%s q%d: AVX2 and Go encodes differ (%d and %d bytes)", name, q, len(a), len(g))
			}
		}
	}
}

// TestIDCT4AddAVX2Range: the assembly declines exactly the blocks with a
// coefficient beyond idctBound (2212), leaving dst alone.
func TestIDCT4AddAVX2Range(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	tests := []struct {
		name string
		v    int16
		pos  int
		ok   bool
	}{
		{"zero", 0, 0, true},
		{"+2212", 2212, 5, true},
		{"-2212", -2212, 15, true},
		{"+2213", 2213, 0, false},
		{"-2213", -2213, 9, false},
		{"max", 32767, 3, false},
		{"min", -32768, 12, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in [16]int16
			in[tc.pos] = tc.v
			var pred, dst [16]uint8
			dst[0] = 7
			if ok := idct4AddAVX2(&in, &pred[0], 4, &dst[0], 4); ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !tc.ok && dst[0] != 7 {
				t.Fatal("dst written on decline")
			}
		})
	}
}
