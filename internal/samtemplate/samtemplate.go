// Package samtemplate loads the project's AWS SAM template (template.yaml) and answers the
// questions a local stack and the template tests ask of it: which functions exist and how they
// are configured, which S3 events trigger them, which state machine definition file they run
// and with which DefinitionSubstitutions.
//
// Loading happens in three passes:
//
//  1. YAML short tags (!Ref, !Sub, !GetAtt, !Condition ...) become their long JSON form.
//  2. SAM Globals are merged into each serverless resource, and every intrinsic function is
//     resolved against parameter values, pseudo parameters and physical ids (Options).
//  3. goformation unmarshals the resolved document into its typed resources.
//
// The as-written document (long-form intrinsics, no Globals merge) stays available as Raw, so
// tests can check how a value is written (a !Sub name versus a !Ref) and not only what it means.
package samtemplate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// Default pseudo parameter values, the ones local AWS emulators conventionally use.
const (
	DefaultAccountID = "000000000000"
	DefaultRegion    = "us-east-1"
	DefaultStackName = "imgflow"
	DefaultPartition = "aws"
)

// ResolveFunc returns the value of Ref (attribute == "") or Fn::GetAtt for a resource.
// Returning ok == false falls back to the default physical ids (see Template.Ref).
type ResolveFunc func(logicalID, attribute string) (value any, ok bool)

// Options tune how intrinsic functions are resolved. The zero value is usable.
type Options struct {
	// Parameters overrides parameter defaults, like `sam deploy --parameter-overrides`.
	Parameters map[string]string
	AccountID  string
	Region     string
	StackName  string
	Partition  string
	// Resolve, when set, is asked first for every resource Ref and Fn::GetAtt.
	Resolve ResolveFunc
}

func (o *Options) setDefaults() {
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.StackName == "" {
		o.StackName = DefaultStackName
	}
	if o.Partition == "" {
		o.Partition = DefaultPartition
	}
}

// Template is a loaded SAM template.
type Template struct {
	// Path is the template file; Dir its directory, against which CodeUri, ContentUri and
	// DefinitionUri are resolved.
	Path string
	Dir  string
	// Raw is the document as written, with intrinsics in long form and Globals not merged.
	Raw map[string]any
	// Resolved is the document with Globals merged, intrinsics resolved and resources or
	// outputs whose Condition is false removed. Globals is dropped.
	Resolved map[string]any
	// CFN is Resolved unmarshalled into goformation's typed resources.
	CFN *cloudformation.Template
	// Parameters holds the effective value of every parameter.
	Parameters map[string]string
	// Conditions holds the value of every condition.
	Conditions map[string]bool
	// Untyped lists "LogicalId.Property" entries that goformation's schema does not know
	// (e.g. a newer SAM property); they are left out of CFN but kept in Resolved.
	Untyped []string

	opts   Options
	res    *resolver
	merged map[string]any
}

// Load reads and resolves the template at path with default Options.
func Load(path string) (*Template, error) {
	return LoadWithOptions(path, Options{})
}

// LoadWithOptions reads and resolves the template at path.
func LoadWithOptions(path string, opts Options) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: load: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: load: %w", err)
	}
	t, err := Parse(data, opts)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: load %s: %w", path, err)
	}
	t.Path = abs
	t.Dir = filepath.Dir(abs)
	return t, nil
}

// Parse resolves a template given as YAML or JSON bytes. Relative paths in it are resolved
// against the working directory; use LoadWithOptions to resolve them against the file.
func Parse(data []byte, opts Options) (*Template, error) {
	opts.setDefaults()
	longForm, err := longFormJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	raw, err := decodeJSON(longForm)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	rawMap, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New("parse: template is not a mapping")
	}
	if _, ok := rawMap["Resources"].(map[string]any); !ok {
		return nil, errors.New("parse: template has no Resources")
	}

	work, err := deepCopy(rawMap)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	mergeGlobals(work)

	r := newResolver(work, opts)
	resolved := r.resolveTemplate()
	if err := errors.Join(r.errs...); err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}

	cfn, untyped, err := typed(resolved)
	if err != nil {
		return nil, fmt.Errorf("parse: goformation: %w", err)
	}

	wd, _ := os.Getwd()
	return &Template{
		Dir:        wd,
		Raw:        rawMap,
		Resolved:   resolved,
		CFN:        cfn,
		Parameters: r.paramStrings(),
		Conditions: r.allConditions(),
		opts:       opts,
		res:        r,
		merged:     work,
		Untyped:    untyped,
	}, nil
}

// Options returns the options the template was resolved with, defaults filled in.
func (t *Template) Options() Options { return t.opts }

