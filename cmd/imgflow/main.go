// Command imgflow is the pipeline's command line: the local stack, uploads,
// the image engine on local files, and the Step Functions conformance suite.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: imgflow <command> [flags] [args]

commands:
  local        the whole pipeline on this machine, booted from template.yaml
  upload       upload files or folders to the running local stack (--wait for results)
  resize       run the resize step's engine on local files (every preset)
  conformance  run the Step Functions conformance cases in a .jsonl file

Run 'imgflow <command> -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imgflow:", err)
		os.Exit(1)
	}
}

// command is one subcommand.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error

func commands() map[string]command {
	return map[string]command{
		"local":       runLocal,
		"upload":      runUpload,
		"resize":      runResize,
		"conformance": runConformance,
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:], stdout, stderr, env)
}
