package sfn

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func testRT() *runtimeCtx {
	eng, _ := New(&Config{Clock: NewFakeClock(time.Unix(0, 0)), RandSeed: 1, NewUUID: func() string { return "u-1" }})
	ex := &Execution{eng: eng, opts: StartOptions{Name: "n"}, input: map[string]any{}}
	ex.rng = nil
	f := &frame{ex: ex, vars: newVarScope(nil)}
	return &runtimeCtx{f: f, st: &State{Name: "S"}, enteredID: 2}
}

func TestIntrinsics(t *testing.T) {
	input := `{"s":"a,b,,c","n":[1,2,3,4,5],"o":{"k":"v"},"x":1.5,"y":-2.5,"j":"{\"a\":[1,2.0]}","b64":"aGVsbG8="}`
	tests := []struct {
		name, expr, want string
		wantErr          bool
	}{
		{"format", `States.Format('{} and {} \{x\}', $.o.k, $.n)`, `"v and [1, 2, 3, 4, 5] {x}"`, false},
		{"format object", `States.Format('{}', $.o)`, `"{k=v}"`, false},
		{"format arity", `States.Format('{}')`, ``, true},
		{"string to json", `States.StringToJson($.j)`, `{"a":[1,2]}`, false},
		{"json to string", `States.JsonToString($.o)`, `"{\"k\":\"v\"}"`, false},
		{"array", `States.Array(1, 'two', $.o, null)`, `[1,"two",{"k":"v"},null]`, false},
		{"partition", `States.ArrayPartition($.n, 2)`, `[[1,2],[3,4],[5]]`, false},
		{"contains", `States.ArrayContains($.n, 3)`, `true`, false},
		{"range", `States.ArrayRange(10, 0, -5)`, `[10,5,0]`, false},
		{"get item", `States.ArrayGetItem($.n, 4)`, `5`, false},
		{"get item out of range", `States.ArrayGetItem($.n, 5)`, ``, true},
		{"length", `States.ArrayLength($.n)`, `5`, false},
		{"unique", `States.ArrayUnique(States.Array(1, 1, 2, 1.0))`, `[1,2]`, false},
		{"base64 encode", `States.Base64Encode('hello')`, `"aGVsbG8="`, false},
		{"base64 decode", `States.Base64Decode($.b64)`, `"hello"`, false},
		{"hash", `States.Hash('input data', 'SHA-1')`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`, false},
		{"hash bad alg", `States.Hash('x', 'CRC')`, ``, true},
		{"merge", `States.JsonMerge($.o, States.StringToJson('{"k":1,"z":2}'), false)`, `{"k":1,"z":2}`, false},
		{"math add rounds half up", `States.MathAdd($.x, $.y)`, `0`, false},
		{"math add ints", `States.MathAdd(9007199254740993, 1)`, `9007199254740994`, false},
		{"split", `States.StringSplit($.s, ',')`, `["a","b","c"]`, false},
		{"uuid", `States.UUID()`, `"u-1"`, false},
		{"nested", `States.ArrayLength(States.StringSplit($.s, ','))`, `3`, false},
		{"unknown", `States.Nope()`, ``, true},
	}
	in, _ := decodeJSON([]byte(input))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := testRT()
			got, err := evalDynamic(tc.expr, "f.$", &scope{input: in, ctx: map[string]any{}, vars: rt.f.vars}, rt)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want error, got %s", encodeJSON(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			want, _ := decodeJSON([]byte(tc.want))
			if !jsonEqual(got, want) {
				t.Fatalf("got %s, want %s", encodeJSON(got), tc.want)
			}
		})
	}
}

func TestMathRandomRange(t *testing.T) {
	rt := testRT()
	rt.rand = fixedRand(3)
	v, err := callIntrinsic("States.MathRandom", []any{jsonNum("10"), jsonNum("20")}, rt)
	if err != nil || encodeJSON(v) != "13" {
		t.Fatalf("got %v %v", v, err)
	}
}

type fixedRand int64

func (f fixedRand) Int64N(int64) int64 { return int64(f) }

func jsonNum(s string) any { v, _ := decodeJSON([]byte(s)); return v }

func TestPaths(t *testing.T) {
	doc, _ := decodeJSON([]byte(`{"a":{"b":[{"c":1},{"c":2}]},"k.e":3,"arr":[1,2,3,4]}`))
	tests := []struct {
		name, path, want, err string
	}{
		{"root", "$", `{"a":{"b":[{"c":1},{"c":2}]},"k.e":3,"arr":[1,2,3,4]}`, ""},
		{"dotted", "$.a.b[1].c", `2`, ""},
		{"bracket key", "$['k.e']", `3`, ""},
		{"wildcard", "$.a.b[*].c", `[1,2]`, ""},
		{"slice", "$.arr[1:3]", `[2,3]`, ""},
		{"filter", "$.a.b[?(@.c > 1)]", `[{"c":2}]`, ""},
		{"missing leaf", "$.a.x", "", "No results for path: $['a']['x']"},
		{"missing middle", "$.x.y", "", "Missing property in path $['x']"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePath(tc.path)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := p.eval(&scope{input: doc})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			want, _ := decodeJSON([]byte(tc.want))
			if !jsonEqual(got, want) {
				t.Fatalf("got %s, want %s", encodeJSON(got), tc.want)
			}
		})
	}
}

func TestSetPath(t *testing.T) {
	tests := []struct {
		name, in, path, val, want string
	}{
		{"new nested", `{"a":1}`, "$.b.c", `2`, `{"a":1,"b":{"c":2}}`},
		{"replace", `{"a":{"x":1}}`, "$.a", `"r"`, `{"a":"r"}`},
		{"index", `{"a":[1,2]}`, "$.a[1]", `9`, `{"a":[1,9]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, _ := decodeJSON([]byte(tc.in))
			orig := encodeJSON(in)
			p, _ := parsePath(tc.path)
			v, _ := decodeJSON([]byte(tc.val))
			got, err := setPath(in, p.segs, v)
			if err != nil {
				t.Fatalf("set: %v", err)
			}
			want, _ := decodeJSON([]byte(tc.want))
			if !jsonEqual(got, want) {
				t.Fatalf("got %s, want %s", encodeJSON(got), tc.want)
			}
			if encodeJSON(in) != orig {
				t.Fatalf("input mutated")
			}
		})
	}
}

