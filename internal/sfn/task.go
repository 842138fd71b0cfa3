package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/arn"
)

// taskState is a Task state: its body calls the resource.
type taskState struct {
	next string
	// resource is the ARN as written, res its parsed form.
	resource string
	res      resource
	// timeout and heartbeat are TimeoutSeconds(Path) and
	// HeartbeatSeconds(Path).
	timeout, heartbeat secondsField
}

// secondsField is a TimeoutSeconds or HeartbeatSeconds field: a literal
// or JSONata value, or its Path form.
type secondsField struct {
	raw  json.RawMessage
	path string
}

func newTaskState(st *State) *taskState {
	return &taskState{next: st.Next, resource: st.Resource, res: parseResource(st.Resource),
		timeout:   secondsField{st.TimeoutSeconds, st.TimeoutSecondsPath},
		heartbeat: secondsField{st.HeartbeatSeconds, st.HeartbeatSecondsPath}}
}

func (k *taskState) exec(ctx context.Context, f *frame, rt *runtimeCtx, in any) (outcome, error) {
	v, err := k.run(ctx, f, rt, in)
	return outcome{result: v, next: k.next}, err
}

// TaskRequest is what a service integration receives.
type TaskRequest struct {
	// Resource is the Task's resource ARN as written in the definition.
	Resource string
	// Service and Action split "arn:aws:states:::service:action".
	Service, Action string
	// Pattern is "", "sync" or "waitForTaskToken".
	Pattern string
	// Parameters is the effective task input (Parameters or Arguments).
	Parameters json.RawMessage
	// TaskToken is set for the waitForTaskToken pattern.
	TaskToken    string
	StateName    string
	ExecutionARN string
	Timeout      time.Duration
	Heartbeat    time.Duration
	// ReaderConfig is set when the request reads Map items (ItemReader).
	ReaderConfig json.RawMessage
}

// Integration is a pluggable service integration.
type Integration interface {
	Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error)
}

// IntegrationFunc adapts a function to Integration.
type IntegrationFunc func(ctx context.Context, req TaskRequest) (json.RawMessage, error)

// Invoke implements Integration.
func (f IntegrationFunc) Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error) {
	return f(ctx, req)
}

// LambdaResponse is the outcome of a Lambda invocation.
type LambdaResponse struct {
	// Payload is the function's JSON response or, when FunctionError is
	// set, the error document {"errorType","errorMessage",...}.
	Payload         []byte
	FunctionError   string
	ExecutedVersion string
	RequestID       string
}

// LambdaInvoker invokes Lambda functions synchronously. Errors from the
// Lambda service itself should be *TaskError (e.g.
// "Lambda.ResourceNotFoundException").
type LambdaInvoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (*LambdaResponse, error)
}

// SNSPublisher publishes SNS messages; input is the task's Parameters
// (TopicArn, Message, Subject, MessageAttributes...).
type SNSPublisher interface {
	Publish(ctx context.Context, input map[string]any) (messageID string, err error)
}

// The integrations the engine has built in (Config.Lambda, Config.SNS).
var (
	integrationLambdaInvoke = arn.Integration("lambda", "invoke")
	integrationSNSPublish   = arn.Integration("sns", "publish")
)

// resource describes a parsed Task resource ARN.
type resource struct {
	arn, service, action, pattern string
	lambdaARN                     bool // plain arn:aws:lambda:...:function:name
}

func parseResource(s string) resource {
	r := resource{arn: s}
	a, ok := arn.Parse(s)
	switch {
	case ok && a.Service == "lambda":
		r.lambdaARN = true
		r.service = "lambda"
	case ok && a.Service == "states" && a.Region == "" && a.Account == "":
		r.service, r.action, _ = strings.Cut(a.Resource, ":")
		if i := strings.IndexByte(r.action, '.'); i >= 0 {
			r.pattern = r.action[i+1:]
			r.action = r.action[:i]
		}
	}
	return r
}

