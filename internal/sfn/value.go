package sfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Values flowing through the interpreter are plain decoded JSON:
// map[string]any, []any, string, json.Number, bool and nil. They are
// treated as immutable: every transformation builds new containers.

// decodeJSON decodes one JSON value with exact number semantics.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode json: trailing data")
	}
	return v, nil
}

// DecodeJSON decodes b with exact number semantics (json.Number).
func DecodeJSON(b []byte) (any, error) { return decodeJSON(b) }

// encodeJSON renders v compactly without HTML escaping, as AWS does.
func encodeJSON(v any) string {
	var sb strings.Builder
	writeJSON(&sb, v)
	return sb.String()
}

// EncodeJSON renders v compactly (sorted object keys, no HTML escaping).
func EncodeJSON(v any) string { return encodeJSON(v) }

func writeJSON(sb *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		if t {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case json.Number:
		sb.WriteString(string(t))
	case string:
		writeJSONString(sb, t)
	case []any:
		sb.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSON(sb, e)
		}
		sb.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, k)
			sb.WriteByte(':')
			writeJSON(sb, t[k])
		}
		sb.WriteByte('}')
	case float64:
		sb.WriteString(string(floatNumber(t)))
	case int:
		sb.WriteString(strconv.Itoa(t))
	case int64:
		sb.WriteString(strconv.FormatInt(t, 10))
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(t); err != nil {
			sb.WriteString("null")
			return
		}
		sb.WriteString(strings.TrimSpace(buf.String()))
	}
}

func writeJSONString(sb *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	sb.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		sb.WriteString(s[start:i])
		start = i + 1
		switch {
		case c == '"':
			sb.WriteString(`\"`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		default:
			sb.WriteString(`\u00`)
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&0xf])
		}
	}
	sb.WriteString(s[start:])
	sb.WriteByte('"')
}

// floatNumber converts a float to a json.Number, keeping integers integral.
func floatNumber(f float64) json.Number {
	if f == float64(int64(f)) && f < 1e18 && f > -1e18 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
}

// normalize converts values produced by foreign code (float64, ints,
// []interface{} of typed values) into the canonical representation.
func normalize(v any) any {
	switch t := v.(type) {
	case nil, bool, string, json.Number:
		return t
	case float64:
		return floatNumber(t)
	case float32:
		return floatNumber(float64(t))
	case int:
		return json.Number(strconv.Itoa(t))
	case int64:
		return json.Number(strconv.FormatInt(t, 10))
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalize(e)
		}
		return out
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return nil
		}
		x, err := decodeJSON(b)
		if err != nil {
			return nil
		}
		return x
	}
}

// typeName is the JSON type name AWS uses in messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64, int:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// numRat returns the exact rational value of a json.Number.
func numRat(n json.Number) (*big.Rat, bool) {
	r, ok := new(big.Rat).SetString(string(n))
	return r, ok
}

func numFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

// isInteger reports whether n holds an integral value.
func isIntegral(n json.Number) bool {
	r, ok := numRat(n)
	return ok && r.IsInt()
}

func numInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	r, ok := numRat(n)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// compareNum compares two numbers exactly.
func compareNum(a, b json.Number) int {
	ra, ok1 := numRat(a)
	rb, ok2 := numRat(b)
	if !ok1 || !ok2 {
		fa, _ := a.Float64()
		fb, _ := b.Float64()
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return ra.Cmp(rb)
}

// jsonEqual compares two values structurally, numbers by value.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && compareNum(x, y) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// JSONEqual reports structural equality of two decoded JSON values.
func JSONEqual(a, b any) bool { return jsonEqual(normalize(a), normalize(b)) }

// payloadSize returns the size of the encoded value in bytes.
func payloadSize(v any) int { return len(encodeJSON(v)) }

func itoa(i int) string { return strconv.Itoa(i) }
