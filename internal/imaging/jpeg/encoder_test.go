package jpeg

import (
	"bytes"
	"math"
)

// A minimal baseline encoder for tests: any component count, sampling
// factors, Adobe transform and restart interval, so that fixtures the
// libjpeg-turbo tools cannot write (CMYK, YCCK) are generated in code. It
// uses a flat quantisation table and fixed-length Huffman codes (DC: 12
// symbols of 4 bits; AC: the 162 baseline symbols of 8 bits).

type encComp struct {
	id   byte
	h, v int
	// sample returns the component value at component-resolution (x, y).
	sample func(x, y int) uint8
}

type encOptions struct {
	width, height  int
	comps          []encComp
	adobeTransform int // -1: no Adobe APP14 marker
	restart        int // restart interval in MCUs, 0 = none
	quant          uint16
}

var encACSyms = func() []byte {
	s := []byte{0x00, 0xf0}
	for r := 0; r < 16; r++ {
		for z := 1; z <= 10; z++ {
			s = append(s, byte(r<<4|z))
		}
	}
	return s
}()

type bitWriter struct {
	buf  bytes.Buffer
	acc  uint32
	nacc uint
}

func (w *bitWriter) put(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.nacc++
		if w.nacc == 8 {
			b := byte(w.acc)
			w.buf.WriteByte(b)
			if b == 0xff {
				w.buf.WriteByte(0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.put(1, 1)
	}
}

func magnitude(v int) (uint, uint32) {
	a := v
	if a < 0 {
		a = -a
	}
	n := uint(0)
	for a > 0 {
		n++
		a >>= 1
	}
	if v < 0 {
		v += 1<<n - 1
	}
	return n, uint32(v)
}

func encodeTestJPEG(o encOptions) []byte {
	var out bytes.Buffer
	seg := func(m byte, p []byte) {
		out.Write([]byte{0xff, m, byte((len(p) + 2) >> 8), byte(len(p) + 2)})
		out.Write(p)
	}
	out.Write([]byte{0xff, mSOI})
	if o.adobeTransform >= 0 {
		seg(mAPP14, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, byte(o.adobeTransform)})
	}
	q := o.quant
	if q == 0 {
		q = 2
	}
	dqt := []byte{0}
	for range 64 {
		dqt = append(dqt, byte(q))
	}
	seg(mDQT, dqt)
	maxH, maxV := 1, 1
	for _, c := range o.comps {
		maxH, maxV = max(maxH, c.h), max(maxV, c.v)
	}
	sof := []byte{8, byte(o.height >> 8), byte(o.height), byte(o.width >> 8), byte(o.width), byte(len(o.comps))}
	for _, c := range o.comps {
		sof = append(sof, c.id, byte(c.h<<4|c.v), 0)
	}
	seg(mSOF0, sof)
	dht := []byte{0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for i := range 12 {
		dht = append(dht, byte(i))
	}
	dht = append(dht, 0x10, 0, 0, 0, 0, 0, 0, 0, byte(len(encACSyms)), 0, 0, 0, 0, 0, 0, 0, 0)
	dht = append(dht, encACSyms...)
	seg(mDHT, dht)
	acCode := map[byte]uint32{}
	for i, s := range encACSyms {
		acCode[s] = uint32(i)
	}
	if o.restart > 0 {
		seg(mDRI, []byte{byte(o.restart >> 8), byte(o.restart)})
	}
	sos := []byte{byte(len(o.comps))}
	for _, c := range o.comps {
		sos = append(sos, c.id, 0x00)
	}
	sos = append(sos, 0, 63, 0)
	seg(mSOS, sos)

	var w bitWriter
	mx := (o.width + 8*maxH - 1) / (8 * maxH)
	my := (o.height + 8*maxV - 1) / (8 * maxV)
	preds := make([]int, len(o.comps))
	var blk [64]float64
	rst := 0
	for m := 0; m < mx*my; m++ {
		if o.restart > 0 && m > 0 && m%o.restart == 0 {
			w.flush()
			w.buf.Write([]byte{0xff, byte(mRST0 + rst)})
			rst = (rst + 1) & 7
			clear(preds)
		}
		bx0, by0 := m%mx, m/mx
		for ci, c := range o.comps {
			h, v := c.h, c.v
			if len(o.comps) == 1 {
				h, v = 1, 1
			}
			for by := 0; by < v; by++ {
				for bx := 0; bx < h; bx++ {
					x0, y0 := (bx0*h+bx)*8, (by0*v+by)*8
					for y := 0; y < 8; y++ {
						for x := 0; x < 8; x++ {
							blk[y*8+x] = float64(c.sample(x0+x, y0+y)) - 128
						}
					}
					var zz [64]int
					for k := 0; k < 64; k++ {
						u, vv := int(unzig[k])%8, int(unzig[k])/8
						s := 0.0
						for y := 0; y < 8; y++ {
							for x := 0; x < 8; x++ {
								s += blk[y*8+x] * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(vv)*math.Pi/16)
							}
						}
						cu, cv := 1.0, 1.0
						if u == 0 {
							cu = math.Sqrt2 / 2
						}
						if vv == 0 {
							cv = math.Sqrt2 / 2
						}
						zz[k] = int(math.Round(s * cu * cv / 4 / float64(q)))
					}
					n, bits := magnitude(zz[0] - preds[ci])
					preds[ci] = zz[0]
					w.put(uint32(n), 4)
					w.put(bits, n)
					run := 0
					for k := 1; k < 64; k++ {
						if zz[k] == 0 {
							run++
							continue
						}
						for run >= 16 {
							w.put(acCode[0xf0], 8)
							run -= 16
						}
						n, bits := magnitude(zz[k])
						w.put(acCode[byte(run<<4)|byte(n)], 8)
						w.put(bits, n)
						run = 0
					}
					if run > 0 {
						w.put(acCode[0], 8)
					}
				}
			}
		}
	}
	w.flush()
	out.Write(w.buf.Bytes())
	out.Write([]byte{0xff, mEOI})
	return out.Bytes()
}
