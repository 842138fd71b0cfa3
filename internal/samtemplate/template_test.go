package samtemplate

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/layers/common/presets"
)

// The project's own template, checked against the contract the handlers are written to.
const templatePath = "../../template.yaml"

func loadProject(t *testing.T, opts Options) *Template {
	t.Helper()
	tm, err := LoadWithOptions(templatePath, opts)
	if err != nil {
		t.Fatalf("load template: %v", err)
	}
	return tm
}

func TestFunctions(t *testing.T) {
	tm := loadProject(t, Options{})
	layerArn, err := tm.Ref("CommonLayer")
	if err != nil {
		t.Fatalf("Ref CommonLayer: %v", err)
	}
	root, _ := filepath.Abs("../..")
	common := map[string]string{
		"LOG_LEVEL":            "info",
		"IMGFLOW_PRESETS_FILE": "/opt/imgflow/presets.json",
	}
	tests := []struct {
		name      string
		id        string
		minMemory int
		maxMemory int
		env       map[string]string // "" means: must be set, any value
	}{
		{name: "trigger", id: "TriggerFunction", minMemory: 128, maxMemory: 256,
			env: map[string]string{"STATE_MACHINE_ARN": "", "UPLOAD_PREFIX": "uploads/", "OUTPUT_BUCKET": "", "OUTPUT_PREFIX": "variants"}},
		{name: "validate", id: "ValidateFunction", minMemory: 256, maxMemory: 512,
			env: map[string]string{"MAX_PIXELS": "100000000", "MAX_SIDE": "30000", "MAX_BYTES": "104857600", "OUTPUT_BUCKET": "", "OUTPUT_PREFIX": "variants"}},
		{name: "resize", id: "ResizeFunction", minMemory: 1024, maxMemory: 10240,
			env: map[string]string{"OUTPUT_BUCKET": "", "MAX_PIXELS": "100000000", "MAX_SIDE": "30000", "CACHE_CONTROL": "public, max-age=31536000, immutable"}},
		{name: "store", id: "StoreFunction", minMemory: 128, maxMemory: 512,
			env: map[string]string{"OUTPUT_BUCKET": "", "CACHE_CONTROL": "public, max-age=300"}},
		{name: "notify", id: "NotifyFunction", minMemory: 128, maxMemory: 256,
			env: map[string]string{"TOPIC_ARN": "", "OUTPUT_BUCKET": ""}},
		{name: "cleanup", id: "CleanupFunction", minMemory: 128, maxMemory: 256,
			env: map[string]string{"UPLOAD_BUCKET": "imgflow-original-000000000000-us-east-1", "UPLOAD_PREFIX": "uploads/", "OUTPUT_BUCKET": "", "OUTPUT_PREFIX": "variants"}},
	}
	if got, want := len(tm.Functions()), len(tests); got != want {
		t.Errorf("template has %d functions, want %d", got, want)
	}
	outputBucket, _ := tm.Ref("OutputBucket")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := tm.Function(tc.id)
			if !ok {
				t.Fatalf("no function %s", tc.id)
			}
			p := f.Properties
			if p == nil {
				t.Fatalf("%s: no typed properties", tc.id)
			}
			if p.Runtime == nil || *p.Runtime != "provided.al2023" {
				t.Errorf("Runtime = %v, want provided.al2023", deref(p.Runtime))
			}
			if !slices.Equal(p.Architectures, []string{"arm64"}) {
				t.Errorf("Architectures = %v, want [arm64]", p.Architectures)
			}
			if p.Handler == nil || *p.Handler != "bootstrap" {
				t.Errorf("Handler = %v, want bootstrap", deref(p.Handler))
			}
			if p.Tracing == nil || *p.Tracing != "Active" {
				t.Errorf("Tracing = %v, want Active", deref(p.Tracing))
			}
			if !slices.Contains(f.Layers, layerArn) {
				t.Errorf("Layers = %v, want CommonLayer (%s)", f.Layers, layerArn)
			}
			if f.BuildMethod != "makefile" {
				t.Errorf("Metadata.BuildMethod = %q, want makefile", f.BuildMethod)
			}
			if f.CodeDir != root {
				t.Errorf("CodeUri dir = %q, want the module root %q", f.CodeDir, root)
			}
			if p.MemorySize == nil || *p.MemorySize < tc.minMemory || *p.MemorySize > tc.maxMemory {
				t.Errorf("MemorySize = %v, want %d..%d", derefInt(p.MemorySize), tc.minMemory, tc.maxMemory)
			}
			if p.Timeout == nil || *p.Timeout < 3 || *p.Timeout > 120 {
				t.Errorf("Timeout = %v, want 3..120 s", derefInt(p.Timeout))
			}
			want := map[string]string{}
			for k, v := range common {
				want[k] = v
			}
			for k, v := range tc.env {
				want[k] = v
			}
			for k, v := range want {
				got, ok := f.Environment[k]
				switch {
				case !ok:
					t.Errorf("env %s not set", k)
				case v != "" && got != v:
					t.Errorf("env %s = %q, want %q", k, got, v)
				case got == "":
					t.Errorf("env %s is empty", k)
				}
			}
			if got, ok := f.Environment["OUTPUT_BUCKET"]; ok && got != outputBucket {
				t.Errorf("OUTPUT_BUCKET = %q, want the output bucket %q", got, outputBucket)
			}
		})
	}
	resize, _ := tm.Function("ResizeFunction")
	for _, f := range tm.Functions() {
		if f.LogicalID != "ResizeFunction" && *f.Properties.MemorySize >= *resize.Properties.MemorySize {
			t.Errorf("%s has as much memory as ResizeFunction; resize should get the most", f.LogicalID)
		}
	}
}

