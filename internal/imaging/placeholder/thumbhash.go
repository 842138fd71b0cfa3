package placeholder

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
)

// ThumbHash layout (https://evanw.github.io/thumbhash/):
//
//	header24: L dc (6 bits) | P dc (6) | Q dc (6) | L scale (5) | hasAlpha (1)
//	header16: lx or ly (3) | P scale (6) | Q scale (6) | isLandscape (1)
//	[alpha byte: A dc (4) | A scale (4)]
//	AC coefficients, 4 bits each, low nibble first: L, P, Q[, A]
//
// Colours are converted to L = (r+g+b)/3, P = (r+g)/2 − b, Q = r − g after
// compositing transparent pixels over the average colour; each channel is
// approximated by a low-order DCT whose AC terms are normalised by the
// channel's largest magnitude.

// MaxInput is the largest width or height Encode samples; larger images are
// box-filtered down to fit first (more detail cannot be stored in a hash).
const MaxInput = 100

// ErrInvalidHash is returned by DecodeImage for a hash too short to hold its header.
var ErrInvalidHash = errors.New("placeholder: invalid thumbhash")

// Encode returns the ThumbHash of img (at most 25 bytes). Images larger than
// MaxInput on a side are area-averaged down first. It returns nil for an
// empty image.
func Encode(img image.Image) []byte {
	w, h, rgba := sample(img)
	if w == 0 || h == 0 {
		return nil
	}
	n := float64(w * h)

	// Average colour, weighted by alpha.
	var avgR, avgG, avgB, avgA float64
	for i := 0; i < w*h; i++ {
		a := float64(rgba[4*i+3]) / 255
		avgR += a / 255 * float64(rgba[4*i])
		avgG += a / 255 * float64(rgba[4*i+1])
		avgB += a / 255 * float64(rgba[4*i+2])
		avgA += a
	}
	if avgA > 0 {
		avgR, avgG, avgB = avgR/avgA, avgG/avgA, avgB/avgA
	}
	hasAlpha := avgA < n
	lLimit := 7.0
	if hasAlpha {
		lLimit = 5 // fewer luminance terms when alpha needs room
	}
	long := float64(max(w, h))
	lx := max(1, int(math.Round(lLimit*float64(w)/long)))
	ly := max(1, int(math.Round(lLimit*float64(h)/long)))

	// RGBA -> LPQA, composited over the average colour.
	l, p, q, al := make([]float64, w*h), make([]float64, w*h), make([]float64, w*h), make([]float64, w*h)
	for i := 0; i < w*h; i++ {
		a := float64(rgba[4*i+3]) / 255
		r := avgR*(1-a) + a/255*float64(rgba[4*i])
		g := avgG*(1-a) + a/255*float64(rgba[4*i+1])
		b := avgB*(1-a) + a/255*float64(rgba[4*i+2])
		l[i] = (r + g + b) / 3
		p[i] = (r+g)/2 - b
		q[i] = r - g
		al[i] = a
	}

	lDC, lAC, lScale := encodeChannel(l, w, h, max(3, lx), max(3, ly))
	pDC, pAC, pScale := encodeChannel(p, w, h, 3, 3)
	qDC, qAC, qScale := encodeChannel(q, w, h, 3, 3)
	var aDC, aScale float64
	var aAC []float64
	if hasAlpha {
		aDC, aAC, aScale = encodeChannel(al, w, h, 5, 5)
	}

	isLandscape := w > h
	header24 := uint32(math.Round(63*lDC)) |
		uint32(math.Round(31.5+31.5*pDC))<<6 |
		uint32(math.Round(31.5+31.5*qDC))<<12 |
		uint32(math.Round(31*lScale))<<18
	if hasAlpha {
		header24 |= 1 << 23
	}
	side := lx
	if isLandscape {
		side = ly
	}
	header16 := uint32(side) | uint32(math.Round(63*pScale))<<3 | uint32(math.Round(63*qScale))<<9
	if isLandscape {
		header16 |= 1 << 15
	}
	hash := []byte{byte(header24), byte(header24 >> 8), byte(header24 >> 16), byte(header16), byte(header16 >> 8)}
	acStart := 5
	if hasAlpha {
		hash = append(hash, byte(math.Round(15*aDC))|byte(math.Round(15*aScale))<<4)
		acStart = 6
	}
	acs := [][]float64{lAC, pAC, qAC}
	if hasAlpha {
		acs = append(acs, aAC)
	}
	idx := 0
	for _, ac := range acs {
		for _, f := range ac {
			pos := acStart + idx>>1
			for len(hash) <= pos {
				hash = append(hash, 0)
			}
			hash[pos] |= byte(math.Round(15*f)) << ((idx & 1) << 2)
			idx++
		}
	}
	return hash
}

