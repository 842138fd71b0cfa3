package hevc

// Parameter sets: 7.3.2.2 SPS, 7.3.2.3 PPS, 7.3.3 profile_tier_level,
// 7.3.4 scaling_list_data, 7.3.7 st_ref_pic_set and E.2.1 VUI. The VPS
// carries nothing an intra decoder needs and is ignored.

const (
	maxSPS = 16
	maxPPS = 64
)

// sps holds the fields of a sequence parameter set the decoder uses, with
// the derived variables of 7.4.3.2.
type sps struct {
	id                   int
	chromaFormat         int // chroma_format_idc
	separateColour       bool
	width, height        int    // pic_{width,height}_in_luma_samples
	confWin              [4]int // left, right, top, bottom in luma samples
	bitDepthY            int
	bitDepthC            int
	log2MaxPocLsb        int
	log2MinCb, log2Ctb   int
	log2MinTb, log2MaxTb int
	maxTrDepthIntra      int
	scalingEnabled       bool
	scaling              *scalingList // nil when disabled; defaults when no data
	ampEnabled           bool
	saoEnabled           bool
	pcmEnabled           bool
	pcmBitDepthY         int
	pcmBitDepthC         int
	log2MinPcm           int
	log2MaxPcm           int
	pcmLoopFilterOff     bool
	numShortTermRPS      int
	rpsNumDelta          [65]int // NumDeltaPocs per st_ref_pic_set
	longTermPresent      bool
	numLongTermSPS       int
	temporalMVP          bool
	strongIntraSmooth    bool
	unsupported          string // range or other extension tool in use

	fullRange                 bool
	colourPrimaries, transfer int
	matrixCoeffs              int

	// Derived.
	subW, subH       int // SubWidthC, SubHeightC (1 for 4:0:0)
	chromaArrayType  int
	ctbSize          int
	picWCtb, picHCtb int // PicWidthInCtbsY, PicHeightInCtbsY
	qpBdOffsetY      int
	qpBdOffsetC      int
}

// pps holds the fields of a picture parameter set (7.3.2.3).
type pps struct {
	id, spsID                int
	dependentSlices          bool
	outputFlagPresent        bool
	numExtraSliceHeaderBits  int
	signHiding               bool
	cabacInitPresent         bool
	initQp                   int // 26 + init_qp_minus26
	constrainedIntra         bool
	transformSkip            bool
	cuQpDeltaEnabled         bool
	diffCuQpDeltaDepth       int
	cbQpOffset, crQpOffset   int
	sliceChromaQpOffsets     bool
	transquantBypass         bool
	tilesEnabled             bool
	entropySync              bool
	numTileCols, numTileRows int
	uniformSpacing           bool
	colWidth, rowHeight      []int // minus1 + 1, explicit spacing only
	loopFilterAcrossTiles    bool
	loopFilterAcrossSlices   bool
	deblockOverrideEnabled   bool
	deblockDisabled          bool
	betaOffsetDiv2           int
	tcOffsetDiv2             int
	scaling                  *scalingList // nil when the PPS has none
	listsModification        bool
	sliceHeaderExtension     bool
	unsupported              string
}

// scalingList holds ScalingList[sizeId][matrixId][i] (7.4.5) in up-right
// diagonal order and the DC coefficients of the 16x16 and 32x32 lists.
type scalingList struct {
	list [4][6][64]uint8
	dc   [4][6]uint8
}

// Default scaling lists, Table 7-6 (sizeId 1..3), in diagonal scan order.
var (
	defaultScalingIntra = [64]uint8{
		16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 17, 16, 17, 16, 17, 18,
		17, 18, 18, 17, 18, 21, 19, 20, 21, 20, 19, 21, 24, 22, 22, 24,
		24, 22, 22, 24, 25, 25, 27, 30, 27, 25, 25, 29, 31, 35, 35, 31,
		29, 36, 41, 44, 41, 36, 47, 54, 54, 47, 65, 70, 65, 88, 88, 115,
	}
	defaultScalingInter = [64]uint8{
		16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 18,
		18, 18, 18, 18, 18, 20, 20, 20, 20, 20, 20, 20, 24, 24, 24, 24,
		24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 28, 28, 28, 28, 28,
		28, 33, 33, 33, 33, 33, 41, 41, 41, 41, 54, 54, 54, 71, 71, 91,
	}
)

