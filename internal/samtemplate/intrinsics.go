package samtemplate

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// noValue is what Ref AWS::NoValue yields: the enclosing key or list item is dropped.
var noValue = &struct{ noValue bool }{true}

// resolver evaluates CloudFormation intrinsic functions over a long-form template.
type resolver struct {
	tmpl      map[string]any
	opts      Options
	params    map[string]any
	conds     map[string]bool
	condBusy  map[string]bool
	propBusy  map[string]bool
	errs      []error
	resources map[string]any
}

func newResolver(tmpl map[string]any, opts Options) *resolver {
	r := &resolver{
		tmpl:      tmpl,
		opts:      opts,
		params:    map[string]any{},
		conds:     map[string]bool{},
		condBusy:  map[string]bool{},
		propBusy:  map[string]bool{},
		resources: asMap(tmpl["Resources"]),
	}
	for name, v := range asMap(tmpl["Parameters"]) {
		p := asMap(v)
		val, ok := p["Default"]
		if o, has := opts.Parameters[name]; has {
			val, ok = o, true
		}
		if !ok {
			r.errorf("Parameters.%s: no value and no Default", name)
			val = ""
		}
		if strings.HasPrefix(str(p["Type"]), "CommaDelimitedList") || strings.HasPrefix(str(p["Type"]), "List<") {
			var items []any
			if s := str(val); s != "" {
				for _, it := range strings.Split(s, ",") {
					items = append(items, strings.TrimSpace(it))
				}
			}
			r.params[name] = items
			continue
		}
		if allowed := asSlice(p["AllowedValues"]); len(allowed) > 0 {
			found := false
			for _, a := range allowed {
				if str(a) == str(val) {
					found = true
				}
			}
			if !found {
				r.errorf("Parameters.%s: %q is not one of the AllowedValues", name, str(val))
			}
		}
		if pat := str(p["AllowedPattern"]); pat != "" {
			if re, err := regexp.Compile("^(?:" + pat + ")$"); err == nil && !re.MatchString(str(val)) {
				r.errorf("Parameters.%s: %q does not match AllowedPattern %s", name, str(val), pat)
			}
		}
		r.params[name] = str(val)
	}
	for name := range opts.Parameters {
		if _, ok := r.params[name]; !ok {
			r.errorf("Parameters.%s: overridden but not declared", name)
		}
	}
	return r
}

func (r *resolver) errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, args...))
}

func (r *resolver) paramStrings() map[string]string {
	out := map[string]string{}
	for k, v := range r.params {
		if items, ok := v.([]any); ok {
			parts := make([]string, len(items))
			for i, it := range items {
				parts[i] = str(it)
			}
			out[k] = strings.Join(parts, ",")
			continue
		}
		out[k] = str(v)
	}
	return out
}

func (r *resolver) allConditions() map[string]bool {
	out := map[string]bool{}
	for name := range asMap(r.tmpl["Conditions"]) {
		out[name] = r.condition(name, "Conditions."+name)
	}
	return out
}

// resolveTemplate returns the template with every intrinsic resolved and the resources and
// outputs whose Condition is false left out.
func (r *resolver) resolveTemplate() map[string]any {
	out := map[string]any{}
	for k, v := range r.tmpl {
		switch k {
		case "Resources", "Outputs":
			section := map[string]any{}
			for id, item := range asMap(v) {
				m := asMap(item)
				if c := str(m["Condition"]); c != "" && !r.condition(c, k+"."+id+".Condition") {
					continue
				}
				section[id] = r.eval(item, k+"."+id)
			}
			out[k] = section
		case "Conditions":
			conds := map[string]any{}
			for name := range asMap(v) {
				conds[name] = r.condition(name, "Conditions."+name)
			}
			out[k] = conds
		case "Parameters", "Mappings", "Metadata", "Transform", "AWSTemplateFormatVersion", "Description":
			out[k] = v
		default:
			out[k] = r.eval(v, k)
		}
	}
	return out
}

func (r *resolver) condition(name, path string) bool {
	if v, ok := r.conds[name]; ok {
		return v
	}
	expr, ok := asMap(r.tmpl["Conditions"])[name]
	if !ok {
		r.errorf("%s: unknown condition %q", path, name)
		return false
	}
	if r.condBusy[name] {
		r.errorf("%s: condition %q refers to itself", path, name)
		return false
	}
	r.condBusy[name] = true
	v := r.eval(expr, "Conditions."+name)
	delete(r.condBusy, name)
	b, ok := v.(bool)
	if !ok {
		r.errorf("Conditions.%s: does not evaluate to a boolean", name)
	}
	r.conds[name] = b
	return b
}

