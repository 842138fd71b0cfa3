package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/imgflow/imgflow/bench/reference"
	"github.com/imgflow/imgflow/internal/imaging"
)

// num is a float that encodes NaN and ±Inf as JSON null.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64), nil
}

type report struct {
	Started  string         `json:"started"`
	ElapsedS float64        `json:"elapsed_s"`
	Machine  machine        `json:"machine"`
	Sharp    *sharpInfo     `json:"sharp"`
	K        int            `json:"k"`
	Runs     int            `json:"runs"`
	Presets  string         `json:"presets"`
	Images   []*imageResult `json:"images"`
}

type machine struct {
	NProc      int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPU        string `json:"cpu"`
	Mem        string `json:"mem"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Node       string `json:"node"`
	Hyperfine  string `json:"hyperfine"`
	Djpeg      string `json:"djpeg"`
	LoadStart  string `json:"load_start"`
	LoadEnd    string `json:"load_end"`
}

type sharpInfo struct {
	Versions    map[string]string `json:"versions"`
	Concurrency int               `json:"concurrency"`
}

type imageResult struct {
	File        string `json:"file"`
	Width       int    `json:"width"` // as stored
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	Format      string `json:"format"`
	ColorModel  string `json:"color_model"`
	Progressive bool   `json:"progressive"`
	Orientation int    `json:"orientation"`
	HasICC      bool   `json:"has_icc"`
	// Reference: the pixels the SSIM reference was built from (lcms2: an
	// ICC-tagged source rendered through its profile; plain otherwise).
	Reference reference.Source `json:"reference"`
	HasAlpha  bool             `json:"has_alpha"`
	Load1     string           `json:"load_at_start"`

	Warm struct {
		Ours  *warmResult `json:"ours"`
		Sharp *warmResult `json:"sharp"`
		Ratio num         `json:"ratio"`
	} `json:"warm"`
	Process struct {
		Ours     *procStats `json:"ours"`
		Sharp    *procStats `json:"sharp"`
		Ratio    num        `json:"ratio"`
		RSSRatio num        `json:"rss_ratio"`
	} `json:"process"`
	// PerCore is the same unit and the same whole process with both tools
	// pinned to CPU 0 (taskset -c 0): what one Lambda vCPU pays.
	PerCore struct {
		Warm struct {
			Ours      *warmResult `json:"ours"`
			Sharp     *warmResult `json:"sharp"`
			CPURatio  num         `json:"cpu_ratio"`
			WallRatio num         `json:"wall_ratio"`
		} `json:"warm"`
		Process struct {
			Ours      *procStats `json:"ours"`
			Sharp     *procStats `json:"sharp"`
			CPURatio  num        `json:"cpu_ratio"`
			WallRatio num        `json:"wall_ratio"`
		} `json:"process"`
	} `json:"per_core"`
	Variants []variantResult `json:"variants"`
	Large    *largeResult    `json:"large,omitempty"` // 24 MP JPEGs only
	Errors   []string        `json:"errors,omitempty"`

	sharpVersions *sharpInfo
}

type variantResult struct {
	Preset    string `json:"preset"`
	Ours      string `json:"ours_size"`
	Sharp     string `json:"sharp_size"`
	SSIMOurs  num    `json:"ssim_ours"`
	SSIMSharp num    `json:"ssim_sharp"`
	SSIMDiff  num    `json:"ssim_diff"` // ours - sharp
	Flag      bool   `json:"flag"`      // ours < sharp - 0.005
	DeltaE00  num    `json:"delta_e2000_vs_sharp"`
	DeltaE76  num    `json:"delta_e76_vs_sharp"`
}

type largeResult struct {
	ThumbMS         num       `json:"thumb256_warm_ms"`
	ThumbRunsMS     []float64 `json:"thumb256_runs_ms"`
	Decode8MS       num       `json:"decode_1_8_rgba_ms,omitempty"`
	Decode8PlanesMS num       `json:"decode_1_8_planes_ms,omitempty"`
	Decode8RunsMS   []float64 `json:"decode_1_8_runs_ms,omitempty"`
	Decode8Note     string    `json:"decode_1_8_note,omitempty"`
	DjpegMS         num       `json:"djpeg_1_8_ms"`
	DjpegRunsMS     []float64 `json:"djpeg_1_8_runs_ms"`
	DjpegNote       string    `json:"djpeg_note,omitempty"`
	Decode8Ratio    num       `json:"decode_1_8_ratio,omitempty"`
}

func (r *imageResult) setInfo(i imaging.Info) {
	r.Width, r.Height = i.Width, i.Height
	r.Format, r.ColorModel = string(i.Format), i.ColorModel
	r.Progressive, r.Orientation, r.HasICC, r.HasAlpha = i.Progressive, i.Orientation, i.HasICC, i.HasAlpha
}

func (r *imageResult) megapixels() float64 { return float64(r.Width*r.Height) / 1e6 }

// goal is issue 14's ceiling for our time over sharp's, the same for the
// per-core CPU time and the two-core wall time of the warm unit: 0.85x on
// the 12 MP and 24 MP baseline JPEGs, 0.5x on the progressive ones, 1.0x
// on PNGs; 0 for none.
func (r *imageResult) goal() float64 {
	switch {
	case r.Format == string(imaging.PNG):
		return 1.0
	case r.Format != string(imaging.JPEG) || r.megapixels() < 10:
		return 0
	case r.Progressive:
		return 0.5
	}
	return 0.85
}

func (r *imageResult) isCMYKWithICC() bool {
	return (r.ColorModel == imaging.ModelCMYK || r.ColorModel == imaging.ModelYCCK) && r.HasICC
}

func (r *imageResult) describe() string {
	enc := "baseline"
	if r.Progressive {
		enc = "progressive"
	}
	if r.Format != string(imaging.JPEG) {
		enc = r.Format
	}
	var extra []string
	if r.Orientation > 1 {
		extra = append(extra, fmt.Sprintf("EXIF orientation %d", r.Orientation))
	}
	if r.HasICC {
		extra = append(extra, "ICC")
	}
	if r.HasAlpha {
		extra = append(extra, "alpha")
	}
	s := fmt.Sprintf("%dx%d (%.1f MP), %s %s, %.1f MB", r.Width, r.Height, r.megapixels(), enc, r.ColorModel, float64(r.Bytes)/1e6)
	if len(extra) > 0 {
		s += ", " + strings.Join(extra, ", ")
	}
	return s
}

func fms(v float64) string {
	if math.IsNaN(v) || v == 0 {
		return "–"
	}
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func fratio(v num, goal float64) string {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
		return "–"
	}
	s := fmt.Sprintf("%.2f×", f)
	if goal > 0 {
		if f <= goal {
			s += " ✓"
		} else {
			s += " ✗"
		}
	}
	return s
}

func fssim(v num) string {
	if math.IsNaN(float64(v)) {
		return "–"
	}
	return fmt.Sprintf("%.4f", float64(v))
}

func mb(kb int64) string {
	if kb == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MB", float64(kb)/1024)
}

func (rep *report) markdown() string {
	var b strings.Builder
	m := rep.Machine
	fmt.Fprintf(&b, "## Resize benchmark: imgflow engine vs sharp (%s)\n\n", rep.Started)
	fmt.Fprintf(&b, "Machine: %d cores (GOMAXPROCS %d), %s, %s, Linux %s. Load average (1/5/15 min): %s at start, %s at end. %s, node %s",
		m.NProc, m.GOMAXPROCS, m.CPU, m.Mem, m.Kernel, m.LoadStart, m.LoadEnd, m.Go, m.Node)
	if rep.Sharp != nil {
		fmt.Fprintf(&b, ", sharp %s (libvips %s, concurrency %d)", rep.Sharp.Versions["sharp"], rep.Sharp.Versions["vips"], rep.Sharp.Concurrency)
	}
	fmt.Fprintf(&b, ", %s, djpeg: %s. Run took %.0f s.\n\n", m.Hyperfine, m.Djpeg, rep.ElapsedS)
	fmt.Fprintf(&b, "Unit = 4 JPEG variants (long side 2048/1024/512/256, quality 80, EXIF-rotated), each decoded from the file bytes. "+
		"Warm: median of %d in-process runs after 1 warm-up (`bench/engine` vs `bench/sharp.mjs`). Process: median of %d whole runs "+
		"(no warm-up: page cache already warm from the warm runs; `imgflow resize` vs `node bench/sharp-cli.mjs`), peak RSS from the same runs (`/usr/bin/time -v`). "+
		"Per core: the same, both pinned to CPU 0 (`taskset -c 0`; Go then runs with GOMAXPROCS 1), CPU time = user+system of the whole process "+
		"(getrusage in bench/engine, process.cpuUsage in sharp.mjs, GNU time for whole processes). sharp runs at its defaults. "+
		"SSIM: luma, Wang et al. 2004, against a float64 Lanczos3 reference (an ICC-tagged source first rendered to sRGB through its profile by lcms2, bench/sharp-srgb.mjs); ⚠ = ours < sharp − 0.005. ΔE00: mean CIEDE2000 between our and sharp's output. ✓/✗: the issue's goals.\n\n",
		rep.K, rep.Runs)

	b.WriteString("### Summary\n\n")
	b.WriteString("| input | warm ours ms | warm sharp ms | warm ratio | process ours ms | process sharp ms | process ratio | RSS ours | RSS sharp | RSS ratio | worst SSIM ours−sharp | load |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Images {
		var wo, ws, po, pso float64
		var ro, rs int64
		if r.Warm.Ours != nil {
			wo = r.Warm.Ours.MedianMS
		}
		if r.Warm.Sharp != nil {
			ws = r.Warm.Sharp.MedianMS
		}
		if r.Process.Ours != nil {
			po, ro = r.Process.Ours.MedianMS, r.Process.Ours.MedianRSS
			pso, rs = r.Process.Sharp.MedianMS, r.Process.Sharp.MedianRSS
		}
		worst := num(math.NaN())
		flag := ""
		for _, v := range r.Variants {
			if d := v.SSIMDiff; !math.IsNaN(float64(d)) && (math.IsNaN(float64(worst)) || d < worst) {
				worst = d
			}
			if v.Flag {
				flag = " ⚠"
			}
		}
		ws2 := "–"
		if !math.IsNaN(float64(worst)) {
			ws2 = fmt.Sprintf("%+.4f%s", float64(worst), flag)
		}
		load, _, _ := strings.Cut(r.Load1, " ")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.File, fms(wo), fms(ws), fratio(r.Warm.Ratio, r.goal()),
			fms(po), fms(pso), fratio(r.Process.Ratio, 0), mb(ro), mb(rs), fratio(r.Process.RSSRatio, 1.5), ws2, load)
	}

	rep.perCoreMarkdown(&b)

	var large []*imageResult
	for _, r := range rep.Images {
		if r.Large != nil {
			large = append(large, r)
		}
	}
	if len(large) > 0 {
		b.WriteString("\n### 24 MP JPEGs: 256-px thumbnail and 1/8-scale decode\n\n")
		b.WriteString("| input | 256-px thumbnail, ours warm (goal < 60 ms) | 1/8 decode ours (DecodeRGBA, warm) | djpeg -scale 1/8 (whole process) | ratio (goal ≤ 2×) |\n")
		b.WriteString("|---|---:|---:|---:|---:|\n")
		for _, r := range large {
			l := r.Large
			thumb := fms(float64(l.ThumbMS)) + " ms"
			if l.ThumbMS > 0 {
				thumb += map[bool]string{true: " ✓", false: " ✗"}[l.ThumbMS < 60]
			}
			ours := fms(float64(l.Decode8MS)) + " ms"
			if l.Decode8Note != "" {
				ours = l.Decode8Note
			}
			dj := fms(float64(l.DjpegMS)) + " ms"
			if l.DjpegNote != "" {
				dj = l.DjpegNote
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.File, thumb, ours, dj, fratio(l.Decode8Ratio, 2))
		}
	}

	b.WriteString("\n### Per image\n")
	for _, r := range rep.Images {
		fmt.Fprintf(&b, "\n#### %s — %s (load at start %s)\n\n", r.File, r.describe(), r.Load1)
		b.WriteString("| | ours | sharp | ours/sharp |\n|---|---:|---:|---:|\n")
		if r.Warm.Ours != nil || r.Warm.Sharp != nil {
			var o, s float64
			if r.Warm.Ours != nil {
				o = r.Warm.Ours.MedianMS
			}
			if r.Warm.Sharp != nil {
				s = r.Warm.Sharp.MedianMS
			}
			fmt.Fprintf(&b, "| warm 4-size unit, ms | %s | %s | %s |\n", fms(o), fms(s), fratio(r.Warm.Ratio, r.goal()))
		}
		if r.Process.Ours != nil {
			fmt.Fprintf(&b, "| whole process, ms | %s | %s | %s |\n", fms(r.Process.Ours.MedianMS), fms(r.Process.Sharp.MedianMS), fratio(r.Process.Ratio, 0))
			fmt.Fprintf(&b, "| peak RSS | %s | %s | %s |\n", mb(r.Process.Ours.MedianRSS), mb(r.Process.Sharp.MedianRSS), fratio(r.Process.RSSRatio, 1.5))
		}
		if r.Warm.Ours != nil && r.Warm.Sharp != nil && len(r.Warm.Ours.Variants) == len(r.Warm.Sharp.Variants) {
			for i, v := range r.Warm.Ours.Variants {
				s := r.Warm.Sharp.Variants[i]
				fmt.Fprintf(&b, "| warm %s (%dx%d), ms | %s | %s | %s |\n", v.Preset, v.Width, v.Height, fms(v.MedianMS), fms(s.MedianMS), fratio(num(v.MedianMS/s.MedianMS), 0))
			}
		}
		if len(r.Variants) > 0 {
			b.WriteString("\n| variant | size ours | size sharp | SSIM ours | SSIM sharp | ours − sharp | ΔE00 ours vs sharp |\n|---|---|---|---:|---:|---:|---:|\n")
			for _, v := range r.Variants {
				flag := ""
				if v.Flag {
					flag = " ⚠"
				}
				de := "–"
				if !math.IsNaN(float64(v.DeltaE00)) {
					de = fmt.Sprintf("%.2f", float64(v.DeltaE00))
					if r.isCMYKWithICC() {
						de += map[bool]string{true: " ✓", false: " ✗"}[v.DeltaE00 <= 5]
					}
				}
				diff := "–"
				if !math.IsNaN(float64(v.SSIMDiff)) {
					diff = fmt.Sprintf("%+.4f%s", float64(v.SSIMDiff), flag)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", v.Preset, v.Ours, v.Sharp, fssim(v.SSIMOurs), fssim(v.SSIMSharp), diff, de)
			}
		}
		if r.isCMYKWithICC() && len(r.Variants) > 0 {
			fmt.Fprintf(&b, "\nCMYK with ICC: mean colour difference ours vs sharp (CIEDE2000; goal ≤ 5): %s\n", deSummary(r.Variants))
		}
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "\nError: %s\n", e)
		}
	}
	return b.String()
}

func deSummary(vs []variantResult) string {
	var parts []string
	for _, v := range vs {
		if !math.IsNaN(float64(v.DeltaE00)) {
			parts = append(parts, fmt.Sprintf("%s %.2f (CIE76 %.2f)", v.Preset, float64(v.DeltaE00), float64(v.DeltaE76)))
		}
	}
	return strings.Join(parts, ", ")
}

// perCoreMarkdown writes the per-core table: CPU time is what Lambda bills
// (about one vCPU), so it is the primary figure and wall time sits beside.
func (rep *report) perCoreMarkdown(b *strings.Builder) {
	b.WriteString("\n### Per core: both pinned to one CPU\n\n")
	b.WriteString("| input | warm CPU ours ms | warm CPU sharp ms | CPU ratio | warm wall ours ms | warm wall sharp ms | wall ratio | process CPU ours ms | process CPU sharp ms | CPU ratio | process wall ours ms | process wall sharp ms | wall ratio |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Images {
		pc := &r.PerCore
		var wco, wcs, wwo, wws, pco, pcs, pwo, pws float64
		if o, s := pc.Warm.Ours, pc.Warm.Sharp; o != nil && s != nil {
			wco, wcs, wwo, wws = o.CPUMedianMS, s.CPUMedianMS, o.MedianMS, s.MedianMS
		}
		if o, s := pc.Process.Ours, pc.Process.Sharp; o != nil && s != nil {
			pco, pcs, pwo, pws = o.MedianCPU, s.MedianCPU, o.MedianMS, s.MedianMS
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.File,
			fms(wco), fms(wcs), fratio(pc.Warm.CPURatio, r.goal()), fms(wwo), fms(wws), fratio(pc.Warm.WallRatio, 0),
			fms(pco), fms(pcs), fratio(pc.Process.CPURatio, 0), fms(pwo), fms(pws), fratio(pc.Process.WallRatio, 0))
	}
}
