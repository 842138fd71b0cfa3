package sfn

// varScope holds workflow variables (Assign). Child workflows (Parallel
// branches, Map iterations) get a child scope that reads through to the
// parent but assigns locally.
type varScope struct {
	parent *varScope
	vals   map[string]any
}

func newVarScope(parent *varScope) *varScope { return &varScope{parent: parent} }

func (v *varScope) get(name string) (any, bool) {
	for s := v; s != nil; s = s.parent {
		if x, ok := s.vals[name]; ok {
			return x, true
		}
	}
	return nil, false
}

func (v *varScope) set(name string, x any) {
	if v.vals == nil {
		v.vals = make(map[string]any)
	}
	v.vals[name] = x
}

// all returns every visible variable, inner scopes shadowing outer ones.
func (v *varScope) all() map[string]any {
	out := map[string]any{}
	var chain []*varScope
	for s := v; s != nil; s = s.parent {
		chain = append(chain, s)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, x := range chain[i].vals {
			out[k] = x
		}
	}
	return out
}
