package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/local/console/workload"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// ExecutionView is the execution detail page.
type ExecutionView struct {
	Layout
	Name         string
	ARN          string
	URL          string
	StateMachine string
	Status       string
	Source       workload.Object // Key "" when the workload names none
	SourceURL    string
	Start, Stop  time.Time
	Duration     time.Duration
	Error        string
	Cause        string // the error message when Cause is a Lambda error document
	CauseDoc     string // the full cause, pretty
	FailingState string
	Input        string
	Output       string
	Graph        Graph
	States       []StateDetail
	Events       []EventRow
	Variants     []VariantGroup
	Manifest     string
	ManifestURL  string
	Redriven     int
	CanStop      bool
	CanRedrive   bool
	NoRedrive    string // why Redrive is not offered for this failure
	Flash        string
	FlashError   bool
	// MapRuns are the Distributed Map runs the execution started;
	// MapRunURL links a child execution to its Map Run.
	MapRuns   []MapRunLink
	MapRunURL string
}

// StateDetail is the panel shown when a state of the graph is selected.
type StateDetail struct {
	Name       string
	ID         string // DOM id
	Type       string
	Status     string
	Input      string
	Output     string
	Entered    int
	Retries    int
	Error      string
	Cause      string
	Duration   time.Duration
	Iterations int
	IterOK     int
	IterFailed int
	IterText   string // "3 of 4 succeeded, 1 failed"
	// FailedIters are the first failed iterations (up to maxFailedIters);
	// MoreFailed counts the others.
	FailedIters []FailedIteration
	MoreFailed  int
	Failing     bool
}

// FailedIteration is one failed Map iteration in a state's panel.
type FailedIteration struct {
	Index    int
	Item     string // pretty
	State    string
	Error    string
	Message  string // the error message when Cause is a Lambda error document
	CauseDoc string // the full cause, pretty
	EventID  int64
}

// maxFailedIters bounds the failed iterations listed in a panel.
const maxFailedIters = 20

// VariantGroup is one size of one preset, in every format produced.
type VariantGroup struct {
	Preset        string
	Width, Height int
	Files         []VariantView // the preset's format order: WebP beside its JPEG or PNG fallback
}

// VariantView is one produced image file.
type VariantView struct {
	Preset      string
	Key         string
	URL         string
	DownloadURL string
	Width       int
	Height      int
	Bytes       int64
	Format      string
	// Relative is the size against the group's fallback (JPEG, else PNG)
	// file, e.g. "64% of JPEG"; empty for the fallback itself.
	Relative string
}

// relativeSizes fills in each file's size relative to the group's
// fallback format (JPEG, else PNG).
func relativeSizes(g *VariantGroup) {
	var base *VariantView
	for _, want := range []string{"jpeg", "png"} {
		for i := range g.Files {
			if base == nil && g.Files[i].Format == want {
				base = &g.Files[i]
			}
		}
	}
	if base == nil || base.Bytes <= 0 {
		return
	}
	for i := range g.Files {
		if f := &g.Files[i]; f != base {
			f.Relative = fmt.Sprintf("%d%% of %s", (f.Bytes*100+base.Bytes/2)/base.Bytes, strings.ToUpper(base.Format))
		}
	}
}

func notFound(err error) bool {
	var apiErr *sfnapi.APIError
	return errors.As(err, &apiErr) && (apiErr.Code == "ExecutionDoesNotExist" || apiErr.Code == "InvalidArn")
}

