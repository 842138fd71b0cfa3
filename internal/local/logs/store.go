// Package logs is the CloudWatch Logs service of the local stack: log
// groups with their retention, log streams, and the events the functions
// write, kept in a bounded bbolt file under the data dir, and served over
// CloudWatch Logs' JSON 1.1 protocol (FilterLogEvents, GetLogEvents,
// DescribeLogGroups, DescribeLogStreams), which `aws logs tail` and the
// SDKs use.
package logs

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/imgflow/imgflow/internal/local/flushdb"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Config configures the store.
type Config struct {
	DataDir   string // logs.db lives here
	Region    string
	AccountID string
	// MaxGroupBytes bounds the messages one group keeps; the oldest events
	// go first when a group is over it.
	MaxGroupBytes int64
	// MaxEventBytes truncates longer messages, as CloudWatch Logs caps an
	// event at 256 KB.
	MaxEventBytes int
	// MaxRequestBytes bounds an API request body.
	MaxRequestBytes int64
	// FlushInterval is how often appended events are committed; a query
	// commits what is pending first, so it always sees every event.
	FlushInterval time.Duration
	Now           func() time.Time // the stack's clock
}

// NewDefaultConfig returns the local defaults.
func NewDefaultConfig() *Config {
	return &Config{Region: "us-east-1", AccountID: "000000000000", MaxGroupBytes: 64 << 20, MaxEventBytes: 256 << 10,
		MaxRequestBytes: 1 << 20, FlushInterval: 250 * time.Millisecond, Now: time.Now}
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("logs: DataDir is required"))
	}
	if c.MaxGroupBytes <= 0 || c.MaxEventBytes <= 0 || c.MaxRequestBytes <= 0 || c.FlushInterval <= 0 {
		errs = append(errs, errors.New("logs: MaxGroupBytes, MaxEventBytes, MaxRequestBytes and FlushInterval must be positive"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("logs: Now is required"))
	}
	return errors.Join(errs...)
}

// Group is a log group's description.
type Group struct {
	Name          string
	Created       time.Time
	RetentionDays int // 0: never expire
	StoredBytes   int64
}

// Stream is a log stream's description.
type Stream struct {
	Name          string
	Created       time.Time
	FirstEvent    time.Time // zero until the first event
	LastEvent     time.Time
	LastIngestion time.Time
	StoredBytes   int64
}

// Event is one stored log event.
type Event struct {
	Seq       uint64 // order of ingestion within the group; the event's id
	Stream    string
	Time      time.Time
	Ingestion time.Time
	Message   string
}

// ID is the event's id, unique within its group, as FilterLogEvents
// returns it.
func (e Event) ID() string { return fmt.Sprintf("%056d", e.Seq) }

var (
	bucketGroups  = []byte("groups")
	bucketStreams = []byte("streams")
	bucketEvents  = []byte("events") // a nested bucket per group, keyed by seq
)

type groupMeta struct {
	Name          string `json:"name"`
	Created       int64  `json:"created"` // ms
	RetentionDays int    `json:"retentionDays,omitempty"`
	Bytes         int64  `json:"bytes"`
}

type streamMeta struct {
	Created       int64 `json:"created"`
	First         int64 `json:"first"`
	Last          int64 `json:"last"`
	LastIngestion int64 `json:"lastIngestion"`
	Bytes         int64 `json:"bytes"`
}

// storedEvent is an event's value in bbolt; its key is the seq.
type storedEvent struct {
	Stream    string `json:"s"`
	Time      int64  `json:"t"`
	Ingestion int64  `json:"i"`
	Message   string `json:"m"`
}

// eventOverhead is what an event costs besides its message, as CloudWatch
// counts 26 bytes per event against a batch.
const eventOverhead = 26

// Store keeps log groups, streams and events.
type Store struct {
	cfg Config
	db  *bolt.DB
	log *zap.Logger

	mu      sync.Mutex
	groups  map[string]*groupMeta
	streams map[string]map[string]*streamMeta // group → stream
	pending []pendingEvent
	seq     map[string]uint64 // next seq per group (also kept by bbolt)

	loop       *flushdb.Loop
	lastExpire time.Time // owned by the flush loop
}

