package console

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestNewChart(t *testing.T) {
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	nan := math.NaN()
	tests := []struct {
		name             string
		bars             bool
		series           []ChartSeries
		bars0, lines     int
		topTick, summary string
		empty            bool
	}{
		{name: "bars: errors over invocations", bars: true,
			series: []ChartSeries{{Class: "inv", Label: "invocations", Values: []float64{3, nan, 7, 0}}, {Class: "err", Label: "errors", Values: []float64{1, nan, 0, 0}}},
			bars0:  3, topTick: "10", summary: "10 invocations, 1 errors"},
		{name: "lines break at gaps", bars: false,
			series: []ChartSeries{{Class: "p50", Label: "p50", Values: []float64{10, 20, nan, 40, 45}}},
			lines:  2, topTick: "50 ms", summary: "p50 mean 28.8 ms"},
		{name: "nothing", bars: true, series: []ChartSeries{{Class: "inv", Label: "invocations", Values: []float64{nan, nan}}}, empty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unit := chartUnitCount
			if !tt.bars {
				unit = chartUnitDurations
			}
			c := newChart("c", "t", unit, start, time.Minute, tt.bars, tt.series...)
			if c.Empty != tt.empty {
				t.Fatalf("Empty = %v", c.Empty)
			}
			if tt.empty {
				return
			}
			if len(c.Bars) != tt.bars0 || len(c.Lines) != tt.lines {
				t.Errorf("%d bars and %d lines, want %d and %d", len(c.Bars), len(c.Lines), tt.bars0, tt.lines)
			}
			if got := c.YTicks[len(c.YTicks)-1].Label; got != tt.topTick {
				t.Errorf("top tick %q, want %q", got, tt.topTick)
			}
			if !strings.Contains(c.Summary, tt.summary) {
				t.Errorf("summary %q lacks %q", c.Summary, tt.summary)
			}
			for _, b := range c.Bars {
				if b.Y < c.Top || b.Y+b.H > c.Bottom+0.01 || b.H <= 0 {
					t.Errorf("bar %+v outside the plot %v..%v", b, c.Top, c.Bottom)
				}
			}
		})
	}
}
