package sfn

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/theory/jsonpath"
)

// This file implements ASL JSONPath: "reference paths" (a simple
// dotted/bracketed path used by ResultPath and Choice), and general paths
// (wildcards, slices, filters) delegated to an RFC 9535 implementation.
// Paths may be rooted at the state input ($), the context object ($$) or
// a variable ($name).

type pathRoot int

const (
	rootInput pathRoot = iota
	rootContext
	rootVar
)

type pathSeg struct {
	key   string
	idx   int
	isIdx bool
}

type jpath struct {
	raw     string
	root    pathRoot
	varName string
	segs    []pathSeg
	// general is non-nil for non-reference paths (wildcards, filters...).
	general *jsonpath.Path
}

var pathCache sync.Map // string -> *jpath or error

// parsePath parses an ASL path once and caches the result.
func parsePath(s string) (*jpath, error) {
	if v, ok := pathCache.Load(s); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*jpath), nil
	}
	p, err := parsePathUncached(s)
	if err != nil {
		pathCache.Store(s, err)
		return nil, err
	}
	pathCache.Store(s, p)
	return p, nil
}

func parsePathUncached(s string) (*jpath, error) {
	p := &jpath{raw: s}
	rest := ""
	switch {
	case strings.HasPrefix(s, "$$"):
		p.root = rootContext
		rest = s[2:]
	case s == "$" || strings.HasPrefix(s, "$.") || strings.HasPrefix(s, "$["):
		p.root = rootInput
		rest = s[1:]
	case strings.HasPrefix(s, "$"):
		p.root = rootVar
		i := 1
		for i < len(s) && (isIdentChar(s[i])) {
			i++
		}
		p.varName = s[1:i]
		if p.varName == "" {
			return nil, fmt.Errorf("invalid path %q", s)
		}
		rest = s[i:]
	default:
		return nil, fmt.Errorf("invalid path %q: must start with '$'", s)
	}
	segs, ok := parseSimpleSegs(rest)
	if ok {
		p.segs = segs
		return p, nil
	}
	gp, err := jsonpath.Parse("$" + rest)
	if err != nil {
		gp, err = jsonpath.Parse("$" + jaywayToRFC(rest))
		if err != nil {
			return nil, fmt.Errorf("invalid path %q: %v", s, err)
		}
	}
	p.general = gp
	return p, nil
}

// jaywayToRFC rewrites the common Jayway filter spelling `[?(@.a)]` into
// RFC 9535 syntax where they differ (quotes in filters).
func jaywayToRFC(s string) string {
	return strings.ReplaceAll(s, `"`, `'`)
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// parseSimpleSegs parses `.a.b[0]['c']`; ok is false for anything that
// is not a reference path.
func parseSimpleSegs(s string) ([]pathSeg, bool) {
	var segs []pathSeg
	i := 0
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			key := s[i+1 : j]
			if key == "" || key == "*" || strings.ContainsAny(key, "()?@ *") {
				return nil, false
			}
			segs = append(segs, pathSeg{key: key})
			i = j
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, false
			}
			inner := s[i+1 : i+j]
			if len(inner) >= 2 && (inner[0] == '\'' && inner[len(inner)-1] == '\'' || inner[0] == '"' && inner[len(inner)-1] == '"') {
				key := inner[1 : len(inner)-1]
				if strings.ContainsAny(key, `'"`) {
					return nil, false
				}
				segs = append(segs, pathSeg{key: key})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, false
				}
				segs = append(segs, pathSeg{idx: n, isIdx: true})
			}
			i += j + 1
		default:
			return nil, false
		}
	}
	return segs, true
}

// isReference reports whether p is a reference path (no wildcards).
func (p *jpath) isReference() bool { return p.general == nil }

// pathError describes a failed lookup in Jayway's words.
type pathError struct {
	msg string
}

func (e *pathError) Error() string { return e.msg }

func normSegs(segs []pathSeg) string {
	var sb strings.Builder
	sb.WriteByte('$')
	for _, s := range segs {
		if s.isIdx {
			fmt.Fprintf(&sb, "[%d]", s.idx)
		} else {
			sb.WriteString("['")
			sb.WriteString(s.key)
			sb.WriteString("']")
		}
	}
	return sb.String()
}

// evalOn evaluates the path against root (already chosen by the caller).
func (p *jpath) evalOn(root any) (any, error) {
	if p.general != nil {
		nodes := p.general.Select(root)
		out := make([]any, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, n)
		}
		return out, nil
	}
	cur := root
	for i, s := range p.segs {
		last := i == len(p.segs)-1
		if s.isIdx {
			arr, ok := cur.([]any)
			if !ok || s.idx >= len(arr) {
				if last {
					return nil, &pathError{"No results for path: " + normSegs(p.segs)}
				}
				return nil, &pathError{"Missing property in path " + normSegs(p.segs[:i+1])}
			}
			cur = arr[s.idx]
			continue
		}
		obj, ok := cur.(map[string]any)
		var v any
		if ok {
			v, ok = obj[s.key]
		}
		if !ok {
			if last {
				return nil, &pathError{"No results for path: " + normSegs(p.segs)}
			}
			return nil, &pathError{"Missing property in path " + normSegs(p.segs[:i+1])}
		}
		cur = v
	}
	return cur, nil
}

// scope is what a path can see: the state input, the context object and
// the variables in scope.
type scope struct {
	input any
	ctx   any
	vars  *varScope
}

// errVarMissing marks a reference to an undeclared variable.
type varMissingError struct{ name string }

func (e *varMissingError) Error() string { return "variable $" + e.name + " not found" }

func (p *jpath) eval(sc *scope) (any, error) {
	switch p.root {
	case rootContext:
		return p.evalOn(sc.ctx)
	case rootVar:
		v, ok := sc.vars.get(p.varName)
		if !ok {
			return nil, &varMissingError{p.varName}
		}
		return p.evalOn(v)
	}
	return p.evalOn(sc.input)
}

// setPath returns a copy of root with value stored at the reference path,
// creating intermediate objects (ResultPath semantics).
func setPath(root any, segs []pathSeg, value any) (any, error) {
	if len(segs) == 0 {
		return value, nil
	}
	s := segs[0]
	if s.isIdx {
		arr, ok := root.([]any)
		if !ok || s.idx >= len(arr) {
			return nil, &pathError{"Missing property in path " + normSegs(segs[:1])}
		}
		child, err := setPath(arr[s.idx], segs[1:], value)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(arr))
		copy(out, arr)
		out[s.idx] = child
		return out, nil
	}
	var obj map[string]any
	switch t := root.(type) {
	case map[string]any:
		obj = t
	case nil:
		obj = nil
	default:
		return nil, &pathError{"Unable to set property"}
	}
	child, err := setPath(obj[s.key], segs[1:], value)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		out[k] = v
	}
	out[s.key] = child
	return out, nil
}
