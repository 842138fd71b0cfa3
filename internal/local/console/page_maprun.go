package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// MapRunView is the Map Run page: a Distributed Map's progress (the item
// and child execution counters of DescribeMapRun), its settings, and its
// child executions, all of them or the failed ones.
type MapRunView struct {
	Layout
	ARN, ID         string
	Status          string
	Start, Stop     time.Time
	ParentURL       string
	Parent          string
	MaxConcurrency  int64
	ToleratedPct    float64
	ToleratedCount  int64
	Items, Children sfnapi.MapRunCounts
	// Done is the items that ended, of Items.Total (the progress bar).
	Done, Percent int64
	Error, Cause  string
	Filter        string // "" or a status the child list is filtered to
	ChildList     []MapRunChild
	NextURL       string
}

// MapRunChild is one child execution in the list.
type MapRunChild struct {
	Name, URL, Status string
	Start, Stop       time.Time
}

// MapRunLink is a Map Run an execution started, on the execution page.
type MapRunLink struct {
	URL, ID, Status string
	Done, Total     int64
	Failed          int64
}

func mapRunURL(runARN string) string { return "/map-run?arn=" + url.QueryEscape(runARN) }

func (h *handler) mapRunPage(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	run, err := h.sfn.DescribeMapRun(ctx, q.Get("arn"))
	if notFound(err) {
		h.render(w, r, "notfound", http.StatusNotFound, ExecutionView{Layout: h.layout(r, "Map Run not found", "executions"), Name: q.Get("arn")})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := MapRunView{Layout: h.layout(r, "Map Run "+arn.Name(run.ARN), "executions"), ARN: run.ARN, ID: arn.Name(run.ARN),
		Status: run.Status, Start: run.StartDate, Stop: run.StopDate, ParentURL: executionURL(run.ExecutionARN), Parent: arn.Name(run.ExecutionARN),
		MaxConcurrency: run.MaxConcurrency, ToleratedPct: run.ToleratedFailurePercentage, ToleratedCount: run.ToleratedFailureCount,
		Items: run.ItemCounts, Children: run.ExecutionCounts, Error: run.Error, Cause: run.Cause, Filter: q.Get("status")}
	c := run.ItemCounts
	v.Done = c.Succeeded + c.Failed + c.TimedOut + c.Aborted
	if c.Total > 0 {
		v.Percent = v.Done * 100 / c.Total
	}
	if v.Status == sfnapi.StatusRunning {
		// Re-read once the parent moves on (the Map Run's end).
		v.Live, v.WatchARN = true, run.ExecutionARN
	}
	xs, next, err := h.sfn.ListMapRunExecutions(ctx, run.ARN, v.Filter, h.cfg.PageSize, q.Get("next"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, x := range xs {
		v.ChildList = append(v.ChildList, MapRunChild{Name: x.Name, URL: executionURL(x.ARN), Status: x.Status, Start: x.StartDate, Stop: x.StopDate})
	}
	if next != "" {
		v.NextURL = mapRunURL(run.ARN) + "&status=" + url.QueryEscape(v.Filter) + "&next=" + url.QueryEscape(next)
	}
	h.render(w, r, "maprun", http.StatusOK, v)
}

// mapRunLinks are the Map Runs an execution started.
func (h *handler) mapRunLinks(r *http.Request, execARN string) []MapRunLink {
	runs, err := h.sfn.ListMapRuns(r.Context(), execARN)
	if err != nil {
		return nil
	}
	out := make([]MapRunLink, 0, len(runs))
	for _, run := range runs {
		c := run.ItemCounts
		out = append(out, MapRunLink{URL: mapRunURL(run.ARN), ID: arn.Name(run.ARN), Status: run.Status,
			Done: c.Succeeded + c.Failed + c.TimedOut + c.Aborted, Total: c.Total, Failed: c.Failed + c.TimedOut + c.Aborted})
	}
	return out
}
