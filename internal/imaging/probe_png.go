package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// PNG header parsing (PNG spec 3rd ed. §5 datastream, §11.2.1 IHDR) up to the
// first IDAT chunk.

const maxEXIFChunk = 1 << 20 // eXIf chunks larger than this are flagged but not parsed

func probePNG(p *probeReader, info *Info) error {
	var b [8 + 8 + 13 + 4]byte // signature, IHDR length+type, IHDR data, CRC
	if err := p.full(b[:], "IHDR"); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(b[8:12]) != 13 || string(b[12:16]) != "IHDR" {
		return p.bad("first chunk is not IHDR")
	}
	ihdr := b[16:29]
	if crc32.ChecksumIEEE(b[12:29]) != binary.BigEndian.Uint32(b[29:33]) {
		return p.bad("IHDR checksum mismatch")
	}
	w, h := binary.BigEndian.Uint32(ihdr[0:4]), binary.BigEndian.Uint32(ihdr[4:8])
	depth, ct, interlace := ihdr[8], ihdr[9], ihdr[12]
	if w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1 {
		return p.bad("invalid dimensions")
	}
	if ihdr[10] != 0 || ihdr[11] != 0 || interlace > 1 {
		return p.bad("invalid compression, filter or interlace method")
	}
	valid := map[byte]string{0: "\x01\x02\x04\x08\x10", 2: "\x08\x10", 3: "\x01\x02\x04\x08", 4: "\x08\x10", 6: "\x08\x10"}
	depths, ok := valid[ct]
	if !ok {
		return p.bad("invalid colour type")
	}
	okDepth := false
	for i := 0; i < len(depths); i++ {
		okDepth = okDepth || depths[i] == depth
	}
	if !okDepth {
		return p.bad("invalid bit depth for colour type")
	}
	info.Width, info.Height = int(w), int(h)
	info.Progressive = interlace == 1
	info.ColorModel = [...]string{0: ModelGray, 2: ModelRGB, 3: ModelPaletted, 4: ModelGrayAlpha, 6: ModelRGBA}[ct]
	info.HasAlpha = ct == 4 || ct == 6
	for {
		if err := p.full(b[:8], "chunk header"); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(b[:4])
		if n > 1<<31-1 {
			return p.bad("chunk length too large")
		}
		switch string(b[4:8]) {
		case "IDAT":
			return nil
		case "IEND":
			return p.bad("no IDAT chunk")
		case "acTL":
			info.Animated = true
		case "tRNS":
			info.HasAlpha = true
		case "iCCP":
			info.HasICC = true
			if n <= maxICCSize {
				buf := make([]byte, n)
				if err := p.full(buf, "iCCP chunk"); err != nil {
					return err
				}
				p.icc = inflateICC(buf)
				n = 0
			}
		case "eXIf":
			info.HasEXIF = true
			if n <= maxEXIFChunk {
				buf := make([]byte, n)
				if err := p.full(buf, "eXIf chunk"); err != nil {
					return err
				}
				d, _ := parseEXIF(buf)
				info.Orientation, info.HasGPS = d.Orientation, d.HasGPS
				n = 0
			}
		}
		if err := p.skip(int64(n)+4, "chunk"); err != nil { // data + CRC
			return err
		}
	}
}

// inflateICC extracts the profile from iCCP chunk data (PNG §11.3.2.3: name,
// NUL, compression method 0, zlib stream), bounded by maxICCSize. It returns
// nil for malformed data; a bad profile only means no colour conversion.
func inflateICC(b []byte) []byte {
	i := bytes.IndexByte(b, 0)
	if i < 1 || i > 79 || i+2 > len(b) || b[i+1] != 0 {
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b[i+2:]))
	if err != nil {
		return nil
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxICCSize+1))
	if err != nil || len(out) > maxICCSize {
		return nil
	}
	return out
}