type pendingEvent struct {
	group string
	ev    storedEvent
}

// New opens (or creates) <DataDir>/logs.db and starts committing appended
// events every FlushInterval until Close.
func New(cfg *Config, log *zap.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	db, err := flushdb.Open(cfg.DataDir, "logs.db")
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	s := &Store{cfg: *cfg, db: db, log: log.With(zap.String("component", "logs")), groups: map[string]*groupMeta{},
		streams: map[string]map[string]*streamMeta{}, seq: map[string]uint64{}}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	s.loop = flushdb.Start(cfg.FlushInterval, s.background)
	return s, nil
}

func (s *Store) load() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketGroups, bucketStreams, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("logs: %w", err)
			}
		}
		if err := tx.Bucket(bucketGroups).ForEach(func(k, v []byte) error {
			var g groupMeta
			if err := json.Unmarshal(v, &g); err != nil {
				return fmt.Errorf("logs: group %s: %w", k, err)
			}
			s.groups[g.Name] = &g
			s.streams[g.Name] = map[string]*streamMeta{}
			if b := tx.Bucket(bucketEvents).Bucket([]byte(g.Name)); b != nil {
				s.seq[g.Name] = b.Sequence()
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketStreams).ForEach(func(k, v []byte) error {
			group, stream, _ := strings.Cut(string(k), "\x00")
			var m streamMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("logs: stream %s: %w", k, err)
			}
			if s.streams[group] != nil {
				s.streams[group][stream] = &m
			}
			return nil
		})
	})
}

// Close commits what is pending and closes the file.
func (s *Store) Close() error {
	if !s.loop.Stop() {
		return nil
	}
	return errors.Join(s.flush(), s.db.Close())
}

// background is the flush loop's work: commit appended events and, once a
// minute, delete expired ones (retention is enforced by every query;
// deleting keeps the file from growing with them).
func (s *Store) background() {
	if err := s.flush(); err != nil {
		s.log.Error("commit log events", zap.Error(err))
	}
	if now := s.cfg.Now(); now.Sub(s.lastExpire) >= time.Minute {
		s.lastExpire = now
		if err := s.Expire(); err != nil {
			s.log.Error("expire log events", zap.Error(err))
		}
	}
}

// CreateGroup creates a log group, or updates its retention if it exists
// (a redeploy of the template).
func (s *Store) CreateGroup(name string, retentionDays int) error {
	if name == "" {
		return errors.New("logs: a log group needs a name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[name]
	if g == nil {
		g = &groupMeta{Name: name, Created: ms(s.cfg.Now())}
		s.groups[name] = g
		s.streams[name] = map[string]*streamMeta{}
	}
	g.RetentionDays = retentionDays
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketGroups), []byte(name), g) })
}

// Append adds one line to a stream, creating the group (without
// retention, as Lambda creates a missing group) and the stream as needed.
// It never blocks on the disk: events are committed by the flush loop.
func (s *Store) Append(group, stream string, t time.Time, message string) {
	if len(message) > s.cfg.MaxEventBytes {
		message = message[:s.cfg.MaxEventBytes]
	}
	now := s.cfg.Now()
	s.mu.Lock()
	if s.groups[group] == nil {
		s.groups[group] = &groupMeta{Name: group, Created: ms(now)}
		s.streams[group] = map[string]*streamMeta{}
		s.pending = append(s.pending, pendingEvent{group: group}) // a group marker: persisted with the batch
	}
	m := s.streams[group][stream]
	if m == nil {
		m = &streamMeta{Created: ms(now)}
		s.streams[group][stream] = m
	}
	ev := storedEvent{Stream: stream, Time: ms(t), Ingestion: ms(now), Message: message}
	if m.First == 0 || ev.Time < m.First {
		m.First = ev.Time
	}
	m.Last = max(m.Last, ev.Time)
	m.LastIngestion = ev.Ingestion
	m.Bytes += int64(len(message) + eventOverhead)
	s.groups[group].Bytes += int64(len(message) + eventOverhead)
	s.pending = append(s.pending, pendingEvent{group: group, ev: ev})
	n := len(s.pending)
	s.mu.Unlock()
	if n >= 1024 {
		s.loop.Kick()
	}
}

