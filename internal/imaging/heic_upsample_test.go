package imaging

import (
	"bytes"
	"image"
	"math"
	"testing"
)

// smoothChroma is a smooth chroma field over luma coordinates (pixel
// centres), in 8-bit units around 128: a diagonal ramp plus a gentle wave.
func smoothChroma(x, y float64, phase float64) float64 {
	return 128 + 90*math.Sin(0.11*x+0.07*y+phase) + 0.3*(x-y)/4
}

// gradientYCC builds w×h planes (ratio 4:2:0 or 4:2:2) by sampling the
// fields at the HEVC chroma positions of chroma_sample_loc_type 0 (x = 2i,
// y = 2j+0.5 for 4:2:0), with luma a ramp, and the float reference: each
// pixel converted from the exact fields at its own position.
func gradientYCC(w, h int, ratio image.YCbCrSubsampleRatio, k *yccCoeffs) (*yccImage, []float64) {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	hs, vs := chromaShift(ratio)
	luma := func(x, y int) float64 { return 40 + 170*float64(x+y)/float64(w+h) }
	q := func(v float64) uint8 { return uint8(math.Round(min(max(v, 0), 255))) }
	for y := range h {
		for x := range w {
			m.Y[y*m.YStride+x] = q(luma(x, y))
		}
	}
	for j := range (h + 1<<vs - 1) >> vs {
		for i := range (w + 1<<hs - 1) >> hs {
			cx := float64(i << hs) // co-sited horizontally
			cy := float64(j)
			if vs == 1 {
				cy = 2*float64(j) + 0.5
			}
			m.Cb[j*m.CStride+i] = q(smoothChroma(cx, cy, 0))
			m.Cr[j*m.CStride+i] = q(smoothChroma(cx, cy, 2))
		}
	}
	ref := make([]float64, 0, 3*w*h)
	for y := range h {
		for x := range w {
			yy := (float64(m.Y[y*m.YStride+x]) - float64(k.yOff)) * float64(k.ys) / 65536
			cb := smoothChroma(float64(x), float64(y), 0) - 128
			cr := smoothChroma(float64(x), float64(y), 2) - 128
			f := func(v int32) float64 { return float64(v) / 65536 }
			ref = append(ref,
				yy+f(k.crR)*cr,
				yy-f(k.cbG)*cb-f(k.crG)*cr,
				yy+f(k.cbB)*cb)
		}
	}
	return &yccImage{YCbCr: m, k: k}, ref
}

// nearestRows is the conversion before chroma upsampling: each pixel takes
// the chroma sample (x>>hs, y>>vs).
func nearestRows(m *yccImage) rowFunc {
	w := m.Rect.Dx()
	hs, vs := chromaShift(m.SubsampleRatio)
	return func(y int, dst []uint8) {
		co := (y >> vs) * m.CStride
		for x := range w {
			m.k.convert(dst[4*x:4*x+4], m.Y[y*m.YStride+x], m.Cb[co+x>>hs], m.Cr[co+x>>hs])
			dst[4*x+3] = 255
		}
	}
}

// centredRows upsamples with JPEG's siting (chroma centred between luma
// samples both ways: libjpeg's triangle filter), in float.
func centredRows(m *yccImage) rowFunc {
	w := m.Rect.Dx()
	hs, vs := chromaShift(m.SubsampleRatio)
	cw, ch := (w+1<<hs-1)>>hs, (m.Rect.Dy()+1<<vs-1)>>vs
	sample := func(p []uint8, x, y int) float64 {
		fx := (float64(x)+0.5)/float64(int(1)<<hs) - 0.5
		fy := (float64(y)+0.5)/float64(int(1)<<vs) - 0.5
		x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
		ax, ay := fx-float64(x0), fy-float64(y0)
		at := func(i, j int) float64 {
			return float64(p[min(max(j, 0), ch-1)*m.CStride+min(max(i, 0), cw-1)])
		}
		return (1-ay)*((1-ax)*at(x0, y0)+ax*at(x0+1, y0)) + ay*((1-ax)*at(x0, y0+1)+ax*at(x0+1, y0+1))
	}
	return func(y int, dst []uint8) {
		for x := range w {
			cb := int32(math.Round(8 * sample(m.Cb, x, y)))
			cr := int32(math.Round(8 * sample(m.Cr, x, y)))
			m.k.convertQ3(dst[4*x:4*x+4], m.Y[y*m.YStride+x], cb, cr)
			dst[4*x+3] = 255
		}
	}
}

