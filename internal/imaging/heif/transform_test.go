package heif

import (
	"fmt"
	"image"
	"testing"
)

// grid2 is a tiny image of distinct values, stored row-major.
type grid2 struct {
	w, h int
	v    []int
}

func newGrid2(w, h int) grid2 {
	g := grid2{w: w, h: h, v: make([]int, w*h)}
	for i := range g.v {
		g.v[i] = i
	}
	return g
}

func (g grid2) at(x, y int) int { return g.v[y*g.w+x] }

// remap builds a w×h image whose (x, y) is g at src(x, y).
func (g grid2) remap(w, h int, src func(x, y int) (int, int)) grid2 {
	out := grid2{w: w, h: h, v: make([]int, w*h)}
	for y := range h {
		for x := range w {
			out.v[y*w+x] = g.at(src(x, y))
		}
	}
	return out
}

// The oracle: each property applied to pixels, as ISO/IEC 23008-12 words it.
func (g grid2) rotCCW() grid2 {
	return g.remap(g.h, g.w, func(x, y int) (int, int) { return g.w - 1 - y, x })
}
func (g grid2) mirrorLR() grid2 {
	return g.remap(g.w, g.h, func(x, y int) (int, int) { return g.w - 1 - x, y })
}
func (g grid2) mirrorTB() grid2 {
	return g.remap(g.w, g.h, func(x, y int) (int, int) { return x, g.h - 1 - y })
}
func (g grid2) crop(r image.Rectangle) grid2 {
	return g.remap(r.Dx(), r.Dy(), func(x, y int) (int, int) { return r.Min.X + x, r.Min.Y + y })
}

// exif applies EXIF orientation o (TIFF 6.0 / CIPA DC-008 wording).
func (g grid2) exif(o int) grid2 {
	switch o {
	case 2:
		return g.mirrorLR()
	case 3:
		return g.rotCCW().rotCCW()
	case 4:
		return g.mirrorTB()
	case 5: // transpose
		return g.mirrorLR().rotCCW()
	case 6: // 90° clockwise
		return g.rotCCW().rotCCW().rotCCW()
	case 7: // transverse
		return g.mirrorLR().rotCCW().rotCCW().rotCCW()
	case 8:
		return g.rotCCW()
	}
	return g
}

func (g grid2) apply(t Transform) (grid2, bool) {
	switch t.Kind {
	case Rotate:
		for range t.Angle / 90 {
			g = g.rotCCW()
		}
	case Mirror:
		if t.Mode == 0 {
			return g.mirrorTB(), true
		}
		return g.mirrorLR(), true
	case Crop:
		x0, y0, x1, y1, ok := t.Clap.rect(g.w, g.h)
		if !ok {
			return g, false
		}
		return g.crop(image.Rect(x0, y0, x1, y1)), true
	}
	return g, true
}

func equalGrid(a, b grid2) bool {
	if a.w != b.w || a.h != b.h {
		return false
	}
	for i := range a.v {
		if a.v[i] != b.v[i] {
			return false
		}
	}
	return true
}

func TestEXIFOracle(t *testing.T) {
	// The oracle's EXIF orientations against their definitions on a 3x2 image:
	// row 0 is 0 1 2, row 1 is 3 4 5.
	want := map[int][]int{
		1: {0, 1, 2, 3, 4, 5},
		2: {2, 1, 0, 5, 4, 3},
		3: {5, 4, 3, 2, 1, 0},
		4: {3, 4, 5, 0, 1, 2},
		5: {0, 3, 1, 4, 2, 5},
		6: {3, 0, 4, 1, 5, 2},
		7: {5, 2, 4, 1, 3, 0},
		8: {2, 5, 1, 4, 0, 3},
	}
	for o := 1; o <= 8; o++ {
		if got := newGrid2(3, 2).exif(o).v; fmt.Sprint(got) != fmt.Sprint(want[o]) {
			t.Errorf("orientation %d: %v, want %v", o, got, want[o])
		}
	}
}

