package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/internal/steps/reprocess"
	"github.com/imgflow/imgflow/layers/common/pipeline"
	"github.com/imgflow/imgflow/layers/common/s3io"
)

// reprocessAPI is the part of *sfn.Client `imgflow reprocess` uses.
type reprocessAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	ListMapRuns(ctx context.Context, in *sfn.ListMapRunsInput, optFns ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error)
	DescribeMapRun(ctx context.Context, in *sfn.DescribeMapRunInput, optFns ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error)
}

var _ reprocessAPI = (*sfn.Client)(nil)

// maxFailuresShown bounds the failed objects `imgflow reprocess --wait`
// lists; the result files have them all.
const maxFailuresShown = 20

// runReprocess is `imgflow reprocess`: starts the ReprocessPipeline state
// machine (a Distributed Map over the upload prefix) on the running local
// stack, or on any endpoint and region with --state-machine, and with
// --wait follows its Map Run to the end.
func runReprocess(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	fs := newFlagSet("reprocess", "[--prefix P] [--force] [--wait] [--max-concurrency N] [--data DIR | --state-machine ARN [--region R] [--endpoint URL]]")
	dataDir := fs.String("data", envOr(env, "IMGFLOW_DATA", ".imgflow"), "data directory of the running local stack (IMGFLOW_DATA)")
	prefix := fs.String("prefix", "", "reprocess only keys under this prefix (default: the stack's UploadPrefix; must lie under it)")
	force := fs.Bool("force", false, "remake every object, even those whose manifest matches the current version and presets")
	wait := fs.Bool("wait", false, "follow the Map Run with a progress bar and report the outcome; exit 1 when the execution fails")
	maxConc := fs.Int("max-concurrency", -1, "child executions at once (default: the template's ReprocessMaxConcurrency; 0: no limit)")
	timeout := fs.Duration("timeout", 0, "how long --wait waits (0: until the execution ends)")
	interval := fs.Duration("interval", time.Second, "how often --wait polls the Map Run")
	smARN := fs.String("state-machine", "", "the ReprocessPipeline's ARN, to run against AWS (or --endpoint) instead of the local stack")
	region := fs.String("region", "", "with --state-machine: the region (default: from the ARN)")
	endpoint := fs.String("endpoint", "", "with --state-machine: an endpoint URL instead of AWS's")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, stderr, "reprocess takes no arguments")
	}
	if *interval <= 0 {
		return usageError(fs, stderr, "--interval must be positive")
	}
	t, err := findReprocessTarget(ctx, *dataDir, *smARN, *region, *endpoint, env)
	if err != nil {
		return err
	}
	in := map[string]any{"force": *force}
	if *prefix != "" {
		if t.uploadPrefix != "" && !strings.HasPrefix(*prefix, t.uploadPrefix) {
			return usageError(fs, stderr, fmt.Sprintf("--prefix %q is not under the upload prefix %q", *prefix, t.uploadPrefix))
		}
		in["prefix"] = *prefix
	}
	if *maxConc >= 0 {
		in["maxConcurrency"] = *maxConc
	}
	input, _ := json.Marshal(in)
	out, err := t.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(t.stateMachine), Input: aws.String(string(input))})
	if err != nil {
		return fmt.Errorf("start %s: %w", t.stateMachine, err)
	}
	execARN := aws.ToString(out.ExecutionArn)
	fmt.Fprintf(stdout, "started %s\n", execARN)
	if !*wait {
		return nil
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	w := &reprocessWatch{sfn: t.sfn, s3: t.s3, out: stdout, tick: ticker.C}
	return w.wait(ctx, execARN)
}

// reprocessTarget is where a reprocess runs.
type reprocessTarget struct {
	stateMachine string
	uploadPrefix string // "" when unknown (--state-machine): the state machine checks it
	sfn          reprocessAPI
	s3           s3io.API
}

// findReprocessTarget finds the state machine: the local stack's from its
// stack.json, or the one given, with the SDK's usual credentials.
func findReprocessTarget(ctx context.Context, dataDir, smARN, region, endpoint string, env func(string) (string, bool)) (*reprocessTarget, error) {
	if smARN == "" {
		sf, err := readStackFile(dataDir)
		if err != nil {
			return nil, err
		}
		sm := sf.Resources.Outputs["ReprocessStateMachineArn"]
		if sm == "" {
			return nil, fmt.Errorf("%s/stack.json names no ReprocessStateMachineArn output: restart the stack with this template", dataDir)
		}
		key, secret := "imgflow-local", "imgflow-local"
		if sf.Auth == stack.AuthConfigured {
			key, secret = envOr(env, "AWS_ACCESS_KEY_ID", ""), envOr(env, "AWS_SECRET_ACCESS_KEY", "")
			if key == "" || secret == "" {
				return nil, errors.New("the stack accepts only the keys given to --credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to one of them")
			}
		}
		cfg := aws.Config{Region: sf.Region, Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
			BaseEndpoint: aws.String(sf.Endpoint)}
		return &reprocessTarget{stateMachine: sm, uploadPrefix: sf.Params["UploadPrefix"], sfn: sfn.NewFromConfig(cfg),
			s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}, nil
	}
	if region == "" {
		// arn:partition:states:REGION:account:stateMachine:name
		if parts := strings.Split(smARN, ":"); len(parts) > 3 {
			region = parts[3]
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return &reprocessTarget{stateMachine: smARN, sfn: sfn.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = endpoint != "" })}, nil
}

