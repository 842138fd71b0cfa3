// Package lambda is the Lambda service of the local stack: it runs each
// function's real handler in process with Lambda's semantics (error type
// names, panics, timeouts, a concurrency limit per function, asynchronous
// invocation with retries and an OnFailure destination, the last 4 KB of an
// invocation's log), and serves the Lambda Invoke, ListFunctions, GetFunction
// and GetFunctionConfiguration APIs.
package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

// Function is one function's configuration, as template.yaml declares it.
type Function struct {
	Name      string // physical name, e.g. imgflow-ValidateFunction
	LogicalID string // e.g. ValidateFunction
	ARN       string
	Runtime   string
	Handler   string
	// Environment is what the template declares, and what the API shows;
	// variables the local stack injects (endpoint, credentials) are not here.
	Environment map[string]string
	Role        string // execution role ARN
	CodeSize    int64  // bytes of the deployment package, 0 when unknown
	Layers      []Layer
	// LastModified is when this code was deployed (the stack's start).
	LastModified time.Time
	// LogGroup is where its invocations' logs go: the template's
	// LoggingConfig.LogGroup, or "" for Lambda's default,
	// /aws/lambda/<Name>.
	LogGroup string
	// Aliases maps each alias the template defines (AutoPublishAlias) to its
	// version. Every version runs the same code: the stack deploys one.
	Aliases  map[string]string
	Timeout  time.Duration
	MemoryMB int
	// ReservedConcurrency limits concurrent invocations; 0 means the
	// service default (Config.DefaultConcurrency).
	ReservedConcurrency int
	// Asynchronous invocation (S3 notifications): retries after the first
	// attempt, the oldest event still tried, and where a failed event goes.
	MaxRetryAttempts int
	MaxEventAge      time.Duration
	OnFailure        string // destination ARN, "" for none
}

// Layer is a layer version a function uses.
type Layer struct {
	ARN      string
	CodeSize int64
}

// Handler is what a function runs: aws-lambda-go's handler interface, so a
// step's handler is wrapped with lambda.NewHandler exactly as on Lambda.
type Handler = awslambda.Handler

// Invocation errors the service itself reports, named as Lambda names them.
var (
	ErrNotFound = errors.New("function not found")
)

// Response is the outcome of one invocation, in the Invoke API's terms.
type Response struct {
	Payload         []byte // the result, or the error document when FunctionError is set
	FunctionError   string // "Unhandled" when the handler failed
	ExecutedVersion string
	RequestID       string
	Duration        time.Duration
	LogTail         []byte // the last 4 KB of the invocation's log, START to REPORT
}

// ErrorDocument is the JSON body of a failed invocation, as the Go runtime
// writes it; Step Functions matches Retry and Catch on ErrorType.
type ErrorDocument struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// Config configures the service.
type Config struct {
	Region             string
	AccountID          string
	DefaultConcurrency int                                        // per function, when it reserves none
	Now                func() time.Time                           // injectable clock for durations and event ages
	Sleep              func(context.Context, time.Duration) error // backoff between async retries
	RetryDelays        []time.Duration                            // async retry schedule (Lambda: 1 min, 2 min)
	// Logs receives every invocation's log lines (nil: only LogType=Tail
	// sees them); Observer is told of every invocation (nil: nobody).
	Logs     LogSink
	Observer Observer
}

// Observer is told of every invocation, as CloudWatch's AWS/Lambda metrics
// count them.
type Observer interface {
	Invoked(Invocation)
}

// Invocation is what an Observer is told of one invocation.
type Invocation struct {
	Function string // its name
	Start    time.Time
	Duration time.Duration
	Failed   bool // the handler returned an error, panicked or timed out
	// Throttled: it waited for a concurrency slot. Lambda would have
	// refused it with TooManyRequestsException; locally it waits.
	Throttled bool
	// Concurrent is how many invocations of the function were in flight
	// when it started, itself included.
	Concurrent int
}