// TestLayoutMatchesOracle folds every sequence of up to three properties
// and checks that cropping by Layout.Crop and then applying
// Layout.Orientation gives what the properties give applied one by one.
func TestLayoutMatchesOracle(t *testing.T) {
	clapOff := Transform{Kind: Crop, Clap: Clap{WidthN: 3, WidthD: 1, HeightN: 2, HeightD: 1, HorizOffN: -1, HorizOffD: 1, VertOffN: 1, VertOffD: 2}}
	clapOdd := Transform{Kind: Crop, Clap: Clap{WidthN: 4, WidthD: 1, HeightN: 3, HeightD: 1, HorizOffN: 1, HorizOffD: 2, VertOffN: 0, VertOffD: 1}}
	set := []Transform{
		{Kind: Rotate, Angle: 90}, {Kind: Rotate, Angle: 180}, {Kind: Rotate, Angle: 270},
		{Kind: Mirror, Mode: 0}, {Kind: Mirror, Mode: 1}, clapOff, clapOdd,
	}
	var seqs [][]Transform
	seqs = append(seqs, nil)
	for _, a := range set {
		seqs = append(seqs, []Transform{a})
		for _, b := range set {
			seqs = append(seqs, []Transform{a, b})
			for _, c := range set {
				seqs = append(seqs, []Transform{a, b, c})
			}
		}
	}
	for _, size := range []image.Point{{7, 5}, {6, 9}} {
		for _, seq := range seqs {
			name := fmt.Sprintf("%v %v", size, seq)
			src := newGrid2(size.X, size.Y)
			want, ok := src, true
			for _, tr := range seq {
				if want, ok = want.apply(tr); !ok {
					break
				}
			}
			l, err := computeLayout(size.X, size.Y, seq)
			if !ok {
				if errKind(err) != "format" {
					t.Errorf("%s: error %v, want a FormatError for an aperture outside the image", name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := src.crop(l.Crop).exif(l.Orientation)
			if !equalGrid(got, want) {
				t.Fatalf("%s: layout %+v gives %dx%d %v, want %dx%d %v", name, l, got.w, got.h, got.v, want.w, want.h, want.v)
			}
			if l.Width != want.w || l.Height != want.h {
				t.Fatalf("%s: layout size %dx%d, want %dx%d", name, l.Width, l.Height, want.w, want.h)
			}
		}
	}
}

func TestClapRect(t *testing.T) {
	tests := []struct {
		name string
		clap Clap
		w, h int
		want image.Rectangle
		ok   bool
	}{
		{"centred", Clap{100, 1, 90, 1, 0, 1, 0, 1}, 128, 128, rect(14, 19, 114, 109), true},
		{"as libheif writes it", Clap{100, 1, 90, 1, -28, 2, -38, 2}, 128, 128, rect(0, 0, 100, 90), true},
		{"fractional size rounds", Clap{201, 2, 99, 2, 0, 1, 0, 1}, 128, 128, rect(13, 39, 114, 89), true},
		// left 63.5-32.5 = 31 exactly; top 63.5-24 = 39.5 rounds to 40 (libheif rounds the top, floors the left)
		{"half-pixel top rounds up", Clap{66, 1, 49, 1, 0, 1, 0, 1}, 128, 128, rect(31, 40, 97, 89), true},
		{"whole image", Clap{64, 1, 48, 1, 0, 1, 0, 1}, 64, 48, rect(0, 0, 64, 48), true},
		{"past the right edge is clamped", Clap{64, 1, 48, 1, 1, 1, 0, 1}, 64, 48, rect(1, 0, 64, 48), true},
		{"wholly outside", Clap{10, 1, 10, 1, 100, 1, 0, 1}, 64, 48, image.Rectangle{}, false},
		{"negative size", Clap{0xffffffff, 1, 48, 1, 0, 1, 0, 1}, 64, 48, image.Rectangle{}, false},
		{"huge offset", Clap{1, 1, 1, 1, -0x80000000, 1, 0x7fffffff, 1}, 64, 48, image.Rectangle{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x0, y0, x1, y1, ok := tt.clap.rect(tt.w, tt.h)
			if got := image.Rect(x0, y0, x1, y1); ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("rect = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