// encodeChannel returns the DC term, the AC terms mapped to [0,1] and their
// scale (largest magnitude) of a DCT of ch using the triangle of coefficients
// cx*ny < nx*(ny-cy).
func encodeChannel(ch []float64, w, h, nx, ny int) (dc float64, ac []float64, scale float64) {
	fx := make([]float64, w)
	for cy := 0; cy < ny; cy++ {
		for cx := 0; cx*ny < nx*(ny-cy); cx++ {
			for x := 0; x < w; x++ {
				fx[x] = math.Cos(math.Pi / float64(w) * float64(cx) * (float64(x) + 0.5))
			}
			var f float64
			for y := 0; y < h; y++ {
				fy := math.Cos(math.Pi / float64(h) * float64(cy) * (float64(y) + 0.5))
				for x := 0; x < w; x++ {
					f += ch[x+y*w] * fx[x] * fy
				}
			}
			f /= float64(w * h)
			if cx > 0 || cy > 0 {
				ac = append(ac, f)
				scale = math.Max(scale, math.Abs(f))
			} else {
				dc = f
			}
		}
	}
	if scale > 0 {
		for i := range ac {
			ac[i] = 0.5 + 0.5/scale*ac[i]
		}
	}
	return dc, ac, scale
}

// sample returns img as straight RGBA of at most MaxInput×MaxInput,
// box-averaging (in premultiplied space, at most 4×4 samples per box) when
// it is larger.
func sample(img image.Image) (w, h int, rgba []uint8) {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw <= 0 || sh <= 0 {
		return 0, 0, nil
	}
	w, h = sw, sh
	if sw > MaxInput || sh > MaxInput {
		if sw >= sh {
			w, h = MaxInput, max(1, (sh*MaxInput+sw/2)/sw)
		} else {
			w, h = max(1, (sw*MaxInput+sh/2)/sh), MaxInput
		}
	}
	rgba = make([]uint8, 4*w*h)
	for y := 0; y < h; y++ {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := 0; x < w; x++ {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			var r, g, bl, a, n uint64
			// At most 4×4 samples per box keep large inputs cheap.
			sty, stx := max(1, (y1-y0)/4), max(1, (x1-x0)/4)
			for sy := y0; sy < y1; sy += sty {
				for sx := x0; sx < x1; sx += stx {
					c := color.NRGBA64Model.Convert(img.At(b.Min.X+sx, b.Min.Y+sy)).(color.NRGBA64)
					r += uint64(c.R) * uint64(c.A)
					g += uint64(c.G) * uint64(c.A)
					bl += uint64(c.B) * uint64(c.A)
					a += uint64(c.A)
					n++
				}
			}
			o := rgba[4*(y*w+x):]
			if a > 0 {
				o[0], o[1], o[2] = uint8(r/a>>8), uint8(g/a>>8), uint8(bl/a>>8)
			}
			o[3] = uint8(a / n >> 8)
		}
	}
	return w, h, rgba
}

