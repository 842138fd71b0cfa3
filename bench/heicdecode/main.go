// Command heicdecode times the decode of a HEIC file by our engine
// (imaging.Decode: container, HEVC, colour conversion, orientation into an
// NRGBA) and prints the runs and their median as JSON. Run it with
// GOMAXPROCS=1 for one core.
//
//   - -k N (N >= 1): N timed decodes inside one process after an untimed
//     warm-up (the in-process median);
//
//   - -k 0: exactly one decode, untimed warm-up left out, for timing the
//     process from outside (hyperfine, GNU time's peak RSS): what a cold
//     Lambda or a command-line converter does;
//
//   - -h265 OUT: write the primary image's coded item (a single-item HEIC,
//     as heif-enc writes) as an Annex B stream for dec265, and exit;
//
//   - -grid OUT: make an iPhone-like grid HEIC of FILE (any JPEG or PNG)
//     from -tile sized tiles encoded by heif-enc at -q, and exit.
//
//     go run ./bench/heicdecode [-k 5] [-h265 out.h265] FILE.heic
//     go run ./bench/heicdecode -grid out.heic [-tile 512] [-q 80] photo.jpg
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/imgflow/imgflow/bench/metric"
	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/imaging/heif"
)

// Result is what the command prints.
type Result struct {
	File       string    `json:"file"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	RunsMS     []float64 `json:"runs_ms"`
	MedianMS   float64   `json:"median_ms"`
	// CPUMS is the process's user+sys CPU time per run (getrusage), which
	// a busy machine disturbs less than wall time.
	CPUMS       []float64 `json:"cpu_ms"`
	MedianCPUMS float64   `json:"median_cpu_ms"`
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "heicdecode:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("heicdecode", flag.ContinueOnError)
	k := fs.Int("k", 5, "timed runs after a warm-up; 0: one decode, no warm-up")
	h265 := fs.String("h265", "", "write the coded item as Annex B to this file and exit")
	grid := fs.String("grid", "", "write an iPhone-like grid HEIC of FILE to this file and exit")
	tile := fs.Int("tile", 512, "grid tile size (-grid)")
	q := fs.Int("q", 80, "heif-enc quality of the tiles (-grid)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the timed runs to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *k < 0 || *tile < 64 || *tile%8 != 0 {
		return errors.New("usage: heicdecode [-k N] [-h265 OUT | -grid OUT [-tile N] [-q Q]] FILE")
	}
	if *grid != "" {
		return writeGrid(ctx, fs.Arg(0), *grid, *tile, *q)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	if *h265 != "" {
		return writeAnnexB(data, *h265)
	}
	res := Result{File: fs.Arg(0), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	n, warm := *k, 1
	if n == 0 {
		n, warm = 1, 0
	}
	for i := range n + warm {
		cpu0 := metric.CPUTime()
		start := time.Now()
		m, _, err := imaging.Decode(ctx, bytes.NewReader(data), imaging.Limits{})
		d := time.Since(start)
		cpu := metric.CPUTime() - cpu0
		if err != nil {
			return err
		}
		res.Width, res.Height = m.Rect.Dx(), m.Rect.Dy()
		if i >= warm {
			res.RunsMS = append(res.RunsMS, metric.MS(d))
			res.CPUMS = append(res.CPUMS, metric.MS(cpu))
		}
	}
	res.MedianMS = metric.Median(res.RunsMS)
	res.MedianCPUMS = metric.Median(res.CPUMS)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// writeAnnexB writes the parameter sets and NAL units of a single-item
// HEIC's primary image with start codes.
func writeAnnexB(data []byte, path string) error {
	f, err := heif.Parse(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return err
	}
	img, err := f.PrimaryImage()
	if err != nil {
		return err
	}
	if img.Coded == nil {
		return errors.New("not a single coded item (a grid): -h265 needs one")
	}
	cfg, err := heif.ParseHVCC(img.Coded.Config)
	if err != nil {
		return err
	}
	item, err := f.ItemData(img.Coded.ID)
	if err != nil {
		return err
	}
	nalus, err := heif.SplitNALUnits(item, cfg.LengthSize)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	for _, n := range append(cfg.ParamSets, nalus...) {
		out.Write([]byte{0, 0, 0, 1})
		out.Write(n)
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}
