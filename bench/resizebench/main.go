// Command resizebench runs our resize engine and sharp side by side over a
// folder of photos and reports, per image: the warm 4-size unit (inside one
// process), whole-process time and peak RSS of `imgflow resize` against
// `node bench/sharp-cli.mjs`, SSIM of every variant of both against a
// float64 Lanczos3 reference, the colour difference between the two tools'
// outputs and, for 24 MP JPEGs, the 256-px thumbnail and the 1/8-scale
// decode against djpeg. It writes DIR/<timestamp>.json and .md and prints
// the markdown. bench/resize.sh (make bench) installs the tools and builds
// the binaries it is given.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imgflow/imgflow/bench/metric"
	"github.com/imgflow/imgflow/bench/reference"
	"github.com/imgflow/imgflow/internal/imaging"
)

// config is what main's flags set.
type config struct {
	Images, Presets, Results, Work string
	Imgflow, Engine, JPEGDecode    string // binaries
	JPEGDecodeNote                 string // why JPEGDecode is empty
	Node, SharpScripts, SharpDir   string
	K, Runs                        int
	Only                           string
	KeepRefs                       bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "resizebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var c config
	fs := flag.NewFlagSet("resizebench", flag.ContinueOnError)
	fs.StringVar(&c.Images, "images", "../shared/images", "folder of JPEG/PNG photos")
	fs.StringVar(&c.Presets, "presets", "bench/presets.json", "presets file for both tools")
	fs.StringVar(&c.Results, "results", "bench/results", "folder for <timestamp>.json and .md")
	fs.StringVar(&c.Work, "work", "", "scratch folder (outputs, references; required)")
	fs.StringVar(&c.Imgflow, "imgflow", "", "imgflow binary (required)")
	fs.StringVar(&c.Engine, "engine", "", "bench/engine binary (required)")
	fs.StringVar(&c.JPEGDecode, "jpegdecode", "", "bench/jpegdecode binary (empty: not available)")
	fs.StringVar(&c.JPEGDecodeNote, "jpegdecode-note", "decoder not integrated", "shown when -jpegdecode is empty")
	fs.StringVar(&c.Node, "node", "node", "node binary")
	fs.StringVar(&c.SharpScripts, "sharp-scripts", "bench", "folder holding sharp.mjs and sharp-cli.mjs")
	fs.StringVar(&c.SharpDir, "sharp-prefix", "", "npm --prefix folder sharp is installed in")
	fs.IntVar(&c.K, "k", 5, "timed in-process runs per measurement (at least 5)")
	fs.IntVar(&c.Runs, "runs", 5, "whole-process runs per command (at least 5)")
	fs.StringVar(&c.Only, "only", "", "only images whose name contains this")
	fs.BoolVar(&c.KeepRefs, "keep-refs", false, "keep the reference PNGs in -work/refs")
	timer := fs.String("timer", "hyperfine", "whole-process timer: hyperfine (when installed) or loop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	noHyperfine = *timer == "loop"
	if c.Work == "" || c.Imgflow == "" || c.Engine == "" {
		return errors.New("-work, -imgflow and -engine are required")
	}
	if c.K < 5 || c.Runs < 5 {
		fmt.Fprintf(os.Stderr, "resizebench: warning: k=%d runs=%d; the issue asks for medians of at least 5\n", c.K, c.Runs)
	}
	files, err := listImages(c.Images, c.Only)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fmt.Fprintf(stdout, "resizebench: no JPEG or PNG files in %s\n", c.Images)
		return nil
	}
	start := time.Now()
	rep := &report{Started: start.UTC().Format(time.RFC3339), Machine: machineInfo(), K: c.K, Runs: c.Runs, Presets: c.Presets}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "[%d/%d] %s (load %s, %s elapsed)\n", i+1, len(files), filepath.Base(f), loadAvg(), time.Since(start).Round(time.Second))
		r := benchImage(ctx, &c, f)
		if rep.Sharp == nil && r.sharpVersions != nil {
			rep.Sharp = r.sharpVersions
		}
		rep.Images = append(rep.Images, r)
		debug.FreeOSMemory()
	}
	rep.Machine.LoadEnd = loadAvg()
	rep.ElapsedS = math.Round(time.Since(start).Seconds())
	md := rep.markdown()
	fmt.Fprint(stdout, md)

	if err := os.MkdirAll(c.Results, 0o755); err != nil {
		return err
	}
	stamp := start.UTC().Format("2006-01-02T1504Z")
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.Results, stamp+".json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.Results, stamp+".md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten: %s.{json,md}\n", filepath.Join(c.Results, stamp))
	var failed int
	for _, r := range rep.Images {
		failed += len(r.Errors)
	}
	if failed > 0 {
		return fmt.Errorf("%d measurement(s) failed; see the Errors lines", failed)
	}
	return nil
}