func TestFunctionPolicies(t *testing.T) {
	tm := loadProject(t, Options{})
	upload, _ := tm.GetAtt("UploadBucket", "Arn")
	output, _ := tm.GetAtt("OutputBucket", "Arn")
	pipeline, _ := tm.Ref("ImagePipeline")
	topic, _ := tm.Ref("NotificationTopic")
	key, _ := tm.GetAtt("NotificationKey", "Arn")
	uploads := upload + "/uploads/*"
	variants := output + "/variants/*"
	manifests := output + "/variants/*/manifest.json"
	results := output + "/reprocess-results/*"
	tests := []struct {
		name    string
		id      string
		allowed map[string][]string // action -> resources it may name
		needed  []string            // actions that must be granted
	}{
		{name: "trigger", id: "TriggerFunction",
			allowed: map[string][]string{"states:StartExecution": {pipeline}},
			needed:  []string{"states:StartExecution"}},
		{name: "validate", id: "ValidateFunction",
			allowed: map[string][]string{"s3:GetObject": {uploads, manifests}, "s3:GetObjectVersion": {uploads}, "s3:ListBucket": {upload, output}},
			needed:  []string{"s3:GetObject", "s3:GetObjectVersion"}},
		{name: "resize", id: "ResizeFunction",
			allowed: map[string][]string{"s3:GetObject": {uploads}, "s3:GetObjectVersion": {uploads}, "s3:PutObject": {variants}},
			needed:  []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}},
		{name: "store", id: "StoreFunction",
			allowed: map[string][]string{"s3:GetObject": {variants}, "s3:PutObject": {variants}},
			needed:  []string{"s3:GetObject", "s3:PutObject"}},
		{name: "notify", id: "NotifyFunction",
			allowed: map[string][]string{"sns:Publish": {topic}, "kms:GenerateDataKey": {key}, "kms:Decrypt": {key}, "s3:GetObject": {results}},
			needed:  []string{"sns:Publish", "kms:GenerateDataKey", "kms:Decrypt", "s3:GetObject"}},
		// Cleanup deletes only under the output prefix and only reads (HEADs) originals.
		{name: "cleanup", id: "CleanupFunction",
			allowed: map[string][]string{"s3:GetObject": {uploads}, "s3:ListBucket": {upload, output}, "s3:DeleteObject": {variants}},
			needed:  []string{"s3:GetObject", "s3:ListBucket", "s3:DeleteObject"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := tm.Function(tc.id)
			if !ok {
				t.Fatalf("no function %s", tc.id)
			}
			if len(f.PolicyTemplates) > 0 {
				t.Errorf("policy templates %v: use inline statements so every action and resource is visible", f.PolicyTemplates)
			}
			granted := map[string]bool{}
			for _, st := range f.Statements {
				if st.Effect != "Allow" {
					t.Errorf("statement %s: Effect %q", st.Sid, st.Effect)
				}
				if len(st.Resources) == 0 {
					t.Errorf("statement %s names no resource", st.Sid)
				}
				for _, a := range st.Actions {
					if strings.Contains(a, "*") {
						t.Errorf("statement %s: wildcard action %q", st.Sid, a)
					}
					ok := tc.allowed[a]
					if ok == nil {
						t.Errorf("statement %s: action %q is not needed by %s", st.Sid, a, tc.id)
						continue
					}
					granted[a] = true
					for _, r := range st.Resources {
						if r == "*" || !slices.Contains(ok, r) {
							t.Errorf("statement %s: %s on %q, want one of %v", st.Sid, a, r, ok)
						}
					}
				}
			}
			for _, a := range tc.needed {
				if !granted[a] {
					t.Errorf("%s is not granted %s", tc.id, a)
				}
			}
		})
	}
}

