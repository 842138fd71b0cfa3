package hevc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds Annex B streams to Decode with small limits, with one
// and with three workers (same error or same planes); seeds are the
// committed fixtures. The seeds are whole pictures, so minimising a
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
	par := *opt
	par.Workers = 3
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus := SplitAnnexB(b)
		if _, err := DecodeConfig(nalus); err != nil {
			return
		}
		// The worker count must not change the outcome.
		pic, err := Decode(context.Background(), nil, nalus, opt)
		ppic, perr := Decode(context.Background(), nil, nalus, &par)
		if fmt.Sprint(err) != fmt.Sprint(perr) {
			t.Fatalf("one worker: %v; three: %v", err, perr)
		}
		if err == nil && !bytes.Equal(rawPlanes(pic), rawPlanes(ppic)) {
			t.Fatalf("three workers decode other planes than one")
		}
	})
}
