package imaging

import (
	"encoding/binary"
	"math"
)

// ICC colour management for matrix/TRC RGB profiles (ICC.1:2022 §8.3.3,
// §10.6 curveType, §10.18 parametricCurveType, §10.31 XYZType).
//
// "Matrix-shaper" RGB profiles are handled here: three colorant tags
// (rXYZ, gXYZ, bXYZ) and three tone curves (rTRC, gTRC, bTRC). That covers
// the profiles cameras and phones embed (Display P3, Adobe RGB, ProPhoto,
// sRGB itself). Monochrome profiles use their grayTRC (kTRC). LUT-based CMYK
// profiles are in icc_lut.go; LUT-based RGB and gray profiles are ignored
// (the pixels are then taken as sRGB, as before). Pixels are converted by linearising with
// the profile's curves, mapping through M = inverse(sRGB colorants) ×
// (profile colorants) (both in the D50 PCS, so no extra adaptation), clipping
// to the sRGB gamut and re-encoding with the sRGB curve.

const maxICCSize = 1 << 20 // profiles larger than this are ignored

// srgbD50 holds the sRGB colorants as XYZ (D50), columns r, g, b, as in the
// standard sRGB IEC61966-2.1 profile.
var srgbD50 = [3][3]float64{
	{0.4360747, 0.3850649, 0.1430804},
	{0.2225045, 0.7168786, 0.0606169},
	{0.0139322, 0.0971045, 0.7141733},
}

// colorTransform converts 8-bit profile RGB to 8-bit sRGB.
type colorTransform struct {
	lin  [3][256]float32 // per channel: code value -> linear light
	m    [3][3]float32   // linear profile RGB -> linear sRGB
	gray bool            // from a gray profile: for gray images only
}

// iccCollector reassembles an ICC profile split across JPEG APP2 segments
// ("ICC_PROFILE\0", sequence number, count, data).
type iccCollector struct {
	parts [256][]byte
	count int
	size  int
}

func (c *iccCollector) add(seg []byte) {
	if len(seg) < len(iccHeader)+2 {
		return
	}
	seq, n := int(seg[len(iccHeader)]), int(seg[len(iccHeader)+1])
	data := seg[len(iccHeader)+2:]
	if seq == 0 || seq > n || c.parts[seq] != nil || c.size+len(data) > maxICCSize {
		return
	}
	c.parts[seq] = append([]byte(nil), data...)
	c.count, c.size = n, c.size+len(data)
}

// profile returns the reassembled profile, or nil if parts are missing.
func (c *iccCollector) profile() []byte {
	if c.count == 0 {
		return nil
	}
	out := make([]byte, 0, c.size)
	for i := 1; i <= c.count; i++ {
		if c.parts[i] == nil {
			return nil
		}
		out = append(out, c.parts[i]...)
	}
	return out
}

// parseICC returns the transform to sRGB for a matrix/TRC RGB profile, or
// nil when the profile is not one, is malformed, or is (close enough to)
// sRGB already.
func parseICC(p []byte) *colorTransform {
	if len(p) < 132 || string(p[36:40]) != "acsp" {
		return nil
	}
	if string(p[16:20]) == "GRAY" {
		return parseGrayICC(p)
	}
	if string(p[16:20]) != "RGB " || string(p[20:24]) != "XYZ " {
		return nil
	}
	tags := iccTags(p)
	if tags == nil {
		return nil
	}
	var src [3][3]float64 // columns: r, g, b colorants
	for c, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		t := tags[sig]
		if len(t) < 20 || string(t[:4]) != "XYZ " {
			return nil
		}
		for k := 0; k < 3; k++ {
			src[k][c] = s15f16(t[8+4*k:])
		}
	}
	inv, ok := invert3(srgbD50)
	if !ok {
		return nil
	}
	var ct colorTransform
	m := mul3(inv, src)
	identity := true
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			ct.m[i][j] = float32(m[i][j])
			want := 0.0
			if i == j {
				want = 1
			}
			identity = identity && math.Abs(m[i][j]-want) < 0.002
		}
	}
	srgbCurves := true
	for c, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		f := parseCurve(tags[sig])
		if f == nil {
			return nil
		}
		for v := 0; v < 256; v++ {
			x := float64(v) / 255
			y := f(x)
			if math.IsNaN(y) || math.IsInf(y, 0) {
				return nil
			}
			y = min(max(y, 0), 1)
			ct.lin[c][v] = float32(y)
			srgbCurves = srgbCurves && math.Abs(y-srgbToLinear(x)) < 0.002
		}
	}
	if identity && srgbCurves {
		return nil // sRGB already: nothing to do
	}
	return &ct
}

// parseGrayICC returns the transform for a monochrome input profile's
// grayTRC (ICC.1:2022 §F.2): the curve gives Y (PCS XYZ: connection =
// grayTRC × D50 white) or L*/100 (PCS Lab), so grey v becomes the neutral sRGB
// grey of that luminance. nil when it is sRGB's curve already or malformed.
func parseGrayICC(p []byte) *colorTransform {
	lab := string(p[20:24]) == "Lab "
	if !lab && string(p[20:24]) != "XYZ " {
		return nil
	}
	tags := iccTags(p)
	if tags == nil {
		return nil
	}
	f := parseCurve(tags["kTRC"])
	if f == nil {
		return nil
	}
	ct := colorTransform{gray: true}
	for i := range 3 {
		ct.m[i][i] = 1
	}
	same := true
	for v := 0; v < 256; v++ {
		x := float64(v) / 255
		y := f(x)
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return nil
		}
		y = min(max(y, 0), 1)
		if lab { // L* = 100y → Y
			if fy := (100*y + 16) / 116; fy > 6.0/29 {
				y = fy * fy * fy
			} else {
				y = 3 * (6.0 / 29) * (6.0 / 29) * (fy - 4.0/29)
			}
		}
		for c := range 3 {
			ct.lin[c][v] = float32(y)
		}
		same = same && math.Abs(y-srgbToLinear(x)) < 0.002
	}
	if same {
		return nil
	}
	return &ct
}

