package main

import (
	"bytes"
	"context"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
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
	pic := fixtures.Quadrants(640, 480)
	tests := []struct {
		name string
		file string
		src  []byte
	}{
		{"jpeg, EXIF orientation 6", "photo.jpg", fixtures.JPEG(pic, 6, false)},
		{"png", "photo.png", fixtures.PNG(pic)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcPath := filepath.Join(dir, tt.file)
			writeTestFile(t, srcPath, tt.src)
			out := filepath.Join(dir, "out-"+filepath.Ext(tt.file)[1:])
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
				if _, err := imaging.ProcessAll(context.Background(), bytes.NewReader(tt.src), spec, encs, imaging.Limits{}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, alone.Bytes()) {
					t.Fatalf("%s: %d bytes, ProcessAll alone gives %d different bytes", w.file, len(got), alone.Len())
				}
			}
		})
	}
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