func listImages(dir, only string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.Type().IsRegular() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") && strings.Contains(e.Name(), only) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// benchImage measures one image; failures are recorded, not returned, so
// one bad input does not lose the others' numbers.
func benchImage(ctx context.Context, c *config, path string) *imageResult {
	r := &imageResult{File: filepath.Base(path), Load1: loadAvg()}
	fail := func(what string, err error) { r.Errors = append(r.Errors, what+": "+err.Error()) }
	info, err := probeFile(path)
	if err != nil {
		fail("probe", err)
		return r
	}
	r.setInfo(info)
	if st, err := os.Stat(path); err == nil {
		r.Bytes = st.Size()
	}
	sharpEnv := []string{"SHARP_PREFIX=" + c.SharpDir}
	if v := os.Getenv("SHARP_CONCURRENCY"); v != "" {
		sharpEnv = append(sharpEnv, "SHARP_CONCURRENCY="+v)
	}
	k := strconv.Itoa(c.K)

	// Warm: the 4-size unit inside one process.
	var ours, sharp warmResult
	if err := runJSON(ctx, &ours, nil, c.Engine, "-k", k, "-presets", c.Presets, path); err != nil {
		fail("ours warm", err)
	} else {
		r.Warm.Ours = &ours
	}
	if err := runJSON(ctx, &sharp, sharpEnv, c.Node, filepath.Join(c.SharpScripts, "sharp.mjs"), "--k", k, "--presets", c.Presets, path); err != nil {
		fail("sharp warm", err)
	} else {
		r.Warm.Sharp = &sharp
		r.sharpVersions = &sharpInfo{Versions: sharp.Versions, Concurrency: sharp.Concurrency}
	}
	if r.Warm.Ours != nil && r.Warm.Sharp != nil {
		r.Warm.Ratio = num(ours.MedianMS / sharp.MedianMS)
	}

	perCore(ctx, c, r, path, sharpEnv, fail)

	// Whole process, with peak RSS from the same runs. No warm-up run: the
	// warm runs above just read the same binaries, modules and image, so the
	// page cache is warm, and neither tool keeps anything else between runs.
	stem := strings.TrimSuffix(r.File, filepath.Ext(r.File))
	dirOurs, dirSharp := filepath.Join(c.Work, "out-ours"), filepath.Join(c.Work, "out-sharp")
	ps, err := timeProcesses(ctx, c.Work, 0, c.Runs, sharpEnv, map[string][]string{
		"ours":  {c.Imgflow, "resize", "--presets", c.Presets, "--out", dirOurs, path},
		"sharp": {c.Node, filepath.Join(c.SharpScripts, "sharp-cli.mjs"), "--presets", c.Presets, "--out", dirSharp, path},
	}, []string{"ours", "sharp"})
	if err != nil {
		fail("whole process", err)
	} else {
		r.Process.Ours, r.Process.Sharp = ps["ours"], ps["sharp"]
		r.Process.Ratio = num(ps["ours"].MedianMS / ps["sharp"].MedianMS)
		r.Process.RSSRatio = num(float64(ps["ours"].MedianRSS) / float64(ps["sharp"].MedianRSS))
	}

	// 24 MP JPEGs: the 256-px thumbnail alone, and the 1/8-scale decode.
	if info.Format == imaging.JPEG && info.Pixels() >= 20_000_000 {
		r.Large = &largeResult{}
		var th warmResult
		if err := runJSON(ctx, &th, nil, c.Engine, "-k", k, "-presets", c.Presets, "-only", "thumb", path); err != nil {
			fail("thumbnail", err)
		} else {
			r.Large.ThumbMS = num(th.MedianMS)
			r.Large.ThumbRunsMS = th.RunsMS
		}
		if c.JPEGDecode == "" {
			r.Large.Decode8Note = "n/a (" + c.JPEGDecodeNote + ")"
		} else {
			var d decodeResult
			if err := runJSON(ctx, &d, nil, c.JPEGDecode, "-k", k, "-scale", "8", path); err != nil {
				r.Large.Decode8Note = "n/a (decoder failed: " + err.Error() + ")"
			} else {
				r.Large.Decode8MS = num(d.RGBAMedianMS)
				r.Large.Decode8PlanesMS = num(d.PlanesMedianMS)
				r.Large.Decode8RunsMS = d.RGBARunsMS
			}
		}
		if djpeg, err := exec.LookPath("djpeg"); err != nil {
			r.Large.DjpegNote = "n/a (djpeg not installed)"
		} else if dj, err := timeProcesses(ctx, c.Work, 1, c.Runs, nil, map[string][]string{
			"djpeg": {djpeg, "-scale", "1/8", "-outfile", "/dev/null", path},
		}, []string{"djpeg"}); err != nil {
			fail("djpeg", err)
		} else {
			r.Large.DjpegMS = num(dj["djpeg"].MedianMS)
			r.Large.DjpegRunsMS = dj["djpeg"].RunsMS
			if r.Large.Decode8MS > 0 {
				r.Large.Decode8Ratio = num(float64(r.Large.Decode8MS) / dj["djpeg"].MedianMS)
			}
		}
	}

	// Quality of the whole-process outputs: imgflow resize writes under the
	// source's base name (sources differing only in extension stay apart),
	// sharp-cli.mjs under its stem.
	if r.Process.Ours != nil {
		if err := r.quality(ctx, c, path, info, filepath.Join(dirOurs, r.File), filepath.Join(dirSharp, stem)); err != nil {
			fail("quality", err)
		}
	}
	os.RemoveAll(dirOurs)
	os.RemoveAll(dirSharp)
	return r
}

// perCore measures the warm unit and the whole process again with both
// tools pinned to CPU 0, recording CPU time beside wall time.
func perCore(ctx context.Context, c *config, r *imageResult, path string, sharpEnv []string, fail func(string, error)) {
	pin := []string{"taskset", "-c", "0"}
	k := strconv.Itoa(c.K)
	pc := &r.PerCore
	var ours, sharp warmResult
	if err := runJSON(ctx, &ours, nil, pin[0], append(pin[1:], c.Engine, "-k", k, "-presets", c.Presets, path)...); err != nil {
		fail("ours warm per core", err)
	} else {
		pc.Warm.Ours = &ours
	}
	if err := runJSON(ctx, &sharp, sharpEnv, pin[0], append(pin[1:], c.Node, filepath.Join(c.SharpScripts, "sharp.mjs"), "--k", k, "--presets", c.Presets, path)...); err != nil {
		fail("sharp warm per core", err)
	} else {
		pc.Warm.Sharp = &sharp
	}
	if pc.Warm.Ours != nil && pc.Warm.Sharp != nil {
		pc.Warm.CPURatio = num(ours.CPUMedianMS / sharp.CPUMedianMS)
		pc.Warm.WallRatio = num(ours.MedianMS / sharp.MedianMS)
	}
	dirOurs, dirSharp := filepath.Join(c.Work, "out-ours-pinned"), filepath.Join(c.Work, "out-sharp-pinned")
	defer os.RemoveAll(dirOurs)
	defer os.RemoveAll(dirSharp)
	ps, err := timeProcesses(ctx, c.Work, 0, c.Runs, sharpEnv, map[string][]string{
		"ours":  append(slices.Clone(pin), c.Imgflow, "resize", "--presets", c.Presets, "--out", dirOurs, path),
		"sharp": append(slices.Clone(pin), c.Node, filepath.Join(c.SharpScripts, "sharp-cli.mjs"), "--presets", c.Presets, "--out", dirSharp, path),
	}, []string{"ours", "sharp"})
	if err != nil {
		fail("whole process per core", err)
		return
	}
	pc.Process.Ours, pc.Process.Sharp = ps["ours"], ps["sharp"]
	pc.Process.CPURatio = num(ps["ours"].MedianCPU / ps["sharp"].MedianCPU)
	pc.Process.WallRatio = num(ps["ours"].MedianMS / ps["sharp"].MedianMS)
}

func probeFile(path string) (imaging.Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return imaging.Info{}, err
	}
	defer f.Close()
	return imaging.Probe(f)
}