// NewDefaultConfig returns local defaults: Lambda's retry schedule scaled
// down so a local run does not wait minutes.
func NewDefaultConfig() *Config {
	return &Config{
		Region: "us-east-1", AccountID: "000000000000", DefaultConcurrency: 16,
		Now: time.Now, Sleep: sleepCtx, RetryDelays: []time.Duration{time.Second, 2 * time.Second},
	}
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.DefaultConcurrency < 1 {
		errs = append(errs, fmt.Errorf("lambda: DefaultConcurrency must be at least 1, got %d", c.DefaultConcurrency))
	}
	if c.Now == nil || c.Sleep == nil {
		errs = append(errs, errors.New("lambda: Now and Sleep are required"))
	}
	return errors.Join(errs...)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Destination receives an asynchronous invocation that failed for good.
type Destination interface {
	Deliver(ctx context.Context, destinationARN string, record FailureRecord) error
}

// FailureRecord is what Lambda sends to an OnFailure destination.
type FailureRecord struct {
	Version         string          `json:"version"`
	Timestamp       time.Time       `json:"timestamp"`
	RequestContext  RequestContext  `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext ResponseContext `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload,omitempty"`
}

// RequestContext is part of a FailureRecord.
type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"` // RetriesExhausted, EventAgeExceeded
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// ResponseContext is part of a FailureRecord.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// Init builds a fresh instance of a function's handler: what a cold start
// runs (lambdamain.Init in process).
type Init func(ctx context.Context) (Handler, error)

type function struct {
	cfg   Function
	slots chan struct{}
	// build makes a new instance after a panic ended the last one; nil for
	// a handler that manages its own instances (a runtimeapi.Pool).
	build Init

	instMu     sync.Mutex // held while an instance is built
	mu         sync.Mutex
	handler    Handler // nil once a panic ended the instance
	generation int     // which instance handler is
	stats      stats
	// pendingInit is the build time of the instance no invocation has
	// run on yet: its first REPORT shows it as Init Duration.
	pendingInit time.Duration
	// idle are the log streams of the execution environments not running
	// an invocation, by version: an invocation takes one (or starts a new
	// one), so there is one stream per concurrent environment, as on Lambda.
	idle map[string][]string
}

// Service runs functions.
type Service struct {
	cfg  Config
	log  *zap.Logger
	dest Destination

	mu  sync.RWMutex
	fns map[string]*function // by name and by ARN

	logs invocationLogs
	mem  *memPeak

	wg     sync.WaitGroup // asynchronous invocations in flight
	closed chan struct{}
}

// New returns an empty Service. dest may be nil when no function declares
// an OnFailure destination.
func New(cfg *Config, dest Destination, log *zap.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: *cfg, log: log.With(zap.String("component", "lambda")), dest: dest,
		fns: map[string]*function{}, closed: make(chan struct{}), logs: invocationLogs{sink: cfg.Logs, now: cfg.Now}, mem: newMemPeak()}, nil
}

// Register adds a function. init is how long building its handler took
// (the cold start), reported in its statistics.
func (s *Service) Register(f Function, h Handler, init time.Duration) error {
	if f.Name == "" || h == nil {
		return errors.New("lambda: a function needs a name and a handler")
	}
	f = s.defaults(f)
	n := s.concurrency(f)
	fn := &function{cfg: f, handler: h, slots: make(chan struct{}, n), pendingInit: init}
	fn.stats.init = init
	return s.add(fn)
}

// RegisterInit adds a function whose handler runs in process. The first
// instance is built now, with ctx. A panic in the handler ends its instance,
// as aws-lambda-go ends the process: the next invocation builds a fresh one
// (a cold start in Stats).
func (s *Service) RegisterInit(ctx context.Context, f Function, init Init) error {
	if f.Name == "" || init == nil {
		return errors.New("lambda: a function needs a name and an init")
	}
	f = s.defaults(f)
	fn := &function{cfg: f, build: init, slots: make(chan struct{}, s.concurrency(f))}
	if _, err := s.instance(ctx, fn); err != nil {
		return fmt.Errorf("lambda: init %s: %w", f.Name, err)
	}
	return s.add(fn)
}

