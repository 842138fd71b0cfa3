package samtemplate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/serverless"
)

// Function is one AWS::Serverless::Function with Globals merged and intrinsics resolved.
type Function struct {
	LogicalID string
	// Name is the physical function name and Arn its ARN (Options.Resolve or defaults).
	Name string
	Arn  string
	// Properties is goformation's typed view. Union-typed fields (Policies, Events) are
	// easier to read from Resolved.
	Properties *serverless.Function
	// Resolved is the resolved Properties map.
	Resolved map[string]any
	// Metadata is the resource's Metadata attribute (BuildMethod ...).
	Metadata map[string]any
	// BuildMethod is Metadata.BuildMethod ("makefile").
	BuildMethod string
	// CodeDir is the absolute directory named by CodeUri.
	CodeDir string
	// Environment holds Environment.Variables.
	Environment map[string]string
	// Layers holds the resolved layer ARNs, in order.
	Layers []string
	// S3Events lists the function's Events of Type S3.
	S3Events []S3Event
	// Statements lists the inline IAM policy statements of Policies.
	Statements []Statement
	// PolicyTemplates lists Policies items that are SAM policy templates or managed policy
	// names, keyed by template name (or the name itself, with nil arguments).
	PolicyTemplates []PolicyTemplate
}

// S3Event is an Events entry of Type S3.
type S3Event struct {
	Name string
	// BucketLogicalID is the bucket resource named by Properties.Bucket (via Ref, as SAM requires).
	BucketLogicalID string
	// Bucket is the resolved bucket name.
	Bucket string
	Events []string
	Prefix string
	Suffix string
}

// Statement is one inline IAM policy statement with resolved values.
type Statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []string
	Condition map[string]any
}

// PolicyTemplate is a SAM policy template such as {LambdaInvokePolicy: {FunctionName: x}}.
type PolicyTemplate struct {
	Name string
	Args map[string]any
}

// Layer is one AWS::Serverless::LayerVersion.
type Layer struct {
	LogicalID   string
	Arn         string
	Properties  *serverless.LayerVersion
	Resolved    map[string]any
	Metadata    map[string]any
	BuildMethod string
	// ContentDir is the absolute directory named by ContentUri.
	ContentDir string
}

// StateMachine is one AWS::Serverless::StateMachine.
type StateMachine struct {
	LogicalID string
	Name      string
	Arn       string
	// Type is STANDARD or EXPRESS (STANDARD when unset).
	Type       string
	Properties *serverless.StateMachine
	Resolved   map[string]any
	// DefinitionPath is the absolute path named by DefinitionUri ("" for an inline Definition).
	DefinitionPath string
	// Substitutions holds the resolved DefinitionSubstitutions.
	Substitutions   map[string]string
	Statements      []Statement
	PolicyTemplates []PolicyTemplate
}

// Functions returns every function that exists, sorted by logical id.
func (t *Template) Functions() []Function {
	var out []Function
	for _, id := range t.ResourceIDs("AWS::Serverless::Function") {
		f, _ := t.Function(id)
		out = append(out, f)
	}
	return out
}

// Function returns the function with the given logical id.
func (t *Template) Function(id string) (Function, bool) {
	res := asMap(asMap(t.Resolved["Resources"])[id])
	if str(res["Type"]) != "AWS::Serverless::Function" {
		return Function{}, false
	}
	props := asMap(res["Properties"])
	f := Function{
		LogicalID:   id,
		Resolved:    props,
		Metadata:    asMap(res["Metadata"]),
		Environment: map[string]string{},
	}
	f.Name, _ = t.Ref(id)
	f.Arn, _ = t.GetAtt(id, "Arn")
	if typed, err := t.CFN.GetServerlessFunctionWithName(id); err == nil {
		f.Properties = typed
	}
	f.BuildMethod = str(f.Metadata["BuildMethod"])
	if uri, ok := props["CodeUri"].(string); ok {
		f.CodeDir = t.abs(uri)
	}
	for k, v := range asMap(asMap(props["Environment"])["Variables"]) {
		f.Environment[k] = str(v)
	}
	for _, l := range asSlice(props["Layers"]) {
		f.Layers = append(f.Layers, str(l))
	}
	f.Statements, f.PolicyTemplates = policies(props["Policies"])
	rawEvents := asMap(asMap(asMap(asMap(t.Raw["Resources"])[id])["Properties"])["Events"])
	for _, name := range sortedKeys(asMap(props["Events"])) {
		ev := asMap(asMap(props["Events"])[name])
		if str(ev["Type"]) != "S3" {
			continue
		}
		p := asMap(ev["Properties"])
		s3 := S3Event{
			Name:            name,
			Bucket:          str(p["Bucket"]),
			BucketLogicalID: str(asMap(asMap(asMap(rawEvents[name])["Properties"])["Bucket"])["Ref"]),
			Events:          stringList(p["Events"]),
		}
		for _, rule := range asSlice(asMap(asMap(p["Filter"])["S3Key"])["Rules"]) {
			rm := asMap(rule)
			switch strings.ToLower(str(rm["Name"])) {
			case "prefix":
				s3.Prefix = str(rm["Value"])
			case "suffix":
				s3.Suffix = str(rm["Value"])
			}
		}
		f.S3Events = append(f.S3Events, s3)
	}
	return f, true
}

