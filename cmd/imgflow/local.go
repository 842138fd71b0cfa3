package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/console"
	"github.com/imgflow/imgflow/internal/local/console/workload"
	"github.com/imgflow/imgflow/internal/local/functions"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/local/sigv4"
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/pipelineview"
	"github.com/imgflow/imgflow/layers/common/logx"
)

// paramFlag collects repeated --param Name=Value.
type paramFlag map[string]string

func (p paramFlag) String() string { return fmt.Sprint(map[string]string(p)) }
func (p paramFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want Name=Value, got %q", v)
	}
	p[name] = value
	return nil
}

// hostsFlag collects repeated --allow-host NAME.
type hostsFlag []string

func (h *hostsFlag) String() string     { return strings.Join(*h, ",") }
func (h *hostsFlag) Set(v string) error { *h = append(*h, v); return nil }

// runLocal is `imgflow local`: the whole pipeline on this machine.
func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	cfg := stack.NewDefaultConfig()
	getenv := func(k, def string) string {
		if v, ok := env(k); ok && v != "" {
			return v
		}
		return def
	}
	fs := newFlagSet("local", "[flags]")
	fs.StringVar(&cfg.Template, "template", getenv("IMGFLOW_TEMPLATE", cfg.Template), "SAM template to boot from (IMGFLOW_TEMPLATE)")
	fs.StringVar(&cfg.DataDir, "data", getenv("IMGFLOW_DATA", cfg.DataDir), "data directory (IMGFLOW_DATA)")
	fs.StringVar(&cfg.Listen, "endpoint", getenv("IMGFLOW_ENDPOINT", cfg.Listen), "address of the AWS endpoint (IMGFLOW_ENDPOINT)")
	consoleAddr := fs.String("console", getenv("IMGFLOW_CONSOLE", "127.0.0.1:8080"), "address of the web console (IMGFLOW_CONSOLE)")
	allowHosts := hostsFlag{}
	for _, h := range strings.Split(getenv("IMGFLOW_ALLOW_HOSTS", ""), ",") {
		if h = strings.TrimSpace(h); h != "" {
			allowHosts = append(allowHosts, h)
		}
	}
	fs.StringVar(&cfg.SMTPAddr, "smtp", getenv("IMGFLOW_SMTP", ""), "SMTP server HOST:PORT for email; empty keeps mail in the data dir (IMGFLOW_SMTP)")
	fs.StringVar(&cfg.NotificationEmail, "notification-email", getenv("IMGFLOW_NOTIFICATION_EMAIL", ""),
		"subscribe this address, which gets a confirmation email first, as on AWS (IMGFLOW_NOTIFICATION_EMAIL); unset: "+stack.LocalMailbox+
			", a local mailbox subscribed already confirmed; \"\": no subscription")
	autoConfirm, _ := strconv.ParseBool(getenv("IMGFLOW_AUTO_CONFIRM", "false"))
	fs.BoolVar(&cfg.AutoConfirm, "auto-confirm", autoConfirm, "confirm subscriptions without the confirmation email (IMGFLOW_AUTO_CONFIRM)")
	mailUI := fs.String("smtp-ui", getenv("IMGFLOW_SMTP_UI", ""), "URL of the SMTP server's web UI, linked from the console (IMGFLOW_SMTP_UI)")
	fs.StringVar(&cfg.LambdaMode, "lambda", getenv("IMGFLOW_LAMBDA", cfg.LambdaMode), "inprocess or process (IMGFLOW_LAMBDA)")
	logLevel := fs.String("log-level", getenv("IMGFLOW_LOG_LEVEL", "info"), "level of the log file (IMGFLOW_LOG_LEVEL)")
	params := paramFlag{}
	// IMGFLOW_PARAMS="A=1,B=2" gives defaults that --param flags override.
	for _, kv := range strings.Split(getenv("IMGFLOW_PARAMS", ""), ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			if err := params.Set(kv); err != nil {
				return fmt.Errorf("IMGFLOW_PARAMS: %w", err)
			}
		}
	}
	fs.Var(params, "param", "template parameter override Name=Value (repeatable; IMGFLOW_PARAMS=A=1,B=2)")
	fs.Var(&allowHosts, "allow-host", "also answer requests for this Host name, or *.domain, besides localhost and 127.0.0.1 (repeatable; IMGFLOW_ALLOW_HOSTS=a,b)")
	creds := fs.String("credentials", getenv("IMGFLOW_CREDENTIALS", ""),
		"accept only these access keys, AKID:SECRET[,AKID:SECRET...]; empty: any key whose secret is the key ID (IMGFLOW_CREDENTIALS)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *creds != "" {
		keys, err := sigv4.ParseCredentials(*creds)
		if err != nil {
			return fmt.Errorf("--credentials: %w", err)
		}
		cfg.Credentials = keys
	}
	cfg.Parameters = params
	if !notificationEmailGiven(fs, env, params) {
		// The first upload's email, with nothing to set up: a local
		// mailbox the stack confirms itself.
		cfg.NotificationEmail = stack.LocalMailbox
	}
	cfg.AllowHosts = allowHosts

	level, err := logx.ParseLevel(*logLevel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(cfg.DataDir, "imgflow.log")
	logFile, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := logx.New(logFile, level)
	defer log.Sync() //nolint:errcheck

	st, err := stack.Start(ctx, cfg, functions.Builders(), log)
	if err != nil {
		return err
	}
	// The console shows any state machine; the pipeline view tells it what
	// the pipeline's executions mean.
	pcfg := pipelineview.NewDefaultConfig()
	pipelineview.ConfigForStack(pcfg, st)
	view, err := pipelineview.New(pcfg)
	var con *console.Console
	if err == nil {
		ccfg := console.NewDefaultConfig()
		ccfg.Listen, ccfg.MailUI, ccfg.AllowHosts = *consoleAddr, *mailUI, allowHosts
		console.ConfigForStack(ccfg, st, cfg.DataDir)
		con, err = console.Start(ctx, ccfg, st, view, log)
	}
	if err != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(err, st.Close(cctx))
	}
	printBanner(stdout, st, cfg, view.Uploads(), con.URL, logPath, time.Since(processStart))
	lines := &executionLines{w: stdout, svc: st.SFN, view: view}
	unsubscribe := st.SFN.Subscribe(lines.on)

	select {
	case <-ctx.Done():
	case err := <-st.Err():
		if err != nil {
			log.Error("endpoint failed", zap.Error(err))
		}
	}
	fmt.Fprintln(stdout, "\nstopping: draining running executions (up to 30 s)...")
	cctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	_ = con.Close(cctx)
	err = st.Close(cctx)
	unsubscribe()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintln(stdout, "stopped; everything is kept in", cfg.DataDir)
	return nil
}

