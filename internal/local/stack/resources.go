package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/imgflow/imgflow/internal/local/awsid"
	"github.com/imgflow/imgflow/internal/local/lambda"
	"github.com/imgflow/imgflow/internal/local/lambda/runtimeapi"
	"github.com/imgflow/imgflow/internal/local/s3"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/internal/samtemplate"
	"github.com/imgflow/imgflow/layers/common/envconfig"
	"github.com/imgflow/imgflow/layers/common/lambdamain"
	"github.com/imgflow/imgflow/layers/common/logx"
)

// Resources is what the stack created from the template.
type Resources struct {
	Buckets       []string          `json:"buckets"`
	Topics        []string          `json:"topics"`
	Subscriptions []string          `json:"subscriptions"`
	Functions     []string          `json:"functions"`
	LogGroups     []string          `json:"logGroups"`
	Alarms        []string          `json:"alarms"`
	StateMachines []string          `json:"stateMachines"`
	Outputs       map[string]string `json:"outputs"`
	NotEmulated   []string          `json:"notEmulated"` // resource types the local stack has no counterpart for
}

// emulated are the resource types the stack creates; the others (IAM roles,
// KMS keys, bucket policies) have no local meaning and are listed.
var emulated = []string{"AWS::S3::Bucket", "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::Serverless::Function",
	"AWS::Serverless::LayerVersion", "AWS::Serverless::StateMachine", "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::CloudWatch::Alarm"}

func (st *Stack) createResources(ctx context.Context, builders Builders) error {
	t := st.Template
	res := &st.Resources
	for _, id := range t.ResourceIDs() {
		if typ := t.ResourceType(id); !slices.Contains(emulated, typ) {
			res.NotEmulated = append(res.NotEmulated, id+" ("+typ+")")
		}
	}
	if err := st.createBuckets(ctx); err != nil {
		return err
	}
	if err := st.createTopics(ctx); err != nil {
		return err
	}
	if err := st.createLogGroups(); err != nil {
		return err
	}
	if err := st.createAlarms(); err != nil {
		return err
	}
	opt, err := st.buildLayers(ctx)
	if err != nil {
		return err
	}
	if err := st.registerFunctions(ctx, builders, opt); err != nil {
		return err
	}
	if err := st.createStateMachines(ctx); err != nil {
		return err
	}
	if err := st.wireNotifications(ctx); err != nil {
		return err
	}
	res.Outputs = t.Outputs()
	return nil
}

// props returns a resource's resolved Properties.
func (st *Stack) props(id string) map[string]any {
	r, _ := st.Template.Resolved["Resources"].(map[string]any)
	res, _ := r[id].(map[string]any)
	p, _ := res["Properties"].(map[string]any)
	return p
}

func (st *Stack) createBuckets(ctx context.Context) error {
	for _, id := range st.Template.ResourceIDs("AWS::S3::Bucket") {
		name, err := st.Template.Ref(id)
		if err != nil {
			return fmt.Errorf("stack: bucket %s: %w", id, err)
		}
		if err := st.S3.CreateBucket(ctx, name); err != nil {
			return fmt.Errorf("stack: bucket %s: %w", id, err)
		}
		if v, _ := st.props(id)["VersioningConfiguration"].(map[string]any); v != nil && v["Status"] == "Enabled" {
			if err := st.S3.PutBucketVersioning(ctx, name, s3.VersioningEnabled); err != nil {
				return fmt.Errorf("stack: bucket %s versioning: %w", id, err)
			}
		}
		st.Resources.Buckets = append(st.Resources.Buckets, name)
	}
	return nil
}

// createLogGroups creates the template's log groups with their retention,
// before any function can write to them (as the template's comment says).
func (st *Stack) createLogGroups() error {
	for _, id := range st.Template.ResourceIDs("AWS::Logs::LogGroup") {
		p := st.props(id)
		name, _ := p["LogGroupName"].(string)
		if name == "" {
			var err error
			if name, err = st.Template.Ref(id); err != nil {
				return fmt.Errorf("stack: log group %s: %w", id, err)
			}
		}
		days, _ := number(p["RetentionInDays"]) // absent: never expire
		if err := st.Logs.CreateGroup(name, days); err != nil {
			return fmt.Errorf("stack: log group %s: %w", id, err)
		}
		st.Resources.LogGroups = append(st.Resources.LogGroups, name)
	}
	return nil
}

