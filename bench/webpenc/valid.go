package main

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/image/webp"
)

// validator decodes every WebP the run writes with dwebp and with
// golang.org/x/image/webp and compares what both decoders produce before
// any colour conversion: dwebp -yuv writes the Y, U and V planes (4:2:0,
// limited range, loop filter applied) and, for images with alpha, the
// alpha plane; x/image returns the same planes as *image.YCbCr or
// *image.NYCbCrA. They must be equal sample for sample. (RGB is not
// compared: libwebp converts with its fancy chroma upsampler and studio
// range, x/image leaves the conversion to image/color's full-range JFIF
// formula, so their RGB differs by design; see bench/webp/README.md.)
type validator struct {
	dir        string
	files      int
	alphaFiles int
	samples    int64
	failures   []string
}

func (v *validator) check(label string, data []byte) error {
	v.files++
	fail := func(format string, args ...any) error {
		v.failures = append(v.failures, label+": "+fmt.Sprintf(format, args...))
		return nil
	}
	in := filepath.Join(v.dir, "v.webp")
	out := filepath.Join(v.dir, "v.yuv")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		return err
	}
	if b, err := exec.Command("dwebp", "-quiet", "-nodither", in, "-yuv", "-o", out).CombinedOutput(); err != nil {
		return fail("dwebp: %v: %s", err, bytes.TrimSpace(b))
	}
	lib, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	m, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return fail("x/image/webp: %v", err)
	}
	var yc *image.YCbCr
	var a *image.NYCbCrA
	switch t := m.(type) {
	case *image.YCbCr:
		yc = t
	case *image.NYCbCrA:
		yc, a = &t.YCbCr, t
		v.alphaFiles++
	default:
		return fail("x/image/webp returned %T, want a YCbCr image", m)
	}
	b := yc.Rect
	w, h := b.Dx(), b.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	want := w*h + 2*cw*ch
	if a != nil {
		want += w * h
	}
	if len(lib) != want {
		return fail("dwebp -yuv wrote %d bytes, want %d for %dx%d (alpha %v)", len(lib), want, w, h, a != nil)
	}
	plane := func(name string, got []byte, stride, pw, ph int, lib []byte) bool {
		for y := 0; y < ph; y++ {
			if !bytes.Equal(got[y*stride:y*stride+pw], lib[y*pw:(y+1)*pw]) {
				fail("%s plane differs in row %d", name, y)
				return false
			}
		}
		v.samples += int64(pw * ph)
		return true
	}
	off := 0
	ok := plane("Y", yc.Y, yc.YStride, w, h, lib[off:])
	off += w * h
	ok = ok && plane("U", yc.Cb, yc.CStride, cw, ch, lib[off:])
	off += cw * ch
	ok = ok && plane("V", yc.Cr, yc.CStride, cw, ch, lib[off:])
	off += cw * ch
	if ok && a != nil {
		plane("A", a.A, a.AStride, w, h, lib[off:])
	}
	return nil
}
