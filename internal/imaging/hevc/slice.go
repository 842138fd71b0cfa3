package hevc

// sliceHeader holds the slice_segment_header fields (7.3.6.1) an intra
// decoder uses. A dependent slice segment copies the fields of the slice
// it continues and overrides only its address and entry points.
type sliceHeader struct {
	firstInPic     bool
	dependent      bool
	ppsID          int
	segmentAddr    int // slice_segment_address (CtbAddrInRs)
	sliceAddr      int // SliceAddrRs: address of the slice's first segment
	sliceType      int
	saoLuma        bool
	saoChroma      bool
	qpY            int // SliceQpY
	cbQpOffset     int
	crQpOffset     int
	deblockOff     bool
	betaOffsetDiv2 int
	tcOffsetDiv2   int
	lfAcrossSlices bool
	numEntryPoints int
	// entryOffsets[k] is entry_point_offset_minus1[k] + 1: the size in
	// bytes, emulation prevention bytes included, of substream k.
	entryOffsets []int
	dataOffset   int // byte offset of slice_segment_data() in the RBSP
}

const (
	sliceB = 0
	sliceP = 1
	sliceI = 2
)

// parseSliceHeader parses slice_segment_header() from the RBSP of a slice
// segment NAL unit of type nalType. prev is the header of the previous
// independent segment of the picture (needed by dependent segments).
func (d *decoder) parseSliceHeader(rbsp []byte, nalType int, prev *sliceHeader) (*sliceHeader, *sps, *pps, error) {
	r := newBitReader(rbsp)
	sh := &sliceHeader{}
	sh.firstInPic = r.flag()
	if nalType >= nalBLAWLP && nalType <= nalRsvIRAP23 {
		r.skip(1) // no_output_of_prior_pics_flag
	}
	ppsID, err := r.uev(maxPPS-1, "slice_pic_parameter_set_id")
	if err != nil {
		return nil, nil, nil, err
	}
	p := d.ps.pps[ppsID]
	if p == nil {
		return nil, nil, nil, formatErr("slice refers to a missing PPS")
	}
	s := d.ps.sps[p.spsID]
	if s == nil {
		return nil, nil, nil, formatErr("PPS refers to a missing SPS")
	}
	if err := checkSupported(s, p); err != nil {
		return nil, nil, nil, err
	}
	sh.ppsID = ppsID
	if !sh.firstInPic {
		if p.dependentSlices {
			sh.dependent = r.flag()
		}
		n := s.picWCtb * s.picHCtb
		bits := ceilLog2(n)
		sh.segmentAddr = int(r.u(bits))
		if sh.segmentAddr >= n {
			return nil, nil, nil, formatErr("slice_segment_address out of range")
		}
	}
	if sh.dependent {
		if prev == nil {
			return nil, nil, nil, formatErr("dependent slice segment without a slice")
		}
		addr := sh.segmentAddr
		*sh = *prev
		sh.firstInPic = false
		sh.dependent = true
		sh.segmentAddr = addr
	} else {
		sh.sliceAddr = sh.segmentAddr
		r.skip(p.numExtraSliceHeaderBits)
		t, err := r.uev(2, "slice_type")
		if err != nil {
			return nil, nil, nil, err
		}
		sh.sliceType = t
		if t != sliceI {
			return nil, nil, nil, UnsupportedError("P or B slice (inter prediction)")
		}
		if p.outputFlagPresent {
			r.skip(1)
		}
		if s.separateColour {
			r.skip(2)
		}
		if nalType != nalIDRWRADL && nalType != nalIDRNLP {
			r.skip(s.log2MaxPocLsb) // slice_pic_order_cnt_lsb
			if !r.flag() {          // short_term_ref_pic_set_sps_flag
				var nd [65]int
				copy(nd[:], s.rpsNumDelta[:])
				if _, err := parseShortTermRPS(r, s.numShortTermRPS, s.numShortTermRPS, &nd); err != nil {
					return nil, nil, nil, err
				}
			} else if s.numShortTermRPS > 1 {
				r.skip(ceilLog2(s.numShortTermRPS))
			} else if s.numShortTermRPS == 0 {
				return nil, nil, nil, formatErr("short_term_ref_pic_set_sps_flag with no SPS sets")
			}
			if s.longTermPresent {
				numLtSPS := 0
				if s.numLongTermSPS > 0 {
					if numLtSPS, err = r.uev(uint32(s.numLongTermSPS), "num_long_term_sps"); err != nil {
						return nil, nil, nil, err
					}
				}
				numLtPics, err := r.uev(32, "num_long_term_pics")
				if err != nil {
					return nil, nil, nil, err
				}
				for i := 0; i < numLtSPS+numLtPics; i++ {
					if i < numLtSPS {
						if s.numLongTermSPS > 1 {
							r.skip(ceilLog2(s.numLongTermSPS))
						}
					} else {
						r.skip(s.log2MaxPocLsb + 1)
					}
					if r.flag() { // delta_poc_msb_present_flag
						r.ue()
					}
				}
			}
			if s.temporalMVP {
				r.skip(1)
			}
		}
		if s.saoEnabled {
			sh.saoLuma = r.flag()
			if s.chromaArrayType != 0 {
				sh.saoChroma = r.flag()
			}
		}
		dqp, err := r.sev(-128, 127, "slice_qp_delta")
		if err != nil {
			return nil, nil, nil, err
		}
		sh.qpY = p.initQp + dqp
		if sh.qpY < -s.qpBdOffsetY || sh.qpY > 51 {
			return nil, nil, nil, formatErr("SliceQpY out of range")
		}
		if p.sliceChromaQpOffsets {
			if sh.cbQpOffset, err = r.sev(-12, 12, "slice_cb_qp_offset"); err != nil {
				return nil, nil, nil, err
			}
			if sh.crQpOffset, err = r.sev(-12, 12, "slice_cr_qp_offset"); err != nil {
				return nil, nil, nil, err
			}
		}
		override := false
		if p.deblockOverrideEnabled {
			override = r.flag()
		}
		sh.deblockOff = p.deblockDisabled
		sh.betaOffsetDiv2, sh.tcOffsetDiv2 = p.betaOffsetDiv2, p.tcOffsetDiv2
		if override {
			sh.deblockOff = r.flag()
			if !sh.deblockOff {
				if sh.betaOffsetDiv2, err = r.sev(-6, 6, "slice_beta_offset_div2"); err != nil {
					return nil, nil, nil, err
				}
				if sh.tcOffsetDiv2, err = r.sev(-6, 6, "slice_tc_offset_div2"); err != nil {
					return nil, nil, nil, err
				}
			}
		}
		sh.lfAcrossSlices = p.loopFilterAcrossSlices
		if p.loopFilterAcrossSlices && (sh.saoLuma || sh.saoChroma || !sh.deblockOff) {
			sh.lfAcrossSlices = r.flag()
		}
	}
	sh.numEntryPoints, sh.entryOffsets = 0, nil
	if p.tilesEnabled || p.entropySync {
		n, err := r.uev(uint32(s.picWCtb*s.picHCtb), "num_entry_point_offsets")
		if err != nil {
			return nil, nil, nil, err
		}
		sh.numEntryPoints = n
		if n > 0 {
			l, err := r.uev(31, "offset_len_minus1")
			if err != nil {
				return nil, nil, nil, err
			}
			if n*(l+1) > 8*len(rbsp)-r.pos {
				return nil, nil, nil, errTruncated
			}
			sh.entryOffsets = make([]int, n)
			for i := range sh.entryOffsets {
				sh.entryOffsets[i] = int(r.u(l+1)) + 1
			}
		}
	}
	if p.sliceHeaderExtension {
		n, err := r.uev(256, "slice_segment_header_extension_length")
		if err != nil {
			return nil, nil, nil, err
		}
		r.skip(8 * n)
	}
	// byte_alignment(): one bit equal to 1, then zeros.
	if !r.flag() {
		return nil, nil, nil, formatErr("slice header alignment bit is 0")
	}
	for !r.byteAligned() {
		r.skip(1)
	}
	if r.eof {
		return nil, nil, nil, errTruncated
	}
	sh.dataOffset = r.pos >> 3
	return sh, s, p, nil
}

// ceilLog2 returns Ceil(Log2(n)) for n >= 1.
func ceilLog2(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	return b
}
