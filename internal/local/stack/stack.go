// Package stack boots the local stack from template.yaml and the state
// machine definition: one endpoint serving S3, Step Functions, SNS and
// Lambda, with the template's buckets, topic, subscriptions, functions,
// state machine and bucket notifications created as CloudFormation would.
// Nothing here knows what the pipeline does; everything comes from the
// template.
package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"github.com/imgflow/imgflow/internal/local/endpoint"
	"github.com/imgflow/imgflow/internal/local/httpguard"
	"github.com/imgflow/imgflow/internal/local/lambda"
	"github.com/imgflow/imgflow/internal/local/lambda/runtimeapi"
	"github.com/imgflow/imgflow/internal/local/logs"
	"github.com/imgflow/imgflow/internal/local/metrics"
	"github.com/imgflow/imgflow/internal/local/s3"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/local/sigv4"
	"github.com/imgflow/imgflow/internal/local/sns"
	"github.com/imgflow/imgflow/internal/samtemplate"
	"github.com/imgflow/imgflow/internal/sfn"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
)

// Lambda modes.
const (
	ModeInProcess = "inprocess"
	ModeProcess   = "process"
)

// LocalMailbox is the address `imgflow local` subscribes when no
// NotificationEmail is given. Its subscription is created confirmed (no
// one would open a confirmation link for it) and, without an SMTP server,
// its mail is kept in <DataDir>/sns/mailbox like all mail. The .localhost
// domain never routes anywhere (RFC 6761).
const LocalMailbox = "inbox@imgflow.localhost"

// Config configures the stack.
type Config struct {
	Template   string   // template.yaml
	DataDir    string   // everything persistent lives here
	Listen     string   // the endpoint's address; port 0 picks a free one
	AllowHosts []string // Host names answered besides loopback ones (--allow-host)
	// Credentials are the access keys the endpoint accepts (--credentials);
	// every signature is verified with their secrets. Empty: any access key
	// whose secret is the key ID itself (signatures still verified).
	Credentials       sigv4.StaticCredentials
	SMTPAddr          string            // SNS email goes here; "" writes to the mailbox in DataDir
	NotificationEmail string            // sets the template's NotificationEmail parameter
	AutoConfirm       bool              // confirm subscriptions without the confirmation email
	LambdaMode        string            // inprocess or process
	BuildDir          string            // process mode: <BuildDir>/<step>/bootstrap
	Parameters        map[string]string // template parameter overrides
	StackName         string
	Region            string
	AccountID         string
	// DrainTimeout bounds how long Close waits for running executions.
	DrainTimeout time.Duration
	// Clock is the one time source of S3, SNS, Lambda and Step Functions
	// (timestamps, backoff, Wait states, timeouts). Nil: sfn.RealClock.
	Clock sfn.Clock
	// AlarmInterval is how often the queues' depths are reported and the
	// alarms evaluated (CloudWatch: every minute); 0 turns the loop off
	// (tests call MonitorOnce).
	AlarmInterval time.Duration
}

// NewDefaultConfig returns the defaults of `imgflow local`.
func NewDefaultConfig() *Config {
	return &Config{
		Template: "template.yaml", DataDir: ".imgflow", Listen: "127.0.0.1:4566",
		LambdaMode: ModeInProcess, BuildDir: "build", StackName: "imgflow",
		Region: "us-east-1", AccountID: "000000000000", DrainTimeout: 30 * time.Second,
		Clock: sfn.RealClock{}, AlarmInterval: 5 * time.Second,
	}
}

// accessKey is an access key ID and its secret.
type accessKey struct{ id, secret string }

// functionKey is the access key the functions (in process or as processes)
// sign with. Without configured credentials it is the conventional local
// pair; with them, a random secret no client knows, so configuring
// credentials does not lock the pipeline out of its own stack.
func functionKey(configured sigv4.StaticCredentials) accessKey {
	if len(configured) == 0 {
		return accessKey{"imgflow-local", "imgflow-local"}
	}
	return accessKey{"imgflow-local-functions", awsid.Hex(24)}
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Template == "" || c.DataDir == "" || c.Listen == "" {
		errs = append(errs, errors.New("stack: Template, DataDir and Listen are required"))
	}
	if c.LambdaMode != ModeInProcess && c.LambdaMode != ModeProcess {
		errs = append(errs, fmt.Errorf("stack: lambda mode %q: want %s or %s", c.LambdaMode, ModeInProcess, ModeProcess))
	}
	if c.StackName == "" || c.Region == "" || c.AccountID == "" {
		errs = append(errs, errors.New("stack: StackName, Region and AccountID are required"))
	}
	return errors.Join(errs...)
}

// Builders maps each function's logical ID in the template
// ("TriggerFunction") to how the stack runs it; renaming a resource means
// renaming its key, never a naming rule.
type Builders map[string]Builder