func (r *resolver) eval(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if fn, ok := intrinsicFuncs[k]; ok {
					if k == "Condition" {
						if _, isStr := arg.(string); !isStr {
							break
						}
					}
					return fn(r, arg, path+"."+k)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev := r.eval(e, path+"."+k)
			if ev == noValue {
				continue
			}
			out[k] = ev
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			ev := r.eval(e, fmt.Sprintf("%s[%d]", path, i))
			if ev == noValue {
				continue
			}
			out = append(out, ev)
		}
		return out
	default:
		return v
	}
}

type intrinsicFunc func(r *resolver, arg any, path string) any

var intrinsicFuncs map[string]intrinsicFunc

func init() {
	intrinsicFuncs = map[string]intrinsicFunc{
		"Ref":             fnRef,
		"Fn::GetAtt":      fnGetAtt,
		"Fn::Sub":         fnSub,
		"Fn::Join":        fnJoin,
		"Fn::If":          fnIf,
		"Fn::Equals":      fnEquals,
		"Fn::Not":         fnNot,
		"Fn::And":         fnAndOr(true),
		"Fn::Or":          fnAndOr(false),
		"Condition":       fnCondition,
		"Fn::Select":      fnSelect,
		"Fn::Split":       fnSplit,
		"Fn::Base64":      fnBase64,
		"Fn::FindInMap":   fnFindInMap,
		"Fn::GetAZs":      fnGetAZs,
		"Fn::ImportValue": fnUnsupported,
		"Fn::Cidr":        fnUnsupported,
		"Fn::Transform":   fnUnsupported,
	}
}

func fnUnsupported(r *resolver, _ any, path string) any {
	r.errorf("%s: not supported by the local resolver", path)
	return ""
}

func fnRef(r *resolver, arg any, path string) any {
	name, ok := arg.(string)
	if !ok {
		r.errorf("%s: Ref takes a name", path)
		return ""
	}
	v, err := r.ref(name)
	if err != nil {
		r.errorf("%s: %v", path, err)
		return ""
	}
	return v
}

func fnGetAtt(r *resolver, arg any, path string) any {
	var id, attr string
	switch x := arg.(type) {
	case string:
		id, attr, _ = strings.Cut(x, ".")
	case []any:
		if len(x) == 2 {
			id = str(x[0])
			attr = str(r.eval(x[1], path))
		}
	}
	if id == "" || attr == "" {
		r.errorf("%s: Fn::GetAtt takes [logicalId, attribute]", path)
		return ""
	}
	v, err := r.getAtt(id, attr)
	if err != nil {
		r.errorf("%s: %v", path, err)
		return ""
	}
	return v
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func fnSub(r *resolver, arg any, path string) any {
	var format string
	vars := map[string]any{}
	switch x := arg.(type) {
	case string:
		format = x
	case []any:
		if len(x) != 2 {
			r.errorf("%s: Fn::Sub takes a string or [string, {vars}]", path)
			return ""
		}
		format = str(x[0])
		for k, v := range asMap(x[1]) {
			vars[k] = r.eval(v, path+"."+k)
		}
	default:
		r.errorf("%s: Fn::Sub takes a string or [string, {vars}]", path)
		return ""
	}
	return subVar.ReplaceAllStringFunc(format, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		name = strings.TrimSpace(name)
		if v, ok := vars[name]; ok {
			return str(v)
		}
		if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err := r.getAtt(id, attr)
			if err != nil {
				r.errorf("%s: ${%s}: %v", path, name, err)
			}
			return str(v)
		}
		v, err := r.ref(name)
		if err != nil {
			r.errorf("%s: ${%s}: %v", path, name, err)
		}
		if items, ok := v.([]any); ok {
			r.errorf("%s: ${%s} is a list", path, name)
			return fmt.Sprint(items...)
		}
		return str(v)
	})
}

func fnJoin(r *resolver, arg any, path string) any {
	x := asSlice(r.eval(arg, path))
	if len(x) != 2 {
		r.errorf("%s: Fn::Join takes [delimiter, [values]]", path)
		return ""
	}
	var parts []string
	for _, it := range asSlice(x[1]) {
		parts = append(parts, str(it))
	}
	return strings.Join(parts, str(x[0]))
}

func fnIf(r *resolver, arg any, path string) any {
	x := asSlice(arg)
	if len(x) != 3 {
		r.errorf("%s: Fn::If takes [condition, then, else]", path)
		return ""
	}
	if r.condition(str(x[0]), path) {
		return r.eval(x[1], path+"[1]")
	}
	return r.eval(x[2], path+"[2]")
}

