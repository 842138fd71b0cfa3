package sfn

import (
	"context"
	"errors"
	"sync"
)

// parallelState is a Parallel state: its body runs every branch on the
// same input.
type parallelState struct {
	next     string
	branches []*Definition
}

func (k *parallelState) exec(ctx context.Context, f *frame, rt *runtimeCtx, in any) (outcome, error) {
	v, err := k.run(ctx, f, rt, in)
	return outcome{result: v, next: k.next}, err
}

// run runs every branch with the same input and collects the outputs in
// branch order.
func (k *parallelState) run(ctx context.Context, f *frame, rt *runtimeCtx, input any) (any, error) {
	if err := f.emit("ParallelStateStarted", nil); err != nil {
		return nil, err
	}
	out := make([]any, len(k.branches))
	err := f.fanOut(ctx, len(k.branches), 0, f.replaying, func(ctx context.Context, i int, p *parker) error {
		child := f.child(k.branches[i], f.prev, p)
		child.inParallel = true
		v, err := child.run(ctx, input)
		out[i] = v
		return err
	})
	f.afterFanOut()
	if err != nil {
		if errors.Is(err, errReplayAborted) {
			return nil, err
		}
		se := asStatesError(err)
		if ctx.Err() != nil || se.Name == ErrRuntime {
			return nil, se
		}
		rt.failedEvent = "ParallelStateFailed"
		return nil, se
	}
	if _, err := f.emitDetached(f.hist.lastID(), "ParallelStateSucceeded", nil); err != nil {
		return nil, err
	}
	return out, nil
}

// fanOut runs n jobs with at most limit at a time (0 = engine cap). The
// first failure cancels the rest and is returned. With replay the jobs'
// frames replay a record first (see replayFanOut); p is then their
// parker, nil otherwise.
func (f *frame) fanOut(ctx context.Context, n, limit int, replay bool, job func(ctx context.Context, i int, p *parker) error) error {
	cfg := f.ex.eng.cfg
	if limit <= 0 || limit > cfg.MaxMapConcurrency {
		limit = cfg.MaxMapConcurrency
	}
	if cfg.Sequential {
		limit = 1
	}
	if replay {
		return f.replayFanOut(ctx, n, limit, job)
	}
	if limit == 1 || n <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := job(ctx, i, nil); err != nil {
				return err
			}
		}
		return nil
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-cctx.Done():
		}
		if cctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = newErrf(ErrRuntime, "internal error: %v", r)
					}
				}()
				return job(cctx, i, nil)
			}()
			if err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
