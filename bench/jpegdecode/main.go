// Command jpegdecode times our JPEG decoder (internal/imaging/jpeg) at one
// DCT scale, warm, inside one process: the file is read once, decoded once
// untimed, then K times; it prints the runs and medians as JSON.
//
// Two timings: DecodeRGBA (planes, upsampling and colour conversion to RGB:
// the same work as `djpeg -scale 1/8 -outfile /dev/null`, which writes
// colour-converted PPM) and Decode (planes only, no colour conversion).
//
// It is a separate command from bench/engine so that a decoder package that
// does not build at the moment (it is being written) costs only this row.
//
//	go run ./bench/jpegdecode [-k 5] [-scale 8] FILE
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/imgflow/imgflow/bench/metric"
	"io"
	"os"
	"time"

	"github.com/imgflow/imgflow/internal/imaging/jpeg"
)

// Result is what the command prints.
type Result struct {
	File           string    `json:"file"`
	Scale          int       `json:"scale"`
	Width          int       `json:"width"`
	Height         int       `json:"height"`
	RGBARunsMS     []float64 `json:"rgba_runs_ms"`
	RGBAMedianMS   float64   `json:"rgba_median_ms"`
	PlanesRunsMS   []float64 `json:"planes_runs_ms"`
	PlanesMedianMS float64   `json:"planes_median_ms"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jpegdecode:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("jpegdecode", flag.ContinueOnError)
	k := fs.Int("k", 5, "timed runs")
	scale := fs.Int("scale", 8, "DCT scale: 1, 2, 4 or 8")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *k < 1 {
		return errors.New("usage: jpegdecode [-k N] [-scale S] FILE")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	opt := &jpeg.Options{Scale: *scale}
	res := Result{File: fs.Arg(0), Scale: *scale}
	for i := range *k + 1 { // run 0 is the warm-up
		start := time.Now()
		m, err := jpeg.DecodeRGBA(bytes.NewReader(data), opt)
		d := time.Since(start)
		if err != nil {
			return err
		}
		res.Width, res.Height = m.Rect.Dx(), m.Rect.Dy()
		start = time.Now()
		if _, err := jpeg.Decode(bytes.NewReader(data), opt); err != nil {
			return err
		}
		dp := time.Since(start)
		if i > 0 {
			res.RGBARunsMS = append(res.RGBARunsMS, metric.MS(d))
			res.PlanesRunsMS = append(res.PlanesRunsMS, metric.MS(dp))
		}
	}
	res.RGBAMedianMS = metric.Median(res.RGBARunsMS)
	res.PlanesMedianMS = metric.Median(res.PlanesRunsMS)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
