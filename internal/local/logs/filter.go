package logs

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The filter pattern subset served (CloudWatch Logs "Filter pattern
// syntax"):
//
//   - terms: `ERROR timeout` matches messages containing every term
//     (case-sensitive); `"two words"` is one term; `-term` excludes;
//     `?a ?b` matches messages containing any of the ?-terms.
//   - JSON: `{ $.level = "error" }` on messages that are JSON objects;
//     selectors `$.a.b` and `$.a[0]`; operators = != < <= > >=; strings
//     (quoted or bare, `*` as a wildcard), numbers, `true`, `false`,
//     `null`, `EXISTS`/`NOT EXISTS`; combined with && and || and
//     parentheses.
//
// Space-delimited patterns (`[ip, user, ...]`) and regular expressions
// (`%...%`) are refused with InvalidParameterException.

// FilterError is a filter pattern the service cannot parse or does not
// support.
type FilterError struct{ Pattern, Reason string }

func (e *FilterError) Error() string {
	return fmt.Sprintf("invalid filter pattern %q: %s", e.Pattern, e.Reason)
}

// ParseFilter compiles a filter pattern; the empty pattern matches every
// message.
func ParseFilter(pattern string) (func(string) bool, error) {
	p := strings.TrimSpace(pattern)
	switch {
	case p == "":
		return nil, nil
	case strings.HasPrefix(p, "{"):
		if !strings.HasSuffix(p, "}") {
			return nil, &FilterError{pattern, "a JSON pattern ends with }"}
		}
		jp := &jsonParser{src: p[1 : len(p)-1], pattern: pattern}
		expr, err := jp.parseOr()
		if err != nil {
			return nil, err
		}
		if jp.skipSpace(); jp.pos != len(jp.src) {
			return nil, &FilterError{pattern, "unexpected " + strconv.Quote(jp.src[jp.pos:])}
		}
		return func(msg string) bool {
			var doc any
			if json.Unmarshal([]byte(msg), &doc) != nil {
				return false
			}
			return expr(doc)
		}, nil
	case strings.HasPrefix(p, "["):
		return nil, &FilterError{pattern, "space-delimited patterns are not supported locally"}
	case strings.HasPrefix(p, "%"):
		return nil, &FilterError{pattern, "regular expression patterns are not supported locally"}
	}
	return parseTerms(pattern)
}

func parseTerms(pattern string) (func(string) bool, error) {
	var all, any, none []string
	s := strings.TrimSpace(pattern)
	for s != "" {
		kind := byte(0)
		if s[0] == '-' || s[0] == '?' {
			kind, s = s[0], s[1:]
		}
		var term string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, &FilterError{pattern, "unterminated quoted term"}
			}
			term, s = s[1:1+end], s[2+end:]
		} else {
			end := strings.IndexFunc(s, unicode.IsSpace)
			if end < 0 {
				end = len(s)
			}
			term, s = s[:end], s[end:]
		}
		s = strings.TrimSpace(s)
		if term == "" {
			continue
		}
		switch kind {
		case '-':
			none = append(none, term)
		case '?':
			any = append(any, term)
		default:
			all = append(all, term)
		}
	}
	return func(msg string) bool {
		for _, t := range none {
			if strings.Contains(msg, t) {
				return false
			}
		}
		for _, t := range all {
			if !strings.Contains(msg, t) {
				return false
			}
		}
		if len(any) == 0 {
			return true
		}
		for _, t := range any {
			if strings.Contains(msg, t) {
				return true
			}
		}
		return false
	}, nil
}

type jsonExpr func(doc any) bool