// flush commits the pending events in one transaction, then trims each
// group over MaxGroupBytes.
func (s *Store) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	touched := map[string]bool{}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, p := range s.pending {
			touched[p.group] = true
			b, err := tx.Bucket(bucketEvents).CreateBucketIfNotExists([]byte(p.group))
			if err != nil {
				return err
			}
			if p.ev.Stream == "" { // a group marker
				continue
			}
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			s.seq[p.group] = seq
			if err := putJSON(b, key(seq), p.ev); err != nil {
				return err
			}
		}
		for g := range touched {
			if s.groups[g].Bytes > s.cfg.MaxGroupBytes {
				if err := s.trim(tx, g); err != nil {
					return err
				}
			}
			if err := s.putMeta(tx, g); err != nil {
				return err
			}
		}
		return nil
	})
	s.pending = s.pending[:0]
	return err
}

// trim deletes a group's oldest events until it is under 90% of
// MaxGroupBytes. Called with mu held, inside an update.
func (s *Store) trim(tx *bolt.Tx, group string) error {
	b := tx.Bucket(bucketEvents).Bucket([]byte(group))
	g := s.groups[group]
	target := s.cfg.MaxGroupBytes * 9 / 10
	c := b.Cursor()
	for k, v := c.First(); k != nil && g.Bytes > target; k, v = c.First() {
		var ev storedEvent
		if err := json.Unmarshal(v, &ev); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
		s.forget(group, ev)
	}
	return nil
}

// forget takes a deleted event out of its group's and stream's sizes.
func (s *Store) forget(group string, ev storedEvent) {
	n := int64(len(ev.Message) + eventOverhead)
	s.groups[group].Bytes -= n
	if m := s.streams[group][ev.Stream]; m != nil {
		m.Bytes -= n
		if m.First <= ev.Time {
			m.First = ev.Time // the oldest event left is no older than this one
		}
	}
}

func (s *Store) putMeta(tx *bolt.Tx, group string) error {
	if err := putJSON(tx.Bucket(bucketGroups), []byte(group), s.groups[group]); err != nil {
		return err
	}
	for name, m := range s.streams[group] {
		if err := putJSON(tx.Bucket(bucketStreams), []byte(group+"\x00"+name), m); err != nil {
			return err
		}
	}
	return nil
}

