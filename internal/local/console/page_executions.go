package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// ExecutionsView is the executions list.
type ExecutionsView struct {
	Layout
	StateMachine  string   // name; "" when there is none
	StateMachines []Option // every state machine
	Status        string
	Query         string
	CanUpload     bool // the workload takes uploads
	Tabs          []Tab
	Rows          []ExecutionRow
	From, To      int
	Total         int // -1: unknown
	PrevURL       string
	NextURL       string
}

// Option is a <select> entry.
type Option struct {
	Value, Label string
	Selected     bool
}

// Tab is a status filter.
type Tab struct {
	Label  string
	URL    string
	Count  int
	Active bool
}

// ExecutionRow is one execution in the list.
type ExecutionRow struct {
	Name     string
	URL      string
	Key      string
	Status   string
	Thumb    string // URL, "" for the generic icon
	Start    time.Time
	Duration time.Duration
	Error    string
}

func (h *handler) executionsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	arns, err := h.stateMachines(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sm := smARN(q.Get("sm"), arns)
	status := strings.ToUpper(q.Get("status"))
	valid := status == ""
	for _, s := range allStatuses {
		valid = valid || s == status
	}
	if !valid {
		status = ""
	}
	query := strings.TrimSpace(q.Get("q"))
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	size := h.cfg.PageSize

	v := ExecutionsView{Layout: h.layout(r, "Executions", "executions"), StateMachine: arnName(sm), Status: status, Query: query}
	v.Live = true
	v.CanUpload = h.work.Uploads().Bucket != ""
	v.StateMachines = options(arns, sm)
	link := func(status string, page int) string {
		u := url.Values{}
		if sm != "" && sm != arns[0] {
			u.Set("sm", arnName(sm))
		}
		if status != "" {
			u.Set("status", status)
		}
		if query != "" {
			u.Set("q", query)
		}
		if page > 1 {
			u.Set("page", strconv.Itoa(page))
		}
		if len(u) == 0 {
			return "/executions"
		}
		return "/executions?" + u.Encode()
	}
	counts, smTotal := h.counts.get(r.Context(), sm)
	v.Tabs = append(v.Tabs, Tab{Label: "All", URL: link("", 1), Count: smTotal, Active: status == ""})
	for _, c := range counts {
		v.Tabs = append(v.Tabs, Tab{Label: titleCase(c.Status), URL: link(c.Status, 1), Count: c.Count, Active: status == c.Status})
	}
	if sm == "" {
		h.render(w, r, "executions", http.StatusOK, v)
		return
	}

	xs, more, total, err := h.list(r.Context(), sm, status, query, (page-1)*size, size)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if total < 0 && query == "" {
		for _, t := range v.Tabs {
			if t.Active {
				total = t.Count
			}
		}
	}
	v.Total = total
	for _, x := range xs {
		v.Rows = append(v.Rows, h.row(&x))
	}
	if len(xs) > 0 {
		v.From, v.To = (page-1)*size+1, (page-1)*size+len(xs)
	}
	if page > 1 {
		v.PrevURL = link(status, page-1)
	}
	if more {
		v.NextURL = link(status, page+1)
	}
	h.render(w, r, "executions", http.StatusOK, v)
}

// list pages through ListExecutions: offset/limit over the API's pages,
// and a full scan when searching by key (the API has no key filter).
func (h *handler) list(ctx context.Context, sm, status, query string, offset, limit int) (out []sfnapi.Execution, more bool, total int, err error) {
	total = -1
	needle := strings.ToLower(query)
	matched := 0
	tok := ""
	for {
		xs, next, err := h.sfn.ListExecutions(ctx, sm, status, 1000, tok)
		if err != nil {
			return nil, false, 0, err
		}
		for _, x := range xs {
			if needle != "" && !strings.Contains(strings.ToLower(h.executionKey(&x)), needle) && !strings.Contains(strings.ToLower(x.Name), needle) {
				continue
			}
			matched++
			switch {
			case matched <= offset:
			case len(out) < limit:
				out = append(out, x)
			default:
				more = true
			}
		}
		if next == "" {
			break
		}
		if more && needle == "" {
			return out, more, total, nil
		}
		tok = next
	}
	if needle != "" {
		total = matched
	}
	return out, more, total, nil
}

// executionKey is the key of the object the execution processes, "" when
// the workload names none.
func (h *handler) executionKey(x *sfnapi.Execution) string {
	src, _ := h.work.Source(described(x))
	return src.Key
}

func (h *handler) row(x *sfnapi.Execution) ExecutionRow {
	row := ExecutionRow{Name: x.Name, URL: executionURL(x.ARN), Key: h.executionKey(x), Status: x.Status, Start: x.StartDate, Error: x.Error}
	if !x.StopDate.IsZero() {
		row.Duration = x.StopDate.Sub(x.StartDate)
	} else {
		row.Duration = time.Since(x.StartDate)
	}
	if t, ok := h.work.Thumbnail(described(x)); ok {
		row.Thumb = objectURL(t.Bucket, t.Key)
	}
	return row
}

// options are the state machines for a chooser, by name.
func options(arns []string, selected string) []Option {
	out := make([]Option, 0, len(arns))
	for _, arn := range arns {
		out = append(out, Option{Value: arnName(arn), Label: arnName(arn), Selected: arn == selected})
	}
	return out
}

// executionURL is /executions/<state machine>/<name>.
func executionURL(execARN string) string {
	_, kind, names, ok := arn.States(execARN)
	switch {
	case ok && kind == "execution" && len(names) >= 2:
		return "/executions/" + url.PathEscape(names[0]) + "/" + url.PathEscape(names[1])
	case ok && kind == "express" && len(names) == 3:
		// A Distributed Map's EXPRESS child: express:<sm>/<label>:<map run id>:<name>.
		return "/executions/" + url.PathEscape(names[0]) + "/" + url.PathEscape(names[1]+":"+names[2])
	}
	return "/executions"
}

func objectURL(bucket, key string) string {
	return "/objects/" + url.PathEscape(bucket) + "/" + (&url.URL{Path: key}).EscapedPath()
}

func titleCase(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
