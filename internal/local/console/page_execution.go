package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

// ExecutionView is the execution detail page.
type ExecutionView struct {
	Layout
	Name         string
	ARN          string
	URL          string
	StateMachine string
	Status       string
	Source       pipeline.ObjectRef
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
	Flash        string
	FlashError   bool
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
	Failing    bool
}

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

// groupVariants groups files by preset and size, keeping their order, and
// fills in each file's size relative to the group's fallback format.
func groupVariants(files []VariantView) []VariantGroup {
	var gs []VariantGroup
	for _, f := range files {
		if n := len(gs); n > 0 && gs[n-1].Preset == f.Preset && gs[n-1].Width == f.Width && gs[n-1].Height == f.Height {
			gs[n-1].Files = append(gs[n-1].Files, f)
			continue
		}
		gs = append(gs, VariantGroup{Preset: f.Preset, Width: f.Width, Height: f.Height, Files: []VariantView{f}})
	}
	for _, g := range gs {
		var base *VariantView
		for _, want := range []string{"jpeg", "png"} {
			for i := range g.Files {
				if base == nil && g.Files[i].Format == want {
					base = &g.Files[i]
				}
			}
		}
		if base == nil || base.Bytes <= 0 {
			continue
		}
		for i := range g.Files {
			if f := &g.Files[i]; f != base {
				f.Relative = fmt.Sprintf("%d%% of %s", (f.Bytes*100+base.Bytes/2)/base.Bytes, strings.ToUpper(base.Format))
			}
		}
	}
	return gs
}

// execARN rebuilds an execution ARN from the state machine's.
func (h *handler) execARN(sm, name string) string {
	for _, arn := range h.cfg.StateMachines {
		if arnName(arn) == sm {
			return strings.Replace(arn, ":stateMachine:", ":execution:", 1) + ":" + name
		}
	}
	p := strings.SplitN(h.cfg.StateMachines[0], ":stateMachine:", 2)
	return p[0] + ":execution:" + sm + ":" + name
}

func notFound(err error) bool {
	var apiErr *sfnapi.APIError
	return errors.As(err, &apiErr) && (apiErr.Code == "ExecutionDoesNotExist" || apiErr.Code == "InvalidArn")
}

func (h *handler) executionPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	arn := h.execARN(r.PathValue("sm"), r.PathValue("name"))
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
	v.Title = "Execution " + x.Name
	v.Live, v.WatchARN = true, x.ARN
	if x.StopDate.IsZero() {
		v.Duration = time.Since(x.StartDate)
	} else {
		v.Duration = x.StopDate.Sub(x.StartDate)
	}
	v.Cause, v.CauseDoc = causeMessage(x.Cause), prettyText(x.Cause)
	if json.Unmarshal([]byte(x.Input), &v.Source) == nil && v.Source.Bucket != "" && v.Source.Key != "" {
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
	runs, rows := analyze(events, x, types)
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
			if rr.Failing {
				v.FailingState = n
			}
		}
		v.States = append(v.States, d)
	}
	v.Variants, v.Manifest, v.ManifestURL = h.variants(ctx, x.Output)
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

// variants lists the produced images, grouped by size: from the manifest
// when the execution stored one (read through S3), else from the output.
func (h *handler) variants(ctx context.Context, output string) ([]VariantGroup, string, string) {
	var out struct {
		Variants []pipeline.Variant `json:"variants"`
		Stored   struct {
			ManifestKey string `json:"manifestKey"`
		} `json:"stored"`
	}
	if output == "" || json.Unmarshal([]byte(output), &out) != nil {
		return nil, "", ""
	}
	var vs []VariantView
	for _, v := range out.Variants {
		for _, f := range v.Files {
			vs = append(vs, VariantView{Preset: v.Preset, Key: f.Key, URL: objectURL(v.Bucket, f.Key),
				DownloadURL: objectURL(v.Bucket, f.Key) + "?download=1", Width: v.Width, Height: v.Height, Bytes: f.Bytes, Format: f.Format})
		}
	}
	if out.Stored.ManifestKey == "" || len(out.Variants) == 0 {
		return groupVariants(vs), "", ""
	}
	bucket := out.Variants[0].Bucket
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	obj, err := h.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(out.Stored.ManifestKey)})
	if err != nil {
		return groupVariants(vs), "", ""
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(io.LimitReader(obj.Body, 1<<20))
	if err != nil {
		return groupVariants(vs), "", ""
	}
	var m pipeline.Manifest
	if json.Unmarshal(b, &m) == nil && len(m.Variants) > 0 {
		vs = vs[:0]
		for _, mv := range m.Variants {
			u := objectURL(bucket, mv.Key)
			vs = append(vs, VariantView{Preset: mv.Preset, Key: mv.Key, URL: u, DownloadURL: u + "?download=1",
				Width: mv.Width, Height: mv.Height, Bytes: mv.Bytes, Format: mv.Format})
		}
	}
	return groupVariants(vs), prettyJSON(b), objectURL(bucket, out.Stored.ManifestKey) + "?download=1"
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
	arn := h.execARN(r.PathValue("sm"), r.PathValue("name"))
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	_, err := h.sfn.StopExecution(ctx, arn, "Console.Stopped", "Stopped from the imgflow console.")
	h.after(w, r, executionURL(arn), "stopped", err)
}

func (h *handler) redriveExecution(w http.ResponseWriter, r *http.Request) {
	arn := h.execARN(r.PathValue("sm"), r.PathValue("name"))
	_, err := h.sfn.RedriveExecution(r.Context(), arn)
	h.after(w, r, executionURL(arn), "redriven", err)
}

// rerunExecution starts a new execution with the same input.
func (h *handler) rerunExecution(w http.ResponseWriter, r *http.Request) {
	arn := h.execARN(r.PathValue("sm"), r.PathValue("name"))
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
// ones, by the object reference in its input.
func (h *handler) findExecution(ctx context.Context, key, versionID string) string {
	for _, sm := range h.cfg.StateMachines {
		xs, _, err := h.sfn.ListExecutions(ctx, sm, "", 200, "")
		if err != nil {
			continue
		}
		for _, x := range xs {
			var in pipeline.ObjectRef
			if json.Unmarshal([]byte(x.Input), &in) == nil && in.Key == key && (versionID == "" || in.VersionID == versionID) {
				return x.ARN
			}
		}
	}
	return ""
}