func (s *Service) defaults(f Function) Function {
	if f.ARN == "" {
		f.ARN = awsid.FunctionARN(s.cfg.Region, s.cfg.AccountID, f.Name)
	}
	if f.Timeout <= 0 {
		f.Timeout = 3 * time.Second // Lambda's default
	}
	if f.LogGroup == "" {
		f.LogGroup = "/aws/lambda/" + f.Name
	}
	return f
}

func (s *Service) concurrency(f Function) int {
	if f.ReservedConcurrency > 0 {
		return f.ReservedConcurrency
	}
	return s.cfg.DefaultConcurrency
}

func (s *Service) add(fn *function) error {
	f := fn.cfg
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.fns[f.Name]; dup {
		return fmt.Errorf("lambda: function %s already registered", f.Name)
	}
	s.fns[f.Name] = fn
	s.fns[f.ARN] = fn
	return nil
}

// lookup finds a function by name, ARN, or either with a qualifier
// (name:qualifier), and returns the version the qualifier names. An unknown
// qualifier is not found, as on Lambda, never a silent run of $LATEST.
func (s *Service) lookup(nameOrARN string) (*function, string, error) {
	name, qualifier := splitQualifier(nameOrARN)
	s.mu.RLock()
	fn, ok := s.fns[name]
	s.mu.RUnlock()
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, nameOrARN)
	}
	version, ok := fn.cfg.version(qualifier)
	if !ok {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, nameOrARN)
	}
	return fn, version, nil
}

// splitQualifier splits "name[:qualifier]" or
// "arn:aws:lambda:region:account:function:name[:qualifier]" into the
// registered key (name or unqualified ARN) and the qualifier.
func splitQualifier(nameOrARN string) (key, qualifier string) {
	if strings.HasPrefix(nameOrARN, "arn:") {
		parts := strings.Split(nameOrARN, ":")
		if len(parts) == 8 {
			return strings.Join(parts[:7], ":"), parts[7]
		}
		return nameOrARN, ""
	}
	key, qualifier, _ = strings.Cut(nameOrARN, ":")
	return key, qualifier
}

