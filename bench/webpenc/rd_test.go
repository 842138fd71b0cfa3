package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/bench/reference"
)

func TestBDRatio(t *testing.T) {
	a := []point{{50, 1000, 0.90}, {70, 2000, 0.95}, {90, 4000, 0.98}}
	scaled := func(f float64, ds float64) []point {
		var out []point
		for _, p := range a {
			out = append(out, point{p.Q, int(float64(p.Bytes) * f), p.SSIM + ds})
		}
		return out
	}
	tests := []struct {
		name string
		b    []point
		ok   func(float64) bool
	}{
		{"same curve", a, near(1)},
		{"other needs 1.25× the bytes", scaled(1.25, 0), near(0.8)},
		{"other needs 0.5× the bytes", scaled(0.5, 0), near(2)},
		// The other curve shifted up in SSIM at the same bytes: at equal
		// SSIM it needs fewer bytes than ours.
		{"other has more SSIM per byte", scaled(1, 0.01), func(r float64) bool { return r > 1 }},
		{"disjoint SSIM ranges", scaled(1, 0.5), math.IsNaN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := bdRatio(a, tc.b); !tc.ok(got) {
				t.Fatalf("bdRatio = %v", got)
			}
		})
	}
}

func near(want float64) func(float64) bool {
	return func(r float64) bool { return math.Abs(r-want) < 0.01 }
}

// TestWriteRDReferenceLines checks that a row measured against a
// colour-managed reference carries its plain-reference figures into the
// report, and that an ICC source left on the plain conversion says so.
func TestWriteRDReferenceLines(t *testing.T) {
	curve := []point{{50, 1000, 0.90}, {80, 2000, 0.95}, {90, 4000, 0.98}}
	c := &config{qs: []int{50, 80, 90}, quality: 80}
	base := rdRow{File: "x.jpg", Kind: "CMYK", Presets: "2048", W: 500, H: 333, curves: curves{curve, curve, curve}, VsCWebP: 1, VsJPEG: 0.7}
	managed := base
	managed.Ref, managed.ICC = reference.Managed, true
	managed.Ceiling = 1
	managed.Plain = &plainFigures{VsCWebP: 0.94, VsJPEG: 0.81, Ceiling: 0.9797}
	unrendered := base
	unrendered.File, unrendered.Ref, unrendered.ICC = "y.jpg", reference.Plain, true
	plain := base
	plain.File, plain.Ref = "z.jpg", reference.Plain

	var b bytes.Buffer
	writeRD(&b, c, []rdRow{managed, unrendered, plain})
	out := b.String()
	for _, want := range []string{
		"Reference of x.jpg 500x333: rendered through its ICC profile (lcms2), ceiling 1.0000. Against the plain conversion instead (the reference before 2026-12-02; ceiling 0.9797): ours/cwebp 0.940, ours/jpeg 0.810.",
		"Reference of y.jpg 500x333: the plain conversion, its ICC profile not applied",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Reference of z.jpg") {
		t.Errorf("a source without a profile got a reference line:\n%s", out)
	}
}