// reprocessWatch follows one reprocess execution: on every tick its Map
// Run's item counts as a progress bar, then its outcome.
type reprocessWatch struct {
	sfn  reprocessAPI
	s3   s3io.API
	out  io.Writer
	tick <-chan time.Time
	last string // the last progress line printed
}

// wait polls until the execution ends, prints its outcome and returns an
// error when it did not succeed.
func (w *reprocessWatch) wait(ctx context.Context, execARN string) error {
	for {
		d, err := w.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
		if err != nil {
			return fmt.Errorf("describe %s: %w", execARN, err)
		}
		w.progress(ctx, execARN)
		if d.Status != sfntypes.ExecutionStatusRunning && d.Status != sfntypes.ExecutionStatusPendingRedrive {
			return w.report(ctx, d)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still %s: %w", execARN, d.Status, ctx.Err())
		case <-w.tick:
		}
	}
}

// progress prints the Map Run's counts when they changed. Before the Map
// starts, or on an endpoint without Map Runs, it prints nothing.
func (w *reprocessWatch) progress(ctx context.Context, execARN string) {
	runs, err := w.sfn.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(execARN)})
	if err != nil || len(runs.MapRuns) == 0 {
		return
	}
	mr, err := w.sfn.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || mr.ItemCounts == nil {
		return
	}
	line := progressLine(mr.ItemCounts, string(mr.Status))
	if line != w.last {
		fmt.Fprintln(w.out, line)
		w.last = line
	}
}

// barWidth is the progress bar's width in characters.
const barWidth = 30

// progressLine draws a Map Run's item counts: a bar of the items done
// (succeeded, failed, timed out or aborted) out of the total listed so
// far, and each count.
func progressLine(c *sfntypes.MapRunItemCounts, status string) string {
	done := c.Succeeded + c.Failed + c.TimedOut + c.Aborted
	filled := 0
	if c.Total > 0 {
		filled = int(done * barWidth / c.Total)
	}
	pct := 0.0
	if c.Total > 0 {
		pct = 100 * float64(done) / float64(c.Total)
	}
	return fmt.Sprintf("[%s%s] %5.1f%% %d/%d items  succeeded %d  failed %d  running %d  pending %d  %s",
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), pct, done, c.Total,
		c.Succeeded, c.Failed+c.TimedOut+c.Aborted, c.Running, c.Pending, status)
}

// reprocessOutput is the parts of the execution's output the report uses.
type reprocessOutput struct {
	Prefix    string `json:"prefix"`
	Reprocess struct {
		MapRunArn           string                        `json:"MapRunArn"`
		ResultWriterDetails *pipeline.ResultWriterDetails `json:"ResultWriterDetails"`
	} `json:"reprocess"`
	NotifyError *struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"notifyError"`
}

// report prints the outcome: the counts and failures read from the
// ResultWriter output and where it is, or the execution's error.
func (w *reprocessWatch) report(ctx context.Context, d *sfn.DescribeExecutionOutput) error {
	took := aws.ToTime(d.StopDate).Sub(aws.ToTime(d.StartDate)).Round(10 * time.Millisecond)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		fmt.Fprintf(w.out, "%s after %s: %s\n", d.Status, took, aws.ToString(d.Error))
		if c := aws.ToString(d.Cause); c != "" {
			fmt.Fprintf(w.out, "  %s\n", c)
		}
		return fmt.Errorf("reprocess %s", strings.ToLower(string(d.Status)))
	}
	var o reprocessOutput
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &o); err != nil {
		return fmt.Errorf("execution output: %w", err)
	}
	rw := o.Reprocess.ResultWriterDetails
	if rw == nil || rw.Key == "" {
		fmt.Fprintf(w.out, "SUCCEEDED after %s; the output names no results\n", took)
		return nil
	}
	sum, err := reprocess.Read(ctx, w.s3, rw.Bucket, rw.Key, maxFailuresShown)
	if err != nil {
		fmt.Fprintf(w.out, "SUCCEEDED after %s\nresults: s3://%s/%s\n", took, rw.Bucket, rw.Key)
		return fmt.Errorf("read the results: %w", err)
	}
	fmt.Fprintf(w.out, "SUCCEEDED after %s: %d objects, %d processed, %d skipped, %d failed", took,
		sum.Total(), sum.Processed, sum.Skipped, sum.Failed)
	if secs := took.Seconds(); secs > 0 && sum.Processed > 0 {
		fmt.Fprintf(w.out, " (%.1f processed/s)", float64(sum.Processed)/secs)
	}
	fmt.Fprintf(w.out, "\nresults: s3://%s/%s\n", rw.Bucket, rw.Key)
	if len(sum.Failures) > 0 {
		fmt.Fprintf(w.out, "failed objects")
		if sum.Failed > len(sum.Failures) {
			fmt.Fprintf(w.out, " (the first %d of %d)", len(sum.Failures), sum.Failed)
		}
		fmt.Fprintln(w.out, ":")
		for _, f := range sum.Failures {
			ex := notify.ExplainFailure(f.Error, f.Cause)
			fmt.Fprintf(w.out, "  %s: %s: %s\n", f.Key, ex.ErrorType, oneLine(ex.Message, 200))
		}
	}
	if o.NotifyError != nil {
		fmt.Fprintf(w.out, "the summary email was not sent: %s %s\n", o.NotifyError.Error, oneLine(o.NotifyError.Cause, 200))
	}
	return nil
}

// oneLine is s on one line, at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}
