package imaging

import (
	"crypto/sha256"
	"encoding/binary"
	"image"
	"math"
	"runtime"
	"sync"
)

// ICC LUT-based CMYK input profiles (ICC.1:2004-10 §10.8 lut16Type 'mft2',
// §10.9 lut8Type 'mft1', §10.10 lutAtoBType 'mAB '; ICC.1:2022 §10.12).
//
// The AToB0 tag (perceptual intent, what sharp asks libvips/lcms2 for) is
// used, else AToB1, else AToB2. The tag maps ink amounts 0..1 (C/255 for
// image.CMYK, 0 = no ink) to the PCS (Lab or XYZ, D50); the PCS goes to sRGB
// through the inverse of the sRGB colorants (already Bradford-adapted to
// D50, as in the sRGB IEC61966-2.1 profile), clipping and the sRGB curve.
//
// Evaluating that pipeline per pixel is slow, so, like lcms2's 8-bit
// "precalculated device link", the whole conversion is sampled once on a
// 17⁴ grid of sRGB values and pixels are interpolated from it (linear on C,
// tetrahedral on M, Y, K, as lcms2 does; exact at the grid nodes). Grids are cached by profile hash.
//
// Every offset and count is checked against the tag size; anything malformed
// makes parseCMYKProfile return nil, and the caller keeps the plain formula.

const (
	lutGrid      = 17      // device-link grid points per axis
	maxCLUTBytes = 4 << 20 // never reached under maxICCSize, kept explicit
	lutCacheSize = 4       // profiles whose grids stay cached
)

// pcsKind is how a tag's output values (normalised 0..1) encode the PCS.
type pcsKind int

const (
	pcsLabV2 pcsKind = iota // 16-bit legacy Lab: L 0..100 ↔ 0..0xFF00, a/b 128 ↔ 0x8000 (lut16Type, any version)
	pcsLabV4                // Lab: L 0..100 ↔ 0..1, a/b −128..127 ↔ 0..1 (lut8Type, lutAtoBType)
	pcsXYZ16                // XYZ u1Fixed15: 1.0 ↔ 0x8000
)

// lutPipeline evaluates one AToB tag on normalised input.
type lutPipeline struct {
	in   int          // input channels (4 for CMYK, 1 for gray)
	pre  []curve1D    // per input channel, before the CLUT (A curves, lut input tables)
	clut clut         // may have grid == nil (no CLUT, lutAtoB only)
	mid  []curve1D    // M curves (lutAtoB), nil when absent
	mat  *[12]float64 // lutAtoB matrix (3×3 then offsets), nil when absent
	post []curve1D    // per output channel (B curves, lut output tables)
	pcs  pcsKind
	xyz  bool // PCS is XYZ
	bpc  bool // v4 perceptual/saturation table: map the perceptual black to sRGB black
}

// curve1D is a tone curve on [0,1]; nil means identity.
type curve1D func(float64) float64

// clut is an n-D grid of 3-channel output, first input varying slowest.
type clut struct {
	dims   [4]int // grid points per input
	stride [4]int // in samples (3 values each)
	val    []float32
}

// cmykProfile is a parsed CMYK input profile; its grid is built on first use.
type cmykProfile struct {
	key  [32]byte
	pipe *lutPipeline
}

// cmykLUT is the 17⁴ device link CMYK → sRGB, values 8-bit sRGB in Q8.
type cmykLUT struct {
	tab  []uint16 // lutGrid⁴ × 3, index ((c*G+m)*G+y)*G+k
	idx  [256]int32
	frac [256]int32 // Q16 position inside the cell
}

// parseCMYKProfile returns the CMYK input profile, or nil when p is not a
// well-formed CMYK profile with a usable AToB tag.
func parseCMYKProfile(p []byte) *cmykProfile {
	if len(p) < 132 || len(p) > maxICCSize || string(p[36:40]) != "acsp" || string(p[16:20]) != "CMYK" {
		return nil
	}
	tags := iccTags(p)
	if tags == nil {
		return nil
	}
	xyz := false
	switch string(p[20:24]) {
	case "XYZ ":
		xyz = true
	case "Lab ":
	default:
		return nil
	}
	for _, sig := range []string{"A2B0", "A2B1", "A2B2"} {
		if t, ok := tags[sig]; ok {
			pipe := parseAToB(t, xyz)
			if pipe == nil || pipe.in != 4 {
				return nil
			}
			// lcms2 turns on black point compensation for the perceptual and
			// saturation intents of v4 profiles, whose PCS black is the
			// perceptual reference medium's (ICC.1:2022 §6.3.4.3).
			pipe.bpc = p[8] >= 4 && sig != "A2B1"
			return &cmykProfile{key: sha256.Sum256(p), pipe: pipe}
		}
	}
	return nil
}

