package jpeg

import "encoding/binary"

// lookBits is the Huffman lookahead width: codes up to this length decode
// with one table access, and in fastAC a code plus its magnitude bits up to
// this length give the coefficient at once. 11 bits (16 KB of tables per
// Huffman table) measured a few percent faster than 9 or 10 on 24 MP files.
const lookBits = 11

// huffTable is a decoding table built from a DHT segment (T.81 C.2 and
// F.2.2.3: BITS, HUFFVAL, MAXCODE, VALPTR, MINCODE).
type huffTable struct {
	// look maps the next lookBits bits to length<<8 | symbol; 0 means the
	// code is longer than lookBits.
	look [1 << lookBits]uint16
	// fastAC maps the next lookBits bits, for an AC table, to a whole
	// coefficient when the code and its magnitude bits fit: value<<16 |
	// run<<8 | total length; 0 means take the slow path.
	fastAC [1 << lookBits]int32
	// skipAC maps the next lookBits bits, for an AC table, to the code's
	// length plus its magnitude bits (<<8) and the symbol RS, for reading
	// past coefficients whose values are not needed; 0 = slow path.
	skipAC [1 << lookBits]uint16
	// dcFast is set when every symbol is a valid DC size (0..11): fastAC
	// then also gives a DC difference (code plus magnitude bits) at once.
	dcFast  bool
	maxCode [18]int32 // largest code of each length, -1 if none; [17] sentinel
	valPtr  [17]int32 // index in vals of the first code of each length, minus that code
	vals    [256]uint8
}

// build makes the table from BITS (counts) and HUFFVAL (vals), C.2. It
// rejects code sets that overflow their lengths (not a prefix code).
func (h *huffTable) build(counts *[16]uint8, vals []uint8) error {
	*h = huffTable{}
	copy(h.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		h.valPtr[l] = k - code
		if n == 0 {
			h.maxCode[l] = -1
		} else {
			h.maxCode[l] = code + n - 1
			if code+n > 1<<l {
				return formatErr("bad Huffman table: code overflow")
			}
			if l <= lookBits {
				for c := code; c < code+n; c++ {
					sym := uint16(vals[k+c-code])
					shift := uint(lookBits - l)
					base := c << shift
					for j := int32(0); j < 1<<shift; j++ {
						h.look[base+j] = uint16(l)<<8 | sym
					}
				}
			}
		}
		k += n
		code = (code + n) << 1
	}
	h.maxCode[17] = 0x7fffffff
	h.dcFast = true
	for _, v := range vals[:k] {
		h.dcFast = h.dcFast && v <= 11
	}
	// Fast AC entries: symbol RS with S magnitude bits after an L-bit code.
	for i := 0; i < 1<<lookBits; i++ {
		e := h.look[i]
		if e == 0 {
			continue
		}
		l, rs := int(e>>8), int(e&0xff)
		r, s := rs>>4, rs&15
		h.skipAC[i] = uint16(l+s)<<8 | uint16(rs)
		if s == 0 || l+s > lookBits {
			continue
		}
		v := int32(i>>(lookBits-l-s)) & (1<<s - 1)
		if v < 1<<(s-1) {
			v += -1<<s + 1
		}
		h.fastAC[i] = v<<16 | int32(r)<<8 | int32(l+s)
	}
	return nil
}

// bitReader reads entropy-coded data (F.2.2.5 and B.1.1.5): bytes are
// gathered MSB first into a 64-bit accumulator, 0xFF00 becomes 0xFF, and at
// a marker or at the end of data zero bytes are supplied instead, counted in
// pad so that a decode that used them can be detected (overread).
type bitReader struct {
	data []byte
	pos  int
	acc  uint64 // valid bits are the top n
	n    uint
	pad  uint // zero bits supplied after the data stopped
	stop bool // reached a marker or the end of data
}

func (br *bitReader) reset(data []byte, pos int) {
	*br = bitReader{data: data, pos: pos}
}

// overread reports whether more bits were consumed than the data holds.
func (br *bitReader) overread() bool { return br.n < br.pad }

// fill tops the accumulator up to at least 57 bits.
func (br *bitReader) fill() {
	if !br.stop && br.pos+8 <= len(br.data) {
		w := binary.BigEndian.Uint64(br.data[br.pos:])
		// Fast path: no 0xFF byte among these 8 (exact zero-byte test on ^w).
		if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			k := (64 - br.n) >> 3 // whole bytes that fit
			br.acc |= w >> br.n
			br.n += k * 8
			br.acc &^= ^uint64(0) >> br.n // drop a partial byte beyond n
			br.pos += int(k)
			return
		}
	}
	for br.n <= 56 {
		var b byte
		if !br.stop {
			if br.pos >= len(br.data) {
				br.stop = true
			} else if b = br.data[br.pos]; b != 0xff {
				br.pos++
			} else if br.pos+1 < len(br.data) && br.data[br.pos+1] == 0 {
				br.pos += 2
			} else {
				br.stop = true // a marker (or a lone 0xFF at the end)
			}
		}
		if br.stop {
			b = 0
			br.pad += 8
		}
		br.acc |= uint64(b) << (56 - br.n)
		br.n += 8
	}
}

// decode reads one Huffman-coded symbol (F.2.2.3). The caller has ensured
// n >= 16.
func (br *bitReader) decode(h *huffTable) (uint8, bool) {
	if e := h.look[br.acc>>(64-lookBits)]; e != 0 {
		l := uint(e >> 8)
		br.acc <<= l
		br.n -= l
		return uint8(e), true
	}
	for l := uint(lookBits + 1); l <= 16; l++ {
		code := int32(br.acc >> (64 - l))
		if code <= h.maxCode[l] {
			br.acc <<= l
			br.n -= l
			return h.vals[(h.valPtr[l]+code)&0xff], true
		}
	}
	return 0, false
}

// receiveExtend reads s magnitude bits and sign-extends them (F.2.2.1,
// Figure F.12). The caller has ensured n >= s; s <= 16.
func (br *bitReader) receiveExtend(s uint8) int32 {
	if s == 0 {
		return 0
	}
	v := int32(br.acc >> (64 - uint(s)))
	br.acc <<= s
	br.n -= uint(s)
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// bits reads s raw bits, s <= 16.
func (br *bitReader) bits(s uint) int32 {
	if s == 0 {
		return 0
	}
	if br.n < s {
		br.fill()
	}
	v := int32(br.acc >> (64 - s))
	br.acc <<= s
	br.n -= s
	return v
}

// bit reads one bit.
func (br *bitReader) bit() bool {
	if br.n < 1 {
		br.fill()
	}
	v := br.acc>>63 != 0
	br.acc <<= 1
	br.n--
	return v
}