func s15f16(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) / 65536 }

// parseCurve returns the tone curve (encoded [0,1] -> linear [0,1]) of a
// curveType or parametricCurveType tag.
func parseCurve(t []byte) func(float64) float64 {
	if len(t) < 12 {
		return nil
	}
	switch string(t[:4]) {
	case "curv":
		n := uint64(binary.BigEndian.Uint32(t[8:12]))
		if 12+2*n > uint64(len(t)) {
			return nil
		}
		switch n {
		case 0:
			return func(x float64) float64 { return x }
		case 1:
			g := float64(binary.BigEndian.Uint16(t[12:14])) / 256
			return func(x float64) float64 { return math.Pow(x, g) }
		}
		tab := make([]float64, n)
		for i := range tab {
			tab[i] = float64(binary.BigEndian.Uint16(t[12+2*i:])) / 65535
		}
		return func(x float64) float64 {
			pos := x * float64(n-1)
			i := min(int(pos), int(n)-2)
			f := pos - float64(i)
			return tab[i]*(1-f) + tab[i+1]*f
		}
	case "para":
		typ := binary.BigEndian.Uint16(t[8:10])
		np := [...]int{1, 3, 4, 5, 7}
		if int(typ) >= len(np) || len(t) < 12+4*np[typ] {
			return nil
		}
		var a [7]float64
		a[1] = 1 // defaults make lower types special cases of type 4
		for i := 0; i < np[typ]; i++ {
			a[i] = s15f16(t[12+4*i:])
		}
		g, pa, pb, pc, pd, pe, pf := a[0], a[1], a[2], a[3], a[4], a[5], a[6]
		switch typ {
		case 0:
			return func(x float64) float64 { return math.Pow(x, g) }
		case 1, 2:
			return func(x float64) float64 {
				if pa == 0 || x < -pb/pa {
					return pc
				}
				return math.Pow(pa*x+pb, g) + pc
			}
		default: // 3, 4
			return func(x float64) float64 {
				if x < pd {
					return pc*x + pf
				}
				return math.Pow(math.Max(pa*x+pb, 0), g) + pe
			}
		}
	}
	return nil
}

func srgbToLinear(x float64) float64 {
	if x <= 0.04045 {
		return x / 12.92
	}
	return math.Pow((x+0.055)/1.055, 2.4)
}

func linearToSRGB(y float64) float64 {
	if y <= 0.0031308 {
		return 12.92 * y
	}
	return 1.055*math.Pow(y, 1/2.4) - 0.055
}

// srgbEncode maps linear light quantised to 1/4095 steps to 8-bit sRGB.
var srgbEncode = func() (t [4096]uint8) {
	for i := range t {
		t[i] = uint8(math.Round(255 * linearToSRGB(float64(i)/4095)))
	}
	return t
}()

// apply converts straight RGBA pixels in place (alpha untouched).
func (ct *colorTransform) apply(pix []uint8) {
	for i := 0; i+3 < len(pix); i += 4 {
		r, g, b := ct.lin[0][pix[i]], ct.lin[1][pix[i+1]], ct.lin[2][pix[i+2]]
		for c := 0; c < 3; c++ {
			v := float32(ct.m[c][0]*r) + float32(ct.m[c][1]*g) + float32(ct.m[c][2]*b)
			switch {
			case !(v > 0): // also catches NaN
				v = 0
			case v > 1:
				v = 1
			}
			pix[i+c] = srgbEncode[int(v*4095+0.5)]
		}
	}
}

func mul3(a, b [3][3]float64) (m [3][3]float64) {
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				m[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return m
}

func invert3(a [3][3]float64) ([3][3]float64, bool) {
	det := a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
		a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
		a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	if math.Abs(det) < 1e-9 {
		return [3][3]float64{}, false
	}
	var m [3][3]float64
	m[0][0] = (a[1][1]*a[2][2] - a[1][2]*a[2][1]) / det
	m[0][1] = (a[0][2]*a[2][1] - a[0][1]*a[2][2]) / det
	m[0][2] = (a[0][1]*a[1][2] - a[0][2]*a[1][1]) / det
	m[1][0] = (a[1][2]*a[2][0] - a[1][0]*a[2][2]) / det
	m[1][1] = (a[0][0]*a[2][2] - a[0][2]*a[2][0]) / det
	m[1][2] = (a[0][2]*a[1][0] - a[0][0]*a[1][2]) / det
	m[2][0] = (a[1][0]*a[2][1] - a[1][1]*a[2][0]) / det
	m[2][1] = (a[0][1]*a[2][0] - a[0][0]*a[2][1]) / det
	m[2][2] = (a[0][0]*a[1][1] - a[0][1]*a[1][0]) / det
	return m, true
}
