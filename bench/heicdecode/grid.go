package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // the shared photos
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/imgflow/imgflow/internal/heifmux"
	"github.com/imgflow/imgflow/internal/imaging/heif"
)

// writeGrid makes an iPhone-like grid HEIC of the image in src: tiles of
// tile×tile pixels (the image's right and bottom edges repeated into the
// last ones), each encoded by heif-enc at quality q as its own file, then
// muxed into one grid item whose output size is the image's, as iPhones
// write it (hidden hvc1 tiles with ispe, the grid in idat, the tiles'
// nclx colour on the grid). heif-enc 1.15 writes no grids itself.
func writeGrid(ctx context.Context, src, out string, tile, q int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	m, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	b := m.Bounds()
	cols, rows := (b.Dx()+tile-1)/tile, (b.Dy()+tile-1)/tile
	dir, err := os.MkdirTemp("", "heicgrid")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	type encoded struct {
		config, data []byte
		nclx         *heif.NCLX
		err          error
	}
	tiles := make([]encoded, cols*rows)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range tiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			at := b.Min.Add(image.Pt(i%cols*tile, i/cols*tile))
			t := &tiles[i]
			t.config, t.data, t.nclx, t.err = encodeTile(ctx, m, at, tile, q, filepath.Join(dir, fmt.Sprint(i)))
		}()
	}
	wg.Wait()

	mf := &heifmux.File{Primary: 1}
	ids := make([]uint32, len(tiles))
	for i, t := range tiles {
		if t.err != nil {
			return fmt.Errorf("tile %d: %w", i, t.err)
		}
		ids[i] = uint32(2 + i)
		mf.Items = append(mf.Items, heifmux.Item{ID: ids[i], Type: "hvc1", Hidden: true, Data: t.data, Props: []heifmux.Prop{
			{Box: heifmux.Box("hvcC", t.config), Essential: true}, {Box: heifmux.Ispe(uint32(tile), uint32(tile))},
		}})
	}
	w, h := uint32(b.Dx()), uint32(b.Dy())
	props := []heifmux.Prop{{Box: heifmux.Ispe(w, h)}}
	if n := tiles[0].nclx; n != nil {
		props = append(props, heifmux.Prop{Box: heifmux.ColrNCLX(n.Primaries, n.Transfer, n.Matrix, n.FullRange)})
	}
	mf.Items = append(mf.Items, heifmux.Item{ID: 1, Type: "grid", Data: heifmux.GridData(rows, cols, w, h), InIdat: true, Props: props})
	mf.Refs = []heifmux.Ref{{Type: "dimg", From: 1, To: ids}}
	return os.WriteFile(out, mf.Bytes(), 0o644)
}

// encodeTile encodes the tile×tile square of m at at (edges repeated) with
// heif-enc and returns its coded item's hvcC payload, data and nclx.
func encodeTile(ctx context.Context, m image.Image, at image.Point, tile, q int, base string) ([]byte, []byte, *heif.NCLX, error) {
	t := image.NewNRGBA(image.Rect(0, 0, tile, tile))
	b := m.Bounds()
	draw.Draw(t, t.Rect, m, at, draw.Src)
	// repeat the last column and row into the part beyond the image
	vw, vh := min(tile, b.Max.X-at.X), min(tile, b.Max.Y-at.Y)
	for y := range tile {
		sy := min(y, vh-1)
		for x := range tile {
			if x < vw && y < vh {
				continue
			}
			sx := min(x, vw-1)
			copy(t.Pix[t.PixOffset(x, y):][:4], t.Pix[t.PixOffset(sx, sy):][:4])
		}
	}
	var pb bytes.Buffer
	if err := png.Encode(&pb, t); err != nil {
		return nil, nil, nil, err
	}
	if err := os.WriteFile(base+".png", pb.Bytes(), 0o644); err != nil {
		return nil, nil, nil, err
	}
	cmd := exec.CommandContext(ctx, "heif-enc", "-q", fmt.Sprint(q), base+".png", "-o", base+".heic")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, nil, nil, fmt.Errorf("heif-enc: %v: %s", err, out)
	}
	data, err := os.ReadFile(base + ".heic")
	if err != nil {
		return nil, nil, nil, err
	}
	f, err := heif.Parse(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	img, err := f.PrimaryImage()
	if err != nil {
		return nil, nil, nil, err
	}
	if img.Coded == nil || img.Width != tile || img.Height != tile {
		return nil, nil, nil, errors.New("heif-enc did not write one coded item of the tile's size")
	}
	item, err := f.ItemData(img.Coded.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	return img.Coded.Config, item, img.Color.NCLX, nil
}