func TestNoCircularDependency(t *testing.T) {
	original, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	const validateResource = "Resource: !Sub arn:${AWS::Partition}:s3:::${AWS::StackName}-original-${AWS::AccountId}-${AWS::Region}/${UploadPrefix}*"
	tests := []struct {
		name    string
		replace [2]string
		wantErr error
	}{
		{name: "as written"},
		{name: "validate policy names the bucket by GetAtt",
			replace: [2]string{validateResource, `Resource: !Sub "${UploadBucket.Arn}/*"`}, wantErr: ErrCycle},
		{name: "trigger env names the bucket by Ref",
			replace: [2]string{"UPLOAD_PREFIX: !Ref UploadPrefix", "UPLOAD_PREFIX: !Ref UploadBucket"}, wantErr: ErrCycle},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := string(original)
			if tc.replace[0] != "" {
				if !strings.Contains(src, tc.replace[0]) {
					t.Fatalf("template no longer contains %q", tc.replace[0])
				}
				src = strings.Replace(src, tc.replace[0], tc.replace[1], 1)
			}
			tm, err := Parse([]byte(src), Options{})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := tm.Cycle(); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Cycle() = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestUploadBucketReferences(t *testing.T) {
	tm := loadProject(t, Options{})
	// Only these may name UploadBucket by Ref/GetAtt; everything else uses the !Sub name.
	// The functions with an S3 event on the bucket name it in that event.
	allowed := map[string]bool{"TriggerFunction": true, "CleanupFunction": true, "UploadBucketPolicy": true}
	for id, v := range asMap(tm.Raw["Resources"]) {
		if slices.Contains(references(asMap(v)["Properties"]), "UploadBucket") && !allowed[id] {
			t.Errorf("%s refers to UploadBucket by Ref/GetAtt; use the !Sub name", id)
		}
	}
	trig, _ := tm.Function("TriggerFunction")
	if len(trig.S3Events) != 1 {
		t.Fatalf("TriggerFunction S3 events = %v, want one", trig.S3Events)
	}
	ev := trig.S3Events[0]
	upload, _ := tm.Ref("UploadBucket")
	if ev.BucketLogicalID != "UploadBucket" || ev.Bucket != upload || ev.Prefix != "uploads/" ||
		!slices.Equal(ev.Events, []string{"s3:ObjectCreated:*"}) {
		t.Errorf("S3 event = %+v", ev)
	}
	cleanup, _ := tm.Function("CleanupFunction")
	if len(cleanup.S3Events) != 1 {
		t.Fatalf("CleanupFunction S3 events = %v, want one", cleanup.S3Events)
	}
	if ev := cleanup.S3Events[0]; ev.BucketLogicalID != "UploadBucket" || ev.Prefix != "uploads/" ||
		!slices.Equal(ev.Events, []string{"s3:ObjectRemoved:*"}) {
		t.Errorf("cleanup S3 event = %+v", ev)
	}
	for _, f := range tm.Functions() {
		if f.LogicalID != "TriggerFunction" && f.LogicalID != "CleanupFunction" && len(f.S3Events) > 0 {
			t.Errorf("%s has S3 events; only the trigger and the cleanup should", f.LogicalID)
		}
	}
}

func TestBuckets(t *testing.T) {
	tm := loadProject(t, Options{StackName: "photos", AccountID: "111122223333", Region: "eu-west-1"})
	tests := []struct {
		name           string
		id             string
		bucket         string
		versioning     bool
		noncurrentDays int // 0: no noncurrent-version expiry
	}{
		// Originals are the only copy; their old versions are kept longer.
		{name: "upload", id: "UploadBucket", bucket: "photos-original-111122223333-eu-west-1", versioning: true, noncurrentDays: 30},
		// Outputs are derived: versioned only long enough to undo a bad deploy.
		{name: "output", id: "OutputBucket", bucket: "photos-resized-111122223333-eu-west-1", versioning: true, noncurrentDays: 14},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := tm.Ref(tc.id)
			if got != tc.bucket {
				t.Errorf("bucket name = %q, want %q", got, tc.bucket)
			}
			p := asMap(asMap(asMap(tm.Resolved["Resources"])[tc.id])["Properties"])
			if v := str(asMap(p["VersioningConfiguration"])["Status"]); (v == "Enabled") != tc.versioning {
				t.Errorf("versioning = %q, want enabled=%v", v, tc.versioning)
			}
			pab := asMap(p["PublicAccessBlockConfiguration"])
			for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
				if pab[k] != true {
					t.Errorf("PublicAccessBlockConfiguration.%s = %v", k, pab[k])
				}
			}
			sse := asMap(asMap(asSlice(asMap(p["BucketEncryption"])["ServerSideEncryptionConfiguration"])[0])["ServerSideEncryptionByDefault"])
			if alg := str(sse["SSEAlgorithm"]); alg != "AES256" && alg != "aws:kms" {
				t.Errorf("SSEAlgorithm = %q", alg)
			}
			own := str(asMap(asSlice(asMap(p["OwnershipControls"])["Rules"])[0])["ObjectOwnership"])
			if own != "BucketOwnerEnforced" {
				t.Errorf("ObjectOwnership = %q", own)
			}
			if _, ok := p["NotificationConfiguration"]; ok {
				t.Errorf("%s declares notifications; the trigger's S3 event is the only one", tc.id)
			}
			var noncurrent, abort, markers bool
			for _, r := range asSlice(asMap(p["LifecycleConfiguration"])["Rules"]) {
				rule := asMap(r)
				if str(rule["Status"]) != "Enabled" || rule["Prefix"] != nil || rule["Filter"] != nil {
					continue // only whole-bucket rules count
				}
				if d := str(asMap(rule["NoncurrentVersionExpiration"])["NoncurrentDays"]); d != "" {
					noncurrent = true
					if d != strconv.Itoa(tc.noncurrentDays) {
						t.Errorf("noncurrent versions expire after %s days, want %d", d, tc.noncurrentDays)
					}
				}
				if str(asMap(rule["AbortIncompleteMultipartUpload"])["DaysAfterInitiation"]) != "" {
					abort = true
				}
				if rule["ExpiredObjectDeleteMarker"] == true {
					markers = true
				}
				if rule["ExpirationInDays"] != nil || rule["ExpirationDate"] != nil {
					t.Errorf("rule %s expires current objects", str(rule["Id"]))
				}
			}
			if noncurrent != (tc.noncurrentDays > 0) {
				t.Errorf("noncurrent-version expiry = %v, want %v", noncurrent, tc.noncurrentDays > 0)
			}
			if tc.versioning && !markers {
				t.Error("no rule removes expired delete markers")
			}
			if !abort {
				t.Error("no rule aborts incomplete multipart uploads")
			}
		})
	}
}

