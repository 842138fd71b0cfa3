package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"testing"
)

// Colorants (XYZ, D50) as rows r, g, b.
var (
	srgbColorants = [3][3]float64{{0.43607, 0.22250, 0.01393}, {0.38506, 0.71688, 0.09710}, {0.14308, 0.06062, 0.71417}}
	// Apple "Display P3" profile colorants.
	p3Colorants = [3][3]float64{{0.51512, 0.24119, -0.00105}, {0.29198, 0.69225, 0.04189}, {0.15710, 0.06657, 0.78407}}
)

func s15(v float64) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(int32(math.Round(v*65536))))
}

// paraSRGB is a parametricCurveType (function type 3) with the sRGB curve.
func paraSRGB() []byte {
	b := append([]byte("para\x00\x00\x00\x00\x00\x03\x00\x00"), s15(2.4)...)
	for _, v := range []float64{1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
		b = append(b, s15(v)...)
	}
	return b
}

func curvGamma(g float64) []byte {
	b := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x01")
	return binary.BigEndian.AppendUint16(b, uint16(math.Round(g*256)))
}

var curvLinear = []byte("curv\x00\x00\x00\x00\x00\x00\x00\x00")

// iccProfile builds a minimal matrix/TRC RGB display profile.
func iccProfile(col [3][3]float64, trc []byte) []byte {
	type tag struct {
		sig  string
		data []byte
	}
	var tags []tag
	for i, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		d := []byte("XYZ \x00\x00\x00\x00")
		for _, v := range col[i] {
			d = append(d, s15(v)...)
		}
		tags = append(tags, tag{sig, d})
	}
	for _, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		tags = append(tags, tag{sig, trc})
	}
	hdr := make([]byte, 128)
	copy(hdr[8:], "\x04\x30\x00\x00mntrRGB XYZ ")
	copy(hdr[36:], "acsp")
	table := binary.BigEndian.AppendUint32(nil, uint32(len(tags)))
	off := 128 + 4 + 12*len(tags)
	var data []byte
	for _, t := range tags {
		table = append(table, t.sig...)
		table = binary.BigEndian.AppendUint32(table, uint32(off+len(data)))
		table = binary.BigEndian.AppendUint32(table, uint32(len(t.data)))
		data = append(data, t.data...)
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
	}
	p := append(append(hdr, table...), data...)
	binary.BigEndian.PutUint32(p[0:4], uint32(len(p)))
	return p
}

// iccSegments splits a profile into n APP2 segments.
func iccSegments(p []byte, n int) [][]byte {
	var segs [][]byte
	step := (len(p) + n - 1) / n
	for i := 0; i < n; i++ {
		part := p[min(i*step, len(p)):min((i+1)*step, len(p))]
		segs = append(segs, segment(mAPP2, append([]byte(iccHeader+string([]byte{byte(i + 1), byte(n)})), part...)))
	}
	return segs
}

func iccpChunk(p []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(p)
	zw.Close()
	return pngChunk("iCCP", append([]byte("test\x00\x00"), z.Bytes()...))
}

func TestParseICC(t *testing.T) {
	p3 := iccProfile(p3Colorants, paraSRGB())
	tests := []struct {
		name    string
		profile []byte
		want    bool // a conversion is needed
	}{
		{"srgb is a no-op", iccProfile(srgbColorants, paraSRGB()), false},
		{"display p3", p3, true},
		{"linear srgb primaries", iccProfile(srgbColorants, curvLinear), true},
		{"gamma 2.2", iccProfile(srgbColorants, curvGamma(2.2)), true},
		{"truncated", p3[:140], false},
		{"not a profile", bytes.Repeat([]byte{1}, 300), false},
		{"cmyk profile", func() []byte { b := append([]byte{}, p3...); copy(b[16:], "CMYK"); return b }(), false},
		{"tag offset out of range", func() []byte { b := append([]byte{}, p3...); binary.BigEndian.PutUint32(b[132+4:], 1<<30); return b }(), false},
		{"huge tag count", func() []byte { b := append([]byte{}, p3...); binary.BigEndian.PutUint32(b[128:], 1<<30); return b }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseICC(tt.profile) != nil; got != tt.want {
				t.Fatalf("conversion = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestICCConversion checks colours against values computed by hand from the
// published Display P3 -> sRGB matrix and the sRGB curve.
func TestICCConversion(t *testing.T) {
	flat := func(c color.NRGBA) *image.NRGBA { return quads(32, 32, c, c, c, c) }
	p3 := iccProfile(p3Colorants, paraSRGB())
	c := color.NRGBA{200, 100, 50, 255}
	g := color.NRGBA{128, 128, 128, 255}
	tests := []struct {
		name string
		src  []byte
		want color.NRGBA
	}{
		{"jpeg without profile unchanged", encodeJPEG(t, flat(c), 100), c},
		{"jpeg display p3", insertSegments(encodeJPEG(t, flat(c), 100), iccSegments(p3, 1)...), color.NRGBA{215, 93, 31, 255}},
		{"jpeg display p3 in 3 segments", insertSegments(encodeJPEG(t, flat(c), 100), iccSegments(p3, 3)...), color.NRGBA{215, 93, 31, 255}},
		{"jpeg p3 gray stays gray", insertSegments(encodeJPEG(t, flat(g), 100), iccSegments(p3, 1)...), g},
		{"jpeg srgb profile unchanged", insertSegments(encodeJPEG(t, flat(c), 100), iccSegments(iccProfile(srgbColorants, paraSRGB()), 1)...), c},
		{"jpeg segment missing ignored", insertSegments(encodeJPEG(t, flat(c), 100), iccSegments(p3, 3)[:2]...), c},
		{"png linear gamma", insertPNGChunks(encodePNG(t, flat(g)), iccpChunk(iccProfile(srgbColorants, curvLinear))), color.NRGBA{188, 188, 188, 255}},
		{"png display p3", insertPNGChunks(encodePNG(t, flat(c)), iccpChunk(p3)), color.NRGBA{215, 93, 31, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := process(t, tt.src, Spec{Format: PNG, LongSide: 16})
			if got := at(decodeOutput(t, out), 8, 8); !near(got, tt.want, 3) {
				t.Fatalf("colour = %v, want %v", got, tt.want)
			}
			if bytes.Contains(out, []byte("acsp")) {
				t.Fatal("profile copied to output")
			}
		})
	}
}
