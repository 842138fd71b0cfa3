package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Filter policy scopes (FilterPolicyScope).
const (
	ScopeMessageAttributes = "MessageAttributes"
	ScopeMessageBody       = "MessageBody"
)

// Limits SNS puts on a filter policy.
const (
	maxPolicyKeys         = 5
	maxPolicyCombinations = 150
	maxPolicyBytes        = 256 * 1024
	numericLimit          = 1e9
)

// filterPolicy is a compiled subscription filter policy.
//
// Semantics (as SNS documents them): every key of an object must match
// (AND); within a key's array any condition may match (OR); "$or" holds
// alternative sub-policies. A key whose value is absent matches only
// {"exists": false}. An array value (String.Array attribute, or a JSON
// array in the body) matches when any element does.
type filterPolicy struct {
	scope string
	root  *policyNode
}

type policyNode struct {
	keys []string // sorted, for deterministic evaluation
	rule map[string]*policyRule
	or   [][]*policyNode // each "$or" entry: alternatives
}

type policyRule struct {
	conds  []condition // leaf: OR of conditions
	nested *policyNode // MessageBody scope: nested object
}

// fvalue is one attribute or body value: a string, number, bool or null.
type fvalue struct {
	kind byte // 's', 'n', 'b', 'z' (null)
	s    string
	n    float64
	b    bool
}

type condition interface {
	match(v fvalue) bool
}

type (
	condString     string
	condNumber     float64
	condBool       bool
	condNull       struct{}
	condPrefix     string
	condSuffix     string
	condIgnoreCase string
	condExists     bool
	condAnyBut     []condition
	condCIDR       netip.Prefix
	condNumeric    []numericBound
)

type numericBound struct {
	op string
	n  float64
}

func (c condString) match(v fvalue) bool { return v.kind == 's' && v.s == string(c) }
func (c condNumber) match(v fvalue) bool { return v.kind == 'n' && v.n == float64(c) }
func (c condBool) match(v fvalue) bool   { return v.kind == 'b' && v.b == bool(c) }
func (condNull) match(v fvalue) bool     { return v.kind == 'z' }
func (c condPrefix) match(v fvalue) bool { return v.kind == 's' && strings.HasPrefix(v.s, string(c)) }
func (c condSuffix) match(v fvalue) bool { return v.kind == 's' && strings.HasSuffix(v.s, string(c)) }
func (c condIgnoreCase) match(v fvalue) bool {
	return v.kind == 's' && strings.EqualFold(v.s, string(c))
}
func (c condExists) match(fvalue) bool { return bool(c) } // present values; absence is handled by the caller

func (c condAnyBut) match(v fvalue) bool {
	for _, inner := range c {
		if inner.match(v) {
			return false
		}
	}
	return true
}

func (c condCIDR) match(v fvalue) bool {
	if v.kind != 's' {
		return false
	}
	a, err := netip.ParseAddr(v.s)
	return err == nil && netip.Prefix(c).Contains(a)
}

func (c condNumeric) match(v fvalue) bool {
	if v.kind != 'n' {
		return false
	}
	for _, b := range c {
		var ok bool
		switch b.op {
		case "=":
			ok = v.n == b.n
		case "<":
			ok = v.n < b.n
		case "<=":
			ok = v.n <= b.n
		case ">":
			ok = v.n > b.n
		case ">=":
			ok = v.n >= b.n
		}
		if !ok {
			return false
		}
	}
	return true
}

// policyError is a filter policy that SNS would refuse.
func policyError(format string, args ...any) *APIError {
	return errInvalidParameter("Invalid parameter: FilterPolicy: "+format, args...)
}

