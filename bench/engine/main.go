// Command engine times our resize engine warm, inside one process: it reads
// an image once, then runs the 4-size unit (every preset of the presets file,
// each one a full imaging.Process call that decodes from the file bytes, as
// the resize Lambda does per variant) K times after a warm-up and prints the
// per-run times and their median as JSON on stdout.
//
//	go run ./bench/engine [-k 5] [-warmup 1] [-presets FILE] [-only thumb] FILE
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
	RunsMS   []float64 `json:"runs_ms"`   // one 4-size unit per run
	MedianMS float64   `json:"median_ms"` // median of RunsMS
	Variants []Variant `json:"variants"`
}

// Variant is one preset's output and its median time over the runs.
type Variant struct {
	Preset   string  `json:"preset"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Bytes    int64   `json:"bytes"`
	MedianMS float64 `json:"median_ms"`
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *k < 1 {
		return errors.New("usage: engine [-k N] [-warmup N] [-presets FILE] [-only NAMES] FILE")
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

	res := Result{File: path, K: *k, Variants: make([]Variant, len(plans))}
	perVariant := make([][]float64, len(plans))
	for i := range *warmup + *k {
		var unit time.Duration
		for v, plan := range plans {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Every format of the preset from one decode, as the resize step.
			encs := make([]imaging.Encoding, len(plan.Files))
			for f, fp := range plan.Files {
				encs[f] = imaging.Encoding{Format: imaging.Format(fp.Format), Quality: fp.Quality, Dst: io.Discard}
			}
			spec := imaging.Spec{LongSide: plan.LongSide, Background: color.NRGBA{255, 255, 255, 255}}
			start := time.Now()
			outs, err := imaging.ProcessAll(ctx, bytes.NewReader(data), spec, encs, imaging.Limits{MaxPixels: 100_000_000})
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", path, plan.Preset, err)
			}
			unit += d
			if i >= *warmup {
				perVariant[v] = append(perVariant[v], metric.MS(d))
			}
			var n int64
			for _, o := range outs {
				n += o.Bytes
			}
			res.Variants[v] = Variant{Preset: plan.Preset, Width: outs[0].Width, Height: outs[0].Height, Bytes: n}
		}
		if i >= *warmup {
			res.RunsMS = append(res.RunsMS, metric.MS(unit))
		}
	}
	res.MedianMS = metric.Median(res.RunsMS)
	for v := range res.Variants {
		res.Variants[v].MedianMS = metric.Median(perVariant[v])
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