func defaultList(sizeID, matrixID int) [64]uint8 {
	var l [64]uint8
	switch {
	case sizeID == 0:
		for i := range l {
			l[i] = 16
		}
	case matrixID < 3:
		l = defaultScalingIntra
	default:
		l = defaultScalingInter
	}
	return l
}

func newDefaultScalingList() *scalingList {
	sl := &scalingList{}
	for s := 0; s < 4; s++ {
		for m := 0; m < 6; m++ {
			sl.list[s][m] = defaultList(s, m)
			sl.dc[s][m] = 16
		}
	}
	return sl
}

// parseScalingList reads scaling_list_data() (7.3.4).
func parseScalingList(r *bitReader) (*scalingList, error) {
	sl := &scalingList{}
	for sizeID := 0; sizeID < 4; sizeID++ {
		step := 1
		if sizeID == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			if !r.flag() { // scaling_list_pred_mode_flag
				delta, err := r.uev(uint32(m/step), "scaling_list_pred_matrix_id_delta")
				if err != nil {
					return nil, err
				}
				if delta == 0 {
					sl.list[sizeID][m] = defaultList(sizeID, m)
					sl.dc[sizeID][m] = 16
				} else {
					ref := m - delta*step
					sl.list[sizeID][m] = sl.list[sizeID][ref]
					sl.dc[sizeID][m] = sl.dc[sizeID][ref]
				}
				continue
			}
			next := 8
			n := 64
			if sizeID == 0 {
				n = 16
			}
			if sizeID > 1 {
				dc, err := r.sev(-7, 247, "scaling_list_dc_coef_minus8")
				if err != nil {
					return nil, err
				}
				next = dc + 8
				sl.dc[sizeID][m] = uint8(next)
			}
			for i := 0; i < n; i++ {
				d, err := r.sev(-128, 127, "scaling_list_delta_coef")
				if err != nil {
					return nil, err
				}
				next = (next + d + 256) % 256
				if next == 0 {
					return nil, formatErr("scaling list coefficient 0")
				}
				sl.list[sizeID][m][i] = uint8(next)
			}
			if sizeID <= 1 {
				sl.dc[sizeID][m] = sl.list[sizeID][m][0]
			}
		}
	}
	// 32x32 chroma lists (used only with ChromaArrayType 3) follow the
	// 16x16 ones (7.4.5).
	for _, m := range []int{1, 2, 4, 5} {
		sl.list[3][m] = sl.list[2][m]
		sl.dc[3][m] = sl.dc[2][m]
	}
	return sl, r.errIfEOF()
}

func (r *bitReader) errIfEOF() error {
	if r.eof {
		return errTruncated
	}
	return nil
}

// parsePTL skips profile_tier_level(1, maxSubLayersMinus1) (7.3.3).
func parsePTL(r *bitReader, maxSubLayersMinus1 int) {
	r.skip(88) // general profile space .. general_inbld/reserved flag
	r.skip(8)  // general_level_idc
	var profPresent, levelPresent [8]bool
	for i := 0; i < maxSubLayersMinus1; i++ {
		profPresent[i] = r.flag()
		levelPresent[i] = r.flag()
	}
	if maxSubLayersMinus1 > 0 {
		for i := maxSubLayersMinus1; i < 8; i++ {
			r.skip(2)
		}
	}
	for i := 0; i < maxSubLayersMinus1; i++ {
		if profPresent[i] {
			r.skip(88)
		}
		if levelPresent[i] {
			r.skip(8)
		}
	}
}