// parseFilterPolicy compiles policy for scope ("" means MessageAttributes).
func parseFilterPolicy(policy, scope string) (*filterPolicy, *APIError) {
	if scope == "" {
		scope = ScopeMessageAttributes
	}
	if scope != ScopeMessageAttributes && scope != ScopeMessageBody {
		return nil, errInvalidParameter("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", scope)
	}
	if len(policy) > maxPolicyBytes {
		return nil, policyError("Filter policy is too long")
	}
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, policyError("failed to parse JSON. %v", err)
	}
	if dec.More() {
		return nil, policyError("failed to parse JSON. trailing data")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, policyError("Filter policy must be a JSON object")
	}
	p := &filterPolicy{scope: scope}
	root, err := p.compileNode(obj, 0)
	if err != nil {
		return nil, err
	}
	p.root = root
	if keys := root.leafKeys(); keys > maxPolicyKeys && scope == ScopeMessageAttributes {
		return nil, policyError("Filter policy can not have more than %d keys", maxPolicyKeys)
	}
	if n := root.combinations(); n > maxPolicyCombinations {
		return nil, policyError("Filter policy is too complex")
	}
	return p, nil
}

func (p *filterPolicy) compileNode(obj map[string]any, depth int) (*policyNode, *APIError) {
	if len(obj) == 0 {
		return nil, policyError("Empty objects are not allowed")
	}
	n := &policyNode{rule: map[string]*policyRule{}}
	for k, v := range obj {
		if k == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, policyError(`"$or" must be an array of at least two objects`)
			}
			var branch []*policyNode
			for _, a := range alts {
				ao, ok := a.(map[string]any)
				if !ok {
					return nil, policyError(`"$or" must be an array of objects`)
				}
				bn, err := p.compileNode(ao, depth)
				if err != nil {
					return nil, err
				}
				branch = append(branch, bn)
			}
			n.or = append(n.or, branch)
			continue
		}
		switch tv := v.(type) {
		case []any:
			conds, err := compileConditions(k, tv)
			if err != nil {
				return nil, err
			}
			n.rule[k] = &policyRule{conds: conds}
		case map[string]any:
			if p.scope != ScopeMessageBody {
				return nil, policyError("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			nested, err := p.compileNode(tv, depth+1)
			if err != nil {
				return nil, err
			}
			n.rule[k] = &policyRule{nested: nested}
		default:
			return nil, policyError("Match value of %q must be an array", k)
		}
		n.keys = append(n.keys, k)
	}
	sort.Strings(n.keys)
	return n, nil
}

func compileConditions(key string, vals []any) ([]condition, *APIError) {
	if len(vals) == 0 {
		return nil, policyError("Empty arrays are not allowed (key %q)", key)
	}
	var out []condition
	for _, v := range vals {
		c, err := compileCondition(key, v)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func compileCondition(key string, v any) (condition, *APIError) {
	switch tv := v.(type) {
	case string:
		return condString(tv), nil
	case json.Number:
		f, err := checkedNumber(tv)
		if err != nil {
			return nil, err
		}
		return condNumber(f), nil
	case bool:
		return condBool(tv), nil
	case nil:
		return condNull{}, nil
	case map[string]any:
		if len(tv) != 1 {
			return nil, policyError("Only one key allowed in match expression (key %q)", key)
		}
		for op, arg := range tv {
			return compileOperator(key, op, arg)
		}
	}
	return nil, policyError("Match value of %q must be a string, number, true, false, null or an object", key)
}

func checkedNumber(n json.Number) (float64, *APIError) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.Abs(f) > numericLimit {
		return 0, policyError("Value of %s must be a number between -1.0E9 and 1.0E9", n)
	}
	return f, nil
}

func compileOperator(key, op string, arg any) (condition, *APIError) {
	str := func() (string, *APIError) {
		s, ok := arg.(string)
		if !ok {
			return "", policyError("%s match pattern must be a string (key %q)", op, key)
		}
		return s, nil
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, err := str()
		if err != nil {
			return nil, err
		}
		switch op {
		case "prefix":
			return condPrefix(s), nil
		case "suffix":
			return condSuffix(s), nil
		}
		return condIgnoreCase(s), nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, policyError("exists match pattern must be either true or false (key %q)", key)
		}
		return condExists(b), nil
	case "cidr":
		s, err := str()
		if err != nil {
			return nil, err
		}
		pfx, perr := netip.ParsePrefix(s)
		if perr != nil {
			return nil, policyError("Malformed CIDR, one '/' required (key %q)", key)
		}
		return condCIDR(pfx.Masked()), nil
	case "anything-but":
		return compileAnythingBut(key, arg)
	case "numeric":
		return compileNumeric(key, arg)
	}
	return nil, policyError("Unrecognized match type %s", op)
}

