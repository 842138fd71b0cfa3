package webpenc

import (
	"bytes"
	"context"
	"image"
	"runtime"
	"testing"
)

// TestDeterministic checks that the output bytes do not depend on the
// number of workers or on GOMAXPROCS.
func TestDeterministic(t *testing.T) {
	m := testImage(300, 200, "photo", 8)
	a := alphaImage(90, 70, "shape")
	tests := []struct {
		name string
		opt  Options
	}{
		{"workers=1", Options{Workers: 1}},
		{"workers=2", Options{Workers: 2}},
		{"workers=3", Options{Workers: 3}},
		{"workers=8", Options{Workers: 8}},
		{"default", Options{}},
	}
	ref := map[string][]byte{}
	for _, procs := range []int{1, 2, 4} {
		prev := runtime.GOMAXPROCS(procs)
		for _, tc := range tests {
			for name, img := range map[string]*image.NRGBA{"photo": m, "alpha": a} {
				var buf bytes.Buffer
				o := tc.opt
				if err := Encode(context.Background(), &buf, img, &o); err != nil {
					runtime.GOMAXPROCS(prev)
					t.Fatal(err)
				}
				if r, ok := ref[name]; !ok {
					ref[name] = buf.Bytes()
				} else if !bytes.Equal(r, buf.Bytes()) {
					runtime.GOMAXPROCS(prev)
					t.Fatalf("%s %s GOMAXPROCS=%d: output differs (%d vs %d bytes)", name, tc.name, procs, buf.Len(), len(r))
				}
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// TestQualityToIndex pins libwebp's quality→quantiser mapping
// (QualityToCompression, one segment).
func TestQualityToIndex(t *testing.T) {
	tests := []struct{ q, want int }{
		{0, 127}, {10, 75}, {50, 38}, {75, 26}, {80, 19}, {90, 9}, {100, 0},
	}
	for _, tc := range tests {
		if got := qualityToIndex(float64(tc.q), 1); got != tc.want {
			t.Errorf("quality %d: index %d, want %d", tc.q, got, tc.want)
		}
	}
}

// TestCancel checks that a cancelled context stops the encode.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := Encode(ctx, &buf, testImage(64, 64, "photo", 1), nil); err == nil {
		t.Fatal("Encode with a cancelled context succeeded")
	}
}
