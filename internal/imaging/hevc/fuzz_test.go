package hevc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds Annex B streams to Decode with small limits; seeds are
// the committed fixtures. The seeds are whole pictures, so minimising a
// new input is slow: run with -fuzzminimizetime=3s.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.h265")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	opt := &Options{MaxWidth: 512, MaxHeight: 512, MaxPixels: 1 << 16}
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus := SplitAnnexB(b)
		if _, err := DecodeConfig(nalus); err != nil {
			return
		}
		Decode(context.Background(), nil, nalus, opt)
	})
}
