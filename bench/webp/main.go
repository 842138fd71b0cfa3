// Command webp evaluates WebP encoders against the engine's JPEG encoder
// (internal/imaging/jpegenc at q80) on the pipeline's variants. It is a
// module of its own (bench/webp/go.mod, with the repository replaced in), so
// the candidate encoders never enter the product's go.mod. See README.md.
//
//	cd bench/webp && go run -tags nodynamic . [-images DIR]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"github.com/imgflow/imgflow/bench/metric"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/HugoSmits86/nativewebp"
	gwebp "github.com/gen2brain/webp"
	xwebp "golang.org/x/image/webp"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/imaging/jpegenc"
)

var sides = []int{2048, 1024, 512, 256}

func main() {
	dir := flag.String("images", "/work/shared/images", "images directory")
	cold := flag.String("cold", "", "internal: encode this PNG once with gen2brain/webp and print ms (cold start)")
	flag.Parse()
	if *cold != "" {
		coldOnce(*cold)
		return
	}
	if os.Getenv("RANGECHECK") != "" {
		data, err := os.ReadFile(filepath.Join(*dir, "p12_olympus-ep3.jpg"))
		check(err)
		rangeCheck(resized(data, 512))
		return
	}
	files := []string{"p12_olympus-ep3.jpg", "p24_craftbeer_base-q92.jpg", "o6_canon-sx60.jpg", "alpha_paper.png"}
	tmp, _ := os.MkdirTemp("", "webpeval")
	defer os.RemoveAll(tmp)
	fmt.Println("| image | side | JPEG q80 B | SSIM | ms | WebP@=size q | B | SSIM | WebP@=SSIM q | B | saving | ms (m4) | ms (m0 same q) | nativewebp lossless B | ms |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(*dir, f))
		check(err)
		for _, side := range sides {
			ref := resized(data, side)
			flat := flatten(ref)
			if side == 256 {
				var b bytes.Buffer
				check(png.Encode(&b, ref))
				check(os.WriteFile(filepath.Join(tmp, f+".png"), b.Bytes(), 0o644))
			}
			// JPEG q80 with the engine's encoder (input: flattened, as the engine does).
			jb := encJPEG(flat)
			jd, err := jpeg.Decode(bytes.NewReader(jb))
			check(err)
			js := metric.SSIM(flat, jd)
			jms := median(func() { encJPEG(flat) })
			// WebP lossy quality sweep (method 4, libwebp default).
			type pt struct {
				q, n int
				s    float64
			}
			var sweep []pt
			for q := 40; q <= 95; q += 5 {
				b := encWebP(ref, q, 4)
				d, err := gwebp.Decode(bytes.NewReader(b)) // libwebp decoder: x/image/webp returns studio-range YCbCr as full-range (see README)
				check(err)
				sweep = append(sweep, pt{q, len(b), metric.SSIM(flat, flatten(studio(d)))})
			}
			eqSize := sweep[0]
			for _, p := range sweep {
				if math.Abs(float64(p.n-len(jb))) < math.Abs(float64(eqSize.n-len(jb))) {
					eqSize = p
				}
			}
			eqSSIM := sweep[len(sweep)-1]
			for _, p := range sweep {
				if p.s >= js {
					eqSSIM = p
					break
				}
			}
			wms := median(func() { encWebP(ref, eqSSIM.q, 4) })
			wms0 := median(func() { encWebP(ref, eqSSIM.q, 0) })
			var nb bytes.Buffer
			check(nativewebp.Encode(&nb, ref, nil))
			nms := median(func() { var b bytes.Buffer; nativewebp.Encode(&b, ref, nil) })
			fmt.Printf("| %s | %d | %d | %.4f | %.1f | %d | %d | %.4f | %d | %d | %+.0f%% | %.1f | %.1f | %d | %.1f |\n",
				f, side, len(jb), js, jms, eqSize.q, eqSize.n, eqSize.s, eqSSIM.q, eqSSIM.n,
				100*float64(eqSSIM.n-len(jb))/float64(len(jb)), wms, wms0, nb.Len(), nms)
			fmt.Fprintf(os.Stderr, "%s %d sweep:", f, side)
			for _, p := range sweep {
				fmt.Fprintf(os.Stderr, " q%d=%dB/%.4f", p.q, p.n, p.s)
			}
			fmt.Fprintln(os.Stderr)
		}
	}
	// Cold start: a fresh process per run, first gen2brain/webp encode of a 256-px variant.
	exe, err := os.Executable()
	check(err)
	for _, f := range files[:1] {
		var ms []string
		for range 5 {
			out, err := exec.Command(exe, "-cold", filepath.Join(tmp, f+".png")).Output()
			check(err)
			ms = append(ms, string(bytes.TrimSpace(out)))
		}
		fmt.Printf("\ncold first encode (256 px, fresh process) %s: %v\n", f, ms)
	}
}

