package runtimeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/imgflow/imgflow/internal/local/awsid"
	"go.uber.org/zap"
)

// Runtime API names, as aws-lambda-go's runtime client spells them.
const (
	apiPrefix                = "/2018-06-01/runtime"
	headerRequestID          = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS         = "Lambda-Runtime-Deadline-Ms"
	headerInvokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID            = "Lambda-Runtime-Trace-Id"
	headerErrorType          = "Lambda-Runtime-Function-Error-Type" // on error posts; a trailer on a streamed response
	trailerErrorBody         = "Lambda-Runtime-Function-Error-Body" // base64 error document, a trailer
)

// sandbox is one process and its Runtime API endpoint.
type sandbox struct {
	pool    *Pool
	id      int
	pending chan *attempt // capacity 1: the invocation given to this sandbox, until next takes it
	exited  chan struct{} // closed once the process has exited and its invocation is completed

	cmd     *exec.Cmd
	srv     *http.Server
	served  chan struct{}
	started time.Time
	log     *zap.Logger
	out     [2]*lineLogger

	mu      sync.Mutex
	ready   bool     // the process reached next: init is over
	dead    bool     // the process exited
	current *attempt // taken by next, not yet answered
	initErr *messages.InvokeResponse_Error
	killed  string // why the pool stopped the process, for the log
	proc    *os.Process
	stop    os.Signal // the last signal sent, for a process still starting
}

// invocationLine hands a line of output to Config.Log, under the request id
// of the invocation the process is working on, if any.
func (sb *sandbox) invocationLine(line []byte) {
	if sb.pool.cfg.Log == nil {
		return
	}
	sb.mu.Lock()
	cur := sb.current
	sb.mu.Unlock()
	if cur != nil {
		sb.pool.cfg.Log(cur.id, line)
	}
}

// start listens on a random loopback port and starts the process with
// AWS_LAMBDA_RUNTIME_API pointing there.
func (sb *sandbox) start() error {
	c := &sb.pool.cfg
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sb.log = sb.pool.log.With(zap.Int("sandbox", sb.id))
	// No ReadTimeout: it would cancel next's long poll, which lasts as long
	// as the process waits for work. Bodies are capped by MaxResponseBytes.
	sb.srv = &http.Server{
		Handler:           sb.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          zap.NewStdLog(sb.log),
	}
	sb.served = make(chan struct{})
	sb.started = time.Now() // init: from here to the first next
	go func() {
		defer close(sb.served)
		_ = sb.srv.Serve(ln) // ends with ErrServerClosed when the process is gone
	}()

	cmd := exec.Command(c.Binary)
	cmd.Dir = filepath.Dir(c.Binary)
	cmd.Env = environ(c, ln.Addr().String())
	setProcAttr(cmd)
	sb.out = [2]*lineLogger{{log: sb.log, stream: "stdout", sink: sb.invocationLine}, {log: sb.log, stream: "stderr", sink: sb.invocationLine}}
	cmd.Stdout, cmd.Stderr = sb.out[0], sb.out[1]
	cmd.WaitDelay = time.Second // a grandchild holding the pipes open must not hold up Wait
	sb.cmd = cmd
	if err := cmd.Start(); err != nil {
		_ = sb.srv.Close()
		<-sb.served
		return err
	}
	sb.mu.Lock()
	sb.proc = cmd.Process
	stop := sb.stop
	sb.mu.Unlock()
	if stop != nil {
		_ = cmd.Process.Signal(stop)
	}
	sb.log.Debug("process started", zap.Int("pid", cmd.Process.Pid), zap.String("runtime_api", ln.Addr().String()))
	go sb.wait()
	return nil
}

