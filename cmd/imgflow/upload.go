package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/notify"
	"github.com/imgflow/imgflow/internal/steps/trigger"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

// runUpload is `imgflow upload FILE|DIR...`: uploads through the S3 API of
// the running local stack, like any client, so the normal trigger runs.
func runUpload(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	fs := newFlagSet("upload", "[--wait] [--data DIR] [--prefix P] FILE|DIR...")
	dataDir := fs.String("data", envOr(env, "IMGFLOW_DATA", ".imgflow"), "data directory of the running stack (IMGFLOW_DATA)")
	prefix := fs.String("prefix", "", "key prefix (default: the stack's UploadPrefix)")
	wait := fs.Bool("wait", false, "wait for each upload's execution and print its result")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long --wait waits for each execution")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError(fs, stderr, "at least one FILE or DIR is required")
	}
	sf, err := readStackFile(*dataDir)
	if err != nil {
		return err
	}
	bucket := sf.Resources.Outputs["UploadBucketName"]
	if bucket == "" {
		return fmt.Errorf("%s/stack.json names no UploadBucketName output", *dataDir)
	}
	if *prefix == "" {
		*prefix = sf.Params["UploadPrefix"]
	}
	files, err := collect(fs.Args())
	if err != nil {
		return err
	}
	// A stack started with --credentials accepts only those keys: take the
	// caller's from the environment, as the aws CLI would. Otherwise any
	// key whose secret is itself; real AWS keys in the environment would
	// be refused there.
	key, secret := "imgflow-local", "imgflow-local"
	if sf.Auth == stack.AuthConfigured {
		key, secret = envOr(env, "AWS_ACCESS_KEY_ID", ""), envOr(env, "AWS_SECRET_ACCESS_KEY", "")
		if key == "" || secret == "" {
			return errors.New("the stack accepts only the keys given to --credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to one of them")
		}
	}
	cfg := aws.Config{Region: sf.Region, Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String(sf.Endpoint)}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	sfc := sfn.NewFromConfig(cfg)
	sm := ""
	if len(sf.Resources.StateMachines) > 0 {
		sm = sf.Resources.StateMachines[0]
	}

	var failed []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, f := range files {
		key := path.Join(*prefix, filepath.ToSlash(f.rel))
		ref, err := put(ctx, s3c, bucket, key, f.path, stderr)
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", f.path, err))
			continue
		}
		fmt.Fprintf(stdout, "uploaded s3://%s/%s (version %s)\n", bucket, key, ref.VersionID)
		if !*wait || sm == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			line, err := waitExecution(ctx, sfc, sm, ref, *timeout)
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(stdout, line)
			if err != nil {
				failed = append(failed, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(failed...)
}

func envOr(env func(string) (string, bool), key, def string) string {
	if v, ok := env(key); ok && v != "" {
		return v
	}
	return def
}

func readStackFile(dataDir string) (*stack.StackFile, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "stack.json"))
	if err != nil {
		return nil, fmt.Errorf("is the stack running? start it with `make run` (%w)", err)
	}
	var sf stack.StackFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("%s/stack.json: %w", dataDir, err)
	}
	return &sf, nil
}

type localFile struct{ path, rel string }

// collect expands folders into their files (relative keys keep the folder
// structure below the folder).
func collect(args []string) ([]localFile, error) {
	var out []localFile
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, localFile{path: a, rel: filepath.Base(a)})
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
				return err
			}
			rel, _ := filepath.Rel(a, p)
			out = append(out, localFile{path: p, rel: filepath.Join(filepath.Base(a), rel)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

func put(ctx context.Context, c *s3.Client, bucket, key, file string, progress io.Writer) (pipeline.ObjectRef, error) {
	f, err := os.Open(file)
	if err != nil {
		return pipeline.ObjectRef{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return pipeline.ObjectRef{}, err
	}
	body := &progressReader{f: f, size: info.Size(), name: filepath.Base(file), w: progress}
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: body, ContentLength: aws.Int64(info.Size())})
	body.done()
	if err != nil {
		return pipeline.ObjectRef{}, err
	}
	return pipeline.ObjectRef{Bucket: bucket, Key: key, VersionID: aws.ToString(out.VersionId),
		ETag: strings.Trim(aws.ToString(out.ETag), `"`), Size: info.Size()}, nil
}

// progressReader draws a progress bar as the body is sent. The SDK may read
// the body once to sign it and rewind; the bar restarts with it.
type progressReader struct {
	f    *os.File
	size int64
	read int64
	name string
	w    io.Writer
	last time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	p.read += int64(n)
	if time.Since(p.last) > 100*time.Millisecond || err == io.EOF {
		p.last = time.Now()
		p.draw()
	}
	return n, err
}

func (p *progressReader) Seek(off int64, whence int) (int64, error) {
	pos, err := p.f.Seek(off, whence)
	p.read = pos
	return pos, err
}

func (p *progressReader) draw() {
	const width = 30
	frac := 1.0
	if p.size > 0 {
		frac = float64(p.read) / float64(p.size)
	}
	filled := int(frac * width)
	fmt.Fprintf(p.w, "\r%-32.32s [%s%s] %3.0f%% %s", p.name, strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100, humanSize(p.size))
}

func (p *progressReader) done() { fmt.Fprint(p.w, "\r\033[K") }

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// waitExecution finds the execution the trigger started for ref (its name
// is derived from the object version) and waits for it to end.
func waitExecution(ctx context.Context, c *sfn.Client, smARN string, ref pipeline.ObjectRef, timeout time.Duration) (string, error) {
	execARN := arn.ExecutionOf(smARN, trigger.ExecutionName(ref))
	deadline := time.Now().Add(timeout)
	for {
		out, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
		var notFound *sfntypes.ExecutionDoesNotExist
		switch {
		case errors.As(err, &notFound):
			// The S3 event has not started it yet.
		case err != nil:
			return "", err
		case out.Status != sfntypes.ExecutionStatusRunning && out.Status != sfntypes.ExecutionStatusPendingRedrive:
			d := aws.ToTime(out.StopDate).Sub(aws.ToTime(out.StartDate)).Seconds()
			if out.Status == sfntypes.ExecutionStatusSucceeded {
				var o struct {
					Variants []pipeline.Variant `json:"variants"`
				}
				_ = json.Unmarshal([]byte(aws.ToString(out.Output)), &o)
				var parts []string
				for _, v := range o.Variants {
					parts = append(parts, fmt.Sprintf("%s %dx%d", v.Preset, v.Width, v.Height))
				}
				return fmt.Sprintf("  SUCCEEDED %s in %.2fs: %s", ref.Key, d, strings.Join(parts, ", ")), nil
			}
			return failureLines(string(out.Status), ref.Key, d, aws.ToString(out.Error), aws.ToString(out.Cause)),
				fmt.Errorf("%s: %s", ref.Key, out.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Sprintf("  TIMEOUT   %s: no result after %s", ref.Key, timeout), fmt.Errorf("%s: no result after %s", ref.Key, timeout)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// failureLines reports a failed execution as the failure email does: the
// error and its message, then what to do about it.
func failureLines(status, key string, secs float64, errName, cause string) string {
	f := notify.ExplainFailure(errName, cause)
	line := fmt.Sprintf("  %s %s in %.2fs: %s: %s", status, key, secs, f.ErrorType, f.Message)
	if f.Advice != "" {
		line += "\n    what to do: " + f.Advice
	}
	return line
}
