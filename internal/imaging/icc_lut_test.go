package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// labFunc is a synthetic CMYK → Lab mapping used to fill test CLUTs.
func labFunc(c, m, y, k float64) [3]float64 {
	return [3]float64{20 + 80*(1-k)*(1-0.3*c-0.5*m-0.1*y), 20 * (m - c), 20 * (y - 0.5*c)}
}

// encodeLab encodes Lab as normalised PCS values of the given kind.
func encodeLab(kind pcsKind, lab [3]float64) [3]float64 {
	if kind == pcsLabV2 {
		return [3]float64{lab[0] / 100 * 65280 / 65535, (lab[1] + 128) * 256 / 65535, (lab[2] + 128) * 256 / 65535}
	}
	return [3]float64{lab[0] / 100, (lab[1] + 128) / 255, (lab[2] + 128) / 255}
}

// gridValues returns g⁴×3 CLUT samples (first input slowest) of labFunc.
func gridValues(g int, kind pcsKind) []float64 {
	var v []float64
	for c := range g {
		for m := range g {
			for y := range g {
				for k := range g {
					f := func(i int) float64 { return float64(i) / float64(g-1) }
					e := encodeLab(kind, labFunc(f(c), f(m), f(y), f(k)))
					v = append(v, e[:]...)
				}
			}
		}
	}
	return v
}

func u16(v float64) uint16 { return uint16(math.Round(min(max(v, 0), 1) * 65535)) }

// mft2Tag is a lut16Type with identity 2-entry tables and a g⁴ CLUT.
func mft2Tag(g int) []byte {
	b := []byte("mft2\x00\x00\x00\x00")
	b = append(b, 4, 3, byte(g), 0)
	for i := range 9 { // identity matrix (unused for CMYK input)
		b = append(b, s15(map[bool]float64{true: 1}[i%4 == 0])...)
	}
	b = binary.BigEndian.AppendUint16(b, 2)
	b = binary.BigEndian.AppendUint16(b, 2)
	for range 4 {
		b = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, 0), 0xffff)
	}
	for _, v := range gridValues(g, pcsLabV2) {
		b = binary.BigEndian.AppendUint16(b, u16(v))
	}
	for range 3 {
		b = binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(b, 0), 0xffff)
	}
	return b
}

// mft1Tag is a lut8Type with identity tables and a g⁴ CLUT.
func mft1Tag(g int) []byte {
	b := []byte("mft1\x00\x00\x00\x00")
	b = append(b, 4, 3, byte(g), 0)
	b = append(b, make([]byte, 36)...)
	ident := make([]byte, 256)
	for i := range ident {
		ident[i] = byte(i)
	}
	for range 4 {
		b = append(b, ident...)
	}
	for _, v := range gridValues(g, pcsLabV4) {
		b = append(b, byte(math.Round(v*255)))
	}
	for range 3 {
		b = append(b, ident...)
	}
	return b
}

