package imaging

import (
	"encoding/binary"
	"testing"
)

func TestParseEXIF(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	valid := tiffEXIF(be, 6, true)
	tests := []struct {
		name   string
		data   []byte
		want   exifData
		wantOK bool
	}{
		{"little endian orientation", tiffEXIF(le, 8, false), exifData{8, false}, true},
		{"big endian orientation", tiffEXIF(be, 3, false), exifData{3, false}, true},
		{"with Exif prefix", append([]byte(exifHeader), tiffEXIF(le, 5, false)...), exifData{5, false}, true},
		{"gps little endian", tiffEXIF(le, 1, true), exifData{1, true}, true},
		{"gps big endian", valid, exifData{6, true}, true},
		{"orientation 0 is invalid", tiffEXIF(le, 0, false), exifData{1, false}, true},
		{"orientation 9 is invalid", tiffEXIF(le, 9, false), exifData{1, false}, true},
		{"bad byte order", append([]byte("XX"), valid[2:]...), exifData{1, false}, false},
		{"bad magic", append([]byte("MM\x00\x2b"), valid[4:]...), exifData{1, false}, false},
		{"truncated header", valid[:6], exifData{1, false}, false},
		{"truncated IFD", valid[:20], exifData{1, false}, false},
		{"IFD0 offset out of range", append(append([]byte{}, valid[:4]...), 0xff, 0xff, 0xff, 0xf0), exifData{1, false}, false},
		{"IFD0 offset points into header", append(append([]byte{}, valid[:4]...), 0, 0, 0, 2), exifData{1, false}, false},
		{"huge entry count", append(append([]byte{}, valid[:8]...), 0xff, 0xff), exifData{1, false}, false},
		{"gps pointer out of range", func() []byte {
			b := append([]byte{}, valid...)
			// second entry (GPS) value field: offset 8+2+12+8
			copy(b[8+2+12+8:], []byte{0x7f, 0xff, 0xff, 0xff})
			return b
		}(), exifData{6, false}, true},
		{"gps pointer to itself loops nowhere", func() []byte {
			b := append([]byte{}, valid...)
			copy(b[8+2+12+8:], []byte{0, 0, 0, 8})
			return b
		}(), exifData{6, true}, true},
		{"empty", nil, exifData{1, false}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseEXIF(tt.data)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("parseEXIF = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