func (h *handler) executionPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	arn := h.execARN(ctx, r.PathValue("sm"), r.PathValue("name"))
	x, err := h.sfn.DescribeExecution(ctx, arn)
	if notFound(err) {
		v := ExecutionView{Layout: h.layout(r, "Execution not found", "executions"), Name: r.PathValue("name")}
		h.render(w, r, "notfound", http.StatusNotFound, v)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sm, err := h.sfn.DescribeStateMachineForExecution(ctx, arn)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.history(ctx, arn)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := ExecutionView{Layout: h.layout(r, x.Name, "executions"), Name: x.Name, ARN: x.ARN, URL: executionURL(x.ARN),
		StateMachine: x.StateMachineName, Status: x.Status, Start: x.StartDate, Stop: x.StopDate, Error: x.Error,
		Input: prettyText(x.Input), Output: prettyText(x.Output), Redriven: x.RedriveCount,
		CanStop: x.Status == sfnapi.StatusRunning, CanRedrive: x.Status == sfnapi.StatusFailed || x.Status == sfnapi.StatusTimedOut || x.Status == sfnapi.StatusAborted}
	if v.CanRedrive {
		if why := h.work.Failure(described(x)).NoRedrive; why != "" {
			v.CanRedrive, v.NoRedrive = false, why
		}
	}
	v.Title = "Execution " + x.Name
	v.Live, v.WatchARN = true, x.ARN
	if x.StopDate.IsZero() {
		v.Duration = time.Since(x.StartDate)
	} else {
		v.Duration = x.StopDate.Sub(x.StartDate)
	}
	v.Cause, v.CauseDoc = causeMessage(x.Cause), prettyText(x.Cause)
	if src, ok := h.work.Source(described(x)); ok {
		v.Source = src
	}
	if v.Source.Bucket != "" && v.Source.Key != "" && slices.Contains(h.cfg.Buckets, v.Source.Bucket) {
		v.SourceURL = objectURL(v.Source.Bucket, v.Source.Key)
		if v.Source.VersionID != "" {
			v.SourceURL += "?versionId=" + url.QueryEscape(v.Source.VersionID)
		}
	}
	switch m := r.URL.Query().Get("msg"); m {
	case "redriven":
		v.Flash = "Redrive started: the execution continues from the state that failed."
	case "stopped":
		v.Flash = "Execution stopped."
	case "":
	default:
		v.Flash, v.FlashError = m, true
	}

	def, err := parseDefinition(sm.Definition)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	types := stateTypes(def)
	runs, rows := analyze(events, x, def)
	v.Graph = buildGraph(def, runs)
	v.Events = rows
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := StateDetail{Name: n, ID: domID(n), Type: types[n], Status: "notreached"}
		if rr := runs[n]; rr != nil {
			d.Status, d.Input, d.Output = rr.Status, prettyText(rr.Input), prettyText(rr.Output)
			d.Entered, d.Retries, d.Error, d.Cause, d.Duration = rr.Entered, rr.Retries, rr.Error, prettyText(rr.Cause), rr.Duration
			d.Iterations, d.IterOK, d.IterFailed, d.Failing = rr.Iterations, rr.IterSucceeded, rr.IterFailed, rr.Failing
			if rr.Iterations > 0 || rr.IterFailed > 0 {
				d.IterText = rr.iterationSummary()
			}
			for i, f := range rr.FailedIterations {
				if i == maxFailedIters {
					d.MoreFailed = len(rr.FailedIterations) - i
					break
				}
				d.FailedIters = append(d.FailedIters, FailedIteration{Index: f.Index, Item: prettyText(f.Item), State: f.State, Error: f.Error,
					Message: causeMessage(f.Cause), CauseDoc: prettyText(f.Cause), EventID: f.EventID})
			}
			if rr.Failing {
				v.FailingState = n
			}
		}
		v.States = append(v.States, d)
	}
	v.MapRuns = h.mapRunLinks(r, x.ARN)
	if x.MapRunARN != "" {
		v.MapRunURL = mapRunURL(x.MapRunARN)
	}
	v.Variants, v.Manifest, v.ManifestURL = h.outputs(ctx, x)
	h.render(w, r, "execution", http.StatusOK, v)
}

// history reads every event page.
func (h *handler) history(ctx context.Context, arn string) ([]sfnapi.HistoryEvent, error) {
	var all []sfnapi.HistoryEvent
	tok := ""
	for {
		evs, next, err := h.sfn.ExecutionHistory(ctx, arn, false, 1000, tok)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
		if next == "" || len(all) > 100000 {
			return all, nil
		}
		tok = next
	}
}

// outputs lists what the execution produced, as the workload tells it:
// the images grouped by size, and the manifest (pretty, and its URL).
func (h *handler) outputs(ctx context.Context, x *sfnapi.Execution) ([]VariantGroup, string, string) {
	out, err := h.work.Outputs(ctx, described(x), h.readObject)
	if err != nil {
		h.log.Warn("execution outputs incomplete", zap.String("execution", x.ARN), zap.Error(err))
	}
	groups := make([]VariantGroup, 0, len(out.Variants))
	for _, v := range out.Variants {
		g := VariantGroup{Preset: v.Name, Width: v.Width, Height: v.Height}
		for _, f := range v.Files {
			u := objectURL(f.Bucket, f.Key)
			g.Files = append(g.Files, VariantView{Preset: v.Name, Key: f.Key, URL: u, DownloadURL: u + "?download=1",
				Width: v.Width, Height: v.Height, Bytes: f.Size, Format: f.Format})
		}
		relativeSizes(&g)
		groups = append(groups, g)
	}
	if m := out.Manifest; m != nil {
		return groups, prettyJSON(m.Body), objectURL(m.Bucket, m.Key) + "?download=1"
	}
	return groups, "", ""
}

