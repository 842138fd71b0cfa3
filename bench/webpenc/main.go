// Command webpenc compares internal/imaging/webpenc with libwebp's cwebp
// (-m 4) and the engine's JPEG encoder on the benchmark photos resized by
// the engine: bytes at equal luma SSIM (bench/metric) over q 50..90 as a
// BD-rate-style ratio, and single-core / two-core encode time of the
// 2048-px variant. Needs cwebp (Debian package webp).
//
//	go run ./bench/webpenc [-quick] [-images a.jpg,b.jpg] > bench/webpenc/results.md
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/imgflow/imgflow/bench/metric"
	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/imaging/jpegenc"
	"github.com/imgflow/imgflow/internal/imaging/webpenc"
	"golang.org/x/image/webp"
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type point struct {
	q     int
	bytes int
	ssim  float64
}

func main() {
	quick := flag.Bool("quick", false, "q 50,70,90 only; 2048 and 512 px only")
	images := flag.String("images", "p12_olympus-ep3.jpg,p24_craftbeer_base-q92.jpg,o6_canon-sx60.jpg", "photos in -dir")
	dir := flag.String("dir", "/work/shared/images", "photo directory")
	sidesFlag := flag.String("sides", "2048,1024,512,256", "long sides")
	timing := flag.Bool("time", true, "time the 2048-px variant")
	prof := flag.String("cpuprofile", "", "profile 10 encodes (q75, 1 worker) of the first image at the first side, then exit")
	flag.Parse()
	qs := []int{50, 55, 60, 65, 70, 75, 80, 85, 90}
	if *quick {
		qs = []int{50, 70, 90}
	}
	var sides []int
	for _, s := range strings.Split(*sidesFlag, ",") {
		var v int
		fmt.Sscan(s, &v)
		sides = append(sides, v)
	}
	tmp, err := os.MkdirTemp("", "webpenc-bench")
	check(err)
	defer os.RemoveAll(tmp)

	fmt.Printf("# webpenc vs cwebp -m 4 vs jpegenc (%s, GOMAXPROCS %d)\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOMAXPROCS(0))
	fmt.Println("BD ratio = mean over the common SSIM range of bytes(ours)/bytes(other), log-linear interpolation of each RD curve (q " +
		fmt.Sprint(qs[0]) + ".." + fmt.Sprint(qs[len(qs)-1]) + "); < 1 means we are smaller at equal SSIM.\n")
	fmt.Println("| image | side | ours/cwebp | ours/jpeg | ours mid-q B | SSIM | cwebp mid-q B | SSIM | jpeg mid-q B | SSIM |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range strings.Split(*images, ",") {
		data, err := os.ReadFile(filepath.Join(*dir, name))
		check(err)
		for _, side := range sides {
			ref := resized(data, side)
			if *prof != "" {
				f, err := os.Create(*prof)
				check(err)
				check(pprof.StartCPUProfile(f))
				for range 10 {
					encOurs(ref, 75, 1)
				}
				pprof.StopCPUProfile()
				return
			}
			pngPath := filepath.Join(tmp, fmt.Sprintf("%s-%d.png", name, side))
			var pb bytes.Buffer
			check(png.Encode(&pb, ref))
			check(os.WriteFile(pngPath, pb.Bytes(), 0o644))
			var ours, cw, jp []point
			for _, q := range qs {
				b := encOurs(ref, q, 0)
				ours = append(ours, point{q, len(b), ssimWebP(ref, b)})
				b = encCwebp(pngPath, q, tmp)
				cw = append(cw, point{q, len(b), ssimWebP(ref, b)})
				b = encJPEG(ref, q)
				d, err := jpeg.Decode(bytes.NewReader(b))
				check(err)
				jp = append(jp, point{q, len(b), metric.SSIM(ref, d)})
			}
			fmt.Fprintf(os.Stderr, "%s %d\n  ours  %v\n  cwebp %v\n  jpeg  %v\n", name, side, ours, cw, jp)
			at := func(ps []point, q int) point {
				for _, p := range ps {
					if p.q == q {
						return p
					}
				}
				return ps[len(ps)/2]
			}
			o, c, j := at(ours, 75), at(cw, 75), at(jp, 75)
			fmt.Printf("| %s | %d | %.3f | %.3f | %d | %.4f | %d | %.4f | %d | %.4f |\n", name, side,
				bdRatio(ours, cw), bdRatio(ours, jp), o.bytes, o.ssim, c.bytes, c.ssim, j.bytes, j.ssim)
			if side == 2048 && *timing {
				timeBoth(ref, pngPath, tmp, name)
			}
		}
	}
}

// timeBoth prints encode times of the 2048 variant at q75, medians of 5:
// ours with 1 and 2 workers, cwebp -m 4 pinned to one core. Wall times are
// unreliable on a shared machine, so CPU time (user+sys, getrusage) is
// reported too (cwebp: the whole process, reading a PPM).
func timeBoth(ref *image.NRGBA, pngPath, tmp, name string) {
	type tm struct{ wall, cpu float64 }
	med := func(f func() tm) tm {
		var w, c []float64
		for range 5 {
			t := f()
			w = append(w, t.wall)
			c = append(c, t.cpu)
		}
		return tm{metric.Median(w), metric.Median(c)}
	}
	ours := func(workers int) tm {
		return med(func() tm {
			c0 := cpuNow()
			t := time.Now()
			encOurs(ref, 75, workers)
			return tm{metric.MS(time.Since(t)), metric.MS(cpuNow() - c0)}
		})
	}
	one, two := ours(1), ours(2)
	// cwebp reads a PPM copy (no PNG decoding in its CPU time).
	ppm := strings.TrimSuffix(pngPath, ".png") + ".ppm"
	var pb bytes.Buffer
	fmt.Fprintf(&pb, "P6\n%d %d\n255\n", ref.Rect.Dx(), ref.Rect.Dy())
	for i := 0; i < len(ref.Pix); i += 4 {
		pb.Write(ref.Pix[i : i+3])
	}
	check(os.WriteFile(ppm, pb.Bytes(), 0o644))
	cw := med(func() tm {
		cmd := exec.Command("taskset", "-c", "0", "cwebp", "-v", "-m", "4", "-q", "75", ppm, "-o", filepath.Join(tmp, "t.webp"))
		out, err := cmd.CombinedOutput()
		check(err)
		var enc float64
		for _, l := range strings.Split(string(out), "\n") {
			var s float64
			if _, err := fmt.Sscanf(l, "Time to encode picture: %fs", &s); err == nil {
				enc = s * 1000
			}
		}
		st := cmd.ProcessState
		return tm{enc, metric.MS(st.UserTime() + st.SystemTime())}
	})
	fmt.Printf("\n%s 2048 q75 encode, wall (CPU) ms: ours 1 worker %.1f (%.1f), 2 workers %.1f (%.1f); cwebp -m 4 on one core %.1f (%.1f); ratio 1 worker / cwebp: wall %.2f×, CPU %.2f×; 2 workers wall %.2f×\n\n",
		name, one.wall, one.cpu, two.wall, two.cpu, cw.wall, cw.cpu, one.wall/cw.wall, one.cpu/cw.cpu, two.wall/cw.wall)
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

func encOurs(m *image.NRGBA, q, workers int) []byte {
	var b bytes.Buffer
	check(webpenc.Encode(context.Background(), &b, m, &webpenc.Options{Quality: q, Workers: workers}))
	return b.Bytes()
}

func encCwebp(pngPath string, q int, tmp string) []byte {
	out := filepath.Join(tmp, "c.webp")
	b, err := exec.Command("cwebp", "-quiet", "-m", "4", "-q", fmt.Sprint(q), pngPath, "-o", out).CombinedOutput()
	if err != nil {
		check(fmt.Errorf("cwebp: %v: %s", err, b))
	}
	d, err := os.ReadFile(out)
	check(err)
	return d
}

func encJPEG(m *image.NRGBA, q int) []byte {
	var b bytes.Buffer
	check(jpegenc.Encode(&b, m, &jpegenc.Options{Quality: q}))
	return b.Bytes()
}

// ssimWebP decodes with x/image/webp, maps the limited-range planes to RGB
// (see bench/webp/README.md) and returns luma SSIM against ref.
func ssimWebP(ref *image.NRGBA, data []byte) float64 {
	d, err := webp.Decode(bytes.NewReader(data))
	check(err)
	return metric.SSIM(ref, studio(d))
}

func studio(m image.Image) image.Image {
	var yc *image.YCbCr
	switch t := m.(type) {
	case *image.YCbCr:
		yc = t
	case *image.NYCbCrA:
		yc = &t.YCbCr
	default:
		return m
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
			out.SetNRGBA(x, y, color.NRGBA{c8(Y + 1.402*cr), c8(Y - 0.344136*cb - 0.714136*cr), c8(Y + 1.772*cb), 255})
		}
	}
	return out
}

// bdRatio is exp(mean(log bytes_a − log bytes_b)) over the SSIM range both
// curves cover, each curve interpolated linearly in (SSIM, log bytes).
func bdRatio(a, b []point) float64 {
	lo := math.Max(minS(a), minS(b))
	hi := math.Min(maxS(a), maxS(b))
	if hi <= lo {
		return math.NaN()
	}
	const n = 50
	var sum float64
	for i := 0; i <= n; i++ {
		s := lo + (hi-lo)*float64(i)/n
		sum += logBytesAt(a, s) - logBytesAt(b, s)
	}
	return math.Exp(sum / (n + 1))
}

func minS(p []point) float64 {
	m := math.Inf(1)
	for _, x := range p {
		m = math.Min(m, x.ssim)
	}
	return m
}

func maxS(p []point) float64 {
	m := math.Inf(-1)
	for _, x := range p {
		m = math.Max(m, x.ssim)
	}
	return m
}

func logBytesAt(p []point, s float64) float64 {
	q := append([]point(nil), p...)
	sort.Slice(q, func(i, j int) bool { return q[i].ssim < q[j].ssim })
	for i := 1; i < len(q); i++ {
		if s <= q[i].ssim || i == len(q)-1 {
			a, b := q[i-1], q[i]
			t := 0.0
			if b.ssim != a.ssim {
				t = (s - a.ssim) / (b.ssim - a.ssim)
			}
			return math.Log(float64(a.bytes)) + t*(math.Log(float64(b.bytes))-math.Log(float64(a.bytes)))
		}
	}
	return math.Log(float64(q[0].bytes))
}
