package main

import (
	"bytes"
	"context"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// TestResizePresetsFromAnyDirectory runs `imgflow resize` from a directory
// that is not the repository: without a presets file it uses the built-in
// ones (the layer's presets.json, embedded), and a file given with
// --presets or IMGFLOW_PRESETS_FILE overrides them (the flag winning).
func TestResizePresetsFromAnyDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeTestFile(t, "photo.jpg", fixtures.JPEG(fixtures.Quadrants(640, 480), 1, false))
	writeTestFile(t, "env.json", []byte(`{"presets": [{"name": "fromenv", "longSide": 64, "format": "jpeg", "quality": 70}]}`))
	writeTestFile(t, "flag.json", []byte(`{"presets": [{"name": "fromflag", "longSide": 32, "format": "png", "quality": 70}]}`))
	tests := []struct {
		name  string
		args  []string
		env   string // IMGFLOW_PRESETS_FILE
		files []string
	}{
		{"built in", nil, "", []string{"lg.jpg", "lg.webp", "md.jpg", "md.webp", "thumb.jpg", "thumb.webp", "xl.jpg", "xl.webp"}},
		{"IMGFLOW_PRESETS_FILE", nil, "env.json", []string{"fromenv.jpg"}},
		{"--presets", []string{"--presets", "flag.json"}, "", []string{"fromflag.png"}},
		{"--presets over IMGFLOW_PRESETS_FILE", []string{"--presets", "flag.json"}, "env.json", []string{"fromflag.png"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "out", strconv.Itoa(i))
			env := func(k string) (string, bool) {
				if k == "IMGFLOW_PRESETS_FILE" && tt.env != "" {
					return tt.env, true
				}
				return "", false
			}
			args := append(append([]string{"resize", "--out", out}, tt.args...), "photo.jpg")
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, &stdout, &stderr, env); err != nil {
				t.Fatalf("resize: %v\n%s%s", err, &stdout, &stderr)
			}
			entries, err := os.ReadDir(filepath.Join(out, "photo.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if !slices.Equal(got, tt.files) {
				t.Fatalf("wrote %q, want %q", got, tt.files)
			}
		})
	}
}
