package jpeg

import (
	"bytes"
	"context"
	"fmt"
	stdjpeg "image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// benchImages is the shared folder of real photographs (see its
// MANIFEST.txt); IMGFLOW_IMAGES overrides it. The photos are never copied
// into the repository: benchmarks skip when the folder is absent.
func benchImages() string {
	if d := os.Getenv("IMGFLOW_IMAGES"); d != "" {
		return d
	}
	return "/work/shared/images"
}

var benchFiles = []string{"p24_craftbeer_base-q92.jpg", "p24_craftbeer_prog.jpg", "p12_olympus-ep3.jpg"}

func readBenchImage(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join(benchImages(), name))
	if err != nil {
		b.Skipf("benchmark image not available: %v", err)
	}
	return data
}

// BenchmarkDecode decodes each photo at 1/1, 1/2, 1/4 and 1/8 to planes
// (Decode), to RGBA (DecodeRGBA), and with image/jpeg at full scale.
func BenchmarkDecode(b *testing.B) {
	for _, name := range benchFiles {
		b.Run(name, func(b *testing.B) {
			data := readBenchImage(b, name)
			for _, s := range []int{1, 2, 4, 8} {
				b.Run(fmt.Sprintf("planes-1:%d", s), func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					for b.Loop() {
						if _, err := Decode(bytes.NewReader(data), &Options{Scale: s}); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run(fmt.Sprintf("rgba-1:%d", s), func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					for b.Loop() {
						if _, err := DecodeRGBA(bytes.NewReader(data), &Options{Scale: s}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("image-jpeg-1:1", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := stdjpeg.Decode(bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkStage times the stages on one photo: Huffman decoding alone
// (1/8 scale of a baseline file decodes every symbol but runs no IDCT;
// DecodeCoefficients keeps every coefficient), the planes reconstructed
// from kept coefficients at each scale, the IDCTs, and colour conversion
// of already decoded planes.
func BenchmarkStage(b *testing.B) {
	data := readBenchImage(b, "p24_craftbeer_base-q92.jpg")
	b.Run("entropy+dc-only", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodePlanes(bytes.NewReader(data), &Options{Scale: 8}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("entropy-coefficients", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeCoefficients(context.Background(), bytes.NewReader(data), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	coefs, err := DecodeCoefficients(context.Background(), bytes.NewReader(data), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("image-from-coefficients-1:%d", s), func(b *testing.B) {
			for b.Loop() {
				if _, err := coefs.Image(context.Background(), s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, s := range []int{1, 2} {
		b.Run(fmt.Sprintf("entropy+idct-1:%d", s), func(b *testing.B) {
			for b.Loop() {
				if _, err := decodePlanes(bytes.NewReader(data), &Options{Scale: s}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("color-1:%d", s), func(b *testing.B) {
			d, err := decodePlanes(bytes.NewReader(data), &Options{Scale: s})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				d.rgba()
			}
		})
	}
	var blk [64]int32
	for k := 0; k < 20; k++ {
		blk[unzig[k]] = int32(100 - 9*k)
	}
	dst := make([]byte, 64)
	b.Run("idct8x8", func(b *testing.B) {
		for b.Loop() {
			idct8x8(dst, 8, &blk)
		}
	})
	b.Run("idct4x4", func(b *testing.B) {
		for b.Loop() {
			idct4x4(dst, 8, &blk)
		}
	})
	b.Run("idct2x2", func(b *testing.B) {
		for b.Loop() {
			idct2x2(dst, 8, &blk)
		}
	})
}