// versions lists the published versions the aliases name, in order.
func (f Function) versions() []string {
	var vs []string
	for _, v := range f.Aliases {
		if !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

// version resolves a qualifier: none or $LATEST, a published version, or an
// alias.
func (f Function) version(qualifier string) (string, bool) {
	switch qualifier {
	case "", "$LATEST":
		return "$LATEST", true
	}
	if v, ok := f.Aliases[qualifier]; ok {
		return v, true
	}
	for _, v := range f.Aliases {
		if v == qualifier {
			return v, true
		}
	}
	return "", false
}

// Functions lists the registered functions, sorted by name.
func (s *Service) Functions() []Function {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Function
	for k, fn := range s.fns {
		if k == fn.cfg.Name {
			out = append(out, fn.cfg)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Invoke runs a function synchronously (RequestResponse). A handler error is
// not a Go error here: it comes back in the Response with FunctionError
// set, as Lambda's Invoke API returns it. The Go error is for the service:
// an unknown function, or ctx ending while waiting for a concurrency slot.
func (s *Service) Invoke(ctx context.Context, nameOrARN string, payload []byte) (*Response, error) {
	fn, version, err := s.lookup(nameOrARN)
	if err != nil {
		return nil, err
	}
	throttled := false
	select {
	case fn.slots <- struct{}{}:
	default:
		throttled = true
		select {
		case fn.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("lambda: %s: waiting for a concurrency slot: %w", fn.cfg.Name, ctx.Err())
		}
	}
	concurrent := len(fn.slots)
	requestID := awsid.LambdaRequestID()
	stream := fn.takeEnvironment(version, s.cfg.Now())
	s.logs.begin(requestID, fn.cfg.LogGroup, stream)
	s.logs.add(requestID, startLine(requestID, version))
	mem := s.mem.begin()
	// A cold start's init is not part of the invocation's Duration, as
	// Lambda reports Init Duration apart.
	inst, initErr := s.instance(ctx, fn)
	initDur := fn.takeInit()
	start := s.cfg.Now()
	var out []byte
	var invErr error
	var timedOut bool
	if initErr != nil {
		// lambdamain.Run exits with status 1 when its init fails, which
		// Lambda reports as this.
		invErr = messages.InvokeResponse_Error{Type: "Runtime.ExitError",
			Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: exit status 1", requestID)}
	} else {
		out, invErr, timedOut = s.call(ctx, fn, inst, requestID, payload)
	}
	dur := s.cfg.Now().Sub(start)
	if !timedOut {
		<-fn.slots
	}
	resp := &Response{ExecutedVersion: version, RequestID: requestID, Duration: dur}
	if invErr != nil {
		doc := errorDocument(invErr)
		if timedOut {
			doc = &ErrorDocument{ErrorType: "Sandbox.Timedout",
				ErrorMessage: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, fn.cfg.Timeout.Seconds())}
		}
		body, _ := json.Marshal(doc)
		resp.Payload, resp.FunctionError = body, "Unhandled"
	} else {
		resp.Payload = out
	}
	if timedOut {
		s.logs.add(requestID, fmt.Appendf(nil, "%s Task timed out after %.2f seconds", s.cfg.Now().UTC().Format(time.RFC3339Nano), fn.cfg.Timeout.Seconds()))
	}
	s.logs.add(requestID, endLine(requestID))
	s.logs.add(requestID, reportLine(requestID, dur, fn.cfg.MemoryMB, s.mem.end(mem), initDur))
	resp.LogTail = s.logs.end(requestID)
	if !timedOut && !fn.ended(inst) {
		// A timed-out environment is still busy; one a panic ended is gone.
		fn.releaseEnvironment(version, stream)
	}
	fn.record(dur, invErr != nil)
	if s.cfg.Observer != nil {
		s.cfg.Observer.Invoked(Invocation{Function: fn.cfg.Name, Start: start, Duration: dur, Failed: invErr != nil,
			Throttled: throttled, Concurrent: concurrent})
	}
	s.log.Debug("invoked", zap.String("function", fn.cfg.Name), zap.String("request_id", requestID),
		zap.Duration("duration", dur), zap.Bool("error", invErr != nil))
	return resp, nil
}

type result struct {
	out []byte
	err error
}

// call runs the handler with the function's timeout. On a timeout the
// handler goroutine cannot be killed in process: it keeps its concurrency
// slot until it returns, as a stuck Lambda sandbox keeps its instance.
func (s *Service) call(ctx context.Context, fn *function, inst instance, requestID string, payload []byte) ([]byte, error, bool) {
	ctx, cancel := context.WithTimeout(ctx, fn.cfg.Timeout)
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: fn.cfg.ARN})
	done := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				s.endInstance(fn, inst)
				done <- result{err: &panicError{value: v, stack: string(debug.Stack())}}
			}
		}()
		out, err := inst.handler.Invoke(ctx, payload)
		done <- result{out: out, err: err}
	}()
	select {
	case r := <-done:
		cancel()
		return r.out, r.err, false
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			go func() { <-done; cancel(); <-fn.slots }()
			return nil, ctx.Err(), true
		}
		go func() { <-done; cancel() }()
		return nil, ctx.Err(), false
	}
}

// instance is one built handler of a function; generation tells a panic in
// an old instance from the current one.
type instance struct {
	handler    Handler
	generation int
}

