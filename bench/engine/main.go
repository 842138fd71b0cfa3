// Command engine times our resize engine warm, inside one process: it reads
// an image once, then runs the 4-size unit (every preset of the presets file)
// K times after a warm-up and prints the per-run times and their median as
// JSON on stdout.
//
// The unit is what the pipeline runs: validate.Items groups the presets into
// resize invocations, and each is one imaging.ProcessSizes call decoding
// from the file bytes, as the resize Lambda does: one call for all presets
// (one decode; for a JPEG one entropy decode, reconstructed at each
// preset's DCT scale). -per-size runs one call per preset, as the pipeline
// did before grouping (for JPEG, before the entropy decode was shared).
//
//	go run ./bench/engine [-k 5] [-warmup 1] [-presets FILE] [-only thumb] [-per-size] FILE
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/imgflow/imgflow/bench/metric"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/presets"
)

// Result is what the command prints.
type Result struct {
	File     string    `json:"file"`
	K        int       `json:"k"`
	Items    int       `json:"items"`     // resize invocations per unit
	RunsMS   []float64 `json:"runs_ms"`   // one 4-size unit per run
	MedianMS float64   `json:"median_ms"` // median of RunsMS
	// CPU time of each unit, user+system of the whole process (all
	// threads and the GC), which pinned to one core is what Lambda bills.
	CPURunsMS   []float64 `json:"cpu_runs_ms"`
	CPUMedianMS float64   `json:"cpu_median_ms"`
	Variants    []Variant `json:"variants"`
}

// Variant is one preset's output and the median time of the invocation
// that made it (shared by every preset of a group).
type Variant struct {
	Preset   string  `json:"preset"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Bytes    int64   `json:"bytes"`
	MedianMS float64 `json:"median_ms"`

	item int // index of the invocation that made it
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "engine:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("engine", flag.ContinueOnError)
	k := fs.Int("k", 5, "timed runs of the unit")
	warmup := fs.Int("warmup", 1, "untimed runs first")
	presetsPath := fs.String("presets", "bench/presets.json", "presets file")
	only := fs.String("only", "", "comma-separated preset names to run (default all)")
	perSize := fs.Bool("per-size", false, "one engine call per preset for every format (the pipeline before grouping)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *k < 1 {
		return errors.New("usage: engine [-k N] [-warmup N] [-presets FILE] [-only NAMES] [-per-size] FILE")
	}
	pf, err := presets.Load(*presetsPath)
	if err != nil {
		return err
	}
	ps := pf.Presets
	if *only != "" {
		names := strings.Split(*only, ",")
		ps = slices.DeleteFunc(slices.Clone(ps), func(p presets.Preset) bool { return !slices.Contains(names, p.Name) })
		if len(ps) == 0 {
			return fmt.Errorf("no preset named %q", *only)
		}
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Plan exactly as `imgflow resize` and the validate step do.
	info, err := imaging.Probe(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dw, dh := info.DisplaySize()
	src := pipeline.Source{Key: filepath.Base(path), Format: string(info.Format), Width: dw, Height: dh, HasAlpha: info.HasAlpha}
	plans := validate.Plan(src, ps, "", "")
	items := validate.Items(plans)
	if *perSize {
		items = plans
	}

	res := Result{File: path, K: *k, Items: len(items), Variants: make([]Variant, 0, len(plans))}
	perItem := make([][]float64, len(items))
	for i := range *warmup + *k {
		var unit time.Duration
		cpu0 := metric.CPUTime()
		res.Variants = res.Variants[:0]
		for it, item := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Every format of every preset of the item from one call, as
			// the resize step.
			targets := make([]imaging.Target, len(item.Plans()))
			for t, plan := range item.Plans() {
				targets[t].Spec = imaging.Spec{LongSide: plan.LongSide, Background: color.NRGBA{255, 255, 255, 255}}
				for _, fp := range plan.Files {
					targets[t].Encodings = append(targets[t].Encodings, imaging.Encoding{Format: imaging.Format(fp.Format), Quality: fp.Quality, Dst: io.Discard})
				}
			}
			start := time.Now()
			outs, err := imaging.ProcessSizes(ctx, bytes.NewReader(data), targets, imaging.Limits{MaxPixels: 100_000_000})
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", path, item.Plans()[0].Preset, err)
			}
			unit += d
			if i >= *warmup {
				perItem[it] = append(perItem[it], metric.MS(d))
			}
			for t, plan := range item.Plans() {
				var n int64
				for _, o := range outs[t] {
					n += o.Bytes
				}
				res.Variants = append(res.Variants, Variant{Preset: plan.Preset, Width: outs[t][0].Width, Height: outs[t][0].Height, Bytes: n, item: it})
			}
		}
		if i >= *warmup {
			res.RunsMS = append(res.RunsMS, metric.MS(unit))
			res.CPURunsMS = append(res.CPURunsMS, metric.MS(metric.CPUTime()-cpu0))
		}
	}
	res.MedianMS = metric.Median(res.RunsMS)
	res.CPUMedianMS = metric.Median(res.CPURunsMS)
	for v := range res.Variants {
		res.Variants[v].MedianMS = metric.Median(perItem[res.Variants[v].item])
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
