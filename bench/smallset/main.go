// Command smallset writes N small JPEGs cut from real photos, for the
// reprocess soak (bench/reprocess.sh): each is a seeded crop of one of the
// source photos, scaled down to a long side between 480 and 1024 pixels,
// so every file differs and the set stays out of the repository (it is
// made at run time from ../shared/images).
//
//	go run ./bench/smallset -src ../shared/images -n 2000 -o /tmp/set
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"
)

func main() {
	src := flag.String("src", "../shared/images", "folder of source photos (JPEG, PNG)")
	n := flag.Int("n", 2000, "how many images to write")
	out := flag.String("o", "", "output folder")
	flag.Parse()
	if err := run(*src, *n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "smallset:", err)
		os.Exit(1)
	}
}

func run(srcDir string, n int, out string) error {
	if out == "" {
		return errors.New("-o is required")
	}
	var photos []image.Image
	entries, err := os.ReadDir(srcDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if ext != ".jpg" && ext != ".jpeg" && ext != ".png" {
			continue
		}
		img, err := decode(filepath.Join(srcDir, e.Name()))
		if err != nil {
			continue // a format the standard library cannot read (CMYK JPEG, say)
		}
		// Scale each photo down once, so cropping 2,000 times stays cheap.
		photos = append(photos, scale(img, 1600))
	}
	if len(photos) == 0 {
		return fmt.Errorf("no readable photos in %s", srcDir)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		p := photos[i%len(photos)]
		b := p.Bounds()
		cw, ch := b.Dx()*(60+r.IntN(41))/100, b.Dy()*(60+r.IntN(41))/100
		x0, y0 := b.Min.X+r.IntN(b.Dx()-cw+1), b.Min.Y+r.IntN(b.Dy()-ch+1)
		crop := image.NewRGBA(image.Rect(0, 0, cw, ch))
		draw.Copy(crop, image.Point{}, p, image.Rect(x0, y0, x0+cw, y0+ch), draw.Src, nil)
		img := scale(crop, 480+r.IntN(545))
		f, err := os.Create(filepath.Join(out, fmt.Sprintf("img%05d.jpg", i)))
		if err != nil {
			return err
		}
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 85})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	return img, err
}

// scale fits img within long×long (never larger).
func scale(img image.Image, long int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if max(w, h) <= long {
		return img
	}
	if w >= h {
		w, h = long, max(1, h*long/w)
	} else {
		w, h = max(1, w*long/h), long
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}
