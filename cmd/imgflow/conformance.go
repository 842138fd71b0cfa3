package main

import (
	"context"
	"fmt"
	"io"

	"github.com/imgflow/imgflow/internal/sfn/conformance"
)

// runConformance runs recorded Step Functions executions through the
// engine: `imgflow conformance FILE.jsonl`.
func runConformance(ctx context.Context, args []string, stdout, stderr io.Writer, _ func(string) (string, bool)) error {
	fs := newFlagSet("conformance", "[--min PERCENT] FILE.jsonl")
	min := fs.Float64("min", 0, "fail unless at least this percentage of runnable cases pass")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError(fs, stderr, "one FILE.jsonl is required")
	}
	sum, err := conformance.Run(ctx, fs.Arg(0), stdout)
	if err != nil {
		return err
	}
	if sum.Runnable == 0 {
		return fmt.Errorf("no runnable cases in %s", fs.Arg(0))
	}
	if pct := 100 * float64(sum.Passed) / float64(sum.Runnable); pct < *min {
		return fmt.Errorf("%.1f%% of runnable cases pass, below the required %.1f%%", pct, *min)
	}
	return nil
}