// parseSPS parses a seq_parameter_set_rbsp (7.3.2.2).
func parseSPS(rbsp []byte) (*sps, error) {
	r := newBitReader(rbsp)
	s := &sps{colourPrimaries: 2, transfer: 2, matrixCoeffs: 2}
	r.skip(4) // sps_video_parameter_set_id
	maxSubLayersMinus1 := int(r.u(3))
	if maxSubLayersMinus1 > 6 {
		return nil, formatErr("sps_max_sub_layers_minus1 > 6")
	}
	r.skip(1) // sps_temporal_id_nesting_flag
	parsePTL(r, maxSubLayersMinus1)
	var err error
	if s.id, err = r.uev(maxSPS-1, "sps_seq_parameter_set_id"); err != nil {
		return nil, err
	}
	if s.chromaFormat, err = r.uev(3, "chroma_format_idc"); err != nil {
		return nil, err
	}
	if s.chromaFormat == 3 {
		s.separateColour = r.flag()
	}
	if s.width, err = r.uev(1<<16, "pic_width_in_luma_samples"); err != nil {
		return nil, err
	}
	if s.height, err = r.uev(1<<16, "pic_height_in_luma_samples"); err != nil {
		return nil, err
	}
	s.subW, s.subH = 1, 1
	switch s.chromaFormat {
	case 1:
		s.subW, s.subH = 2, 2
	case 2:
		s.subW = 2
	}
	s.chromaArrayType = s.chromaFormat
	if s.separateColour {
		s.chromaArrayType = 0
	}
	if r.flag() { // conformance_window_flag
		for i := 0; i < 4; i++ {
			v, err := r.uev(1<<16, "conformance window offset")
			if err != nil {
				return nil, err
			}
			if i < 2 {
				v *= s.subW
			} else {
				v *= s.subH
			}
			s.confWin[i] = v
		}
		if s.confWin[0]+s.confWin[1] >= s.width || s.confWin[2]+s.confWin[3] >= s.height {
			return nil, formatErr("conformance window is empty")
		}
	}
	bdY, err := r.uev(8, "bit_depth_luma_minus8")
	if err != nil {
		return nil, err
	}
	bdC, err := r.uev(8, "bit_depth_chroma_minus8")
	if err != nil {
		return nil, err
	}
	s.bitDepthY, s.bitDepthC = bdY+8, bdC+8
	s.qpBdOffsetY, s.qpBdOffsetC = 6*bdY, 6*bdC
	lsb, err := r.uev(12, "log2_max_pic_order_cnt_lsb_minus4")
	if err != nil {
		return nil, err
	}
	s.log2MaxPocLsb = lsb + 4
	subLayerOrdering := r.flag()
	first := maxSubLayersMinus1
	if subLayerOrdering {
		first = 0
	}
	for i := first; i <= maxSubLayersMinus1; i++ {
		for j := 0; j < 3; j++ {
			if _, err := r.uev(1<<31, "sps dpb size"); err != nil {
				return nil, err
			}
		}
	}
	minCb, err := r.uev(3, "log2_min_luma_coding_block_size_minus3")
	if err != nil {
		return nil, err
	}
	s.log2MinCb = minCb + 3
	diffCb, err := r.uev(3, "log2_diff_max_min_luma_coding_block_size")
	if err != nil {
		return nil, err
	}
	s.log2Ctb = s.log2MinCb + diffCb
	if s.log2Ctb < 4 || s.log2Ctb > 6 {
		return nil, formatErr("CTB size not 16, 32 or 64")
	}
	minTb, err := r.uev(3, "log2_min_luma_transform_block_size_minus2")
	if err != nil {
		return nil, err
	}
	s.log2MinTb = minTb + 2
	if s.log2MinTb >= s.log2MinCb {
		return nil, formatErr("minimum transform size not below minimum CB size")
	}
	diffTb, err := r.uev(3, "log2_diff_max_min_luma_transform_block_size")
	if err != nil {
		return nil, err
	}
	s.log2MaxTb = s.log2MinTb + diffTb
	if s.log2MaxTb > 5 || s.log2MaxTb > s.log2Ctb {
		return nil, formatErr("maximum transform size too large")
	}
	if _, err := r.uev(uint32(s.log2Ctb-s.log2MinTb), "max_transform_hierarchy_depth_inter"); err != nil {
		return nil, err
	}
	if s.maxTrDepthIntra, err = r.uev(uint32(s.log2Ctb-s.log2MinTb), "max_transform_hierarchy_depth_intra"); err != nil {
		return nil, err
	}
	if s.width == 0 || s.height == 0 || s.width%(1<<s.log2MinCb) != 0 || s.height%(1<<s.log2MinCb) != 0 {
		return nil, formatErr("picture size not a positive multiple of the minimum CB size")
	}
	s.scalingEnabled = r.flag()
	if s.scalingEnabled {
		if r.flag() { // sps_scaling_list_data_present_flag
			if s.scaling, err = parseScalingList(r); err != nil {
				return nil, err
			}
		} else {
			s.scaling = newDefaultScalingList()
		}
	}
	s.ampEnabled = r.flag()
	s.saoEnabled = r.flag()
	s.pcmEnabled = r.flag()
	if s.pcmEnabled {
		s.pcmBitDepthY = int(r.u(4)) + 1
		s.pcmBitDepthC = int(r.u(4)) + 1
		if s.pcmBitDepthY > s.bitDepthY || s.pcmBitDepthC > s.bitDepthC {
			return nil, formatErr("PCM bit depth above sample bit depth")
		}
		minPcm, err := r.uev(2, "log2_min_pcm_luma_coding_block_size_minus3")
		if err != nil {
			return nil, err
		}
		s.log2MinPcm = minPcm + 3
		diffPcm, err := r.uev(2, "log2_diff_max_min_pcm_luma_coding_block_size")
		if err != nil {
			return nil, err
		}
		s.log2MaxPcm = s.log2MinPcm + diffPcm
		if s.log2MaxPcm > 5 || s.log2MaxPcm > s.log2Ctb {
			return nil, formatErr("PCM block size too large")
		}
		s.pcmLoopFilterOff = r.flag()
	}
	if s.numShortTermRPS, err = r.uev(64, "num_short_term_ref_pic_sets"); err != nil {
		return nil, err
	}
	for i := 0; i < s.numShortTermRPS; i++ {
		if err := s.parseShortTermRPS(r, i); err != nil {
			return nil, err
		}
	}
	s.longTermPresent = r.flag()
	if s.longTermPresent {
		if s.numLongTermSPS, err = r.uev(32, "num_long_term_ref_pics_sps"); err != nil {
			return nil, err
		}
		for i := 0; i < s.numLongTermSPS; i++ {
			r.skip(s.log2MaxPocLsb + 1)
		}
	}
	s.temporalMVP = r.flag()
	s.strongIntraSmooth = r.flag()
	if r.flag() { // vui_parameters_present_flag
		if err := s.parseVUI(r, maxSubLayersMinus1); err != nil {
			return nil, err
		}
	}
	if r.flag() { // sps_extension_present_flag
		rangeExt := r.flag()
		multilayer := r.flag()
		ext3D := r.flag()
		scc := r.flag()
		r.skip(4)
		if rangeExt {
			names := [...]string{"transform skip rotation", "transform skip context", "implicit RDPCM",
				"explicit RDPCM", "extended precision", "intra smoothing disabled",
				"high precision offsets", "persistent Rice adaptation", "CABAC bypass alignment"}
			for _, n := range names {
				if r.flag() && s.unsupported == "" {
					s.unsupported = n
				}
			}
		}
		if (multilayer || ext3D || scc) && s.unsupported == "" {
			s.unsupported = "SPS multilayer, 3D or SCC extension"
		}
	}
	if r.eof {
		return nil, errTruncated
	}
	s.ctbSize = 1 << s.log2Ctb
	s.picWCtb = (s.width + s.ctbSize - 1) >> s.log2Ctb
	s.picHCtb = (s.height + s.ctbSize - 1) >> s.log2Ctb
	return s, nil
}

