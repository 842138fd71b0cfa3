// Package console is the local stack's web console: executions (live),
// execution detail with the state machine graph, uploads, notifications and
// the state machine with its functions. It is server-rendered html/template
// plus plain JS/CSS from embed.FS: no front-end build, no CDN.
//
// The console is a client of the stack like any other: it talks to Step
// Functions and SNS through their exported Go APIs (which mirror the AWS
// APIs one to one), to S3 through aws-sdk-go-v2 pointed at the endpoint,
// and reads only what those APIs do not give (Lambda statistics, the
// mailbox, live events) through read-only console endpoints.
//
// It shows every state machine and does not know what any of them does:
// what an execution's input and output mean (the uploaded object, the
// images made from it, the manifest) comes from the Workload that the
// composition root injects.
package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/internal/local/console/workload"
	"github.com/imgflow/imgflow/internal/local/httpguard"
	"github.com/imgflow/imgflow/internal/local/lambda"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/local/sns"
	"github.com/imgflow/imgflow/internal/local/stack"
)

// Config configures the console.
type Config struct {
	Listen   string // address; port 0 picks a free one
	Endpoint string // the stack's AWS endpoint (shown, and used by the S3 client)
	DataDir  string // shown in the status bar
	Region   string
	// StateMachines are listed first, in this order (the first is the
	// default); every other state machine follows, as ListStateMachines
	// returns them.
	StateMachines  []string
	Buckets        []string // readable through /objects
	MailUI         string   // URL of the SMTP server's web UI, "" for none
	MaxUploadBytes int64    // one uploaded file
	MaxBodyBytes   int64    // any other request body
	PageSize       int      // executions per page
	// AllowHosts are Host names the console answers besides loopback ones
	// and its own address (--allow-host); any other Host is refused
	// (DNS rebinding).
	AllowHosts []string
}

// NewDefaultConfig returns the defaults; the stack fields are filled by
// ConfigForStack.
func NewDefaultConfig() *Config {
	return &Config{Listen: "127.0.0.1:8080", Region: "us-east-1", MaxUploadBytes: 100 << 20, MaxBodyBytes: 64 << 10, PageSize: 50}
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("console: Listen is required"))
	}
	if c.MaxUploadBytes <= 0 || c.MaxBodyBytes <= 0 || c.PageSize <= 0 {
		errs = append(errs, errors.New("console: MaxUploadBytes, MaxBodyBytes and PageSize must be positive"))
	}
	return errors.Join(errs...)
}

// ConfigForStack fills cfg from a running stack: endpoint, buckets and
// state machines.
func ConfigForStack(cfg *Config, st *stack.Stack, dataDir string) {
	cfg.Endpoint, cfg.DataDir = st.URL, dataDir
	cfg.StateMachines = st.Resources.StateMachines
	cfg.Buckets = st.Resources.Buckets
	if len(cfg.StateMachines) > 0 {
		if a, ok := arn.Parse(cfg.StateMachines[0]); ok {
			cfg.Region = a.Region
		}
	}
}

// StepFunctions is the Step Functions API the console uses
// (*sfnapi.Service; each method mirrors the AWS operation of that name).
type StepFunctions interface {
	ListStateMachines(ctx context.Context) ([]sfnapi.StateMachine, error)
	DescribeStateMachine(ctx context.Context, arn string) (*sfnapi.StateMachine, error)
	DescribeStateMachineForExecution(ctx context.Context, execARN string) (*sfnapi.StateMachine, error)
	ListExecutions(ctx context.Context, smARN, statusFilter string, maxResults int, token string) ([]sfnapi.Execution, string, error)
	DescribeExecution(ctx context.Context, arn string) (*sfnapi.Execution, error)
	ExecutionHistory(ctx context.Context, arn string, reverse bool, maxResults int, token string) ([]sfnapi.HistoryEvent, string, error)
	StartExecution(ctx context.Context, smARN, name, input string) (string, time.Time, error)
	StopExecution(ctx context.Context, arn, errName, cause string) (*sfnapi.Execution, error)
	RedriveExecution(ctx context.Context, arn string) (time.Time, error)
	Subscribe(fn func(sfnapi.ExecutionEvent)) (unsubscribe func())
	DescribeMapRun(ctx context.Context, arn string) (*sfnapi.MapRun, error)
	ListMapRuns(ctx context.Context, execARN string) ([]sfnapi.MapRun, error)
	ListMapRunExecutions(ctx context.Context, mapRunARN, statusFilter string, maxResults int, token string) ([]sfnapi.Execution, string, error)
}

