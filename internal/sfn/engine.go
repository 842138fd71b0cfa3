package sfn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/imgflow/imgflow/internal/arn"
)

// Config configures an Engine.
type Config struct {
	// Clock drives Wait states, retry intervals and timeouts.
	Clock Clock
	// Lambda invokes Lambda functions (plain function ARNs and the
	// arn:aws:states:::lambda:invoke integration).
	Lambda LambdaInvoker
	// SNS publishes messages (arn:aws:states:::sns:publish).
	SNS SNSPublisher
	// Integrations are extra service integrations keyed by resource ARN
	// without the ".waitForTaskToken"/".sync" suffix
	// (e.g. "arn:aws:states:::dynamodb:putItem").
	Integrations map[string]Integration
	// MaxHistoryEvents is the history size limit (AWS: 25,000).
	MaxHistoryEvents int
	// MaxPayloadBytes is the state input/output size limit (AWS: 256 KiB).
	MaxPayloadBytes int
	// MaxMapConcurrency caps "unlimited" Map concurrency (0 = 40).
	MaxMapConcurrency int
	// Sequential runs Map iterations and Parallel branches one at a
	// time, in order, which makes histories deterministic (tests).
	Sequential bool
	// Region and AccountID are used to build ARNs.
	Region    string
	AccountID string
	// RandSeed seeds States.MathRandom/$random; 0 picks a random seed.
	RandSeed uint64
	// NewUUID generates UUIDs (States.UUID, task tokens, execution names).
	NewUUID func() string
	// OnEvent, if set, observes every history event as it is recorded
	// (for a durable store), in id order per execution. It runs under the
	// history lock: it must be quick and must not call back into the
	// execution.
	OnEvent func(executionARN string, ev Event)
	// OnMapRun, if set, observes each Distributed Map's Map Run when it
	// starts and when it ends (a snapshot; counts in between are read
	// with Engine.MapRun).
	OnMapRun func(MapRunInfo)
	// OnChildExecution, if set, is called for each child execution a
	// Distributed Map starts, before its first event is recorded. The
	// child is not in the engine's index (Execution, Executions): the
	// callback is how a service keeps it.
	OnChildExecution func(x *Execution)
	// MaxDistributedConcurrency caps the child executions a Distributed
	// Map runs at once when its MaxConcurrency is 0 or larger (0 = 1000;
	// AWS allows 10,000).
	MaxDistributedConcurrency int
	// ResultFileMaxBytes is the size at which a ResultWriter starts its
	// next SUCCEEDED_<n>.json (0 = 5 GiB, as AWS splits them).
	ResultFileMaxBytes int64
}

