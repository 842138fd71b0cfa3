// Package metrics is the CloudWatch service of the local stack: metrics
// kept at one-minute resolution (AWS/Lambda, AWS/States and AWS/SQS as the
// stack reports them), alarms evaluated over them, and the CloudWatch API
// (GetMetricStatistics, GetMetricData, ListMetrics, DescribeAlarms) in the
// three protocols clients speak: Query (aws CLI v2), Smithy RPC v2 CBOR
// (botocore, aws-sdk-go-v2) and JSON 1.0.
package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imgflow/imgflow/internal/local/flushdb"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Config configures the store.
type Config struct {
	DataDir   string // metrics.db lives here
	Region    string
	AccountID string
	// Retention is how long one-minute datapoints are kept (CloudWatch
	// keeps them 15 days).
	Retention time.Duration
	// MaxSeries bounds how many metrics (namespace, name, dimensions) are
	// kept; datapoints of further ones are dropped.
	MaxSeries int
	// MaxRequestBytes bounds an API request body.
	MaxRequestBytes int64
	// FlushInterval is how often changed datapoints are written to disk.
	FlushInterval time.Duration
	Now           func() time.Time
}

// NewDefaultConfig returns the local defaults.
func NewDefaultConfig() *Config {
	return &Config{Region: "us-east-1", AccountID: "000000000000", Retention: 15 * 24 * time.Hour, MaxSeries: 5000,
		MaxRequestBytes: 1 << 20, FlushInterval: time.Second, Now: time.Now}
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("metrics: DataDir is required"))
	}
	if c.Retention <= 0 || c.MaxSeries <= 0 || c.MaxRequestBytes <= 0 || c.FlushInterval <= 0 {
		errs = append(errs, errors.New("metrics: Retention, MaxSeries, MaxRequestBytes and FlushInterval must be positive"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("metrics: Now is required"))
	}
	return errors.Join(errs...)
}

// Dimension is a name/value pair of a metric.
type Dimension struct {
	Name  string `json:"Name" xml:"Name"`
	Value string `json:"Value" xml:"Value"`
}

// Metric names one series.
type Metric struct {
	Namespace  string      `json:"Namespace" xml:"Namespace"`
	MetricName string      `json:"MetricName" xml:"MetricName"`
	Dimensions []Dimension `json:"Dimensions" xml:"Dimensions>member"`
}

// key identifies the series whatever the order of its dimensions.
func (m Metric) key() string {
	dims := slices.Clone(m.Dimensions)
	sort.Slice(dims, func(i, j int) bool { return dims[i].Name < dims[j].Name })
	var b strings.Builder
	b.WriteString(m.Namespace + "\x00" + m.MetricName)
	for _, d := range dims {
		b.WriteString("\x00" + d.Name + "=" + d.Value)
	}
	return b.String()
}

// Units of the metrics the stack reports.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
)

// Agg is the statistic set of the values in a time range: CloudWatch's
// SampleCount, Sum, Minimum and Maximum, and a histogram for percentiles.
type Agg struct {
	Count float64          `json:"n"`
	Sum   float64          `json:"s"`
	Min   float64          `json:"lo"`
	Max   float64          `json:"hi"`
	Hist  map[int32]uint32 `json:"h,omitempty"`
}

// histBase is the histogram's bucket ratio: a percentile is off by at
// most 2.5% (and never outside Minimum..Maximum).
const histBase = 1.05

// zeroBucket holds values <= 0.
const zeroBucket = math.MinInt32

func bucketOf(v float64) int32 {
	if v <= 0 {
		return zeroBucket
	}
	return int32(math.Floor(math.Log(v) / math.Log(histBase)))
}

func (a *Agg) add(v float64) {
	if a.Count == 0 || v < a.Min {
		a.Min = v
	}
	if a.Count == 0 || v > a.Max {
		a.Max = v
	}
	a.Count++
	a.Sum += v
	if a.Hist == nil {
		a.Hist = map[int32]uint32{}
	}
	a.Hist[bucketOf(v)]++
}

func (a *Agg) merge(b *Agg) {
	if b.Count == 0 {
		return
	}
	if a.Count == 0 || b.Min < a.Min {
		a.Min = b.Min
	}
	if a.Count == 0 || b.Max > a.Max {
		a.Max = b.Max
	}
	a.Count += b.Count
	a.Sum += b.Sum
	if a.Hist == nil {
		a.Hist = map[int32]uint32{}
	}
	for k, n := range b.Hist {
		a.Hist[k] += n
	}
}