// mABTag is a lutAtoBType: A curves (identity curv), CLUT (16-bit), B curves
// (identity para type 0, gamma 1).
func mABTag(g int) []byte {
	b := []byte("mAB \x00\x00\x00\x00")
	b = append(b, 4, 3, 0, 0)
	b = append(b, make([]byte, 20)...) // offsets, filled below
	offB := len(b)
	for range 3 {
		b = append(b, "para\x00\x00\x00\x00\x00\x00\x00\x00"...)
		b = append(b, s15(1)...)
	}
	offCLUT := len(b)
	grid := make([]byte, 16)
	for i := range 4 {
		grid[i] = byte(g)
	}
	b = append(b, grid...)
	b = append(b, 2, 0, 0, 0)
	for _, v := range gridValues(g, pcsLabV4) {
		b = binary.BigEndian.AppendUint16(b, u16(v))
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	offA := len(b)
	for range 4 {
		b = append(b, curvLinear...)
	}
	binary.BigEndian.PutUint32(b[12:], uint32(offB))
	binary.BigEndian.PutUint32(b[24:], uint32(offCLUT))
	binary.BigEndian.PutUint32(b[28:], uint32(offA))
	return b
}

// cmykICC wraps tags (signature, data) into a CMYK → Lab input profile.
func cmykICC(version byte, pcs string, tags ...[2]string) []byte {
	hdr := make([]byte, 128)
	hdr[8] = version
	copy(hdr[12:], "prtrCMYK"+pcs)
	copy(hdr[36:], "acsp")
	table := binary.BigEndian.AppendUint32(nil, uint32(len(tags)))
	off := 128 + 4 + 12*len(tags)
	var data []byte
	for _, t := range tags {
		table = append(table, t[0]...)
		table = binary.BigEndian.AppendUint32(table, uint32(off+len(data)))
		table = binary.BigEndian.AppendUint32(table, uint32(len(t[1])))
		data = append(data, t[1]...)
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
	}
	p := append(append(hdr, table...), data...)
	binary.BigEndian.PutUint32(p[0:], uint32(len(p)))
	return p
}

// labOf decodes the pipeline's PCS output back to Lab (D50).
func labOf(kind pcsKind, v [3]float64) [3]float64 {
	xyz := pcsToXYZ(kind, v)
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(xyz[0]/d50[0]), f(xyz[1]/d50[1]), f(xyz[2]/d50[2])
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func TestCMYKProfileGridPoints(t *testing.T) {
	const g = 5
	tests := []struct {
		name    string
		profile []byte
		tol     float64 // Lab units: 8-bit CLUTs quantise to 100/255 and 1
	}{
		{"lut16 v2 Lab", cmykICC(2, "Lab ", [2]string{"A2B0", string(mft2Tag(g))}), 0.01},
		{"lut16 in a v4 profile keeps the legacy Lab encoding", cmykICC(4, "Lab ", [2]string{"A2B0", string(mft2Tag(g))}), 0.01},
		{"lut8 Lab", cmykICC(2, "Lab ", [2]string{"A2B0", string(mft1Tag(g))}), 0.6},
		{"lutAtoB v4 Lab", cmykICC(4, "Lab ", [2]string{"A2B0", string(mABTag(g))}), 0.01},
		{"only A2B1", cmykICC(4, "Lab ", [2]string{"A2B1", string(mABTag(g))}), 0.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseCMYKProfile(tt.profile)
			if p == nil {
				t.Fatal("profile not parsed")
			}
			for c := range g {
				for k := range g {
					for m := range g {
						x := []float64{float64(c) / (g - 1), float64(m) / (g - 1), 0.25, float64(k) / (g - 1)}
						got := labOf(p.pipe.pcs, p.pipe.eval(x))
						want := labFunc(x[0], x[1], x[2], x[3])
						for i := range 3 {
							if math.Abs(got[i]-want[i]) > tt.tol {
								t.Fatalf("cmyk %v: Lab %v, want %v", x, got, want)
							}
						}
					}
				}
			}
		})
	}
}

// The v2 (lut16Type) and v4 (lutAtoBType) Lab encodings of the same colour
// decode to the same value.
func TestPCSLabEncodings(t *testing.T) {
	for _, lab := range [][3]float64{{100, 0, 0}, {50, -20, 30}, {0, 0, 0}, {75.5, 127, -128}} {
		for _, kind := range []pcsKind{pcsLabV2, pcsLabV4} {
			got := labOf(kind, encodeLab(kind, lab))
			for i := range 3 {
				if math.Abs(got[i]-lab[i]) > 1e-6 {
					t.Errorf("kind %d: %v decodes to %v", kind, lab, got)
				}
			}
		}
	}
	// The same 16-bit code differs: 0x8080 is a* = 0.5 in v2, a* ≈ 0.5 + 0.002·… in v4.
	if v2, v4 := pcsToXYZ(pcsLabV2, [3]float64{1, 0.5, 0.5}), pcsToXYZ(pcsLabV4, [3]float64{1, 0.5, 0.5}); v2 == v4 {
		t.Error("v2 and v4 Lab decode identically")
	}
	// PCS white (L 100) is sRGB white.
	w := pcsToSRGB(pcsLabV4, encodeLab(pcsLabV4, [3]float64{100, 0, 0}))
	for _, v := range w {
		if math.Abs(v-1) > 1e-3 {
			t.Errorf("white → %v", w)
		}
	}
}

// The integer device link agrees with the float pipeline: exactly at the
// corners, within 1 code value elsewhere for a smooth profile.
func TestCMYKLUTInterpolation(t *testing.T) {
	p := parseCMYKProfile(cmykICC(2, "Lab ", [2]string{"A2B0", string(mft2Tag(9))}))
	l := buildCMYKLUT(p.pipe)
	ref := func(px []uint8) [3]uint8 {
		x := []float64{float64(px[0]) / 255, float64(px[1]) / 255, float64(px[2]) / 255, float64(px[3]) / 255}
		v := p.pipe.toSRGB(x)
		return [3]uint8{uint8(math.Round(v[0] * 255)), uint8(math.Round(v[1] * 255)), uint8(math.Round(v[2] * 255))}
	}
	dst := make([]uint8, 4)
	for i := range 16 {
		px := []uint8{uint8(i & 1 * 255), uint8(i >> 1 & 1 * 255), uint8(i >> 2 & 1 * 255), uint8(i >> 3 & 1 * 255)}
		l.convertRow(dst, px)
		if want := ref(px); [3]uint8(dst[:3]) != want || dst[3] != 255 {
			t.Errorf("corner %v: %v, want %v", px, dst, want)
		}
	}
	// Away from the gamut boundary; near it the grid interpolates across
	// the clipping kink and the steep start of the sRGB curve, as lcms2's
	// 8-bit precalculated transforms do.
	rng := rand.New(rand.NewPCG(1, 2))
	worst, n := 0, 0
	for range 50000 {
		px := []uint8{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
		want := ref(px)
		if min(want[0], want[1], want[2]) < 16 || max(want[0], want[1], want[2]) > 239 {
			continue
		}
		n++
		l.convertRow(dst, px)
		for c := range 3 {
			worst = max(worst, int(math.Abs(float64(dst[c])-float64(want[c]))))
		}
	}
	if n < 1000 || worst > 2 {
		t.Errorf("worst difference from the float pipeline %d over %d in-gamut pixels", worst, n)
	}
}

// Hostile or unusable profiles are rejected (the plain conversion applies).
func TestCMYKProfileRejects(t *testing.T) {
	good := cmykICC(2, "Lab ", [2]string{"A2B0", string(mft2Tag(3))})
	mutate := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tagAt := 128 + 4 + 12 // start of the A2B0 data
	tests := []struct {
		name string
		p    []byte
	}{
		{"rgb colour space", mutate(func(p []byte) []byte { copy(p[16:], "RGB "); return p })},
		{"unknown PCS", mutate(func(p []byte) []byte { copy(p[20:], "Luv "); return p })},
		{"no AToB tag", cmykICC(2, "Lab ", [2]string{"desc", "desc\x00\x00\x00\x00"})},
		{"tag beyond the end", mutate(func(p []byte) []byte { binary.BigEndian.PutUint32(p[132+8:], 1<<30); return p })},
		{"grid 1", mutate(func(p []byte) []byte { p[tagAt+10] = 1; return p })},
		{"grid 255 (CLUT beyond the tag)", mutate(func(p []byte) []byte { p[tagAt+10] = 255; return p })},
		{"4 outputs", mutate(func(p []byte) []byte { p[tagAt+9] = 4; return p })},
		{"3 inputs in a CMYK profile", mutate(func(p []byte) []byte { p[tagAt+8] = 3; return p })},
		{"1-entry tables", mutate(func(p []byte) []byte { binary.BigEndian.PutUint16(p[tagAt+48:], 1); return p })},
		{"huge tables", mutate(func(p []byte) []byte { binary.BigEndian.PutUint16(p[tagAt+48:], 0xffff); return p })},
		{"unknown tag type", mutate(func(p []byte) []byte { copy(p[tagAt:], "mBA "); return p })},
		{"truncated", good[:len(good)-7]},
		{"mAB without B curves", func() []byte {
			tag := mABTag(3)
			binary.BigEndian.PutUint32(tag[12:], 0)
			return cmykICC(4, "Lab ", [2]string{"A2B0", string(tag)})
		}()},
		{"mAB curve offset beyond the tag", func() []byte {
			tag := mABTag(3)
			binary.BigEndian.PutUint32(tag[28:], uint32(len(tag)-4))
			return cmykICC(4, "Lab ", [2]string{"A2B0", string(tag)})
		}()},
		{"mAB CLUT precision 3", func() []byte {
			tag := mABTag(3)
			tag[binary.BigEndian.Uint32(tag[24:])+16] = 3
			return cmykICC(4, "Lab ", [2]string{"A2B0", string(tag)})
		}()},
	}
	if parseCMYKProfile(good) == nil {
		t.Fatal("good profile rejected")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if parseCMYKProfile(tt.p) != nil {
				t.Error("accepted")
			}
		})
	}
	for n := range len(good) { // every truncation: no panic
		parseCMYKProfile(good[:n])
	}
}

