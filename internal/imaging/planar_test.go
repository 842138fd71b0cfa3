package imaging

import (
	"context"
	"image"
	"math"
	"testing"
)

// yccPhoto returns a w×h Y′CbCr image with the given subsampling: textured
// luma (sinusoids, a hard edge, noise) and smooth chroma with one soft
// edge, all inside the RGB gamut so that no path clamps.
func yccPhoto(w, h int, r image.YCbCrSubsampleRatio, seed uint32) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), r)
	s := seed
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s = s*1664525 + 1013904223
			v := 120 + 30*math.Sin(float64(x)*0.31+float64(y)*0.07) + 15*math.Sin(float64(y)*0.9) + float64(s>>29)
			if x > w/3 && y < h/2 {
				v += 25
			}
			m.Y[m.YOffset(x, y)] = uint8(v)
		}
	}
	hs, vs := chromaShift(r)
	for cy := 0; cy < (h+(1<<vs)-1)>>vs; cy++ {
		for cx := 0; cx < (w+(1<<hs)-1)>>hs; cx++ {
			fx, fy := float64(cx<<hs)/float64(w), float64(cy<<vs)/float64(h)
			o := cy*m.CStride + cx
			m.Cb[o] = uint8(128 + 25*math.Sin(6*fx) + 10*math.Tanh((fx-0.6)*300))
			m.Cr[o] = uint8(128 + 20*math.Cos(5*fy+fx))
		}
	}
	return m
}

// toPlanes420 converts opaque RGB to 4:2:0 Y′CbCr as the JPEG encoder does
// (Y per pixel, chroma from the 2×2 mean), in float64.
func toPlanes420(m *image.NRGBA) (y, cb, cr []float64) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	y, cb, cr = make([]float64, w*h), make([]float64, cw*ch), make([]float64, cw*ch)
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			p := m.Pix[m.PixOffset(px, py):]
			r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
			y[py*w+px] = 0.299*r + 0.587*g + 0.114*b
			c := (py/2)*cw + px/2
			cb[c] += -0.168736*r - 0.331264*g + 0.5*b
			cr[c] += 0.5*r - 0.418688*g - 0.081312*b
		}
	}
	for c := range cb {
		n := 4.0
		cx, cy := c%cw, c/cw
		if 2*cx+1 >= w {
			n /= 2
		}
		if 2*cy+1 >= h {
			n /= 2
		}
		cb[c], cr[c] = cb[c]/n+128, cr[c]/n+128
	}
	return y, cb, cr
}

// meanAbs is the mean and the largest absolute difference of a plane of
// 8-bit samples (w wide, stride apart) and a float plane (w wide).
func meanAbs(got []uint8, stride int, want []float64, w int) (mean, worst float64) {
	h := len(want) / w
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := math.Abs(float64(got[y*stride+x]) - want[y*w+x])
			mean += d
			worst = max(worst, d)
		}
	}
	return mean / float64(len(want)), worst
}

// TestPlanarMatchesRGB compares the planar path with the RGB path followed
// by the encoder's conversion: the same picture within a level on average.
func TestPlanarMatchesRGB(t *testing.T) {
	tests := []struct {
		name           string
		sw, sh, dw, dh int
		ratio          image.YCbCrSubsampleRatio
	}{
		{"420 2x", 400, 300, 200, 150, image.YCbCrSubsampleRatio420},
		{"420 odd", 401, 299, 203, 151, image.YCbCrSubsampleRatio420},
		{"420 8x", 640, 480, 80, 60, image.YCbCrSubsampleRatio420},
		{"420 slight", 300, 200, 257, 171, image.YCbCrSubsampleRatio420},
		{"444", 301, 203, 150, 101, image.YCbCrSubsampleRatio444},
		{"422", 300, 200, 149, 99, image.YCbCrSubsampleRatio422},
		{"440", 300, 200, 150, 100, image.YCbCrSubsampleRatio440},
		{"411", 320, 200, 150, 94, image.YCbCrSubsampleRatio411},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := yccPhoto(tt.sw, tt.sh, tt.ratio, 7)
			rgb, err := resample(context.Background(), rowsOf(src), packedRowsOf(src), tt.sw, tt.sh, tt.dw, tt.dh, true)
			if err != nil {
				t.Fatal(err)
			}
			got, err := resamplePlanar(context.Background(), src, tt.dw, tt.dh, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rect != image.Rect(0, 0, tt.dw, tt.dh) || got.SubsampleRatio != image.YCbCrSubsampleRatio420 {
				t.Fatalf("got %v %v", got.Rect, got.SubsampleRatio)
			}
			y, cb, cr := toPlanes420(rgb)
			cw := (tt.dw + 1) / 2
			for _, p := range []struct {
				name   string
				got    []uint8
				stride int
				want   []float64
				w      int
			}{{"Y", got.Y, got.YStride, y, tt.dw}, {"Cb", got.Cb, got.CStride, cb, cw}, {"Cr", got.Cr, got.CStride, cr, cw}} {
				mean, worst := meanAbs(p.got, p.stride, p.want, p.w)
				t.Logf("%s: mean %.3f, worst %.1f", p.name, mean, worst)
				if mean > 1 || worst > 16 {
					t.Errorf("%s differs from the RGB path: mean %.3f, worst %.1f", p.name, mean, worst)
				}
			}
		})
	}
}

