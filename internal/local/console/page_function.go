package console

import (
	"math"
	"net/http"
	"time"

	"github.com/imgflow/imgflow/internal/local/metrics"
)

// Metrics reads the CloudWatch datapoints the function page draws
// (*metrics.Store).
type Metrics interface {
	Statistics(m metrics.Metric, start, end time.Time, period time.Duration) ([]metrics.Datapoint, error)
}

// chartWindow is how far back the function page draws, one slot a minute.
const chartWindow = 60 * time.Minute

// FunctionPageView is a function's page: its configuration and its
// AWS/Lambda metrics over the last hour.
type FunctionPageView struct {
	Layout
	Function FunctionView
	LogGroup string
	Charts   []Chart
	NoCharts bool // no metrics service
}

func (h *handler) functionPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var fv *FunctionView
	var group string
	for _, s := range h.lambda.Stats() {
		if s.Function.Name == name {
			v := functionView(s)
			fv, group = &v, s.Function.LogGroup
		}
	}
	if fv == nil {
		http.NotFound(w, r)
		return
	}
	v := FunctionPageView{Layout: h.layout(r, "Function "+fv.LogicalID, "state-machine"), Function: *fv, LogGroup: group}
	if h.metrics == nil {
		v.NoCharts = true
		h.render(w, r, "function", http.StatusOK, v)
		return
	}
	end := h.now().Truncate(time.Minute).Add(time.Minute) // the current minute included
	start := end.Add(-chartWindow)
	series := func(metric, stat string) ([]float64, error) {
		points, err := h.metrics.Statistics(metrics.Metric{Namespace: "AWS/Lambda", MetricName: metric,
			Dimensions: []metrics.Dimension{{Name: "FunctionName", Value: name}}}, start, end, time.Minute)
		if err != nil {
			return nil, err
		}
		vals := make([]float64, int(chartWindow/time.Minute))
		for i := range vals {
			vals[i] = math.NaN()
		}
		for _, p := range points {
			i := int(p.Time.Sub(start) / time.Minute)
			if i < 0 || i >= len(vals) {
				continue
			}
			if vals[i], err = p.Agg.Statistic(stat); err != nil {
				return nil, err
			}
		}
		return vals, nil
	}
	inv, err := series("Invocations", "Sum")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	errs, err := series("Errors", "Sum")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p50, err := series("Duration", "p50")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p99, err := series("Duration", "p99")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Charts = []Chart{
		newChart("c-invocations", "Invocations and errors per minute", chartUnitCount, start, time.Minute, true,
			ChartSeries{Class: "inv", Label: "invocations", Values: inv}, ChartSeries{Class: "err", Label: "errors", Values: errs}),
		newChart("c-duration", "Duration per minute", chartUnitDurations, start, time.Minute, false,
			ChartSeries{Class: "p50", Label: "p50", Values: p50}, ChartSeries{Class: "p99", Label: "p99", Values: p99}),
	}
	h.render(w, r, "function", http.StatusOK, v)
}
