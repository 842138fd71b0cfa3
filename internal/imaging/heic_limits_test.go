package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"reflect"
	"runtime"
	"testing"

	"github.com/imgflow/imgflow/internal/heifmux"
	"github.com/imgflow/imgflow/internal/imaging/heif"
)

// heicGridFromFixture builds an iPhone-like grid HEIC of cols×rows copies
// of the first tile of heif's iphone-grid fixture (real HEVC data), with
// the grid's output size the whole tile area, and no other properties.
func heicGridFromFixture(t testing.TB, cols, rows int) []byte {
	t.Helper()
	return heicGridSpec(t, cols, rows).Bytes()
}

// heicGridSpec is heicGridFromFixture's file before muxing: the grid is
// item 1, the tiles items 2, 3, ... in raster order.
func heicGridSpec(t testing.TB, cols, rows int) *heifmux.File {
	t.Helper()
	src := heicFixture(t, "heif/testdata/iphone-grid/image.heic")
	f, err := heif.Parse(bytes.NewReader(src), int64(len(src)), nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.PrimaryImage()
	if err != nil {
		t.Fatal(err)
	}
	tile := img.Grid.Tiles[0]
	data, err := f.ItemData(tile.ID)
	if err != nil {
		t.Fatal(err)
	}
	tw, th := uint32(tile.Width), uint32(tile.Height)
	mf := &heifmux.File{Primary: 1}
	ids := make([]uint32, 0, cols*rows)
	for i := range cols * rows {
		id := uint32(2 + i)
		ids = append(ids, id)
		mf.Items = append(mf.Items, heifmux.Item{ID: id, Type: "hvc1", Hidden: true, Data: data, Props: []heifmux.Prop{
			{Box: heifmux.Box("hvcC", tile.Config), Essential: true}, {Box: heifmux.Ispe(tw, th)},
		}})
	}
	w, h := uint32(cols)*tw, uint32(rows)*th
	mf.Items = append(mf.Items, heifmux.Item{ID: 1, Type: "grid", Data: heifmux.GridData(rows, cols, w, h), InIdat: true,
		Props: []heifmux.Prop{{Box: heifmux.Ispe(w, h)}}})
	mf.Refs = []heifmux.Ref{{Type: "dimg", From: 1, To: ids}}
	return mf
}

// allocated returns the bytes fn allocated on the heap.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestHEICDecodeLimits: the HEIC decoder applies the caller's limits from
// the header, before allocating pixels, and refuses with the same typed
// error as the JPEG path (Decode of a JPEG of the same size).
func TestHEICDecodeLimits(t *testing.T) {
	// 24×24 tiles of 64×64: a 1536×1536 (2.4 MP) grid in a file of a few
	// hundred KB, below heif's own 100 MP default.
	grid := heicGridFromFixture(t, 24, 24)
	info, err := Probe(bytes.NewReader(grid))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 1536 || info.Height != 1536 {
		t.Fatalf("grid is %dx%d, want 1536x1536", info.Width, info.Height)
	}
	jpg := encodeJPEG(t, image.NewGray(image.Rect(0, 0, info.Width, info.Height)), 80)
	// Decoding the grid allocates its 3.5 MB of planes plus tiles; a
	// refusal may cost the file and the parsed meta only.
	const refusalBudget = 2 << 20
	tests := []struct {
		name    string
		lim     Limits
		wantErr any // pointer to the error type expected, nil for success
	}{
		{name: "within limits", lim: Limits{}},
		{name: "pixels over a small MaxPixels", lim: Limits{MaxPixels: 1_000_000}, wantErr: new(*LimitError)},
		{name: "pixels just over", lim: Limits{MaxPixels: 1536*1536 - 1}, wantErr: new(*LimitError)},
		{name: "side over MaxSide", lim: Limits{MaxSide: 1000}, wantErr: new(*SideLimitError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(path string, err error) {
				t.Helper()
				switch {
				case tt.wantErr == nil && err != nil:
					t.Errorf("%s: %v", path, err)
				case tt.wantErr != nil && !errors.As(err, tt.wantErr):
					t.Errorf("%s: error %T %v, want %T", path, err, err, tt.wantErr)
				case tt.wantErr != nil && reflect.TypeOf(err) != reflect.TypeOf(tt.wantErr).Elem():
					// Not wrapped as a read error: the message names the limit.
					t.Errorf("%s: error %T %v, want a bare %v", path, err, err, reflect.TypeOf(tt.wantErr).Elem())
				}
			}
			_, _, err := Decode(context.Background(), bytes.NewReader(jpg), tt.lim)
			check("JPEG Decode", err)
			_, _, err = Decode(context.Background(), bytes.NewReader(grid), tt.lim)
			check("HEIC Decode", err)
			// The decoder alone, given an Info Probe accepted with the
			// default limits: it must apply lim itself.
			n := allocated(func() {
				_, err = decodeHEICLimits(context.Background(), bytes.NewReader(grid), info, tt.lim, 1)
			})
			check("decodeHEICLimits", err)
			if tt.wantErr != nil && n > refusalBudget {
				t.Errorf("refusal allocated %d bytes, want <= %d (before the planes)", n, refusalBudget)
			}
			if tt.wantErr == nil && n <= refusalBudget {
				t.Errorf("decode allocated only %d bytes: the budget proves nothing", n)
			}
		})
	}
}