// iccTags returns the tag table, or nil when an entry points outside p.
func iccTags(p []byte) map[string][]byte {
	n := binary.BigEndian.Uint32(p[128:132])
	if uint64(n)*12+132 > uint64(len(p)) {
		return nil
	}
	tags := make(map[string][]byte, n)
	for i := uint32(0); i < n; i++ {
		e := p[132+12*i:]
		off, size := uint64(binary.BigEndian.Uint32(e[4:8])), uint64(binary.BigEndian.Uint32(e[8:12]))
		if off+size > uint64(len(p)) {
			return nil
		}
		tags[string(e[0:4])] = p[off : off+size]
	}
	return tags
}

// parseAToB parses an mft2, mft1 or mAB tag with 3 outputs.
func parseAToB(t []byte, xyz bool) *lutPipeline {
	if len(t) < 32 {
		return nil
	}
	in, out := int(t[8]), int(t[9])
	if in < 1 || in > 4 || in == 2 || out != 3 {
		return nil
	}
	pl := &lutPipeline{in: in, xyz: xyz, pcs: pcsLabV4}
	if xyz {
		pl.pcs = pcsXYZ16
	}
	switch string(t[:4]) {
	case "mft2":
		if len(t) < 52 {
			return nil
		}
		g := int(t[10])
		n, m := int(binary.BigEndian.Uint16(t[48:50])), int(binary.BigEndian.Uint16(t[50:52]))
		if g < 2 || n < 2 || m < 2 || n > 4096 || m > 4096 {
			return nil
		}
		cells := ipow(g, in)
		need := 52 + 2*(in*n+cells*out+out*m)
		if need > len(t) || 2*cells*out > maxCLUTBytes {
			return nil
		}
		pos := 52
		for i := 0; i < in; i++ {
			pl.pre = append(pl.pre, table16(t[pos:pos+2*n], n))
			pos += 2 * n
		}
		pl.clut = newCLUT(in, [4]int{g, g, g, g}, t[pos:pos+2*cells*out], 2)
		pos += 2 * cells * out
		for i := 0; i < out; i++ {
			pl.post = append(pl.post, table16(t[pos:pos+2*m], m))
			pos += 2 * m
		}
		if !xyz {
			pl.pcs = pcsLabV2
		}
	case "mft1":
		g := int(t[10])
		if g < 2 {
			return nil
		}
		cells := ipow(g, in)
		if 48+in*256+cells*out+out*256 > len(t) || cells*out > maxCLUTBytes {
			return nil
		}
		pos := 48
		for i := 0; i < in; i++ {
			pl.pre = append(pl.pre, table8(t[pos:pos+256]))
			pos += 256
		}
		pl.clut = newCLUT(in, [4]int{g, g, g, g}, t[pos:pos+cells*out], 1)
		pos += cells * out
		for i := 0; i < out; i++ {
			pl.post = append(pl.post, table8(t[pos:pos+256]))
			pos += 256
		}
	case "mAB ":
		offB, offMat, offM := binary.BigEndian.Uint32(t[12:]), binary.BigEndian.Uint32(t[16:]), binary.BigEndian.Uint32(t[20:])
		offCLUT, offA := binary.BigEndian.Uint32(t[24:]), binary.BigEndian.Uint32(t[28:])
		var ok bool
		if pl.post, ok = curveSet(t, offB, out); !ok || pl.post == nil {
			return nil // B curves are mandatory
		}
		if offCLUT != 0 {
			if uint64(offCLUT)+20 > uint64(len(t)) {
				return nil
			}
			c := t[offCLUT:]
			var dims [4]int
			cells := 1
			for i := 0; i < in; i++ {
				dims[i] = int(c[i])
				if dims[i] < 2 {
					return nil
				}
				cells *= dims[i]
			}
			prec := int(c[16])
			if (prec != 1 && prec != 2) || 20+prec*cells*out > len(c) || prec*cells*out > maxCLUTBytes {
				return nil
			}
			pl.clut = newCLUT(in, dims, c[20:20+prec*cells*out], prec)
			if pl.pre, ok = curveSet(t, offA, in); !ok || pl.pre == nil {
				return nil // A curves come with the CLUT
			}
		} else if in != 3 || offA != 0 {
			return nil // without a CLUT the input must already be 3 channels
		}
		if offM != 0 || offMat != 0 {
			if offM == 0 || offMat == 0 || uint64(offMat)+48 > uint64(len(t)) {
				return nil
			}
			if pl.mid, ok = curveSet(t, offM, 3); !ok {
				return nil
			}
			var mat [12]float64
			for i := range mat {
				mat[i] = s15f16(t[offMat+4*uint32(i):])
			}
			pl.mat = &mat
		}
	default:
		return nil
	}
	return pl
}