// NewDefaultConfig returns a Config with AWS's limits and the real clock.
func NewDefaultConfig() *Config {
	return &Config{
		Clock:             RealClock{},
		MaxHistoryEvents:  25000,
		MaxPayloadBytes:   256 * 1024,
		MaxMapConcurrency: 40,
		Region:            "us-east-1",
		AccountID:         "123456789012",
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Clock == nil {
		errs = append(errs, errors.New("sfn: config: Clock is required"))
	}
	if c.MaxHistoryEvents < 0 || c.MaxPayloadBytes < 0 || c.MaxMapConcurrency < 0 {
		errs = append(errs, errors.New("sfn: config: limits must not be negative"))
	}
	return errors.Join(errs...)
}

// Engine runs state machine executions. It is safe for concurrent use.
type Engine struct {
	cfg Config
	wg  sync.WaitGroup

	mu      sync.Mutex
	execs   map[string]*Execution
	tokens  map[string]*tokenWaiter
	mapRuns map[string]*MapRun
}

// New builds an Engine.
func New(cfg *Config) (*Engine, error) {
	if cfg == nil {
		cfg = NewDefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := *cfg
	if c.MaxMapConcurrency == 0 {
		c.MaxMapConcurrency = 40
	}
	if c.MaxDistributedConcurrency <= 0 {
		c.MaxDistributedConcurrency = 1000
	}
	if c.ResultFileMaxBytes <= 0 {
		c.ResultFileMaxBytes = 5 << 30
	}
	if c.NewUUID == nil {
		c.NewUUID = randomUUID
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.AccountID == "" {
		c.AccountID = "123456789012"
	}
	return &Engine{cfg: c, execs: map[string]*Execution{}, tokens: map[string]*tokenWaiter{}, mapRuns: map[string]*MapRun{}}, nil
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// StartOptions names an execution.
type StartOptions struct {
	// Name is the execution name (default: a UUID).
	Name string
	// StateMachineARN identifies the state machine (default derived from
	// StateMachineName).
	StateMachineARN  string
	StateMachineName string
	RoleARN          string
}

// Status is an execution status as AWS names it.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// Start parses def and starts an execution with the given JSON input. It
// returns once the execution is running; use Execution.Wait for the end.
func (e *Engine) Start(ctx context.Context, def []byte, input []byte, opts StartOptions) (*Execution, error) {
	d, err := ParseDefinition(def)
	if err != nil {
		return nil, err
	}
	if diags := Validate(def); len(diags) > 0 {
		return nil, &DefinitionError{Diagnostics: diags}
	}
	if len(input) == 0 {
		input = []byte("{}")
	}
	if n := e.cfg.MaxPayloadBytes; n > 0 && len(input) > n {
		return nil, &InvalidInputError{Msg: fmt.Sprintf("input is %d bytes, the limit is %d", len(input), n)}
	}
	in, err := decodeJSON(input)
	if err != nil {
		return nil, &InvalidInputError{Msg: err.Error()}
	}
	return e.start(ctx, d, append([]byte(nil), def...), in, opts, nil)
}

// InvalidInputError reports execution input that is not JSON.
type InvalidInputError struct{ Msg string }

func (e *InvalidInputError) Error() string { return "sfn: invalid execution input: " + e.Msg }

// DefinitionError lists the problems found by Validate.
type DefinitionError struct{ Diagnostics []Diagnostic }

func (e *DefinitionError) Error() string {
	if len(e.Diagnostics) == 0 {
		return "sfn: invalid definition"
	}
	d := e.Diagnostics[0]
	return fmt.Sprintf("sfn: invalid definition: %s at %s: %s (and %d more)", d.Code, d.Location, d.Message, len(e.Diagnostics)-1)
}

// StartParsed starts an execution of an already parsed definition; the
// input is a decoded JSON value (see DecodeJSON).
// It does not run Validate.
func (e *Engine) StartParsed(ctx context.Context, d *Definition, input any, opts StartOptions) (*Execution, error) {
	return e.start(ctx, d, nil, input, opts, nil)
}

// start starts an execution, or with rs continues a recorded one.
func (e *Engine) start(ctx context.Context, d *Definition, raw []byte, input any, opts StartOptions, rs *ResumeOptions) (*Execution, error) {
	ex := e.newExecution(d, raw, input, e.withDefaults(opts), rs)
	e.mu.Lock()
	if old, ok := e.execs[ex.arn]; ok {
		e.mu.Unlock()
		// StartExecution is idempotent for a running execution with the
		// same name and input; any other reuse of a name is an error.
		if old.Status() == StatusRunning && jsonEqual(old.input, input) {
			return old, nil
		}
		return nil, &ExecutionAlreadyExistsError{ARN: ex.arn}
	}
	e.execs[ex.arn] = ex
	e.mu.Unlock()

	// The execution outlives the caller's request: detach from its
	// cancellation but keep its values.
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	ex.cancel = cancel
	if d.TimeoutSeconds != nil && *d.TimeoutSeconds > 0 {
		// The execution times out TimeoutSeconds after its start, also
		// when it is resumed.
		left := ex.start.Add(time.Duration(*d.TimeoutSeconds) * time.Second).Sub(e.cfg.Clock.Now())
		var c2 context.CancelFunc
		runCtx, c2 = e.cfg.Clock.WithTimeout(runCtx, left)
		ex.cancelTimeout = c2
	}
	if ex.hist.len() == 0 {
		_, _ = ex.hist.addAt(ex.start, 0, "ExecutionStarted", map[string]any{
			"input":        encodeJSON(input),
			"inputDetails": map[string]any{"truncated": false},
			"roleArn":      ex.opts.RoleARN,
		})
	}
	if rs != nil && rs.Redrive {
		// Execution* events are never refused by the history limit.
		ex.redrivenID, _ = ex.hist.add(int64(ex.hist.len()), "ExecutionRedriven", map[string]any{"redriveCount": rs.RedriveCount})
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ex.run(runCtx)
	}()
	return ex, nil
}

// withDefaults fills in the execution name, state machine and role.
func (e *Engine) withDefaults(opts StartOptions) StartOptions {
	if opts.Name == "" {
		opts.Name = e.cfg.NewUUID()
	}
	if opts.StateMachineName == "" {
		opts.StateMachineName = "StateMachine"
	}
	if opts.StateMachineARN == "" {
		opts.StateMachineARN = arn.StateMachine(e.cfg.Region, e.cfg.AccountID, opts.StateMachineName)
	}
	if opts.RoleARN == "" {
		opts.RoleARN = arn.Role(e.cfg.AccountID, "StepFunctionsRole")
	}
	return opts
}

// newExecution builds a running execution and its history; a resumed one
// takes its start and recorded events from rs.
func (e *Engine) newExecution(d *Definition, raw []byte, input any, opts StartOptions, rs *ResumeOptions) *Execution {
	execARN := arn.Execution(e.cfg.Region, e.cfg.AccountID, opts.StateMachineName, opts.Name)
	seed := e.cfg.RandSeed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	ex := &Execution{
		eng:    e,
		def:    d,
		defRaw: raw,
		arn:    execARN,
		opts:   opts,
		input:  input,
		start:  e.cfg.Clock.Now(),
		done:   make(chan struct{}),
		rng:    mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	ex.status = StatusRunning
	ex.hist = &history{limit: e.cfg.MaxHistoryEvents, clock: e.cfg.Clock}
	if rs != nil {
		ex.start, ex.redriveCount = rs.Start, rs.RedriveCount
		if len(rs.History) > 0 {
			ex.hist.events = append([]Event(nil), rs.History...)
			ex.hist.high = 1 // ExecutionStarted
			ex.replay = newReplay(ex.hist.events, rs.Redrive)
		}
	}
	if cb := e.cfg.OnEvent; cb != nil {
		ex.hist.onEvent = func(ev Event) { cb(execARN, ev) }
	}
	return ex
}

// ExecutionAlreadyExistsError is returned when a running execution has
// the same name.
type ExecutionAlreadyExistsError struct{ ARN string }

func (e *ExecutionAlreadyExistsError) Error() string {
	return "sfn: execution already exists: " + e.ARN
}

// Executions returns the executions the engine knows, in no order.
func (e *Engine) Executions() []*Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Execution, 0, len(e.execs))
	for _, x := range e.execs {
		out = append(out, x)
	}
	return out
}

// Execution returns a started execution by ARN.
func (e *Engine) Execution(arn string) (*Execution, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.execs[arn]
	return x, ok
}

// Forget drops a finished execution from the engine's index (the caller
// keeps its Record in a durable store). It reports whether it was removed.
func (e *Engine) Forget(arn string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.execs[arn]
	if !ok || x.Status() == StatusRunning {
		return false
	}
	delete(e.execs, arn)
	return true
}

// Shutdown stops every running execution (ABORTED) and waits for them.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	var running []*Execution
	for _, x := range e.execs {
		running = append(running, x)
	}
	e.mu.Unlock()
	for _, x := range running {
		x.Stop("States.Aborted", "engine shutdown")
	}
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