func coldOnce(path string) {
	data, err := os.ReadFile(path)
	check(err)
	m, err := png.Decode(bytes.NewReader(data))
	check(err)
	t := time.Now()
	var b bytes.Buffer
	check(gwebp.Encode(&b, m, gwebp.Options{Quality: 80, Method: 4}))
	first := time.Since(t)
	t = time.Now()
	b.Reset()
	check(gwebp.Encode(&b, m, gwebp.Options{Quality: 80, Method: 4}))
	fmt.Printf("first=%.0fms second=%.1fms", metric.MS(first), metric.MS(time.Since(t)))
}

func resized(data []byte, side int) *image.NRGBA {
	var out bytes.Buffer
	_, err := imaging.Process(context.Background(), bytes.NewReader(data), &out,
		imaging.Spec{LongSide: side, Format: imaging.PNG}, imaging.Limits{})
	check(err)
	m, err := png.Decode(&out)
	check(err)
	n := image.NewNRGBA(m.Bounds())
	draw.Draw(n, n.Rect, m, m.Bounds().Min, draw.Src)
	return n
}

// flatten composites onto white (the engine's default JPEG background is
// assumed white here; for opaque images it is a copy).
func flatten(m image.Image) *image.NRGBA {
	n := image.NewNRGBA(m.Bounds())
	draw.Draw(n, n.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(n, n.Rect, m, m.Bounds().Min, draw.Over)
	return n
}

func encJPEG(m *image.NRGBA) []byte {
	var b bytes.Buffer
	check(jpegenc.Encode(&b, m, &jpegenc.Options{Quality: 80}))
	return b.Bytes()
}

func encWebP(m *image.NRGBA, q, method int) []byte {
	var b bytes.Buffer
	check(gwebp.Encode(&b, m, gwebp.Options{Quality: q, Method: method}))
	return b.Bytes()
}

func median(f func()) float64 {
	f() // warm
	var t []float64
	for range 5 {
		s := time.Now()
		f()
		t = append(t, metric.MS(time.Since(s)))
	}
	slices.Sort(t)
	return t[2]
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

// rangeCheck prints the mean luma of one WebP decoded by x/image/webp and by
// libwebp (gen2brain/webp), to show the colour-range difference.
func rangeCheck(m *image.NRGBA) {
	b := encWebP(m, 90, 4)
	x, err := xwebp.Decode(bytes.NewReader(b))
	check(err)
	g, err := gwebp.Decode(bytes.NewReader(b))
	check(err)
	mean := func(im image.Image) float64 {
		_, _, y := metric.Luma(flatten(im))
		var s float64
		for _, v := range y {
			s += v
		}
		return s / float64(len(y))
	}
	fmt.Printf("x/image/webp decode: %T mean Y %.2f, SSIM vs source %.4f; libwebp decode: %T mean Y %.2f, SSIM %.4f; source mean Y %.2f\n",
		x, mean(x), metric.SSIM(m, flatten(x)), g, mean(g), metric.SSIM(m, flatten(g)), mean(m))
	fmt.Printf("studio-range corrected: mean Y %.2f, SSIM %.4f\n", mean(studio(g)), metric.SSIM(m, flatten(studio(g))))
}

// studio converts a decoded lossy WebP (VP8 planes are BT.601 limited range,
// Y 16..235, CbCr 16..240) to NRGBA. Both x/image/webp and gen2brain/webp
// return the raw planes as image.YCbCr / image.NYCbCrA, which Go's colour
// model interprets as full-range JFIF: brighter blacks, less contrast.
func studio(m image.Image) image.Image {
	var yc *image.YCbCr
	var a *image.NYCbCrA
	switch t := m.(type) {
	case *image.YCbCr:
		yc = t
	case *image.NYCbCrA:
		a, yc = t, &t.YCbCr
	default:
		return m // VP8L (lossless) decodes to NRGBA already
	}
	b := yc.Rect
	out := image.NewNRGBA(b)
	c8 := func(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			Y := (float64(yc.Y[yc.YOffset(x, y)]) - 16) * 255 / 219
			ci := yc.COffset(x, y)
			cb := (float64(yc.Cb[ci]) - 128) * 255 / 224
			cr := (float64(yc.Cr[ci]) - 128) * 255 / 224
			al := uint8(255)
			if a != nil {
				al = a.A[a.AOffset(x, y)]
			}
			out.SetNRGBA(x, y, color.NRGBA{c8(Y + 1.402*cr), c8(Y - 0.344136*cb - 0.714136*cr), c8(Y + 1.772*cb), al})
		}
	}
	return out
}
