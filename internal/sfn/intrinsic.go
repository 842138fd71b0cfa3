package sfn

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
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
	c := p.s[p.pos]
	switch {
	case c == '\'':
		p.pos++
		var sb strings.Builder
		for p.pos < len(p.s) {
			ch := p.s[p.pos]
			if ch == '\\' && p.pos+1 < len(p.s) {
				nx := p.s[p.pos+1]
				switch nx {
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
	case c == '$':
		start := p.pos
		depth := 0
		var quote byte
		for p.pos < len(p.s) {
			ch := p.s[p.pos]
			if quote != 0 {
				if ch == quote {
					quote = 0
				}
				p.pos++
				continue
			}
			if ch == '\'' || ch == '"' {
				quote = ch
			} else if ch == '[' || ch == '(' {
				depth++
			} else if ch == ']' || ch == ')' {
				if depth == 0 {
					break
				}
				depth--
			} else if (ch == ',' || ch == ' ') && depth == 0 {
				break
			}
			p.pos++
		}
		return iArg{kind: argPath, path: p.s[start:p.pos]}, nil
	case strings.HasPrefix(p.s[p.pos:], "States."):
		call, err := p.call()
		if err != nil {
			return iArg{}, err
		}
		return iArg{kind: argCall, call: call}, nil
	default:
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

func callIntrinsic(name string, args []any, rt *runtimeCtx) (any, error) {
	switch name {
	case "States.Format":
		if len(args) < 1 {
			return nil, wantArgs(name, args, 1)
		}
		f, err := argString(name, args[0])
		if err != nil {
			return nil, err
		}
		var sb strings.Builder
		ai := 1
		for i := 0; i < len(f); i++ {
			if f[i] == '\\' && i+1 < len(f) {
				sb.WriteByte(f[i+1])
				i++
				continue
			}
			if f[i] == '{' && i+1 < len(f) && f[i+1] == '}' {
				if ai >= len(args) {
					return nil, fmt.Errorf("Number of arguments in States.Format does not match the number of placeholders")
				}
				sb.WriteString(formatArg(args[ai]))
				ai++
				i++
				continue
			}
			sb.WriteByte(f[i])
		}
		if ai != len(args) {
			return nil, fmt.Errorf("Number of arguments in States.Format does not match the number of placeholders")
		}
		return sb.String(), nil
	case "States.StringToJson":
		if err := wantArgs(name, args, 1); err != nil {
			return nil, err
		}
		s, err := argString(name, args[0])
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		v, err := decodeJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("Invalid arguments in %s: the string is not valid JSON", name)
		}
		return canonNumbers(v), nil
	case "States.JsonToString":
		if err := wantArgs(name, args, 1); err != nil {
			return nil, err
		}
		return encodeJSON(args[0]), nil
	case "States.Array":
		out := make([]any, len(args))
		copy(out, args)
		return out, nil
	case "States.ArrayPartition":
		if err := wantArgs(name, args, 2); err != nil {
			return nil, err
		}
		arr, err := argArray(name, args[0])
		if err != nil {
			return nil, err
		}
		n, err := argInt(name, args[1])
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return nil, fmt.Errorf("Invalid arguments in %s: chunk size must be a positive integer", name)
		}
		if n > int64(len(arr)) {
			n = int64(max(len(arr), 1))
		}
		out := []any{}
		for i := 0; i < len(arr); i += int(n) {
			j := min(i+int(n), len(arr))
			chunk := make([]any, j-i)
			copy(chunk, arr[i:j])
			out = append(out, chunk)
		}
		return out, nil
	case "States.ArrayContains":
		if err := wantArgs(name, args, 2); err != nil {
			return nil, err
		}
		arr, err := argArray(name, args[0])
		if err != nil {
			return nil, err
		}
		for _, e := range arr {
			if jsonEqual(e, args[1]) {
				return true, nil
			}
		}
		return false, nil
	case "States.ArrayRange":
		if err := wantArgs(name, args, 3); err != nil {
			return nil, err
		}
		var v [3]int64
		for i := range 3 {
			x, err := argInt(name, args[i])
			if err != nil {
				return nil, err
			}
			v[i] = x
		}
		if v[2] == 0 {
			return nil, fmt.Errorf("Invalid arguments in %s: step cannot be zero", name)
		}
		out := []any{}
		for x := v[0]; (v[2] > 0 && x <= v[1]) || (v[2] < 0 && x >= v[1]); x += v[2] {
			out = append(out, json.Number(strconv.FormatInt(x, 10)))
			if len(out) > 1000 {
				return nil, fmt.Errorf("Invalid arguments in %s: the range exceeds 1000 elements", name)
			}
		}
		return out, nil
	case "States.ArrayGetItem":
		if err := wantArgs(name, args, 2); err != nil {
			return nil, err
		}
		arr, err := argArray(name, args[0])
		if err != nil {
			return nil, err
		}
		i, err := argInt(name, args[1])
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= int64(len(arr)) {
			return nil, fmt.Errorf("Invalid arguments in %s: index %d out of bounds", name, i)
		}
		return arr[i], nil
	case "States.ArrayLength":
		if err := wantArgs(name, args, 1); err != nil {
			return nil, err
		}
		arr, err := argArray(name, args[0])
		if err != nil {
			return nil, err
		}
		return json.Number(strconv.Itoa(len(arr))), nil
	case "States.ArrayUnique":
		if err := wantArgs(name, args, 1); err != nil {
			return nil, err
		}
		arr, err := argArray(name, args[0])
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, e := range arr {
			dup := false
			for _, o := range out {
				if jsonEqual(e, o) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, e)
			}
		}
		return out, nil
	case "States.Base64Encode":
		if err := wantArgs(name, args, 1); err != nil {
			return nil, err
		}
		s, err := argString(name, args[0])
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "States.Base64Decode":
		if err := wantArgs(name, args, 1); err != nil {
			return nil, err
		}
		s, err := argString(name, args[0])
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("Invalid arguments in %s: invalid base64 input", name)
		}
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("Invalid arguments in %s: decoded data is not UTF-8", name)
		}
		return string(b), nil
	case "States.Hash":
		if err := wantArgs(name, args, 2); err != nil {
			return nil, err
		}
		s, err := argString(name, args[0])
		if err != nil {
			return nil, err
		}
		alg, err := argString(name, args[1])
		if err != nil {
			return nil, err
		}
		h, ok := newHash(alg)
		if !ok {
			return nil, fmt.Errorf("Invalid arguments in %s: unsupported hash algorithm %s", name, alg)
		}
		h.Write([]byte(s))
		return hex.EncodeToString(h.Sum(nil)), nil
	case "States.JsonMerge":
		if err := wantArgs(name, args, 3); err != nil {
			return nil, err
		}
		a, ok1 := args[0].(map[string]any)
		b, ok2 := args[1].(map[string]any)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("Invalid arguments in %s: expected two JSON objects", name)
		}
		deep, ok := args[2].(bool)
		if !ok {
			return nil, fmt.Errorf("Invalid arguments in %s: expected a boolean", name)
		}
		if deep {
			return nil, fmt.Errorf("Invalid arguments in %s: deep merge is not supported", name)
		}
		out := make(map[string]any, len(a)+len(b))
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out, nil
	case "States.MathRandom":
		if err := wantArgs(name, args, 2, 3); err != nil {
			return nil, err
		}
		lo, err := argInt(name, roundArg(args[0]))
		if err != nil {
			return nil, err
		}
		hi, err := argInt(name, roundArg(args[1]))
		if err != nil {
			return nil, err
		}
		if hi <= lo {
			return nil, fmt.Errorf("Invalid arguments in %s: start must be less than end", name)
		}
		return json.Number(strconv.FormatInt(lo+rt.rand.Int64N(hi-lo), 10)), nil
	case "States.MathAdd":
		if err := wantArgs(name, args, 2); err != nil {
			return nil, err
		}
		sum := new(big.Int)
		for _, a := range args {
			n, ok := a.(json.Number)
			if !ok {
				return nil, fmt.Errorf("Invalid arguments in %s: expected a number, but got %s", name, typeName(a))
			}
			i, ok := roundHalfUp(n)
			if !ok {
				return nil, fmt.Errorf("Invalid arguments in %s: bad number %s", name, n)
			}
			sum.Add(sum, i)
		}
		return json.Number(sum.String()), nil
	case "States.StringSplit":
		if err := wantArgs(name, args, 2); err != nil {
			return nil, err
		}
		s, err := argString(name, args[0])
		if err != nil {
			return nil, err
		}
		d, err := argString(name, args[1])
		if err != nil {
			return nil, err
		}
		parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) })
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "States.UUID":
		if err := wantArgs(name, args, 0); err != nil {
			return nil, err
		}
		return rt.uuid(), nil
	}
	return nil, fmt.Errorf("Unsupported intrinsic function %s", name)
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