// parseShortTermRPS reads st_ref_pic_set(idx) (7.3.7) and records its
// NumDeltaPocs; the decoder needs nothing else from it.
func (s *sps) parseShortTermRPS(r *bitReader, idx int) error {
	n, err := parseShortTermRPS(r, idx, s.numShortTermRPS, &s.rpsNumDelta)
	if err != nil {
		return err
	}
	s.rpsNumDelta[idx] = n
	return nil
}

func parseShortTermRPS(r *bitReader, idx, numSets int, numDelta *[65]int) (int, error) {
	inter := false
	if idx != 0 {
		inter = r.flag()
	}
	if inter {
		deltaIdx := 1
		if idx == numSets {
			d, err := r.uev(uint32(idx-1), "delta_idx_minus1")
			if err != nil {
				return 0, err
			}
			deltaIdx = d + 1
		}
		ref := idx - deltaIdx
		r.skip(1) // delta_rps_sign
		if _, err := r.uev(1<<15-1, "abs_delta_rps_minus1"); err != nil {
			return 0, err
		}
		n := 0
		for j := 0; j <= numDelta[ref]; j++ {
			used := r.flag()
			useDelta := true
			if !used {
				useDelta = r.flag()
			}
			if used || useDelta {
				n++
			}
		}
		if n > 32 {
			return 0, formatErr("st_ref_pic_set has too many pictures")
		}
		return n, r.errIfEOF()
	}
	neg, err := r.uev(16, "num_negative_pics")
	if err != nil {
		return 0, err
	}
	pos, err := r.uev(16, "num_positive_pics")
	if err != nil {
		return 0, err
	}
	for i := 0; i < neg+pos; i++ {
		if _, err := r.uev(1<<15-1, "delta_poc_minus1"); err != nil {
			return 0, err
		}
		r.skip(1)
	}
	return neg + pos, r.errIfEOF()
}