// withICC inserts an APP2 ICC_PROFILE segment after SOI.
func withICC(jpg, profile []byte) []byte {
	seg := segment(mAPP2, append([]byte(iccHeader+"\x01\x01"), profile...))
	return append(append(append([]byte(nil), jpg[:2]...), seg...), jpg[2:]...)
}

// A CMYK JPEG with an embedded profile gets the profile's colours; without
// one (or with a broken one) the plain formula.
func TestProcessCMYKProfile(t *testing.T) {
	inks := [][]color.CMYK{{{255, 0, 0, 0}, {0, 0, 0, 0}}, {{0, 255, 255, 0}, {0, 0, 0, 255}}}
	profile := cmykICC(2, "Lab ", [2]string{"A2B0", string(mft2Tag(5))})
	want := func(ink color.CMYK) [3]uint8 {
		v := pcsToSRGB(pcsLabV4, encodeLab(pcsLabV4, labFunc(float64(ink.C)/255, float64(ink.M)/255, float64(ink.Y)/255, float64(ink.K)/255)))
		return [3]uint8{uint8(math.Round(v[0] * 255)), uint8(math.Round(v[1] * 255)), uint8(math.Round(v[2] * 255))}
	}
	plain := func(ink color.CMYK) [3]uint8 {
		r, g, b := cmykToRGB(ink.C, ink.M, ink.Y, ink.K)
		return [3]uint8{r, g, b}
	}
	broken := append([]byte(nil), profile...)
	broken[128+4+12+10] = 200 // CLUT grid beyond the tag
	tests := []struct {
		name string
		jpg  []byte
		want func(color.CMYK) [3]uint8
	}{
		{"with profile", withICC(cmykJPEG(inks), profile), want},
		{"without profile", cmykJPEG(inks), plain},
		{"broken profile", withICC(cmykJPEG(inks), broken), plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := Decode(context.Background(), bytes.NewReader(tt.jpg), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			for by, row := range inks {
				for bx, ink := range row {
					o := img.PixOffset(bx*8+4, by*8+4)
					got := [3]uint8(img.Pix[o : o+3])
					w := tt.want(ink)
					for c := range 3 {
						if d := int(got[c]) - int(w[c]); d < -2 || d > 2 {
							t.Errorf("ink %v: %v, want %v", ink, got, w)
							break
						}
					}
				}
			}
		})
	}
}