// environ is the process's environment: what Lambda defines (reserved,
// so it wins), the function's own variables, and nothing from the host
// (no AWS_PROFILE or real credentials leak in).
func environ(c *Config, addr string) []string {
	env := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
		"AWS_DEFAULT_REGION":             c.Region,
		"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":      "/aws/lambda/" + c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":     time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + awsid.LambdaRequestID(),
	}
	for k, v := range c.Environment {
		env[k] = v
	}
	for k, v := range map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          addr,
		"AWS_LAMBDA_FUNCTION_NAME":        c.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_REGION":                      c.Region,
		"_HANDLER":                        c.Handler,
		"LAMBDA_TASK_ROOT":                filepath.Dir(c.Binary),
	} {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// wait reaps the process, fails the invocation it held, and retires the
// sandbox.
func (sb *sandbox) wait() {
	defer sb.pool.wg.Done()
	err := sb.cmd.Wait()
	for _, o := range sb.out {
		o.flush()
	}
	sb.mu.Lock()
	sb.dead = true
	cur, ready, initErr, killed := sb.current, sb.ready, sb.initErr, sb.killed
	sb.current = nil
	sb.mu.Unlock()
	_ = sb.srv.Close()
	<-sb.served

	var pend *attempt // given to this sandbox, not yet taken by next
	select {
	case pend = <-sb.pending:
	default:
	}
	if cur != nil {
		cur.complete(outcome{err: exitError(cur.id, err)})
	}
	if pend != nil {
		switch {
		case ready: // it served invocations before: run this one on another process
			pend.complete(outcome{requeue: true})
		case initErr != nil:
			pend.complete(outcome{err: initErr})
		default: // it exited during init
			pend.complete(outcome{err: exitError(pend.id, err)})
		}
	}
	fields := []zap.Field{zap.String("exit", exitReason(err)), zap.Duration("uptime", time.Since(sb.started))}
	switch {
	case killed != "":
		sb.log.Info("process stopped", append(fields, zap.String("reason", killed))...)
	case cur != nil || (pend != nil && !ready):
		sb.log.Warn("process exited during an invocation", fields...)
	default:
		sb.log.Info("process exited", fields...)
	}
	sb.pool.remove(sb)
	close(sb.exited)
}

// exitError is how Lambda reports a runtime that exited during an
// invocation (or during the init that invocation waited for).
func exitError(requestID string, err error) *messages.InvokeResponse_Error {
	return &messages.InvokeResponse_Error{Type: "Runtime.ExitError",
		Message: fmt.Sprintf("RequestId: %s Error: %s", requestID, exitReason(err))}
}

func exitReason(err error) string {
	if err == nil {
		return "Runtime exited without providing a reason"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return "Runtime exited with error: " + ee.ProcessState.String() // "exit status 2", "signal: killed"
	}
	return "Runtime exited with error: " + err.Error()
}

// run gives a to the process and waits for its outcome. ok is false when
// ctx ended first: the process was then killed (Lambda's timeout, or the
// caller gave up) and has exited.
func (sb *sandbox) run(ctx context.Context, a *attempt) (outcome, bool) {
	sb.mu.Lock()
	if sb.dead {
		sb.mu.Unlock()
		return outcome{requeue: true}, true
	}
	sb.pending <- a // never blocks: the caller owns this sandbox and its slot is empty
	sb.mu.Unlock()
	select {
	case o := <-a.done:
		return o, true
	case <-ctx.Done():
		sb.kill("invocation " + a.id + ": " + context.Cause(ctx).Error())
		<-sb.exited
		return outcome{}, false
	}
}

// kill stops the process at once (SIGKILL), recording why.
func (sb *sandbox) kill(reason string) { sb.signal(sigKill, reason) }

// signal sends sig to the process, or to the process about to start (a
// sandbox Close caught in start), recording the first reason for the log.
func (sb *sandbox) signal(sig os.Signal, reason string) {
	sb.mu.Lock()
	if sb.killed == "" {
		sb.killed = reason
	}
	sb.stop = sig
	proc := sb.proc
	sb.mu.Unlock()
	if proc != nil {
		_ = proc.Signal(sig) // os.ErrProcessDone once reaped
	}
}

// routes registers the Runtime API on a mux.
func (sb *sandbox) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", sb.next)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", sb.response)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", sb.invocationError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", sb.initError)
	return mux
}

// next long-polls for the sandbox's next invocation. The first next ends
// the process's init.
func (sb *sandbox) next(w http.ResponseWriter, r *http.Request) {
	sb.mu.Lock()
	if !sb.ready {
		sb.ready = true
		d := time.Since(sb.started)
		sb.pool.recordInit(d)
		sb.log.Info("process ready", zap.Duration("init_duration", d))
	}
	if cur := sb.current; cur != nil {
		// next without a response: Lambda counts the invocation as done
		// without a result; report it rather than hang.
		sb.current = nil
		cur.complete(outcome{err: &messages.InvokeResponse_Error{Type: "Runtime.NoResponse",
			Message: fmt.Sprintf("RequestId: %s Error: the runtime asked for the next invocation without answering this one", cur.id)}})
	}
	sb.mu.Unlock()

	var a *attempt
	select {
	case a = <-sb.pending:
	case <-r.Context().Done(): // the process went away, or the server is closing
		return
	}
	sb.mu.Lock()
	if sb.dead {
		sb.mu.Unlock()
		a.complete(outcome{requeue: true})
		return
	}
	sb.current = a
	sb.mu.Unlock()
	h := w.Header()
	h.Set(headerRequestID, a.id)
	h.Set(headerDeadlineMS, strconv.FormatInt(a.deadline.UnixMilli(), 10))
	h.Set(headerInvokedFunctionARN, a.arn)
	h.Set(headerTraceID, a.traceID)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.payload) // a broken connection means the process died; wait fails the invocation
}

