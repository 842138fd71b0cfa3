package console

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/functions"
	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/pipelineview"
)

// The console is tested with the image pipeline's workload, as cmd/imgflow
// wires it.
var _ Workload = (*pipelineview.View)(nil)

// repoRoot is the module root (template.yaml lives there).
func repoRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// testEnv is a booted stack plus the console on an httptest server.
type testEnv struct {
	st     *stack.Stack
	con    *Console
	srv    *httptest.Server
	cfg    *Config
	upload string // the upload bucket
}

// bootStack starts the real stack from the repository's template.yaml
// (in-process functions, auto-confirmed email subscription) and the console.
func bootStack(t testing.TB, extraSM ...string) *testEnv {
	t.Helper()
	ctx := context.Background()
	cfg := stack.NewDefaultConfig()
	cfg.Template = filepath.Join(repoRoot(t), "template.yaml")
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.AutoConfirm = true
	cfg.NotificationEmail = "ops@example.com"
	cfg.DrainTimeout = 5 * time.Second
	st, err := stack.Start(ctx, cfg, functions.Builders(), zap.NewNop())
	if err != nil {
		t.Fatalf("stack.Start: %v", err)
	}
	pcfg := pipelineview.NewDefaultConfig()
	pipelineview.ConfigForStack(pcfg, st)
	work, err := pipelineview.New(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := NewDefaultConfig()
	ccfg.Listen = "127.0.0.1:0"
	ConfigForStack(ccfg, st, cfg.DataDir)
	ccfg.StateMachines = append(extraSM, ccfg.StateMachines...)
	ccfg.MailUI = "http://127.0.0.1:8025/"
	con, err := Start(ctx, ccfg, st, work, zap.NewNop())
	if err != nil {
		t.Fatalf("console.Start: %v", err)
	}
	env := &testEnv{st: st, con: con, cfg: ccfg, upload: pcfg.UploadBucket}
	env.srv = httptest.NewUnstartedServer(con)
	env.srv.Start()
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		env.srv.CloseClientConnections()
		_ = con.Close(cctx)
		env.srv.Close()
		_ = st.Close(cctx)
	})
	return env
}

// testPNG is a w×h gradient.
func testPNG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// waitStatus polls the console's status endpoint until the execution of
// key is final.
func waitStatus(t testing.TB, base, key string) ExecutionStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/execution?key=" + key)
		if err == nil {
			var st ExecutionStatus
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Exists && st.Status != "RUNNING" {
				return st
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no final execution for %s", key)
	return ExecutionStatus{}
}

// awsConfig is an SDK configuration pointed at the stack's endpoint.
func (e *testEnv) awsConfig() aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.st.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

// noRedirect is a client that returns the console's redirects as they are.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// post sends an empty form POST and returns the status and Location.
func post(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := noRedirect.Post(url, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}