// BenchmarkCMYKLUT measures the device-link build (once per profile, then
// cached) and the per-pixel conversion (reported per megapixel).
func BenchmarkCMYKLUT(b *testing.B) {
	p := parseCMYKProfile(cmykICC(2, "Lab ", [2]string{"A2B0", string(mft2Tag(9))}))
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			buildCMYKLUT(p.pipe)
		}
	})
	l := buildCMYKLUT(p.pipe)
	random := make([]uint8, 4<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = uint8(rng.IntN(256))
	}
	inputs := []struct {
		name string
		pix  []uint8
	}{{"random_1MP", random}}
	if f, err := os.ReadFile(filepath.Join(realImages, "cmyk_icc-swop.jpg")); err == nil {
		if img, err := jpeg.Decode(bytes.NewReader(f)); err == nil {
			if m, ok := img.(*image.CMYK); ok {
				photo := make([]uint8, 0, 4<<20)
				for len(photo) < 4<<20 {
					photo = append(photo, m.Pix...)
				}
				inputs = append(inputs, struct {
					name string
					pix  []uint8
				}{"photo_1MP", photo[:4<<20]})
			}
		}
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			dst := make([]uint8, len(in.pix))
			b.SetBytes(int64(len(in.pix)))
			for b.Loop() {
				l.convertRow(dst, in.pix)
			}
		})
	}
}

