package imaging

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestLossyWebPColours compares our decode of a lossy WebP with libwebp's
// (dwebp 1.2.4, committed beside it). Both fixtures were made with cwebp -q 90
// from flat colour patches; the means over each patch's interior must agree,
// which they do not when limited-range YCbCr is read as full range (dark
// patches come out lighter by more than 10 levels).
func TestLossyWebPColours(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "webp", "patches.lossy.webp"))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := Decode(context.Background(), bytes.NewReader(src), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("testdata", "webp", "patches.lossy.dwebp.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ref, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Patches are 16x24; chroma upsampling differs at their edges (libwebp
	// interpolates, we replicate), so only the interiors are compared.
	for py := 0; py < 2; py++ {
		for px := 0; px < 4; px++ {
			r := image.Rect(px*16+4, py*24+4, px*16+12, py*24+20)
			gm, rm := patchMean(got, r), patchMean(ref, r)
			for c := range 3 {
				if d := gm[c] - rm[c]; d > 3 || d < -3 {
					t.Errorf("patch (%d,%d) channel %d: ours %.1f, libwebp %.1f", px, py, c, gm[c], rm[c])
				}
			}
		}
	}
}

func patchMean(img image.Image, r image.Rectangle) [3]float64 {
	var sum [3]float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			sum[0] += float64(cr >> 8)
			sum[1] += float64(cg >> 8)
			sum[2] += float64(cb >> 8)
		}
	}
	n := float64(r.Dx() * r.Dy())
	return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
}

// TestStudioRows checks the per-row conversion of lossy WebP planes against
// the per-pixel one, odd sizes and alpha included.
func TestStudioRows(t *testing.T) {
	for _, alpha := range []bool{false, true} {
		m := image.NewNYCbCrA(image.Rect(0, 0, 37, 23), image.YCbCrSubsampleRatio420)
		for i := range m.Y {
			m.Y[i] = uint8(i * 7)
			m.A[i] = uint8(i * 13)
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(i*31), uint8(255-i*11)
		}
		s := &studioYCbCr{YCbCr: &m.YCbCr}
		if alpha {
			s.alpha, s.aStride = m.A, m.AStride
		}
		rows := rowsOf(s)
		got, want := make([]uint8, 4*37), make([]uint8, 4)
		for y := 0; y < 23; y++ {
			rows(y, got)
			for x := 0; x < 37; x++ {
				s.pixel(want, x, y)
				if !bytes.Equal(got[4*x:4*x+4], want) {
					t.Fatalf("alpha %v (%d,%d): row %v, pixel %v", alpha, x, y, got[4*x:4*x+4], want)
				}
			}
		}
	}
}
