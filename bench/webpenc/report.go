package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/imgflow/imgflow/bench/reference"
)

// Targets of issue 11.
const (
	maxVsJPEG  = 0.80
	maxVsCWebP = 1.10
	maxEncode  = 1.5 // one core, ours/cwebp
	maxUnit    = 1.0 // two cores, ours/sharp
)

func fullRun(ctx context.Context, c *config, stdout io.Writer) error {
	if _, err := os.Stat(c.images); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	var rep bytes.Buffer
	out := io.MultiWriter(stdout, &rep)
	start := time.Now().UTC()
	fmt.Fprintf(out, "# WebP (issue 11): webpenc vs cwebp -m 4, jpegenc and sharp (%s)\n\n", start.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(out, "%d CPUs, GOMAXPROCS %d; load average at start %s.\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), loadAvg())
	v := &validator{dir: c.work}

	var rows []rdRow
	for _, name := range strings.Split(c.only, ",") {
		if name == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c.images, name)); err != nil {
			fmt.Fprintf(os.Stderr, "webpenc: %s not found, skipped\n", name)
			continue
		}
		r, err := rdSource(ctx, c, name, v)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	writeRD(out, c, rows)

	if !c.noTime {
		fmt.Fprintf(out, "## Speed\n\nLoad average before timing: %s. Medians of %d runs after one untimed run; CPU = getrusage user+sys (primary figure: a shared machine inflates wall time more).\n\n", loadAvg(), c.k)
		var encs []encodeRow
		for _, name := range strings.Split(c.timeImages, ",") {
			if _, err := os.Stat(filepath.Join(c.images, name)); err != nil {
				continue
			}
			r, err := timeEncode(ctx, c, name, c.sides[0])
			if err != nil {
				return err
			}
			encs = append(encs, r)
		}
		writeEncode(out, c, encs)
		if _, err := os.Stat(filepath.Join(c.images, c.unitFile)); err == nil {
			u, err := timeUnits(c)
			if err != nil {
				return err
			}
			writeUnit(out, c, u)
		}
		fmt.Fprintf(out, "Load average after timing: %s.\n\n", loadAvg())
	}
	writeValid(out, v)
	if c.results != "" {
		if err := os.MkdirAll(c.results, 0o755); err != nil {
			return err
		}
		p := filepath.Join(c.results, start.Format("20060102-150405")+"-webp.md")
		if err := os.WriteFile(p, rep.Bytes(), 0o644); err != nil {
			return err
		}
		cp := strings.TrimSuffix(p, ".md") + "-curves.txt"
		if err := os.WriteFile(cp, c.curves.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "written to %s and %s\n", p, cp)
	}
	return nil
}

func mark(ok bool) string {
	if ok {
		return "yes"
	}
	return "**NO**"
}

func ratio(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", v)
}

func at(ps []point, q int) point {
	for _, p := range ps {
		if p.Q == q {
			return p
		}
	}
	return ps[len(ps)/2]
}

func writeRD(w io.Writer, c *config, rows []rdRow) {
	fmt.Fprintf(w, "## Compression at equal SSIM\n\n")
	fmt.Fprintf(w, "Reference: the source decoded with the standard library, EXIF-oriented, alpha flattened on white, resized with float64 Lanczos3 (make bench's reference, bench/reference); a source with an embedded ICC profile is first rendered to sRGB through that profile by lcms2 (bench/sharp-srgb.mjs; managed.go says why), its rows also measured against the plain conversion below the table. "+
		"Every encoder gets the engine's resized pixels (imaging.Process to PNG; alpha kept): webpenc (method 4, what the engine writes), cwebp -m 4 (same PNG), jpegenc (4:2:0, pixels flattened on white: the JPEG fallback). "+
		"WebPs are decoded with x/image/webp, converted with the BT.601 studio-range formula and composited on white. SSIM: bench/metric (luma). "+
		"Ratio = bytes(ours)/bytes(other) at equal SSIM, averaged over the SSIM range both RD curves (q %d..%d) cover; targets ≤ %.2f (cwebp) and ≤ %.2f (jpeg). "+
		"Ceiling: the SSIM of the unencoded pixels all encoders get (the engine's resize on white) against the reference, which no encoder can pass.\n\n",
		c.qs[0], c.qs[len(c.qs)-1], maxVsCWebP, maxVsJPEG)
	fmt.Fprintln(w, "| source | kind | preset sides | size | ours/cwebp | ours/jpeg | met | ours q"+fmt.Sprint(c.quality)+" B | SSIM | cwebp B | SSIM | jpeg B | SSIM | ceiling | engine q"+fmt.Sprint(c.quality)+" B / SSIM, on curve |")
	fmt.Fprintln(w, "|---|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
	worstC, worstJ := 0.0, 0.0
	for _, r := range rows {
		o, cw, j := at(r.Ours, c.quality), at(r.CWebP, c.quality), at(r.JPEG, c.quality)
		met := mark(r.VsCWebP <= maxVsCWebP && r.VsJPEG <= maxVsJPEG)
		if math.IsNaN(r.VsCWebP) || math.IsNaN(r.VsJPEG) {
			met = "n/a: no common SSIM range"
		}
		if !math.IsNaN(r.VsCWebP) {
			worstC = math.Max(worstC, r.VsCWebP)
		}
		if !math.IsNaN(r.VsJPEG) {
			worstJ = math.Max(worstJ, r.VsJPEG)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %dx%d | %s | %s | %s | %d | %.4f | %d | %.4f | %d | %.4f | %.4f | %s |\n",
			r.File, r.Kind, r.Presets, r.W, r.H, ratio(r.VsCWebP), ratio(r.VsJPEG), met, o.Bytes, o.SSIM, cw.Bytes, cw.SSIM, j.Bytes, j.SSIM, r.Ceiling, fmt.Sprintf("%d / %.4f %s", r.Engine.Bytes, r.Engine.SSIM, mark(r.EngineOnCurve)))
	}
	fmt.Fprintf(w, "\nWorst (where defined): %.3f× cwebp -m 4, %.3f× jpegenc.\n\n", worstC, worstJ)
	for _, r := range rows {
		switch {
		case r.Plain != nil:
			fmt.Fprintf(w, "Reference of %s %dx%d: rendered through its ICC profile (lcms2), ceiling %.4f. Against the plain conversion instead (the reference before 2026-12-02; ceiling %.4f): ours/cwebp %s, ours/jpeg %s.\n",
				r.File, r.W, r.H, r.Ceiling, r.Plain.Ceiling, ratio(r.Plain.VsCWebP), ratio(r.Plain.VsJPEG))
		case r.Ref == reference.Plain && r.ICC:
			fmt.Fprintf(w, "Reference of %s %dx%d: the plain conversion, its ICC profile not applied (no sharp to render it with): ceiling %.4f; the ratios measure that mismatch as well as the encoders.\n",
				r.File, r.W, r.H, r.Ceiling)
		}
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if !r.Alpha {
			continue
		}
		o, cw := at(r.Ours, c.quality), at(r.CWebP, c.quality)
		fmt.Fprintf(w, "Alpha, %s %dx%d at q%d: ours %d B (ALPH %d, lossless alpha) vs cwebp %d B (ALPH %d); the engine's PNG of the same pixels %d B (ours %.2f× it); the JPEG fallback drops alpha (compared on white, above).\n",
			r.File, r.W, r.H, c.quality, o.Bytes, r.OursALPH, cw.Bytes, r.CWebPALPH, r.PNGBytes, float64(o.Bytes)/float64(r.PNGBytes))
	}
	fmt.Fprintln(w)
}

func writeEncode(w io.Writer, c *config, rows []encodeRow) {
	fmt.Fprintf(w, "### One core: the 2048-px variant (q%d)\n\n", c.quality)
	fmt.Fprintf(w, "Both pinned to CPU 0 (taskset -c 0). Ours: a child process (GOMAXPROCS 1) timing webpenc.Encode on the PNG's pixels; cwebp -m 4: wall = its \"Time to encode picture\", CPU = the process's user+sys reading a PPM of the same pixels. Target: ours ≤ %.1f× cwebp.\n\n", maxEncode)
	fmt.Fprintln(w, "CPU ms as median (fastest): interference from other jobs only adds time, so the fastest run is the better estimate of each encoder's own cost on a loaded machine.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| image | size | ours CPU ms | cwebp CPU ms | CPU ratio (fastest) | ours wall ms | cwebp wall ms | wall ratio | met (CPU median) | ours B | cwebp B |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
	for _, r := range rows {
		cr := r.Ours.CPUMedianMS / r.CWebP.CPUMedianMS
		fmt.Fprintf(w, "| %s | %dx%d | %.0f (%.0f) | %.0f (%.0f) | %.2f× (%.2f×) | %.0f | %.0f | %.2f× | %s | %d | %d |\n", r.File, r.W, r.H,
			r.Ours.CPUMedianMS, r.Ours.CPUMinMS, r.CWebP.CPUMedianMS, r.CWebP.CPUMinMS, cr, r.Ours.CPUMinMS/r.CWebP.CPUMinMS,
			r.Ours.MedianMS, r.CWebP.MedianMS, r.Ours.MedianMS/r.CWebP.MedianMS, mark(cr <= maxEncode), r.OursBytes, r.CWebPBytes)
	}
	fmt.Fprintln(w)
}

func writeUnit(w io.Writer, c *config, u unitRow) {
	fmt.Fprintf(w, "### The 4-size WebP unit from %s (q%d)\n\n", u.File, c.quality)
	fmt.Fprintf(w, "Ours: the engine (one imaging.ProcessSizes call, Format WebP, for every preset from the JPEG bytes, as the resize Lambda runs the upload's one Map item). Sharp: bench/sharp-webp.mjs, .webp() at its defaults (quality 80, effort 4) after rotate+resize, one pipeline per preset from the same bytes")
	if u.HaveSharp {
		fmt.Fprintf(w, " (%s, concurrency %s)", u.SharpVer, u.SharpConc)
	}
	fmt.Fprintf(w, ". Warm, in one process each; CPU = user+sys of the whole process (getrusage / process.cpuUsage). Target on two cores: ours ≤ %.1f× sharp (wall).\n\n", maxUnit)
	fmt.Fprintln(w, "| cores | ours wall ms | ours CPU ms (fastest) | sharp wall ms | sharp CPU ms (fastest) | wall ratio | CPU ratio (fastest) | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|")
	line := func(label string, o, s timed, target bool) {
		if !u.HaveSharp {
			fmt.Fprintf(w, "| %s | %.0f | %.0f | n/a | n/a | n/a | n/a | n/a |\n", label, o.MedianMS, o.CPUMedianMS)
			return
		}
		wr := o.MedianMS / s.MedianMS
		m := "(per core, no target)"
		if target {
			m = mark(wr <= maxUnit)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f (%.0f) | %.0f | %.0f (%.0f) | %.2f× | %.2f× (%.2f×) | %s |\n", label, o.MedianMS, o.CPUMedianMS, o.CPUMinMS,
			s.MedianMS, s.CPUMedianMS, s.CPUMinMS, wr, o.CPUMedianMS/s.CPUMedianMS, o.CPUMinMS/s.CPUMinMS, m)
	}
	line(fmt.Sprintf("all (%d)", runtime.NumCPU()), u.Ours2, u.Sharp2, true)
	line("1 (taskset -c 0)", u.Ours1, u.Sharp1, false)
	fmt.Fprintf(w, "\nBytes per variant: ours %v", u.OursBytes)
	if u.HaveSharp {
		fmt.Fprintf(w, ", sharp %v", u.SharpByts)
	}
	fmt.Fprint(w, ".\n\n")
}

func writeValid(w io.Writer, v *validator) {
	fmt.Fprintf(w, "## Valid\n\n")
	fmt.Fprintf(w, "Every WebP written in this run (webpenc at each q and size, and the engine's variant): %d files, %d with alpha, decoded by dwebp -yuv (libwebp) and golang.org/x/image/webp; Y, U, V and alpha planes compared sample by sample (%d samples). ", v.files, v.alphaFiles, v.samples)
	if len(v.failures) == 0 {
		fmt.Fprintf(w, "All identical: yes.\n\n")
		return
	}
	fmt.Fprintf(w, "**%d failed**:\n\n", len(v.failures))
	for _, f := range v.failures {
		fmt.Fprintf(w, "- %s\n", f)
	}
	fmt.Fprintln(w)
}
