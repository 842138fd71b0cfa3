package hevc

import "encoding/binary"

// NAL unit types (7.4.2.2, Table 7-1) used by the decoder. Types 0..9
// are non-IRAP slice segments, 16..21 IRAP ones (BLA, IDR, CRA); the
// reserved VCL types and all other non-VCL types are skipped.
const (
	nalBLAWLP     = 16
	nalIDRWRADL   = 19
	nalIDRNLP     = 20
	nalCRA        = 21
	nalRsvIRAP23  = 23
	nalVPS        = 32
	nalSPS        = 33
	nalPPS        = 34
	nalHeaderSize = 2
)

// nalHeader is the two-byte NAL unit header (7.3.1.2).
type nalHeader struct {
	typ        int
	layerID    int
	temporalID int
}

func parseNALHeader(n []byte) (nalHeader, error) {
	if len(n) < nalHeaderSize {
		return nalHeader{}, errTruncated
	}
	if n[0]&0x80 != 0 {
		return nalHeader{}, formatErr("forbidden_zero_bit set")
	}
	h := nalHeader{
		typ:     int(n[0]>>1) & 0x3f,
		layerID: int(n[0]&1)<<5 | int(n[1]>>3),
	}
	tid := int(n[1] & 7)
	if tid == 0 {
		return nalHeader{}, formatErr("nuh_temporal_id_plus1 is 0")
	}
	h.temporalID = tid - 1
	return h, nil
}

// unescapeRBSP returns the RBSP of a NAL unit payload: every
// emulation_prevention_three_byte (a 0x03 after two zero bytes) removed
// (7.4.2). The input is not modified; when there is nothing to remove it
// is returned as is.
func unescapeRBSP(b []byte) []byte {
	out, _ := unescapeRBSPPos(b, false)
	return out
}

// unescapeRBSPPos is unescapeRBSP that also returns, when withPos is set,
// the positions in b of the bytes it removed, in increasing order (slice
// data entry points count them, 7.4.7.1).
func unescapeRBSPPos(b []byte, withPos bool) ([]byte, []int) {
	i := 0
	zeros := 0
	for ; i < len(b); i++ {
		if zeros >= 2 && b[i] == 3 {
			break
		}
		if b[i] == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	if i == len(b) {
		return b, nil
	}
	var pos []int
	out := make([]byte, 0, len(b))
	out = append(out, b[:i]...)
	zeros = 2 // b[i] is the first emulation prevention byte
	for ; i < len(b); i++ {
		c := b[i]
		if zeros >= 2 && c == 3 {
			zeros = 0
			if withPos {
				pos = append(pos, i)
			}
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out, pos
}

// SplitAnnexB splits an Annex B byte stream into NAL units (start codes
// 0x000001 or 0x00000001 removed, trailing zero bytes dropped). Bytes before
// the first start code are ignored.
func SplitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = appendNAL(out, b[start:i])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 {
		out = appendNAL(out, b[start:])
	}
	return out
}

func appendNAL(out [][]byte, n []byte) [][]byte {
	for len(n) > 0 && n[len(n)-1] == 0 {
		n = n[:len(n)-1]
	}
	if len(n) > 0 {
		out = append(out, n)
	}
	return out
}

// SplitLengthPrefixed splits ISO/IEC 14496-15 sample data: NAL units each
// preceded by a big-endian length of lengthSize (1, 2 or 4) bytes.
func SplitLengthPrefixed(b []byte, lengthSize int) ([][]byte, error) {
	if lengthSize != 1 && lengthSize != 2 && lengthSize != 4 {
		return nil, formatErr("NAL unit length size not 1, 2 or 4")
	}
	var out [][]byte
	for len(b) > 0 {
		if len(b) < lengthSize {
			return nil, errTruncated
		}
		var n uint64
		for _, c := range b[:lengthSize] {
			n = n<<8 | uint64(c)
		}
		b = b[lengthSize:]
		if n > uint64(len(b)) {
			return nil, errTruncated
		}
		if n > 0 {
			out = append(out, b[:n])
		}
		b = b[n:]
	}
	return out, nil
}

// HvcC is a parsed HEVCDecoderConfigurationRecord (ISO/IEC 14496-15
// 8.3.3.1), the hvcC box payload of an HEIF item or MP4 track.
type HvcC struct {
	ProfileIDC     int
	LevelIDC       int
	ChromaFormat   int
	BitDepthLuma   int
	BitDepthChroma int
	// LengthSize is the size in bytes of the NAL unit length prefixes in
	// the sample (item) data: 1, 2 or 4.
	LengthSize int
	// ParamSets holds the NAL units of the record's arrays (VPS, SPS, PPS
	// and any SEI) in record order.
	ParamSets [][]byte
}

// ParseHvcC parses an hvcC box payload.
func ParseHvcC(b []byte) (*HvcC, error) {
	if len(b) < 23 {
		return nil, errTruncated
	}
	if b[0] != 1 {
		return nil, UnsupportedError("hvcC configurationVersion " + itoa(int(b[0])))
	}
	c := &HvcC{
		ProfileIDC:     int(b[1] & 0x1f),
		LevelIDC:       int(b[12]),
		ChromaFormat:   int(b[16] & 3),
		BitDepthLuma:   int(b[17]&7) + 8,
		BitDepthChroma: int(b[18]&7) + 8,
		LengthSize:     int(b[21]&3) + 1,
	}
	if c.LengthSize == 3 {
		return nil, formatErr("hvcC lengthSizeMinusOne is 2")
	}
	nArrays := int(b[22])
	p := b[23:]
	for i := 0; i < nArrays; i++ {
		if len(p) < 3 {
			return nil, errTruncated
		}
		nNalus := int(binary.BigEndian.Uint16(p[1:3]))
		p = p[3:]
		for j := 0; j < nNalus; j++ {
			if len(p) < 2 {
				return nil, errTruncated
			}
			n := int(binary.BigEndian.Uint16(p))
			p = p[2:]
			if n > len(p) {
				return nil, errTruncated
			}
			if n > 0 {
				c.ParamSets = append(c.ParamSets, p[:n])
			}
			p = p[n:]
		}
	}
	return c, nil
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var buf [20]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
