package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgflow/imgflow/internal/imaging"
)

// TestResizeMatchesProcessAll checks that `imgflow resize`, which runs one
// ProcessSizes call per Map item as the resize step does, writes every
// preset's file with exactly the bytes ProcessAll makes for that preset
// alone: grouping sizes must change the cost, never the output.
func TestResizeMatchesProcessAll(t *testing.T) {
	dir := t.TempDir()
	presetsPath := filepath.Join(dir, "presets.json")
	writeTestFile(t, presetsPath, []byte(`{"presets": [
		{"name": "lg", "longSide": 300, "format": "jpeg", "quality": 80},
		{"name": "md", "longSide": 120, "format": "jpeg", "quality": 80},
		{"name": "thumb", "longSide": 40, "formats": ["webp", "jpeg"], "quality": 75}
	]}`))
	tests := []struct {
		name   string
		file   string
		encode func(io.Writer, image.Image) error
	}{
		{"jpeg", "photo.jpg", func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: 90}) }},
		{"png", "photo.png", png.Encode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src bytes.Buffer
			if err := tt.encode(&src, testPattern(640, 480)); err != nil {
				t.Fatal(err)
			}
			srcPath := filepath.Join(dir, tt.file)
			writeTestFile(t, srcPath, src.Bytes())
			out := filepath.Join(dir, "out-"+tt.name)
			var stdout, stderr bytes.Buffer
			env := func(string) (string, bool) { return "", false }
			if err := run(context.Background(), []string{"resize", "--presets", presetsPath, "--out", out, srcPath}, &stdout, &stderr, env); err != nil {
				t.Fatalf("resize: %v\n%s%s", err, stdout.String(), stderr.String())
			}
			want := []struct {
				file   string
				long   int
				format imaging.Format
				q      int
			}{
				{"lg.jpg", 300, imaging.JPEG, 80},
				{"md.jpg", 120, imaging.JPEG, 80},
				{"thumb.webp", 40, imaging.WebP, 75},
				{"thumb.jpg", 40, imaging.JPEG, 75},
			}
			for _, w := range want {
				got, err := os.ReadFile(filepath.Join(out, tt.file, w.file))
				if err != nil {
					t.Fatalf("%s: %v (stdout:\n%s)", w.file, err, stdout.String())
				}
				var alone bytes.Buffer
				spec := imaging.Spec{LongSide: w.long, Background: color.NRGBA{255, 255, 255, 255}}
				encs := []imaging.Encoding{{Format: w.format, Quality: w.q, Dst: &alone}}
				if _, err := imaging.ProcessAll(context.Background(), bytes.NewReader(src.Bytes()), spec, encs, imaging.Limits{}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, alone.Bytes()) {
					t.Fatalf("%s: %d bytes, ProcessAll alone gives %d different bytes", w.file, len(got), alone.Len())
				}
			}
		})
	}
}

// testPattern is an opaque picture with edges and gradients, so that every
// size and format has detail to lose.
func testPattern(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := m.PixOffset(x, y)
			m.Pix[i+0] = uint8(x * 255 / w)
			m.Pix[i+1] = uint8(y * 255 / h)
			m.Pix[i+2] = uint8((x ^ y) & 0xff)
			m.Pix[i+3] = 255
		}
	}
	return m
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
