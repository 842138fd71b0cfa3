package webpenc

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkEncode encodes a generated photo-like picture at q75 with one
// and two workers. The comparison with cwebp is bench/webpenc.
func BenchmarkEncode(b *testing.B) {
	for _, sz := range []struct{ w, h int }{{2048, 1365}, {512, 341}} {
		m := testImage(sz.w, sz.h, "photo", 5)
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/workers=%d", sz.w, sz.h, workers), func(b *testing.B) {
				var buf bytes.Buffer
				b.SetBytes(int64(sz.w * sz.h * 4))
				for b.Loop() {
					buf.Reset()
					if err := Encode(context.Background(), &buf, m, &Options{Quality: 75, Workers: workers}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len()), "bytes")
			})
		}
	}
}
