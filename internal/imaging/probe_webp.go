package imaging

import "encoding/binary"

// WebP container parsing (RFC 9649 §2.5-§2.7): RIFF header, then the VP8, VP8L
// or VP8X chunk; for VP8X the following chunks are scanned up to the image data.

func probeWebP(p *probeReader, info *Info) error {
	var b [20]byte // RIFF header (12) + first chunk header (8)
	if err := p.full(b[:], "RIFF header"); err != nil {
		return err
	}
	fourcc, size := string(b[12:16]), binary.LittleEndian.Uint32(b[16:20])
	extended := false
	for i := 0; ; i++ {
		if i > 0 {
			if err := p.full(b[12:20], "chunk header"); err != nil {
				return err
			}
			fourcc, size = string(b[12:16]), binary.LittleEndian.Uint32(b[16:20])
		}
		switch fourcc {
		case "VP8 ":
			var f [10]byte // frame tag (3), start code (3), width (2), height (2)
			if size < 10 {
				return p.bad("VP8 chunk too short")
			}
			if err := p.full(f[:], "VP8 frame header"); err != nil {
				return err
			}
			if f[0]&1 != 0 || string(f[3:6]) != "\x9d\x01\x2a" {
				return p.bad("bad VP8 key frame header")
			}
			if !extended {
				info.Width = int(binary.LittleEndian.Uint16(f[6:8]) & 0x3fff)
				info.Height = int(binary.LittleEndian.Uint16(f[8:10]) & 0x3fff)
			}
			info.ColorModel = ModelYCbCr
			return p.checkSize(info)
		case "VP8L":
			var f [5]byte // signature 0x2f, then 14-bit w-1, 14-bit h-1, alpha, 3-bit version
			if size < 5 {
				return p.bad("VP8L chunk too short")
			}
			if err := p.full(f[:], "VP8L header"); err != nil {
				return err
			}
			v := binary.LittleEndian.Uint32(f[1:5])
			if f[0] != 0x2f || v>>29 != 0 {
				return p.bad("bad VP8L header")
			}
			if !extended {
				info.Width, info.Height = int(v&0x3fff)+1, int(v>>14&0x3fff)+1
				info.HasAlpha = v>>28&1 != 0
			}
			info.ColorModel = ModelRGB
			if info.HasAlpha {
				info.ColorModel = ModelRGBA
			}
			return nil
		case "VP8X":
			if extended || i > 0 {
				return p.bad("misplaced VP8X chunk")
			}
			var f [10]byte // flags (1), reserved (3), canvas w-1 (3), canvas h-1 (3)
			if size != 10 {
				return p.bad("VP8X chunk has wrong length")
			}
			if err := p.full(f[:], "VP8X chunk"); err != nil {
				return err
			}
			extended = true
			info.HasICC = f[0]&0x20 != 0
			info.HasAlpha = f[0]&0x10 != 0
			info.HasEXIF = f[0]&0x08 != 0
			info.Animated = f[0]&0x02 != 0
			info.Width = int(f[4]) | int(f[5])<<8 | int(f[6])<<16 + 1
			info.Height = int(f[7]) | int(f[8])<<8 | int(f[9])<<16 + 1
			if info.Animated {
				info.ColorModel = ModelRGBA
				return nil // frames (ANMF) follow; their codecs are not probed
			}
			continue
		case "ANMF":
			info.Animated = true
			info.ColorModel = ModelRGBA
			return nil
		}
		if !extended {
			return p.bad("unknown first chunk " + printable([]byte(fourcc)))
		}
		if size > 1<<31 {
			return p.bad("chunk too large")
		}
		if fourcc == "ICCP" && size <= maxICCSize {
			buf := make([]byte, int(size)+int(size&1))
			if err := p.full(buf, "ICCP chunk"); err != nil {
				return err
			}
			p.icc = buf[:size]
			continue
		}
		if err := p.skip(int64(size)+int64(size&1), "chunk"); err != nil { // ICCP, ALPH, unknown
			return err
		}
	}
}

// checkSize rejects a VP8 frame of zero size.
func (p *probeReader) checkSize(info *Info) error {
	if info.Width == 0 || info.Height == 0 {
		return p.bad("zero image size")
	}
	return nil
}
