package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imgflow/imgflow/bench/metric"
)

// warmResult is what bench/engine and bench/sharp.mjs print.
type warmResult struct {
	K        int       `json:"k"`
	RunsMS   []float64 `json:"runs_ms"`
	MedianMS float64   `json:"median_ms"`
	// CPU time per unit, user+system of the whole process (all threads).
	CPURunsMS   []float64 `json:"cpu_runs_ms"`
	CPUMedianMS float64   `json:"cpu_median_ms"`
	Variants    []struct {
		Preset   string  `json:"preset"`
		Width    int     `json:"width"`
		Height   int     `json:"height"`
		Bytes    int64   `json:"bytes"`
		MedianMS float64 `json:"median_ms"`
	} `json:"variants"`
	Versions    map[string]string `json:"versions,omitempty"`
	Concurrency int               `json:"concurrency,omitempty"`
}

// decodeResult is what bench/jpegdecode prints.
type decodeResult struct {
	Width          int       `json:"width"`
	Height         int       `json:"height"`
	RGBARunsMS     []float64 `json:"rgba_runs_ms"`
	RGBAMedianMS   float64   `json:"rgba_median_ms"`
	PlanesMedianMS float64   `json:"planes_median_ms"`
}

// runJSON runs a command and decodes its stdout as JSON into v.
func runJSON(ctx context.Context, v any, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, lastLine(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		return fmt.Errorf("%s: output: %w", filepath.Base(name), err)
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// procStats is the whole-process measurement of one command.
type procStats struct {
	RunsMS    []float64 `json:"runs_ms"`
	MedianMS  float64   `json:"median_ms"`
	RSSKB     []int64   `json:"max_rss_kb"`        // "Maximum resident set size" of /usr/bin/time -v, per run
	MedianRSS int64     `json:"median_max_rss_kb"` // median of RSSKB
	CPUMS     []float64 `json:"cpu_ms"`            // user+system time of /usr/bin/time -v, per run
	MedianCPU float64   `json:"median_cpu_ms"`     // median of CPUMS
	Tool      string    `json:"tool"`              // hyperfine or loop
}

// timeProcesses times each command whole (start-up included) over runs
// runs after warmup untimed ones, with hyperfine when it is installed, else with a
// loop here. Each command runs under `/usr/bin/time -v -a -o FILE`, so the
// same runs also give the peak RSS of each (GNU time reports the child's
// ru_maxrss; the wrapper adds about a millisecond to the time).
func timeProcesses(ctx context.Context, work string, warmup, runs int, env []string, cmds map[string][]string, order []string) (map[string]*procStats, error) {
	out := map[string]*procStats{}
	rssFiles := map[string]string{}
	wrapped := map[string][]string{}
	for _, name := range order {
		rssFiles[name] = filepath.Join(work, "rss-"+name+".txt")
		os.Remove(rssFiles[name])
		wrapped[name] = append([]string{"/usr/bin/time", "-v", "-a", "-o", rssFiles[name]}, cmds[name]...)
		out[name] = &procStats{}
	}
	if hf, err := exec.LookPath("hyperfine"); err == nil && !noHyperfine {
		jsonPath := filepath.Join(work, "hyperfine.json")
		args := []string{"-N", "--style", "none", "--warmup", strconv.Itoa(warmup), "--runs", strconv.Itoa(runs), "--export-json", jsonPath}
		for _, name := range order {
			args = append(args, "-n", name, shellJoin(wrapped[name]))
		}
		cmd := exec.CommandContext(ctx, hf, args...)
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("hyperfine: %w: %s", err, lastLine(string(b)))
		}
		var hr struct {
			Results []struct {
				Command string    `json:"command"`
				Times   []float64 `json:"times"`
			} `json:"results"`
		}
		b, err := os.ReadFile(jsonPath)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &hr); err != nil {
			return nil, fmt.Errorf("hyperfine json: %w", err)
		}
		for _, r := range hr.Results {
			if s, ok := out[r.Command]; ok {
				for _, t := range r.Times {
					s.RunsMS = append(s.RunsMS, t*1000)
				}
				s.Tool = "hyperfine"
			}
		}
	} else {
		for _, name := range order {
			for i := range warmup + runs {
				cmd := exec.CommandContext(ctx, wrapped[name][0], wrapped[name][1:]...)
				cmd.Env = append(os.Environ(), env...)
				start := time.Now()
				if b, err := cmd.CombinedOutput(); err != nil {
					return nil, fmt.Errorf("%s: %w: %s", name, err, lastLine(string(b)))
				}
				if i >= warmup {
					out[name].RunsMS = append(out[name].RunsMS, float64(time.Since(start).Microseconds())/1000)
				}
			}
			out[name].Tool = "loop"
		}
	}
	for _, name := range order {
		s := out[name]
		rss, cpu, err := parseTimeV(rssFiles[name])
		if err != nil {
			return nil, err
		}
		if len(rss) > warmup {
			rss = rss[warmup:]
		}
		if len(cpu) > warmup {
			cpu = cpu[warmup:]
		}
		s.RSSKB, s.CPUMS = rss, cpu
		s.MedianMS = metric.Median(s.RunsMS)
		s.MedianRSS = medianInt(rss)
		s.MedianCPU = metric.Median(cpu)
	}
	return out, nil
}

// parseTimeV reads what GNU time -v appended to path for each run: the
// "Maximum resident set size (kbytes)" and the CPU time in ms, "User time
// (seconds)" plus "System time (seconds)" (GNU time prints both before the
// RSS line of the same run).
func parseTimeV(path string) (rss []int64, cpu []float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var run float64 // CPU seconds of the run being read
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, prefix := range []string{"User time (seconds):", "System time (seconds):"} {
			if v, ok := strings.CutPrefix(line, prefix); ok {
				s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return nil, nil, fmt.Errorf("%s: %w", path, err)
				}
				run += s
			}
		}
		if v, ok := strings.CutPrefix(line, "Maximum resident set size (kbytes):"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			rss = append(rss, n)
			cpu = append(cpu, run*1000)
			run = 0
		}
	}
	return rss, cpu, sc.Err()
}

func medianInt(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// noHyperfine makes timeProcesses use its own loop (-timer loop).
var noHyperfine bool

// shellJoin quotes args for hyperfine, which splits a command line the way
// a POSIX shell does even with -N (no shell).
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