func TestTriggerFailureHandling(t *testing.T) {
	tm := loadProject(t, Options{})
	trig, _ := tm.Function("TriggerFunction")
	eic := trig.Properties.EventInvokeConfig
	if eic == nil || eic.MaximumRetryAttempts == nil || *eic.MaximumRetryAttempts != 2 || eic.MaximumEventAgeInSeconds == nil {
		t.Fatalf("EventInvokeConfig = %+v", eic)
	}
	dlq, _ := tm.GetAtt("TriggerDeadLetterQueue", "Arn")
	if d := eic.DestinationConfig; d == nil || d.OnFailure == nil || deref(d.OnFailure.Type) != "SQS" || d.OnFailure.Destination != dlq {
		t.Errorf("OnFailure destination = %+v, want SQS %s", eic.DestinationConfig, dlq)
	}
	if tm.ResourceType("TriggerDeadLetterQueue") != "AWS::SQS::Queue" {
		t.Errorf("TriggerDeadLetterQueue type = %q", tm.ResourceType("TriggerDeadLetterQueue"))
	}
	topic, _ := tm.Ref("NotificationTopic")
	queueName, _ := tm.GetAtt("TriggerDeadLetterQueue", "QueueName")
	found := false
	for _, id := range tm.ResourceIDs("AWS::CloudWatch::Alarm") {
		p := asMap(asMap(asMap(tm.Resolved["Resources"])[id])["Properties"])
		dims := asSlice(p["Dimensions"])
		if str(p["MetricName"]) != "ApproximateNumberOfMessagesVisible" || len(dims) != 1 || str(asMap(dims[0])["Value"]) != queueName {
			continue
		}
		found = true
		if str(p["ComparisonOperator"]) != "GreaterThanThreshold" || str(p["Threshold"]) != "0" {
			t.Errorf("%s: fires on %s %s, want > 0", id, str(p["ComparisonOperator"]), str(p["Threshold"]))
		}
		if !slices.Contains(stringList(p["AlarmActions"]), topic) {
			t.Errorf("%s: AlarmActions %v do not notify the topic", id, p["AlarmActions"])
		}
	}
	if !found {
		t.Error("no alarm on the trigger dead-letter queue")
	}
}

