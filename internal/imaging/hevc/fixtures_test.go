package hevc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate testdata streams and reference sums with x265 and dec265")

// fixtureCases are the genCases committed under testdata so the decoder
// is checked without the tools installed.
var fixtureCases = []string{
	"sao", "main10", "mono", "yuv444", "wpp", "tskip", "scaling_explicit",
	"aq_cuqpdelta", "cu_lossless", "conf_window", "cra_second_picture", "slices_ctu16",
	"strong_smoothing_off", "yuv422_10_tskip",
}

const sumsFile = "testdata/sums.txt"

// fixture is one line of testdata/sums.txt: stream name, index of the
// picture to decode, sha256 of the expected raw planes and where that
// expectation came from.
type fixture struct {
	name string
	pic  int
	sum  string
	ref  string
}

func readFixtures(t testing.TB) []fixture {
	t.Helper()
	f, err := os.Open(sumsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixture
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 4 {
			t.Fatalf("bad line in %s: %q", sumsFile, line)
		}
		pic, err := strconv.Atoi(fs[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixture{fs[0], pic, fs[2], fs[3]})
	}
	return out
}

func fixtureNALUs(t testing.TB, fx fixture) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", fx.name+".h265"))
	if err != nil {
		t.Fatal(err)
	}
	nalus := SplitAnnexB(b)
	if fx.pic > 0 {
		nalus = dropPictures(nalus, fx.pic)
	}
	return nalus
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFixtures decodes the committed streams and compares the planes with
// the reference decoder's (sha256 recorded by -update).
func TestFixtures(t *testing.T) {
	if *update {
		updateFixtures(t)
	}
	for _, fx := range readFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			pic, err := Decode(context.Background(), nil, fixtureNALUs(t, fx), nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := sha(rawPlanes(pic)); got != fx.sum {
				t.Fatalf("planes sha256 %s, want %s (%s)", got, fx.sum, fx.ref)
			}
		})
	}
}

// updateFixtures regenerates testdata with x265 and the reference
// decoders.
func updateFixtures(t *testing.T) {
	if _, err := exec.LookPath("x265"); err != nil || dec265Path() == "" {
		t.Fatal("-update needs x265 and dec265")
	}
	dir := t.TempDir()
	var sums bytes.Buffer
	sums.WriteString("# name picture sha256-of-raw-planes reference (written by go test -run TestFixtures -update)\n")
	for _, name := range fixtureCases {
		var c genCase
		for _, g := range genCases {
			if g.name == name {
				c = g
			}
		}
		if c.name == "" {
			t.Fatalf("no genCase %q", name)
		}
		stream := encodeX265(t, dir, c)
		if len(stream) > 30<<10 {
			t.Fatalf("%s: %d bytes, too large for a fixture", name, len(stream))
		}
		want := refDecode(t, dir, name, stream)
		ref := "dec265"
		if c.dec265Bug != "" {
			if want = ffmpegDecode(t, dir, name, stream); want == nil {
				t.Fatalf("%s needs ffmpeg (%s)", name, c.dec265Bug)
			}
			ref = "ffmpeg"
		} else if c.pic > 0 {
			n := len(want) / c.frames
			want = want[n*c.pic : n*(c.pic+1)]
		}
		if err := os.WriteFile(filepath.Join("testdata", name+".h265"), stream, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sums, "%s %d %s %s\n", name, c.pic, sha(want), ref)
	}
	for _, tc := range pcmCases {
		for _, name := range fixtureCases {
			if name == tc.name {
				t.Fatalf("fixture name %q used twice", name)
			}
		}
		yuv := synthYUV(tc.ps.w, tc.ps.h, 8, "420", int64(tc.ps.w+tc.ps.h))
		stream := encodePCMStream(t, testVPS(t), tc.ps, yuv)
		want := refDecode(t, dir, tc.name, stream)
		if err := os.WriteFile(filepath.Join("testdata", tc.name+".h265"), stream, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sums, "%s 0 %s dec265\n", tc.name, sha(want))
	}
	if err := os.WriteFile(sumsFile, sums.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTruncated cuts every fixture's last slice NAL unit at many lengths:
// Decode must fail with a *FormatError, never panic or succeed.
func TestTruncated(t *testing.T) {
	for _, fx := range readFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			nalus := fixtureNALUs(t, fx)
			last := len(nalus) - 1
			for last >= 0 && int(nalus[last][0]>>1)&0x3f >= 32 {
				last--
			}
			full := nalus[last]
			step := max(1, len(full)/40)
			for n := 2; n < len(full)-1; n += step {
				cut := append([][]byte(nil), nalus[:last]...)
				cut = append(cut, full[:n])
				_, err := Decode(context.Background(), nil, cut, nil)
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("cut at %d of %d: got %v, want *FormatError", n, len(full), err)
				}
			}
		})
	}
}

