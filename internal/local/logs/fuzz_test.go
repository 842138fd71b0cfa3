package logs

import "testing"

// FuzzParseFilter: any pattern parses or fails with a FilterError, and a
// compiled pattern matches any message without panicking.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{"", "ERROR", `"Task timed out"`, "-Init REPORT", "?a ?b", `{ $.level = "error" }`,
		`{ ($.a[0].b != "x*y") || $.n >= 1.5 && $.c NOT EXISTS }`, `{ $. = }`, `[a, b]`, `%x%`, `{ $.a = "`, `{ ((`} {
		f.Add(seed, `{"level":"error","a":[{"b":"xzy"}],"n":2}`)
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		m, err := ParseFilter(pattern)
		if err != nil {
			if _, ok := err.(*FilterError); !ok {
				t.Fatalf("ParseFilter(%q) = %T %v, want a FilterError", pattern, err, err)
			}
			return
		}
		if m != nil {
			m(msg)
		}
	})
}
