package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/imgflow/imgflow/bench/metric"
	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/internal/imaging/webpenc"
)

// timed is what the helper modes and sharp-webp.mjs print: per-run wall
// and CPU (user+system of the whole process, all threads) times in ms.
type timed struct {
	RunsMS      []float64 `json:"runs_ms"`
	MedianMS    float64   `json:"median_ms"`
	CPUMS       []float64 `json:"cpu_ms"`
	CPUMedianMS float64   `json:"cpu_median_ms"`
	CPUMinMS    float64   `json:"cpu_min_ms"`
	Bytes       []int     `json:"bytes,omitempty"`
	Procs       int       `json:"gomaxprocs,omitempty"`
}

// measure runs f once untimed, then k times, recording wall and CPU time.
func measure(k int, f func() error) (timed, error) {
	var t timed
	for i := -1; i < k; i++ {
		c0, t0 := metric.CPUTime(), time.Now()
		if err := f(); err != nil {
			return t, err
		}
		if i >= 0 {
			t.RunsMS = append(t.RunsMS, metric.MS(time.Since(t0)))
			t.CPUMS = append(t.CPUMS, metric.MS(metric.CPUTime()-c0))
		}
	}
	t.MedianMS, t.CPUMedianMS, t.CPUMinMS = metric.Median(t.RunsMS), metric.Median(t.CPUMS), slices.Min(t.CPUMS)
	t.Procs = runtime.GOMAXPROCS(0)
	return t, nil
}

// encodeOneMode times webpenc.Encode (Workers = GOMAXPROCS, which is 1
// under taskset -c 0) on the pixels of a PNG; decoding is not timed.
func encodeOneMode(ctx context.Context, path string, q, k int, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	m, err := png.Decode(f)
	f.Close()
	if err != nil {
		return err
	}
	n := image.NewNRGBA(m.Bounds())
	draw.Draw(n, n.Rect, m, m.Bounds().Min, draw.Src)
	var size int
	t, err := measure(k, func() error {
		var b bytes.Buffer
		err := webpenc.Encode(ctx, &b, n, &webpenc.Options{Quality: q, Method: 4})
		size = b.Len()
		return err
	})
	if err != nil {
		return err
	}
	t.Bytes = []int{size}
	return json.NewEncoder(stdout).Encode(t)
}