// readObject reads at most max bytes of an object of the stack's buckets
// through S3, for the workload (a manifest).
func (h *handler) readObject(ctx context.Context, bucket, key string, max int64) ([]byte, error) {
	if !slices.Contains(h.cfg.Buckets, bucket) {
		return nil, fmt.Errorf("console: read s3://%s/%s: not a bucket of the stack", bucket, key)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	obj, err := h.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer obj.Body.Close()
	return io.ReadAll(io.LimitReader(obj.Body, max))
}

// causeMessage shows a Lambda error's message rather than its JSON document.
func causeMessage(cause string) string {
	var doc struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &doc) == nil && doc.ErrorMessage != "" {
		return doc.ErrorMessage
	}
	return cause
}

func domID(name string) string {
	var b strings.Builder
	b.WriteString("state-")
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "_%x", r)
		}
	}
	return b.String()
}

// Actions. Each answers with a redirect back to the detail page (POST,
// redirect, GET), carrying a short message.

func (h *handler) stopExecution(w http.ResponseWriter, r *http.Request) {
	arn := h.execARN(r.Context(), r.PathValue("sm"), r.PathValue("name"))
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	_, err := h.sfn.StopExecution(ctx, arn, "Console.Stopped", "Stopped from the imgflow console.")
	h.after(w, r, executionURL(arn), "stopped", err)
}

// redriveExecution redrives a failed execution, unless the workload says
// its error can never pass: then it refuses, saying why, and the execution
// stays as it is.
func (h *handler) redriveExecution(w http.ResponseWriter, r *http.Request) {
	arn := h.execARN(r.Context(), r.PathValue("sm"), r.PathValue("name"))
	x, err := h.sfn.DescribeExecution(r.Context(), arn)
	if err != nil {
		h.after(w, r, executionURL(arn), "", err)
		return
	}
	if why := h.work.Failure(described(x)).NoRedrive; why != "" {
		h.after(w, r, executionURL(arn), why, nil)
		return
	}
	_, err = h.sfn.RedriveExecution(r.Context(), arn)
	h.after(w, r, executionURL(arn), "redriven", err)
}

// rerunExecution starts a new execution with the same input.
func (h *handler) rerunExecution(w http.ResponseWriter, r *http.Request) {
	arn := h.execARN(r.Context(), r.PathValue("sm"), r.PathValue("name"))
	x, err := h.sfn.DescribeExecution(r.Context(), arn)
	if err != nil {
		h.after(w, r, executionURL(arn), "", err)
		return
	}
	name := x.Name
	if len(name) > 64 {
		name = name[:64]
	}
	name = fmt.Sprintf("%s-rerun-%x", name, time.Now().UnixMilli()%0xffffffff)
	newARN, _, err := h.sfn.StartExecution(r.Context(), x.StateMachineARN, name, x.Input)
	if err != nil {
		h.after(w, r, executionURL(arn), "", err)
		return
	}
	http.Redirect(w, r, executionURL(newARN), http.StatusSeeOther)
}

func (h *handler) after(w http.ResponseWriter, r *http.Request, to, msg string, err error) {
	if err != nil {
		var apiErr *sfnapi.APIError
		if !errors.As(err, &apiErr) {
			h.fail(w, r, err)
			return
		}
		msg = apiErr.Message
	}
	http.Redirect(w, r, to+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
}

// ExecutionStatus is the read-only JSON the upload page polls.
type ExecutionStatus struct {
	Exists bool   `json:"exists"`
	ARN    string `json:"arn,omitempty"`
	Status string `json:"status,omitempty"`
	URL    string `json:"url,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (h *handler) executionStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	arn := q.Get("arn")
	if arn == "" && q.Get("key") != "" {
		arn = h.findExecution(r.Context(), q.Get("key"), q.Get("versionId"))
		if arn == "" {
			writeJSON(w, http.StatusOK, ExecutionStatus{})
			return
		}
	}
	var st ExecutionStatus
	x, err := h.sfn.DescribeExecution(r.Context(), arn)
	switch {
	case notFound(err):
	case err != nil:
		h.fail(w, r, err)
		return
	default:
		st = ExecutionStatus{Exists: true, ARN: x.ARN, Status: x.Status, URL: executionURL(x.ARN), Error: x.Error}
	}
	writeJSON(w, http.StatusOK, st)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// findExecution finds the execution an upload started among the newest
// ones of each state machine, by the object the workload reads from its
// input.
func (h *handler) findExecution(ctx context.Context, key, versionID string) string {
	arns, _ := h.stateMachines(ctx)
	for _, sm := range arns {
		xs, _, err := h.sfn.ListExecutions(ctx, sm, "", 200, "")
		if err != nil {
			continue
		}
		for i := range xs {
			src, ok := h.work.Source(described(&xs[i]))
			if ok && src.Key == key && (versionID == "" || src.VersionID == versionID) {
				return xs[i].ARN
			}
		}
	}
	return ""
}