func (st *Stack) createTopics(ctx context.Context) error {
	for _, id := range st.Template.ResourceIDs("AWS::SNS::Topic") {
		arn, err := st.Template.Ref(id)
		if err != nil {
			return fmt.Errorf("stack: topic %s: %w", id, err)
		}
		got, err := st.SNS.CreateTopic(ctx, arn[strings.LastIndex(arn, ":")+1:])
		if err != nil {
			return fmt.Errorf("stack: topic %s: %w", id, err)
		}
		if got != arn {
			return fmt.Errorf("stack: topic %s is %s locally but the template resolves it to %s", id, got, arn)
		}
		st.Resources.Topics = append(st.Resources.Topics, arn)
	}
	// What the previous boot subscribed: a subscription the template no
	// longer declares (another --notification-email) is deleted, as a
	// CloudFormation update deletes a removed resource.
	previous := st.previousSubscriptions()
	for _, id := range st.Template.ResourceIDs("AWS::SNS::Subscription") {
		p := st.props(id)
		topic, _ := p["TopicArn"].(string)
		protocol, _ := p["Protocol"].(string)
		endpoint, _ := p["Endpoint"].(string)
		attrs := map[string]string{}
		if fp, ok := p["FilterPolicy"]; ok {
			b, _ := json.Marshal(fp)
			attrs["FilterPolicy"] = string(b)
		}
		if scope, ok := p["FilterPolicyScope"].(string); ok {
			attrs["FilterPolicyScope"] = scope
		}
		arn, err := st.SNS.Subscribe(ctx, topic, protocol, endpoint, attrs)
		if err != nil {
			return fmt.Errorf("stack: subscription %s: %w", id, err)
		}
		st.Resources.Subscriptions = append(st.Resources.Subscriptions, protocol+":"+endpoint+" "+arn)
		delete(previous, arn)
	}
	for arn := range previous {
		// Already gone (unsubscribed by hand) is what was wanted.
		if err := st.SNS.Unsubscribe(ctx, arn); err != nil {
			st.log.Info("subscription no longer declared, not removed", zap.String("arn", arn), zap.Error(err))
		}
	}
	return nil
}

// previousSubscriptions returns the ARNs of the subscriptions the last
// boot created from the template, read from its stack.json ("protocol:endpoint arn").
func (st *Stack) previousSubscriptions() map[string]bool {
	b, err := os.ReadFile(filepath.Join(st.cfg.DataDir, "stack.json"))
	if err != nil {
		return nil
	}
	var prev StackFile
	if json.Unmarshal(b, &prev) != nil {
		return nil
	}
	out := map[string]bool{}
	for _, s := range prev.Resources.Subscriptions {
		if i := strings.LastIndexByte(s, ' '); i >= 0 {
			out[s[i+1:]] = true
		}
	}
	return out
}

// buildLayers builds every layer into <data>/opt with the layer's own
// Makefile target, as `sam build` does, so functions find the layer's files
// where Lambda puts them. Environment values under /opt/ are pointed there.
func (st *Stack) buildLayers(ctx context.Context) (string, error) {
	opt, err := filepath.Abs(filepath.Join(st.cfg.DataDir, "opt"))
	if err != nil {
		return "", err
	}
	if err := os.RemoveAll(opt); err != nil {
		return "", fmt.Errorf("stack: %w", err)
	}
	if err := os.MkdirAll(opt, 0o755); err != nil {
		return "", fmt.Errorf("stack: %w", err)
	}
	for _, l := range st.Template.Layers() {
		if l.BuildMethod != "makefile" {
			return "", fmt.Errorf("stack: layer %s: BuildMethod %q: only makefile layers are built locally", l.LogicalID, l.BuildMethod)
		}
		before := treeSize(opt)
		cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "-C", l.ContentDir, "build-"+l.LogicalID, "ARTIFACTS_DIR="+opt)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("stack: build layer %s: %w\n%s", l.LogicalID, err, out)
		}
		st.layerSize[l.Arn] = treeSize(opt) - before
	}
	return opt, nil
}

