package heif

// HVCC is the part of an HEVC decoder configuration record (hvcC, ISO/IEC
// 14496-15 §8.3.3) the container needs: sample format and the parameter
// set NAL units. The HEVC decoder parses the parameter sets themselves.
type HVCC struct {
	ChromaFormat   int // chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
	BitDepthLuma   int
	BitDepthChroma int
	// LengthSize is the size of the NAL unit length prefix in the item
	// data: 1, 2 or 4 bytes.
	LengthSize int
	// ParamSets are the NAL units of the record's arrays (VPS, SPS, PPS,
	// SEI), in order, without length prefixes.
	ParamSets [][]byte
}

// ParseHVCC parses an hvcC property payload.
func ParseHVCC(b []byte) (HVCC, error) {
	c := newCursor(b, "hvcC")
	if v := c.u8(); c.err == nil && v != 1 {
		return HVCC{}, formatErrf("hvcC configurationVersion %d", v)
	}
	c.take(15) // profile, tier, level, compatibility and constraint flags, segmentation, parallelism
	var h HVCC
	h.ChromaFormat = int(c.u8() & 3)
	h.BitDepthLuma = int(c.u8()&7) + 8
	h.BitDepthChroma = int(c.u8()&7) + 8
	c.u16() // avgFrameRate
	ls := int(c.u8()&3) + 1
	if ls == 3 {
		return HVCC{}, formatErr("hvcC: NAL length size 3")
	}
	h.LengthSize = ls
	arrays := int(c.u8())
	for range arrays {
		c.u8() // array_completeness, NAL_unit_type
		n := int(c.u16())
		if c.err != nil {
			return HVCC{}, c.err
		}
		if n*2 > c.remaining() {
			return HVCC{}, errTruncated("hvcC box")
		}
		for range n {
			nal := c.take(int(c.u16()))
			if c.err != nil {
				return HVCC{}, c.err
			}
			h.ParamSets = append(h.ParamSets, nal)
		}
	}
	if c.err != nil {
		return HVCC{}, c.err
	}
	return h, nil
}

// SplitNALUnits splits item data stored as length-prefixed NAL units
// (lengthSize 1, 2 or 4 bytes, big-endian) into the units, without
// copying. A length past the end of data is a *FormatError wrapping
// io.ErrUnexpectedEOF.
func SplitNALUnits(data []byte, lengthSize int) ([][]byte, error) {
	if lengthSize != 1 && lengthSize != 2 && lengthSize != 4 {
		return nil, formatErrf("NAL length size %d", lengthSize)
	}
	var out [][]byte
	c := newCursor(data, "NAL unit")
	for c.remaining() > 0 {
		var n int
		switch lengthSize {
		case 1:
			n = int(c.u8())
		case 2:
			n = int(c.u16())
		case 4:
			n = int(c.u32())
		}
		if c.err == nil && n > c.remaining() || n < 0 {
			return nil, errTruncated("NAL unit")
		}
		nal := c.take(n)
		if c.err != nil {
			return nil, c.err
		}
		if n > 0 {
			out = append(out, nal)
		}
	}
	return out, nil
}
