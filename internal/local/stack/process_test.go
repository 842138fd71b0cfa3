package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	sfnsdk "github.com/aws/aws-sdk-go-v2/service/sfn"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/imgflow/imgflow/internal/local/functions"
	"github.com/imgflow/imgflow/internal/local/lambda/runtimeapi"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/local/sigv4"
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

var builders = functions.Builders()

const moduleRoot = "../../.."

// buildHost builds every function of the builders for this machine as
// `make build-host` does, into <dir>/host/<step>/bootstrap, and returns dir
// (a BuildDir).
func buildHost(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, len(builders))
	for _, b := range builders {
		step := path.Base(b.Package)
		wg.Go(func() {
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-buildvcs=false",
				"-o", filepath.Join(dir, "host", step, "bootstrap"), "./functions/"+step)
			cmd.Dir = moduleRoot
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- &buildError{step: step, err: err, out: out}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return dir
}

type buildError struct {
	step string
	err  error
	out  []byte
}

func (e *buildError) Error() string {
	return "build " + e.step + ": " + e.err.Error() + "\n" + string(e.out)
}

// TestPipelineEndToEnd boots the real stack from template.yaml in each
// Lambda mode, uploads a JPEG through the AWS SDK and waits for the
// execution: process mode runs the built bootstrap binaries under the
// local Runtime API.
func TestPipelineEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the whole stack and builds the functions")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is needed to build the layer")
	}
	buildDir := buildHost(t)
	tests := []struct {
		name, mode string
		// credentials configures the endpoint's access keys: the functions
		// must still reach the stack, and only that key is accepted.
		credentials sigv4.StaticCredentials
	}{
		{name: "process", mode: stack.ModeProcess},
		{name: "inprocess", mode: stack.ModeInProcess},
		{name: "process with configured credentials", mode: stack.ModeProcess, credentials: sigv4.StaticCredentials{"AKIDLOCAL": "configured-secret"}},
		{name: "inprocess with configured credentials", mode: stack.ModeInProcess, credentials: sigv4.StaticCredentials{"AKIDLOCAL": "configured-secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cfg := stack.NewDefaultConfig()
			cfg.Template = filepath.Join(moduleRoot, "template.yaml")
			cfg.DataDir = t.TempDir()
			cfg.Listen = "127.0.0.1:0"
			cfg.LambdaMode = tt.mode
			cfg.BuildDir = buildDir
			cfg.AutoConfirm = true
			cfg.Credentials = tt.credentials
			bootStart := time.Now()
			obs, logs := observer.New(zap.InfoLevel)
			log := zap.New(zapcore.NewTee(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Core(), obs))
			st, err := stack.Start(ctx, cfg, builders, log)
			if err != nil {
				t.Fatal(err)
			}
			boot := time.Since(bootStart)
			defer func() {
				if err := st.Close(context.Background()); err != nil {
					t.Errorf("close: %v", err)
				}
			}()

			started := make(chan string, 1)
			unsubscribe := st.SFN.Subscribe(func(ev sfnapi.ExecutionEvent) {
				select {
				case started <- ev.ExecutionARN:
				default:
				}
			})
			defer unsubscribe()

			akid, secret := "test", "test"
			for k, v := range tt.credentials {
				akid, secret = k, v
				// Any other key, including the default's key-is-secret
				// pair, is refused now.
				for _, bad := range [][2]string{{"test", "test"}, {k, "wrong"}} {
					badCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(st.URL), RetryMaxAttempts: 1,
						Credentials: credentials.NewStaticCredentialsProvider(bad[0], bad[1], "")}
					_, err := s3sdk.NewFromConfig(badCfg, func(o *s3sdk.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3sdk.ListBucketsInput{})
					if err == nil {
						t.Fatalf("key %s with secret %s accepted; only the configured credentials should be", bad[0], bad[1])
					}
				}
			}
			awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(st.URL),
				Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")}
			s3c := s3sdk.NewFromConfig(awsCfg, func(o *s3sdk.Options) { o.UsePathStyle = true })
			sfnc := sfnsdk.NewFromConfig(awsCfg)

			const key = "uploads/e2e.jpg"
			img := fixtures.JPEG(fixtures.Quadrants(2400, 1600), 0, false)
			start := time.Now()
			if _, err := s3c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String(st.Resources.Outputs["UploadBucketName"]),
				Key: aws.String(key), Body: bytes.NewReader(img), ContentType: aws.String("image/jpeg")}); err != nil {
				t.Fatal(err)
			}
			var arn string
			select {
			case arn = <-started:
			case <-ctx.Done():
				t.Fatal("no execution started")
			}
			if err := st.SFN.WaitExecution(ctx, arn); err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			desc, err := sfnc.DescribeExecution(ctx, &sfnsdk.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			if desc.Status != "SUCCEEDED" {
				t.Fatalf("execution %s: %s %s %s", arn, desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
			}

			out := st.Resources.Outputs["OutputBucketName"]
			obj, err := s3c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String(out), Key: aws.String(pipeline.ManifestKey("variants", key))})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(obj.Body)
			obj.Body.Close()
			var m pipeline.Manifest
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			formats := map[string]int{}
			for _, v := range m.Variants {
				formats[v.Format]++
			}
			if len(m.Variants) != 8 || formats["webp"] != 4 || formats["jpeg"] != 4 {
				t.Fatalf("manifest lists %d files %v, want the 4 sizes in WebP and JPEG: %s", len(m.Variants), formats, body)
			}
			for _, v := range m.Variants {
				if _, err := s3c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String(out), Key: aws.String(v.Key)}); err != nil {
					t.Fatalf("variant %s: %v", v.Key, err)
				}
			}
			t.Logf("%s: stack ready in %v; upload to SUCCEEDED in %v", tt.mode, boot.Round(time.Millisecond), elapsed.Round(time.Millisecond))
			for _, e := range logs.FilterMessage("process ready").All() {
				f := e.ContextMap()
				t.Logf("  %v init %v", f["function"], f["init_duration"])
			}
		})
	}
}

// TestProcessModeNeedsFreshHostBinaries: a missing or outdated bootstrap
// stops the boot with the command that fixes it.
func TestProcessModeNeedsFreshHostBinaries(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is needed to build the layer")
	}
	stale := t.TempDir()
	for _, b := range builders {
		bin := filepath.Join(stale, "host", path.Base(b.Package), "bootstrap")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := os.Chtimes(bin, old, old); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, buildDir string
		want           *regexp.Regexp
	}{
		{name: "missing", buildDir: t.TempDir(), want: regexp.MustCompile(`Function: .*/host/[a-z]+/bootstrap does not exist: run .make build-host.`)},
		{name: "older than its sources", buildDir: stale, want: regexp.MustCompile(`Function: .*/host/[a-z]+/bootstrap is older than .*\.(go|mod|sum): run .make build-host.`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stack.NewDefaultConfig()
			cfg.Template = filepath.Join(moduleRoot, "template.yaml")
			cfg.DataDir, cfg.Listen, cfg.LambdaMode, cfg.BuildDir = t.TempDir(), "127.0.0.1:0", stack.ModeProcess, tt.buildDir
			st, err := stack.Start(context.Background(), cfg, builders, zap.NewNop())
			if err == nil {
				_ = st.Close(context.Background())
				t.Fatal("Start succeeded")
			}
			var se *runtimeapi.StaleError
			if !errors.As(err, &se) || !tt.want.MatchString(err.Error()) {
				t.Fatalf("got %v, want a StaleError matching %s", err, tt.want)
			}
		})
	}
}
