package samtemplate

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrCycle is wrapped by the error Cycle returns.
var ErrCycle = errors.New("circular dependency")

// Dependencies returns, for every declared resource, the resources it depends on: the targets
// of Ref, Fn::GetAtt and Fn::Sub variables in its definition (Globals merged), its DependsOn,
// and the edges the SAM transform adds: a bucket named by a function's S3 event depends on
// that function (its notification configuration and invoke permission name the function).
func (t *Template) Dependencies() map[string][]string {
	resources := asMap(t.merged["Resources"])
	deps := map[string]map[string]bool{}
	add := func(from, to string) {
		if from == to {
			return
		}
		if deps[from] == nil || resources[to] == nil {
			return
		}
		deps[from][to] = true
	}
	for id := range resources {
		deps[id] = map[string]bool{}
	}
	for id, v := range resources {
		res := asMap(v)
		props := asMap(res["Properties"])
		for k, pv := range props {
			if k == "Events" && str(res["Type"]) == "AWS::Serverless::Function" {
				// An S3 event's Bucket moves to the bucket's notification configuration;
				// the function itself does not depend on the bucket (handled below).
				for _, ev := range asMap(pv) {
					e := asMap(ev)
					for pk, ppv := range asMap(e["Properties"]) {
						if str(e["Type"]) == "S3" && pk == "Bucket" {
							continue
						}
						for _, target := range references(ppv) {
							add(id, target)
						}
					}
				}
				continue
			}
			for _, target := range references(pv) {
				add(id, target)
			}
		}
		for _, d := range stringList(res["DependsOn"]) {
			add(id, d)
		}
		if str(res["Type"]) == "AWS::Serverless::Function" {
			for _, ev := range asMap(asMap(res["Properties"])["Events"]) {
				e := asMap(ev)
				if str(e["Type"]) != "S3" {
					continue
				}
				if b := str(asMap(asMap(e["Properties"])["Bucket"])["Ref"]); b != "" {
					add(b, id)
				}
			}
		}
	}
	out := map[string][]string{}
	for id, set := range deps {
		out[id] = sortedKeys(set)
	}
	return out
}

// Cycle returns an error wrapping ErrCycle that names the first circular dependency found
// between resources, or nil. CloudFormation refuses to deploy a template with one.
func (t *Template) Cycle() error {
	deps := t.Dependencies()
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(id string) []string
	visit = func(id string) []string {
		state[id] = onPath
		path = append(path, id)
		for _, d := range deps[id] {
			switch state[d] {
			case onPath:
				for i, p := range path {
					if p == d {
						return append(append([]string{}, path[i:]...), d)
					}
				}
			case unseen:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		return nil
	}
	ids := sortedKeys(deps)
	sort.Strings(ids)
	for _, id := range ids {
		if state[id] == unseen {
			if c := visit(id); c != nil {
				return fmt.Errorf("%w: %s", ErrCycle, strings.Join(c, " -> "))
			}
		}
	}
	return nil
}

// references returns the logical names that Ref, Fn::GetAtt and Fn::Sub inside v refer to
// (parameters and pseudo parameters included; callers filter).
func references(v any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 1 {
				if s, ok := x["Ref"].(string); ok {
					out = append(out, s)
					return
				}
				if ga, ok := x["Fn::GetAtt"]; ok {
					switch g := ga.(type) {
					case string:
						id, _, _ := strings.Cut(g, ".")
						out = append(out, id)
					case []any:
						if len(g) > 0 {
							out = append(out, str(g[0]))
						}
						for _, it := range g[1:] {
							walk(it)
						}
					}
					return
				}
				if sub, ok := x["Fn::Sub"]; ok {
					format := sub
					var vars map[string]any
					if list, ok := sub.([]any); ok && len(list) == 2 {
						format = list[0]
						vars = asMap(list[1])
						walk(list[1])
					}
					for _, m := range subVar.FindAllStringSubmatch(str(format), -1) {
						name := strings.TrimSpace(m[1])
						if strings.HasPrefix(name, "!") || vars[name] != nil {
							continue
						}
						id, _, _ := strings.Cut(name, ".")
						out = append(out, id)
					}
					return
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