// unitMode times the engine's 4-size WebP unit as the resize Lambda runs
// it: one imaging.ProcessSizes call for every preset from the file's bytes
// (one Map item, one entropy decode), WebP at quality q.
func unitMode(ctx context.Context, path, presetsPath string, q, k int, stdout io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	ps, err := readPresets(presetsPath)
	if err != nil {
		return err
	}
	sizes := make([]int, len(ps))
	bufs := make([]bytes.Buffer, len(ps))
	targets := make([]imaging.Target, len(ps))
	for i, p := range ps {
		targets[i] = imaging.Target{Spec: imaging.Spec{LongSide: p.LongSide}, Encodings: []imaging.Encoding{{Format: imaging.WebP, Quality: q, Dst: &bufs[i]}}}
	}
	t, err := measure(k, func() error {
		for i := range bufs {
			bufs[i].Reset()
		}
		if _, err := imaging.ProcessSizes(ctx, bytes.NewReader(data), targets, imaging.Limits{}); err != nil {
			return err
		}
		for i := range bufs {
			sizes[i] = bufs[i].Len()
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.Bytes = sizes
	return json.NewEncoder(stdout).Encode(t)
}

// runJSON runs a helper command and decodes its JSON output.
func runJSON(name string, args []string, env []string) (timed, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return timed{}, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	var t timed
	if err := json.Unmarshal(out.Bytes(), &t); err != nil {
		return t, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// encodeRow is the one-core encode of one photo's 2048-px variant.
type encodeRow struct {
	File        string
	W, H        int
	Ours, CWebP timed
	OursBytes   int
	CWebPBytes  int
}

// timeEncode pins ours (a child process, GOMAXPROCS then 1) and cwebp -m 4
// to CPU 0. Our time is around the Encode call; cwebp's wall time is its
// own "Time to encode picture" and its CPU time the whole process's
// user+sys (getrusage of the child) reading a PPM of the same pixels, so
// that no PNG decoding is counted on either side.
func timeEncode(ctx context.Context, c *config, name string, side int) (encodeRow, error) {
	data, err := os.ReadFile(filepath.Join(c.images, name))
	if err != nil {
		return encodeRow{}, err
	}
	var pb bytes.Buffer
	out, err := imaging.Process(ctx, bytes.NewReader(data), &pb, imaging.Spec{LongSide: side, Format: imaging.PNG}, imaging.Limits{})
	if err != nil {
		return encodeRow{}, err
	}
	row := encodeRow{File: name, W: out.Width, H: out.Height}
	pngPath := filepath.Join(c.work, "t.png")
	if err := os.WriteFile(pngPath, pb.Bytes(), 0o644); err != nil {
		return row, err
	}
	m, err := png.Decode(bytes.NewReader(pb.Bytes()))
	if err != nil {
		return row, err
	}
	n := image.NewNRGBA(m.Bounds())
	draw.Draw(n, n.Rect, m, m.Bounds().Min, draw.Src)
	ppm := filepath.Join(c.work, "t.ppm")
	var pp bytes.Buffer
	fmt.Fprintf(&pp, "P6\n%d %d\n255\n", n.Rect.Dx(), n.Rect.Dy())
	for i := 0; i < len(n.Pix); i += 4 {
		pp.Write(n.Pix[i : i+3])
	}
	if err := os.WriteFile(ppm, pp.Bytes(), 0o644); err != nil {
		return row, err
	}
	row.Ours, err = runJSON("taskset", []string{"-c", "0", c.self, "-encode-one", pngPath, "-q", fmt.Sprint(c.quality), "-k", fmt.Sprint(c.k)}, nil)
	if err != nil {
		return row, err
	}
	row.OursBytes = row.Ours.Bytes[0]
	cwOut := filepath.Join(c.work, "t.webp")
	for i := -1; i < c.k; i++ {
		cmd := exec.Command("taskset", "-c", "0", "cwebp", "-v", "-m", "4", "-q", fmt.Sprint(c.quality), ppm, "-o", cwOut)
		b, err := cmd.CombinedOutput()
		if err != nil {
			return row, fmt.Errorf("cwebp: %v: %s", err, b)
		}
		if i < 0 {
			continue
		}
		var enc float64
		for _, l := range strings.Split(string(b), "\n") {
			var s float64
			if _, err := fmt.Sscanf(l, "Time to encode picture: %fs", &s); err == nil {
				enc = s * 1000
			}
		}
		st := cmd.ProcessState
		row.CWebP.RunsMS = append(row.CWebP.RunsMS, enc)
		row.CWebP.CPUMS = append(row.CWebP.CPUMS, metric.MS(st.UserTime()+st.SystemTime()))
	}
	row.CWebP.MedianMS, row.CWebP.CPUMedianMS, row.CWebP.CPUMinMS = metric.Median(row.CWebP.RunsMS), metric.Median(row.CWebP.CPUMS), slices.Min(row.CWebP.CPUMS)
	if fi, err := os.Stat(cwOut); err == nil {
		row.CWebPBytes = int(fi.Size())
	}
	return row, nil
}

// unitRow is the 4-size WebP unit of one file, ours and sharp's, on the
// machine's cores and pinned to one.
type unitRow struct {
	File                 string
	Ours2, Ours1         timed
	Sharp2, Sharp1       timed
	HaveSharp            bool
	SharpVer, SharpConc  string
	OursBytes, SharpByts []int
}

func timeUnits(c *config) (unitRow, error) {
	path := filepath.Join(c.images, c.unitFile)
	row := unitRow{File: c.unitFile}
	ours := []string{c.self, "-unit", path, "-presets", c.presets, "-q", fmt.Sprint(c.quality), "-k", fmt.Sprint(c.k)}
	var err error
	if row.Ours2, err = runJSON(ours[0], ours[1:], nil); err != nil {
		return row, err
	}
	if row.Ours1, err = runJSON("taskset", append([]string{"-c", "0"}, ours...), nil); err != nil {
		return row, err
	}
	row.OursBytes = row.Ours2.Bytes
	if c.sharpPrefix == "" {
		return row, nil
	}
	sharp := []string{c.sharpScript, "--k", fmt.Sprint(c.k), "--presets", c.presets, path}
	env := []string{"SHARP_PREFIX=" + c.sharpPrefix}
	type sharpOut struct {
		Variants []struct {
			Bytes int `json:"bytes"`
		} `json:"variants"`
		Versions    map[string]string `json:"versions"`
		Concurrency int               `json:"concurrency"`
	}
	if row.Sharp2, err = runJSON("node", sharp, env); err != nil {
		return row, err
	}
	if row.Sharp1, err = runJSON("taskset", append([]string{"-c", "0", "node"}, sharp...), env); err != nil {
		return row, err
	}
	// Sizes and versions: one more, untimed run.
	cmd := exec.Command("node", append(sharp[:1], "--k", "1", "--warmup", "0", "--presets", c.presets, path)...)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.Output(); err == nil {
		var so sharpOut
		if json.Unmarshal(b, &so) == nil {
			for _, v := range so.Variants {
				row.SharpByts = append(row.SharpByts, v.Bytes)
			}
			row.SharpVer = fmt.Sprintf("sharp %s, libvips %s, libwebp %s", so.Versions["sharp"], so.Versions["vips"], so.Versions["webp"])
			row.SharpConc = fmt.Sprint(so.Concurrency)
		}
	}
	row.HaveSharp = true
	return row, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}