// notificationEmailGiven reports whether the user chose the notification
// address (even an empty one, for none): with the flag, the environment
// variable, or the template parameter itself.
func notificationEmailGiven(fs *flag.FlagSet, env func(string) (string, bool), params paramFlag) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "notification-email" })
	if _, ok := env("IMGFLOW_NOTIFICATION_EMAIL"); ok {
		given = true
	}
	if _, ok := params["NotificationEmail"]; ok {
		given = true
	}
	return given
}

func printBanner(w io.Writer, st *stack.Stack, cfg *stack.Config, up workload.Uploads, console, logPath string, ready time.Duration) {
	// Counted from the process's start, so it is what the user waited for
	// after the build (which make run reports on its own).
	fmt.Fprintf(w, "imgflow local is ready: started in %d ms (from process start; the build before it is not counted)\n\n", ready.Milliseconds())
	fmt.Fprintf(w, "  endpoint       %s   (S3, Step Functions, SNS, Lambda, CloudWatch Logs, CloudWatch)\n", st.URL)
	fmt.Fprintf(w, "  console        %s\n", console)
	fmt.Fprintf(w, "  data           %s   (log: %s)\n", cfg.DataDir, logPath)
	for _, b := range st.Resources.Buckets {
		fmt.Fprintf(w, "  bucket         %s\n", b)
	}
	for _, sm := range st.Resources.StateMachines {
		fmt.Fprintf(w, "  state machine  %s\n", sm)
	}
	for _, t := range st.Resources.Topics {
		fmt.Fprintf(w, "  topic          %s\n", t)
	}
	for _, s := range st.Resources.Subscriptions {
		fmt.Fprintf(w, "  subscription   %s\n", s)
	}
	mail := "kept in " + filepath.Join(cfg.DataDir, "sns", "mailbox") + string(filepath.Separator) + "*.eml"
	if cfg.SMTPAddr != "" {
		mail = "sent to SMTP " + cfg.SMTPAddr
	}
	fmt.Fprintf(w, "  email          %s, and on %s/notifications\n\n", mail, console)
	if len(cfg.Credentials) > 0 {
		fmt.Fprintf(w, "Try it (with a key given to --credentials; the region is %s):\n", cfg.Region)
		fmt.Fprintf(w, "  export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_DEFAULT_REGION=%s\n", cfg.Region)
	} else {
		fmt.Fprintf(w, "Try it (any access key whose secret is the same string; the region is %s):\n", cfg.Region)
		fmt.Fprintf(w, "  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=%s\n", cfg.Region)
	}
	photo := "photo.jpg"
	if _, err := os.Stat(samplePhoto); err == nil {
		photo = samplePhoto
	}
	fmt.Fprintf(w, "  aws --endpoint-url %s s3 cp %s s3://%s/%sphoto.jpg\n", st.URL, photo, up.Bucket, up.Prefix)
	if len(st.Resources.StateMachines) > 0 {
		fmt.Fprintf(w, "  aws --endpoint-url %s stepfunctions list-executions --state-machine-arn %s\n", st.URL, st.Resources.StateMachines[0])
	}
	fmt.Fprintf(w, "  %s upload --wait %s\n\n", selfCommand(), photo)
	fmt.Fprintln(w, "Executions:")
}