// Notifications is the SNS API the console reads (*sns.Service).
type Notifications interface {
	Topics(ctx context.Context) ([]sns.Topic, error)
	Subscriptions(ctx context.Context) ([]sns.Subscription, error)
	Deliveries(ctx context.Context) ([]sns.Delivery, error)
}

// FunctionStats gives the Lambda statistics no AWS API returns locally
// (*lambda.Service).
type FunctionStats interface {
	Stats() []lambda.Stats
}

// Workload tells the console what executions work on and produce; the
// composition root provides it (cmd/imgflow wires internal/pipelineview,
// the image pipeline's). Each method answers for any execution of any
// state machine, with nothing (false, zero values) when it does not know
// it.
type Workload interface {
	// Source is the object an execution processes, read from its input.
	Source(x workload.Execution) (workload.Object, bool)
	// Thumbnail is a small image a succeeded execution produced, read from
	// its output alone: the executions list shows one per row.
	Thumbnail(x workload.Execution) (workload.Object, bool)
	// Outputs are what a succeeded execution produced. read fetches a
	// document it names (a manifest); on a failed read the error comes
	// with what could be told without it.
	Outputs(ctx context.Context, x workload.Execution, read workload.ReadFunc) (workload.Outputs, error)
	// Failure explains a failed execution and says whether a redrive can
	// pass.
	Failure(x workload.Execution) workload.Failure
	// Uploads is where the upload page puts files (zero: no upload page).
	Uploads() workload.Uploads
}

// noWorkload knows nothing: the console shows executions as Step Functions
// does.
type noWorkload struct{}

func (noWorkload) Source(workload.Execution) (workload.Object, bool) { return workload.Object{}, false }
func (noWorkload) Thumbnail(workload.Execution) (workload.Object, bool) {
	return workload.Object{}, false
}
func (noWorkload) Outputs(context.Context, workload.Execution, workload.ReadFunc) (workload.Outputs, error) {
	return workload.Outputs{}, nil
}
func (noWorkload) Failure(workload.Execution) workload.Failure { return workload.Failure{} }
func (noWorkload) Uploads() workload.Uploads                   { return workload.Uploads{} }

// Deps are the console's clients.
type Deps struct {
	SFN      StepFunctions
	SNS      Notifications
	Lambda   FunctionStats
	S3       *s3.Client // pointed at the stack's endpoint, path style
	Workload Workload   // nil: none (executions shown as Step Functions has them)
	Metrics  Metrics    // nil: the function page has no charts
	Now      func() time.Time
	Log      *zap.Logger
}

// handler holds the dependencies; each page is a method in its own file.
type handler struct {
	cfg     Config
	sfn     StepFunctions
	sns     Notifications
	lambda  FunctionStats
	s3      *s3.Client
	work    Workload
	metrics Metrics
	now     func() time.Time
	log     *zap.Logger
	views   *views
	hub     *hub
	counts  *statusCounts
	hosts   *httpguard.Hosts
}

// Console is the console's http.Handler plus what it runs in the
// background (the live-event hub).
type Console struct {
	h       *handler
	handler http.Handler
	unsub   func()

	URL string // set by Start
	ln  net.Listener
	srv *http.Server
	wg  sync.WaitGroup
}