func compileAnythingBut(key string, arg any) (condition, *APIError) {
	switch tv := arg.(type) {
	case string:
		return condAnyBut{condString(tv)}, nil
	case json.Number:
		f, err := checkedNumber(tv)
		if err != nil {
			return nil, err
		}
		return condAnyBut{condNumber(f)}, nil
	case []any:
		if len(tv) == 0 {
			return nil, policyError("Empty arrays are not allowed (key %q)", key)
		}
		var out condAnyBut
		for _, e := range tv {
			switch ev := e.(type) {
			case string:
				out = append(out, condString(ev))
			case json.Number:
				f, err := checkedNumber(ev)
				if err != nil {
					return nil, err
				}
				out = append(out, condNumber(f))
			default:
				return nil, policyError("Inside anything but list, start|null|boolean is not supported (key %q)", key)
			}
		}
		return out, nil
	case map[string]any:
		if len(tv) != 1 {
			return nil, policyError("Only one key allowed in match expression (key %q)", key)
		}
		for op, inner := range tv {
			switch op {
			case "prefix", "suffix", "equals-ignore-case":
				c, err := compileOperator(key, op, inner)
				if err != nil {
					return nil, err
				}
				return condAnyBut{c}, nil
			}
			return nil, policyError("Unsupported anything-but pattern: %s", op)
		}
	}
	return nil, policyError("anything-but must be a string, number, array or prefix/suffix object (key %q)", key)
}

func compileNumeric(key string, arg any) (condition, *APIError) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, policyError("Value of numeric for key %q must be [op, number] or a range", key)
	}
	var out condNumeric
	var lower, upper, equal bool
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return nil, policyError("Unrecognized numeric range operator: %v", list[i])
		}
		num, ok := list[i+1].(json.Number)
		if !ok {
			return nil, policyError("Value of %s must be numeric", op)
		}
		f, err := checkedNumber(num)
		if err != nil {
			return nil, err
		}
		switch op {
		case "=":
			equal = true
		case ">", ">=":
			if lower {
				return nil, policyError("Too many elements in numeric expression")
			}
			lower = true
		case "<", "<=":
			if upper {
				return nil, policyError("Too many elements in numeric expression")
			}
			upper = true
		default:
			return nil, policyError("Unrecognized numeric range operator: %s", op)
		}
		out = append(out, numericBound{op: op, n: f})
	}
	if equal && len(out) > 1 {
		return nil, policyError("Too many elements in numeric expression")
	}
	if len(out) == 2 && out[0].op[0] != '>' {
		return nil, policyError("Bad numeric range operator: %s", out[0].op)
	}
	return out, nil
}

func (n *policyNode) leafKeys() int {
	c := 0
	for _, k := range n.keys {
		if r := n.rule[k]; r.nested != nil {
			c += r.nested.leafKeys()
		} else {
			c++
		}
	}
	for _, alts := range n.or {
		for _, a := range alts {
			c += a.leafKeys()
		}
	}
	return c
}

// combinations is SNS's complexity measure: the product of the number of
// values per key, with "$or" alternatives adding up.
func (n *policyNode) combinations() int {
	total := 1
	for _, k := range n.keys {
		r := n.rule[k]
		if r.nested != nil {
			total *= r.nested.combinations()
		} else {
			total *= len(r.conds)
		}
	}
	for _, alts := range n.or {
		sum := 0
		for _, a := range alts {
			sum += a.combinations()
		}
		total *= sum
	}
	return total
}

