package heif

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"github.com/imgflow/imgflow/internal/heifmux"
)

// TestBoxVariants writes the same picture with every field width and
// box order this package must read and expects the same result.
func TestBoxVariants(t *testing.T) {
	base := func() *heifmux.File { return gridSpec() }
	want := func() *Info {
		f, err := parseBytes(base().Bytes())
		if err != nil {
			t.Fatal(err)
		}
		img, err := f.PrimaryImage()
		if err != nil {
			t.Fatal(err)
		}
		return f.Info(img)
	}()
	if want.Width != 100 || want.Height != 90 || want.Orientation != 8 || want.Tiles != 4 || !want.HasEXIF {
		t.Fatalf("base Info %+v", want)
	}
	tests := []struct {
		name string
		edit func(f *heifmux.File)
	}{
		{"infe v3, iloc v2, iref v1, ipma v1, pitm v1", func(f *heifmux.File) {
			f.InfeVersion, f.IlocVersion, f.IrefVersion, f.IpmaVersion, f.PitmVersion = 3, 2, 1, 1, 1
		}},
		{"32-bit item ids", func(f *heifmux.File) {
			for i := range f.Items {
				f.Items[i].ID += 0x10000
			}
			for i := range f.Refs {
				f.Refs[i].From += 0x10000
				for j := range f.Refs[i].To {
					f.Refs[i].To[j] += 0x10000
				}
			}
			f.Primary += 0x10000
		}},
		{"15-bit property indices", func(f *heifmux.File) { f.IpmaLarge = true }},
		{"64-bit offsets and lengths", func(f *heifmux.File) { f.OffsetSize = 8 }},
		{"several extents an item", func(f *heifmux.File) {
			for i := range f.Items {
				f.Items[i].Extents = 2
			}
		}},
		{"tiles in idat", func(f *heifmux.File) {
			for i := range f.Items {
				f.Items[i].InIdat = true
			}
		}},
		{"mdat before meta", func(f *heifmux.File) { f.MdatFirst = true }},
		{"meta with a 64-bit largesize", func(f *heifmux.File) { f.MetaLargeSize = true }},
		{"major brand mif1", func(f *heifmux.File) { f.Major, f.Compatible = "mif1", []string{"mif1", "heic"} }},
		{"brand heix only", func(f *heifmux.File) { f.Major, f.Compatible = "heix", []string{} }},
		{"brand msf1", func(f *heifmux.File) { f.Major, f.Compatible = "msf1", []string{"msf1"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := base()
			tt.edit(spec)
			b := spec.Bytes()
			f, err := parseBytes(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			img, err := f.PrimaryImage()
			if err != nil {
				t.Fatalf("PrimaryImage: %v", err)
			}
			got := f.Info(img)
			w := *want
			w.MajorBrand = got.MajorBrand
			if !reflect.DeepEqual(*got, w) {
				t.Errorf("Info = %+v\nwant   %+v", *got, w)
			}
			for _, tile := range img.Grid.Tiles {
				d, err := f.ItemData(tile.ID)
				if err != nil || !bytes.Equal(d, nal4(byte(tile.ID&0xff))) {
					t.Errorf("ItemData(%d) = %x, %v", tile.ID, d, err)
				}
			}
			exif, err := f.Exif(img)
			if err != nil || !bytes.Equal(exif, tiffBE) {
				t.Errorf("Exif = %x, %v", exif, err)
			}
			// A seekable source reaches everything; a sequential one
			// reaches the Exif item only when it lies after meta.
			for _, r := range []struct {
				name     string
				src      io.Reader
				wantExif bool
			}{
				{"seekable", bytes.NewReader(b), true},
				{"sequential", onlyReader{bytes.NewReader(b)}, !spec.MdatFirst},
			} {
				pi, err := Probe(r.src, nil)
				if err != nil {
					t.Fatalf("Probe(%s): %v", r.name, err)
				}
				if (pi.Exif != nil) != r.wantExif {
					t.Errorf("Probe(%s) read the Exif item: %v, want %v", r.name, pi.Exif != nil, r.wantExif)
				}
				pi.Exif = nil
				if !reflect.DeepEqual(*pi, w) {
					t.Errorf("Probe(%s) = %+v\nwant    %+v", r.name, *pi, w)
				}
			}
		})
	}
}

func TestPropertiesAndDerivations(t *testing.T) {
	icc := []byte("fake ICC profile bytes")
	tests := []struct {
		name  string
		build func() *heifmux.File
		check func(t *testing.T, f *File, img *Image)
	}{
		{"nclx and ICC together", func() *heifmux.File {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) { it.Props = append(it.Props, opt(heifmux.ColrICC("prof", icc))) })
		}, func(t *testing.T, _ *File, img *Image) {
			if img.Color.NCLX == nil || *img.Color.NCLX != (NCLX{1, 13, 6, true}) || !bytes.Equal(img.Color.ICC, icc) {
				t.Errorf("Color = %+v", img.Color)
			}
		}},
		{"restricted ICC", func() *heifmux.File {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) { it.Props[1] = opt(heifmux.ColrICC("rICC", icc)) })
		}, func(t *testing.T, _ *File, img *Image) {
			if img.Color.NCLX != nil || !bytes.Equal(img.Color.ICC, icc) {
				t.Errorf("Color = %+v", img.Color)
			}
		}},
		{"pixi bit depths", func() *heifmux.File {
			return editItem(gridSpec(), 1, func(it *heifmux.Item) { it.Props[2] = opt(heifmux.Pixi(10, 10, 10)) })
		}, func(t *testing.T, _ *File, img *Image) {
			if !bytes.Equal(img.BitDepth, []byte{10, 10, 10}) {
				t.Errorf("BitDepth = %v", img.BitDepth)
			}
		}},
		{"iden over the grid adds its transforms and colour", func() *heifmux.File {
			f := gridSpec()
			f.Primary = 20
			f.Items = append(f.Items, heifmux.Item{ID: 20, Type: "iden", NoLocation: true, Props: []heifmux.Prop{
				ess(heifmux.Imir(1)), opt(heifmux.ColrICC("prof", icc))}})
			f.Refs = append(f.Refs, heifmux.Ref{Type: "dimg", From: 20, To: []uint32{1}})
			return f
		}, func(t *testing.T, _ *File, img *Image) {
			// irot 90° anticlockwise, then a left-right mirror: transverse
			if img.ID != 20 || img.Grid == nil || img.Layout.Orientation != 7 || len(img.Transforms) != 2 || !bytes.Equal(img.Color.ICC, icc) {
				t.Errorf("Image = %+v", img)
			}
			if img.ExifID != 6 {
				t.Errorf("ExifID = %d, want the Exif item of the iden's source", img.ExifID)
			}
		}},
		{"XMP item", func() *heifmux.File {
			f := gridSpec()
			f.Items = append(f.Items, heifmux.Item{ID: 30, Type: "mime", ContentType: "application/rdf+xml", Data: []byte("<x:xmpmeta/>")})
			f.Refs = append(f.Refs, heifmux.Ref{Type: "cdsc", From: 30, To: []uint32{1}})
			return f
		}, func(t *testing.T, f *File, img *Image) {
			if img.XMPID != 30 {
				t.Errorf("XMPID = %d, want 30", img.XMPID)
			}
			if d, err := f.ItemData(30); err != nil || string(d) != "<x:xmpmeta/>" {
				t.Errorf("ItemData(XMP) = %q, %v", d, err)
			}
		}},
		{"alpha with the CICP type", func() *heifmux.File {
			f := withAlphaItem(gridSpec())
			f.Items[len(f.Items)-1].Props[2] = ess(heifmux.AuxC(AuxAlphaCICP))
			return f
		}, func(t *testing.T, _ *File, img *Image) {
			if img.Alpha == nil || img.Alpha.ID != 10 {
				t.Errorf("Alpha = %+v", img.Alpha)
			}
		}},
		{"gain map and depth map are not alpha", func() *heifmux.File {
			f := withAlphaItem(gridSpec())
			f.Items[len(f.Items)-1].Props[2] = ess(heifmux.AuxC("urn:com:apple:photo:2020:aux:hdrgainmap"))
			return f
		}, func(t *testing.T, _ *File, img *Image) {
			if img.Alpha != nil {
				t.Errorf("Alpha = %+v, want none", img.Alpha)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseBytes(tt.build().Bytes())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			img, err := f.PrimaryImage()
			if err != nil {
				t.Fatalf("PrimaryImage: %v", err)
			}
			tt.check(t, f, img)
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// seekCounter is a countingReader that can also seek.
type seekCounter struct {
	countingReader
	s io.Seeker
}

func (s *seekCounter) Seek(off int64, whence int) (int64, error) { return s.s.Seek(off, whence) }

// TestProbeReadsLittle checks what validate's ranged reads cost: with meta
// first, Probe reads the header and the Exif item, not the 4 MiB of data
// after them; with mdat first it must seek or read through mdat.
func TestProbeReadsLittle(t *testing.T) {
	big := func(mdatFirst bool) []byte {
		f := gridSpec()
		f.MdatFirst = mdatFirst
		f.Items = append(f.Items, heifmux.Item{ID: 40, Type: "mime", ContentType: "application/octet-stream", Data: make([]byte, 4<<20)})
		return f.Bytes()
	}
	tests := []struct {
		name     string
		b        []byte
		seekable bool
		max      int64
		wantExif bool
	}{
		{"meta first, sequential", big(false), false, 8 << 10, true},
		{"mdat first, seekable", big(true), true, 8 << 10, true},
		{"mdat first, sequential reads through mdat", big(true), false, 5 << 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bytes.NewReader(tt.b)
			c := &countingReader{r: br}
			var r io.Reader = c
			if tt.seekable {
				sc := &seekCounter{countingReader: countingReader{r: br}, s: br}
				r, c = sc, &sc.countingReader
			}
			info, err := Probe(r, nil)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if c.n > tt.max {
				t.Errorf("read %d bytes of %d, want at most %d", c.n, len(tt.b), tt.max)
			}
			if (info.Exif != nil) != tt.wantExif || !info.HasEXIF {
				t.Errorf("Exif read %v (HasEXIF %v), want %v", info.Exif != nil, info.HasEXIF, tt.wantExif)
			}
		})
	}
}
