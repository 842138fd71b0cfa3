package imaging

import "strconv"

// JPEG header parsing (ITU T.81 Annex B, JFIF, Adobe TN 5116 APP14) up to the
// frame header. Marker names follow T.81 Table B.1.

const (
	mSOF0  = 0xc0 // baseline DCT
	mSOF1  = 0xc1 // extended sequential DCT, Huffman
	mSOF2  = 0xc2 // progressive DCT, Huffman
	mDHT   = 0xc4
	mJPG   = 0xc8
	mDAC   = 0xcc
	mRST0  = 0xd0
	mRST7  = 0xd7
	mSOI   = 0xd8
	mEOI   = 0xd9
	mSOS   = 0xda
	mAPP0  = 0xe0
	mAPP1  = 0xe1
	mAPP2  = 0xe2
	mAPP13 = 0xed
	mAPP14 = 0xee
	mTEM   = 0x01
)

const iccHeader = "ICC_PROFILE\x00"

// probeJPEG walks the marker segments up to SOFn (T.81 §B.2.2) and fills info.
func probeJPEG(p *probeReader, info *Info) error {
	if err := p.full(p.tmp[:2], "SOI"); err != nil {
		return err
	}
	if p.tmp[0] != 0xff || p.tmp[1] != mSOI {
		return p.bad("missing SOI marker")
	}
	var (
		jfif, adobe, exifSeen bool
		adobeTransform        byte
		icc                   iccCollector
		seg                   = make([]byte, 65535) // one segment; lengths are 16-bit
	)
	for {
		c, err := p.byte("marker")
		if err != nil {
			return err
		}
		if c != 0xff {
			continue // garbage between segments; libjpeg and image/jpeg skip it too
		}
		m := byte(0xff)
		for m == 0xff { // §B.1.1.2: any number of fill bytes
			if m, err = p.byte("marker"); err != nil {
				return err
			}
		}
		switch {
		case m == 0: // stuffed 0xff00 outside entropy data: ignore
			continue
		case m == mSOI || m == mTEM || (m >= mRST0 && m <= mRST7): // no length
			continue
		case m == mEOI:
			return p.bad("missing SOF marker")
		case m == mSOS:
			return p.bad("SOS before SOF")
		}
		if err := p.full(p.tmp[:2], "segment length"); err != nil {
			return err
		}
		n := int(p.tmp[0])<<8 | int(p.tmp[1]) - 2
		if n < 0 {
			return p.bad("short segment length")
		}
		switch {
		case m >= 0xc0 && m <= 0xcf && m != mDHT && m != mJPG && m != mDAC:
			p.icc = icc.profile()
			return probeSOF(p, info, m, seg[:n], jfif, adobe, adobeTransform)
		case m == mAPP1:
			if err := p.full(seg[:n], "APP1 segment"); err != nil {
				return err
			}
			if !exifSeen && n >= len(exifHeader) && string(seg[:len(exifHeader)]) == exifHeader {
				exifSeen = true
				info.HasEXIF = true
				d, _ := parseEXIF(seg[len(exifHeader):n])
				info.Orientation, info.HasGPS = d.Orientation, d.HasGPS
			}
		case m == mAPP2:
			if err := p.full(seg[:n], "APP2 segment"); err != nil {
				return err
			}
			if n >= len(iccHeader) && string(seg[:len(iccHeader)]) == iccHeader {
				info.HasICC = true
				icc.add(seg[:n])
			}
		case m == mAPP0 || m == mAPP14:
			if err := p.full(seg[:n], "APP segment"); err != nil {
				return err
			}
			if m == mAPP0 && n >= 5 && string(seg[:5]) == "JFIF\x00" {
				jfif = true
			}
			if m == mAPP14 && n >= 12 && string(seg[:5]) == "Adobe" {
				adobe, adobeTransform = true, seg[11]
			}
		default:
			if err := p.skip(int64(n), "segment"); err != nil {
				return err
			}
		}
	}
}

// probeSOF parses a frame header (T.81 §B.2.2): P, Y, X, Nf, then Nf × (Ci, HiVi, Tqi).
func probeSOF(p *probeReader, info *Info, m byte, seg []byte, jfif, adobe bool, adobeTransform byte) error {
	switch m {
	case mSOF0, mSOF1, mSOF2:
	case 0xc3:
		return p.unsupported("lossless JPEG")
	case 0xc9, 0xca, 0xcb:
		return p.unsupported("arithmetic coding")
	default:
		return p.unsupported("hierarchical JPEG")
	}
	if len(seg) < 6 {
		return p.bad("SOF has wrong length")
	}
	if err := p.full(seg, "SOF segment"); err != nil {
		return err
	}
	prec, h, w, nf := seg[0], int(seg[1])<<8|int(seg[2]), int(seg[3])<<8|int(seg[4]), int(seg[5])
	if len(seg) != 6+3*nf {
		return p.bad("SOF has wrong length")
	}
	if prec != 8 {
		return p.unsupported("precision other than 8 bits")
	}
	if h == 0 {
		return p.unsupported("height defined by DNL marker")
	}
	if w == 0 {
		return p.bad("zero width")
	}
	info.Width, info.Height = w, h
	info.Progressive = m == mSOF2
	switch nf {
	case 1:
		info.ColorModel = ModelGray
	case 3:
		ids := seg[6:]
		switch {
		case jfif:
			info.ColorModel = ModelYCbCr
		case adobe && adobeTransform == 0, ids[0] == 'R' && ids[3] == 'G' && ids[6] == 'B':
			info.ColorModel = ModelRGB
		default:
			info.ColorModel = ModelYCbCr
		}
	case 4:
		if !adobe {
			return p.unsupported("4-component JPEG without Adobe APP14 marker")
		}
		info.ColorModel = ModelCMYK
		if adobeTransform != 0 {
			info.ColorModel = ModelYCCK
		}
	case 0:
		return p.bad("no components")
	default:
		return p.unsupported("JPEG with " + strconv.Itoa(nf) + " components")
	}
	return nil
}