// matchValues applies one leaf rule to the values of one key (nil when absent).
func matchLeaf(conds []condition, vals []fvalue, present bool) bool {
	for _, c := range conds {
		if e, ok := c.(condExists); ok {
			if bool(e) == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		for _, v := range vals {
			if c.match(v) {
				return true
			}
		}
	}
	return false
}

// matchAttributes evaluates the policy against message attributes.
func (p *filterPolicy) matchAttributes(attrs map[string]MessageAttribute) bool {
	return p.root.matchAttrs(attrs)
}

func (n *policyNode) matchAttrs(attrs map[string]MessageAttribute) bool {
	for _, k := range n.keys {
		a, present := attrs[k]
		var vals []fvalue
		if present {
			vals = a.filterValues()
		}
		if !matchLeaf(n.rule[k].conds, vals, present) {
			return false
		}
	}
	for _, alts := range n.or {
		ok := false
		for _, alt := range alts {
			if alt.matchAttrs(attrs) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchBody evaluates the policy against a JSON message body; a body that
// is not a JSON object matches nothing.
func (p *filterPolicy) matchBody(body string) bool {
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return false
	}
	return p.root.matchObject(obj)
}

func (n *policyNode) matchObject(obj map[string]any) bool {
	for _, k := range n.keys {
		r := n.rule[k]
		v, present := obj[k]
		if r.nested != nil {
			if !present || !matchNested(r.nested, v) {
				return false
			}
			continue
		}
		var vals []fvalue
		if present {
			vals, present = bodyValues(v)
		}
		if !matchLeaf(r.conds, vals, present) {
			return false
		}
	}
	for _, alts := range n.or {
		ok := false
		for _, alt := range alts {
			if alt.matchObject(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func matchNested(n *policyNode, v any) bool {
	switch tv := v.(type) {
	case map[string]any:
		return n.matchObject(tv)
	case []any:
		for _, e := range tv {
			if o, ok := e.(map[string]any); ok && n.matchObject(o) {
				return true
			}
		}
	}
	return false
}

// bodyValues flattens a body value into leaf values; objects are not leaves.
func bodyValues(v any) ([]fvalue, bool) {
	switch tv := v.(type) {
	case []any:
		var out []fvalue
		for _, e := range tv {
			if fv, ok := scalarValue(e); ok {
				out = append(out, fv)
			}
		}
		return out, true
	case map[string]any:
		return nil, true
	}
	fv, ok := scalarValue(v)
	if !ok {
		return nil, true
	}
	return []fvalue{fv}, true
}

func scalarValue(v any) (fvalue, bool) {
	switch tv := v.(type) {
	case string:
		return fvalue{kind: 's', s: tv}, true
	case json.Number:
		f, err := strconv.ParseFloat(string(tv), 64)
		if err != nil {
			return fvalue{}, false
		}
		return fvalue{kind: 'n', n: f}, true
	case float64:
		return fvalue{kind: 'n', n: tv}, true
	case bool:
		return fvalue{kind: 'b', b: tv}, true
	case nil:
		return fvalue{kind: 'z'}, true
	}
	return fvalue{}, false
}

// filterValues gives an attribute's values for matching: a String is one
// string, a Number one number, a String.Array its elements; Binary
// attributes match nothing but exists.
func (a MessageAttribute) filterValues() []fvalue {
	base, _, _ := strings.Cut(a.DataType, ".")
	switch {
	case a.DataType == "String.Array":
		dec := json.NewDecoder(strings.NewReader(a.StringValue))
		dec.UseNumber()
		var arr []any
		if err := dec.Decode(&arr); err != nil {
			return nil
		}
		vals, _ := bodyValues(arr)
		return vals
	case base == "Number":
		f, err := strconv.ParseFloat(a.StringValue, 64)
		if err != nil {
			return nil
		}
		return []fvalue{{kind: 'n', n: f}}
	case base == "String":
		return []fvalue{{kind: 's', s: a.StringValue}}
	}
	return nil
}

// String describes the policy for logs.
func (p *filterPolicy) String() string {
	return fmt.Sprintf("filterPolicy(%s, %d keys)", p.scope, p.root.leafKeys())
}
