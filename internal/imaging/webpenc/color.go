package webpenc

import "math"

// RGB → Y′CbCr as libwebp's default (non-"sharp") conversion: BT.601
// limited range (Y 16..235, Cb/Cr 16..240) in Q16 with round-half-up; each
// chroma sample is computed from the 2×2 mean of R, G and B taken in a
// gamma-0.8 "linear" domain (12-bit), which keeps saturated edges from
// darkening. Missing pixels at odd right/bottom edges replicate the last
// column/row, which is what libwebp's two- and one-pixel sums amount to.
const (
	yuvFix   = 16
	yuvHalf  = 1 << (yuvFix - 1)
	gammaFix = 12 // linear values are Q12
	gTabFix  = 7  // fractional bits of the linear→gamma interpolation
	gTabSize = 1 << (gammaFix - gTabFix)
)

var (
	gammaToLinear [256]uint16
	linearToGamma [gTabSize + 1]int32
)

func init() {
	const g = 0.80
	scale := float64(int(1)<<gTabFix) / float64(int(1)<<gammaFix-1)
	for v := 0; v <= 255; v++ {
		gammaToLinear[v] = uint16(math.Pow(float64(v)/255, g)*float64(int(1)<<gammaFix-1) + .5)
	}
	for v := 0; v <= gTabSize; v++ {
		linearToGamma[v] = int32(255*math.Pow(scale*float64(v), 1/g) + .5)
	}
}

// sum4ToGamma maps the sum of four Q12 linear values back to gamma space,
// returned ×4 (Q2), by linear interpolation in linearToGamma.
func sum4ToGamma(s uint32) int32 {
	pos := s >> (gTabFix + 2)
	x := int32(s & (1<<(gTabFix+2) - 1))
	v0, v1 := linearToGamma[pos], linearToGamma[pos+1]
	y := v1*x + v0*(1<<(gTabFix+2)-x)
	return (y + 1<<(gTabFix-1)) >> gTabFix
}

func rgbToY(r, g, b int32) uint8 {
	return uint8((16839*r + 33059*g + 6420*b + yuvHalf + 16<<yuvFix) >> yuvFix)
}

// rgb4ToUV converts Q2 (×4) gamma-space R, G, B sums to Cb, Cr.
func rgb4ToUV(r, g, b int32) (uint8, uint8) {
	u := -9719*r - 19081*g + 28800*b
	v := 28800*r - 24116*g - 4684*b
	return clipUV(u), clipUV(v)
}

func clipUV(c int32) uint8 {
	c = (c + yuvHalf<<2 + 128<<(yuvFix+2)) >> (yuvFix + 2)
	return clip255(c)
}

// importRGBA fills the source planes from 8-bit RGBA (alpha ignored) rows
// [y0, y1) (y0 even).
func (e *encoder) importRGBA(pix []uint8, stride int, y0, y1 int) {
	w, h := e.w, e.h
	for y := y0; y < y1; y += 2 {
		ya := y
		yb := min(y+1, h-1)
		ra := pix[ya*stride : ya*stride+4*w]
		rb := pix[yb*stride : yb*stride+4*w]
		dy0 := e.srcY[ya*e.yStride:]
		dy1 := e.srcY[yb*e.yStride:]
		du := e.srcU[(y/2)*e.cStride:]
		dv := e.srcV[(y/2)*e.cStride:]
		for x := 0; x < w; x += 2 {
			x1 := min(x+1, w-1)
			p, q := ra[4*x:4*x+3:4*x+3], ra[4*x1:4*x1+3:4*x1+3]
			s, t := rb[4*x:4*x+3:4*x+3], rb[4*x1:4*x1+3:4*x1+3]
			dy0[x] = rgbToY(int32(p[0]), int32(p[1]), int32(p[2]))
			dy0[x1] = rgbToY(int32(q[0]), int32(q[1]), int32(q[2]))
			if yb != ya {
				dy1[x] = rgbToY(int32(s[0]), int32(s[1]), int32(s[2]))
				dy1[x1] = rgbToY(int32(t[0]), int32(t[1]), int32(t[2]))
			}
			var c [3]int32
			for i := 0; i < 3; i++ {
				c[i] = sum4ToGamma(uint32(gammaToLinear[p[i]]) + uint32(gammaToLinear[q[i]]) +
					uint32(gammaToLinear[s[i]]) + uint32(gammaToLinear[t[i]]))
			}
			du[x/2], dv[x/2] = rgb4ToUV(c[0], c[1], c[2])
		}
	}
}