// instance returns the function's live instance, building one (a cold
// start) when a panic ended the last. Concurrent invocations wait for the
// one build. The build runs without ctx's deadline or cancellation: an
// instance outlives the invocation that started it.
func (s *Service) instance(ctx context.Context, fn *function) (instance, error) {
	fn.mu.Lock()
	inst := instance{fn.handler, fn.generation}
	fn.mu.Unlock()
	if inst.handler != nil || fn.build == nil {
		return inst, nil
	}
	fn.instMu.Lock()
	defer fn.instMu.Unlock()
	fn.mu.Lock()
	inst = instance{fn.handler, fn.generation}
	fn.mu.Unlock()
	if inst.handler != nil {
		return inst, nil
	}
	start := s.cfg.Now()
	h, err := fn.build(context.WithoutCancel(ctx))
	d := s.cfg.Now().Sub(start)
	if err == nil && h == nil {
		err = errors.New("init returned no handler")
	}
	if err != nil { // the init logs its own failure, as lambdamain.Init does
		return instance{}, err
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	fn.generation++
	fn.handler = h
	fn.stats.coldStarts++
	fn.stats.init = d
	fn.pendingInit = d
	return instance{h, fn.generation}, nil
}

// endInstance drops the instance a handler panicked in, as aws-lambda-go
// exits the process after reporting a panic, so the next invocation gets a
// fresh one. A handler without a build (a process pool) is kept: it
// replaces its own processes.
func (s *Service) endInstance(fn *function, inst instance) {
	if fn.build == nil {
		return
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if fn.generation == inst.generation {
		fn.handler = nil
		s.log.Info("instance ended by a panic", zap.String("function", fn.cfg.Name))
	}
}

// panicError is a recovered panic; the runtime names it after the panic
// value's type, as aws-lambda-go does.
type panicError struct {
	value any
	stack string
}

func (p *panicError) Error() string { return fmt.Sprint(p.value) }

// errorDocument names an error as aws-lambda-go's runtime does: the error's
// Go type name (the element type for a pointer), or the document itself when
// the handler returned a messages.InvokeResponse_Error.
func errorDocument(err error) *ErrorDocument {
	var ive messages.InvokeResponse_Error
	if errors.As(err, &ive) {
		doc := &ErrorDocument{ErrorMessage: ive.Message, ErrorType: ive.Type}
		for _, f := range ive.StackTrace { // a process's panic, as the runtime posted it
			if f != nil {
				doc.StackTrace = append(doc.StackTrace, f.Label, fmt.Sprintf("%s:%d", f.Path, f.Line))
			}
		}
		return doc
	}
	if p, ok := err.(*panicError); ok {
		doc := &ErrorDocument{ErrorMessage: p.Error(), ErrorType: typeName(p.value)}
		for line := range strings.SplitSeq(strings.TrimSpace(p.stack), "\n") {
			doc.StackTrace = append(doc.StackTrace, strings.TrimSpace(line))
		}
		return doc
	}
	return &ErrorDocument{ErrorMessage: err.Error(), ErrorType: typeName(err)}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// Close waits for asynchronous invocations in flight, up to ctx's deadline.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("lambda: asynchronous invocations still running: %w", ctx.Err())
	}
}

// takeInit returns the build time of an instance on its first invocation,
// and 0 after.
func (fn *function) takeInit() time.Duration {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	d := fn.pendingInit
	fn.pendingInit = 0
	return d
}

// ended reports whether a panic ended inst (its environment is gone).
func (fn *function) ended(inst instance) bool {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	return fn.build != nil && (fn.handler == nil || fn.generation != inst.generation)
}

// takeEnvironment returns the log stream of an idle environment of
// version, or names a new one as Lambda does:
// YYYY/MM/DD/[version]<32 hex digits>, dated when it starts.
func (fn *function) takeEnvironment(version string, now time.Time) string {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if idle := fn.idle[version]; len(idle) > 0 {
		stream := idle[len(idle)-1]
		fn.idle[version] = idle[:len(idle)-1]
		return stream
	}
	return now.UTC().Format("2006/01/02") + "/[" + version + "]" + awsid.Hex(16)
}

func (fn *function) releaseEnvironment(version, stream string) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if fn.idle == nil {
		fn.idle = map[string][]string{}
	}
	fn.idle[version] = append(fn.idle[version], stream)
}
