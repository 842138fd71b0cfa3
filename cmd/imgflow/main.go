// Command imgflow is the pipeline's command line: the local stack, uploads,
// the image engine on local files, and the Step Functions conformance suite.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `usage: imgflow <command> [flags] [args]

commands:
  local        the whole pipeline on this machine, booted from template.yaml
  upload       upload files or folders to the running local stack (--wait for results)
  reprocess    run every upload (or a prefix) through the pipeline again: a Distributed Map (--wait for progress)
  resize       run the resize step's engine on local files (every preset)
  conformance  run the Step Functions conformance cases in a .jsonl file

Run 'imgflow <command> -h' (or 'imgflow help <command>') for a command's flags.
`

// processStart is when this process began running Go code; the local
// stack's banner counts its start-up time from here, so the figure covers
// the whole process and not only the stack's boot.
var processStart = time.Now()

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	var ue *UsageError
	if err != nil && !errors.Is(err, flag.ErrHelp) && !errors.As(err, &ue) {
		fmt.Fprintln(os.Stderr, "imgflow:", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is the process status for run's result: 0 for success and for
// help (asked for, so not an error), 2 for a command line that cannot run,
// 1 for everything else.
func exitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// UsageError is a command line a command cannot run: an unknown command or
// flag, or a missing argument. The message and the usage have already been
// written to stderr.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// command is one subcommand.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error

func commands() map[string]command {
	return map[string]command{
		"local":       runLocal,
		"upload":      runUpload,
		"reprocess":   runReprocess,
		"resize":      runResize,
		"conformance": runConformance,
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &UsageError{Msg: "no command"}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return flag.ErrHelp
	case "help":
		if len(args) == 1 {
			fmt.Fprint(stdout, usage)
			return flag.ErrHelp
		}
		// `imgflow help resize` is `imgflow resize -h`.
		args = []string{args[1], "-h"}
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "imgflow: unknown command %q\n\n%s", args[0], usage)
		return &UsageError{Msg: fmt.Sprintf("unknown command %q", args[0])}
	}
	return cmd(ctx, args[1:], stdout, stderr, env)
}

// newFlagSet returns the flag set of a subcommand; its usage text is the
// synopsis (the arguments after `imgflow <name>`) and then the flags.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: imgflow %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a subcommand's flags. Asked for help (-h, -help,
// --help), it writes the usage to stdout and returns flag.ErrHelp, which
// exits 0; a bad flag writes the error and the usage to stderr and returns
// a *UsageError (exit 2). Later output of fs goes to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		if _, werr := stdout.Write(buf.Bytes()); werr != nil {
			return werr
		}
		return flag.ErrHelp
	case err != nil:
		_, _ = stderr.Write(buf.Bytes())
		return &UsageError{Msg: err.Error()}
	}
	return nil
}

// usageError reports a command line that parsed but cannot run (a missing
// argument): the message and the usage go to stderr.
func usageError(fs *flag.FlagSet, stderr io.Writer, msg string) error {
	fmt.Fprintf(stderr, "imgflow %s: %s\n", fs.Name(), msg)
	fs.SetOutput(stderr)
	fs.Usage()
	return &UsageError{Msg: msg}
}
