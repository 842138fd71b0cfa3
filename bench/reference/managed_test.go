package reference

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePNG writes a w×h picture whose pixel (x, y) is (x, y, v).
func writePNG(t *testing.T, path string, w, h int, v uint8) {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), v, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
}

// TestLoadChoosesSource runs Load with a stand-in renderer: a shell script
// in the place of node that writes its own picture (blue 200) where Load
// asks, so the test sees which pixels the reference was built from, that
// they are oriented like the plain decode, and that a failing renderer is
// an error rather than a silent fall back to the plain conversion.
func TestLoadChoosesSource(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.png")
	writePNG(t, src, 3, 2, 10)
	rendered := filepath.Join(dir, "rendered.png")
	writePNG(t, rendered, 3, 2, 200)
	script := filepath.Join(dir, "render.sh")
	body := "#!/bin/sh\n[ \"$SHARP_PREFIX\" = /sharp ] || { echo \"no SHARP_PREFIX\"; exit 1; }\ncp " + rendered + " \"$2\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	fails := filepath.Join(dir, "fails.sh")
	if err := os.WriteFile(fails, []byte("#!/bin/sh\necho 'profile unreadable'\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	render := &Renderer{Node: "/bin/sh", Script: script, SharpPrefix: "/sharp"}
	tests := []struct {
		name     string
		hasICC   bool
		r        *Renderer
		o        int
		want     Source
		wantBlue float32
		wantErr  string
	}{
		{"no profile", false, render, 1, Plain, 10, ""},
		{"profile, no renderer", true, nil, 1, Plain, 10, ""},
		{"profile, rendered", true, render, 1, Managed, 200, ""},
		{"profile, rendered, oriented", true, render, 6, Managed, 200, ""},
		{"renderer fails", true, &Renderer{Node: "/bin/sh", Script: fails}, 1, "", 0, "profile unreadable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, got, err := Load(context.Background(), src, tc.o, tc.hasICC, tc.r, t.TempDir())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("source = %q, want %q", got, tc.want)
			}
			plain, err := LoadOriented(src, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if m.W != plain.W || m.H != plain.H {
				t.Fatalf("size %dx%d, want %dx%d as the plain decode", m.W, m.H, plain.W, plain.H)
			}
			for i := 0; i < len(m.Pix); i += 3 {
				if m.Pix[i] != plain.Pix[i] || m.Pix[i+1] != plain.Pix[i+1] || m.Pix[i+2] != tc.wantBlue {
					t.Fatalf("pixel %d = %v, want red/green %v and blue %v", i/3, m.Pix[i:i+3], plain.Pix[i:i+2], tc.wantBlue)
				}
			}
		})
	}
}
