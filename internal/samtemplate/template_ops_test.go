package samtemplate

import (
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/imgflow/imgflow/internal/steps/resize"
	"github.com/imgflow/imgflow/internal/steps/validate"
	"github.com/imgflow/imgflow/layers/common/envconfig"
)

// The operational settings of the deployed stack: log retention, Resize's concurrency, the
// encrypted topic and the image-size limits handed to the functions.

func TestFunctionLogGroups(t *testing.T) {
	tests := []struct {
		name      string
		retention string // LogRetentionDays override; "" keeps the default
		want      string
	}{
		{name: "default", want: "30"},
		{name: "override", retention: "7", want: "7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts Options
			if tc.retention != "" {
				opts.Parameters = map[string]string{"LogRetentionDays": tc.retention}
			}
			tm := loadProject(t, opts)
			resources := asMap(tm.Resolved["Resources"])
			// Every log group has the retention of the parameter: the functions' and the state machine's.
			groups := tm.ResourceIDs("AWS::Logs::LogGroup")
			for _, id := range groups {
				raw := asMap(asMap(asMap(tm.Raw["Resources"])[id])["Properties"])
				if ref := str(asMap(raw["RetentionInDays"])["Ref"]); ref != "LogRetentionDays" {
					t.Errorf("%s RetentionInDays is %v, want !Ref LogRetentionDays", id, raw["RetentionInDays"])
				}
				if got := str(asMap(asMap(resources[id])["Properties"])["RetentionInDays"]); got != tc.want {
					t.Errorf("%s RetentionInDays = %q, want %s", id, got, tc.want)
				}
				lg, err := tm.CFN.GetLogsLogGroupWithName(id)
				if err != nil || derefInt(lg.RetentionInDays) == 0 {
					t.Errorf("%s: typed RetentionInDays missing (%v)", id, err)
				}
			}
			used := map[string]string{}
			for _, f := range tm.Functions() {
				// Named by Ref, so the group is created (with retention) before the function can log.
				raw := asMap(asMap(asMap(asMap(tm.Raw["Resources"])[f.LogicalID])["Properties"])["LoggingConfig"])
				group := str(asMap(raw["LogGroup"])["Ref"])
				if group == "" {
					t.Errorf("%s: LoggingConfig.LogGroup = %v, want !Ref to a log group of this template", f.LogicalID, raw["LogGroup"])
					continue
				}
				if !slices.Contains(groups, group) {
					t.Errorf("%s logs to %s, which is not an AWS::Logs::LogGroup of this template", f.LogicalID, group)
					continue
				}
				if other, dup := used[group]; dup {
					t.Errorf("%s and %s share the log group %s", f.LogicalID, other, group)
				}
				used[group] = f.LogicalID
				name, _ := tm.Ref(group)
				if got := str(asMap(f.Resolved["LoggingConfig"])["LogGroup"]); got != name {
					t.Errorf("%s: resolved LoggingConfig.LogGroup = %q, want %q", f.LogicalID, got, name)
				}
				// Lambda's own default group for the function, which an earlier deployment may
				// have created, must not be declared again (CloudFormation would fail: exists).
				if name == "/aws/lambda/"+f.Name {
					t.Errorf("%s's log group %s is Lambda's default name", f.LogicalID, name)
				}
			}
			if len(used) != len(tm.Functions()) || len(used) == 0 {
				t.Errorf("%d functions have their own log group, want all %d", len(used), len(tm.Functions()))
			}
		})
	}
}

func TestResizeReservedConcurrency(t *testing.T) {
	mapConcurrency := resizeMapConcurrency(t)
	tests := []struct {
		name     string
		param    string // ResizeReservedConcurrency; "" keeps the default
		want     int    // 0: unreserved
		minLimit int    // at least this (the default must fit a few uploads)
	}{
		{name: "default", want: 40, minLimit: 4 * mapConcurrency},
		{name: "override", param: "8", want: 8},
		{name: "zero is unreserved", param: "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts Options
			if tc.param != "" {
				opts.Parameters = map[string]string{"ResizeReservedConcurrency": tc.param}
			}
			tm := loadProject(t, opts)
			for _, f := range tm.Functions() {
				v, ok := f.Resolved["ReservedConcurrentExecutions"]
				if f.LogicalID != "ResizeFunction" {
					if ok {
						t.Errorf("%s reserves concurrency %v; only Resize does", f.LogicalID, v)
					}
					continue
				}
				if tc.want == 0 {
					if ok {
						t.Errorf("ReservedConcurrentExecutions = %v, want it left out (AWS::NoValue)", v)
					}
					continue
				}
				if got := derefInt(f.Properties.ReservedConcurrentExecutions); got != tc.want {
					t.Errorf("ReservedConcurrentExecutions = %v (typed %d), want %d", v, got, tc.want)
				}
				if tc.want < tc.minLimit {
					t.Errorf("reserved %d is below %d: fewer than 4 uploads could resize at once (Map MaxConcurrency %d)", tc.want, tc.minLimit, mapConcurrency)
				}
			}
		})
	}
	p := asMap(asMap(loadProject(t, Options{}).Raw["Parameters"])["ResizeReservedConcurrency"])
	if str(p["Type"]) != "Number" || str(p["MinValue"]) != "0" {
		t.Errorf("ResizeReservedConcurrency = %v, want a Number with MinValue 0", p)
	}
}

