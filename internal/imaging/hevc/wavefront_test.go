package hevc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// TestFixturesWorkers decodes every committed stream with several worker
// counts: the planes must equal the reference's for each, and streams
// with entry points must take the parallel path without falling back.
func TestFixturesWorkers(t *testing.T) {
	for _, fx := range readFixtures(t) {
		nalus := fixtureNALUs(t, fx)
		for _, workers := range []int{1, 2, 3, 8} {
			t.Run(fmt.Sprintf("%s/workers=%d", fx.name, workers), func(t *testing.T) {
				d := &decoder{workers: workers}
				d.maxW, d.maxH, d.maxPx = (*Options)(nil).limits()
				pic, err := d.decode(context.Background(), nalus)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if got := sha(rawPlanes(pic)); got != fx.sum {
					t.Fatalf("planes sha256 %s, want %s (%s)", got, fx.sum, fx.ref)
				}
				if d.nRedone != 0 {
					t.Errorf("%d slice segments decoded again sequentially", d.nRedone)
				}
				entry := false
				for _, sh := range d.sliceHdrs {
					entry = entry || len(sh.entryOffsets) > 0
				}
				if workers > 1 && entry && d.nParallel == 0 {
					t.Errorf("no slice segment decoded in parallel")
				}
				t.Logf("%d segments, %d in parallel", len(d.sliceHdrs), d.nParallel)
			})
		}
	}
}

// wppComboCases combine WPP with slices and dependent segments that start
// mid-row and span rows, and with tiles. They have no reference decoder:
// at the first CTB of a row whose above-right CTB lies in another slice,
// dec265 and ffmpeg take the contexts stored after that CTB, where this
// package initialises them (9.3.2.1: synchronise only when availableFlagT;
// HM's TDecSlice does the same); dec265 stops with "coded parameter out
// of range" on tiles with WPP, and ffmpeg differs from the second tile
// column on. So these check only that the worker count does not change
// the output.
var wppComboCases = []struct {
	name string
	ps   pcmStream
}{
	{"pcm_wpp_mid_row", pcmStream{w: 96, h: 96, pcmBits: 8, wpp: true, segStarts: []int{8, 21, 27},
		dependent: []bool{false, true, false}, lfAcrossSlices: true, intraCU: func(x, y int) bool { return (x+2*y)%4 != 1 }}},
	{"tiles_wpp", pcmStream{w: 128, h: 96, pcmBits: 8, wpp: true, tileCols: []int{3, 5}, tileRows: []int{2, 4},
		lfAcrossTiles: true, intraCU: func(x, y int) bool { return (x+y)%4 != 0 }}},
	{"tiles_wpp_slices", pcmStream{w: 128, h: 96, pcmBits: 8, wpp: true, tileCols: []int{3, 5}, tileRows: []int{3, 3},
		segStarts: []int{4, 11, 20, 33}, dependent: []bool{true, false, true, false}, lfAcrossTiles: true,
		intraCU: func(x, y int) bool { return x%2 == 0 || y%3 == 0 }}},
}

// TestPCMStreamsWorkers decodes the test encoder's streams (WPP and tiles
// with slices and dependent segments starting mid-row and mid-tile) with
// several worker counts: the planes must be those of the sequential
// decode (which TestTilesPCM compares with dec265).
func TestPCMStreamsWorkers(t *testing.T) {
	vps := testVPS(t)
	for _, tc := range append(pcmCases[:len(pcmCases):len(pcmCases)], wppComboCases...) {
		yuv := synthYUV(tc.ps.w, tc.ps.h, 8, "420", int64(tc.ps.w+tc.ps.h))
		nalus := SplitAnnexB(encodePCMStream(t, vps, tc.ps, yuv))
		var want string
		for _, workers := range []int{1, 2, 3, 8} {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				d := &decoder{workers: workers}
				d.maxW, d.maxH, d.maxPx = (*Options)(nil).limits()
				pic, err := d.decode(context.Background(), nalus)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				got := sha(rawPlanes(pic))
				if workers == 1 {
					want = got
				} else if got != want {
					t.Fatalf("planes sha256 %s, want %s (one worker)", got, want)
				}
				if d.nRedone != 0 {
					t.Errorf("%d slice segments decoded again sequentially", d.nRedone)
				}
				t.Logf("%d segments, %d in parallel", len(d.sliceHdrs), d.nParallel)
			})
		}
	}
}