// TestCorrupted flips bytes of the fixtures' slice data: Decode must
// return (any result) without panicking, quickly.
func TestCorrupted(t *testing.T) {
	for _, fx := range readFixtures(t) {
		nalus := fixtureNALUs(t, fx)
		for i := 0; i < 20; i++ {
			mut := make([][]byte, len(nalus))
			for j, u := range nalus {
				mut[j] = append([]byte(nil), u...)
			}
			k := (i * 7919) % len(mut)
			u := mut[k]
			pos := 2 + (i*104729)%max(1, len(u)-2)
			if pos < len(u) {
				u[pos] ^= byte(1 << (i % 8))
			}
			start := time.Now()
			Decode(context.Background(), nil, mut, nil)
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("%s mutation %d took %v", fx.name, i, el)
			}
		}
	}
}

// TestLimits checks that the picture size is refused before allocation.
func TestLimits(t *testing.T) {
	fx := readFixtures(t)[0]
	nalus := fixtureNALUs(t, fx)
	tests := []struct {
		name string
		opt  Options
	}{
		{"pixels", Options{MaxPixels: 100}},
		{"width", Options{MaxWidth: 16}},
		{"height", Options{MaxHeight: 16}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(context.Background(), nil, nalus, &tc.opt)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want *LimitError", err)
			}
		})
	}
}

// TestDecodeConfig reads the picture description from parameter sets.
func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name string
		want Config
	}{
		{"main10", Config{Width: 160, Height: 96, BitDepth: 10, BitDepthChroma: 10, ChromaFormat: Chroma420, CodedWidth: 160, CodedHeight: 96}},
		{"mono", Config{Width: 128, Height: 96, BitDepth: 8, BitDepthChroma: 8, ChromaFormat: Chroma400, CodedWidth: 128, CodedHeight: 96}},
		{"conf_window", Config{Width: 100, Height: 70, BitDepth: 8, BitDepthChroma: 8, ChromaFormat: Chroma420, CodedWidth: 104, CodedHeight: 72}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nalus := fixtureNALUs(t, fixture{name: tc.name})
			cfg, err := DecodeConfig(nalus)
			if err != nil {
				t.Fatal(err)
			}
			cfg.FullRange, cfg.ColourPrimaries, cfg.TransferCharacteristics, cfg.MatrixCoeffs = false, 0, 0, 0
			if cfg != tc.want {
				t.Fatalf("got %+v, want %+v", cfg, tc.want)
			}
		})
	}
}

