package lambdamain

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/layers/common/envconfig"
)

type stepConfig struct{ Bucket string }

type stepHandler struct{ bucket string }

func (h *stepHandler) Handle(context.Context, struct{}) (string, error) { return h.bucket, nil }

func TestStepBuild(t *testing.T) {
	errNew := errors.New("no client")
	step := func(newErr error) Step[stepConfig, *stepHandler] {
		return Step[stepConfig, *stepHandler]{
			Name:     "demo",
			Defaults: func() *stepConfig { return &stepConfig{Bucket: "default"} },
			Load: func(c *stepConfig, env envconfig.LookupFunc) error {
				if v, ok := env("BUCKET"); ok {
					if v == "" {
						return errors.New("BUCKET is empty")
					}
					c.Bucket = v
				}
				return nil
			},
			New: func(c *stepConfig, _ Deps) (*stepHandler, error) {
				if newErr != nil {
					return nil, newErr
				}
				return &stepHandler{bucket: c.Bucket}, nil
			},
			Handler: func(h *stepHandler) any { return h.Handle },
		}
	}
	tests := []struct {
		name       string
		env        map[string]string
		newErr     error
		wantBucket string
		wantErr    string
	}{
		{name: "defaults", env: map[string]string{}, wantBucket: "default"},
		{name: "environment over defaults", env: map[string]string{"BUCKET": "photos"}, wantBucket: "photos"},
		{name: "bad environment names the step", env: map[string]string{"BUCKET": ""}, wantErr: "demo: BUCKET is empty"},
		{name: "constructor error", env: map[string]string{}, newErr: errNew, wantErr: "no client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := step(tt.newErr).Build(context.Background(), Deps{Env: envconfig.Map(tt.env)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			handle, ok := got.(func(context.Context, struct{}) (string, error))
			if !ok {
				t.Fatalf("Build returned %T, want the handler's Handle method", got)
			}
			if b, _ := handle(context.Background(), struct{}{}); b != tt.wantBucket {
				t.Errorf("bucket = %q, want %q", b, tt.wantBucket)
			}
		})
	}
}