func TestStateMachineResource(t *testing.T) {
	tests := []struct {
		name     string
		params   map[string]string
		wantType string
	}{
		{name: "default", wantType: "STANDARD"},
		{name: "express", params: map[string]string{"WorkflowType": "EXPRESS"}, wantType: "EXPRESS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tm := loadProject(t, Options{Parameters: tc.params})
			sm, ok := tm.StateMachine("ImagePipeline")
			if !ok {
				t.Fatal("no ImagePipeline")
			}
			if sm.Type != tc.wantType {
				t.Errorf("Type = %q, want %q", sm.Type, tc.wantType)
			}
			if filepath.Base(sm.DefinitionPath) != "pipeline.asl.json" {
				t.Errorf("DefinitionUri = %q", sm.DefinitionPath)
			}
			var wantInvoke []string
			for _, fn := range []string{"Validate", "Resize", "Store", "Notify"} {
				arn, _ := tm.GetAtt(fn+"Function", "Arn")
				if got := sm.Substitutions[fn+"FunctionArn"]; got != arn {
					t.Errorf("substitution %sFunctionArn = %q, want %q", fn, got, arn)
				}
				name, _ := tm.Ref(fn + "Function")
				wantInvoke = append(wantInvoke, name)
			}
			var invoke []string
			for _, p := range sm.PolicyTemplates {
				if p.Name != "LambdaInvokePolicy" {
					t.Errorf("unexpected policy template %s", p.Name)
					continue
				}
				invoke = append(invoke, str(p.Args["FunctionName"]))
			}
			slices.Sort(invoke)
			slices.Sort(wantInvoke)
			if !slices.Equal(invoke, wantInvoke) {
				t.Errorf("LambdaInvokePolicy functions = %v, want %v", invoke, wantInvoke)
			}
			for _, st := range sm.Statements {
				for _, a := range st.Actions {
					if !strings.HasPrefix(a, "logs:") && !strings.HasPrefix(a, "xray:") || strings.Contains(a, "*") {
						t.Errorf("state machine statement %s grants %q", st.Sid, a)
					}
				}
			}
			p := sm.Properties
			if p.Logging == nil || (p.Logging.Level != "ERROR" && p.Logging.Level != "ALL") || !p.Logging.IncludeExecutionData || len(p.Logging.Destinations) != 1 {
				t.Errorf("Logging = %+v", p.Logging)
			}
			if p.Tracing == nil || p.Tracing.Enabled == nil || !*p.Tracing.Enabled {
				t.Errorf("Tracing = %+v", p.Tracing)
			}
		})
	}
}