// treeSize is the number of bytes in the regular files under dir: what a
// layer adds to /opt stands in for its CodeSize.
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func (st *Stack) registerFunctions(ctx context.Context, builders Builders, opt string) error {
	// What the in-process functions' AWS SDK uses instead of Lambda's
	// environment: this stack, signed with the functions' key.
	awsOpts := []func(*config.LoadOptions) error{
		config.WithRegion(st.cfg.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(st.fnKey.id, st.fnKey.secret, "")),
		config.WithBaseEndpoint(st.URL),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
	}
	for _, f := range st.Template.Functions() {
		fn, env, err := st.function(f, opt)
		if err != nil {
			return err
		}
		b, ok := builders[f.LogicalID]
		if !ok {
			return fmt.Errorf("stack: function %s: no builder for this logical ID", f.LogicalID)
		}
		if st.cfg.LambdaMode == ModeProcess {
			// The binary `make build-host` built; the stack does not build it.
			pkg := path.Clean(b.Package)
			if b.Package == "" || path.IsAbs(pkg) || strings.HasPrefix(pkg, "..") {
				return fmt.Errorf("stack: function %s: package %q: want a package under its CodeUri", f.LogicalID, b.Package)
			}
			bin, err := filepath.Abs(filepath.Join(st.cfg.BuildDir, "host", path.Base(pkg), "bootstrap"))
			if err != nil {
				return fmt.Errorf("stack: function %s: %w", f.LogicalID, err)
			}
			if err := runtimeapi.CheckBinary(ctx, bin, f.CodeDir, "./"+pkg); err != nil {
				return fmt.Errorf("stack: function %s: %w", f.LogicalID, err)
			}
			env["AWS_ACCESS_KEY_ID"] = st.fnKey.id
			env["AWS_SECRET_ACCESS_KEY"] = st.fnKey.secret
			if fi, err := os.Stat(bin); err == nil {
				fn.CodeSize = fi.Size()
			}
			pc := runtimeapi.NewDefaultConfig()
			pc.Name, pc.ARN, pc.Binary, pc.Handler, pc.Region = fn.Name, fn.ARN, bin, fn.Handler, st.cfg.Region
			pc.MemoryMB, pc.Environment, pc.Timeout = fn.MemoryMB, env, fn.Timeout
			pc.Log = st.Lambda.LogLine
			if pc.Concurrency = fn.ReservedConcurrency; pc.Concurrency <= 0 {
				pc.Concurrency = lambda.NewDefaultConfig().DefaultConcurrency
			}
			pool, err := runtimeapi.New(pc, st.root)
			if err != nil {
				return fmt.Errorf("stack: function %s: %w", f.LogicalID, err)
			}
			st.pools = append(st.pools, pool)
			if err := st.Lambda.Register(fn, pool, 0); err != nil { // init is measured per process, when one starts
				return fmt.Errorf("stack: %w", err)
			}
			st.Resources.Functions = append(st.Resources.Functions, fn.Name)
			continue
		}
		if b.Build == nil {
			return fmt.Errorf("stack: function %s: no in-process build", f.LogicalID)
		}
		build := b.Build
		// lambdamain.Init, as the function's main runs it on Lambda: its
		// LOG_LEVEL, logx's JSON and its name, into the stack's log (the
		// root logger, so no "component" of the stack's) and, for Invoke's
		// LogType=Tail, the invocation's log as a bootstrap's stdout is in
		// process mode. The service calls it again after a panic ends an
		// instance.
		sink := zapcore.NewTee(st.root.Core(), st.Lambda.LogCore(logx.NewEncoder(), zapcore.DebugLevel))
		opts := lambdamain.Options{Sink: sink, AWS: awsOpts}
		fnEnv := envconfig.Map(env)
		init := func(ctx context.Context) (lambda.Handler, error) {
			inst, err := lambdamain.Init(ctx, fnEnv, build, opts)
			if err != nil {
				return nil, err
			}
			return inst.Handler, nil
		}
		if err := st.Lambda.RegisterInit(ctx, fn, init); err != nil {
			return fmt.Errorf("stack: %w", err)
		}
		st.Resources.Functions = append(st.Resources.Functions, fn.Name)
	}
	return nil
}

