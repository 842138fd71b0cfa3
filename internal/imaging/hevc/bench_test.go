package hevc

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// BenchmarkDecodeFile decodes the Annex B file named by HEVC_BENCH_FILE
// (for comparisons with dec265 on large pictures) with HEVC_BENCH_WORKERS
// workers (default 1).
func BenchmarkDecodeFile(b *testing.B) {
	name := os.Getenv("HEVC_BENCH_FILE")
	if name == "" {
		b.Skip("HEVC_BENCH_FILE not set")
	}
	opt := &Options{}
	if w := os.Getenv("HEVC_BENCH_WORKERS"); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil {
			b.Fatalf("HEVC_BENCH_WORKERS: %v", err)
		}
		opt.Workers = n
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	nalus := SplitAnnexB(data)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(context.Background(), nil, nalus, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFixtures decodes every committed fixture once per
// iteration.
func BenchmarkDecodeFixtures(b *testing.B) {
	fxs := readFixtures(b)
	var streams [][][]byte
	for _, fx := range fxs {
		streams = append(streams, fixtureNALUs(b, fx))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range streams {
			if _, err := Decode(context.Background(), nil, s, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
