package webpenc

import "math"

// Quantisation. A matrix holds, for DC (index 0) and AC (index 1), the step
// q, its reciprocal iq in Q17 (qfix) and a rounding bias in Q17; levels are
// (|c|·iq + bias) >> 17, i.e. rounding at bias/2^17 of a step instead of ½
// (dead zone), the dead-zone constants being libwebp's, so that a given
// quantiser index spends bits like libwebp's at that index.
const qfix = 17

// Rounding biases in 1/256 of a step, [kind][dc, ac]: kind 0 luma, 1 Y2,
// 2 chroma. libwebp's, except luma AC: 120 instead of 110 (a dead zone a
// little narrower), which bench/webpenc measured 0.5–1.5 % smaller at
// equal luma SSIM on the 512-px photos (with lambdaI4 below).
var quantBias = [3][2]uint32{{96, 120}, {96, 108}, {110, 115}}

// freqSharpen raises high-frequency luma AC magnitudes slightly before
// quantising (in 1/2048 of a step), which keeps texture at mid rates.
var freqSharpen = [16]uint16{0, 30, 60, 90, 30, 60, 90, 90, 60, 90, 90, 90, 90, 90, 90, 90}

type matrix struct {
	q       [16]int32  // step per raster position
	iq      [16]uint32 // (1<<qfix)/q
	bias    [16]uint32
	zthresh [16]int32 // |c| <= zthresh quantises to 0
	sharpen [16]int32
}

// newMatrix builds the matrix of kind (0 luma, 1 Y2, 2 chroma) for the
// given DC and AC steps and returns it with its average step ((dc+15·ac)/16,
// rounded), the quantity the rate–distortion lambdas are derived from.
func newMatrix(kind int, dc, ac int32) (matrix, int32) {
	var m matrix
	var sum int32
	for i := 0; i < 16; i++ {
		q, k := ac, 1
		if i == 0 {
			q, k = dc, 0
		}
		m.q[i] = q
		m.iq[i] = (1 << qfix) / uint32(q)
		m.bias[i] = quantBias[kind][k] << (qfix - 8)
		m.zthresh[i] = int32(((1 << qfix) - 1 - m.bias[i]) / m.iq[i])
		if kind == 0 {
			m.sharpen[i] = int32(freqSharpen[i]) * q >> 11
		}
		sum += q
	}
	return m, (sum + 8) >> 4
}

// quantizeGeneric quantises raster coefficients in[first:] into zigzag levels out
// and writes the dequantised values (what the decoder will see) back into
// in, raster order. It returns the scan index of the last non-zero level,
// or −1. (first is 0 or 1; position 0 is the DC in both orders.)
// quantize (kernels_*.go) is this or its assembly version.
func (m *matrix) quantizeGeneric(in *[16]int16, out *[16]int16, first int) int {
	last := -1
	if first > 0 {
		out[0] = 0
	}
	for j := first; j < 16; j++ {
		c := int32(in[j])
		sign := c >> 31
		a := (c ^ sign - sign) + m.sharpen[j]
		n := int(unzigzag[j])
		if a <= m.zthresh[j] {
			out[n] = 0
			in[j] = 0
			continue
		}
		lv := int32((uint32(a)*m.iq[j] + m.bias[j]) >> qfix)
		lv = min(lv, 2047)
		out[n] = int16(lv ^ sign - sign)
		in[j] = int16((lv * m.q[j]) ^ sign - sign)
		if lv != 0 && n > last {
			last = n
		}
	}
	return last
}

// unzigzag maps raster position to scan position.
var unzigzag = func() (u [16]uint8) {
	for n, j := range zigzag {
		u[j] = uint8(n)
	}
	return u
}()

// segmentQuant is everything that depends on a segment's quantiser index.
type segmentQuant struct {
	index                int // base quantiser index 0..127
	y1, y2, uv           matrix
	lambdaI16, lambdaI4  int64
	lambdaUV, lambdaMode int64
	tlambda              int64 // texture distortion weight
	filterLevel          int
}

// Quantiser deltas written in the frame header (section 9.6): chroma DC is
// quantised 2 steps finer, as libwebp does at its default SNS strength.
const (
	dqY1DC = 0
	dqY2DC = 0
	dqY2AC = 0
	dqUVDC = -2
)

// Chroma AC quantiser delta range (libwebp's MIN/MAX_DQ_UV): chosen per
// picture from the mean chroma susceptibility, see uvACDelta.
const (
	minDQUV = -4
	maxDQUV = 6
)

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }

func newSegmentQuant(q, dqUVAC int) segmentQuant {
	s := segmentQuant{index: q}
	var qi4, qi16, quv int32
	s.y1, qi4 = newMatrix(0, dcTable[clampInt(q+dqY1DC, 0, 127)], acTable[q])
	y2ac := acTable[clampInt(q+dqY2AC, 0, 127)] * 155 / 100
	if y2ac < 8 {
		y2ac = 8
	}
	s.y2, qi16 = newMatrix(1, 2*dcTable[clampInt(q+dqY2DC, 0, 127)], y2ac)
	s.uv, quv = newMatrix(2, dcTable[clampInt(q+dqUVDC, 0, 117)], acTable[clampInt(q+dqUVAC, 0, 127)])
	// libwebp's λ for 4×4 decisions is 3q²/128; 0.55 of it (53q²/4096)
	// spends more bits on luma detail and gives a better SSIM–bytes curve:
	// 3–5 % fewer bytes at equal SSIM on the photos of bench/webpenc, the
	// same on trimTail, which uses this λ for all luma blocks.
	s.lambdaI4 = max(int64(53*qi4*qi4)>>12, 1)
	s.lambdaI16 = max(int64(3*qi16*qi16), 1)
	s.lambdaUV = max(int64(3*quv*quv)>>6, 1)
	s.lambdaMode = max(int64(qi4*qi4)>>7, 1)
	s.tlambda = max(int64(snsStrength*qi4)>>5, 1)
	return s
}

// qualityToIndex maps a libwebp quality 0..100 to the base quantiser index
// exactly as libwebp (QualityToCompression): linear in quality with a knee
// at 75, then a cube-root law because file size goes roughly as the cube of
// the step. expn modulates it per segment (1 without segmentation).
func qualityToIndex(quality float64, expn float64) int {
	c := quality / 100
	var lin float64
	if c < 0.75 {
		lin = c * (2. / 3.)
	} else {
		lin = 2*c - 1
	}
	v := math.Pow(math.Pow(lin, 1./3.), expn)
	return clampInt(int(127*(1-v)), 0, 127)
}

// filterLevelFor is the loop-filter level for a segment with quantiser
// index q and complexity beta (0..255): the filter follows the AC step
// (a quarter of it, as a pixel delta the filter should smooth), scaled by
// the strength (60 = libwebp's default "-f 60") and less for busy segments.
func filterLevelFor(q, strength, beta int) int {
	qstep := int(acTable[q] >> 2)
	base := min(qstep, 63) // sharpness 0: level = delta
	f := base * 5 * strength / (256 + beta)
	if f < 2 {
		return 0
	}
	return min(f, 63)
}
