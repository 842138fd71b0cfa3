package heif

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/heifmux"
)

// fullRead parses b and touches everything the pipeline would: the
// primary image, its Exif item and every tile's data.
func fullRead(b []byte, o *Options) error {
	f, err := Parse(bytes.NewReader(b), int64(len(b)), o)
	if err != nil {
		return err
	}
	img, err := f.PrimaryImage()
	if err != nil {
		return err
	}
	if _, err := f.Exif(img); err != nil {
		return err
	}
	for _, im := range []*Image{img, img.Alpha} {
		if im == nil {
			continue
		}
		for _, t := range im.tiles() {
			if _, err := f.ItemData(t.c.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// errKind classifies an error for the tables: "format", "eof" (a
// FormatError wrapping io.ErrUnexpectedEOF), "unsupported", "avif",
// "limit:<what>", or "other".
func errKind(err error) string {
	var fe *FormatError
	var ue *UnsupportedError
	var le *LimitError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &le):
		return "limit:" + le.What
	case errors.As(err, &ue) && ue.Format == "avif":
		return "avif"
	case errors.As(err, &ue):
		return "unsupported"
	case errors.As(err, &fe) && errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.As(err, &fe):
		return "format"
	}
	return "other"
}

func TestHostile(t *testing.T) {
	many := func(n int, first uint32) []uint32 {
		ids := make([]uint32, n)
		for i := range ids {
			ids[i] = first + uint32(i)
		}
		return ids
	}
	tests := []struct {
		name  string
		build func() []byte
		opt   *Options
		want  string
	}{
		{"valid grid", func() []byte { return gridSpec().Bytes() }, nil, ""},
		{"huge ispe on a coded primary", func() []byte {
			f := gridSpec()
			f.Primary = 2
			return editItem(f, 2, func(it *heifmux.Item) { it.Props[1] = opt(heifmux.Ispe(1<<20, 1<<20)) }).Bytes()
		}, nil, "limit:pixels"},
		{"ispe above a lowered MaxPixels", func() []byte { return gridSpec().Bytes() }, &Options{MaxPixels: 100*90 - 1}, "limit:pixels"},
		{"zero ispe", func() []byte {
			f := gridSpec()
			f.Primary = 2
			return editItem(f, 2, func(it *heifmux.Item) { it.Props[1] = opt(heifmux.Ispe(0, 64)) }).Bytes()
		}, nil, "format"},
		{"huge 32-bit grid output", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Data = heifmux.GridData(2, 2, 1<<20, 1<<20)
				it.Props[0] = opt(heifmux.Ispe(1<<20, 1<<20))
			}).Bytes()
		}, nil, "limit:pixels"},
		{"iloc extent past the end of the file", func() []byte {
			b := gridSpec().Bytes()
			return b[:len(b)-3] // the thumbnail's data is cut: mdat is short
		}, nil, "eof"},
		{"iloc extent length past the end of the file", func() []byte {
			b := gridSpec().Bytes()
			i := bytes.Index(b, []byte("iloc"))
			// iloc v1: version/flags, sizes, count, then item 1 (grid, 16
			// bytes), then item 2: id, method, dref, count, offset, length
			j := i + 4 + 4 + 2 + 2 + 16 + 2 + 2 + 2 + 2 + 4
			return patchAt(b, j, heifmux.U32(1<<31))
		}, nil, "eof"},
		{"iloc offset near 2^64", func() []byte {
			f := gridSpec()
			f.OffsetSize = 8
			b := f.Bytes()
			// tile 2's extent: its offset is the start of mdat's payload
			mdat := uint64(bytes.Index(b, []byte("mdat")) + 4)
			return patch(b, heifmux.U64(mdat), heifmux.U64(1<<64-2))
		}, nil, "eof"},
		{"grid referencing itself", func() []byte {
			f := gridSpec()
			f.Refs[0].To = []uint32{2, 1, 4, 5}
			return f.Bytes()
		}, nil, "format"},
		{"iden cycle", func() []byte {
			f := gridSpec()
			f.Primary = 8
			f.Items = append(f.Items,
				heifmux.Item{ID: 8, Type: "iden", NoLocation: true},
				heifmux.Item{ID: 9, Type: "iden", NoLocation: true})
			f.Refs = append(f.Refs, heifmux.Ref{Type: "dimg", From: 8, To: []uint32{9}}, heifmux.Ref{Type: "dimg", From: 9, To: []uint32{8}})
			return f.Bytes()
		}, nil, "format"},
		{"grid whose tile is a grid", func() []byte {
			f := gridSpec()
			f.Refs[0].To = []uint32{2, 3, 4, 1}
			return f.Bytes()
		}, nil, "format"},
		{"grid of 256x256 tiles", func() []byte {
			f := editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Data = heifmux.GridData(256, 256, 256*64, 256*64)
				it.Props[0] = opt(heifmux.Ispe(256*64, 256*64))
			})
			return f.Bytes()
		}, &Options{MaxPixels: 1 << 40}, "limit:tiles"},
		{"a million tile references", func() []byte {
			f := gridSpec()
			ids := many(65535, 2)
			for i := range 16 {
				f.Refs = append(f.Refs, heifmux.Ref{Type: "dimg", From: uint32(100 + i), To: ids})
			}
			return f.Bytes()
		}, nil, "limit:references"},
		{"two dimg boxes from the grid", func() []byte {
			f := gridSpec()
			f.Refs = append(f.Refs, heifmux.Ref{Type: "dimg", From: 1, To: []uint32{2}})
			return f.Bytes()
		}, nil, "format"},
		{"tile count differs from rows x columns", func() []byte {
			f := gridSpec()
			f.Refs[0].To = []uint32{2, 3, 4}
			return f.Bytes()
		}, nil, "format"},
		{"tiles do not cover the output", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Data = heifmux.GridData(2, 2, 200, 90)
				it.Props[0] = opt(heifmux.Ispe(200, 90))
			}).Bytes()
		}, nil, "format"},
		{"a tile row wholly outside the output", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Data = heifmux.GridData(2, 2, 100, 64)
				it.Props[0] = opt(heifmux.Ispe(100, 64))
			}).Bytes()
		}, nil, "format"},
		{"tiles of different sizes", func() []byte {
			return editItem(gridSpec(), 3, func(it *heifmux.Item) { it.Props[1] = opt(heifmux.Ispe(64, 32)) }).Bytes()
		}, nil, "format"},
		{"missing tile item", func() []byte {
			f := gridSpec()
			f.Refs[0].To = []uint32{2, 3, 4, 99}
			return f.Bytes()
		}, nil, "format"},
		{"grid descriptor too long", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) { it.Data = make([]byte, 4096) }).Bytes()
		}, nil, "format"},
		{"grid descriptor version 1", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) { it.Data = append([]byte{1}, it.Data[1:]...) }).Bytes()
		}, nil, "format"},
		{"box size smaller than its header", func() []byte {
			b := gridSpec().Bytes()
			i := bytes.Index(b, []byte("iinf"))
			return patch(b, b[i-4:i+4], append(heifmux.U32(4), "iinf"...))
		}, nil, "format"},
		{"box size past its container", func() []byte {
			b := gridSpec().Bytes()
			i := bytes.Index(b, []byte("iinf"))
			return patch(b, b[i-4:i+4], append(heifmux.U32(1<<30), "iinf"...))
		}, nil, "eof"},
		{"64-bit largesize of 2^63 on meta", func() []byte {
			b := gridSpec().Bytes()
			i := bytes.Index(b, []byte("meta"))
			big := bytes.Join([][]byte{b[:i-4], heifmux.U32(1), []byte("meta"), heifmux.U64(1 << 63), b[i+4:]}, nil)
			return big
		}, nil, "eof"},
		{"64-bit largesize, valid", func() []byte {
			f := gridSpec()
			f.MetaLargeSize = true
			return f.Bytes()
		}, nil, ""},
		{"mdat of size 0 runs to the end", func() []byte {
			b := gridSpec().Bytes()
			i := bytes.LastIndex(b, []byte("mdat"))
			return patch(b, b[i-4:i+4], append(heifmux.U32(0), "mdat"...))
		}, nil, ""},
		{"meta larger than MaxMetaSize", func() []byte { return gridSpec().Bytes() }, &Options{MaxMetaSize: 64}, "limit:meta bytes"},
		{"deeply nested unknown boxes in meta", func() []byte {
			f := gridSpec()
			const depth = 10000
			var nest []byte
			for i := range depth {
				nest = append(nest, heifmux.U32(uint32(8*(depth-i)))...)
				nest = append(nest, "dinf"...)
			}
			f.ExtraMeta = [][]byte{nest}
			return f.Bytes()
		}, nil, ""},
		{"more items than MaxItems", func() []byte { return gridSpec().Bytes() }, &Options{MaxItems: 3}, "limit:items"},
		{"more tiles than MaxTiles", func() []byte { return gridSpec().Bytes() }, &Options{MaxTiles: 3}, "limit:tiles"},
		{"no ftyp", func() []byte { return gridSpec().Bytes()[bytes.Index(gridSpec().Bytes(), []byte("meta"))-4:] }, nil, "format"},
		{"unknown brand", func() []byte {
			f := gridSpec()
			f.Major, f.Compatible = "isom", []string{"iso2"}
			return f.Bytes()
		}, nil, "unsupported"},
		{"avif brand", func() []byte {
			f := gridSpec()
			f.Major, f.Compatible = "avif", []string{"mif1", "avif"}
			return f.Bytes()
		}, nil, "avif"},
		{"av01 primary under mif1", func() []byte {
			f := gridSpec()
			f.Major, f.Compatible = "mif1", []string{"mif1"}
			f.Primary = 2
			return editItem(f, 2, func(it *heifmux.Item) { it.Type = "av01" }).Bytes()
		}, nil, "avif"},
		{"no pitm", func() []byte {
			b := gridSpec().Bytes()
			return patch(b, []byte("pitm"), []byte("free"))
		}, nil, "format"},
		{"primary not in iinf", func() []byte {
			f := gridSpec()
			f.Primary = 42
			return f.Bytes()
		}, nil, "format"},
		{"hdlr is not pict", func() []byte { return patch(gridSpec().Bytes(), []byte("pict"), []byte("vide")) }, nil, "unsupported"},
		{"ipma names a missing property", func() []byte {
			f := gridSpec()
			b := f.Bytes()
			i := bytes.Index(b, []byte("ipma"))
			// ipma v0: version/flags, entry_count, item 1, count, first index
			return patchAt(b, i+4+4+4+2+1, []byte{0x7f})
		}, nil, "format"},
		{"unknown essential property", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Props = append(it.Props, ess(heifmux.Box("zzzz", []byte{1})))
			}).Bytes()
		}, nil, "unsupported"},
		{"unknown non-essential property", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Props = append(it.Props, opt(heifmux.Box("zzzz", []byte{1})))
			}).Bytes()
		}, nil, ""},
		{"coded item without hvcC", func() []byte {
			return editItem(gridSpec(), 4, func(it *heifmux.Item) { it.Props = it.Props[1:] }).Bytes()
		}, nil, "format"},
		{"coded item without ispe", func() []byte {
			return editItem(gridSpec(), 4, func(it *heifmux.Item) { it.Props = it.Props[:1] }).Bytes()
		}, nil, "format"},
		{"tile without iloc entry", func() []byte {
			return editItem(gridSpec(), 4, func(it *heifmux.Item) { it.NoLocation = true }).Bytes()
		}, nil, "format"},
		{"tile with construction method 2", func() []byte {
			f := gridSpec()
			f.IlocVersion = 1
			b := f.Bytes()
			i := bytes.Index(b, []byte("iloc"))
			// item 1 entry: id 2, method 2, dref 2, count 2, extent 8 = 16; item 2 starts at +16
			j := i + 4 + 4 + 2 + 2 + 16 + 2
			return patchAt(b, j, []byte{0, 2})
		}, nil, "unsupported"},
		{"extent count beyond the box", func() []byte {
			b := gridSpec().Bytes()
			i := bytes.Index(b, []byte("iloc"))
			// iloc v1 (the grid is in idat): item 1's extent_count
			j := i + 4 + 4 + 2 + 2 + 2 + 2 + 2
			return patchAt(b, j, []byte{0xff, 0xff})
		}, nil, "eof"},
		{"iloc item count beyond MaxItems", func() []byte {
			b := gridSpec().Bytes()
			i := bytes.Index(b, []byte("iloc"))
			return patchAt(b, i+4+4+2, []byte{0xff, 0xff})
		}, nil, "limit:items"},
		{"clap outside the image", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Props = append(it.Props, ess(heifmux.Clap(10, 10, 300, 0)))
			}).Bytes()
		}, nil, "format"},
		{"clap with a zero denominator", func() []byte {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) {
				it.Props = append(it.Props, ess(heifmux.Box("clap", make([]byte, 32))))
			}).Bytes()
		}, nil, "format"},
		{"Exif offset past the item", func() []byte {
			return editItem(gridSpec(), 6, func(it *heifmux.Item) { it.Data = append(heifmux.U32(1000), tiffBE...) }).Bytes()
		}, nil, "format"},
		{"alpha plane of another size is ignored", func() []byte {
			f := gridSpec()
			f.Items = append(f.Items, heifmux.Item{ID: 10, Type: "hvc1", Data: nal4(10), Props: []heifmux.Prop{
				ess(fakeHVCC), opt(heifmux.Ispe(50, 50)), ess(heifmux.AuxC(AuxAlphaCICP))}})
			f.Refs = append(f.Refs, heifmux.Ref{Type: "auxl", From: 10, To: []uint32{1}})
			return f.Bytes()
		}, nil, ""},
		{"depth map is ignored", func() []byte {
			f := gridSpec()
			f.Items = append(f.Items, heifmux.Item{ID: 10, Type: "hvc1", Data: nal4(10), Props: []heifmux.Prop{
				ess(fakeHVCC), opt(heifmux.Ispe(50, 50)), ess(heifmux.AuxC("urn:mpeg:hevc:2015:auxid:2"))}})
			f.Refs = append(f.Refs, heifmux.Ref{Type: "auxl", From: 10, To: []uint32{1}})
			return f.Bytes()
		}, nil, ""},
		{"broken thumbnail is ignored", func() []byte {
			return editItem(gridSpec(), 7, func(it *heifmux.Item) { it.Props = []heifmux.Prop{ess(heifmux.Box("ispe", []byte{1}))} }).Bytes()
		}, nil, ""},
		{"moov without meta", func() []byte {
			f := gridSpec()
			b := f.Bytes()
			i := bytes.Index(b, []byte("meta"))
			return patch(b, b[i:i+4], []byte("moov"))
		}, nil, "unsupported"},
		{"protected primary", func() []byte {
			b := gridSpec().Bytes()
			// infe v2 of item 1: version/flags, id 1, protection index 0, "grid"
			return patch(b, []byte("\x00\x01\x00\x00grid"), []byte("\x00\x01\x00\x01grid"))
		}, nil, "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.build()
			start := time.Now()
			err := fullRead(b, tt.opt)
			if got := errKind(err); got != tt.want {
				t.Fatalf("error %v (%s), want kind %q", err, got, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "heif: ") && !strings.Contains(err.Error(), "heif: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestTruncationNeverPanics cuts a valid file at every length: each prefix
// parses or fails with a typed error.
func TestTruncationNeverPanics(t *testing.T) {
	b := gridSpec().Bytes()
	for n := range len(b) {
		err := fullRead(b[:n], nil)
		if k := errKind(err); k == "other" || k == "" {
			t.Fatalf("prefix of %d bytes: %v (%q), want a typed error", n, err, k)
		}
	}
}
