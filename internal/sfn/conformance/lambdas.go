package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imgflow/imgflow/internal/sfn"
)

// fakeLambda implements the test functions described in the conformance
// README in Go. Functions are resolved by name or ARN.
type fakeLambda struct {
	// funcs maps a function name to its behaviour (the Python file name).
	funcs map[string]string
	seq   atomic.Int64
}

var _ sfn.LambdaInvoker = (*fakeLambda)(nil)

func (l *fakeLambda) resolve(fn string) (string, bool) {
	name := fn
	if i := strings.LastIndex(fn, ":function:"); i >= 0 {
		name = fn[i+len(":function:"):]
		if j := strings.IndexByte(name, ':'); j >= 0 {
			name = name[:j]
		}
	}
	if b, ok := l.funcs[name]; ok {
		return b, true
	}
	// Recorded inputs may carry placeholders instead of the real name.
	if strings.Contains(fn, "<") && len(l.funcs) == 1 {
		for _, b := range l.funcs {
			return b, true
		}
	}
	return "", false
}

func (l *fakeLambda) Invoke(ctx context.Context, fn string, payload []byte) (*sfn.LambdaResponse, error) {
	behaviour, ok := l.resolve(fn)
	if !ok {
		arn := fn
		if !strings.HasPrefix(arn, "arn:") {
			arn = "arn:aws:lambda:us-east-1:111111111111:function:" + fn
		}
		return nil, &sfn.TaskError{Err: "Lambda.ResourceNotFoundException", Cause: fmt.Sprintf(
			"Function not found: %s:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: 00000000-0000-0000-0000-000000000000; Proxy: null)", arn)}
	}
	reqID := fmt.Sprintf("00000000-0000-0000-0000-%012d", l.seq.Add(1))
	resp := &sfn.LambdaResponse{ExecutedVersion: "$LATEST", RequestID: reqID}
	fail := func(typ, msg string) (*sfn.LambdaResponse, error) {
		doc := map[string]any{"errorMessage": msg, "errorType": typ, "requestId": reqID,
			"stackTrace": []string{"  File \"/var/task/handler.py\", line 2, in handler\n"}}
		b, _ := json.Marshal(doc)
		resp.Payload, resp.FunctionError = b, "Unhandled"
		return resp, nil
	}
	switch behaviour {
	case "id_function.py":
		resp.Payload = pythonJSON(payload)
	case "raise_exception.py":
		return fail("Exception", "Some exception was raised.")
	case "raise_custom_exception.py":
		// The recordings show an empty message (`raise CustomException()`).
		return fail("CustomException", "")
	case "large_output_string.py":
		resp.Payload = []byte(`"` + strings.Repeat("a", 257*1024) + `"`)
	case "return_bytes_str.py":
		resp.Payload = []byte(`"HelloWorld!"`)
	case "wait_60_seconds.py":
		if err := sfn.ClockFromContext(ctx).Sleep(ctx, 60*time.Second); err != nil {
			return nil, err
		}
		resp.Payload = pythonJSON(payload)
	default:
		return nil, &sfn.TaskError{Err: "Lambda.Unknown", Cause: "unsupported test function " + behaviour}
	}
	return resp, nil
}

// pythonJSON re-serialises a JSON document the way Python's json.dumps
// does (", " and ": " separators), so response sizes match the recordings.
func pythonJSON(b []byte) []byte {
	v, err := sfn.DecodeJSON(b)
	if err != nil {
		return b
	}
	var sb strings.Builder
	writePy(&sb, v)
	return []byte(sb.String())
}

func writePy(sb *strings.Builder, v any) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(sfn.EncodeJSON(k))
			sb.WriteString(": ")
			writePy(sb, t[k])
		}
		sb.WriteByte('}')
	case []any:
		sb.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				sb.WriteString(", ")
			}
			writePy(sb, e)
		}
		sb.WriteByte(']')
	default:
		sb.WriteString(sfn.EncodeJSON(t))
	}
}
