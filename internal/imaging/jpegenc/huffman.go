package jpegenc

import (
	"encoding/binary"
	"math/bits"
)

// codeTable maps a Huffman symbol to code<<8 | length (length ≤ 16).
type codeTable [256]uint32

// codes generates the code table of a DHT spec (T.81 C.1–C.2).
func (h *huffSpec) codes() (t codeTable) {
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for i := 0; i < int(h.bits[l-1]); i++ {
			t[h.vals[k]] = code<<8 | uint32(l)
			code++
			k++
		}
		code <<= 1
	}
	return t
}

// bitWriter packs Huffman codes MSB-first into a 64-bit accumulator and
// emits 32 bits at a time, stuffing a 0x00 after every 0xFF byte (T.81 F.1.2.3).
// buf[:pos] is the output; reserve keeps room for a whole block so the hot
// path stores without growing.
type bitWriter struct {
	buf []byte
	pos int
	acc uint64 // the low n bits are pending; higher bits are stale
	n   uint   // < 32 between calls
}

// maxBlockBytes bounds one block's output: DC + 63 AC + ≤ 3 ZRL + EOB < 70
// codes of ≤ 16+11 bits, every byte possibly stuffed, plus the accumulator.
const maxBlockBytes = 512

// reserve makes room for at least maxBlockBytes more bytes.
func (b *bitWriter) reserve() {
	if len(b.buf)-b.pos < maxBlockBytes {
		nb := make([]byte, max(2*len(b.buf), 64<<10))
		copy(nb, b.buf[:b.pos])
		b.buf = nb
	}
}

// bytes returns the bytes written so far.
func (b *bitWriter) bytes() []byte { return b.buf[:b.pos] }

// put appends the low `size` bits of v (size ≤ 32, v < 1<<size). The caller
// has reserved room.
func (b *bitWriter) put(v uint32, size uint) {
	b.acc = b.acc<<size | uint64(v)
	b.n += size
	if b.n >= 32 {
		b.n -= 32
		w := uint32(b.acc >> b.n)
		// Any 0xFF byte in w? (the classic "has zero byte" test on ^w)
		if (^w-0x01010101)&w&0x80808080 == 0 {
			binary.BigEndian.PutUint32(b.buf[b.pos:], w)
			b.pos += 4
		} else {
			b.slow(w)
		}
	}
}

func (b *bitWriter) slow(w uint32) {
	for s := 24; s >= 0; s -= 8 {
		b.byte(byte(w >> uint(s)))
	}
}

func (b *bitWriter) byte(c byte) {
	b.buf[b.pos] = c
	b.pos++
	if c == 0xFF {
		b.buf[b.pos] = 0
		b.pos++
	}
}

// flush pads the last byte with 1-bits (T.81 F.1.2.3) and writes out
// everything pending.
func (b *bitWriter) flush() {
	b.reserve()
	if pad := (8 - b.n%8) % 8; pad > 0 {
		b.acc = b.acc<<pad | (1<<pad - 1)
		b.n += pad
	}
	for b.n >= 8 {
		b.n -= 8
		b.byte(byte(b.acc >> b.n))
	}
}

// category returns the magnitude category SSSS of v (T.81 F.1.2.1) and the
// SSSS extra bits: v for v>0, v-1 (its low SSSS bits) for v<0.
func category(v int32) (uint, uint32) {
	a := v
	if v < 0 {
		a = -v
		v--
	}
	s := uint(bits.Len32(uint32(a)))
	return s, uint32(v) & (1<<s - 1)
}

// encodeBlock writes one block (zig-zag order, nz = mask of non-zero AC
// positions) with DC prediction *pred (T.81 F.1.2).
func (b *bitWriter) encodeBlock(q *[64]int16, nz uint64, pred *int32, dc, ac *codeTable) {
	b.reserve()
	d := int32(q[0]) - *pred
	*pred = int32(q[0])
	s, x := category(d)
	c := dc[s&0xff]
	b.put(c>>8<<s|x, uint(c&0xff)+s)
	last := 0
	for nz != 0 {
		k := bits.TrailingZeros64(nz)
		nz &= nz - 1
		run := k - last - 1
		for run > 15 {
			c := ac[0xF0]
			b.put(c>>8, uint(c&0xff))
			run -= 16
		}
		s, x := category(int32(q[k&63]))
		c := ac[(run<<4|int(s))&0xff]
		b.put(c>>8<<s|x, uint(c&0xff)+s)
		last = k
	}
	if last != 63 {
		c := ac[0x00]
		b.put(c>>8, uint(c&0xff))
	}
}

// countBlock adds the symbols encodeBlock would emit to freq.
func countBlock(q *[64]int16, nz uint64, pred *int32, dc, ac *[257]int64) {
	d := int32(q[0]) - *pred
	*pred = int32(q[0])
	s, _ := category(d)
	dc[s]++
	last := 0
	for nz != 0 {
		k := bits.TrailingZeros64(nz)
		nz &= nz - 1
		run := k - last - 1
		for run > 15 {
			ac[0xF0]++
			run -= 16
		}
		s, _ := category(int32(q[k]))
		ac[run<<4|int(s)]++
		last = k
	}
	if last != 63 {
		ac[0x00]++
	}
}

// optimalSpec builds a length-limited (16-bit) Huffman table from symbol
// frequencies following T.81 K.2 (figures K.1 Code_size, K.2 Count_BITS,
// K.3 Adjust_BITS, K.4 Sort_input). freq[256] is the reserved symbol that
// keeps the all-ones code unused. Symbols with zero frequency get no code.
func optimalSpec(in *[257]int64) huffSpec {
	freq := *in
	freq[256] = 1
	var size [257]int
	var next [257]int
	for i := range next {
		next[i] = -1
	}
	for {
		// v1: least non-zero frequency, ties to the largest symbol; v2: the
		// next least, other than v1.
		v1, v2 := -1, -1
		for v := 0; v < 257; v++ {
			if f := freq[v]; f > 0 && (v1 < 0 || f <= freq[v1]) {
				v1 = v
			}
		}
		for v := 0; v < 257; v++ {
			if f := freq[v]; f > 0 && v != v1 && (v2 < 0 || f <= freq[v2]) {
				v2 = v
			}
		}
		if v2 < 0 {
			break
		}
		freq[v1] += freq[v2]
		freq[v2] = 0
		size[v1]++
		for next[v1] >= 0 {
			v1 = next[v1]
			size[v1]++
		}
		next[v1] = v2
		size[v2]++
		for next[v2] >= 0 {
			v2 = next[v2]
			size[v2]++
		}
	}
	var count [258]int
	for v := 0; v < 257; v++ {
		if size[v] > 0 {
			count[size[v]]++
		}
	}
	// Adjust_BITS: move pairs of codes longer than 16 up the tree.
	for i := 257; i > 16; i-- {
		for count[i] > 0 {
			j := i - 2
			for count[j] == 0 {
				j--
			}
			count[i] -= 2
			count[i-1]++
			count[j+1] += 2
			count[j]--
		}
	}
	i := 16
	for count[i] == 0 {
		i--
	}
	count[i]-- // drop the reserved code point
	var h huffSpec
	for l := 1; l <= 16; l++ {
		h.bits[l-1] = uint8(count[l])
	}
	// Sort_input: symbols by code size, then by value.
	for l := 1; l <= 257; l++ {
		for v := 0; v < 256; v++ {
			if size[v] == l {
				h.vals = append(h.vals, uint8(v))
			}
		}
	}
	return h
}