// taskSeconds evaluates TimeoutSeconds/HeartbeatSeconds (+Path, JSONata).
func taskSeconds(rt *runtimeCtx, raw json.RawMessage, path string, input any, field string) (int64, error) {
	if len(raw) > 0 {
		v, err := decodeJSON(raw)
		if err != nil {
			return 0, err
		}
		if s, ok := v.(string); ok {
			if expr, ok := isJSONataExpr(s); ok {
				env := rt.jsonata(input, nil)
				v, err = env.evalExpr(expr, field)
				if err != nil {
					return 0, err
				}
			}
		}
		n, ok := numInt(v)
		if !ok || n <= 0 {
			return 0, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The %s field must be a positive integer, but was %s", field, encodeJSON(v))))
		}
		return n, nil
	}
	if path != "" {
		v, err := evalDynamic(path, field+"Path", rt.scope(input), rt)
		if err != nil {
			return 0, err
		}
		n, ok := numInt(v)
		if !ok || n <= 0 {
			return 0, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The %sPath field refers to value %s which is not a valid positive integer: %s", field, encodeJSON(v), path)))
		}
		return n, nil
	}
	return 0, nil
}

// run executes the Task's resource with the effective input:
// Scheduled and Started events, the call (or its recorded outcome) and
// the event of its outcome.
func (k *taskState) run(ctx context.Context, f *frame, rt *runtimeCtx, params any) (any, error) {
	res := k.res
	timeout, err := taskSeconds(rt, k.timeout.raw, k.timeout.path, rt.stateInput(params), "TimeoutSeconds")
	if err != nil {
		return nil, err
	}
	heartbeat, err := taskSeconds(rt, k.heartbeat.raw, k.heartbeat.path, rt.stateInput(params), "HeartbeatSeconds")
	if err != nil {
		return nil, err
	}
	if timeout == 0 && res.pattern == "waitForTaskToken" {
		timeout = 99999999
	}
	if err := k.schedule(f, params, timeout, heartbeat); err != nil {
		return nil, err
	}
	if f.replaying {
		if out, ok, err := f.replayTask(ctx); ok || err != nil {
			return out, err
		}
	}
	if !f.waitTurn() {
		return nil, ctx.Err()
	}
	result, timedOut, err := k.call(ctx, f, rt, params, timeout, heartbeat)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, f.taskFailed(res, err, timedOut)
	}
	if res.lambdaARN {
		err = f.emit("LambdaFunctionSucceeded", payloadDetails("output", result))
	} else {
		d := payloadDetails("output", result)
		d["resource"], d["resourceType"] = res.action, res.service
		err = f.emit("TaskSucceeded", d)
	}
	if err != nil {
		return nil, err
	}
	return result, nil
}

// schedule records the LambdaFunctionScheduled/Started or the
// TaskScheduled/Started events.
func (k *taskState) schedule(f *frame, params any, timeout, heartbeat int64) error {
	res := k.res
	if res.lambdaARN {
		d := payloadDetails("input", params)
		d["resource"] = k.resource
		if timeout > 0 {
			d["timeoutInSeconds"] = timeout
		}
		if err := f.emit("LambdaFunctionScheduled", d); err != nil {
			return err
		}
		return f.emit("LambdaFunctionStarted", nil)
	}
	d := map[string]any{"parameters": encodeJSON(params), "region": f.ex.eng.cfg.Region, "resource": res.action, "resourceType": res.service}
	if timeout > 0 && res.pattern != "waitForTaskToken" || k.timeout.raw != nil || k.timeout.path != "" {
		d["timeoutInSeconds"] = timeout
	}
	if heartbeat > 0 {
		d["heartbeatInSeconds"] = heartbeat
	}
	if err := f.emit("TaskScheduled", d); err != nil {
		return err
	}
	return f.emit("TaskStarted", map[string]any{"resource": res.action, "resourceType": res.service})
}