// parseVUI reads vui_parameters() (E.2.1), keeping the colour description.
func (s *sps) parseVUI(r *bitReader, maxSubLayersMinus1 int) error {
	if r.flag() { // aspect_ratio_info_present_flag
		if r.u(8) == 255 {
			r.skip(32)
		}
	}
	if r.flag() { // overscan_info_present_flag
		r.skip(1)
	}
	if r.flag() { // video_signal_type_present_flag
		r.skip(3)
		s.fullRange = r.flag()
		if r.flag() {
			s.colourPrimaries = int(r.u(8))
			s.transfer = int(r.u(8))
			s.matrixCoeffs = int(r.u(8))
		}
	}
	if r.flag() { // chroma_loc_info_present_flag
		r.ue()
		r.ue()
	}
	r.skip(3)     // neutral_chroma_indication, field_seq, frame_field_info_present
	if r.flag() { // default_display_window_flag
		for i := 0; i < 4; i++ {
			r.ue()
		}
	}
	if r.flag() { // vui_timing_info_present_flag
		r.skip(64)
		if r.flag() {
			r.ue()
		}
		if r.flag() { // vui_hrd_parameters_present_flag
			if err := parseHRD(r, true, maxSubLayersMinus1); err != nil {
				return err
			}
		}
	}
	if r.flag() { // bitstream_restriction_flag
		r.skip(3)
		for i := 0; i < 5; i++ {
			r.ue()
		}
	}
	return r.errIfEOF()
}

