package heif

import (
	"encoding/binary"
	"io"
)

// cursor reads big-endian fields from a box payload held in memory. The
// first read past the end sets err (a truncation FormatError naming the
// box) and every later read returns zero, so parsers check err once, at
// the end of a structure or before they use a count.
type cursor struct {
	b   []byte
	box string // box type, for the error message
	err error
}

func newCursor(b []byte, box string) *cursor { return &cursor{b: b, box: box} }

func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b) {
		c.err = errTruncated(c.box + " box")
		c.b = nil
		return nil
	}
	p := c.b[:n]
	c.b = c.b[n:]
	return p
}

func (c *cursor) u8() uint8 {
	if p := c.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (c *cursor) u16() uint16 {
	if p := c.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (c *cursor) u32() uint32 {
	if p := c.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (c *cursor) u64() uint64 {
	if p := c.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

// uintN reads an unsigned field of n bytes, n in {0, 2, 4, 8} (0 reads
// nothing and yields 0, as iloc's size fields allow).
func (c *cursor) uintN(n int) uint64 {
	switch n {
	case 0:
		return 0
	case 2:
		return uint64(c.u16())
	case 4:
		return uint64(c.u32())
	case 8:
		return c.u64()
	}
	c.fail("field size")
	return 0
}

func (c *cursor) fourCC() string {
	if p := c.take(4); p != nil {
		return string(p)
	}
	return ""
}

// cstring reads a NUL-terminated UTF-8 string. A string that runs to the
// end of the box without its NUL is accepted (some writers omit it).
func (c *cursor) cstring() string {
	if c.err != nil {
		return ""
	}
	for i, ch := range c.b {
		if ch == 0 {
			s := string(c.b[:i])
			c.b = c.b[i+1:]
			return s
		}
	}
	s := string(c.b)
	c.b = nil
	return s
}

// fullBox reads the version and flags of a FullBox (ISO/IEC 14496-12 §4.2).
func (c *cursor) fullBox() (version uint8, flags uint32) {
	v := c.u32()
	return uint8(v >> 24), v & 0xffffff
}

func (c *cursor) fail(reason string) {
	if c.err == nil {
		c.err = formatErr(c.box + ": " + reason)
	}
	c.b = nil
}

// remaining is the number of unread bytes.
func (c *cursor) remaining() int { return len(c.b) }

// box is one box of a payload held in memory: its type and its payload
// (after the size, type, largesize and usertype fields).
type box struct {
	typ     string
	payload []byte
}

// boxHeader parses the header of a box at the start of b, whose enclosing
// container has avail bytes from the box's first byte (avail may exceed
// len(b) when only the header has been read). It returns the type, the
// header length and the total box size (ISO/IEC 14496-12 §4.2: size 1 means
// a 64-bit largesize follows, size 0 means the box runs to the end of its
// container; type "uuid" carries a 16-byte usertype).
func boxHeader(b []byte, avail uint64) (typ string, hdr int, size uint64, err error) {
	if len(b) < 8 {
		return "", 0, 0, errTruncated("box header")
	}
	size = uint64(binary.BigEndian.Uint32(b))
	typ = string(b[4:8])
	hdr = 8
	switch size {
	case 0:
		size = avail
	case 1:
		if len(b) < 16 {
			return "", 0, 0, errTruncated("box largesize")
		}
		size = binary.BigEndian.Uint64(b[8:16])
		hdr = 16
	}
	if typ == "uuid" {
		hdr += 16
	}
	if size < uint64(hdr) {
		return "", 0, 0, formatErrf("box %q has size %d, smaller than its header", printable(typ), size)
	}
	if size > avail {
		return "", 0, 0, &FormatError{Reason: "box " + printable(typ) + " extends past the end of its container", Err: io.ErrUnexpectedEOF}
	}
	if len(b) < hdr {
		return "", 0, 0, errTruncated("box header")
	}
	return typ, hdr, size, nil
}

// boxes splits a payload held in memory into its child boxes. At most max
// boxes are returned; more is a *LimitError.
func boxes(b []byte, max int) ([]box, error) {
	var out []box
	for len(b) > 0 {
		typ, hdr, size, err := boxHeader(b, uint64(len(b)))
		if err != nil {
			return nil, err
		}
		if len(out) == max {
			return nil, &LimitError{What: "boxes", Value: int64(max) + 1, Limit: int64(max)}
		}
		out = append(out, box{typ: typ, payload: b[hdr:size]})
		b = b[size:]
	}
	return out, nil
}

// printable replaces bytes outside printable ASCII in a four-character code.
func printable(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c < 0x20 || c > 0x7e {
			out[i] = '?'
		}
	}
	return string(out)
}