// clamp01 clamps x to [0,1]; NaN becomes 0 (hostile curves can make NaN,
// which must never reach an index computation).
func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}

func ipow(b, e int) int {
	r := 1
	for range e {
		r *= b
	}
	return r
}

// table16 is a lut16Type 1-D table (n ≥ 2 entries, 0..65535).
func table16(b []byte, n int) curve1D {
	tab := make([]float64, n)
	for i := range tab {
		tab[i] = float64(binary.BigEndian.Uint16(b[2*i:])) / 65535
	}
	return tableCurve(tab)
}

// table8 is a lut8Type 1-D table (256 entries).
func table8(b []byte) curve1D {
	tab := make([]float64, 256)
	for i := range tab {
		tab[i] = float64(b[i]) / 255
	}
	return tableCurve(tab)
}

func tableCurve(tab []float64) curve1D {
	n := len(tab)
	return func(x float64) float64 {
		pos := clamp01(x) * float64(n-1)
		i := min(int(pos), n-2)
		f := pos - float64(i)
		return tab[i]*(1-f) + tab[i+1]*f
	}
}

// curveSet parses n curves (curveType or parametricCurveType, each padded to
// 4 bytes) at off in t. off 0 means absent: nil, true.
func curveSet(t []byte, off uint32, n int) ([]curve1D, bool) {
	if off == 0 {
		return nil, true
	}
	pos := uint64(off)
	cs := make([]curve1D, n)
	for i := range cs {
		if pos+12 > uint64(len(t)) {
			return nil, false
		}
		c := t[pos:]
		var size uint64
		switch string(c[:4]) {
		case "curv":
			size = 12 + 2*uint64(binary.BigEndian.Uint32(c[8:12]))
		case "para":
			typ := binary.BigEndian.Uint16(c[8:10])
			np := [...]uint64{1, 3, 4, 5, 7}
			if int(typ) >= len(np) {
				return nil, false
			}
			size = 12 + 4*np[typ]
		default:
			return nil, false
		}
		if pos+size > uint64(len(t)) {
			return nil, false
		}
		f := parseCurve(c[:size])
		if f == nil {
			return nil, false
		}
		cs[i] = curve1D(f)
		pos += (size + 3) &^ 3
	}
	return cs, true
}

func newCLUT(in int, dims [4]int, b []byte, prec int) clut {
	c := clut{dims: dims}
	s := 1
	for i := in - 1; i >= 0; i-- {
		c.stride[i] = s
		s *= dims[i]
	}
	c.val = make([]float32, s*3)
	for i := range c.val {
		if prec == 2 {
			c.val[i] = float32(binary.BigEndian.Uint16(b[2*i:])) / 65535
		} else {
			c.val[i] = float32(b[i]) / 255
		}
	}
	return c
}