// Layers returns every serverless layer that exists, sorted by logical id.
func (t *Template) Layers() []Layer {
	var out []Layer
	for _, id := range t.ResourceIDs("AWS::Serverless::LayerVersion") {
		res := asMap(asMap(t.Resolved["Resources"])[id])
		props := asMap(res["Properties"])
		l := Layer{LogicalID: id, Resolved: props, Metadata: asMap(res["Metadata"])}
		l.Arn, _ = t.Ref(id)
		l.BuildMethod = str(l.Metadata["BuildMethod"])
		if uri, ok := props["ContentUri"].(string); ok {
			l.ContentDir = t.abs(uri)
		}
		if typed, err := t.CFN.GetServerlessLayerVersionWithName(id); err == nil {
			l.Properties = typed
		}
		out = append(out, l)
	}
	return out
}

// StateMachines returns every serverless state machine that exists, sorted by logical id.
func (t *Template) StateMachines() []StateMachine {
	var out []StateMachine
	for _, id := range t.ResourceIDs("AWS::Serverless::StateMachine") {
		res := asMap(asMap(t.Resolved["Resources"])[id])
		props := asMap(res["Properties"])
		sm := StateMachine{LogicalID: id, Resolved: props, Type: str(props["Type"]), Substitutions: map[string]string{}}
		if sm.Type == "" {
			sm.Type = "STANDARD"
		}
		sm.Arn, _ = t.Ref(id)
		sm.Name, _ = t.GetAtt(id, "Name")
		if uri, ok := props["DefinitionUri"].(string); ok {
			sm.DefinitionPath = t.abs(uri)
		}
		for k, v := range asMap(props["DefinitionSubstitutions"]) {
			sm.Substitutions[k] = str(v)
		}
		sm.Statements, sm.PolicyTemplates = policies(props["Policies"])
		if typed, err := t.CFN.GetServerlessStateMachineWithName(id); err == nil {
			sm.Properties = typed
		}
		out = append(out, sm)
	}
	return out
}

// StateMachine returns the state machine with the given logical id.
func (t *Template) StateMachine(id string) (StateMachine, bool) {
	for _, sm := range t.StateMachines() {
		if sm.LogicalID == id {
			return sm, true
		}
	}
	return StateMachine{}, false
}

// RawDefinition reads the definition file as written, placeholders included.
func (sm StateMachine) RawDefinition() ([]byte, error) {
	if sm.DefinitionPath == "" {
		return nil, fmt.Errorf("samtemplate: %s has no DefinitionUri", sm.LogicalID)
	}
	b, err := os.ReadFile(sm.DefinitionPath)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: read definition of %s: %w", sm.LogicalID, err)
	}
	return b, nil
}

// Definition reads the definition file and replaces every ${Name} with its
// DefinitionSubstitutions value. A placeholder without a substitution is an error.
func (sm StateMachine) Definition() ([]byte, error) {
	b, err := sm.RawDefinition()
	if err != nil {
		return nil, err
	}
	out, err := Substitute(b, sm.Substitutions)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: definition of %s: %w", sm.LogicalID, err)
	}
	return out, nil
}

func (t *Template) abs(uri string) string {
	if filepath.IsAbs(uri) || strings.HasPrefix(uri, "s3://") {
		return uri
	}
	return filepath.Join(t.Dir, filepath.FromSlash(uri))
}

// policies splits a resolved SAM Policies value into inline statements and named templates.
func policies(v any) ([]Statement, []PolicyTemplate) {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	default:
		items = []any{x}
	}
	var stmts []Statement
	var tmpls []PolicyTemplate
	for _, it := range items {
		switch x := it.(type) {
		case string:
			tmpls = append(tmpls, PolicyTemplate{Name: x})
		case map[string]any:
			if st, ok := x["Statement"]; ok {
				list := asSlice(st)
				if list == nil {
					list = []any{st}
				}
				for _, s := range list {
					sm := asMap(s)
					stmts = append(stmts, Statement{
						Sid:       str(sm["Sid"]),
						Effect:    str(sm["Effect"]),
						Actions:   stringList(sm["Action"]),
						Resources: stringList(sm["Resource"]),
						Condition: asMap(sm["Condition"]),
					})
				}
				continue
			}
			for name, args := range x {
				tmpls = append(tmpls, PolicyTemplate{Name: name, Args: asMap(args)})
			}
		}
	}
	return stmts, tmpls
}

// stringList reads a string or a list of strings.
func stringList(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(x))
		for _, it := range x {
			out = append(out, str(it))
		}
		return out
	default:
		return []string{str(x)}
	}
}
