package heif

import (
	"bytes"

	"github.com/imgflow/imgflow/internal/heifmux"
)

// fakeHVCC is a minimal hvcC: 4:2:0, 8-bit, 4-byte NAL lengths, no
// parameter sets (the container does not look into them).
var fakeHVCC = heifmux.Box("hvcC", []byte{1}, make([]byte, 15), []byte{0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0})

// nal4 is a 4-byte length-prefixed NAL unit with payload tag, which the
// fake codec reads back.
func nal4(tag byte) []byte { return append(heifmux.U32(2), 0x26, tag) }

func ess(b []byte) heifmux.Prop { return heifmux.Prop{Box: b, Essential: true} }
func opt(b []byte) heifmux.Prop { return heifmux.Prop{Box: b} }

// tileItem is an hvc1 item of w×h whose data carries tag.
func tileItem(id uint32, w, h uint32, tag byte) heifmux.Item {
	return heifmux.Item{ID: id, Type: "hvc1", Hidden: true, Data: nal4(tag),
		Props: []heifmux.Prop{ess(fakeHVCC), opt(heifmux.Ispe(w, h))}}
}

// tiffBE is a tiny big-endian TIFF structure with Orientation 6.
var tiffBE = []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")

// gridSpec is an iPhone-like file: a 2x2 grid of 64x64 tiles (ids 2-5)
// cropped to 100x90, rotated by irot 1, with nclx colour, pixi and an Exif
// item (6) and a thumbnail (7).
func gridSpec() *heifmux.File {
	return &heifmux.File{
		Primary: 1,
		Items: []heifmux.Item{
			{ID: 1, Type: "grid", Data: heifmux.GridData(2, 2, 100, 90), InIdat: true, Props: []heifmux.Prop{
				opt(heifmux.Ispe(100, 90)), opt(heifmux.ColrNCLX(1, 13, 6, true)), opt(heifmux.Pixi(8, 8, 8)), ess(heifmux.Irot(1)),
			}},
			tileItem(2, 64, 64, 2), tileItem(3, 64, 64, 3), tileItem(4, 64, 64, 4), tileItem(5, 64, 64, 5),
			{ID: 6, Type: "Exif", Data: heifmux.ExifData(tiffBE)},
			tileItem(7, 32, 32, 7),
		},
		Refs: []heifmux.Ref{
			{Type: "dimg", From: 1, To: []uint32{2, 3, 4, 5}},
			{Type: "cdsc", From: 6, To: []uint32{1}},
			{Type: "thmb", From: 7, To: []uint32{1}},
		},
	}
}

// replaceItem returns a copy of spec's items with item id changed by fn.
func editItem(f *heifmux.File, id uint32, fn func(*heifmux.Item)) *heifmux.File {
	items := append([]heifmux.Item(nil), f.Items...)
	for i := range items {
		if items[i].ID == id {
			fn(&items[i])
		}
	}
	f.Items = items
	return f
}

// patch replaces the first occurrence of old in b with new (same length).
func patch(b, old, new []byte) []byte {
	i := bytes.Index(b, old)
	if i < 0 || len(old) != len(new) {
		panic("patch: pattern not found")
	}
	out := append([]byte(nil), b...)
	copy(out[i:], new)
	return out
}

// patchAt overwrites b at offset i with new, in a copy.
func patchAt(b []byte, i int, new []byte) []byte {
	out := append([]byte(nil), b...)
	copy(out[i:], new)
	return out
}