// orientPlane returns the w×h plane p (stride apart) as displayed under
// EXIF orientation o (see orient), and its width.
func orientPlane(p []uint8, stride, w, h, o int) ([]uint8, int) {
	ow := w
	if swapsAxes(o) {
		ow = h
	}
	out := make([]uint8, w*h)
	for sy := 0; sy < h; sy++ {
		for sx := 0; sx < w; sx++ {
			dx, dy := sx, sy
			switch o {
			case 2:
				dx = w - 1 - sx
			case 3:
				dx, dy = w-1-sx, h-1-sy
			case 4:
				dy = h - 1 - sy
			case 5:
				dx, dy = sy, sx
			case 6:
				dx, dy = h-1-sy, sx
			case 7:
				dx, dy = h-1-sy, w-1-sx
			case 8:
				dx, dy = sy, w-1-sx
			}
			out[dy*ow+dx] = p[sy*stride+sx]
		}
	}
	return out, ow
}

// orientYCbCr orients every plane of a 4:4:4 image.
func orientYCbCr(m *image.YCbCr, o int) *image.YCbCr {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	y, ow := orientPlane(m.Y, m.YStride, w, h, o)
	cb, _ := orientPlane(m.Cb, m.CStride, w, h, o)
	cr, _ := orientPlane(m.Cr, m.CStride, w, h, o)
	return &image.YCbCr{Y: y, Cb: cb, Cr: cr, YStride: ow, CStride: ow, SubsampleRatio: image.YCbCrSubsampleRatio444,
		Rect: image.Rect(0, 0, ow, len(y)/ow)}
}

// plane420 returns plane c (0 Y, 1 Cb, 2 Cr) of a 4:2:0 image, packed,
// and its width.
func plane420(m *image.YCbCr, c int) ([]uint8, int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	p, stride := m.Y, m.YStride
	if c > 0 {
		w, h, stride = (w+1)/2, (h+1)/2, m.CStride
		p = m.Cb
		if c == 2 {
			p = m.Cr
		}
	}
	out := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(out[y*w:(y+1)*w], p[y*stride:])
	}
	return out, w
}

// TestPlanarOrientation checks the orientation folded into the planar
// path for all eight orientations: luma is exactly the oriented luma of
// the unoriented result; chroma sits on the display's 4:2:0 grid, which
// for an odd flipped axis is not the stored grid flipped, so it is checked
// against resizing the source oriented first (a 4:4:4 source orients
// exactly), within the rounding of the mirrored taps.
func TestPlanarOrientation(t *testing.T) {
	ctx := context.Background()
	for _, size := range [][4]int{{240, 160, 120, 80}, {241, 163, 121, 81}, {97, 55, 31, 17}} {
		sw, sh, dw, dh := size[0], size[1], size[2], size[3]
		src := yccPhoto(sw, sh, image.YCbCrSubsampleRatio444, 3)
		base, err := resamplePlanar(ctx, src, dw, dh, 1)
		if err != nil {
			t.Fatal(err)
		}
		for o := 1; o <= 8; o++ {
			got, err := resamplePlanar(ctx, src, dw, dh, o)
			if err != nil {
				t.Fatal(err)
			}
			ow, oh := dw, dh
			if swapsAxes(o) {
				ow, oh = dh, dw
			}
			if got.Rect != image.Rect(0, 0, ow, oh) {
				t.Fatalf("%v o%d: bounds %v", size, o, got.Rect)
			}
			y, _ := plane420(got, 0)
			by, _ := plane420(base, 0)
			if want, _ := orientPlane(by, dw, dw, dh, o); string(y) != string(want) {
				t.Errorf("%v o%d: luma is not the oriented luma", size, o)
			}
			ref, err := resamplePlanar(ctx, orientYCbCr(src, o), ow, oh, 1)
			if err != nil {
				t.Fatal(err)
			}
			for c := 1; c <= 2; c++ {
				g, _ := plane420(got, c)
				r, _ := plane420(ref, c)
				worst := 0
				for i := range g {
					worst = max(worst, int(g[i])-int(r[i]), int(r[i])-int(g[i]))
				}
				if worst > 1 {
					t.Errorf("%v o%d: chroma %d differs from the oriented source's by %d", size, o, c, worst)
				}
				if dw%2 == 0 && dh%2 == 0 {
					b, cw := plane420(base, c)
					if want, _ := orientPlane(b, cw, cw, (dh+1)/2, o); string(g) != string(want) {
						t.Errorf("%v o%d: even-sized chroma %d is not the oriented chroma", size, o, c)
					}
				}
			}
		}
	}
}

// TestPlanarFlat checks that a flat picture stays exactly flat.
func TestPlanarFlat(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 123, 77), image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = 201
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = 17, 240
	}
	got, err := resamplePlanar(context.Background(), m, 50, 31, 6)
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range []uint8{201, 17, 240} {
		p, _ := plane420(got, c)
		for i, v := range p {
			if v != want {
				t.Fatalf("plane %d sample %d: %d, want %d", c, i, v, want)
			}
		}
	}
}

// TestPlanarSameSize checks that planes decoded at the size wanted (the
// JPEG decoder's shrink-on-load) are copied exactly, and oriented.
func TestPlanarSameSize(t *testing.T) {
	src := yccPhoto(64, 48, image.YCbCrSubsampleRatio420, 5)
	for o := 1; o <= 8; o++ {
		got, err := resamplePlanar(context.Background(), src, 64, 48, o)
		if err != nil {
			t.Fatal(err)
		}
		for c := 0; c <= 2; c++ {
			g, _ := plane420(got, c)
			s, w := plane420(src, c)
			if want, _ := orientPlane(s, w, w, len(s)/w, o); string(g) != string(want) {
				t.Errorf("o%d: plane %d is not the source's, oriented", o, c)
			}
		}
	}
}