// resizeMapConcurrency returns the MaxConcurrency of the Map state whose iterations invoke Resize,
// and checks that a throttled Resize (reserved concurrency reached) is retried, not failed.
func resizeMapConcurrency(t *testing.T) int {
	t.Helper()
	sm, ok := loadProject(t, Options{}).StateMachine("ImagePipeline")
	if !ok {
		t.Fatal("no ImagePipeline")
	}
	raw, err := sm.RawDefinition()
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Type           string
		MaxConcurrency int
		Parameters     map[string]any
		Arguments      map[string]any
		Retry          []struct{ ErrorEquals []string }
		ItemProcessor  *struct{ States map[string]state }
		Iterator       *struct{ States map[string]state }
	}
	var def struct{ States map[string]state }
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatalf("definition: %v", err)
	}
	for name, st := range def.States {
		proc := st.ItemProcessor
		if proc == nil {
			proc = st.Iterator
		}
		if st.Type != "Map" || proc == nil {
			continue
		}
		for inner, task := range proc.States {
			fn := str(task.Parameters["FunctionName"]) + str(task.Arguments["FunctionName"])
			if fn != "${ResizeFunctionArn}" {
				continue
			}
			retried := false
			for _, r := range task.Retry {
				if slices.Contains(r.ErrorEquals, "Lambda.TooManyRequestsException") {
					retried = true
				}
			}
			if !retried {
				t.Errorf("%s.%s does not retry Lambda.TooManyRequestsException (Resize's reserved concurrency throttles)", name, inner)
			}
			if st.MaxConcurrency <= 0 {
				t.Fatalf("%s: MaxConcurrency %d, want a bound", name, st.MaxConcurrency)
			}
			return st.MaxConcurrency
		}
	}
	t.Fatal("no Map state invokes ${ResizeFunctionArn}")
	return 0
}

func TestNotificationEncryption(t *testing.T) {
	tm := loadProject(t, Options{StackName: "photos", AccountID: "111122223333", Region: "eu-west-1"})
	resources := asMap(tm.Resolved["Resources"])
	props := func(id string) map[string]any { return asMap(asMap(resources[id])["Properties"]) }

	topic := props("NotificationTopic")
	keyRef := str(asMap(asMap(asMap(asMap(tm.Raw["Resources"])["NotificationTopic"])["Properties"])["KmsMasterKeyId"])["Ref"])
	if keyRef == "" || tm.ResourceType(keyRef) != "AWS::KMS::Key" {
		t.Fatalf("NotificationTopic KmsMasterKeyId = %v, want !Ref to a customer managed key (alias/aws/sns cannot be used by CloudWatch)", topic["KmsMasterKeyId"])
	}
	key := props(keyRef)
	if key["EnableKeyRotation"] != true {
		t.Errorf("%s EnableKeyRotation = %v, want true", keyRef, key["EnableKeyRotation"])
	}
	var root, cloudwatch bool
	for _, s := range asSlice(asMap(key["KeyPolicy"])["Statement"]) {
		st := asMap(s)
		if str(st["Effect"]) != "Allow" {
			continue
		}
		principal := asMap(st["Principal"])
		actions := stringList(st["Action"])
		if str(principal["AWS"]) == "arn:aws:iam::111122223333:root" && slices.Contains(actions, "kms:*") {
			root = true
		}
		if slices.Contains(stringList(principal["Service"]), "cloudwatch.amazonaws.com") {
			cloudwatch = slices.Contains(actions, "kms:Decrypt") &&
				(slices.Contains(actions, "kms:GenerateDataKey*") || slices.Contains(actions, "kms:GenerateDataKey"))
			if !cloudwatch {
				t.Errorf("key policy grants cloudwatch.amazonaws.com %v, want kms:Decrypt and kms:GenerateDataKey*", actions)
			}
		}
	}
	if !root {
		t.Error("key policy does not let the account's IAM policies grant the key (Notify's role relies on it)")
	}
	if !cloudwatch {
		t.Error("key policy does not let cloudwatch.amazonaws.com use the key: the dead-letter alarm could not publish")
	}

	// Every publisher can use the key: Notify through its role, the alarm through the key policy.
	keyArn, _ := tm.GetAtt(keyRef, "Arn")
	notify, _ := tm.Function("NotifyFunction")
	for _, want := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
		granted := false
		for _, st := range notify.Statements {
			if slices.Contains(st.Actions, want) && slices.Contains(st.Resources, keyArn) {
				granted = true
			}
		}
		if !granted {
			t.Errorf("NotifyFunction is not granted %s on %s", want, keyArn)
		}
	}
	topicArn, _ := tm.Ref("NotificationTopic")
	for _, id := range tm.ResourceIDs("AWS::CloudWatch::Alarm") {
		if !slices.Contains(stringList(props(id)["AlarmActions"]), topicArn) {
			t.Errorf("%s does not notify the topic", id)
		}
	}
	for _, id := range tm.ResourceIDs("AWS::SQS::Queue") {
		if q := props(id); q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s is not encrypted", id)
		}
	}
}