func TestChoiceOperators(t *testing.T) {
	tests := []struct {
		name, op  string
		val, opnd any
		want      bool
	}{
		{"string eq", "StringEquals", "a", "a", true},
		{"string type mismatch", "StringEquals", jsonNum("1"), "1", false},
		{"string lt", "StringLessThan", "a", "b", true},
		{"numeric exact", "NumericEquals", jsonNum("1.0"), jsonNum("1"), true},
		{"numeric gte", "NumericGreaterThanEquals", jsonNum("2"), jsonNum("2.5"), false},
		{"bool", "BooleanEquals", true, true, true},
		{"ts lt", "TimestampLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01+00:00", true},
		{"ts invalid", "TimestampEquals", "2020-01-01", "2020-01-01", false},
		{"is timestamp", "IsTimestamp", "2016-03-14T01:59:00Z", true, true},
		{"is numeric", "IsNumeric", "1", true, false},
		{"is string", "IsString", "1", true, true},
		{"is null", "IsNull", nil, true, true},
		{"matches", "StringMatches", "log-2024.txt", "log-*.txt", true},
		{"matches escaped star", "StringMatches", "a*b", `a\*b`, true},
		{"matches escaped star no", "StringMatches", "axb", `a\*b`, false},
		{"matches empty pattern", "StringMatches", "", "", true},
		{"matches star only", "StringMatches", "anything", "*", true},
		{"matches middle", "StringMatches", "xaybz", "*a*b*", true},
		{"matches suffix needed", "StringMatches", "ab", "*a*b*c", false},
		{"matches exact no", "StringMatches", "abc", "ab", false},
		{"matches prefix suffix overlap", "StringMatches", "aba", "ab*ba", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := compareOp(tc.op, tc.val, tc.opnd); got != tc.want {
				t.Fatalf("%s(%v, %v) = %v, want %v", tc.op, tc.val, tc.opnd, got, tc.want)
			}
		})
	}
}