// parseHRD skips hrd_parameters() (E.2.2).
func parseHRD(r *bitReader, common bool, maxSubLayersMinus1 int) error {
	nal, vcl, subPic := false, false, false
	if common {
		nal = r.flag()
		vcl = r.flag()
		if nal || vcl {
			subPic = r.flag()
			if subPic {
				r.skip(8 + 5 + 1 + 5)
			}
			r.skip(8)
			if subPic {
				r.skip(4)
			}
			r.skip(15)
		}
	}
	for i := 0; i <= maxSubLayersMinus1; i++ {
		fixedWithin := true
		if !r.flag() { // fixed_pic_rate_general_flag
			fixedWithin = r.flag()
		}
		lowDelay := false
		if fixedWithin {
			r.ue()
		} else {
			lowDelay = r.flag()
		}
		cpbCnt := 1
		if !lowDelay {
			c, err := r.uev(31, "cpb_cnt_minus1")
			if err != nil {
				return err
			}
			cpbCnt = c + 1
		}
		for k := 0; k < 2; k++ {
			if (k == 0 && !nal) || (k == 1 && !vcl) {
				continue
			}
			for j := 0; j < cpbCnt; j++ {
				r.ue()
				r.ue()
				if subPic {
					r.ue()
					r.ue()
				}
				r.skip(1)
			}
		}
		if r.eof {
			return errTruncated
		}
	}
	return nil
}

// parsePPS parses a pic_parameter_set_rbsp (7.3.2.3).
func parsePPS(rbsp []byte) (*pps, error) {
	r := newBitReader(rbsp)
	p := &pps{}
	var err error
	if p.id, err = r.uev(maxPPS-1, "pps_pic_parameter_set_id"); err != nil {
		return nil, err
	}
	if p.spsID, err = r.uev(maxSPS-1, "pps_seq_parameter_set_id"); err != nil {
		return nil, err
	}
	p.dependentSlices = r.flag()
	p.outputFlagPresent = r.flag()
	p.numExtraSliceHeaderBits = int(r.u(3))
	p.signHiding = r.flag()
	p.cabacInitPresent = r.flag()
	r.ue() // num_ref_idx_l0_default_active_minus1
	r.ue() // num_ref_idx_l1_default_active_minus1
	qp, err := r.sev(-26-6*8, 25, "init_qp_minus26")
	if err != nil {
		return nil, err
	}
	p.initQp = 26 + qp
	p.constrainedIntra = r.flag()
	p.transformSkip = r.flag()
	p.cuQpDeltaEnabled = r.flag()
	if p.cuQpDeltaEnabled {
		if p.diffCuQpDeltaDepth, err = r.uev(3, "diff_cu_qp_delta_depth"); err != nil {
			return nil, err
		}
	}
	if p.cbQpOffset, err = r.sev(-12, 12, "pps_cb_qp_offset"); err != nil {
		return nil, err
	}
	if p.crQpOffset, err = r.sev(-12, 12, "pps_cr_qp_offset"); err != nil {
		return nil, err
	}
	p.sliceChromaQpOffsets = r.flag()
	r.skip(2) // weighted_pred_flag, weighted_bipred_flag
	p.transquantBypass = r.flag()
	p.tilesEnabled = r.flag()
	p.entropySync = r.flag()
	p.numTileCols, p.numTileRows = 1, 1
	p.uniformSpacing = true
	if p.tilesEnabled {
		c, err := r.uev(1<<10, "num_tile_columns_minus1")
		if err != nil {
			return nil, err
		}
		rr, err := r.uev(1<<10, "num_tile_rows_minus1")
		if err != nil {
			return nil, err
		}
		p.numTileCols, p.numTileRows = c+1, rr+1
		p.uniformSpacing = r.flag()
		if !p.uniformSpacing {
			p.colWidth = make([]int, p.numTileCols)
			p.rowHeight = make([]int, p.numTileRows)
			for i := 0; i < p.numTileCols-1; i++ {
				v, err := r.uev(1<<12, "column_width_minus1")
				if err != nil {
					return nil, err
				}
				p.colWidth[i] = v + 1
			}
			for i := 0; i < p.numTileRows-1; i++ {
				v, err := r.uev(1<<12, "row_height_minus1")
				if err != nil {
					return nil, err
				}
				p.rowHeight[i] = v + 1
			}
		}
		p.loopFilterAcrossTiles = r.flag()
	}
	p.loopFilterAcrossSlices = r.flag()
	if r.flag() { // deblocking_filter_control_present_flag
		p.deblockOverrideEnabled = r.flag()
		p.deblockDisabled = r.flag()
		if !p.deblockDisabled {
			if p.betaOffsetDiv2, err = r.sev(-6, 6, "pps_beta_offset_div2"); err != nil {
				return nil, err
			}
			if p.tcOffsetDiv2, err = r.sev(-6, 6, "pps_tc_offset_div2"); err != nil {
				return nil, err
			}
		}
	}
	if r.flag() { // pps_scaling_list_data_present_flag
		if p.scaling, err = parseScalingList(r); err != nil {
			return nil, err
		}
	}
	p.listsModification = r.flag()
	r.ue() // log2_parallel_merge_level_minus2
	p.sliceHeaderExtension = r.flag()
	if r.flag() { // pps_extension_present_flag
		rangeExt := r.flag()
		other := r.u(3) != 0
		r.skip(4)
		if rangeExt {
			if p.transformSkip {
				if r.ue() != 0 {
					p.unsupported = "transform skip blocks above 4x4"
				}
			}
			if r.flag() && p.unsupported == "" {
				p.unsupported = "cross-component prediction"
			}
			if r.flag() && p.unsupported == "" {
				p.unsupported = "chroma QP offset lists"
			}
			// log2_sao_offset_scale_{luma,chroma} follow only when the
			// list flag is 0 or after its lists; stop at the first tool.
			if p.unsupported == "" && (r.ue() != 0 || r.ue() != 0) {
				p.unsupported = "SAO offset scaling"
			}
		}
		if other && p.unsupported == "" {
			p.unsupported = "PPS multilayer, 3D or SCC extension"
		}
	}
	if r.eof {
		return nil, errTruncated
	}
	return p, nil
}