func fnEquals(r *resolver, arg any, path string) any {
	x := asSlice(r.eval(arg, path))
	if len(x) != 2 {
		r.errorf("%s: Fn::Equals takes two values", path)
		return false
	}
	a, _ := json.Marshal(x[0])
	b, _ := json.Marshal(x[1])
	return string(a) == string(b) || str(x[0]) == str(x[1])
}

func fnNot(r *resolver, arg any, path string) any {
	x := asSlice(r.eval(arg, path))
	if len(x) != 1 {
		r.errorf("%s: Fn::Not takes one condition", path)
		return false
	}
	b, ok := x[0].(bool)
	if !ok {
		r.errorf("%s: Fn::Not of a non-boolean", path)
	}
	return !b
}

func fnAndOr(isAnd bool) intrinsicFunc {
	return func(r *resolver, arg any, path string) any {
		x := asSlice(r.eval(arg, path))
		acc := isAnd
		for _, it := range x {
			b, ok := it.(bool)
			if !ok {
				r.errorf("%s: operand is not a boolean", path)
			}
			if isAnd {
				acc = acc && b
			} else {
				acc = acc || b
			}
		}
		return acc
	}
}

func fnCondition(r *resolver, arg any, path string) any {
	return r.condition(str(arg), path)
}

func fnSelect(r *resolver, arg any, path string) any {
	x := asSlice(r.eval(arg, path))
	if len(x) != 2 {
		r.errorf("%s: Fn::Select takes [index, list]", path)
		return ""
	}
	var i int
	if _, err := fmt.Sscan(str(x[0]), &i); err != nil {
		r.errorf("%s: index %v", path, err)
		return ""
	}
	list := asSlice(x[1])
	if i < 0 || i >= len(list) {
		r.errorf("%s: index %d out of range", path, i)
		return ""
	}
	return list[i]
}

func fnSplit(r *resolver, arg any, path string) any {
	x := asSlice(r.eval(arg, path))
	if len(x) != 2 {
		r.errorf("%s: Fn::Split takes [delimiter, string]", path)
		return []any{}
	}
	var out []any
	for _, p := range strings.Split(str(x[1]), str(x[0])) {
		out = append(out, p)
	}
	return out
}

func fnBase64(r *resolver, arg any, path string) any {
	return base64.StdEncoding.EncodeToString([]byte(str(r.eval(arg, path))))
}

func fnFindInMap(r *resolver, arg any, path string) any {
	x := asSlice(r.eval(arg, path))
	if len(x) < 3 {
		r.errorf("%s: Fn::FindInMap takes [map, key, key]", path)
		return ""
	}
	m := asMap(asMap(r.tmpl["Mappings"])[str(x[0])])
	v, ok := asMap(m[str(x[1])])[str(x[2])]
	if !ok {
		r.errorf("%s: no mapping %s.%s.%s", path, str(x[0]), str(x[1]), str(x[2]))
		return ""
	}
	return v
}

func fnGetAZs(r *resolver, _ any, _ string) any {
	reg := r.opts.Region
	return []any{reg + "a", reg + "b", reg + "c"}
}

// ref resolves Ref for pseudo parameters, parameters and resources.
func (r *resolver) ref(name string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return r.opts.AccountID, nil
	case "AWS::Region":
		return r.opts.Region, nil
	case "AWS::StackName":
		return r.opts.StackName, nil
	case "AWS::Partition":
		return r.opts.Partition, nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000",
			r.opts.Partition, r.opts.Region, r.opts.AccountID, r.opts.StackName), nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	case "AWS::NoValue":
		return noValue, nil
	}
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	return r.resourceValue(name, "")
}

func (r *resolver) getAtt(id, attr string) (any, error) {
	return r.resourceValue(id, attr)
}

func (r *resolver) refString(name string) (string, error) {
	v, err := r.ref(name)
	return str(v), err
}

func (r *resolver) getAttString(id, attr string) (string, error) {
	v, err := r.getAtt(id, attr)
	return str(v), err
}

func (r *resolver) resourceValue(id, attr string) (any, error) {
	res := asMap(r.resources[id])
	if res == nil {
		if attr == "" {
			return "", fmt.Errorf("Ref to undeclared parameter or resource %q", id)
		}
		return "", fmt.Errorf("Fn::GetAtt of undeclared resource %q", id)
	}
	if c := str(res["Condition"]); c != "" && !r.condition(c, "Resources."+id+".Condition") {
		return "", fmt.Errorf("%q is not created (condition %s is false)", id, c)
	}
	if r.opts.Resolve != nil {
		if v, ok := r.opts.Resolve(id, attr); ok {
			return v, nil
		}
	}
	return r.defaultValue(id, str(res["Type"]), attr)
}

