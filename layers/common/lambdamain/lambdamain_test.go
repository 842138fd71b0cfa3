package lambdamain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/imgflow/imgflow/layers/common/envconfig"
)

var localAWS = []func(*config.LoadOptions) error{
	config.WithRegion("us-east-1"),
	config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")),
	config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
}

// TestInitLogsAtTheFunctionsLevel: LOG_LEVEL, not the sink's level, decides
// what a function logs, and each record names the function once.
func TestInitLogsAtTheFunctionsLevel(t *testing.T) {
	tests := []struct {
		name, level string
		wantDebug   bool
		wantErr     bool
	}{
		{name: "debug", level: "debug", wantDebug: true},
		{name: "unset is info", level: ""},
		{name: "bad level", level: "verbose", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink, logs := observer.New(zapcore.ErrorLevel) // the sink's own level does not filter
			env := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "imgflow-Fn"}
			if tt.level != "" {
				env["LOG_LEVEL"] = tt.level
			}
			inst, err := Init(context.Background(), envconfig.Map(env), func(_ context.Context, d Deps) (any, error) {
				d.Log.Debug("built")
				d.Log.Info("ready")
				return func() (string, error) { return "ok", nil }, nil
			}, Options{Sink: sink, AWS: localAWS})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			out, err := inst.Handler.Invoke(context.Background(), []byte(`{}`))
			if err != nil || string(out) != `"ok"` {
				t.Fatalf("invoke: %s %v", out, err)
			}
			if got := logs.FilterMessage("built").Len() == 1; got != tt.wantDebug {
				t.Errorf("debug record logged: %v, want %v", got, tt.wantDebug)
			}
			ready := logs.FilterMessage("ready").All()
			if len(ready) != 1 {
				t.Fatalf("%d info records", len(ready))
			}
			n := 0
			for _, f := range ready[0].Context {
				if f.Key == KeyFunction {
					n++
				}
			}
			if n != 1 || ready[0].ContextMap()[KeyFunction] != "imgflow-Fn" {
				t.Errorf("fields %v, want function imgflow-Fn once", ready[0].ContextMap())
			}
		})
	}
}

func TestInitFailureIsLogged(t *testing.T) {
	sink, logs := observer.New(zap.DebugLevel)
	errBad := errors.New("bad configuration")
	_, err := Init(context.Background(), envconfig.Map(nil), func(context.Context, Deps) (any, error) {
		return nil, errBad
	}, Options{Sink: sink, AWS: localAWS})
	if !errors.Is(err, errBad) || logs.FilterMessage("init failed").Len() != 1 {
		t.Fatalf("err %v, logged %v", err, logs.All())
	}
}

// TestConcurrentHandler: invocations side by side each get their own
// response, intact (aws-lambda-go's own handler hands back a pooled
// buffer's bytes, which a concurrent invocation could overwrite).
func TestConcurrentHandler(t *testing.T) {
	h := ConcurrentHandler(func(_ context.Context, in struct{ N int }) (map[string]string, error) {
		return map[string]string{"n": strings.Repeat(strconv.Itoa(in.N), 4096)}, nil
	})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for n := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				out, err := h.Invoke(context.Background(), []byte(fmt.Sprintf(`{"N":%d}`, n)))
				if err != nil {
					errs <- err
					return
				}
				want := `{"n":"` + strings.Repeat(strconv.Itoa(n), 4096) + `"}`
				if got := string(out); got != want {
					errs <- fmt.Errorf("invocation %d got %.40q..., want %.40q...", n, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