// Expire deletes the events older than their group's retention, and the
// streams left without events whose last event is that old too.
func (s *Store) Expire() error {
	if err := s.flush(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	return s.db.Update(func(tx *bolt.Tx) error {
		for name, g := range s.groups {
			cutoff, ok := retentionCutoff(g, now)
			if !ok {
				continue
			}
			if b := tx.Bucket(bucketEvents).Bucket([]byte(name)); b != nil {
				c := b.Cursor()
				for k, v := c.First(); k != nil; k, v = c.First() {
					var ev storedEvent
					if err := json.Unmarshal(v, &ev); err != nil {
						return err
					}
					if ev.Time >= cutoff {
						break
					}
					if err := c.Delete(); err != nil {
						return err
					}
					s.forget(name, ev)
				}
			}
			for sn, m := range s.streams[name] {
				if m.Bytes <= 0 && m.LastIngestion < cutoff {
					delete(s.streams[name], sn)
					if err := tx.Bucket(bucketStreams).Delete([]byte(name + "\x00" + sn)); err != nil {
						return err
					}
				}
			}
			if err := s.putMeta(tx, name); err != nil {
				return err
			}
		}
		return nil
	})
}

// retentionCutoff is the oldest event time (ms) a group still returns.
func retentionCutoff(g *groupMeta, now time.Time) (int64, bool) {
	if g.RetentionDays <= 0 {
		return 0, false
	}
	return ms(now.Add(-time.Duration(g.RetentionDays) * 24 * time.Hour)), true
}

// Groups lists the log groups whose names start with prefix, by name.
func (s *Store) Groups(prefix string) []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Group
	for name, g := range s.groups {
		if strings.HasPrefix(name, prefix) {
			out = append(out, Group{Name: name, Created: fromMS(g.Created), RetentionDays: g.RetentionDays, StoredBytes: g.Bytes})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ErrGroupNotFound is returned for a log group that does not exist.
var ErrGroupNotFound = errors.New("the specified log group does not exist")

// Streams lists a group's streams whose names start with prefix, by name.
func (s *Store) Streams(group, prefix string) ([]Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[group] == nil {
		return nil, ErrGroupNotFound
	}
	var out []Stream
	for name, m := range s.streams[group] {
		if strings.HasPrefix(name, prefix) {
			st := Stream{Name: name, Created: fromMS(m.Created), LastIngestion: fromMS(m.LastIngestion), StoredBytes: m.Bytes}
			if m.First != 0 {
				st.FirstEvent, st.LastEvent = fromMS(m.First), fromMS(m.Last)
			}
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Query selects events of one group.
type Query struct {
	Streams []string // empty: every stream
	Prefix  string   // stream name prefix
	Start   time.Time
	End     time.Time // zero: no end; exclusive
	Match   func(message string) bool
	// After is the seq to start after (forward) or before (Backward).
	After    uint64
	Backward bool
	Limit    int
	// MaxScan bounds how many events one call reads; the caller gets a
	// position to go on from.
	MaxScan int
}

// Scan returns up to q.Limit matching events in seq order (ascending, also
// when scanning backward), and the last seq it read (0 when it read none),
// and whether events are left to read.
func (s *Store) Scan(ctx context.Context, group string, q Query) (events []Event, last uint64, more bool, err error) {
	if err := s.flush(); err != nil {
		return nil, 0, false, err
	}
	s.mu.Lock()
	g := s.groups[group]
	var cutoff int64
	if g != nil {
		cutoff, _ = retentionCutoff(g, s.cfg.Now())
	}
	s.mu.Unlock()
	if g == nil {
		return nil, 0, false, ErrGroupNotFound
	}
	streams := map[string]bool{}
	for _, n := range q.Streams {
		streams[n] = true
	}
	start := max(ms(q.Start), cutoff)
	if q.Start.IsZero() {
		start = cutoff
	}
	end := int64(-1)
	if !q.End.IsZero() {
		end = ms(q.End)
	}
	scanned := 0
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents).Bucket([]byte(group))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		next := c.Next
		switch {
		case q.Backward && q.After == 0:
			k, v = c.Last()
			next = c.Prev
		case q.Backward:
			if k, _ = c.Seek(key(q.After)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			next = c.Prev
		default:
			k, v = c.Seek(key(q.After + 1))
		}
		for ; k != nil; k, v = next() {
			if scanned%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if len(events) >= q.Limit || q.MaxScan > 0 && scanned >= q.MaxScan {
				more = true
				return nil
			}
			scanned++
			seq := binary.BigEndian.Uint64(k)
			last = seq
			var ev storedEvent
			if err := json.Unmarshal(v, &ev); err != nil {
				return err
			}
			if ev.Time < start || end >= 0 && ev.Time >= end {
				continue
			}
			if len(streams) > 0 && !streams[ev.Stream] || !strings.HasPrefix(ev.Stream, q.Prefix) {
				continue
			}
			if q.Match != nil && !q.Match(ev.Message) {
				continue
			}
			events = append(events, Event{Seq: seq, Stream: ev.Stream, Time: fromMS(ev.Time), Ingestion: fromMS(ev.Ingestion), Message: ev.Message})
		}
		return nil
	})
	if q.Backward {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	return events, last, more, err
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, body)
}

func key(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
