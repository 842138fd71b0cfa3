package imaging

import (
	"bytes"
	"context"
	"image"
	"io"
	"sync"
	"testing"
)

var (
	photoOnce sync.Once
	photo12MP []byte
)

// syntheticPhoto returns a 4032×3024 JPEG (quality 90, 4:2:0) with smooth
// gradients and fine noise, so that it compresses roughly like a photo.
func syntheticPhoto(b testing.TB) []byte {
	photoOnce.Do(func() {
		const w, h = 4032, 3024
		m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		s := uint32(1)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s = s*1664525 + 1013904223
				m.Y[y*m.YStride+x] = uint8((x*200/w+y*55/h)&0xff) + uint8(s>>28)
			}
		}
		for y := 0; y < h/2; y++ {
			for x := 0; x < w/2; x++ {
				m.Cb[y*m.CStride+x] = uint8(64 + x*128/(w/2))
				m.Cr[y*m.CStride+x] = uint8(64 + y*128/(h/2))
			}
		}
		photo12MP = encodeJPEG(b, m, 90)
	})
	return photo12MP
}

func BenchmarkProcess(b *testing.B) {
	src := syntheticPhoto(b)
	for _, long := range []int{2048, 256} {
		b.Run("12MP_to_"+itoaTest(long), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Process(context.Background(), bytes.NewReader(src), io.Discard, Spec{LongSide: long, Format: JPEG, Quality: 82}, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStages separates decoding from resampling.
func BenchmarkStages(b *testing.B) {
	src := syntheticPhoto(b)
	b.Run("decode_only", func(b *testing.B) {
		for b.Loop() {
			j := &job{in: bytes.NewReader(src)}
			if err := run(context.Background(), []step{probeStep, planFullSizeStep, decodeStep}, j); err != nil {
				b.Fatal(err)
			}
		}
	})
	j := &job{in: bytes.NewReader(src)}
	if err := run(context.Background(), []step{probeStep, planFullSizeStep, decodeStep}, j); err != nil {
		b.Fatal(err)
	}
	for _, long := range []int{2048, 256} {
		b.Run("resample_to_"+itoaTest(long), func(b *testing.B) {
			w, h := Fit(4032, 3024, long)
			for b.Loop() {
				if _, err := resample(context.Background(), rowsOf(j.img), packedRowsOf(j.img), 4032, 3024, w, h, true); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The planar path (planar.go): the same resize as Y′CbCr planes.
		b.Run("planar_to_"+itoaTest(long), func(b *testing.B) {
			w, h := Fit(4032, 3024, long)
			for b.Loop() {
				if _, err := resamplePlanar(context.Background(), j.img.(*image.YCbCr), w, h, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Encoding the 2048-px result: from RGB (convert and subsample) and
	// from the planar path's planes.
	w, h := Fit(4032, 3024, 2048)
	rgb, err := resample(context.Background(), rowsOf(j.img), packedRowsOf(j.img), 4032, 3024, w, h, true)
	if err != nil {
		b.Fatal(err)
	}
	ycc, err := resamplePlanar(context.Background(), j.img.(*image.YCbCr), w, h, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode_rgb_2048", func(b *testing.B) {
		for b.Loop() {
			if _, err := encode(context.Background(), Encoding{Format: JPEG, Quality: 80, Dst: io.Discard}, rgb); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode_planar_2048", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodePlanar(context.Background(), Encoding{Format: JPEG, Quality: 80, Dst: io.Discard}, ycc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func itoaTest(n int) string {
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