func psnrRGB(rows rowFunc, w, h int, ref []float64) float64 {
	row := make([]uint8, 4*w)
	var se float64
	for y := range h {
		rows(y, row)
		for x := range w {
			for c := range 3 {
				r := min(max(ref[3*(y*w+x)+c], 0), 255)
				d := float64(row[4*x+c]) - r
				se += d * d
			}
		}
	}
	return 10 * math.Log10(255*255/(se/float64(3*w*h)))
}

// TestHEICChromaUpsampling: a smooth chroma field decodes closer to the
// float reference with the co-sited bilinear upsampling than with the
// nearest sample or with JPEG's centred siting; rows and At agree, and
// the output is deterministic.
func TestHEICChromaUpsampling(t *testing.T) {
	tests := []struct {
		name  string
		w, h  int
		ratio image.YCbCrSubsampleRatio
		k     *yccCoeffs
	}{
		{name: "420 full range 601", w: 96, h: 64, ratio: image.YCbCrSubsampleRatio420, k: newYCCCoeffs(6, true)},
		{name: "420 odd size limited 709", w: 95, h: 63, ratio: image.YCbCrSubsampleRatio420, k: newYCCCoeffs(1, false)},
		{name: "422 odd width", w: 77, h: 40, ratio: image.YCbCrSubsampleRatio422, k: newYCCCoeffs(6, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ref := gradientYCC(tt.w, tt.h, tt.ratio, tt.k)
			got := psnrRGB(m.rows(), tt.w, tt.h, ref)
			nearest := psnrRGB(nearestRows(m), tt.w, tt.h, ref)
			centred := psnrRGB(centredRows(m), tt.w, tt.h, ref)
			t.Logf("PSNR against float: co-sited bilinear %.2f dB, nearest %.2f dB, centred (JPEG) %.2f dB", got, nearest, centred)
			if got < nearest+3 {
				t.Errorf("upsampled %.2f dB, nearest %.2f dB: want at least 3 dB better", got, nearest)
			}
			if got <= centred {
				t.Errorf("co-sited %.2f dB is not better than centred siting %.2f dB", got, centred)
			}
			a, b := make([]uint8, 4*tt.w), make([]uint8, 4*tt.w)
			rows := m.rows()
			for y := range tt.h {
				rows(y, a)
				rows(y, b)
				if !bytes.Equal(a, b) {
					t.Fatalf("row %d differs between calls", y)
				}
				for x := range tt.w {
					c := m.At(x, y)
					r, g, bb, al := c.RGBA()
					if uint8(r>>8) != a[4*x] || uint8(g>>8) != a[4*x+1] || uint8(bb>>8) != a[4*x+2] || al != 0xffff {
						t.Fatalf("At(%d, %d) = %v, rows give %v", x, y, c, a[4*x:4*x+4])
					}
				}
			}
		})
	}
}

// TestChromaUpsamplerFlat: a flat chroma plane stays exactly flat (the
// weights add up to one at every position, edges included).
func TestChromaUpsamplerFlat(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio444} {
		m := image.NewYCbCr(image.Rect(0, 0, 9, 7), ratio)
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = 77, 200
		}
		u := newChromaUpsampler(ratio, 9, 7, m.CStride)
		for y := range 7 {
			for x := range 9 {
				if v := u.at(m.Cb, x, y); v != 77*8 {
					t.Fatalf("%v: at(%d, %d) = %d, want %d", ratio, x, y, v, 77*8)
				}
			}
		}
	}
}
