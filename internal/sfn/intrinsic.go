package sfn

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Intrinsic functions (States.*) of the JSONPath query language.

type iArgKind int

const (
	argLit iArgKind = iota
	argPath
	argCall
)

type iArg struct {
	kind iArgKind
	lit  any
	path string
	call *iCall
}

type iCall struct {
	name string
	args []iArg
}

type iParser struct {
	s   string
	pos int
}

func parseIntrinsic(s string) (*iCall, error) {
	p := &iParser{s: s}
	c, err := p.call()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("invalid intrinsic function %q: trailing characters", s)
	}
	return c, nil
}

func (p *iParser) ws() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *iParser) call() (*iCall, error) {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) && (isIdentChar(p.s[p.pos]) || p.s[p.pos] == '.') {
		p.pos++
	}
	name := p.s[start:p.pos]
	if !strings.HasPrefix(name, "States.") {
		return nil, fmt.Errorf("invalid intrinsic function name %q", name)
	}
	p.ws()
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, fmt.Errorf("invalid intrinsic function %q: expected '('", p.s)
	}
	p.pos++
	c := &iCall{name: name}
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
		return c, nil
	}
	for {
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		p.ws()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("invalid intrinsic function %q: unterminated", p.s)
		}
		if p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.s[p.pos] == ')' {
			p.pos++
			return c, nil
		}
		return nil, fmt.Errorf("invalid intrinsic function %q: unexpected %q", p.s, p.s[p.pos])
	}
}

func (p *iParser) arg() (iArg, error) {
	p.ws()
	if p.pos >= len(p.s) {
		return iArg{}, fmt.Errorf("invalid intrinsic function %q: missing argument", p.s)
	}
	switch c := p.s[p.pos]; {
	case c == '\'':
		return p.str()
	case c == '$':
		return iArg{kind: argPath, path: p.path()}, nil
	case strings.HasPrefix(p.s[p.pos:], "States."):
		call, err := p.call()
		if err != nil {
			return iArg{}, err
		}
		return iArg{kind: argCall, call: call}, nil
	}
	return p.literal()
}

// str reads a quoted string argument with its escapes.
func (p *iParser) str() (iArg, error) {
	p.pos++
	var sb strings.Builder
	for p.pos < len(p.s) {
		ch := p.s[p.pos]
		if ch == '\\' && p.pos+1 < len(p.s) {
			switch nx := p.s[p.pos+1]; nx {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			default:
				sb.WriteByte(nx)
			}
			p.pos += 2
			continue
		}
		if ch == '\'' {
			p.pos++
			return iArg{kind: argLit, lit: sb.String()}, nil
		}
		sb.WriteByte(ch)
		p.pos++
	}
	return iArg{}, fmt.Errorf("invalid intrinsic function %q: unterminated string", p.s)
}

// path reads a path argument up to the ',', ' ' or ')' that ends it
// outside brackets and quotes.
func (p *iParser) path() string {
	start := p.pos
	depth := 0
	var quote byte
	for ; p.pos < len(p.s); p.pos++ {
		ch := p.s[p.pos]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '[' || ch == '(':
			depth++
		case ch == ']' || ch == ')':
			if depth == 0 {
				return p.s[start:p.pos]
			}
			depth--
		case (ch == ',' || ch == ' ') && depth == 0:
			return p.s[start:p.pos]
		}
	}
	return p.s[start:p.pos]
}

// literal reads true, false, null or a number.
func (p *iParser) literal() (iArg, error) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != ',' && p.s[p.pos] != ')' && p.s[p.pos] != ' ' {
		p.pos++
	}
	tok := p.s[start:p.pos]
	switch tok {
	case "true":
		return iArg{kind: argLit, lit: true}, nil
	case "false":
		return iArg{kind: argLit, lit: false}, nil
	case "null":
		return iArg{kind: argLit, lit: nil}, nil
	}
	if _, err := strconv.ParseFloat(tok, 64); err == nil {
		return iArg{kind: argLit, lit: json.Number(tok)}, nil
	}
	return iArg{}, fmt.Errorf("invalid intrinsic function %q: bad argument %q", p.s, tok)
}

func (c *iCall) eval(sc *scope, rt *runtimeCtx) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch a.kind {
		case argLit:
			args[i] = a.lit
		case argCall:
			v, err := a.call.eval(sc, rt)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case argPath:
			p, err := parsePath(a.path)
			if err != nil {
				return nil, newErr(ErrIntrinsicFailure, rt.stateCause(err.Error()))
			}
			v, err := p.eval(sc)
			if err != nil {
				return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf(
					"The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
					a.path, c.name, encodeJSON(sc.input))))
			}
			args[i] = v
		}
	}
	v, err := callIntrinsic(c.name, args, rt)
	if err != nil {
		return nil, newErr(ErrIntrinsicFailure, rt.stateCause(err.Error()))
	}
	return v, nil
}

func wantArgs(name string, args []any, n ...int) error {
	for _, x := range n {
		if len(args) == x {
			return nil
		}
	}
	return fmt.Errorf("Invalid number of arguments for %s: %d", name, len(args))
}

func argString(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("Invalid arguments in %s: expected a string, but got %s", name, typeName(v))
	}
	return s, nil
}

func argArray(name string, v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("Invalid arguments in %s: expected an array, but got %s", name, typeName(v))
	}
	return a, nil
}

func argInt(name string, v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("Invalid arguments in %s: expected an integer, but got %s", name, typeName(v))
	}
	i, ok := numInt(n)
	if !ok {
		return 0, fmt.Errorf("Invalid arguments in %s: expected an integer, but got %s", name, string(n))
	}
	return i, nil
}

// roundHalfUp rounds an exact decimal to the nearest integer, halves up.
func roundHalfUp(n json.Number) (*big.Int, bool) {
	r, ok := numRat(n)
	if !ok {
		return nil, false
	}
	// floor(x + 1/2), as Java's Math.round. The denominator is positive, so
	// Euclidean division (Int.Div) is the floor.
	a := new(big.Rat).Add(r, big.NewRat(1, 2))
	return new(big.Int).Div(a.Num(), a.Denom()), true
}

// formatArg renders a value the way States.Format does (Java style for
// containers).
func formatArg(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return "null"
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + formatArg(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = formatArg(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return encodeJSON(v)
}

func roundArg(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	i, ok := roundHalfUp(n)
	if !ok {
		return v
	}
	return json.Number(i.String())
}

// canonNumbers rewrites numbers like "-0" or "1.0" the way AWS's JSON
// parser prints them back (integers stay integers).
func canonNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		s := string(t)
		if strings.ContainsAny(s, ".eE") {
			f, err := t.Float64()
			if err == nil && !math.IsInf(f, 0) {
				return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
			}
			return t
		}
		if s == "-0" {
			return json.Number("0")
		}
		return t
	case []any:
		for i := range t {
			t[i] = canonNumbers(t[i])
		}
		return t
	case map[string]any:
		for k := range t {
			t[k] = canonNumbers(t[k])
		}
		return t
	}
	return v
}

// newHash returns the hash Step Functions names alg (States.Hash and the
// JSONata $hash accept the same five).
func newHash(alg string) (hash.Hash, bool) {
	switch alg {
	case "MD5":
		return md5.New(), true
	case "SHA-1":
		return sha1.New(), true
	case "SHA-256":
		return sha256.New(), true
	case "SHA-384":
		return sha512.New384(), true
	case "SHA-512":
		return sha512.New(), true
	}
	return nil, false
}