// grayICC builds a monochrome profile with one kTRC tag.
func grayICC(pcs string, trc []byte) []byte {
	p := cmykICC(2, pcs, [2]string{"kTRC", string(trc)})
	copy(p[12:], "mntrGRAY")
	return p
}

func TestGrayProfile(t *testing.T) {
	tests := []struct {
		name string
		p    []byte
		want func(x float64) float64 // linear Y of code x/255; nil: no transform
	}{
		{"gamma 1.8, XYZ", grayICC("XYZ ", curvGamma(1.8)), func(x float64) float64 { return math.Pow(x, 1.8) }},
		{"linear L*, Lab", grayICC("Lab ", curvLinear), func(x float64) float64 {
			if fy := (100*x + 16) / 116; fy > 6.0/29 {
				return fy * fy * fy
			}
			return (100 * x) * 27 / 24389
		}},
		{"sRGB curve: nothing to do", grayICC("XYZ ", paraSRGB()), nil},
		{"no kTRC", cmykICC(2, "XYZ ", [2]string{"desc", "desc\x00\x00\x00\x00"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "no kTRC" {
				copy(tt.p[12:], "mntrGRAY")
			}
			ct := parseICC(tt.p)
			if (ct != nil) != (tt.want != nil) {
				t.Fatalf("transform %v, want %v", ct != nil, tt.want != nil)
			}
			if ct == nil {
				return
			}
			if !ct.gray {
				t.Error("not marked gray")
			}
			for _, v := range []uint8{0, 1, 64, 128, 200, 255} {
				px := []uint8{v, v, v, 255}
				ct.apply(px)
				w := uint8(math.Round(255 * linearToSRGB(tt.want(float64(v)/255))))
				for c := range 3 {
					if d := int(px[c]) - int(w); d < -1 || d > 1 {
						t.Errorf("gray %d → %v, want %d", v, px, w)
					}
				}
			}
		})
	}
}

// v4 perceptual tables get lcms2's black point compensation: the perceptual
// reference black maps to sRGB black; v2 tables (or A2B1) keep it as is.
func TestPerceptualBlackPoint(t *testing.T) {
	vals := make([]float32, 16*3)
	for i := range vals {
		vals[i] = float32(perceptualBlack[i%3] * 32768 / 65535)
	}
	pl := &lutPipeline{in: 4, pcs: pcsXYZ16, xyz: true, post: make([]curve1D, 3),
		clut: clut{dims: [4]int{2, 2, 2, 2}, stride: [4]int{8, 4, 2, 1}, val: vals}}
	x := []float64{1, 1, 1, 1}
	if v := pl.toSRGB(x); v[0] < 0.01 || v[1] < 0.01 || v[2] < 0.01 {
		t.Errorf("without BPC the perceptual black is %v, want slightly above 0", v)
	}
	pl.bpc = true
	if v := pl.toSRGB(x); v[0] > 1e-4 || v[1] > 1e-4 || v[2] > 1e-4 {
		t.Errorf("with BPC the perceptual black is %v, want 0", v)
	}
	v2 := cmykICC(2, "Lab ", [2]string{"A2B0", string(mABTag(2))})
	v4 := cmykICC(4, "Lab ", [2]string{"A2B0", string(mABTag(2))})
	v4rel := cmykICC(4, "Lab ", [2]string{"A2B1", string(mABTag(2))})
	if parseCMYKProfile(v2).pipe.bpc || !parseCMYKProfile(v4).pipe.bpc || parseCMYKProfile(v4rel).pipe.bpc {
		t.Error("BPC should be on for v4 A2B0 only")
	}
}