// TestReprocessStateMachine: the reprocess machine's definition, its
// substitutions and a role that grants exactly what its Distributed Map
// and its tasks need.
func TestReprocessStateMachine(t *testing.T) {
	tm := loadProject(t, Options{})
	sm, ok := tm.StateMachine("ReprocessPipeline")
	if !ok {
		t.Fatal("no ReprocessPipeline")
	}
	if sm.Type != "STANDARD" || filepath.Base(sm.DefinitionPath) != "reprocess.asl.json" || sm.Name != "imgflow-reprocess" {
		t.Errorf("type %q, definition %q, name %q", sm.Type, sm.DefinitionPath, sm.Name)
	}
	self := "arn:aws:states:us-east-1:000000000000:stateMachine:imgflow-reprocess"
	if sm.Arn != self {
		t.Errorf("ARN %q, want %q", sm.Arn, self)
	}
	output, _ := tm.Ref("OutputBucket")
	outputArn, _ := tm.GetAtt("OutputBucket", "Arn")
	wantSubs := map[string]string{"UploadBucketName": "imgflow-original-000000000000-us-east-1", "UploadPrefix": "uploads/",
		"OutputBucketName": output, "ReprocessResultsPrefix": "reprocess-results", "ReprocessMaxConcurrency": "8",
		"ReprocessToleratedFailurePercentage": "5"}
	for _, fn := range []string{"Validate", "Resize", "Store", "Notify"} {
		wantSubs[fn+"FunctionArn"], _ = tm.GetAtt(fn+"Function", "Arn")
	}
	for k, v := range wantSubs {
		if got := sm.Substitutions[k]; got != v {
			t.Errorf("substitution %s = %q, want %q", k, got, v)
		}
	}
	raw, err := sm.RawDefinition()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := wantSubs[m[1]]; !ok {
			t.Errorf("definition placeholder ${%s} has no substitution", m[1])
		}
	}
	var invoke []string
	for _, p := range sm.PolicyTemplates {
		if p.Name != "LambdaInvokePolicy" {
			t.Errorf("unexpected policy template %s", p.Name)
			continue
		}
		invoke = append(invoke, str(p.Args["FunctionName"]))
	}
	slices.Sort(invoke)
	var wantInvoke []string
	for _, fn := range []string{"Notify", "Resize", "Store", "Validate"} {
		name, _ := tm.Ref(fn + "Function")
		wantInvoke = append(wantInvoke, name)
	}
	slices.Sort(wantInvoke)
	if !slices.Equal(invoke, wantInvoke) {
		t.Errorf("LambdaInvokePolicy functions = %v, want %v", invoke, wantInvoke)
	}
	allowed := map[string][]string{
		"states:StartExecution":       {self},
		"states:DescribeExecution":    {"arn:aws:states:us-east-1:000000000000:execution:imgflow-reprocess/*"},
		"states:StopExecution":        {"arn:aws:states:us-east-1:000000000000:execution:imgflow-reprocess/*"},
		"s3:ListBucket":               {"arn:aws:s3:::imgflow-original-000000000000-us-east-1"},
		"s3:PutObject":                {outputArn + "/reprocess-results/*"},
		"s3:GetObject":                {outputArn + "/reprocess-results/*"},
		"s3:ListMultipartUploadParts": {outputArn + "/reprocess-results/*"},
		"s3:AbortMultipartUpload":     {outputArn + "/reprocess-results/*"},
	}
	granted := map[string]bool{}
	for _, st := range sm.Statements {
		for _, a := range st.Actions {
			if strings.HasPrefix(a, "logs:") || strings.HasPrefix(a, "xray:") {
				continue
			}
			ok := allowed[a]
			if ok == nil {
				t.Errorf("statement %s grants %q", st.Sid, a)
				continue
			}
			granted[a] = true
			for _, r := range st.Resources {
				if !slices.Contains(ok, r) {
					t.Errorf("statement %s: %s on %q, want one of %v", st.Sid, a, r, ok)
				}
			}
			if a == "s3:ListBucket" && jsonString(st.Condition) != `{"StringLike":{"s3:prefix":"uploads/*"}}` {
				t.Errorf("ListBucket condition %s, want the upload prefix", jsonString(st.Condition))
			}
		}
	}
	for a := range allowed {
		if !granted[a] {
			t.Errorf("%s is not granted", a)
		}
	}
}

