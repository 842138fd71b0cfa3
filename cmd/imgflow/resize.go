package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/presets"
)

// runResize runs exactly the engine and variant planning the validate and
// resize steps run, on local files: `imgflow resize --out DIR FILE...`.
func runResize(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	fs := newFlagSet("resize", "--out DIR [--presets FILE] FILE...")
	out := fs.String("out", "", "folder to write the variants to (required)")
	presetsPath := fs.String("presets", envOr(env, "IMGFLOW_PRESETS_FILE", ""),
		"presets file (IMGFLOW_PRESETS_FILE); empty: the built-in defaults, layers/common/assets/presets.json")
	maxPixels := fs.Int64("max-pixels", 100_000_000, "refuse images with more pixels than this")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return usageError(fs, stderr, "--out and at least one FILE are required")
	}
	pf, err := loadPresets(*presetsPath)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tpreset\tsize\tformat\tbytes\tms\t")
	var failed []error
	for _, path := range fs.Args() {
		if err := resizeFile(ctx, tw, path, *out, pf.Presets, *maxPixels); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", path, err))
			fmt.Fprintf(tw, "%s\tFAILED\t\t\t\t\t%v\n", filepath.Base(path), err)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return errors.Join(failed...)
}

func resizeFile(ctx context.Context, w io.Writer, path, outDir string, ps []presets.Preset, maxPixels int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	info, err := imaging.Probe(bufio.NewReader(f))
	f.Close()
	if err != nil {
		return err
	}
	dw, dh := info.DisplaySize()
	src := pipeline.Source{Key: filepath.Base(path), Format: string(info.Format), Width: dw, Height: dh, HasAlpha: info.HasAlpha}
	plans := validate.Plan(src, ps, "", "")
	for _, item := range validate.Items(plans) {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		res, err := resizeItem(ctx, path, outDir, item.Plans(), maxPixels)
		if err != nil {
			return fmt.Errorf("%s: %w", item.Plans()[0].Preset, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		for i, plan := range item.Plans() {
			for _, r := range res[i] {
				fmt.Fprintf(w, "%s\t%s\t%dx%d\t%s\t%d\t%.1f\t\n", filepath.Base(path), plan.Preset, r.Width, r.Height, r.Format, r.Bytes, ms)
			}
		}
	}
	return nil
}

// resizeItem writes every file of every plan of one Map item under outDir
// with one ProcessSizes call, as the resize step does for that item (so a
// grouped source is decoded once for all its sizes); ms in the table is
// the time of the whole item.
func resizeItem(ctx context.Context, srcPath, outDir string, plans []pipeline.VariantPlan, maxPixels int64) (res [][]imaging.Output, err error) {
	in, err := os.Open(srcPath)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var files []*os.File
	var bws []*bufio.Writer
	defer func() {
		for _, f := range files {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(f.Name())
			}
		}
	}()
	targets := make([]imaging.Target, len(plans))
	for i, plan := range plans {
		targets[i].Spec = imaging.Spec{LongSide: plan.LongSide, Background: color.NRGBA{255, 255, 255, 255}}
		for _, fp := range plan.Files {
			dst := filepath.Join(outDir, filepath.FromSlash(fp.Key))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return nil, err
			}
			out, err := os.Create(dst)
			if err != nil {
				return nil, err
			}
			files = append(files, out)
			bw := bufio.NewWriter(out)
			bws = append(bws, bw)
			targets[i].Encodings = append(targets[i].Encodings, imaging.Encoding{Format: imaging.Format(fp.Format), Quality: fp.Quality, Dst: bw})
		}
	}
	res, err = imaging.ProcessSizes(ctx, bufio.NewReaderSize(in, 1<<16), targets, imaging.Limits{MaxPixels: maxPixels})
	for _, bw := range bws {
		if err == nil {
			err = bw.Flush()
		}
	}
	return res, err
}

// loadPresets reads the presets file at path, or the built-in presets
// (the layer's presets.json, embedded) when path is empty, so resize runs
// from any directory.
func loadPresets(path string) (*presets.File, error) {
	if path == "" {
		return presets.Default()
	}
	return presets.Load(path)
}