// function reads a function's configuration from the template, and the
// environment its code runs with: the template's variables plus what Lambda
// and the local stack provide (region, endpoint), which the Lambda API does
// not show.
func (st *Stack) function(f samtemplate.Function, opt string) (lambda.Function, map[string]string, error) {
	p := f.Resolved
	fn := lambda.Function{
		Name: f.Name, LogicalID: f.LogicalID, ARN: f.Arn, Environment: map[string]string{},
		Timeout: 3 * time.Second, MemoryMB: 128, MaxRetryAttempts: 2, MaxEventAge: 6 * time.Hour,
		LastModified: st.started,
	}
	fn.Role, _ = p["Role"].(string)
	if fn.Role == "" { // the role SAM generates: <LogicalId>Role
		fn.Role = awsid.RoleARN(st.cfg.AccountID, st.cfg.StackName+"-"+f.LogicalID+"Role")
	}
	for _, arn := range f.Layers {
		fn.Layers = append(fn.Layers, lambda.Layer{ARN: arn, CodeSize: st.layerSize[arn]})
	}
	if alias, ok := p["AutoPublishAlias"].(string); ok && alias != "" {
		fn.Aliases = map[string]string{alias: "1"} // one deployment: version 1
	}
	// Where Lambda writes its logs: LoggingConfig.LogGroup, else
	// /aws/lambda/<name> (the lambda service's default).
	if lc, ok := p["LoggingConfig"].(map[string]any); ok {
		fn.LogGroup, _ = lc["LogGroup"].(string)
	}
	fn.Runtime, _ = p["Runtime"].(string)
	fn.Handler, _ = p["Handler"].(string)
	if v, ok := number(p["Timeout"]); ok {
		fn.Timeout = time.Duration(v) * time.Second
	}
	if v, ok := number(p["MemorySize"]); ok {
		fn.MemoryMB = v
	}
	if v, ok := number(p["ReservedConcurrentExecutions"]); ok {
		fn.ReservedConcurrency = v
	}
	if eic, ok := p["EventInvokeConfig"].(map[string]any); ok {
		if v, ok := number(eic["MaximumRetryAttempts"]); ok {
			fn.MaxRetryAttempts = v
		}
		if v, ok := number(eic["MaximumEventAgeInSeconds"]); ok {
			fn.MaxEventAge = time.Duration(v) * time.Second
		}
		if d, ok := eic["DestinationConfig"].(map[string]any); ok {
			if of, ok := d["OnFailure"].(map[string]any); ok {
				fn.OnFailure, _ = of["Destination"].(string)
			}
		}
	}
	for k, v := range f.Environment {
		if rest, ok := strings.CutPrefix(v, "/opt/"); ok {
			v = filepath.Join(opt, filepath.FromSlash(rest))
		}
		fn.Environment[k] = v
	}
	env := maps.Clone(fn.Environment)
	// What Lambda's environment provides and the SDK reads, pointed here.
	env["AWS_REGION"] = st.cfg.Region
	env["AWS_DEFAULT_REGION"] = st.cfg.Region
	env["AWS_LAMBDA_FUNCTION_NAME"] = f.Name
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(fn.MemoryMB)
	env["AWS_ENDPOINT_URL"] = st.URL
	env["AWS_S3_USE_PATH_STYLE"] = "true"
	return fn, env, nil
}