// eval interpolates the CLUT at x (normalised, in channels): linear for 1
// input, tetrahedral for 3, linear on the first and tetrahedral on the other
// three for 4 (as lcms2 does), so grid points are reproduced exactly.
func (c *clut) eval(in int, x []float64) (out [3]float64) {
	var base [4]int
	var f [4]float64
	for i := 0; i < in; i++ {
		p := clamp01(x[i]) * float64(c.dims[i]-1)
		j := min(int(p), c.dims[i]-2)
		base[i], f[i] = j*c.stride[i], p-float64(j)
	}
	switch in {
	case 1:
		o := 3 * base[0]
		for k := range 3 {
			out[k] = float64(c.val[o+k])*(1-f[0]) + float64(c.val[o+3+k])*f[0]
		}
	case 3:
		out = c.tetra(base[0]+base[1]+base[2], c.stride[0], c.stride[1], c.stride[2], f[0], f[1], f[2])
	case 4:
		o := base[1] + base[2] + base[3]
		lo := c.tetra(base[0]+o, c.stride[1], c.stride[2], c.stride[3], f[1], f[2], f[3])
		hi := c.tetra(base[0]+c.stride[0]+o, c.stride[1], c.stride[2], c.stride[3], f[1], f[2], f[3])
		for k := range 3 {
			out[k] = lo[k]*(1-f[0]) + hi[k]*f[0]
		}
	}
	return out
}

// tetra is tetrahedral interpolation in the cube at sample o with axis
// strides sx, sy, sz and fractions fx, fy, fz.
func (c *clut) tetra(o, sx, sy, sz int, fx, fy, fz float64) (out [3]float64) {
	// Walk from the origin corner to the far one along the axes in order of
	// decreasing fraction.
	s := [3]int{sx, sy, sz}
	fr := [3]float64{fx, fy, fz}
	if fr[0] < fr[1] {
		fr[0], fr[1], s[0], s[1] = fr[1], fr[0], s[1], s[0]
	}
	if fr[1] < fr[2] {
		fr[1], fr[2], s[1], s[2] = fr[2], fr[1], s[2], s[1]
	}
	if fr[0] < fr[1] {
		fr[0], fr[1], s[0], s[1] = fr[1], fr[0], s[1], s[0]
	}
	p0, p1 := 3*o, 3*(o+s[0])
	p2 := p1 + 3*s[1]
	p3 := p2 + 3*s[2]
	v := c.val
	for k := range 3 {
		c0, c1, c2, c3 := float64(v[p0+k]), float64(v[p1+k]), float64(v[p2+k]), float64(v[p3+k])
		out[k] = c0 + (c1-c0)*fr[0] + (c2-c1)*fr[1] + (c3-c2)*fr[2]
	}
	return out
}

// eval maps normalised input to normalised PCS values.
func (pl *lutPipeline) eval(x []float64) [3]float64 {
	var buf [4]float64
	for i := 0; i < pl.in; i++ {
		buf[i] = x[i]
		if pl.pre != nil && pl.pre[i] != nil {
			buf[i] = pl.pre[i](x[i])
		}
	}
	var v [3]float64
	if pl.clut.val != nil {
		v = pl.clut.eval(pl.in, buf[:pl.in])
	} else {
		copy(v[:], buf[:3])
	}
	if pl.mid != nil {
		for k := range 3 {
			if pl.mid[k] != nil {
				v[k] = pl.mid[k](clamp01(v[k]))
			}
		}
	}
	if m := pl.mat; m != nil {
		v = [3]float64{
			m[0]*v[0] + m[1]*v[1] + m[2]*v[2] + m[9],
			m[3]*v[0] + m[4]*v[1] + m[5]*v[2] + m[10],
			m[6]*v[0] + m[7]*v[1] + m[8]*v[2] + m[11],
		}
	}
	for k := range 3 {
		v[k] = clamp01(v[k])
		if pl.post[k] != nil {
			v[k] = pl.post[k](v[k])
		}
	}
	return v
}

// d50 is the PCS illuminant (ICC.1 §7.2.16).
var d50 = [3]float64{0.9642, 1.0, 0.8249}