// prop evaluates one property of a resource, guarding against a property that refers back to
// its own resource.
func (r *resolver) prop(id, name string) string {
	key := id + "." + name
	if r.propBusy[key] {
		r.errorf("Resources.%s.Properties.%s refers to itself", id, name)
		return ""
	}
	v, ok := asMap(asMap(r.resources[id])["Properties"])[name]
	if !ok {
		return ""
	}
	r.propBusy[key] = true
	defer delete(r.propBusy, key)
	return str(r.eval(v, "Resources."+id+".Properties."+name))
}

// physicalName is the resource's explicit name property, else "<stack>-<logicalId>".
func (r *resolver) physicalName(id, nameProp string) string {
	if nameProp != "" {
		if n := r.prop(id, nameProp); n != "" {
			return n
		}
	}
	return r.opts.StackName + "-" + id
}

func (r *resolver) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", r.opts.Partition, service, r.opts.Region, r.opts.AccountID, resource)
}

// defaultValue returns the Ref (attr == "") or GetAtt value CloudFormation would return, with
// deterministic physical ids.
func (r *resolver) defaultValue(id, typ, attr string) (any, error) {
	unknown := func() (any, error) {
		return "", fmt.Errorf("no attribute %q for %s (%s)", attr, id, typ)
	}
	switch typ {
	case "AWS::Serverless::Function", "AWS::Lambda::Function":
		name := r.physicalName(id, "FunctionName")
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return r.arn("lambda", "function:"+name), nil
		}
		return unknown()
	case "AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion":
		layerArn := r.arn("lambda", "layer:"+r.physicalName(id, "LayerName")+":1")
		if attr == "" || attr == "LayerVersionArn" {
			return layerArn, nil
		}
		return unknown()
	case "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine":
		nameProp := "Name"
		if typ == "AWS::StepFunctions::StateMachine" {
			nameProp = "StateMachineName"
		}
		name := r.physicalName(id, nameProp)
		switch attr {
		case "", "Arn":
			return r.arn("states", "stateMachine:"+name), nil
		case "Name":
			return name, nil
		}
		return unknown()
	case "AWS::S3::Bucket":
		name := strings.ToLower(r.physicalName(id, "BucketName"))
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return fmt.Sprintf("arn:%s:s3:::%s", r.opts.Partition, name), nil
		case "DomainName":
			return name + ".s3.amazonaws.com", nil
		case "RegionalDomainName":
			return name + ".s3." + r.opts.Region + ".amazonaws.com", nil
		}
		return unknown()
	case "AWS::SNS::Topic":
		name := r.physicalName(id, "TopicName")
		switch attr {
		case "", "TopicArn":
			return r.arn("sns", name), nil
		case "TopicName":
			return name, nil
		}
		return unknown()
	case "AWS::SQS::Queue":
		name := r.physicalName(id, "QueueName")
		url := fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", r.opts.Region, r.opts.AccountID, name)
		switch attr {
		case "", "QueueUrl":
			return url, nil
		case "Arn":
			return r.arn("sqs", name), nil
		case "QueueName":
			return name, nil
		}
		return unknown()
	case "AWS::Logs::LogGroup":
		name := r.physicalName(id, "LogGroupName")
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return r.arn("logs", "log-group:"+name+":*"), nil
		}
		return unknown()
	case "AWS::KMS::Key":
		// Key ids are UUIDs AWS picks; this one is derived from the stack and logical id.
		sum := sha256.Sum256([]byte(r.opts.StackName + "/" + id))
		h := hex.EncodeToString(sum[:16])
		keyID := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		switch attr {
		case "", "KeyId":
			return keyID, nil
		case "Arn":
			return r.arn("kms", "key/"+keyID), nil
		}
		return unknown()
	case "AWS::KMS::Alias":
		if attr == "" {
			return r.prop(id, "AliasName"), nil
		}
		return unknown()
	case "AWS::IAM::Role":
		name := r.physicalName(id, "RoleName")
		switch attr {
		case "":
			return name, nil
		case "Arn":
			return fmt.Sprintf("arn:%s:iam::%s:role/%s", r.opts.Partition, r.opts.AccountID, name), nil
		}
		return unknown()
	}
	if attr == "" {
		return r.opts.StackName + "-" + id, nil
	}
	return unknown()
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
