package webpenc

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDecodersAgree encodes test images (loop filter on, alpha or not) and
// checks that libwebp's dwebp accepts every file and that its Y′CbCr planes
// (dwebp -yuv) equal those of golang.org/x/image/webp. Skipped when dwebp
// (Debian package webp) is not installed.
func TestDecodersAgree(t *testing.T) {
	dwebp, err := exec.LookPath("dwebp")
	if err != nil {
		t.Skip("dwebp not installed (apt-get install webp)")
	}
	tests := []struct {
		name    string
		w, h    int
		kind    string
		quality int
	}{
		{"photo-q75", 131, 77, "photo", 75},
		{"photo-q30", 131, 77, "photo", 30},
		{"photo-q95", 64, 64, "photo", 95},
		{"noise-q50", 45, 31, "noise", 50},
		{"flat-q75", 48, 16, "flat", 75},
		{"alpha-q80", 37, 29, "alpha", 80},
		{"odd-1x9", 1, 9, "photo", 75},
		{"large", 520, 512, "photo", 80}, // ≥ 1024 macroblocks: two token partitions
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testImage(tc.w, tc.h, tc.kind, 3)
			data, e := encodeTest(t, m, Options{Quality: tc.quality})
			if want := 1 + btoi(e.mbw*e.mbh >= 1024); e.numParts != want && e.mbw*e.mbh < 1<<14 {
				t.Fatalf("%d token partitions, want %d", e.numParts, want)
			}
			in := filepath.Join(dir, tc.name+".webp")
			out := filepath.Join(dir, tc.name+".yuv")
			if err := os.WriteFile(in, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command(dwebp, in, "-yuv", "-o", out).CombinedOutput(); err != nil {
				t.Fatalf("dwebp: %v\n%s", err, b)
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			d := decodeX(t, data)
			if err := sameAsYUV(d, raw, tc.w, tc.h); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// sameAsYUV compares x/image planes with dwebp's planar Y, U, V output.
func sameAsYUV(d *image.YCbCr, raw []byte, w, h int) error {
	cw, ch := (w+1)/2, (h+1)/2
	if len(raw) < w*h+2*cw*ch {
		return fmt.Errorf("dwebp output %d bytes, want %d", len(raw), w*h+2*cw*ch)
	}
	var got bytes.Buffer
	for y := 0; y < h; y++ {
		got.Write(d.Y[y*d.YStride : y*d.YStride+w])
	}
	for _, p := range [][]uint8{d.Cb, d.Cr} {
		for y := 0; y < ch; y++ {
			got.Write(p[y*d.CStride : y*d.CStride+cw])
		}
	}
	g := got.Bytes()
	for i := range g {
		if g[i] != raw[i] {
			return fmt.Errorf("plane byte %d: x/image %d, dwebp %d", i, g[i], raw[i])
		}
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
