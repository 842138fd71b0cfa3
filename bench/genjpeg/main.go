// Command genjpeg writes a photo-like JPEG of a given size, for benchmarks
// on machines without the shared test photos.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
)

func main() {
	w := flag.Int("w", 4032, "width")
	h := flag.Int("h", 3024, "height")
	out := flag.String("o", "photo.jpg", "output file")
	flag.Parse()
	if err := run(*w, *h, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genjpeg:", err)
		os.Exit(1)
	}
}

func run(w, h int, out string) error {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			n := uint8(r.IntN(32))
			img.SetRGBA(x, y, color.RGBA{uint8(x*200/w) + n, uint8(y*200/h) + n, uint8((x^y)&63) + n, 255})
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