// config returns the public description of the SPS.
func (s *sps) config() Config {
	return Config{
		Width:                   s.width - s.confWin[0] - s.confWin[1],
		Height:                  s.height - s.confWin[2] - s.confWin[3],
		BitDepth:                s.bitDepthY,
		BitDepthChroma:          s.bitDepthC,
		ChromaFormat:            s.chromaFormat,
		CodedWidth:              s.width,
		CodedHeight:             s.height,
		FullRange:               s.fullRange,
		ColourPrimaries:         s.colourPrimaries,
		TransferCharacteristics: s.transfer,
		MatrixCoeffs:            s.matrixCoeffs,
	}
}

// paramStore holds the parameter sets seen so far, by id.
type paramStore struct {
	sps [maxSPS]*sps
	pps [maxPPS]*pps
}

// add parses a parameter-set NAL unit and stores it. It returns the SPS
// when n was one; other NAL unit types are ignored.
func (ps *paramStore) add(n []byte) (*sps, error) {
	h, err := parseNALHeader(n)
	if err != nil {
		return nil, err
	}
	if h.layerID != 0 {
		return nil, nil
	}
	switch h.typ {
	case nalSPS:
		s, err := parseSPS(unescapeRBSP(n[nalHeaderSize:]))
		if err != nil {
			return nil, err
		}
		ps.sps[s.id] = s
		return s, nil
	case nalPPS:
		p, err := parsePPS(unescapeRBSP(n[nalHeaderSize:]))
		if err != nil {
			return nil, err
		}
		ps.pps[p.id] = p
	}
	return nil, nil
}