// New builds the console.
func New(cfg *Config, deps Deps) (*Console, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.SFN == nil || deps.SNS == nil || deps.Lambda == nil || deps.S3 == nil {
		return nil, errors.New("console: SFN, SNS, Lambda and S3 are required")
	}
	if deps.Log == nil {
		deps.Log = zap.NewNop()
	}
	if deps.Workload == nil {
		deps.Workload = noWorkload{}
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	v, err := parseViews()
	if err != nil {
		return nil, err
	}
	hosts, err := httpguard.NewHosts(cfg.Listen, cfg.AllowHosts)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	h := &handler{cfg: *cfg, sfn: deps.SFN, sns: deps.SNS, lambda: deps.Lambda, s3: deps.S3, work: deps.Workload, metrics: deps.Metrics, now: deps.Now,
		log: deps.Log.With(zap.String("component", "console")), views: v, hub: newHub(), hosts: hosts}
	h.counts = newStatusCounts(h)
	c := &Console{h: h}
	c.unsub = deps.SFN.Subscribe(func(ev sfnapi.ExecutionEvent) {
		if ev.EventType == "" || strings.HasPrefix(ev.EventType, "Execution") {
			h.counts.invalidate()
		}
		h.hub.publish(ev)
	})
	mux := http.NewServeMux()
	h.routes(mux)
	c.handler = h.middleware(mux)
	return c, nil
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

// routes registers every route; tests reuse it through New.
func (h *handler) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.executionsPage)
	mux.HandleFunc("GET /executions", h.executionsPage)
	mux.HandleFunc("GET /executions/{sm}/{name}", h.executionPage)
	mux.HandleFunc("POST /executions/{sm}/{name}/stop", h.stopExecution)
	mux.HandleFunc("POST /executions/{sm}/{name}/redrive", h.redriveExecution)
	mux.HandleFunc("POST /executions/{sm}/{name}/rerun", h.rerunExecution)
	mux.HandleFunc("GET /upload", h.uploadPage)
	mux.HandleFunc("PUT /upload", h.uploadObject)
	mux.HandleFunc("GET /upload/status", h.uploadStatus)
	mux.HandleFunc("GET /notifications", h.notificationsPage)
	mux.HandleFunc("GET /state-machine", h.stateMachinePage)
	mux.HandleFunc("GET /map-run", h.mapRunPage)
	mux.HandleFunc("GET /functions/{name}", h.functionPage)
	// Read-only console endpoints.
	mux.HandleFunc("GET /objects/{bucket}/{key...}", h.object)
	mux.HandleFunc("GET /api/events", h.events)
	mux.HandleFunc("GET /api/execution", h.executionStatus)
	mux.HandleFunc("GET /static/{sum}/{file}", h.static)
	mux.HandleFunc("GET /favicon.ico", h.favicon)
}

// Start builds the console for a running stack and its workload (nil for
// none), listens on cfg.Listen and serves until Close.
func Start(ctx context.Context, cfg *Config, st *stack.Stack, work Workload, log *zap.Logger) (*Console, error) {
	awsCfg := aws.Config{Region: cfg.Region, Credentials: credentials.NewStaticCredentialsProvider("imgflow-console", "imgflow-console", ""),
		BaseEndpoint: aws.String(st.URL)}
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	var m Metrics
	if st.Metrics != nil {
		m = st.Metrics
	}
	c, err := New(cfg, Deps{SFN: st.SFN, SNS: st.SNS, Lambda: st.Lambda, S3: s3c, Workload: work, Metrics: m, Log: log})
	if err != nil {
		return nil, err
	}
	c.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		c.unsub()
		return nil, fmt.Errorf("console: listen on %s: %w", cfg.Listen, err)
	}
	c.URL = "http://" + c.ln.Addr().String()
	// No WriteTimeout: /api/events is a long-lived stream. Slow uploads
	// are cut by the body rate, not by a whole-request ReadTimeout.
	c.srv, err = httpguard.NewServer(httpguard.NewDefaultConfig(), c, zap.NewStdLog(c.h.log))
	if err != nil {
		c.unsub()
		c.ln.Close()
		return nil, fmt.Errorf("console: %w", err)
	}
	c.srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.srv.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.h.log.Error("console server failed", zap.Error(err))
		}
	}()
	return c, nil
}

// Close ends live streams, stops the server (if started) and unsubscribes.
func (c *Console) Close(ctx context.Context) error {
	c.h.hub.close()
	var err error
	if c.srv != nil {
		err = c.srv.Shutdown(ctx)
		c.wg.Wait()
	}
	c.unsub()
	return err
}
