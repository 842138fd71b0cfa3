package hevc

// CABAC arithmetic decoding engine (9.3.4.3) and context variable
// initialisation (9.3.2.2) for I slices.
//
// The engine keeps the spec's 9-bit ivlOffset scaled by 7 bits of
// look-ahead in value (compared against range<<7), refilling a byte at a
// time. With this layout the byte position after a terminating bin equal
// to 1 is exactly the start of the next byte-aligned structure (the next
// substream, or PCM samples), so entry-point offsets are not needed.

// rangeTabLps is Table 9-52: rangeTabLps[pStateIdx][qRangeIdx].
var rangeTabLps = [64][4]uint8{
	{128, 176, 208, 240}, {128, 167, 197, 227}, {128, 158, 187, 216}, {123, 150, 178, 205},
	{116, 142, 169, 195}, {111, 135, 160, 185}, {105, 128, 152, 175}, {100, 122, 144, 166},
	{95, 116, 137, 158}, {90, 110, 130, 150}, {85, 104, 123, 142}, {81, 99, 117, 135},
	{77, 94, 111, 128}, {73, 89, 105, 122}, {69, 85, 100, 116}, {66, 80, 95, 110},
	{62, 76, 90, 104}, {59, 72, 86, 99}, {56, 69, 81, 94}, {53, 65, 77, 89},
	{51, 62, 73, 85}, {48, 59, 69, 80}, {46, 56, 66, 76}, {43, 53, 63, 72},
	{41, 50, 59, 69}, {39, 48, 56, 65}, {37, 45, 54, 62}, {35, 43, 51, 59},
	{33, 41, 48, 56}, {32, 39, 46, 53}, {30, 37, 43, 50}, {29, 35, 41, 48},
	{27, 33, 39, 45}, {26, 31, 37, 43}, {24, 30, 35, 41}, {23, 28, 33, 39},
	{22, 27, 32, 37}, {21, 26, 30, 35}, {20, 24, 29, 33}, {19, 23, 27, 31},
	{18, 22, 26, 30}, {17, 21, 25, 28}, {16, 20, 23, 27}, {15, 19, 22, 25},
	{14, 18, 21, 24}, {14, 17, 20, 23}, {13, 16, 19, 22}, {12, 15, 18, 21},
	{12, 14, 17, 20}, {11, 14, 16, 19}, {11, 13, 15, 18}, {10, 12, 15, 17},
	{10, 12, 14, 16}, {9, 11, 13, 15}, {9, 11, 12, 14}, {8, 10, 12, 14},
	{8, 9, 11, 13}, {7, 9, 11, 12}, {7, 9, 10, 12}, {7, 8, 10, 11},
	{6, 8, 9, 11}, {6, 7, 9, 10}, {6, 7, 8, 9}, {2, 2, 2, 2},
}

// transIdxLps and transIdxMps are Table 9-53.
var transIdxLps = [64]uint8{
	0, 0, 1, 2, 2, 4, 4, 5, 6, 7, 8, 9, 9, 11, 11, 12,
	13, 13, 15, 15, 16, 16, 18, 18, 19, 19, 21, 21, 22, 22, 23, 24,
	24, 25, 26, 26, 27, 27, 28, 29, 29, 30, 30, 30, 31, 32, 32, 33,
	33, 33, 34, 34, 35, 35, 35, 36, 36, 36, 37, 37, 37, 38, 38, 63,
}

var transIdxMps = [64]uint8{
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
	33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,
	49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 62, 63,
}

// renormShift[rLps>>3] is the renormalisation shift after an LPS.
var renormShift = [32]uint8{
	6, 5, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
}

// cabac is the arithmetic decoder over one slice segment's data.
type cabac struct {
	data       []byte
	pos        int
	value      uint32
	rng        uint32
	bitsNeeded int
	overrun    bool // a byte was needed past the end of data
}

// start (re)initialises the engine at byte offset pos (9.3.2.5).
func (c *cabac) start(pos int) {
	c.pos = pos
	c.rng = 510
	c.bitsNeeded = 8
	c.value = 0
	for i := 0; i < 2; i++ {
		if c.pos < len(c.data) {
			c.value = c.value<<8 | uint32(c.data[c.pos])
			c.pos++
		} else {
			c.value <<= 8
			c.overrun = true
		}
		c.bitsNeeded -= 8
	}
}

func (c *cabac) load(shift int) {
	if c.pos < len(c.data) {
		c.value |= uint32(c.data[c.pos]) << uint(shift)
		c.pos++
	} else {
		c.overrun = true
	}
}

// decodeBin decodes one context-coded bin (9.3.4.3.2). A context model is
// pStateIdx<<1 | valMps.
func (c *cabac) decodeBin(m *uint8) int {
	s := *m
	state := s >> 1
	mps := int(s & 1)
	lps := uint32(rangeTabLps[state][(c.rng>>6)&3])
	c.rng -= lps
	scaled := c.rng << 7
	if c.value < scaled {
		*m = transIdxMps[state]<<1 | uint8(mps)
		if scaled < 256<<7 {
			c.rng = scaled >> 6
			c.value <<= 1
			c.bitsNeeded++
			if c.bitsNeeded == 0 {
				c.bitsNeeded = -8
				c.load(0)
			}
		}
		return mps
	}
	c.value -= scaled
	n := renormShift[lps>>3]
	c.value <<= n
	c.rng = lps << n
	bin := 1 - mps
	if state == 0 {
		mps = 1 - mps
	}
	*m = transIdxLps[state]<<1 | uint8(mps)
	c.bitsNeeded += int(n)
	if c.bitsNeeded >= 0 {
		c.load(c.bitsNeeded)
		c.bitsNeeded -= 8
	}
	return bin
}

