package console

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart is an SVG time chart, laid out on the server: bars for counts,
// polylines for durations, one slot per period. The template only draws
// what is here.
type Chart struct {
	ID                  string
	Title               string
	Unit                string
	Width, Height       int
	Left, Top           float64 // the plot area's corner
	PlotW, PlotH        float64
	Bars                []ChartBar
	Lines               []ChartLine
	Dots                []ChartDot
	YTicks, XTicks      []ChartTick
	Legend              []ChartLegend
	Empty               bool
	Summary             string // for screen readers
	Bottom, Right, Base float64
}

// ChartBar is one bar (its title is the tooltip).
type ChartBar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// ChartLine is one unbroken run of a series.
type ChartLine struct{ Class, Points string }

// ChartDot marks a lone value, which a polyline cannot show.
type ChartDot struct {
	X, Y  float64
	Class string
	Title string
}

// ChartTick is an axis label at a position.
type ChartTick struct {
	Pos   float64
	Label string
}

// ChartLegend names a series.
type ChartLegend struct{ Class, Label string }

// ChartSeries is one series: a value per slot, NaN where there is none.
type ChartSeries struct {
	Class, Label string
	Values       []float64
}

// chart sizes, in SVG units.
const (
	chartW, chartH                     = 720, 200
	chartLeft, chartRight              = 48, 12
	chartTop, chartBottom              = 12, 28
	chartLabelEvery                    = 15 // slots between time labels
	chartUnitCount, chartUnitDurations = "count", "ms"
)

// newChart lays out series over slots starting at start, one per period:
// as bars (stacked from the axis, the first series behind) or as lines.
func newChart(id, title, unit string, start time.Time, period time.Duration, bars bool, series ...ChartSeries) Chart {
	c := Chart{ID: id, Title: title, Unit: unit, Width: chartW, Height: chartH, Left: chartLeft, Top: chartTop,
		PlotW: chartW - chartLeft - chartRight, PlotH: chartH - chartTop - chartBottom}
	c.Bottom, c.Right = c.Top+c.PlotH, c.Left+c.PlotW
	c.Base = c.Bottom
	slots := 0
	top := 0.0
	for _, s := range series {
		slots = max(slots, len(s.Values))
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
		c.Legend = append(c.Legend, ChartLegend{Class: s.Class, Label: s.Label})
	}
	if slots == 0 {
		c.Empty = true
		return c
	}
	c.Empty = top == 0 && !anyValue(series)
	yMax := niceCeil(top)
	y := func(v float64) float64 { return c.Bottom - v/yMax*c.PlotH }
	slotW := c.PlotW / float64(slots)
	x := func(i int) float64 { return c.Left + (float64(i)+0.5)*slotW }
	for _, f := range []float64{0, 0.5, 1} {
		c.YTicks = append(c.YTicks, ChartTick{Pos: y(f * yMax), Label: formatTick(f*yMax, unit)})
	}
	for i := 0; i < slots; i += chartLabelEvery {
		c.XTicks = append(c.XTicks, ChartTick{Pos: x(i), Label: start.Add(time.Duration(i) * period).Local().Format("15:04")})
	}
	var words []string
	for _, s := range series {
		sum, n := 0.0, 0
		for i, v := range s.Values {
			if math.IsNaN(v) {
				continue
			}
			sum += v
			n++
			at := start.Add(time.Duration(i) * period).Local().Format("15:04")
			if bars {
				if v > 0 {
					c.Bars = append(c.Bars, ChartBar{X: x(i) - slotW*0.4, Y: y(v), W: slotW * 0.8, H: c.Bottom - y(v), Class: s.Class,
						Title: fmt.Sprintf("%s %s: %s", at, s.Label, formatTick(v, unit))})
				}
				continue
			}
			c.Dots = append(c.Dots, ChartDot{X: x(i), Y: y(v), Class: s.Class, Title: fmt.Sprintf("%s %s: %s", at, s.Label, formatTick(v, unit))})
		}
		if !bars {
			c.Lines = append(c.Lines, lineRuns(s, x, y)...)
		}
		if bars {
			words = append(words, fmt.Sprintf("%s %s", formatTick(sum, unit), s.Label))
		} else if n > 0 {
			words = append(words, fmt.Sprintf("%s mean %s", s.Label, formatTick(sum/float64(n), unit)))
		}
	}
	c.Summary = fmt.Sprintf("%s over %d minutes: %s", title, slots, strings.Join(words, ", "))
	return c
}

func anyValue(series []ChartSeries) bool {
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}

// lineRuns splits a series into polylines at its gaps.
func lineRuns(s ChartSeries, x func(int) float64, y func(float64) float64) []ChartLine {
	var out []ChartLine
	var pts []string
	flush := func() {
		if len(pts) > 1 {
			out = append(out, ChartLine{Class: s.Class, Points: strings.Join(pts, " ")})
		}
		pts = nil
	}
	for i, v := range s.Values {
		if math.IsNaN(v) {
			flush()
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
	}
	flush()
	return out
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten (1 for nothing).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func formatTick(v float64, unit string) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if v != math.Trunc(v) {
		s = strconv.FormatFloat(v, 'f', 1, 64)
	}
	if unit == chartUnitDurations {
		if v >= 1000 {
			return strconv.FormatFloat(v/1000, 'f', 1, 64) + " s"
		}
		return s + " ms"
	}
	return s
}
