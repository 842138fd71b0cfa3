// Package runtimeapi runs a function's built bootstrap binary as real
// processes under a local implementation of the AWS Lambda Runtime API
// (version 2018-06-01), so the local stack exercises the deployable artifact
// instead of the handler linked into the stack.
//
// A Pool is one function: it starts processes lazily, up to the function's
// concurrency, and gives each at most one invocation at a time, as a Lambda
// execution environment (a "sandbox") does. Every sandbox has its own
// Runtime API endpoint on 127.0.0.1 and a random port, so the endpoint
// always knows which process is asking. A Pool implements aws-lambda-go's
// lambda.Handler, so the lambda.Service runs it exactly like an in-process
// handler (statistics, timeouts, asynchronous retries); a failed invocation
// returns a messages.InvokeResponse_Error carrying the errorType the process
// reported.
//
// Spec names (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
// "next" is GET /runtime/invocation/next, "response" and "error" are the
// POSTs under /runtime/invocation/{AwsRequestId}/, "init error" is POST
// /runtime/init/error.
package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

// Config configures the pool of one function.
type Config struct {
	Name        string            // AWS_LAMBDA_FUNCTION_NAME
	ARN         string            // Lambda-Runtime-Invoked-Function-Arn when the caller names none
	Binary      string            // the bootstrap executable; its directory is LAMBDA_TASK_ROOT and the working directory
	Handler     string            // _HANDLER
	Region      string            // AWS_REGION
	MemoryMB    int               // AWS_LAMBDA_FUNCTION_MEMORY_SIZE
	Environment map[string]string // the function's environment, resolved (template variables, endpoint, credentials)
	Timeout     time.Duration     // per invocation, including a cold start
	Concurrency int               // processes at most
	// StopGrace is how long Close waits after SIGTERM before SIGKILL.
	StopGrace time.Duration
	// MaxResponseBytes caps a response or error document (Lambda: 6 MB
	// for a synchronous invocation).
	MaxResponseBytes int64
	// Log, when set, receives each line the process writes while an
	// invocation runs, with its request id (for Invoke's LogType=Tail).
	// A line that reaches the pipe after the response is not attributed.
	Log func(requestID string, line []byte)
}

// NewDefaultConfig returns Lambda's defaults: 3 s timeout, 128 MB.
func NewDefaultConfig() *Config {
	return &Config{Handler: "bootstrap", Region: "us-east-1", MemoryMB: 128, Timeout: 3 * time.Second,
		Concurrency: 1, StopGrace: 2 * time.Second, MaxResponseBytes: 6291556}
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("runtimeapi: Name is required"))
	}
	if !filepath.IsAbs(c.Binary) {
		errs = append(errs, fmt.Errorf("runtimeapi: Binary must be an absolute path, got %q", c.Binary))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("runtimeapi: Timeout must be positive, got %v", c.Timeout))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("runtimeapi: Concurrency must be at least 1, got %d", c.Concurrency))
	}
	if c.StopGrace < 0 || c.MaxResponseBytes < 1 {
		errs = append(errs, errors.New("runtimeapi: StopGrace must not be negative and MaxResponseBytes must be positive"))
	}
	return errors.Join(errs...)
}

// Pool runs one function's invocations on its processes.
type Pool struct {
	cfg Config
	log *zap.Logger

	mu      sync.Mutex
	idle    []*sandbox // alive and between invocations
	live    map[*sandbox]struct{}
	changed chan struct{} // closed and replaced whenever a sandbox frees up or goes away
	closed  bool
	nextID  int
	stats   Stats

	wg sync.WaitGroup // one per sandbox: its process, output and endpoint
}

// Stats describes a pool, for tests and the console.
type Stats struct {
	Started   int             // processes started so far
	Running   int             // processes alive now
	Inits     []time.Duration // each process's init: start until its first next
	Exits     int             // processes that ended (crash, timeout, init error, Close)
	Requeued  int             // invocations moved to another process because theirs exited before taking them
	MaxActive int             // the most processes alive at once
}

// New returns a pool; it starts no process until the first invocation.
func New(cfg *Config, log *zap.Logger) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := *cfg
	c.Environment = maps.Clone(cfg.Environment)
	return &Pool{cfg: c, log: log.With(zap.String("component", "runtimeapi"), zap.String("function", cfg.Name)),
		live: map[*sandbox]struct{}{}, changed: make(chan struct{})}, nil
}

// Stats returns a copy of the pool's statistics.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Inits = slices.Clone(p.stats.Inits)
	s.Running = len(p.live)
	return s
}

// errClosed is returned by Invoke once Close has begun.
var errClosed = errors.New("runtimeapi: pool is closed")

