package samtemplate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// placeholder matches a DefinitionSubstitutions reference, ${Name}.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.:-]+)\}`)

// Placeholders returns the distinct ${Name} placeholder names in a definition, sorted.
func Placeholders(def []byte) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllSubmatch(def, -1) {
		seen[string(m[1])] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Substitute replaces each ${Name} in def with subs[Name], the way the SAM transform applies
// DefinitionSubstitutions. Every placeholder without a value is reported in one error.
func Substitute(def []byte, subs map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := subs[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no DefinitionSubstitutions value for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// UnusedSubstitutions returns the substitution keys that no placeholder in def refers to.
func UnusedSubstitutions(def []byte, subs map[string]string) []string {
	used := map[string]bool{}
	for _, n := range Placeholders(def) {
		used[n] = true
	}
	var unused []string
	for _, k := range sortedKeys(subs) {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	return unused
}
