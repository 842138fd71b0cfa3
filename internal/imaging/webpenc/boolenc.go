package webpenc

import "math/bits"

// boolEncoder is the VP8 boolean entropy coder (RFC 6386 section 7). rng
// holds range−1 (127..254 after normalisation), val the low end of the
// interval with nbits+8 pending bits, and run the number of 0xFF bytes held
// back until a carry can no longer reach them.
type boolEncoder struct {
	buf   []byte
	rng   uint32
	val   uint32
	nbits int
	run   int
}

func newBoolEncoder(capacity int) *boolEncoder {
	return &boolEncoder{buf: make([]byte, 0, capacity), rng: 254, nbits: -8}
}

// putBit codes bit with probability prob/256 of being 0.
func (e *boolEncoder) putBit(bit bool, prob uint8) {
	split := (e.rng * uint32(prob)) >> 8
	if bit {
		e.val += split + 1
		e.rng -= split + 1
	} else {
		e.rng = split
	}
	if e.rng < 127 {
		// Shift until range (= rng+1) is back in [128, 255].
		shift := 7 - (bits.Len32(e.rng+1) - 1)
		e.rng = ((e.rng + 1) << shift) - 1
		e.val <<= shift
		e.nbits += shift
		if e.nbits > 0 {
			e.flush()
		}
	}
}

// putBitUniform codes bit with probability 1/2.
func (e *boolEncoder) putBitUniform(bit bool) { e.putBit(bit, 128) }

// putLiteral codes the n low bits of v, most significant first, each with
// probability 1/2 (the spec's L(n)).
func (e *boolEncoder) putLiteral(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		e.putBit(v>>uint(i)&1 != 0, 128)
	}
}

// putSigned codes a flag, then |v| in n bits and its sign, as the frame
// header's optional signed fields (section 9.3, 9.6).
func (e *boolEncoder) putSignedOpt(v int, n int) {
	if v == 0 {
		e.putBit(false, 128)
		return
	}
	e.putBit(true, 128)
	a := v
	if a < 0 {
		a = -a
	}
	e.putLiteral(uint32(a), n)
	e.putBit(v < 0, 128)
}

// flush moves the top 8 of the nbits+8 pending bits of val to buf,
// resolving carries into held-back 0xFF bytes.
func (e *boolEncoder) flush() {
	s := uint(8 + e.nbits)
	b := e.val >> s
	e.val -= b << s
	e.nbits -= 8
	if b&0xff == 0xff {
		e.run++
		return
	}
	if b&0x100 != 0 && len(e.buf) > 0 {
		e.buf[len(e.buf)-1]++
	}
	fill := byte(0xff)
	if b&0x100 != 0 {
		fill = 0
	}
	for ; e.run > 0; e.run-- {
		e.buf = append(e.buf, fill)
	}
	e.buf = append(e.buf, byte(b))
}

// finish pads the interval and returns the coded bytes.
func (e *boolEncoder) finish() []byte {
	for i := 9 - e.nbits; i > 0; i-- {
		e.putBit(false, 128)
	}
	e.nbits = 0
	e.flush()
	return e.buf
}
