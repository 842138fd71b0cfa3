// Command webpenc measures internal/imaging/webpenc against libwebp
// (cwebp -m 4, dwebp) and the engine's JPEG encoder, and the engine's
// 4-size WebP unit against sharp's, for issue 11 ("What it must show"):
//
//   - Valid: every WebP it writes is decoded by dwebp (-yuv: the Y, U, V
//     and alpha planes) and by golang.org/x/image/webp, and the planes must
//     be identical.
//   - Compression: bytes at equal luma SSIM (bench/metric) against the
//     float reference of make bench (reference.go) over q 50..90, as a
//     BD-rate-style ratio, per photo and preset size.
//   - Speed: the 2048-px variant encoded on one pinned core, ours against
//     cwebp -m 4; the 4-size WebP unit from a JPEG through the engine
//     against sharp's .webp() unit, on two cores and on one.
//
// bench/webp.sh (make bench) runs it with -results and -sharp-prefix:
//
//	go run ./bench/webpenc [-images DIR] [-only a.jpg,b.png] [-results DIR] [-sharp-prefix DIR]
//
// Helper modes, run by the full run as child processes (so that taskset
// pins them): -encode-one PNG (time webpenc on one image) and -unit FILE
// (time the engine's 4-size WebP unit).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/imgflow/imgflow/bench/reference"
)

type config struct {
	images      string
	only        string
	sides       []int
	qs          []int
	quality     int
	k           int
	work        string
	results     string
	sharpPrefix string
	sharpScript string
	srgbScript  string
	presets     string
	unitFile    string
	timeImages  string
	noTime      bool
	self        string
	curves      bytes.Buffer // every RD point
}

// renderer is how ICC-tagged sources get their colour-managed reference:
// through sharp (lcms2) when it is installed, else nil (plain conversion).
func (c *config) renderer() *reference.Renderer {
	if c.sharpPrefix == "" {
		return nil
	}
	return &reference.Renderer{Node: "node", Script: c.srgbScript, SharpPrefix: c.sharpPrefix}
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "webpenc:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("webpenc", flag.ContinueOnError)
	c := &config{}
	fs.StringVar(&c.images, "images", "../shared/images", "photo directory")
	fs.StringVar(&c.only, "only", defaultSources(), "comma-separated files of -images for the RD table")
	sides := fs.String("sides", "", "long sides (default: those of -presets)")
	qstep := fs.Int("qstep", 5, "step of the quality sweep 50..90")
	fs.IntVar(&c.quality, "q", 0, "quality of the timed encodes and units (default: the engine's WebP default)")
	fs.IntVar(&c.k, "k", 5, "timed runs (medians)")
	fs.StringVar(&c.work, "work", "", "scratch folder (default: a temporary one)")
	fs.StringVar(&c.results, "results", "", "also write the report to DIR/<timestamp>-webp.md")
	fs.StringVar(&c.sharpPrefix, "sharp-prefix", "", "folder sharp is installed in (npm --prefix); empty: no sharp rows")
	fs.StringVar(&c.sharpScript, "sharp-script", "bench/sharp-webp.mjs", "sharp's WebP unit script")
	fs.StringVar(&c.srgbScript, "srgb-script", "bench/sharp-srgb.mjs", "renders an ICC-tagged source through its profile for the reference (needs -sharp-prefix)")
	fs.StringVar(&c.presets, "presets", "bench/presets.json", "presets file (sizes of the units and of the RD table)")
	fs.StringVar(&c.unitFile, "unit-file", "p12_olympus-ep3.jpg", "the 12 MP JPEG of the unit timing, in -images")
	fs.StringVar(&c.timeImages, "time-images", "p12_olympus-ep3.jpg,p24_craftbeer_base-q92.jpg,o6_canon-sx60.jpg", "photos whose 2048-px variant is timed")
	fs.BoolVar(&c.noTime, "notime", false, "skip all timing")
	encodeOne := fs.String("encode-one", "", "helper: time webpenc (GOMAXPROCS workers) on this PNG and print JSON")
	unit := fs.String("unit", "", "helper: time the engine's 4-size WebP unit on this file and print JSON")
	prof := fs.String("cpuprofile", "", "helper modes: write a CPU profile of the timed runs to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.quality == 0 {
		c.quality = defaultWebPQuality()
	}
	if *prof != "" && (*encodeOne != "" || *unit != "") {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	switch {
	case *encodeOne != "":
		return encodeOneMode(ctx, *encodeOne, c.quality, c.k, stdout)
	case *unit != "":
		return unitMode(ctx, *unit, c.presets, c.quality, c.k, stdout)
	}
	ps, err := readPresets(c.presets)
	if err != nil {
		return err
	}
	if *sides == "" {
		for _, p := range ps {
			c.sides = append(c.sides, p.LongSide)
		}
	} else {
		for _, s := range strings.Split(*sides, ",") {
			var v int
			if _, err := fmt.Sscan(s, &v); err != nil {
				return fmt.Errorf("-sides: %q: %w", s, err)
			}
			c.sides = append(c.sides, v)
		}
	}
	for q := 50; q <= 90; q += max(*qstep, 1) {
		c.qs = append(c.qs, q)
	}
	if c.self, err = os.Executable(); err != nil {
		return err
	}
	if c.work == "" {
		d, err := os.MkdirTemp("", "webpenc-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.work = d
	}
	return fullRun(ctx, c, stdout)
}

// defaultSources are the photos of the RD table: baseline, progressive,
// CMYK and alpha sources of ../shared/images (MANIFEST.txt).
func defaultSources() string {
	return strings.Join([]string{
		"p12_olympus-ep3.jpg", "o6_canon-sx60.jpg", "p24_craftbeer_base-q92.jpg", // baseline
		"p24_craftbeer_prog.jpg", "p18_elephants_prog.jpg", // progressive
		"cmyk_icc-swop.jpg", "cmyk_noicc-giunchedi.jpg", // CMYK
		"alpha_paper.png", // alpha
	}, ",")
}