// Percentile returns the p-th percentile (0..100) by the nearest rank over
// the histogram.
func (a *Agg) Percentile(p float64) float64 {
	if a.Count == 0 {
		return 0
	}
	if p <= 0 {
		return a.Min
	}
	if p >= 100 {
		return a.Max
	}
	keys := make([]int32, 0, len(a.Hist))
	for k := range a.Hist {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rank := math.Ceil(p / 100 * a.Count)
	var seen float64
	for _, k := range keys {
		seen += float64(a.Hist[k])
		if seen >= rank {
			if k == zeroBucket {
				return min(0, a.Max)
			}
			mid := math.Pow(histBase, float64(k)+0.5)
			return math.Min(math.Max(mid, a.Min), a.Max)
		}
	}
	return a.Max
}

// Statistic returns the named statistic: SampleCount, Sum, Average,
// Minimum, Maximum or a percentile pNN(.NN).
func (a *Agg) Statistic(name string) (float64, error) {
	switch name {
	case "SampleCount":
		return a.Count, nil
	case "Sum":
		return a.Sum, nil
	case "Average":
		if a.Count == 0 {
			return 0, nil
		}
		return a.Sum / a.Count, nil
	case "Minimum":
		return a.Min, nil
	case "Maximum":
		return a.Max, nil
	}
	if p, ok := percentileName(name); ok {
		return a.Percentile(p), nil
	}
	return 0, &InvalidError{Message: fmt.Sprintf("the statistic %q is not supported locally: SampleCount, Sum, Average, Minimum, Maximum and pNN are", name)}
}

// percentileRE is CloudWatch's pNN.NN statistic name.
var percentileRE = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)

func percentileName(name string) (float64, bool) {
	if !percentileRE.MatchString(name) {
		return 0, false
	}
	p, err := strconv.ParseFloat(name[1:], 64)
	return p, err == nil
}

// InvalidError is a request CloudWatch would refuse with
// InvalidParameterValue.
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return e.Message }

type series struct {
	Metric Metric         `json:"metric"`
	Unit   string         `json:"unit"`
	points map[int64]*Agg // by minute (Unix seconds / 60)
}

// Store keeps one-minute datapoints.
type Store struct {
	cfg Config
	db  *bolt.DB
	log *zap.Logger

	mu      sync.Mutex
	series  map[string]*series
	dirty   map[string]map[int64]bool // series key → minutes to write
	dropped bool                      // a series was refused (logged once)

	loop *flushdb.Loop
}

var (
	bucketSeries = []byte("series")
	bucketPoints = []byte("points") // key: series key, 0x00, minute (8 bytes big-endian)
	bucketAlarms = []byte("alarms")
)

// New opens (or creates) <DataDir>/metrics.db and writes changed
// datapoints every FlushInterval until Close.
func New(cfg *Config, log *zap.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	db, err := flushdb.Open(cfg.DataDir, "metrics.db")
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Store{cfg: *cfg, db: db, log: log.With(zap.String("component", "metrics")), series: map[string]*series{},
		dirty: map[string]map[int64]bool{}}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	s.loop = flushdb.Start(cfg.FlushInterval, func() {
		if err := s.flush(); err != nil {
			s.log.Error("write metrics", zap.Error(err))
		}
	})
	return s, nil
}

func (s *Store) load() error {
	oldest := s.cfg.Now().Add(-s.cfg.Retention).Unix() / 60
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSeries, bucketPoints, bucketAlarms} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("metrics: %w", err)
			}
		}
		if err := tx.Bucket(bucketSeries).ForEach(func(k, v []byte) error {
			var sr series
			if err := json.Unmarshal(v, &sr); err != nil {
				return fmt.Errorf("metrics: series: %w", err)
			}
			sr.points = map[int64]*Agg{}
			s.series[string(k)] = &sr
			return nil
		}); err != nil {
			return err
		}
		c := tx.Bucket(bucketPoints).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) < 9 {
				continue
			}
			key, minute := string(k[:len(k)-9]), int64(beUint64(k[len(k)-8:]))
			sr := s.series[key]
			if sr == nil || minute < oldest {
				if err := c.Delete(); err != nil {
					return err
				}
				continue
			}
			var a Agg
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("metrics: datapoint: %w", err)
			}
			sr.points[minute] = &a
		}
		return nil
	})
}

// Close writes what changed and closes the file.
func (s *Store) Close() error {
	if !s.loop.Stop() {
		return nil
	}
	return errors.Join(s.flush(), s.db.Close())
}

