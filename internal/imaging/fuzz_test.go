package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// probeSeeds are generated fixtures of every supported format and header
// shape, plus the WebP files in testdata.
func probeSeeds(t testing.TB) [][]byte {
	q := quads(16, 12, red, green, blue, yellow)
	seeds := [][]byte{
		encodeJPEG(t, q, 80),
		insertSegments(encodeJPEG(t, q, 80), exifSegment(binary.LittleEndian, 6, true), iccSegment()),
		sofHeader(mSOF2, 8, 300, 200, 3),
		cmykJPEG([][]color.CMYK{{{1, 2, 3, 4}}}),
		encodePNG(t, q),
		insertPNGChunks(pngHeader(10, 20), pngChunk("acTL", make([]byte, 8)), pngChunk("eXIf", tiffEXIF(binary.BigEndian, 3, true))),
		gifBytes(t, []*image.Paletted{palettedFill(4, 4, color.Palette{red, color.NRGBA{}}, 1), palettedFill(4, 4, color.Palette{red, blue}, 1)}, true),
		[]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x12\x00\x00\x00\x09\x00\x00\x04\x00\x00ANIM"),
		[]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"),
	}
	files, _ := filepath.Glob("testdata/webp/*.webp")
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzProbe checks that Probe never panics, returns only typed errors, and
// agrees with Process about what it accepts.
func FuzzProbe(f *testing.F) {
	for _, s := range probeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Probe(bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			var ue *UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if info.Width <= 0 || info.Height <= 0 || info.Orientation < 1 || info.Orientation > 8 || !info.Format.Valid() {
			t.Fatalf("implausible Info %+v", info)
		}
		// Decode small images fully: must not panic, errors must be typed.
		lim := Limits{MaxPixels: 1 << 16}
		_, err = Process(context.Background(), bytes.NewReader(data), io.Discard, Spec{LongSide: 16, Format: PNG}, lim)
		var fe *FormatError
		var ue *UnsupportedError
		var le *LimitError
		var se *SideLimitError
		if err != nil && !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.As(err, &le) && !errors.As(err, &se) {
			t.Fatalf("Process: untyped error %T: %v", err, err)
		}
	})
}

// processSeeds are probeSeeds plus the hostile inputs of issue 9 (hostile_test.go)
// scaled down to the fuzz limits: declared sizes over MaxSide or MaxPixels,
// a small frame on a large GIF screen, progressive JPEGs of many empty
// scans, 16-bit and interlaced PNGs, a lossless WebP of zero-bit pixels.
func processSeeds(t testing.TB) [][]byte {
	return append(probeSeeds(t),
		zerosPNG(300_000, 1, 8, 0, false),
		zerosPNG(2000, 1, 8, 0, false),
		gifScreen(t, 60000, 3, 1, 1),
		gifScreen(t, 400, 300, 2, 3),
		zerosPNG(120, 90, 16, 6, false),
		zerosPNG(120, 90, 16, 2, true),
		zerosPNG(77, 50, 2, 3, true),
		progressiveGray(64, 48, repeatedScans(40), true),
		progressiveGray(24, 16, deepestScans(), true),
		baselineGray(64, 48),
		flatLossless(300, 200),
	)
}

// FuzzProcess runs the engine path of the resize step (probe, limits,
// decode, resize, encode) on any input, so every decoder behind it (JPEG,
// PNG, GIF, WebP) is fuzzed: it must not panic, must fail only with the
// documented error types, and must give the planned size when it succeeds.
// The limits are small (64k pixels, 2048 px a side), so the fuzzer spends
// its time on decoding rather than on big allocations, and so one run must
// take well under a second of CPU: over fuzzSlow it is a finding (hostile
// input must fail within a time limit). CPU time, not wall time, so that a
// busy machine does not make findings of its own.
func FuzzProcess(f *testing.F) {
	const fuzzSlow = 3 * time.Second
	for _, s := range processSeeds(f) {
		f.Add(s)
	}
	lim := Limits{MaxPixels: 1 << 16, MaxSide: 2048}
	f.Fuzz(func(t *testing.T, data []byte) {
		format := PNG
		if len(data)%2 == 1 {
			format = JPEG
		}
		start, measured := processCPU()
		out, err := Process(context.Background(), bytes.NewReader(data), io.Discard, Spec{LongSide: 24, Format: format}, lim)
		if end, _ := processCPU(); measured && end-start > fuzzSlow {
			t.Fatalf("%d bytes took %v of CPU (%v)", len(data), end-start, err)
		}
		if err != nil {
			var fe *FormatError
			var ue *UnsupportedError
			var le *LimitError
			var se *SideLimitError
			if !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.As(err, &le) && !errors.As(err, &se) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		info, err := Probe(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Process succeeded, Probe failed: %v", err)
		}
		w, h := info.DisplaySize()
		if ww, wh := Fit(w, h, 24); out.Width != ww || out.Height != wh {
			t.Fatalf("output %dx%d, want %dx%d", out.Width, out.Height, ww, wh)
		}
	})
}

// FuzzEXIF checks the EXIF parser on hostile input.
func FuzzEXIF(f *testing.F) {
	f.Add(tiffEXIF(binary.LittleEndian, 6, true))
	f.Add(tiffEXIF(binary.BigEndian, 8, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, _ := parseEXIF(data)
		if d.Orientation < 1 || d.Orientation > 8 {
			t.Fatalf("orientation %d", d.Orientation)
		}
	})
}

// TestTruncationNeverPanics cuts every seed at every length.
func TestTruncationNeverPanics(t *testing.T) {
	for i, s := range probeSeeds(t) {
		step := 1
		for n := 0; n < len(s); n += step {
			if n >= 512 {
				step = 61 // every length through the headers, then a sample
			}
			_, err := Process(context.Background(), bytes.NewReader(s[:n]), io.Discard, Spec{LongSide: 8, Format: JPEG}, Limits{MaxPixels: 1 << 20})
			if err == nil && n < len(s)/2 {
				t.Errorf("seed %d cut at %d/%d: no error", i, n, len(s))
			}
		}
	}
}

// FuzzICC checks the ICC parser and the transform on hostile profiles.
func FuzzICC(f *testing.F) {
	f.Add(iccProfile(p3Colorants, paraSRGB()))
	f.Add(iccProfile(srgbColorants, curvGamma(1.8)))
	f.Add(cmykICC(2, "Lab ", [2]string{"A2B0", string(mft2Tag(3))}))
	f.Add(cmykICC(2, "Lab ", [2]string{"A2B0", string(mft1Tag(2))}))
	f.Add(cmykICC(4, "Lab ", [2]string{"A2B1", string(mABTag(3))}))
	f.Add(cmykICC(4, "XYZ ", [2]string{"A2B0", string(mABTag(2))}))
	f.Fuzz(func(t *testing.T, p []byte) {
		if ct := parseICC(p); ct != nil {
			px := []uint8{0, 0, 0, 255, 255, 255, 255, 255, 1, 128, 254, 7}
			ct.apply(px)
		}
		// CMYK LUT profiles: evaluate the pipeline at a few points (building
		// the whole 17⁴ grid per input would make fuzzing crawl).
		if cp := parseCMYKProfile(p); cp != nil {
			for _, x := range [][]float64{{0, 0, 0, 0}, {1, 1, 1, 1}, {0.3, 0.7, 0.01, 0.99}, {-1, 2, math.NaN(), 0.5}} {
				v := cp.pipe.toSRGB(x)
				for _, c := range v {
					if !(c >= 0 && c <= 1) {
						t.Fatalf("eval %v = %v", x, v)
					}
				}
			}
		}
	})
}