// Builder is how the stack runs one function.
type Builder struct {
	// Build is what the function's main passes to lambdamain.Run: what
	// in-process mode runs.
	Build lambdamain.Build
	// Package is the Go package its bootstrap is built from, relative to
	// its CodeUri ("functions/trigger"); process mode runs
	// <BuildDir>/host/<Package's last element>/bootstrap, as `make
	// build-host` builds it. The template's CodeUri (the module root)
	// does not name the package, so this mapping does, as the Makefile's
	// build-<LogicalId> targets do for sam build.
	Package string
}

// Stack is a running local stack.
type Stack struct {
	cfg Config
	// root is the logger as Start got it: each service and function adds
	// its own "component" or "function" to it; log is the stack's own.
	root     *zap.Logger
	log      *zap.Logger
	Template *samtemplate.Template
	URL      string // the endpoint, e.g. http://127.0.0.1:4566

	S3     *s3.Service
	SNS    *sns.Service
	SFN    *sfnapi.Service
	Lambda *lambda.Service
	Logs   *logs.Store
	// Metrics holds the CloudWatch metrics the stack reports; Alarms the
	// template's alarms over them.
	Metrics *metrics.Store
	Alarms  *metrics.Alarms
	queues  []queueFile // the template's SQS queues (files), for their depth

	Resources Resources // what the template created

	pools []*runtimeapi.Pool // process mode: each function's processes

	fnKey     accessKey        // what the functions sign their calls with
	started   time.Time        // the functions' LastModified: this deployment
	layerSize map[string]int64 // bytes each layer put in /opt, by layer ARN

	ln       net.Listener
	srv      *http.Server
	serveErr chan error

	unsubMetrics func()
	stopMonitor  context.CancelFunc
	monitorWG    sync.WaitGroup
}

// Start boots the stack. On error everything started so far is closed.
func Start(ctx context.Context, cfg *Config, builders Builders, log *zap.Logger) (_ *Stack, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("stack: data dir: %w", err)
	}
	st := &Stack{cfg: *cfg, root: log, log: log.With(zap.String("component", "stack")), serveErr: make(chan error, 1),
		layerSize: map[string]int64{}, fnKey: functionKey(cfg.Credentials)}
	if st.cfg.Clock == nil {
		st.cfg.Clock = sfn.RealClock{}
	}
	st.started = st.cfg.Clock.Now()
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = st.Close(cctx)
		}
	}()

	params := map[string]string{}
	for k, v := range cfg.Parameters {
		params[k] = v
	}
	if cfg.NotificationEmail != "" {
		params["NotificationEmail"] = cfg.NotificationEmail
	}
	if _, err := os.Stat(cfg.Template); err != nil {
		return nil, fmt.Errorf("stack: %w (run from the repository root, or pass --template PATH)", err)
	}
	st.Template, err = samtemplate.LoadWithOptions(cfg.Template, samtemplate.Options{
		Parameters: params, AccountID: cfg.AccountID, Region: cfg.Region, StackName: cfg.StackName,
	})
	if err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}

	st.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("stack: listen on %s: %w", cfg.Listen, err)
	}
	st.URL = "http://" + st.ln.Addr().String()

	if err := st.startServices(); err != nil {
		return nil, err
	}
	st.unsubMetrics = st.SFN.Subscribe(st.executionMetrics)
	if err := st.serve(); err != nil {
		return nil, err
	}
	if err := st.createResources(ctx, builders); err != nil {
		return nil, err
	}
	// Executions a previous run left running continue once the functions
	// they call exist.
	if _, err := st.SFN.Resume(ctx); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	if err := st.writeStackFile(); err != nil {
		return nil, err
	}
	if st.cfg.AlarmInterval > 0 {
		mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		st.stopMonitor = cancel
		st.monitorWG.Add(1)
		go st.monitor(mctx, &st.monitorWG)
	}
	return st, nil
}

