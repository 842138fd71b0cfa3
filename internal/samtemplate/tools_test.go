package samtemplate

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The template checked by AWS's own tools, when this machine has them (pip install cfn-lint brings
// both): cfn-lint with the project's rules, as make lint runs it, and the SAM translator, whose
// CloudFormation output is what is really deployed.

const (
	cfnLintRules = "../../cfn-lint-rules.txt"
	toolsRegion  = "us-east-1"
)

func TestCfnLint(t *testing.T) {
	if testing.Short() {
		t.Skip("cfn-lint takes seconds; skipped with -short")
	}
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint not installed (pip install cfn-lint)")
	}
	cmd := exec.Command(bin, "--regions", toolsRegion, "--custom-rules", cfnLintRules, "--", templatePath)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION="+toolsRegion)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint %s: %v\n%s", templatePath, err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("cfn-lint printed:\n%s", out)
	}
}

// samTranslate is run by python3: it loads the template with the SAM translator's YAML loader,
// points CodeUri/ContentUri at a dummy S3 object (what sam package would do), inlines the state
// machine definition, and prints the translated CloudFormation as JSON. Exit status 3 means the
// translator is not installed.
const samTranslate = `
import json, os, sys
try:
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse
except ImportError as e:
    print(e, file=sys.stderr)
    sys.exit(3)

class Policies:
    # The managed policies SAM may look up by name; the template names none itself.
    def load(self):
        return {
            "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        }

path = sys.argv[1]
with open(path) as f:
    tmpl = yaml_parse(f.read())
dummy = "s3://imgflow-artifacts/code.zip"
globals_fn = tmpl.get("Globals", {}).get("Function", {})
if "CodeUri" in globals_fn:
    globals_fn["CodeUri"] = dummy
for res in tmpl["Resources"].values():
    props = res.get("Properties", {})
    for k in ("CodeUri", "ContentUri"):
        if k in props:
            props[k] = dummy
    if "DefinitionUri" in props:
        with open(os.path.join(os.path.dirname(path), props.pop("DefinitionUri"))) as f:
            props["Definition"] = json.load(f)
try:
    out = transform(tmpl, {}, Policies())
except InvalidDocumentException as e:
    print("\n".join(str(c) for c in e.causes), file=sys.stderr)
    sys.exit(1)
json.dump(out, sys.stdout)
`

func TestSAMTranslate(t *testing.T) {
	if testing.Short() {
		t.Skip("the SAM translator takes seconds; skipped with -short")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	abs, err := filepath.Abs(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", samTranslate, abs)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION="+toolsRegion)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Skipf("the SAM translator is not installed (pip install aws-sam-translator): %s", stderr.Bytes())
	}
	if err != nil {
		t.Fatalf("SAM translate: %v\n%s", err, stderr.Bytes())
	}
	var cfn struct {
		Conditions map[string]any
		Resources  map[string]struct {
			Type       string
			Condition  string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(out, &cfn); err != nil {
		t.Fatalf("translated template: %v", err)
	}
	props := func(id string) map[string]any { return cfn.Resources[id].Properties }

	fns := 0
	for id, r := range cfn.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		fns++
		t.Run(id, func(t *testing.T) {
			p := r.Properties
			// Its logs go to the group the template declares, with the stack's retention.
			group := str(asMap(asMap(p["LoggingConfig"])["LogGroup"])["Ref"])
			if cfn.Resources[group].Type != "AWS::Logs::LogGroup" {
				t.Fatalf("LoggingConfig = %v, want LogGroup: !Ref to a log group", p["LoggingConfig"])
			}
			if ret := str(asMap(props(group)["RetentionInDays"])["Ref"]); ret != "LogRetentionDays" {
				t.Errorf("%s RetentionInDays = %v", group, props(group)["RetentionInDays"])
			}
			// ... and its role may write there (SAM attaches the basic execution policy).
			g := asSlice(asMap(p["Role"])["Fn::GetAtt"])
			if len(g) != 2 {
				t.Fatalf("Role = %v, want the role SAM generates", p["Role"])
			}
			role := str(g[0])
			basic := false
			for _, arn := range asSlice(props(role)["ManagedPolicyArns"]) {
				if strings.Contains(jsonString(arn), "AWSLambdaBasicExecutionRole") {
					basic = true
				}
			}
			if !basic {
				t.Errorf("role %s lacks AWSLambdaBasicExecutionRole (logs:CreateLogStream, logs:PutLogEvents)", role)
			}
			rce, reserved := p["ReservedConcurrentExecutions"]
			if id != "ResizeFunction" {
				if reserved {
					t.Errorf("ReservedConcurrentExecutions = %v; only Resize reserves", rce)
				}
				return
			}
			want := `{"Fn::If":["HasResizeReservedConcurrency",{"Ref":"ResizeReservedConcurrency"},{"Ref":"AWS::NoValue"}]}`
			if got := jsonString(rce); got != want {
				t.Errorf("ReservedConcurrentExecutions = %s, want %s", got, want)
			}
			if _, ok := cfn.Conditions["HasResizeReservedConcurrency"]; !ok {
				t.Error("condition HasResizeReservedConcurrency lost in translation")
			}
		})
	}
	if fns != 6 {
		t.Errorf("%d Lambda functions after translation, want 6", fns)
	}

	if got := jsonString(props("NotificationTopic")["KmsMasterKeyId"]); got != `{"Ref":"NotificationKey"}` {
		t.Errorf("NotificationTopic KmsMasterKeyId = %s", got)
	}
	// Notify's role may use the key; SAM puts inline Policies into the role as policy documents.
	notifyRole := props("NotifyFunctionRole")
	if !strings.Contains(jsonString(notifyRole["Policies"]), `"kms:GenerateDataKey"`) ||
		!strings.Contains(jsonString(notifyRole["Policies"]), `{"Fn::GetAtt":["NotificationKey","Arn"]}`) {
		t.Errorf("NotifyFunctionRole policies do not grant the topic key: %s", jsonString(notifyRole["Policies"]))
	}
	sm := props("ImagePipeline")
	subs := asMap(sm["DefinitionSubstitutions"])
	for _, k := range []string{"ValidateFunctionArn", "ResizeFunctionArn", "StoreFunctionArn", "NotifyFunctionArn"} {
		if _, ok := subs[k]; !ok {
			t.Errorf("DefinitionSubstitutions lost %s", k)
		}
	}
	if cfn.Resources["ImagePipeline"].Type != "AWS::StepFunctions::StateMachine" {
		t.Errorf("ImagePipeline became %s", cfn.Resources["ImagePipeline"].Type)
	}
	var versioned []string
	for id, r := range cfn.Resources {
		if r.Type == "AWS::S3::Bucket" && str(asMap(r.Properties["VersioningConfiguration"])["Status"]) == "Enabled" {
			versioned = append(versioned, id)
		}
	}
	slices.Sort(versioned)
	if !slices.Equal(versioned, []string{"OutputBucket", "UploadBucket"}) {
		t.Errorf("versioned buckets = %v", versioned)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