// number reads an integer property that YAML or JSON may have given as a
// number or a string (a !Ref of a Number parameter resolves to a string).
func number(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		return int(n), true
	case int:
		return n, true
	case int64:
		return int(n), true
	case uint64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

func (st *Stack) createStateMachines(ctx context.Context) error {
	for _, sm := range st.Template.StateMachines() {
		def, err := sm.Definition()
		if err != nil {
			return fmt.Errorf("stack: state machine %s: %w", sm.LogicalID, err)
		}
		role, _ := sm.Resolved["Role"].(string)
		if role == "" {
			role = awsid.RoleARN(st.cfg.AccountID, st.cfg.StackName+"-"+sm.LogicalID+"-role")
		}
		arn, err := st.SFN.CreateStateMachine(ctx, sm.Name, string(def), role, sm.Type)
		var apiErr *sfnapi.APIError
		if errors.As(err, &apiErr) && apiErr.Code == "StateMachineAlreadyExists" {
			arn, err = st.redeployStateMachine(ctx, sm.Arn, sm.Name, string(def), role, sm.Type)
			if err != nil {
				return fmt.Errorf("stack: state machine %s: %w", sm.LogicalID, err)
			}
		} else if err != nil {
			return fmt.Errorf("stack: state machine %s: %w", sm.LogicalID, err)
		}
		if arn != sm.Arn {
			return fmt.Errorf("stack: state machine %s is %s locally but the template resolves it to %s", sm.LogicalID, arn, sm.Arn)
		}
		st.Resources.StateMachines = append(st.Resources.StateMachines, arn)
	}
	return nil
}

// redeployStateMachine brings an existing state machine to the template on
// a restart: an edited definition or role is updated in place, as a
// redeploy would; another type (WorkflowType=EXPRESS after STANDARD) cannot
// be updated, so the machine is replaced (deleted and created again). Its
// past executions stay readable and running ones finish, as
// DeleteStateMachine keeps them.
func (st *Stack) redeployStateMachine(ctx context.Context, arn, name, def, role, typ string) (string, error) {
	cur, err := st.SFN.DescribeStateMachine(ctx, arn)
	if err != nil {
		return "", err
	}
	if typ == "" {
		typ = sfnapi.TypeStandard
	}
	if cur.Type == typ {
		if _, err := st.SFN.UpdateStateMachine(ctx, arn, aws.String(def), aws.String(role)); err != nil {
			return "", fmt.Errorf("update: %w", err)
		}
		return arn, nil
	}
	st.log.Info("state machine type changed: replacing it", zap.String("arn", arn), zap.String("from", cur.Type), zap.String("to", typ))
	if err := st.SFN.DeleteStateMachine(ctx, arn); err != nil {
		return "", fmt.Errorf("replace (type %s to %s): %w", cur.Type, typ, err)
	}
	return st.SFN.CreateStateMachine(ctx, name, def, role, typ)
}

// wireNotifications configures each bucket's notifications from the
// functions' S3 events, as SAM turns them into the bucket's
// NotificationConfiguration.
func (st *Stack) wireNotifications(ctx context.Context) error {
	byBucket := map[string][]s3.LambdaConfiguration{}
	for _, f := range st.Template.Functions() {
		for _, ev := range f.S3Events {
			byBucket[ev.Bucket] = append(byBucket[ev.Bucket], s3.LambdaConfiguration{
				ID: f.LogicalID + ev.Name, FunctionARN: f.Arn, Events: ev.Events, Prefix: ev.Prefix, Suffix: ev.Suffix,
			})
		}
	}
	for bucket, cfgs := range byBucket {
		if err := st.S3.SetNotification(ctx, bucket, cfgs); err != nil {
			return fmt.Errorf("stack: notification on %s: %w", bucket, err)
		}
	}
	return nil
}

// StackFile is <data>/stack.json: what `imgflow upload` and other clients
// read to find the running stack.
type StackFile struct {
	Endpoint  string            `json:"endpoint"`
	Region    string            `json:"region"`
	StackName string            `json:"stackName"`
	Resources Resources         `json:"resources"`
	Params    map[string]string `json:"parameters"`
	// Auth says which access keys the endpoint accepts (never the keys).
	Auth string `json:"auth"`
}

// What StackFile.Auth says.
const (
	AuthKeyIDIsSecret = "key-id-is-secret" // any key whose secret is the key ID
	AuthConfigured    = "configured"       // only the keys given to --credentials
)

func (st *Stack) writeStackFile() error {
	// Every declared parameter as the template resolved it (override,
	// --notification-email or Default): what Ref yields in the functions'
	// environment, so `imgflow upload` reads the same UploadPrefix.
	declared, _ := st.Template.Raw["Parameters"].(map[string]any)
	params := map[string]string{}
	for name := range declared {
		v, err := st.Template.Ref(name)
		if err != nil {
			return fmt.Errorf("stack: parameter %s: %w", name, err)
		}
		params[name] = v
	}
	auth := AuthKeyIDIsSecret
	if len(st.cfg.Credentials) > 0 {
		auth = AuthConfigured
	}
	b, err := json.MarshalIndent(StackFile{Endpoint: st.URL, Region: st.cfg.Region, StackName: st.cfg.StackName, Resources: st.Resources,
		Params: params, Auth: auth}, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(st.cfg.DataDir, "stack.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	return os.Rename(tmp, filepath.Join(st.cfg.DataDir, "stack.json"))
}
