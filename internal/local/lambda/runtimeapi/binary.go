package runtimeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// StaleError reports a function binary that is missing, or older than a
// source file it is built from.
type StaleError struct {
	Binary  string
	Source  string // the newer source; "" when the binary is missing
	Missing bool
}

func (e *StaleError) Error() string {
	if e.Missing {
		return fmt.Sprintf("%s does not exist: run `make build-host` to build the functions for this machine", e.Binary)
	}
	return fmt.Sprintf("%s is older than %s: run `make build-host` to rebuild the functions for this machine", e.Binary, e.Source)
}

// CheckBinary returns a *StaleError when binary is missing or older than
// any file of the main module that pkg is built from: its Go files and
// embedded files (as `go list -deps` reports them for the Lambda build
// tags), go.mod and go.sum. pkg is relative to moduleDir ("./functions/resize").
// Without a go command on PATH only the binary's existence is checked.
func CheckBinary(ctx context.Context, binary, moduleDir, pkg string) error {
	info, err := os.Stat(binary)
	if errors.Is(err, fs.ErrNotExist) {
		return &StaleError{Binary: binary, Missing: true}
	}
	if err != nil {
		return fmt.Errorf("runtimeapi: %w", err)
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, goCmd, "list", "-deps", "-tags", "lambda.norpc", "-json=Dir,GoFiles,EmbedFiles,Module", pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("runtimeapi: go list %s: %w: %s", pkg, err, bytes.TrimSpace(stderr.Bytes()))
	}
	newest, newestTime := "", time.Time{}
	consider := func(path string) {
		if fi, err := os.Stat(path); err == nil && fi.ModTime().After(newestTime) {
			newest, newestTime = path, fi.ModTime()
		}
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir        string
			GoFiles    []string
			EmbedFiles []string
			Module     *struct {
				Main  bool
				GoMod string
			}
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("runtimeapi: go list %s: %w", pkg, err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			consider(filepath.Join(p.Dir, f))
		}
		consider(p.Module.GoMod)
		consider(filepath.Join(filepath.Dir(p.Module.GoMod), "go.sum"))
	}
	if newestTime.After(info.ModTime()) {
		return &StaleError{Binary: binary, Source: newest}
	}
	return nil
}