// samplePhoto is the repository's sample (examples/README.md), relative to
// the repository root that make run starts from.
const samplePhoto = "examples/photo.jpg"

// selfCommand is how to run this binary again from the current directory:
// build/imgflow after make run, go run for a binary go run built.
func selfCommand() string {
	exe := os.Args[0]
	if strings.Contains(exe, "go-build") {
		return "go run ./cmd/imgflow"
	}
	return exe
}

// executionLines prints one line when an execution starts and one when it
// ends, with the source key, the duration and the variants or the error.
type executionLines struct {
	mu   sync.Mutex
	w    io.Writer
	svc  *sfnapi.Service
	view *pipelineview.View
}

func (l *executionLines) on(ev sfnapi.ExecutionEvent) {
	switch ev.EventType {
	case "ExecutionStarted":
		l.print(ev)
	case "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut":
		// The event is published as it is recorded; the execution's record
		// is final once WaitExecution returns.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = l.svc.WaitExecution(ctx, ev.ExecutionARN)
			l.print(ev)
		}()
	}
}

func (l *executionLines) print(ev sfnapi.ExecutionEvent) {
	x, err := l.svc.DescribeExecution(context.Background(), ev.ExecutionARN)
	if err != nil {
		// Not stored yet: the start event can outrun the record.
		x = &sfnapi.Execution{Name: ev.Name, Status: ev.Status}
	}
	wx := workload.Execution{StateMachineARN: x.StateMachineARN, Status: x.Status, Input: x.Input, Output: x.Output, Error: x.Error, Cause: x.Cause}
	key := x.Name
	src, upload := l.view.Source(wx)
	if upload {
		key = src.Key
	}
	line := ""
	switch ev.EventType {
	case "ExecutionStarted":
		line = fmt.Sprintf("  %-10s %s", "STARTED", key)
	case "ExecutionSucceeded":
		line = fmt.Sprintf("  %-10s %s  %s", x.Status, key, duration(x.StartDate, x.StopDate))
		// Only an upload's execution makes variants (a reprocess run and
		// its batches report in their own output and summary).
		if upload {
			out, _ := l.view.Outputs(context.Background(), wx, nil) // from the output alone
			line += fmt.Sprintf("  %d variants", len(out.Variants))
		}
	default:
		line = fmt.Sprintf("  %-10s %s  %s  %s: %s", x.Status, key, duration(x.StartDate, x.StopDate), x.Error, causeMessage(x.Cause))
	}
	l.mu.Lock()
	fmt.Fprintln(l.w, line)
	l.mu.Unlock()
}

func duration(start, stop time.Time) string {
	if stop.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%.2fs", stop.Sub(start).Seconds())
}

// causeMessage shows a Lambda error's message rather than its JSON document.
func causeMessage(cause string) string {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &doc) == nil && doc.ErrorMessage != "" {
		return doc.ErrorMessage
	}
	return cause
}
