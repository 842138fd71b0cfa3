package sfn

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// intrinsic is one States.* function: the argument counts it accepts
// (nil: any) and its body, which sees arguments already evaluated.
type intrinsic struct {
	arity []int
	fn    func(name string, args []any, rt *runtimeCtx) (any, error)
}

// intrinsics is the table of the JSONPath intrinsic functions.
var intrinsics = map[string]intrinsic{
	"States.Format":         {nil, iFormat},
	"States.StringToJson":   {[]int{1}, iStringToJSON},
	"States.JsonToString":   {[]int{1}, iJSONToString},
	"States.Array":          {nil, iArray},
	"States.ArrayPartition": {[]int{2}, iArrayPartition},
	"States.ArrayContains":  {[]int{2}, iArrayContains},
	"States.ArrayRange":     {[]int{3}, iArrayRange},
	"States.ArrayGetItem":   {[]int{2}, iArrayGetItem},
	"States.ArrayLength":    {[]int{1}, iArrayLength},
	"States.ArrayUnique":    {[]int{1}, iArrayUnique},
	"States.Base64Encode":   {[]int{1}, iBase64Encode},
	"States.Base64Decode":   {[]int{1}, iBase64Decode},
	"States.Hash":           {[]int{2}, iHash},
	"States.JsonMerge":      {[]int{3}, iJSONMerge},
	"States.MathRandom":     {[]int{2, 3}, iMathRandom},
	"States.MathAdd":        {[]int{2}, iMathAdd},
	"States.StringSplit":    {[]int{2}, iStringSplit},
	"States.UUID":           {[]int{0}, iUUID},
}

// callIntrinsic checks the argument count of the named function and
// calls it.
func callIntrinsic(name string, args []any, rt *runtimeCtx) (any, error) {
	in, ok := intrinsics[name]
	if !ok {
		return nil, fmt.Errorf("Unsupported intrinsic function %s", name)
	}
	if in.arity != nil {
		if err := wantArgs(name, args, in.arity...); err != nil {
			return nil, err
		}
	}
	return in.fn(name, args, rt)
}

func iFormat(name string, args []any, _ *runtimeCtx) (any, error) {
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
				return nil, errFormatArgs()
			}
			sb.WriteString(formatArg(args[ai]))
			ai++
			i++
			continue
		}
		sb.WriteByte(f[i])
	}
	if ai != len(args) {
		return nil, errFormatArgs()
	}
	return sb.String(), nil
}

func errFormatArgs() error {
	return fmt.Errorf("Number of arguments in States.Format does not match the number of placeholders")
}

func iStringToJSON(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iJSONToString(_ string, args []any, _ *runtimeCtx) (any, error) {
	return encodeJSON(args[0]), nil
}

func iArray(_ string, args []any, _ *runtimeCtx) (any, error) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func iArrayPartition(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iArrayContains(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iArrayRange(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iArrayGetItem(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iArrayLength(name string, args []any, _ *runtimeCtx) (any, error) {
	arr, err := argArray(name, args[0])
	if err != nil {
		return nil, err
	}
	return json.Number(strconv.Itoa(len(arr))), nil
}

func iArrayUnique(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iBase64Encode(name string, args []any, _ *runtimeCtx) (any, error) {
	s, err := argString(name, args[0])
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func iBase64Decode(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iHash(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iJSONMerge(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iMathRandom(name string, args []any, rt *runtimeCtx) (any, error) {
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
}

func iMathAdd(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iStringSplit(name string, args []any, _ *runtimeCtx) (any, error) {
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
}

func iUUID(_ string, _ []any, rt *runtimeCtx) (any, error) {
	return rt.uuid(), nil
}