// ResourceIDs returns the logical ids of the resources that exist (their Condition holds),
// sorted, optionally only those of the given types.
func (t *Template) ResourceIDs(types ...string) []string {
	resources, _ := t.Resolved["Resources"].(map[string]any)
	var ids []string
	for id, v := range resources {
		if len(types) > 0 {
			typ := str(asMap(v)["Type"])
			match := false
			for _, want := range types {
				if typ == want {
					match = true
					break
				}
			}
			if !match {
				continue
			}
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ResourceType returns the Type of a resource as written ("" when there is none).
func (t *Template) ResourceType(logicalID string) string {
	return str(asMap(asMap(t.Raw["Resources"])[logicalID])["Type"])
}

// Enabled reports whether a resource exists in this deployment: it is declared and its
// Condition, if any, holds.
func (t *Template) Enabled(logicalID string) bool {
	_, ok := asMap(t.Resolved["Resources"])[logicalID]
	return ok
}

// Ref returns what Ref yields for a parameter, pseudo parameter or resource. Resources get
// Options.Resolve's answer or a default physical id: functions their name, buckets, queues'
// URLs, topics', layers' and state machines' ARNs, as CloudFormation returns them.
func (t *Template) Ref(name string) (string, error) {
	return t.res.refString(name)
}

// GetAtt returns what Fn::GetAtt yields for a resource attribute, e.g. ("ResizeFunction", "Arn").
func (t *Template) GetAtt(logicalID, attribute string) (string, error) {
	return t.res.getAttString(logicalID, attribute)
}

// Outputs returns the value of every output that exists, resolved.
func (t *Template) Outputs() map[string]string {
	out := map[string]string{}
	for name, v := range asMap(t.Resolved["Outputs"]) {
		out[name] = str(asMap(v)["Value"])
	}
	return out
}

var (
	unknownField    = regexp.MustCompile(`unknown field "([^"]+)"`)
	stringForNumber = regexp.MustCompile(`cannot unmarshal string into Go struct field \S*?Properties\.(\S+) of type (u?int\d*|float\d*|bool)`)
)

// numberAt replaces the strings at path (field names; lists are descended into, as encoding/json
// leaves their indexes out of an error's field path) with the number or boolean they spell. It
// reports whether it changed anything.
func numberAt(v any, path []string, kind string) bool {
	if list, ok := v.([]any); ok {
		changed := false
		for _, it := range list {
			changed = numberAt(it, path, kind) || changed
		}
		return changed
	}
	m := asMap(v)
	if m == nil || len(path) == 0 {
		return false
	}
	if len(path) > 1 {
		return numberAt(m[path[0]], path[1:], kind)
	}
	s, ok := m[path[0]].(string)
	if !ok {
		return false
	}
	if kind == "bool" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false
		}
		m[path[0]] = b
		return true
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	m[path[0]] = json.Number(s)
	return true
}

// typed unmarshals the resolved template into goformation's types. goformation rejects
// properties its schema lacks, so each resource is tried alone first and unknown top-level
// properties are dropped from the typed copy (and reported) instead of failing the load.
func typed(resolved map[string]any) (*cloudformation.Template, []string, error) {
	clean, err := deepCopy(resolved)
	if err != nil {
		return nil, nil, err
	}
	var untyped []string
	resources := asMap(clean["Resources"])
	for _, id := range sortedKeys(resources) {
		res := asMap(resources[id])
		for range 32 {
			b, err := json.Marshal(map[string]any{"Resources": map[string]any{id: res}})
			if err != nil {
				return nil, nil, err
			}
			_, err = goformation.ParseJSONWithOptions(b, &intrinsics.ProcessorOptions{NoProcess: true})
			if err == nil {
				break
			}
			props := asMap(res["Properties"])
			if m := stringForNumber.FindStringSubmatch(err.Error()); m != nil && props != nil {
				// A Ref to a Number parameter resolves to a string; CloudFormation converts it
				// for a numeric property, so the typed copy does too.
				if !numberAt(props, strings.Split(m[1], "."), m[2]) {
					return nil, nil, fmt.Errorf("%s: %w", id, err)
				}
				continue
			}
			m := unknownField.FindStringSubmatch(err.Error())
			if m == nil || props == nil {
				return nil, nil, fmt.Errorf("%s: %w", id, err)
			}
			if _, ok := props[m[1]]; !ok {
				return nil, nil, fmt.Errorf("%s: %w", id, err)
			}
			delete(props, m[1])
			untyped = append(untyped, id+"."+m[1])
		}
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return nil, nil, err
	}
	cfn, err := goformation.ParseJSONWithOptions(b, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, nil, err
	}
	return cfn, untyped, nil
}

// decodeJSON decodes keeping numbers exact (json.Number), so 100000000 stays "100000000".
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func deepCopy(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// str renders a scalar the way CloudFormation would pass it to a string property.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