// Invoke runs one invocation on a free process, starting one when none is
// free and the concurrency allows. The request id and invoked ARN come from
// ctx's lambdacontext when the lambda.Service set them. A function error, a
// crash, an init failure or a timeout is a messages.InvokeResponse_Error
// (a value, as aws-lambda-go's own runtime matches it); any other error
// means ctx ended or the pool is closed.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv := invocation{id: awsid.LambdaRequestID(), arn: p.cfg.ARN, payload: payload}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if lc.AwsRequestID != "" {
			inv.id = lc.AwsRequestID
		}
		if lc.InvokedFunctionArn != "" {
			inv.arn = lc.InvokedFunctionArn
		}
	}
	inv.traceID = newTraceID(time.Now())
	inv.deadline = time.Now().Add(p.cfg.Timeout)
	ctx, cancel := context.WithDeadline(ctx, inv.deadline)
	defer cancel()
	for {
		sb, err := p.acquire(ctx)
		if err != nil {
			return nil, p.ctxError(&inv, err)
		}
		a := &attempt{invocation: inv, done: make(chan outcome, 1)}
		out, ok := sb.run(ctx, a)
		if !ok { // ctx ended: the process was killed and is being replaced
			return nil, p.ctxError(&inv, ctx.Err())
		}
		if out.requeue {
			p.mu.Lock()
			p.stats.Requeued++
			p.mu.Unlock()
			continue
		}
		p.release(sb)
		if out.err != nil {
			return nil, *out.err
		}
		return out.payload, nil
	}
}

// ctxError turns the end of ctx by a deadline into Lambda's timeout error
// (the lambda.Service's deadline is the function's timeout too), and
// returns err otherwise.
func (p *Pool) ctxError(inv *invocation, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return messages.InvokeResponse_Error{Type: "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, p.cfg.Timeout.Seconds())}
	}
	return err
}

// acquire returns a sandbox for the caller's exclusive use: a free one, a
// new one when under the concurrency, or the first to free up.
func (p *Pool) acquire(ctx context.Context) (*sandbox, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errClosed
		}
		if n := len(p.idle); n > 0 {
			sb := p.idle[n-1] // the most recently used: warm, as Lambda prefers
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			return sb, nil
		}
		if len(p.live) < p.cfg.Concurrency {
			p.nextID++
			id := p.nextID
			sb := &sandbox{pool: p, id: id, pending: make(chan *attempt, 1), exited: make(chan struct{})}
			p.live[sb] = struct{}{}
			p.stats.Started++
			p.stats.MaxActive = max(p.stats.MaxActive, len(p.live))
			p.wg.Add(1)
			p.mu.Unlock()
			if err := sb.start(); err != nil {
				p.remove(sb)
				close(sb.exited)
				p.wg.Done()
				return nil, fmt.Errorf("runtimeapi: %s: start %s: %w", p.cfg.Name, p.cfg.Binary, err)
			}
			return sb, nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release returns a sandbox after an invocation, unless its process ended.
func (p *Pool) release(sb *sandbox) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.live[sb]; ok && !p.closed {
		p.idle = append(p.idle, sb)
	}
	p.signal()
}

// remove forgets a sandbox whose process ended.
func (p *Pool) remove(sb *sandbox) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.live[sb]; !ok {
		return
	}
	delete(p.live, sb)
	p.idle = slices.DeleteFunc(p.idle, func(x *sandbox) bool { return x == sb })
	p.stats.Exits++
	p.signal()
}

func (p *Pool) recordInit(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Inits = append(p.stats.Inits, d)
}

// signal wakes the callers waiting in acquire; p.mu is held.
func (p *Pool) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Close stops every process: SIGTERM, then SIGKILL after StopGrace (or
// when ctx ends, if sooner). It returns once all have exited and their
// output is logged. Invocations still running fail.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	all := make([]*sandbox, 0, len(p.live))
	for sb := range p.live {
		all = append(all, sb)
	}
	p.idle = nil
	p.signal()
	p.mu.Unlock()

	for _, sb := range all {
		sb.signal(sigTerm, "pool closed")
	}
	grace := time.NewTimer(p.cfg.StopGrace)
	defer grace.Stop()
	for _, sb := range all {
		select {
		case <-sb.exited:
			continue
		case <-grace.C:
		case <-ctx.Done():
		}
		// Out of patience: kill this one and every one still running.
		for _, sb := range all {
			sb.signal(sigKill, "pool closed")
		}
		break
	}
	p.wg.Wait()
	return nil
}

// invocation is one Invoke, in the terms next hands to the runtime.
type invocation struct {
	id, arn, traceID string
	payload          []byte
	deadline         time.Time
}

// attempt is an invocation given to one sandbox; a requeued invocation
// gets a new attempt on another sandbox.
type attempt struct {
	invocation
	once sync.Once
	done chan outcome // buffered; written once, by complete
}

// outcome ends an attempt: a payload, a function error, or requeue when the
// process ended before it took the invocation.
type outcome struct {
	payload []byte
	err     *messages.InvokeResponse_Error
	requeue bool
}

func (a *attempt) complete(o outcome) {
	a.once.Do(func() { a.done <- o })
}

// newTraceID returns an X-Ray trace header: Root=1-<epoch hex>-<96-bit id>.
func newTraceID(now time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s;Sampled=0", now.Unix(), awsid.Hex(12))
}

// Signals Close and timeouts send.
var (
	sigTerm os.Signal = syscall.SIGTERM
	sigKill           = os.Kill
)