// take returns the invocation id if it is the one the process holds, and
// clears it: an invocation is answered once.
func (sb *sandbox) take(id string) *attempt {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.current == nil || sb.current.id != id {
		return nil
	}
	a := sb.current
	sb.current = nil
	return a
}

// response is the invocation's result. A runtime streaming its response
// reports a failure while reading it in the trailers, as aws-lambda-go does.
func (sb *sandbox) response(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a := sb.take(id)
	if a == nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "unknown or already answered request id "+id)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sb.pool.cfg.MaxResponseBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		a.complete(outcome{err: &messages.InvokeResponse_Error{Type: "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", sb.pool.cfg.MaxResponseBytes)}})
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response too large")
		return
	case err != nil:
		a.complete(outcome{err: &messages.InvokeResponse_Error{Type: "Runtime.InvalidResponse",
			Message: fmt.Sprintf("RequestId: %s Error: reading the response: %v", id, err)}})
		apiError(w, http.StatusBadRequest, "InvalidResponse", err.Error())
		return
	}
	if typ := r.Trailer.Get(headerErrorType); typ != "" {
		doc := &messages.InvokeResponse_Error{Type: typ}
		if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody)); err == nil {
			doc = parseErrorDocument(b, typ)
		}
		a.complete(outcome{err: doc})
	} else {
		a.complete(outcome{payload: body})
	}
	accepted(w)
}

// invocationError is the invocation's error document.
func (sb *sandbox) invocationError(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a := sb.take(id)
	if a == nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "unknown or already answered request id "+id)
		return
	}
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, sb.pool.cfg.MaxResponseBytes))
	a.complete(outcome{err: parseErrorDocument(body, r.Header.Get(headerErrorType))})
	accepted(w)
}

// initError is a failed init. The invocation that started the process fails
// with the document the runtime posted, and the process is stopped, as
// Lambda resets the environment; the next invocation starts a new one.
func (sb *sandbox) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, sb.pool.cfg.MaxResponseBytes))
	doc := parseErrorDocument(body, r.Header.Get(headerErrorType))
	sb.mu.Lock()
	if sb.ready {
		sb.mu.Unlock()
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "init error after the runtime asked for an invocation")
		return
	}
	sb.initErr = doc
	sb.mu.Unlock()
	sb.log.Warn("init error reported", zap.String("error_type", doc.Type), zap.String("error_message", doc.Message))
	accepted(w)
	_ = http.NewResponseController(w).Flush()
	sb.kill("init error")
}

// parseErrorDocument reads {"errorMessage","errorType","stackTrace"}. The
// stack trace is aws-lambda-go's frames or, from other runtimes, strings.
// The type falls back to the Lambda-Runtime-Function-Error-Type header.
func parseErrorDocument(body []byte, headerType string) *messages.InvokeResponse_Error {
	var raw struct {
		Message    string          `json:"errorMessage"`
		Type       string          `json:"errorType"`
		StackTrace json.RawMessage `json:"stackTrace"`
	}
	doc := &messages.InvokeResponse_Error{}
	if err := json.Unmarshal(body, &raw); err != nil {
		doc.Message = string(body)
	} else {
		doc.Message, doc.Type = raw.Message, raw.Type
		if len(raw.StackTrace) > 0 && json.Unmarshal(raw.StackTrace, &doc.StackTrace) != nil {
			var lines []string
			if json.Unmarshal(raw.StackTrace, &lines) == nil {
				doc.StackTrace = nil
				for _, l := range lines {
					doc.StackTrace = append(doc.StackTrace, &messages.InvokeResponse_Error_StackFrame{Label: l})
				}
			}
		}
	}
	if doc.Type == "" {
		doc.Type = headerType
	}
	if doc.Type == "" {
		doc.Type = "Runtime.Unknown"
	}
	return doc
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}