func TestParametersAndOutputs(t *testing.T) {
	tm := loadProject(t, Options{})
	params := []struct {
		name string
		want string
	}{
		{"NotificationEmail", ""},
		{"UploadPrefix", "uploads/"},
		{"OutputPrefix", "variants"},
		{"WorkflowType", "STANDARD"},
		{"MaxPixels", "100000000"},
		{"MaxBytes", "104857600"},
		{"MaxSide", "30000"},
		{"LogLevel", "info"},
		{"ResizeReservedConcurrency", "40"},
		{"LogRetentionDays", "30"},
		{"ReprocessMaxConcurrency", "8"},
		{"ReprocessToleratedFailurePercentage", "5"},
		{"ReprocessResultsPrefix", "reprocess-results"},
	}
	for _, p := range params {
		t.Run("parameter "+p.name, func(t *testing.T) {
			got, ok := tm.Parameters[p.name]
			if !ok {
				t.Fatalf("parameter %s missing", p.name)
			}
			if got != p.want {
				t.Errorf("default = %q, want %q", got, p.want)
			}
		})
	}
	allowed := map[string][]string{"WorkflowType": {"STANDARD", "EXPRESS"}, "LogLevel": {"debug", "info", "warn", "error"}}
	for name, want := range allowed {
		got := stringList(asMap(asMap(tm.Raw["Parameters"])[name])["AllowedValues"])
		if !slices.Equal(got, want) {
			t.Errorf("%s AllowedValues = %v, want %v", name, got, want)
		}
	}
	if _, err := Parse(mustRead(t, templatePath), Options{Parameters: map[string]string{"LogLevel": "loud"}}); err == nil {
		t.Error("LogLevel=loud accepted")
	}

	outs := tm.Outputs()
	arn, _ := tm.Ref("ImagePipeline")
	want := map[string]string{
		"UploadBucketName":       "imgflow-original-000000000000-us-east-1",
		"OutputBucketName":       "imgflow-resized-000000000000-us-east-1",
		"StateMachineArn":        arn,
		"NotificationTopicArn":   "",
		"StateMachineConsoleUrl": "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/statemachines/view/" + arn,
	}
	for name, w := range want {
		got, ok := outs[name]
		if !ok {
			t.Errorf("output %s missing", name)
			continue
		}
		if w != "" && got != w {
			t.Errorf("output %s = %q, want %q", name, got, w)
		}
	}
}

func TestNotificationSubscription(t *testing.T) {
	raw := asMap(asMap(loadProject(t, Options{}).Raw["Resources"])["NotificationSubscription"])
	if c := str(raw["Condition"]); c != "HasNotificationEmail" {
		t.Fatalf("NotificationSubscription Condition = %q, want HasNotificationEmail", c)
	}
	tests := []struct {
		name  string
		email string
		want  bool
	}{
		{name: "no email", email: "", want: false},
		{name: "email", email: "ops@example.com", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tm := loadProject(t, Options{Parameters: map[string]string{"NotificationEmail": tc.email}})
			if got := tm.Enabled("NotificationSubscription"); got != tc.want {
				t.Fatalf("subscription created = %v, want %v", got, tc.want)
			}
			if !tm.Enabled("NotificationTopic") {
				t.Error("the topic must always exist")
			}
			if tc.want {
				p := asMap(asMap(asMap(tm.Resolved["Resources"])["NotificationSubscription"])["Properties"])
				if str(p["Protocol"]) != "email" || str(p["Endpoint"]) != tc.email {
					t.Errorf("subscription = %v", p)
				}
			}
		})
	}
}

func TestCommonLayer(t *testing.T) {
	tm := loadProject(t, Options{})
	layers := tm.Layers()
	if len(layers) != 1 || layers[0].LogicalID != "CommonLayer" {
		t.Fatalf("layers = %+v, want CommonLayer", layers)
	}
	l := layers[0]
	root, _ := filepath.Abs("../..")
	if l.ContentDir != filepath.Join(root, "layers", "common") {
		t.Errorf("ContentUri dir = %q", l.ContentDir)
	}
	if l.BuildMethod != "makefile" {
		t.Errorf("BuildMethod = %q", l.BuildMethod)
	}
	if got := stringList(l.Resolved["CompatibleRuntimes"]); !slices.Equal(got, []string{"provided.al2023"}) {
		t.Errorf("CompatibleRuntimes = %v", got)
	}
	if got := stringList(l.Resolved["CompatibleArchitectures"]); !slices.Equal(got, []string{"arm64"}) {
		t.Errorf("CompatibleArchitectures = %v", got)
	}

	// The layer's file must load with the loader the functions use (every
	// rule: names, sides, formats, qualities).
	f, err := presets.Load(filepath.Join(l.ContentDir, "assets", "presets.json"))
	if err != nil {
		t.Fatalf("presets.json: %v", err)
	}
	if len(f.Presets) == 0 {
		t.Fatal("presets.json has no presets")
	}
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

func derefInt(i *int) int {
	if i == nil {
		return 0
	}
	return *i
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