type jsonParser struct {
	src, pattern string
	pos          int
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return &FilterError{p.pattern, fmt.Sprintf(format, args...)}
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *jsonParser) eat(tok string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.src[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *jsonParser) parseOr() (jsonExpr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.eat("||") {
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(d any) bool { return l(d) || right(d) }
	}
	return left, nil
}

func (p *jsonParser) parseAnd() (jsonExpr, error) {
	left, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for p.eat("&&") {
		right, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(d any) bool { return l(d) && right(d) }
	}
	return left, nil
}

func (p *jsonParser) parseTerm() (jsonExpr, error) {
	if p.eat("(") {
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, p.errorf("missing )")
		}
		return e, nil
	}
	if !p.eat("$") {
		return nil, p.errorf("expected a selector starting with $ at %d", p.pos)
	}
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	rest := p.src[p.pos:]
	switch {
	case strings.HasPrefix(rest, "NOT EXISTS"):
		p.pos += len("NOT EXISTS")
		return func(d any) bool { _, ok := lookup(d, path); return !ok }, nil
	case strings.HasPrefix(rest, "EXISTS"):
		p.pos += len("EXISTS")
		return func(d any) bool { _, ok := lookup(d, path); return ok }, nil
	}
	var op string
	for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, p.errorf("expected an operator after the selector")
	}
	p.pos += len(op)
	val, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return compare(path, op, val), nil
}

// parsePath reads `.a.b[0]` after the `$`.
func (p *jsonParser) parsePath() ([]any, error) {
	var path []any
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '.':
			p.pos++
			start := p.pos
			for p.pos < len(p.src) && (isIdent(p.src[p.pos])) {
				p.pos++
			}
			if start == p.pos {
				return nil, p.errorf("empty field name in selector")
			}
			path = append(path, p.src[start:p.pos])
		case '[':
			end := strings.IndexByte(p.src[p.pos:], ']')
			if end < 0 {
				return nil, p.errorf("missing ]")
			}
			n, err := strconv.Atoi(p.src[p.pos+1 : p.pos+end])
			if err != nil {
				return nil, p.errorf("array index: %v", err)
			}
			path = append(path, n)
			p.pos += end + 1
		default:
			return path, nil
		}
	}
	return path, nil
}

func isIdent(c byte) bool {
	return c == '_' || c == '-' || c == '@' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// parseValue reads a quoted string, a number or a bare word.
func (p *jsonParser) parseValue() (any, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("missing value")
	}
	if p.src[p.pos] == '"' {
		end := strings.IndexByte(p.src[p.pos+1:], '"')
		if end < 0 {
			return nil, p.errorf("unterminated string")
		}
		v := p.src[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return v, nil
	}
	start := p.pos
	for p.pos < len(p.src) && !unicode.IsSpace(rune(p.src[p.pos])) && !strings.ContainsRune("&|)", rune(p.src[p.pos])) {
		p.pos++
	}
	word := p.src[start:p.pos]
	if f, err := strconv.ParseFloat(word, 64); err == nil {
		return f, nil
	}
	switch word {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return word, nil
}

func lookup(d any, path []any) (any, bool) {
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := d.(map[string]any)
			if !ok {
				return nil, false
			}
			if d, ok = m[s]; !ok {
				return nil, false
			}
		case int:
			a, ok := d.([]any)
			if !ok || s < 0 || s >= len(a) {
				return nil, false
			}
			d = a[s]
		}
	}
	return d, true
}

func compare(path []any, op string, want any) jsonExpr {
	return func(d any) bool {
		got, ok := lookup(d, path)
		if !ok {
			return false
		}
		switch w := want.(type) {
		case float64:
			g, ok := got.(float64)
			if !ok {
				return false
			}
			switch op {
			case "=":
				return g == w
			case "!=":
				return g != w
			case "<":
				return g < w
			case "<=":
				return g <= w
			case ">":
				return g > w
			case ">=":
				return g >= w
			}
		case string:
			g, ok := got.(string)
			if !ok || (op != "=" && op != "!=") {
				return false
			}
			return wildcard(w, g) == (op == "=")
		default: // true, false, null
			if op != "=" && op != "!=" {
				return false
			}
			return (got == want) == (op == "=")
		}
		return false
	}
}

// wildcard matches s against pattern, where * matches any run of
// characters.
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