func TestMaxSide(t *testing.T) {
	tests := []struct {
		name  string
		param string // MaxSide; "" keeps the default
		want  string
	}{
		{name: "default", want: "30000"},
		{name: "override", param: "12345", want: "12345"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts Options
			if tc.param != "" {
				opts.Parameters = map[string]string{"MaxSide": tc.param}
			}
			tm := loadProject(t, opts)
			for _, f := range tm.Functions() {
				got, ok := f.Environment["MAX_SIDE"]
				switch f.LogicalID {
				case "ValidateFunction", "ResizeFunction":
					if got != tc.want {
						t.Errorf("%s MAX_SIDE = %q, want %q", f.LogicalID, got, tc.want)
					}
					if f.Environment["MAX_PIXELS"] == "" {
						t.Errorf("%s has MAX_SIDE but no MAX_PIXELS", f.LogicalID)
					}
				default:
					if ok {
						t.Errorf("%s has MAX_SIDE; only Validate and Resize check image sizes", f.LogicalID)
					}
				}
			}
		})
	}
	p := asMap(asMap(loadProject(t, Options{}).Raw["Parameters"])["MaxSide"])
	min, errMin := strconv.Atoi(str(p["MinValue"]))
	max, errMax := strconv.ParseInt(str(p["MaxValue"]), 10, 64)
	if str(p["Type"]) != "Number" || errMin != nil || min < 1 || errMax != nil || max > math.MaxInt32 {
		t.Errorf("MaxSide = %v, want a Number in 1..%d (what the handlers accept)", p, math.MaxInt32)
	}
}

// The template's limits default to what the handlers use when the variable is unset, so a stack
// deployed with its defaults applies the limits the local stack and the handler tests assume.
func TestLimitDefaultsMatchHandlers(t *testing.T) {
	tm := loadProject(t, Options{})
	handlers := []struct {
		name   string
		id     string
		limits []string
		load   func(env map[string]string) (any, error)
	}{
		{name: "validate", id: "ValidateFunction", limits: []string{"MAX_PIXELS", "MAX_SIDE", "MAX_BYTES"},
			load: func(env map[string]string) (any, error) {
				cfg := validate.NewDefaultConfig()
				return cfg, validate.LoadFromEnv(cfg, envconfig.Map(env))
			}},
		{name: "resize", id: "ResizeFunction", limits: []string{"MAX_PIXELS", "MAX_SIDE"},
			load: func(env map[string]string) (any, error) {
				cfg := resize.NewDefaultConfig()
				return cfg, resize.LoadFromEnv(cfg, envconfig.Map(env))
			}},
	}
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			f, ok := tm.Function(h.id)
			if !ok {
				t.Fatalf("no %s", h.id)
			}
			withTemplate, err := h.load(f.Environment)
			if err != nil {
				t.Fatalf("the template's environment: %v", err)
			}
			for _, k := range h.limits {
				v, ok := f.Environment[k]
				if !ok {
					t.Errorf("the template does not set %s", k)
					continue
				}
				env := maps.Clone(f.Environment)
				delete(env, k)
				withDefault, err := h.load(env)
				if err != nil {
					t.Fatalf("without %s: %v", k, err)
				}
				if !reflect.DeepEqual(withDefault, withTemplate) {
					t.Errorf("%s defaults to %s in the template but to something else in the handler: %+v vs %+v", k, v, withTemplate, withDefault)
				}
			}
		})
	}
}
