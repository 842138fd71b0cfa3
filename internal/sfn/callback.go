package sfn

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Task tokens (.waitForTaskToken): the task waits until a caller reports
// its outcome through SendTaskSuccess/SendTaskFailure.

type tokenResult struct {
	output any
	err    error
}

type tokenWaiter struct {
	done      chan tokenResult
	heartbeat chan struct{}
}

// ErrTaskTokenNotFound is returned for unknown or finished task tokens.
var ErrTaskTokenNotFound = errors.New("sfn: task token not found")

// SendTaskSuccess completes the task waiting on token with output (JSON).
func (e *Engine) SendTaskSuccess(token string, output []byte) error {
	v, err := decodeJSON(output)
	if err != nil {
		return &InvalidInputError{Msg: err.Error()}
	}
	return e.completeToken(token, tokenResult{output: v})
}

// SendTaskFailure fails the task waiting on token.
func (e *Engine) SendTaskFailure(token, errName, cause string) error {
	return e.completeToken(token, tokenResult{err: &StatesError{Name: errName, Cause: cause, HasCause: true}})
}

// SendTaskHeartbeat resets the heartbeat timer of the task waiting on token.
func (e *Engine) SendTaskHeartbeat(token string) error {
	e.mu.Lock()
	w, ok := e.tokens[token]
	e.mu.Unlock()
	if !ok {
		return ErrTaskTokenNotFound
	}
	select {
	case w.heartbeat <- struct{}{}:
	default:
	}
	return nil
}

func (e *Engine) completeToken(token string, r tokenResult) error {
	e.mu.Lock()
	w, ok := e.tokens[token]
	if ok {
		delete(e.tokens, token)
	}
	e.mu.Unlock()
	if !ok {
		return ErrTaskTokenNotFound
	}
	w.done <- r
	return nil
}

// invokeWithToken starts the integration and waits for the callback.
func (f *frame) invokeWithToken(ctx context.Context, rt *runtimeCtx, res resource, params any, heartbeat time.Duration) (any, error) {
	eng := f.ex.eng
	w := &tokenWaiter{done: make(chan tokenResult, 1), heartbeat: make(chan struct{}, 1)}
	eng.mu.Lock()
	eng.tokens[rt.taskToken] = w
	eng.mu.Unlock()
	defer func() {
		eng.mu.Lock()
		delete(eng.tokens, rt.taskToken)
		eng.mu.Unlock()
	}()
	inner := res
	inner.pattern = ""
	if _, err := f.invokeService(ctx, rt, inner, params); err != nil {
		return nil, err
	}
	hbExpired := make(chan struct{})
	if heartbeat > 0 {
		// The heartbeat watcher is owned by this call: cancel, then wait.
		var wg sync.WaitGroup
		defer wg.Wait()
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				sctx, scancel := context.WithCancel(hctx)
				wg.Add(1)
				go func() {
					defer wg.Done()
					select {
					case <-w.heartbeat:
						scancel()
					case <-sctx.Done():
					}
				}()
				err := eng.cfg.Clock.Sleep(sctx, heartbeat)
				scancel()
				if hctx.Err() != nil {
					return
				}
				if err == nil || errors.Is(err, context.DeadlineExceeded) {
					close(hbExpired)
					return
				}
			}
		}()
	}
	select {
	case r := <-w.done:
		if r.err != nil {
			return nil, r.err
		}
		return r.output, nil
	case <-hbExpired:
		return nil, &StatesError{Name: ErrHeartbeatTimeout, HasCause: true}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
