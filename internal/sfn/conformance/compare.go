package conformance

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/imgflow/imgflow/internal/sfn"
)

// wildcardWords are whole-value placeholders used by the recordings.
var wildcardWords = map[string]bool{
	"timestamp": true, "date": true, "RandomNumberGenerated": true, "generated-uuid": true,
	"x-amzn-RequestId": true, "X-Amzn-Trace-Id": true, "RequestId": true, "snf_role_arn": true,
	"start-time": true, "entered-time": true, "lambda_function_name": true,
}

var placeholderRE = regexp.MustCompile(`<[^<>]+>`)

var reCache = map[string]*regexp.Regexp{}

// matchString compares an expected string (possibly with placeholders)
// with an actual string.
func matchString(exp, act string) bool {
	if exp == act || wildcardWords[exp] {
		return true
	}
	if !placeholderRE.MatchString(exp) {
		return false
	}
	re, ok := reCache[exp]
	if !ok {
		parts := placeholderRE.Split(exp, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re = regexp.MustCompile("(?s)^" + strings.Join(parts, ".*") + "$")
		reCache[exp] = re
	}
	return re.MatchString(act)
}

// match compares an expected value (decoded from the recording, with
// placeholders) with an actual value. It returns a path to the first
// difference, or "" when they match.
func match(exp, act any, path string) string {
	switch e := exp.(type) {
	case string:
		if wildcardWords[e] || (placeholderRE.MatchString(e) && placeholderRE.ReplaceAllString(e, "") == "") {
			return ""
		}
		a, ok := act.(string)
		if !ok {
			return fmt.Sprintf("%s: expected string %q, got %s", path, e, short(act))
		}
		if matchString(e, a) {
			return ""
		}
		// Recorded strings may hold JSON that the recorder left unparsed.
		var ev, av any
		if json.Unmarshal([]byte(e), &ev) == nil && json.Unmarshal([]byte(a), &av) == nil {
			if m, ok := ev.(map[string]any); ok && m["errorType"] != nil && m["stackTrace"] != nil {
				if d := matchLambdaCause(m, a); d == "" {
					return ""
				}
			}
			if _, isStr := ev.(string); !isStr {
				if d := match(normNum(ev), normNum(av), path); d == "" {
					return ""
				}
			}
		}
		return fmt.Sprintf("%s: expected %q, got %q", path, trunc(e), trunc(a))
	case map[string]any:
		a, ok := act.(map[string]any)
		if !ok {
			if s, isStr := act.(string); isStr {
				var av any
				if json.Unmarshal([]byte(s), &av) == nil {
					return match(exp, normNum(av), path)
				}
			}
			return fmt.Sprintf("%s: expected object, got %s", path, short(act))
		}
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			av, ok := a[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			}
			if d := match(e[k], av, path+"."+k); d != "" {
				return d
			}
		}
		for k := range a {
			if _, ok := e[k]; !ok {
				return fmt.Sprintf("%s.%s: unexpected key", path, k)
			}
		}
		return ""
	case []any:
		a, ok := act.([]any)
		if !ok {
			return fmt.Sprintf("%s: expected array, got %s", path, short(act))
		}
		if len(a) != len(e) {
			return fmt.Sprintf("%s: expected %d items, got %d", path, len(e), len(a))
		}
		for i := range e {
			if d := match(e[i], a[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !sfn.JSONEqual(exp, act) {
		return fmt.Sprintf("%s: expected %s, got %s", path, short(exp), short(act))
	}
	return ""
}

func normNum(v any) any {
	b, _ := json.Marshal(v)
	x, err := sfn.DecodeJSON(b)
	if err != nil {
		return v
	}
	return x
}

func short(v any) string { return trunc(sfn.EncodeJSON(v)) }

func trunc(s string) string {
	if len(s) > 160 {
		return s[:160] + "..."
	}
	return s
}

// matchLambdaCause compares a recorded Lambda error cause (an object with
// a Python stack trace) with the actual cause by errorType and
// errorMessage only.
func matchLambdaCause(exp map[string]any, act string) string {
	var a map[string]any
	if err := json.Unmarshal([]byte(act), &a); err != nil {
		return fmt.Sprintf("cause: expected Lambda error document, got %q", trunc(act))
	}
	for _, k := range []string{"errorType", "errorMessage"} {
		ev, _ := exp[k].(string)
		av, _ := a[k].(string)
		if ev != av && !matchString(ev, av) {
			return fmt.Sprintf("cause.%s: expected %q, got %q", k, ev, av)
		}
	}
	return ""
}