// DecodeImage renders a hash as a small image (32 pixels on the long side,
// aspect ratio from the hash), following the reference decoder including its
// 1.25× saturation boost.
func DecodeImage(hash []byte) (*image.NRGBA, error) {
	if len(hash) < 5 {
		return nil, ErrInvalidHash
	}
	header24 := uint32(hash[0]) | uint32(hash[1])<<8 | uint32(hash[2])<<16
	header16 := uint32(hash[3]) | uint32(hash[4])<<8
	hasAlpha := header24>>23 != 0
	if hasAlpha && len(hash) < 6 {
		return nil, ErrInvalidHash
	}
	lDC := float64(header24&63) / 63
	pDC := float64(header24>>6&63)/31.5 - 1
	qDC := float64(header24>>12&63)/31.5 - 1
	lScale := float64(header24>>18&31) / 31
	pScale := float64(header16>>3&63) / 63
	qScale := float64(header16>>9&63) / 63
	isLandscape := header16>>15 != 0
	lMax := 7
	if hasAlpha {
		lMax = 5
	}
	lx, ly := int(header16&7), lMax
	if isLandscape {
		lx, ly = lMax, int(header16&7)
	}
	ratioX, ratioY := lx, ly // approximate aspect ratio uses the raw values
	lx, ly = max(3, lx), max(3, ly)
	aDC, aScale := 1.0, 0.0
	acStart := 5
	if hasAlpha {
		aDC, aScale = float64(hash[5]&15)/15, float64(hash[5]>>4)/15
		acStart = 6
	}

	idx := 0
	decodeChannel := func(nx, ny int, scale float64) []float64 {
		var ac []float64
		for cy := 0; cy < ny; cy++ {
			cx := 0
			if cy == 0 {
				cx = 1
			}
			for ; cx*ny < nx*(ny-cy); cx++ {
				var v byte
				if pos := acStart + idx>>1; pos < len(hash) {
					v = hash[pos] >> ((idx & 1) << 2) & 15
				}
				ac = append(ac, (float64(v)/7.5-1)*scale)
				idx++
			}
		}
		return ac
	}
	lAC := decodeChannel(lx, ly, lScale)
	pAC := decodeChannel(3, 3, pScale*1.25)
	qAC := decodeChannel(3, 3, qScale*1.25)
	var aAC []float64
	if hasAlpha {
		aAC = decodeChannel(5, 5, aScale)
	}

	w, h := 32, 32
	switch {
	case ratioY == 0:
		h = 1
	case ratioX > ratioY:
		h = max(1, int(math.Round(32*float64(ratioY)/float64(ratioX))))
	default:
		w = max(1, int(math.Round(32*float64(ratioX)/float64(ratioY))))
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	nfx, nfy := max(lx, 3), max(ly, 3)
	if hasAlpha {
		nfx, nfy = max(nfx, 5), max(nfy, 5)
	}
	fx, fy := make([]float64, nfx), make([]float64, nfy)
	for y := 0; y < h; y++ {
		for cy := range fy {
			fy[cy] = math.Cos(math.Pi / float64(h) * (float64(y) + 0.5) * float64(cy))
		}
		for x := 0; x < w; x++ {
			for cx := range fx {
				fx[cx] = math.Cos(math.Pi / float64(w) * (float64(x) + 0.5) * float64(cx))
			}
			l, p, q, a := lDC, pDC, qDC, aDC
			j := 0
			for cy := 0; cy < ly; cy++ {
				cx := 0
				if cy == 0 {
					cx = 1
				}
				for fy2 := fy[cy] * 2; cx*ly < lx*(ly-cy); cx++ {
					l += lAC[j] * fx[cx] * fy2
					j++
				}
			}
			j = 0
			for cy := 0; cy < 3; cy++ {
				cx := 0
				if cy == 0 {
					cx = 1
				}
				for fy2 := fy[cy] * 2; cx < 3-cy; cx++ {
					f := fx[cx] * fy2
					p += pAC[j] * f
					q += qAC[j] * f
					j++
				}
			}
			if hasAlpha {
				j = 0
				for cy := 0; cy < 5; cy++ {
					cx := 0
					if cy == 0 {
						cx = 1
					}
					for fy2 := fy[cy] * 2; cx < 5-cy; cx++ {
						a += aAC[j] * fx[cx] * fy2
						j++
					}
				}
			}
			b := l - 2.0/3.0*p
			r := (3*l - b + q) / 2
			g := r - q
			o := out.Pix[y*out.Stride+4*x:]
			o[0], o[1], o[2], o[3] = unit8(r), unit8(g), unit8(b), unit8(a)
		}
	}
	return out, nil
}

// unit8 maps [0,1] to 0..255, truncating like the reference's Uint8Array store.
func unit8(v float64) uint8 {
	return uint8(math.Max(0, 255*math.Min(1, v)))
}

// DataURI renders the hash as a tiny PNG "data:image/png;base64,..." URI,
// or "" when the hash is invalid.
func DataURI(hash []byte) string {
	img, err := DecodeImage(hash)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}