func TestErrorMatches(t *testing.T) {
	tests := []struct {
		name   string
		equals []string
		err    string
		want   bool
	}{
		{"all", []string{ErrALL}, "Custom", true},
		{"all not runtime", []string{ErrALL}, ErrRuntime, false},
		{"task failed wildcard", []string{ErrTaskFailed}, "Lambda.Unknown", true},
		{"task failed not timeout", []string{ErrTaskFailed}, ErrTimeout, false},
		{"exact", []string{"A", "B"}, "B", true},
		{"no match", []string{"A"}, "B", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorMatches(tc.equals, tc.err); got != tc.want {
				t.Fatalf("errorMatches(%v, %q) = %v", tc.equals, tc.err, got)
			}
		})
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b[0]", "$$.Execution.Input", "$x.y", "$.a[?(@.b > 1)]", "$..c", "$['k']"} {
		f.Add(s)
	}
	doc, _ := decodeJSON([]byte(`{"a":{"b":[1,{"c":2}]},"k":"v"}`))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePath(s)
		if err != nil {
			return
		}
		_, _ = p.eval(&scope{input: doc, ctx: doc, vars: newVarScope(nil)})
		if p.isReference() && p.root == rootInput {
			_, _ = setPath(doc, p.segs, "x")
		}
	})
}

func FuzzIntrinsic(f *testing.F) {
	for _, s := range []string{"States.Format('{} {}', $.a, 'x')", "States.ArrayRange(1, 10, 2)", "States.ArrayPartition($.n, 1000000000000000000)", "States.MathAdd(1.5, -2.5)", "States.StringSplit('a,b', ',')"} {
		f.Add(s)
	}
	in, _ := decodeJSON([]byte(`{"a":"s","n":[1,2,3]}`))
	f.Fuzz(func(t *testing.T, s string) {
		rt := testRT()
		rt.rand = fixedRand(0)
		_, _ = evalDynamic(s, "f.$", &scope{input: in, ctx: in, vars: rt.f.vars}, rt)
	})
}

func FuzzWildcard(f *testing.F) {
	f.Add("a*b", "axxb")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 256 {
			return
		}
		_ = wildcardMatch(pattern, s)
	})
}

// TestStateFieldSpecs keeps the State struct, stateFieldSpecs and the
// kinds table in step: every field the struct decodes has a spec, every
// spec a struct field, and every field a kind accepts a spec.
func TestStateFieldSpecs(t *testing.T) {
	st := reflect.TypeOf(State{})
	decoded := map[string]bool{}
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || slices.Contains(commonFields, name) {
			continue
		}
		decoded[name] = true
		if _, ok := stateFieldSpecs[name]; !ok {
			t.Errorf("State field %s has no stateFieldSpecs entry", name)
		}
	}
	for name := range stateFieldSpecs {
		if !decoded[name] {
			t.Errorf("stateFieldSpecs lists %s, which State does not decode", name)
		}
	}
	for typ, k := range kinds {
		for _, name := range k.fields {
			if _, ok := stateFieldSpecs[name]; !ok {
				t.Errorf("kind %s accepts %s, which has no stateFieldSpecs entry", typ, name)
			}
		}
	}
}

// TestMapRunCounts: a streamed reader's totals grow as it reads, until an
// ItemCounter's count arrives; at the reader's end they are what was read.
func TestMapRunCounts(t *testing.T) {
	tests := []struct {
		name                 string
		steps                func(r *MapRun)
		total, pending, runs int64
	}{
		{"growing", func(r *MapRun) { r.started(2); r.started(3) }, 5, 0, 5},
		{"counted early", func(r *MapRun) { r.started(2); r.counted(10); r.started(3) }, 10, 5, 5},
		{"count too low", func(r *MapRun) { r.counted(3); r.started(2); r.started(3) }, 5, 0, 5},
		{"read to the end", func(r *MapRun) { r.counted(10); r.started(4); r.readDone() }, 4, 0, 4},
		{"count after the end", func(r *MapRun) { r.started(4); r.readDone(); r.counted(10) }, 4, 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newMapRun(MapRunInfo{}, tolerance{})
			tc.steps(r)
			c := r.Info().ItemCounts
			if c.Total != tc.total || c.Pending != tc.pending || c.Running != tc.runs {
				t.Fatalf("counts %+v, want total %d pending %d running %d", c, tc.total, tc.pending, tc.runs)
			}
		})
	}
}