// pcsToXYZ decodes normalised PCS values to XYZ (D50, Y of white = 1).
func pcsToXYZ(kind pcsKind, v [3]float64) [3]float64 {
	var L, a, b float64
	switch kind {
	case pcsXYZ16:
		return [3]float64{v[0] * 65535 / 32768, v[1] * 65535 / 32768, v[2] * 65535 / 32768}
	case pcsLabV2:
		L, a, b = v[0]*65535/65280*100, v[1]*65535/256-128, v[2]*65535/256-128
	default:
		L, a, b = v[0]*100, v[1]*255-128, v[2]*255-128
	}
	fy := (L + 16) / 116
	fx, fz := fy+a/500, fy-b/200
	inv := func(t float64) float64 {
		if t > 6.0/29 {
			return t * t * t
		}
		return 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0/29)
	}
	return [3]float64{d50[0] * inv(fx), d50[1] * inv(fy), d50[2] * inv(fz)}
}

// xyzToSRGB is inverse(srgbD50): XYZ (D50) → linear sRGB.
var xyzToSRGB = func() [3][3]float64 {
	m, _ := invert3(srgbD50)
	return m
}()

// pcsToSRGB maps normalised PCS values to sRGB-encoded [0,1], clipped.
func pcsToSRGB(kind pcsKind, v [3]float64) [3]float64 {
	return xyzToSRGBEncoded(pcsToXYZ(kind, v))
}

// perceptualBlack is the v4 perceptual reference medium black (XYZ, D50).
var perceptualBlack = [3]float64{0.00336, 0.0034731, 0.00287}

// toSRGB evaluates the profile at x (ink 0..1) to sRGB-encoded [0,1]. With
// bpc the perceptual black is scaled to zero per XYZ channel, keeping D50
// white (the Adobe black point compensation with an sRGB black of 0).
func (pl *lutPipeline) toSRGB(x []float64) [3]float64 {
	xyz := pcsToXYZ(pl.pcs, pl.eval(x))
	if pl.bpc {
		for c := range 3 {
			xyz[c] = (xyz[c] - perceptualBlack[c]) * d50[c] / (d50[c] - perceptualBlack[c])
		}
	}
	return xyzToSRGBEncoded(xyz)
}

func xyzToSRGBEncoded(xyz [3]float64) [3]float64 {
	var out [3]float64
	for c := range 3 {
		l := xyzToSRGB[c][0]*xyz[0] + xyzToSRGB[c][1]*xyz[1] + xyzToSRGB[c][2]*xyz[2]
		out[c] = linearToSRGB(clamp01(l))
	}
	return out
}

var lutCache struct {
	sync.Mutex
	keys [lutCacheSize][32]byte
	luts [lutCacheSize]*cmykLUT
	next int
}

// lut returns the device link for p, built once per profile (cached).
func (p *cmykProfile) lut() *cmykLUT {
	lutCache.Lock()
	for i, k := range lutCache.keys {
		if lutCache.luts[i] != nil && k == p.key {
			l := lutCache.luts[i]
			lutCache.Unlock()
			return l
		}
	}
	lutCache.Unlock()
	l := buildCMYKLUT(p.pipe)
	lutCache.Lock()
	i := lutCache.next
	lutCache.keys[i], lutCache.luts[i] = p.key, l
	lutCache.next = (i + 1) % lutCacheSize
	lutCache.Unlock()
	return l
}

// buildCMYKLUT samples pipe on the lutGrid⁴ grid (in parallel over C planes).
func buildCMYKLUT(pipe *lutPipeline) *cmykLUT {
	const g = lutGrid
	l := &cmykLUT{tab: make([]uint16, g*g*g*g*3)}
	for v := range 256 {
		p := v * (g - 1) * 65536 / 255 // Q16 grid position
		i := min(p>>16, g-2)
		l.idx[v], l.frac[v] = int32(i), int32(p-i<<16)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for c := range g {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var x [4]float64
			x[0] = float64(c) / (g - 1)
			o := c * g * g * g * 3
			for m := range g {
				x[1] = float64(m) / (g - 1)
				for y := range g {
					x[2] = float64(y) / (g - 1)
					for k := range g {
						x[3] = float64(k) / (g - 1)
						rgb := pipe.toSRGB(x[:])
						for ch := range 3 {
							l.tab[o+ch] = uint16(math.Round(rgb[ch] * 255 * 256))
						}
						o += 3
					}
				}
			}
		}()
	}
	wg.Wait()
	return l
}

