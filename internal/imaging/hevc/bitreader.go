package hevc

// bitReader reads an RBSP (emulation prevention bytes already removed) most
// significant bit first, as 7.2 read_bits(n). Reading past the end yields
// zero bits and sets eof, which callers turn into errTruncated once a
// structure is parsed, so parsing code needs no error checks per field.
type bitReader struct {
	b   []byte
	pos int // bit position
	eof bool
}

func newBitReader(b []byte) *bitReader { return &bitReader{b: b} }

// u reads n (0..32) bits as an unsigned integer: u(n).
func (r *bitReader) u(n int) uint32 {
	var v uint32
	for n > 0 {
		byteIdx := r.pos >> 3
		if byteIdx >= len(r.b) {
			r.eof = true
			v <<= uint(n)
			r.pos += n
			return v
		}
		bitOff := r.pos & 7
		avail := 8 - bitOff
		take := avail
		if take > n {
			take = n
		}
		bits := uint32(r.b[byteIdx]>>uint(avail-take)) & (1<<uint(take) - 1)
		v = v<<uint(take) | bits
		r.pos += take
		n -= take
	}
	return v
}

// flag reads u(1) as a bool.
func (r *bitReader) flag() bool { return r.u(1) != 0 }

// ue reads an unsigned Exp-Golomb code: ue(v). Codes longer than 32 bits
// are invalid in HEVC; they set eof-like failure through a huge value that
// every caller's range check rejects.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for !r.flag() {
		zeros++
		if zeros > 31 || r.eof {
			r.eof = r.eof || zeros > 31
			return 1<<32 - 1
		}
	}
	if zeros == 0 {
		return 0
	}
	return (1<<uint(zeros) - 1) + r.u(zeros)
}

// se reads a signed Exp-Golomb code: se(v).
func (r *bitReader) se() int32 {
	k := r.ue()
	if k == 1<<32-1 {
		return 1<<31 - 1
	}
	if k&1 != 0 {
		return int32((k + 1) >> 1)
	}
	return -int32(k >> 1)
}

// uev reads ue(v) and checks it lies in [0, max].
func (r *bitReader) uev(max uint32, what string) (int, error) {
	v := r.ue()
	if r.eof {
		return 0, errTruncated
	}
	if v > max {
		return 0, formatErr(what + " out of range")
	}
	return int(v), nil
}

// sev reads se(v) and checks it lies in [min, max].
func (r *bitReader) sev(min, max int32, what string) (int, error) {
	v := r.se()
	if r.eof {
		return 0, errTruncated
	}
	if v < min || v > max {
		return 0, formatErr(what + " out of range")
	}
	return int(v), nil
}

func (r *bitReader) skip(n int) {
	r.pos += n
	if r.pos > len(r.b)*8 {
		r.eof = true
	}
}

func (r *bitReader) byteAligned() bool { return r.pos&7 == 0 }