// Put adds one value to a metric at time t.
func (s *Store) Put(m Metric, unit string, t time.Time, v float64) {
	k := m.key()
	minute := t.Unix() / 60
	s.mu.Lock()
	defer s.mu.Unlock()
	sr := s.series[k]
	if sr == nil {
		if len(s.series) >= s.cfg.MaxSeries {
			if !s.dropped {
				s.dropped = true
				s.log.Warn("metrics: too many series; new ones are dropped", zap.Int("max", s.cfg.MaxSeries))
			}
			return
		}
		sr = &series{Metric: m, Unit: unit, points: map[int64]*Agg{}}
		s.series[k] = sr
	}
	a := sr.points[minute]
	if a == nil {
		a = &Agg{}
		sr.points[minute] = a
	}
	a.add(v)
	if s.dirty[k] == nil {
		s.dirty[k] = map[int64]bool{}
	}
	s.dirty[k][minute] = true
}

// flush writes the changed datapoints and deletes those past retention.
func (s *Store) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	oldest := s.cfg.Now().Add(-s.cfg.Retention).Unix() / 60
	var expired [][]byte
	for k, sr := range s.series {
		for minute := range sr.points {
			if minute < oldest {
				delete(sr.points, minute)
				expired = append(expired, pointKey(k, minute))
			}
		}
	}
	if len(s.dirty) == 0 && len(expired) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for k, minutes := range s.dirty {
			sr := s.series[k]
			body, err := json.Marshal(sr)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketSeries).Put([]byte(k), body); err != nil {
				return err
			}
			for minute := range minutes {
				a := sr.points[minute]
				if a == nil {
					continue
				}
				body, err := json.Marshal(a)
				if err != nil {
					return err
				}
				if err := tx.Bucket(bucketPoints).Put(pointKey(k, minute), body); err != nil {
					return err
				}
			}
		}
		for _, k := range expired {
			if err := tx.Bucket(bucketPoints).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	s.dirty = map[string]map[int64]bool{}
	return err
}

func pointKey(seriesKey string, minute int64) []byte {
	b := append([]byte(seriesKey), 0)
	for i := 7; i >= 0; i-- {
		b = append(b, byte(uint64(minute)>>(8*i)))
	}
	return b
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// Datapoint is the statistic set of one period.
type Datapoint struct {
	Time time.Time // the period's start
	Agg  Agg
	Unit string
}

// Statistics aggregates a metric into periods of period (a multiple of a
// minute), aligned to multiples of period since the epoch, for the periods
// that overlap [start, end) and hold data, oldest first: as CloudWatch
// rounds StartTime down to the period. A metric that does not exist has no
// datapoints.
func (s *Store) Statistics(m Metric, start, end time.Time, period time.Duration) ([]Datapoint, error) {
	if period < time.Minute || period%time.Minute != 0 {
		return nil, &InvalidError{Message: fmt.Sprintf("the period %v is not a multiple of 60 seconds; the local stack keeps one-minute datapoints", period)}
	}
	if !end.After(start) {
		return nil, &InvalidError{Message: "the parameter StartTime must be less than the parameter EndTime"}
	}
	p := int64(period / time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	sr := s.series[m.key()]
	if sr == nil {
		return nil, nil
	}
	byPeriod := map[int64]*Agg{}
	first := start.Unix() / 60 / p * p // the period start is in
	for minute, a := range sr.points {
		ps := minute / p * p // the period's first minute
		if ps < first || !time.Unix(minute*60, 0).Before(end) {
			continue
		}
		if byPeriod[ps] == nil {
			byPeriod[ps] = &Agg{}
		}
		byPeriod[ps].merge(a)
	}
	out := make([]Datapoint, 0, len(byPeriod))
	for ps, a := range byPeriod {
		out = append(out, Datapoint{Time: time.Unix(ps*60, 0).UTC(), Agg: *a, Unit: sr.Unit})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// Window aggregates a metric over the minutes that start in (start-1min,
// end): what an alarm evaluates for one period ending at end.
func (s *Store) Window(m Metric, start, end time.Time) (Agg, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out Agg
	sr := s.series[m.key()]
	if sr == nil {
		return out, false
	}
	for minute, a := range sr.points {
		t := time.Unix(minute*60, 0)
		if t.After(start.Add(-time.Minute)) && t.Before(end) {
			out.merge(a)
		}
	}
	return out, out.Count > 0
}

// Metrics lists the series matching a namespace, a metric name and
// dimensions ("" matches any; a dimension with an empty Value matches any
// value of that name), by namespace, name and dimensions.
func (s *Store) Metrics(namespace, name string, dims []Dimension) []Metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Metric
	for _, sr := range s.series {
		m := sr.Metric
		if namespace != "" && m.Namespace != namespace || name != "" && m.MetricName != name {
			continue
		}
		ok := true
		for _, want := range dims {
			ok = ok && slices.ContainsFunc(m.Dimensions, func(d Dimension) bool {
				return d.Name == want.Name && (want.Value == "" || d.Value == want.Value)
			})
		}
		if ok {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}