// bigWPPStream is a 256x256 WPP picture of 16x16 CTBs (16 rows, one
// substream each) from the test encoder, as NAL units.
func bigWPPStream(t *testing.T) [][]byte {
	t.Helper()
	ps := pcmStream{w: 256, h: 256, pcmBits: 8, wpp: true, intraCU: func(x, y int) bool { return (x+y)%5 != 0 }}
	yuv := synthYUV(ps.w, ps.h, 8, "420", 7)
	return SplitAnnexB(encodePCMStream(t, testVPS(t), ps, yuv))
}

// TestWavefrontTruncated cuts the slice NAL unit of a WPP picture in the
// middle of each row: with 2 and 8 workers Decode must return promptly
// (no worker left waiting for a row that stopped) with the sequential
// decoder's error, a *FormatError wrapping io.ErrUnexpectedEOF.
func TestWavefrontTruncated(t *testing.T) {
	nalus := bigWPPStream(t)
	last := len(nalus) - 1
	full := nalus[last]
	rows := 16
	for k := 0; k < rows; k++ {
		n := len(full) * (2*k + 1) / (2 * rows)
		cut := append(append([][]byte(nil), nalus[:last]...), full[:n])
		_, want := Decode(context.Background(), nil, cut, nil)
		for _, workers := range []int{2, 8} {
			start := time.Now()
			_, err := Decode(context.Background(), nil, cut, &Options{Workers: workers})
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("cut at %d of %d, %d workers: took %v", n, len(full), workers, el)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("cut at %d of %d, %d workers: got %v, want a *FormatError wrapping io.ErrUnexpectedEOF", n, len(full), workers, err)
			}
			if err.Error() != want.Error() {
				t.Errorf("cut at %d of %d, %d workers: got %v, one worker %v", n, len(full), workers, err, want)
			}
		}
	}
}

// TestWavefrontCanceled checks that a cancelled context stops every
// worker and is reported.
func TestWavefrontCanceled(t *testing.T) {
	nalus := bigWPPStream(t)
	for _, workers := range []int{2, 8} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Decode(ctx, nil, nalus, &Options{Workers: workers}); !errors.Is(err, context.Canceled) {
			t.Fatalf("%d workers: got %v, want context.Canceled", workers, err)
		}
	}
}

// TestWavefrontBadEntryPoints decodes a WPP picture whose entry points
// are wrong in several ways: the segment must be decoded again one
// substream after another, to the planes of the sequential decode (or
// its error).
func TestWavefrontBadEntryPoints(t *testing.T) {
	nalus := bigWPPStream(t)
	ref, err := Decode(context.Background(), nil, nalus, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := sha(rawPlanes(ref))
	tests := []struct {
		name string
		edit func(off []int)
	}{
		{"shifted", func(off []int) { off[3]++; off[4]-- }},
		{"too long", func(off []int) { off[len(off)-1] += 1000 }},
		{"zero-ish", func(off []int) {
			for i := range off {
				off[i] = 1
			}
		}},
		{"huge", func(off []int) { off[0] = 1 << 32 }},
		{"one missing", func(off []int) { off[len(off)-2] += off[len(off)-1] }},
	}
	for _, tc := range tests {
		for _, workers := range []int{2, 3, 8} {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				d := &decoder{workers: workers}
				d.maxW, d.maxH, d.maxPx = (*Options)(nil).limits()
				var sh *sliceHeader
				for _, n := range nalus {
					if typ := int(n[0]>>1) & 0x3f; typ >= nalVPS {
						if _, err := d.ps.add(n); err != nil {
							t.Fatal(err)
						}
						continue
					}
					rbsp, epb := unescapeRBSPPos(n[nalHeaderSize:], true)
					h, s, p, err := d.parseSliceHeader(rbsp, int(n[0]>>1)&0x3f, nil)
					if err != nil {
						t.Fatal(err)
					}
					if err := d.activate(s, p); err != nil {
						t.Fatal(err)
					}
					sh = h
					if tc.name == "one missing" {
						sh.entryOffsets = sh.entryOffsets[:len(sh.entryOffsets)-1]
					}
					tc.edit(sh.entryOffsets)
					if err := d.decodeSliceSegment(context.Background(), sh, rbsp, epb); err != nil {
						t.Fatalf("decodeSliceSegment: %v", err)
					}
				}
				pic, err := d.finish(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if got := sha(rawPlanes(pic)); got != want {
					t.Fatalf("planes sha256 %s, want %s", got, want)
				}
				if d.nRedone != 1 {
					t.Errorf("segment decoded again %d times, want 1", d.nRedone)
				}
			})
		}
	}
}