// quality computes SSIM of both tools' variants against the reference and
// the colour difference between them.
func (r *imageResult) quality(ctx context.Context, c *config, path string, info imaging.Info, oursDir, sharpDir string) error {
	pf, err := readPresetNames(c.Presets)
	if err != nil {
		return err
	}
	refDir := filepath.Join(c.Work, "refs")
	if err := os.MkdirAll(refDir, 0o755); err != nil {
		return err
	}
	var render *reference.Renderer
	if c.SharpDir != "" {
		render = &reference.Renderer{Node: c.Node, Script: filepath.Join(c.SharpScripts, "sharp-srgb.mjs"), SharpPrefix: c.SharpDir}
	}
	full, src, err := reference.Load(ctx, path, info.Orientation, info.HasICC, render, refDir)
	if err != nil {
		return err
	}
	r.Reference = src
	refs := map[[2]int]*refImage{}
	ref := func(w, h int) (*refImage, error) {
		if m, ok := refs[[2]int{w, h}]; ok {
			return m, nil
		}
		m := reference.Resize(full, w, h)
		// Saved losslessly, and SSIM reads back exactly these 8-bit values.
		p := filepath.Join(refDir, fmt.Sprintf("%s_%dx%d.png", strings.TrimSuffix(r.File, filepath.Ext(r.File)), w, h))
		if err := writePNG(p, m); err != nil {
			return nil, err
		}
		if !c.KeepRefs {
			defer os.Remove(p)
		}
		ri := &refImage{img: m}
		refs[[2]int{w, h}] = ri
		return ri, nil
	}
	for _, preset := range pf {
		v := variantResult{Preset: preset, SSIMOurs: num(math.NaN()), SSIMSharp: num(math.NaN()), SSIMDiff: num(math.NaN()),
			DeltaE00: num(math.NaN()), DeltaE76: num(math.NaN())}
		om, oerr := readImage(filepath.Join(oursDir, preset+".jpg"))
		sm, serr := readImage(filepath.Join(sharpDir, preset+".jpg"))
		if oerr != nil {
			return fmt.Errorf("%s ours: %w", preset, oerr)
		}
		if serr != nil {
			return fmt.Errorf("%s sharp: %w", preset, serr)
		}
		ob, sb := om.Bounds(), sm.Bounds()
		v.Ours = fmt.Sprintf("%dx%d", ob.Dx(), ob.Dy())
		v.Sharp = fmt.Sprintf("%dx%d", sb.Dx(), sb.Dy())
		ro, err := ref(ob.Dx(), ob.Dy())
		if err != nil {
			return err
		}
		rs, err := ref(sb.Dx(), sb.Dy())
		if err != nil {
			return err
		}
		v.SSIMOurs = num(metric.SSIM(om, ro.img))
		v.SSIMSharp = num(metric.SSIM(sm, rs.img))
		v.SSIMDiff = v.SSIMOurs - v.SSIMSharp
		v.Flag = float64(v.SSIMOurs) < float64(v.SSIMSharp)-0.005
		d00, d76 := meanDeltaE(om, sm)
		v.DeltaE00, v.DeltaE76 = num(d00), num(d76)
		r.Variants = append(r.Variants, v)
	}
	return nil
}

type refImage struct{ img *image.NRGBA }

func readPresetNames(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Presets []struct{ Name string } `json:"presets"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var names []string
	for _, p := range f.Presets {
		names = append(names, p.Name)
	}
	return names, nil
}

// machineInfo is what makes the numbers interpretable.
func machineInfo() machine {
	m := machine{NProc: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(), LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		m.Mem = strings.Join(strings.Fields(strings.TrimPrefix(line, "MemTotal:")), " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Node = firstLine(exec.Command("node", "--version"))
	m.Hyperfine = firstLine(exec.Command("hyperfine", "--version"))
	m.Djpeg = firstLine(exec.Command("djpeg", "-version"))
	return m
}

func firstLine(cmd *exec.Cmd) string {
	b, err := cmd.CombinedOutput()
	if err != nil && len(b) == 0 {
		return "not installed"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
