package lambdamain

import (
	"context"
	"fmt"

	"github.com/imgflow/imgflow/layers/common/envconfig"
)

// Step is how every step builds its handler: its default configuration,
// the environment read over it, then its constructor with what Deps
// provides. Its Build is what Run and the local stack call; Config serves
// tests that bring their own dependencies to the constructor.
type Step[C, H any] struct {
	Name     string // prefixes configuration errors: "validate: ..."
	Defaults func() *C
	Load     func(*C, envconfig.LookupFunc) error
	New      func(*C, Deps) (H, error)
	Handler  func(H) any // what lambda.NewHandler takes, e.g. h.Handle
}

// Config returns the step's defaults with the environment read over them.
func (s Step[C, H]) Config(env envconfig.LookupFunc) (*C, error) {
	cfg := s.Defaults()
	if err := s.Load(cfg, env); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	return cfg, nil
}

// Build makes the step's Lambda handler from deps.
func (s Step[C, H]) Build(_ context.Context, deps Deps) (any, error) {
	cfg, err := s.Config(deps.Env)
	if err != nil {
		return nil, err
	}
	h, err := s.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	return s.Handler(h), nil
}