// call invokes the resource under the task's timeout and checks the size
// of its result; timedOut reports a timeout.
func (k *taskState) call(ctx context.Context, f *frame, rt *runtimeCtx, params any, timeout, heartbeat int64) (result any, timedOut bool, err error) {
	eng, res := f.ex.eng, k.res
	tctx := context.WithValue(ctx, clockKey{}, eng.cfg.Clock)
	cancel := func() {}
	if timeout > 0 {
		tctx, cancel = eng.cfg.Clock.WithTimeout(tctx, time.Duration(timeout)*time.Second)
	}
	defer cancel()
	result, err = f.invoke(tctx, rt, res, params, time.Duration(timeout)*time.Second, time.Duration(heartbeat)*time.Second)
	if err == nil {
		if n := eng.cfg.MaxPayloadBytes; n > 0 && payloadSize(result) > n {
			name := k.resource
			if !res.lambdaARN {
				name = res.service
			}
			err = newErr(ErrDataLimitExceeded, fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", name))
		}
	}
	if err != nil {
		timedOut = errors.Is(err, context.DeadlineExceeded) || tctx.Err() != nil && errors.Is(tctx.Err(), context.DeadlineExceeded)
	}
	return result, timedOut, err
}

// taskFailed records the failure or timeout of a task and returns its
// error.
func (f *frame) taskFailed(res resource, err error, timedOut bool) error {
	var se *StatesError
	if timedOut {
		se = &StatesError{Name: ErrTimeout, HasCause: true}
	} else {
		se = asStatesError(err)
		timedOut = se.Name == ErrHeartbeatTimeout
	}
	d := map[string]any{"error": se.Name, "cause": se.Cause}
	typ := "TaskFailed"
	if timedOut {
		typ = "TaskTimedOut"
		if se.Cause == "" {
			delete(d, "cause")
		}
	}
	if res.lambdaARN {
		typ = strings.Replace(typ, "Task", "LambdaFunction", 1)
	} else {
		d["resource"], d["resourceType"] = res.action, res.service
	}
	if err := f.emit(typ, d); err != nil {
		return err
	}
	return se
}

// stateInput is the value TimeoutSecondsPath/JSONata timeouts see: the
// raw state input.
func (rt *runtimeCtx) stateInput(params any) any { return rt.input }

// invoke dispatches to the configured integration.
func (f *frame) invoke(ctx context.Context, rt *runtimeCtx, res resource, params any, timeout, heartbeat time.Duration) (any, error) {
	eng := f.ex.eng
	if res.lambdaARN {
		if eng.cfg.Lambda == nil {
			return nil, newErrf(ErrRuntime, "no Lambda invoker configured for resource '%s'", res.arn)
		}
		out, err := eng.cfg.Lambda.Invoke(ctx, res.arn, []byte(encodeJSON(params)))
		if err != nil {
			return nil, err
		}
		if out.FunctionError != "" {
			return nil, lambdaFunctionError(out.Payload)
		}
		return decodePayload(out.Payload)
	}
	if res.pattern == "waitForTaskToken" {
		return f.invokeWithToken(ctx, rt, res, params, heartbeat)
	}
	return f.invokeService(ctx, rt, res, params)
}

func (f *frame) invokeService(ctx context.Context, rt *runtimeCtx, res resource, params any) (any, error) {
	eng := f.ex.eng
	key := arn.Integration(res.service, res.action)
	if in, ok := eng.cfg.Integrations[key]; ok {
		b, err := in.Invoke(ctx, TaskRequest{
			Resource: res.arn, Service: res.service, Action: res.action, Pattern: res.pattern,
			Parameters: json.RawMessage(encodeJSON(params)), TaskToken: rt.taskToken,
			StateName: rt.st.Name, ExecutionARN: f.ex.arn,
		})
		if err != nil {
			return nil, err
		}
		return decodePayload(b)
	}
	switch key {
	case integrationLambdaInvoke:
		if eng.cfg.Lambda == nil {
			break
		}
		p, _ := params.(map[string]any)
		fn, _ := p["FunctionName"].(string)
		var payload []byte
		if s, ok := p["Payload"].(string); ok {
			// A string payload is sent as raw bytes.
			payload = []byte(s)
		} else if pl, ok := p["Payload"]; ok {
			payload = []byte(encodeJSON(pl))
		} else {
			payload = []byte("{}")
		}
		out, err := eng.cfg.Lambda.Invoke(ctx, fn, payload)
		if err != nil {
			return nil, err
		}
		if out.FunctionError != "" {
			return nil, lambdaFunctionError(out.Payload)
		}
		body, err := decodePayload(out.Payload)
		if err != nil {
			return nil, err
		}
		if out.RequestID == "" {
			out.RequestID = eng.cfg.NewUUID()
		}
		return lambdaInvokeResult(out, body, eng.cfg.Clock.Now()), nil
	case integrationSNSPublish:
		if eng.cfg.SNS == nil {
			break
		}
		p, _ := params.(map[string]any)
		id, err := eng.cfg.SNS.Publish(ctx, p)
		if err != nil {
			return nil, err
		}
		reqID := eng.cfg.NewUUID()
		return map[string]any{
			"MessageId": id,
			"SdkHttpMetadata": map[string]any{
				"AllHttpHeaders": map[string]any{"x-amzn-RequestId": []any{reqID}, "Content-Type": []any{"text/xml"}},
				"HttpHeaders":    map[string]any{"x-amzn-RequestId": reqID, "Content-Type": "text/xml"},
				"HttpStatusCode": json.Number("200"),
			},
			"SdkResponseMetadata": map[string]any{"RequestId": reqID},
		}, nil
	}
	return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The resource provided %s is not supported.", res.arn)))
}

// lambdaInvokeResult shapes the optimized lambda:invoke result as AWS does.
func lambdaInvokeResult(out *LambdaResponse, body any, now time.Time) map[string]any {
	ver := out.ExecutedVersion
	if ver == "" {
		ver = "$LATEST"
	}
	reqID := out.RequestID
	n := strconv.Itoa(len(out.Payload))
	return map[string]any{
		"ExecutedVersion": ver,
		"Payload":         body,
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{
				"X-Amz-Executed-Version":         []any{ver},
				"x-amzn-Remapped-Content-Length": []any{"0"},
				"Connection":                     []any{"keep-alive"},
				"x-amzn-RequestId":               []any{reqID},
				"Content-Length":                 []any{n},
				"Date":                           []any{now.UTC().Format(http.TimeFormat)},
				"X-Amzn-Trace-Id":                []any{"Root=1-00000000-000000000000000000000000"},
				"Content-Type":                   []any{"application/json"},
			},
			"HttpHeaders": map[string]any{
				"Connection": "keep-alive", "Content-Length": n, "Content-Type": "application/json",
				"Date": now.UTC().Format(http.TimeFormat), "X-Amz-Executed-Version": ver,
				"x-amzn-Remapped-Content-Length": "0", "x-amzn-RequestId": reqID,
				"X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000",
			},
			"HttpStatusCode": json.Number("200"),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": reqID},
		"StatusCode":          json.Number("200"),
	}
}

func decodePayload(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	v, err := decodeJSON(b)
	if err != nil {
		// Non-JSON bytes are returned as a string.
		return string(b), nil
	}
	return v, nil
}

// lambdaFunctionError converts a Lambda error document into a failure
// whose name is the errorType and whose cause is the document.
func lambdaFunctionError(payload []byte) error {
	var doc map[string]any
	name := "Exception"
	if err := json.Unmarshal(payload, &doc); err == nil {
		if t, ok := doc["errorType"].(string); ok && t != "" {
			name = t
		}
	}
	return &StatesError{Name: name, Cause: string(payload), HasCause: true}
}