// decodeBypass decodes one equiprobable bin (9.3.4.3.4).
func (c *cabac) decodeBypass() int {
	c.value <<= 1
	c.bitsNeeded++
	if c.bitsNeeded >= 0 {
		c.bitsNeeded = -8
		c.load(0)
	}
	scaled := c.rng << 7
	if c.value >= scaled {
		c.value -= scaled
		return 1
	}
	return 0
}

// decodeBypassBits decodes n (<= 32) bypass bins as an unsigned integer,
// most significant first, up to 8 at a time: n bypass decodings (9.3.4.3.4)
// are a long division of the offset, shifted by n with the next input
// bits, by the scaled range, so one division gives n bins (as libde265's
// decode_CABAC_FL_bypass_parallel).
func (c *cabac) decodeBypassBits(n int) uint32 {
	var v uint32
	for n > 0 {
		k := min(n, 8)
		n -= k
		c.value <<= uint(k)
		c.bitsNeeded += k
		if c.bitsNeeded >= 0 {
			c.load(c.bitsNeeded)
			c.bitsNeeded -= 8
		}
		scaled := c.rng << 7
		q := c.value / scaled
		if q >= 1<<k {
			// Only a non-conforming stream (an offset at or above the
			// range, 9.3.2.5) gets here: every bin is 1, as one at a
			// time.
			q = 1<<k - 1
		}
		c.value -= q * scaled
		v = v<<k | q
	}
	return v
}

// decodeTerminate decodes a bin with the terminating process (9.3.4.3.5).
func (c *cabac) decodeTerminate() int {
	c.rng -= 2
	scaled := c.rng << 7
	if c.value >= scaled {
		return 1
	}
	if scaled < 256<<7 {
		c.rng = scaled >> 6
		c.value <<= 1
		c.bitsNeeded++
		if c.bitsNeeded == 0 {
			c.bitsNeeded = -8
			c.load(0)
		}
	}
	return 0
}

// Context variable offsets into ctxSet (Table 9-4), I slices only.
const (
	ctxSaoMerge         = 0
	ctxSaoType          = ctxSaoMerge + 1
	ctxSplitCu          = ctxSaoType + 1
	ctxTransquantBypass = ctxSplitCu + 3
	ctxPartMode         = ctxTransquantBypass + 1
	ctxPrevIntraLuma    = ctxPartMode + 1
	ctxIntraChroma      = ctxPrevIntraLuma + 1
	ctxSplitTransform   = ctxIntraChroma + 1
	ctxCbfLuma          = ctxSplitTransform + 3
	ctxCbfChroma        = ctxCbfLuma + 2
	ctxCuQpDeltaAbs     = ctxCbfChroma + 5
	ctxTransformSkip    = ctxCuQpDeltaAbs + 2
	ctxLastXPrefix      = ctxTransformSkip + 2
	ctxLastYPrefix      = ctxLastXPrefix + 18
	ctxCodedSubBlock    = ctxLastYPrefix + 18
	ctxSigCoeff         = ctxCodedSubBlock + 4
	ctxGreater1         = ctxSigCoeff + 44
	ctxGreater2         = ctxGreater1 + 24
	numCtx              = ctxGreater2 + 6
)

// ctxInitI holds initValue for every context of an I slice (initType 0),
// Tables 9-5 to 9-37, in ctxSet order.
var ctxInitI = [numCtx]uint8{
	153,           // sao_merge_left_flag / sao_merge_up_flag
	200,           // sao_type_idx_luma / chroma
	139, 141, 157, // split_cu_flag
	154,           // cu_transquant_bypass_flag
	184,           // part_mode
	184,           // prev_intra_luma_pred_flag
	63,            // intra_chroma_pred_mode
	153, 138, 138, // split_transform_flag
	111, 141, // cbf_luma
	94, 138, 182, 154, 154, // cbf_cb, cbf_cr
	154, 154, // cu_qp_delta_abs
	139, 139, // transform_skip_flag luma, chroma
	// last_sig_coeff_x_prefix
	110, 110, 124, 125, 140, 153, 125, 127, 140, 109, 111, 143, 127, 111, 79, 108, 123, 63,
	// last_sig_coeff_y_prefix
	110, 110, 124, 125, 140, 153, 125, 127, 140, 109, 111, 143, 127, 111, 79, 108, 123, 63,
	91, 171, 134, 141, // coded_sub_block_flag
	// sig_coeff_flag (42, then the two transform-skip contexts)
	111, 111, 125, 110, 110, 94, 124, 108, 124, 107, 125, 141, 179, 153, 125, 107,
	125, 141, 179, 153, 125, 107, 125, 141, 179, 153, 125, 140, 139, 182, 182, 152,
	136, 152, 136, 153, 136, 139, 111, 136, 139, 111, 141, 111,
	// coeff_abs_level_greater1_flag
	140, 92, 137, 138, 140, 152, 138, 139, 153, 74, 149, 92, 139, 107, 122, 152,
	140, 179, 166, 182, 140, 227, 122, 197,
	// coeff_abs_level_greater2_flag
	138, 153, 136, 167, 152, 152,
}

// initContexts sets every context for SliceQpY qp (9.3.2.2).
func initContexts(ctx *[numCtx]uint8, qp int) {
	if qp < 0 {
		qp = 0
	} else if qp > 51 {
		qp = 51
	}
	for i, iv := range ctxInitI {
		m := int(iv>>4)*5 - 45
		n := int(iv&15)<<3 - 16
		pre := (m*qp)>>4 + n
		if pre < 1 {
			pre = 1
		} else if pre > 126 {
			pre = 126
		}
		if pre <= 63 {
			ctx[i] = uint8(63-pre) << 1
		} else {
			ctx[i] = uint8(pre-64)<<1 | 1
		}
	}
}