// convertRow converts CMYK pixels (4 bytes each, 0 = no ink) to opaque sRGB
// RGBA in dst as lcms2 does for 4 inputs: tetrahedral interpolation on M, Y,
// K (the cell's corners walked from the low one along the axes in order of
// decreasing fraction) in the two C planes around the pixel, then linear
// on C. Grid values are Q8 8-bit sRGB and fractions Q16, so each channel is
// Q24 before rounding to nearest. The weights are convex: no clamping needed.
func (l *cmykLUT) convertRow(dst, src []uint8) {
	const g = lutGrid
	const sc, sm, sy, sk = g * g * g * 3, g * g * 3, g * 3, 3
	tab := l.tab
	n := min(len(src), len(dst)) &^ 3
	for i := 0; i < n; i += 4 {
		s4 := src[i : i+4 : i+4]
		c, m, y, k := s4[0], s4[1], s4[2], s4[3]
		o := int(l.idx[c])*sc + int(l.idx[m])*sm + int(l.idx[y])*sy + int(l.idx[k])*sk
		fc := int64(l.frac[c])
		fs := [3]int64{int64(l.frac[m]), int64(l.frac[y]), int64(l.frac[k])}
		// Order the axes by decreasing fraction without branches: the three
		// comparisons index a permutation table.
		ci := b2i(fs[0] < fs[1]) | b2i(fs[1] < fs[2])<<1 | b2i(fs[0] < fs[2])<<2
		ord := &tetraOrder[ci]
		f0, f1, f2 := fs[ord[0]], fs[ord[1]], fs[ord[2]]
		s0, s1, s2 := tetraStride[ord[0]], tetraStride[ord[1]], tetraStride[ord[2]]
		p1 := o + s0
		p2 := p1 + s1
		p3 := p2 + s2
		// Nodes in the lower C plane, then (sc further) in the upper one.
		n0, n1, n2, n3 := tab[o:o+sc+3], tab[p1:p1+sc+3], tab[p2:p2+sc+3], tab[p3:p3+sc+3]
		d := dst[i : i+4 : i+4]
		for ch := range 3 {
			a0, a1, a2, a3 := int64(n0[ch]), int64(n1[ch]), int64(n2[ch]), int64(n3[ch])
			v := a0<<16 + (a1-a0)*f0 + (a2-a1)*f1 + (a3-a2)*f2
			if fc != 0 {
				b0, b1, b2, b3 := int64(n0[sc+ch]), int64(n1[sc+ch]), int64(n2[sc+ch]), int64(n3[sc+ch])
				hi := b0<<16 + (b1-b0)*f0 + (b2-b1)*f1 + (b3-b2)*f2
				v += (hi - v) * fc >> 16
			}
			d[ch] = uint8((v + 1<<23) >> 24)
		}
		d[3] = 255
	}
}

// tetraStride is the node stride of the M, Y and K axes of a cmykLUT.
var tetraStride = [3]int{lutGrid * lutGrid * 3, lutGrid * 3, 3}

// tetraOrder[b(f0<f1) | b(f1<f2)<<1 | b(f0<f2)<<2] lists the axes by
// decreasing fraction (ties keep axis order; impossible combinations map to
// any valid order).
var tetraOrder = func() (t [8][3]uint8) {
	for i := range t {
		lt01, lt12, lt02 := i&1 != 0, i&2 != 0, i&4 != 0
		switch {
		case !lt01 && !lt12: // f0 ≥ f1 ≥ f2
			t[i] = [3]uint8{0, 1, 2}
		case !lt01 && lt12 && !lt02: // f0 ≥ f2 > f1
			t[i] = [3]uint8{0, 2, 1}
		case !lt01 && lt12: // f2 > f0 ≥ f1
			t[i] = [3]uint8{2, 0, 1}
		case lt01 && !lt12 && !lt02: // f1 > f0 ≥ f2
			t[i] = [3]uint8{1, 0, 2}
		case lt01 && !lt12: // f1 ≥ f2 > f0
			t[i] = [3]uint8{1, 2, 0}
		default: // f2 > f1 > f0
			t[i] = [3]uint8{2, 1, 0}
		}
	}
	return t
}()

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// profiledCMYK is a CMYK image whose rows rowsOf converts with lut.
type profiledCMYK struct {
	*image.CMYK
	lut *cmykLUT
}