func (st *Stack) startServices() error {
	cfg := st.cfg
	var err error
	snsCfg := sns.NewDefaultConfig()
	snsCfg.DataDir = filepath.Join(cfg.DataDir, "sns")
	snsCfg.Region, snsCfg.AccountID = cfg.Region, cfg.AccountID
	snsCfg.Endpoint = st.URL
	snsCfg.SMTPAddr = cfg.SMTPAddr
	snsCfg.AutoConfirm = cfg.AutoConfirm
	snsCfg.ConfirmedEndpoints = []string{LocalMailbox}
	if st.SNS, err = sns.New(snsCfg, sns.Deps{Log: st.root, Clock: cfg.Clock}); err != nil {
		return fmt.Errorf("stack: %w", err)
	}

	mcfg := metrics.NewDefaultConfig()
	mcfg.DataDir = filepath.Join(cfg.DataDir, "metrics")
	mcfg.Region, mcfg.AccountID, mcfg.Now = cfg.Region, cfg.AccountID, cfg.Clock.Now
	if st.Metrics, err = metrics.New(mcfg, st.root); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	st.Alarms = metrics.NewAlarms(st.Metrics, alarmSNS{st.SNS})

	logsCfg := logs.NewDefaultConfig()
	logsCfg.DataDir = filepath.Join(cfg.DataDir, "logs")
	logsCfg.Region, logsCfg.AccountID, logsCfg.Now = cfg.Region, cfg.AccountID, cfg.Clock.Now
	if st.Logs, err = logs.New(logsCfg, st.root); err != nil {
		return fmt.Errorf("stack: %w", err)
	}

	lcfg := lambda.NewDefaultConfig()
	lcfg.Region, lcfg.AccountID = cfg.Region, cfg.AccountID
	lcfg.Now, lcfg.Sleep = cfg.Clock.Now, cfg.Clock.Sleep
	lcfg.Logs = st.Logs
	lcfg.Observer = lambdaMetrics{st.Metrics}
	dest := &destinations{sns: st.SNS, dir: filepath.Join(cfg.DataDir, "sqs")}
	if st.Lambda, err = lambda.New(lcfg, dest, st.root); err != nil {
		return fmt.Errorf("stack: %w", err)
	}

	s3cfg := s3.NewDefaultConfig()
	s3cfg.DataDir = cfg.DataDir
	s3cfg.Region, s3cfg.AccountID = cfg.Region, cfg.AccountID
	if st.S3, err = s3.New(s3cfg, s3Notifier{st.Lambda}, st.root, s3Clock{cfg.Clock}); err != nil {
		return fmt.Errorf("stack: %w", err)
	}

	sfnCfg := sfnapi.NewDefaultConfig()
	sfnCfg.DataDir = filepath.Join(cfg.DataDir, "sfn")
	sfnCfg.Region, sfnCfg.AccountID = cfg.Region, cfg.AccountID
	engCfg := sfn.NewDefaultConfig()
	engCfg.Lambda = sfnLambda{st.Lambda}
	engCfg.SNS = sfnSNS{st.SNS}
	engCfg.Integrations = sfnS3Integrations(st.S3)
	engCfg.Clock, engCfg.NewUUID = cfg.Clock, awsid.UUID
	if st.SFN, err = sfnapi.New(sfnCfg, engCfg, st.root); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return nil
}

func (st *Stack) serve() error {
	lambdaMux := http.NewServeMux()
	st.Lambda.Routes(lambdaMux)
	mux := endpoint.New(st.S3, map[string]http.Handler{
		endpoint.ServiceStates: st.SFN,
		endpoint.ServiceSNS:    st.SNS,
		endpoint.ServiceLambda: lambdaMux,
		endpoint.ServiceLogs:   logs.NewAPI(st.Logs),
		endpoint.ServiceCW:     metrics.NewAPI(st.Metrics, st.Alarms),
	})
	gcfg := endpoint.NewDefaultGuardConfig(st.cfg.Listen)
	gcfg.AllowHosts = st.cfg.AllowHosts
	if len(st.cfg.Credentials) > 0 {
		keys := maps.Clone(st.cfg.Credentials)
		keys[st.fnKey.id] = st.fnKey.secret
		gcfg.Credentials = keys
	}
	h, err := endpoint.NewGuard(gcfg, mux)
	if err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	st.srv, err = httpguard.NewServer(httpguard.NewDefaultConfig(), h, zap.NewStdLog(st.root.With(zap.String("component", "http"))))
	if err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	go func() {
		if err := st.srv.Serve(st.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			st.serveErr <- err
		}
		close(st.serveErr)
	}()
	return nil
}

// Err reports a failure of the endpoint's server; it is closed when the
// server stops.
func (st *Stack) Err() <-chan error { return st.serveErr }

// Close drains running executions (up to DrainTimeout or ctx), then stops
// the endpoint and every service. The endpoint stays up while draining,
// because the functions finishing those executions talk to it. Executions
// still running after the drain are left running: the next Start resumes
// them.
func (st *Stack) Close(ctx context.Context) error {
	var errs []error
	if st.stopMonitor != nil {
		st.stopMonitor()
		st.monitorWG.Wait()
	}
	if st.SFN != nil {
		dctx, cancel := context.WithTimeout(ctx, st.cfg.DrainTimeout)
		errs = append(errs, st.SFN.Close(dctx))
		cancel()
	}
	if st.srv != nil {
		errs = append(errs, st.srv.Shutdown(ctx))
	} else if st.ln != nil {
		errs = append(errs, st.ln.Close())
	}
	if st.S3 != nil {
		errs = append(errs, st.S3.Close(ctx))
	}
	if st.Lambda != nil {
		errs = append(errs, st.Lambda.Close(ctx))
	}
	for _, p := range st.pools {
		errs = append(errs, p.Close(ctx))
	}
	if st.SNS != nil {
		errs = append(errs, st.SNS.Close(ctx))
	}
	if st.unsubMetrics != nil {
		st.unsubMetrics()
	}
	if st.Logs != nil {
		errs = append(errs, st.Logs.Close())
	}
	if st.Metrics != nil {
		errs = append(errs, st.Metrics.Close())
	}
	return errors.Join(errs...)
}
