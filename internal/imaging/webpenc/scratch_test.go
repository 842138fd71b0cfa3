package webpenc

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"testing"
)

func readPPM(t *testing.T, path string) *image.NRGBA {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skip(err)
	}
	var w, h, mx int
	r := bytes.NewReader(b)
	fmt.Fscanf(r, "P6\n%d %d\n%d\n", &w, &h, &mx)
	off := len(b) - r.Len()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(m.Pix[4*i:4*i+3], b[off+3*i:])
		m.Pix[4*i+3] = 255
	}
	return m
}

func TestScratchDump(t *testing.T) {
	m := readPPM(t, os.Getenv("PPM"))
	var buf bytes.Buffer
	Encode(context.Background(), &buf, m, &Options{Quality: 75})
	os.WriteFile("/tmp/ours.webp", buf.Bytes(), 0o644)
}
