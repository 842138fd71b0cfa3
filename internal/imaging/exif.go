package imaging

import "encoding/binary"

// EXIF (TIFF structure, CIPA DC-008 / TIFF 6.0 §2) parsing, limited to what the
// pipeline needs: IFD0 Orientation (tag 0x0112) and the GPS IFD pointer (0x8825).
//
// The parser is written for hostile input: it reads only IFD0 and, once, the
// IFD the GPS pointer names (no IFD chains are followed, so offset loops cannot
// occur), every offset and count is checked against the buffer before use, and
// it never allocates in proportion to a count read from the data.

const (
	tagOrientation = 0x0112
	tagGPSIFD      = 0x8825
	tiffShort      = 3
	tiffLong       = 4
	ifdEntrySize   = 12
)

// exifData is what parseEXIF extracts.
type exifData struct {
	Orientation int  // 1..8; 1 when absent or invalid
	HasGPS      bool // a GPS IFD pointer that names a non-empty IFD in bounds
}

// exifHeader is the APP1 identifier code preceding the TIFF structure in JPEG.
const exifHeader = "Exif\x00\x00"

// parseEXIF parses a TIFF-structured EXIF block (starting at the byte-order
// mark "II" or "MM"). A leading "Exif\0\0" is tolerated. Malformed data yields
// the zero-knowledge result (orientation 1, no GPS) and ok == false; it never panics.
func parseEXIF(b []byte) (d exifData, ok bool) {
	d.Orientation = 1
	if len(b) >= len(exifHeader) && string(b[:len(exifHeader)]) == exifHeader {
		b = b[len(exifHeader):]
	}
	if len(b) < 8 {
		return d, false
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return d, false
	}
	if bo.Uint16(b[2:4]) != 42 {
		return d, false
	}
	ifd0 := bo.Uint32(b[4:8])
	entries, ok := ifdEntries(b, bo, ifd0)
	if !ok {
		return d, false
	}
	for i := 0; i < len(entries); i += ifdEntrySize {
		e := entries[i : i+ifdEntrySize]
		tag, typ, count := bo.Uint16(e[0:2]), bo.Uint16(e[2:4]), bo.Uint32(e[4:8])
		switch tag {
		case tagOrientation:
			if count == 1 && typ == tiffShort {
				if o := int(bo.Uint16(e[8:10])); o >= 1 && o <= 8 {
					d.Orientation = o
				}
			}
		case tagGPSIFD:
			if count == 1 && (typ == tiffLong || typ == 13 /* IFD */) {
				if gps, ok := ifdEntries(b, bo, bo.Uint32(e[8:12])); ok && len(gps) > 0 {
					d.HasGPS = true
				}
			}
		}
	}
	return d, true
}

// ifdEntries returns the 12-byte entries of the IFD at off, bounds-checked.
func ifdEntries(b []byte, bo binary.ByteOrder, off uint32) ([]byte, bool) {
	if off < 8 || uint64(off)+2 > uint64(len(b)) {
		return nil, false
	}
	n := uint64(bo.Uint16(b[off : off+2]))
	start := uint64(off) + 2
	end := start + n*ifdEntrySize
	if end > uint64(len(b)) {
		return nil, false
	}
	return b[start:end], true
}