// TestSampleRoundTrip wraps a fixture as HEIF would (hvcC plus
// length-prefixed sample data) and decodes it through DecodeSample.
func TestSampleRoundTrip(t *testing.T) {
	for _, lengthSize := range []int{1, 2, 4} {
		t.Run(strconv.Itoa(lengthSize), func(t *testing.T) {
			fx := fixture{name: "wpp"}
			nalus := fixtureNALUs(t, fx)
			var params, sample [][]byte
			for _, u := range nalus {
				if typ := int(u[0]>>1) & 0x3f; typ >= 32 && typ <= 34 {
					params = append(params, u)
				} else if typ < 32 {
					sample = append(sample, u)
				}
			}
			hvcc := buildHvcC(params, lengthSize)
			var data []byte
			for _, u := range sample {
				if lengthSize == 1 && len(u) > 255 {
					t.Skip("NAL unit too long for 1-byte lengths")
				}
				for i := lengthSize - 1; i >= 0; i-- {
					data = append(data, byte(len(u)>>(8*i)))
				}
				data = append(data, u...)
			}
			cfg, err := ParseHvcC(hvcc)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.LengthSize != lengthSize || len(cfg.ParamSets) != len(params) {
				t.Fatalf("ParseHvcC: %+v", cfg)
			}
			pic, err := DecodeSample(context.Background(), cfg, data, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Decode(context.Background(), nil, nalus, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rawPlanes(pic), rawPlanes(want)) {
				t.Fatal("DecodeSample differs from Decode")
			}
		})
	}
}

// buildHvcC writes a minimal HEVCDecoderConfigurationRecord.
func buildHvcC(params [][]byte, lengthSize int) []byte {
	b := make([]byte, 23)
	b[0] = 1
	b[21] = 0xfc | byte(lengthSize-1)
	b[22] = byte(len(params))
	for _, p := range params {
		b = append(b, 0x80|p[0]>>1&0x3f, 0, 1, byte(len(p)>>8), byte(len(p)))
		b = append(b, p...)
	}
	return b
}

func TestSplitAnnexB(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"empty", nil, nil},
		{"no start code", []byte{1, 2, 3}, nil},
		{"three and four byte", []byte{0, 0, 1, 0x40, 1, 0, 0, 0, 1, 0x42, 1, 0}, [][]byte{{0x40, 1}, {0x42, 1}}},
		{"leading garbage", []byte{9, 9, 0, 0, 1, 0x26, 1, 0xaf}, [][]byte{{0x26, 1, 0xaf}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitAnnexB(tc.in)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSplitLengthPrefixed(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		size    int
		want    [][]byte
		wantErr bool
	}{
		{"two", []byte{0, 2, 0x40, 1, 0, 1, 0x42}, 2, [][]byte{{0x40, 1}, {0x42}}, false},
		{"four", []byte{0, 0, 0, 1, 7}, 4, [][]byte{{7}}, false},
		{"overrun", []byte{0, 5, 1}, 2, nil, true},
		{"bad size", []byte{1}, 3, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SplitLengthPrefixed(tc.in, tc.size)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tc.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUnescapeRBSP(t *testing.T) {
	tests := []struct{ in, want []byte }{
		{[]byte{1, 2}, []byte{1, 2}},
		{[]byte{0, 0, 3, 1}, []byte{0, 0, 1}},
		{[]byte{0, 0, 3, 0, 0, 3, 0}, []byte{0, 0, 0, 0, 0}},
		{[]byte{0, 0, 0, 3}, []byte{0, 0, 0}},
	}
	for _, tc := range tests {
		if got := unescapeRBSP(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("unescapeRBSP(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPlanes8(t *testing.T) {
	tests := []struct {
		name string
		bd   int
		in   []uint16
		want []uint8
	}{
		{"8-bit", 8, []uint16{0, 17, 255, 128}, []uint8{0, 17, 255, 128}},
		{"10-bit", 10, []uint16{0, 1, 2, 1023, 514, 1021}, []uint8{0, 0, 1, 255, 129, 255}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Picture{Width: len(tc.in), Height: 1, BitDepth: tc.bd, Y: tc.in, YStride: len(tc.in)}
			y, cb, _ := p.Planes8()
			if !bytes.Equal(y, tc.want) || cb != nil {
				t.Fatalf("got %v %v, want %v", y, cb, tc.want)
			}
		})
	}
}

// TestHostileSPS checks that absurd or unsupported SPS values give typed
// errors: *FormatError when parsing, UnsupportedError or *LimitError
// before any plane is allocated.
func TestHostileSPS(t *testing.T) {
	type kind int
	const (
		formatErr kind = iota
		unsupported
		limit
	)
	tests := []struct {
		name string
		mod  func(f *spsFields)
		want kind
	}{
		{"zero width", func(f *spsFields) { f.w = 0 }, formatErr},
		{"width not a multiple of the CB size", func(f *spsFields) { f.w = 100 }, formatErr},
		{"width beyond 2^16", func(f *spsFields) { f.w = 1<<16 + 8 }, formatErr},
		{"CTB 128", func(f *spsFields) { f.log2DiffCb = 4 }, formatErr},
		{"CTB 8", func(f *spsFields) { f.log2DiffCb = 0 }, formatErr},
		{"min TB not below min CB", func(f *spsFields) { f.log2MinTbMinus2 = 1 }, formatErr},
		{"max TB 64", func(f *spsFields) { f.log2DiffTb = 4 }, formatErr},
		{"transform depth too deep", func(f *spsFields) { f.maxTrDepthIntra = 9 }, formatErr},
		{"bit depth 17", func(f *spsFields) { f.bitDepthLuma = 9 }, formatErr},
		{"chroma_format_idc 4", func(f *spsFields) { f.chromaFormat = 4 }, formatErr},
		{"PCM deeper than samples", func(f *spsFields) { f.pcmBits = 9 }, formatErr},
		{"empty conformance window", func(f *spsFields) { f.confWin = []int{16, 16, 0, 0} }, formatErr},
		{"bit depth 14", func(f *spsFields) { f.bitDepthLuma, f.bitDepthChroma = 6, 6 }, unsupported},
		{"separate colour planes", func(f *spsFields) { f.chromaFormat, f.separateColour = 3, 1 }, unsupported},
		{"width over the default limit", func(f *spsFields) { f.w = 16896 }, limit},
		{"pixels over the default limit", func(f *spsFields) { f.w, f.h = 12000, 12000 }, limit},
	}
	vps := testVPS(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := defaultSPSFields(64, 64)
			tc.mod(&f)
			yuv := synthYUV(64, 64, 8, "420", 1)
			stream := encodePCMStream(t, vps, pcmStream{w: 64, h: 64, pcmBits: 8}, yuv)
			nalus := SplitAnnexB(stream)
			nalus[1] = escapeNAL(nalSPS, writeSPS(f))
			_, err := Decode(context.Background(), nil, nalus, nil)
			var fe *FormatError
			var ue UnsupportedError
			var le *LimitError
			ok := false
			switch tc.want {
			case formatErr:
				ok = errors.As(err, &fe)
			case unsupported:
				ok = errors.As(err, &ue)
			case limit:
				ok = errors.As(err, &le)
			}
			if !ok {
				t.Fatalf("got %v (%T)", err, err)
			}
		})
	}
	// A truncated SPS fails as truncated input.
	sps := writeSPS(defaultSPSFields(64, 64))
	for n := 1; n < len(sps)-1; n++ {
		_, err := DecodeConfig([][]byte{escapeNAL(nalSPS, sps[:n])})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("SPS cut to %d bytes: got %v, want io.ErrUnexpectedEOF", n, err)
		}
	}
}

// TestCanceled checks that Decode returns the context's error.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Decode(ctx, nil, fixtureNALUs(t, fixture{name: "wpp"}), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
