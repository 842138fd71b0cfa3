// Package store keeps the Step Functions API's state machines, executions
// and execution histories in one bbolt file.
//
// Why go.etcd.io/bbolt: it is etcd's embedded B+tree store (MIT licence,
// actively maintained, pure Go so no cgo): one file, ACID transactions
// with an fsync per commit, and ordered keys with cursors, which is what
// paginated, newest-first listings and event-id ranges need. A single
// writer is all bbolt allows, so this package funnels every write through
// one goroutine that commits whatever has queued up since the last
// commit in one transaction ("group commit"): a thousand executions
// appending events at once share fsyncs instead of queueing for one each.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. events and smexec hold one nested bucket per execution
// and per state machine respectively.
var (
	bktMeta   = []byte("meta")
	bktSM     = []byte("statemachines") // sm ARN -> StateMachine JSON
	bktExec   = []byte("executions")    // exec ARN -> Execution JSON
	bktSMExec = []byte("smexec")        // sm ARN -> {inverted start ns + exec ARN -> nil}
	bktEvents = []byte("events")        // exec ARN -> {event id (BE uint64) -> Event JSON}
	bktDefs   = []byte("definitions")   // definition hash -> definition text
	// Distributed Map: Map Runs, each execution's Map Runs, and each Map
	// Run's child executions (ordered as smexec).
	bktMapRuns    = []byte("mapruns")     // map run ARN -> MapRun JSON
	bktExecMapRun = []byte("execmapruns") // exec ARN -> {map run ARN -> nil}
	bktMapRunExec = []byte("maprunexec")  // map run ARN -> {inverted start ns + exec ARN -> nil}
)

const schemaVersion = "1"

// ErrNotFound is returned for a missing state machine or execution.
var ErrNotFound = errors.New("store: not found")

// errClosed is returned by writes after Close.
var errClosed = errors.New("store: closed")

// StateMachine is a stored state machine.
type StateMachine struct {
	ARN          string    `json:"arn"`
	Name         string    `json:"name"`
	Type         string    `json:"type"`
	RoleARN      string    `json:"roleArn"`
	Definition   string    `json:"definition"`
	Description  string    `json:"description,omitempty"`
	RevisionID   string    `json:"revisionId"`
	CreationDate time.Time `json:"creationDate"`
	UpdateDate   time.Time `json:"updateDate,omitzero"`
}

// Execution is a stored execution (without its history).
type Execution struct {
	ARN              string `json:"arn"`
	Name             string `json:"name"`
	StateMachineARN  string `json:"stateMachineArn"`
	StateMachineName string `json:"stateMachineName"`
	// DefinitionHash names the definition the execution ran (see Definition).
	DefinitionHash string    `json:"definitionHash"`
	Status         string    `json:"status"`
	Input          string    `json:"input"`
	Output         string    `json:"output,omitempty"`
	HasOutput      bool      `json:"hasOutput,omitempty"`
	Error          string    `json:"error,omitempty"`
	Cause          string    `json:"cause,omitempty"`
	StartDate      time.Time `json:"startDate"`
	StopDate       time.Time `json:"stopDate,omitzero"`
	RedriveCount   int       `json:"redriveCount,omitempty"`
	RedriveDate    time.Time `json:"redriveDate,omitzero"`
	// MapRunARN is set on a Distributed Map's child execution.
	MapRunARN string `json:"mapRunArn,omitempty"`
}

// MapRun is a stored Map Run: Info is the engine's snapshot as JSON
// (what DescribeMapRun returns).
type MapRun struct {
	ARN          string          `json:"arn"`
	ExecutionARN string          `json:"executionArn"`
	StartDate    time.Time       `json:"startDate"`
	Info         json.RawMessage `json:"info"`
}

// Event is one stored history event. Details is the JSON object AWS
// returns under "<type>EventDetails" (nil when the event has none).
type Event struct {
	ID         int64           `json:"id"`
	PreviousID int64           `json:"prev"`
	Timestamp  time.Time       `json:"ts"`
	Type       string          `json:"type"`
	Details    json.RawMessage `json:"details,omitempty"`
}

// Stats counts writer activity (for measurements).
type Stats struct {
	Commits int64 // transactions committed
	Ops     int64 // queued operations committed
	// CommitTime is the time spent in commits (including fsync).
	CommitTime time.Duration
}

// Store is a bbolt-backed store. Reads run concurrently; writes are
// queued and group-committed by one writer goroutine.
type Store struct {
	db *bolt.DB

	mu      sync.Mutex
	pending []func(*bolt.Tx) error
	waiters []chan error
	closed  bool
	err     error // first write error; sticky
	stats   Stats

	kick chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
}

// Open opens (creating if needed) the store file at path. It fails after
// timeout if another process holds the file.
func Open(path string, timeout time.Duration) (*Store, error) {
	// The freelist is rebuilt on open instead of written by every
	// commit (as etcd runs bbolt); commits stay fsynced.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktMeta, bktSM, bktExec, bktSMExec, bktEvents, bktDefs, bktMapRuns, bktExecMapRun, bktMapRunExec} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bktMeta)
		if v := m.Get([]byte("schema")); v != nil && string(v) != schemaVersion {
			return fmt.Errorf("unsupported schema version %q", v)
		}
		return m.Put([]byte("schema"), []byte(schemaVersion))
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: init %s: %w", path, err)
	}
	s := &Store{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// Close commits queued writes and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	err := s.db.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.err, err)
}

// Stats returns writer counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// enqueue queues a write; it never blocks on I/O.
func (s *Store) enqueue(op func(*bolt.Tx) error) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	s.pending = append(s.pending, op)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// Flush waits until every write queued before the call is committed.
func (s *Store) Flush(ctx context.Context) error {
	ch := make(chan error, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	s.waiters = append(s.waiters, ch)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) writer() {
	defer s.wg.Done()
	for {
		var stopping bool
		select {
		case <-s.kick:
		case <-s.stop:
			stopping = true
		}
		s.mu.Lock()
		ops, waiters := s.pending, s.waiters
		s.pending, s.waiters = nil, nil
		s.mu.Unlock()
		var err error
		began := time.Now()
		if len(ops) > 0 {
			err = s.db.Update(func(tx *bolt.Tx) error {
				for _, op := range ops {
					if err := op(tx); err != nil {
						return err
					}
				}
				return nil
			})
		}
		s.mu.Lock()
		if len(ops) > 0 {
			s.stats.Commits++
			s.stats.Ops += int64(len(ops))
			s.stats.CommitTime += time.Since(began)
		}
		if err != nil && s.err == nil {
			s.err = fmt.Errorf("store: commit: %w", err)
		}
		if err == nil {
			err = s.err
		}
		s.mu.Unlock()
		for _, w := range waiters {
			w <- err
		}
		if stopping {
			return
		}
	}
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// execIndexKey orders a state machine's executions newest first.
func execIndexKey(x *Execution) []byte {
	k := u64(math.MaxUint64 - uint64(x.StartDate.UnixNano()))
	return append(k, x.ARN...)
}

// PutStateMachine creates or replaces a state machine and commits.
func (s *Store) PutStateMachine(sm *StateMachine) error {
	b, err := json.Marshal(sm)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bktSM).Put([]byte(sm.ARN), b); err != nil {
			return err
		}
		return putDef(tx, sm.Definition)
	})
}

// DeleteStateMachine removes a state machine; its executions stay.
func (s *Store) DeleteStateMachine(arn string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bktSM).Delete([]byte(arn))
	})
}

// StateMachine returns one state machine.
func (s *Store) StateMachine(arn string) (*StateMachine, error) {
	var sm StateMachine
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktSM).Get([]byte(arn))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &sm)
	})
	if err != nil {
		return nil, err
	}
	return &sm, nil
}

// StateMachines returns every state machine, oldest first.
func (s *Store) StateMachines() ([]StateMachine, error) {
	var out []StateMachine
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktSM).ForEach(func(_, v []byte) error {
			var sm StateMachine
			if err := json.Unmarshal(v, &sm); err != nil {
				return err
			}
			out = append(out, sm)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreationDate.Equal(out[j].CreationDate) {
			return out[i].CreationDate.Before(out[j].CreationDate)
		}
		return out[i].ARN < out[j].ARN
	})
	return out, err
}

// DefinitionHash is the key a definition is stored under.
func DefinitionHash(def string) string { return hashString(def) }

func putDef(tx *bolt.Tx, def string) error {
	return tx.Bucket(bktDefs).Put([]byte(hashString(def)), []byte(def))
}

// Definition returns a stored definition by hash.
func (s *Store) Definition(hash string) (string, error) {
	var def string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktDefs).Get([]byte(hash))
		if v == nil {
			return ErrNotFound
		}
		def = string(v)
		return nil
	})
	return def, err
}

// PutExecution queues an insert or update of an execution record.
func (s *Store) PutExecution(x Execution) error {
	b, err := json.Marshal(&x)
	if err != nil {
		return err
	}
	return s.enqueue(func(tx *bolt.Tx) error { return putExec(tx, &x, b) })
}

func putExec(tx *bolt.Tx, x *Execution, b []byte) error {
	if err := tx.Bucket(bktExec).Put([]byte(x.ARN), b); err != nil {
		return err
	}
	idx, err := tx.Bucket(bktSMExec).CreateBucketIfNotExists([]byte(x.StateMachineARN))
	if err != nil {
		return err
	}
	if err := idx.Put(execIndexKey(x), nil); err != nil {
		return err
	}
	if x.MapRunARN == "" {
		return nil
	}
	idx, err = tx.Bucket(bktMapRunExec).CreateBucketIfNotExists([]byte(x.MapRunARN))
	if err != nil {
		return err
	}
	return idx.Put(execIndexKey(x), nil)
}

// PutDefinition queues a definition (a Distributed Map's item processor,
// which no state machine holds) under DefinitionHash.
func (s *Store) PutDefinition(def string) error {
	return s.enqueue(func(tx *bolt.Tx) error { return putDef(tx, def) })
}

// PutMapRun queues an insert or update of a Map Run.
func (s *Store) PutMapRun(r MapRun) error {
	b, err := json.Marshal(&r)
	if err != nil {
		return err
	}
	return s.enqueue(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bktMapRuns).Put([]byte(r.ARN), b); err != nil {
			return err
		}
		idx, err := tx.Bucket(bktExecMapRun).CreateBucketIfNotExists([]byte(r.ExecutionARN))
		if err != nil {
			return err
		}
		return idx.Put([]byte(r.ARN), nil)
	})
}

// MapRun returns one Map Run.
func (s *Store) MapRun(arn string) (*MapRun, error) {
	var r MapRun
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktMapRuns).Get([]byte(arn))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// MapRuns returns an execution's Map Runs, oldest first.
func (s *Store) MapRuns(execARN string) ([]MapRun, error) {
	var out []MapRun
	err := s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bktExecMapRun).Bucket([]byte(execARN))
		if idx == nil {
			return nil
		}
		runs := tx.Bucket(bktMapRuns)
		return idx.ForEach(func(k, _ []byte) error {
			var r MapRun
			if v := runs.Get(k); v != nil {
				if err := json.Unmarshal(v, &r); err != nil {
					return err
				}
				out = append(out, r)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].StartDate.Before(out[j].StartDate) })
	return out, err
}

// ListMapRunExecutions is ListExecutions over a Map Run's children.
func (s *Store) ListMapRunExecutions(mapRunARN string, keep func(*Execution) bool, after string, limit int) ([]Execution, string, error) {
	return s.listIndexed(bktMapRunExec, mapRunARN, keep, after, limit)
}

// AppendEvents queues history events of one execution. It never blocks
// on I/O, so it may be called from the engine's OnEvent hook.
func (s *Store) AppendEvents(execARN string, evs ...Event) error {
	enc := make([][]byte, len(evs))
	for i := range evs {
		b, err := json.Marshal(&evs[i])
		if err != nil {
			return err
		}
		enc[i] = b
	}
	ids := make([]int64, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	return s.enqueue(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bktEvents).CreateBucketIfNotExists([]byte(execARN))
		if err != nil {
			return err
		}
		b.FillPercent = 0.95 // ids only grow
		for i, v := range enc {
			if err := b.Put(u64(uint64(ids[i])), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Execution returns one execution record.
func (s *Store) Execution(arn string) (*Execution, error) {
	var x Execution
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktExec).Get([]byte(arn))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &x)
	})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// ListExecutions returns up to limit executions of a state machine,
// newest first, that satisfy keep (nil keeps all), starting after the
// position token after ("" for the start). next is "" at the end.
func (s *Store) ListExecutions(smARN string, keep func(*Execution) bool, after string, limit int) (out []Execution, next string, err error) {
	return s.listIndexed(bktSMExec, smARN, keep, after, limit)
}

// listIndexed lists the executions of index bucket bkt's key.
func (s *Store) listIndexed(bkt []byte, key string, keep func(*Execution) bool, after string, limit int) (out []Execution, next string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bkt).Bucket([]byte(key))
		if idx == nil {
			return nil
		}
		execs := tx.Bucket(bktExec)
		c := idx.Cursor()
		var k []byte
		if after == "" {
			k, _ = c.First()
		} else {
			k, _ = c.Seek([]byte(after))
			if k != nil && bytes.Equal(k, []byte(after)) {
				k, _ = c.Next()
			}
		}
		for ; k != nil; k, _ = c.Next() {
			v := execs.Get(k[8:])
			if v == nil {
				continue
			}
			var x Execution
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			if keep != nil && !keep(&x) {
				continue
			}
			if len(out) == limit {
				next = string(out[len(out)-1].indexKey())
				return nil
			}
			out = append(out, x)
		}
		return nil
	})
	return out, next, err
}

func (x *Execution) indexKey() []byte { return execIndexKey(x) }

// Executions calls fn for every stored execution.
func (s *Store) Executions(fn func(*Execution) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktExec).ForEach(func(_, v []byte) error {
			var x Execution
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			return fn(&x)
		})
	})
}

// Events returns up to limit events of an execution with ids after
// afterID (ascending) or, when reverse, before beforeID (descending; 0 =
// from the end). Limit <= 0 returns all.
func (s *Store) Events(execARN string, reverse bool, from int64, limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktEvents).Bucket([]byte(execARN))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		step := c.Next
		if reverse {
			step = c.Prev
			if from <= 0 {
				k, v = c.Last()
			} else {
				k, v = c.Seek(u64(uint64(from)))
				if k == nil {
					k, v = c.Last()
				} else {
					k, v = c.Prev()
				}
			}
		} else {
			k, v = c.Seek(u64(uint64(from + 1)))
		}
		for ; k != nil; k, v = step() {
			if limit > 0 && len(out) == limit {
				return nil
			}
			var ev Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// LastEventID returns the highest stored event id of an execution.
func (s *Store) LastEventID(execARN string) (int64, error) {
	var id int64
	err := s.db.View(func(tx *bolt.Tx) error {
		id = lastEventID(tx, execARN)
		return nil
	})
	return id, err
}

func lastEventID(tx *bolt.Tx, execARN string) int64 {
	b := tx.Bucket(bktEvents).Bucket([]byte(execARN))
	if b == nil {
		return 0
	}
	k, _ := b.Cursor().Last()
	if k == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k))
}

// Interrupt is how FailExecution closes an execution.
type Interrupt struct {
	Error string
	Cause func(x *Execution, lastEventID int64) string
	Now   time.Time
}

// FailExecution queues the closing of an execution whose events up to
// lastEventID are stored or queued: status FAILED and an ExecutionFailed
// event after lastEventID.
func (s *Store) FailExecution(x Execution, lastEventID int64, in Interrupt) (Execution, error) {
	cause := in.Cause(&x, lastEventID)
	w := x // the writer's own copy
	err := s.enqueue(func(tx *bolt.Tx) error {
		return failOne(tx, &w, lastEventID, Interrupt{Error: in.Error, Now: in.Now,
			Cause: func(*Execution, int64) string { return cause }})
	})
	x.Status, x.Error, x.Cause, x.StopDate = "FAILED", in.Error, cause, in.Now
	return x, err
}

func failOne(tx *bolt.Tx, x *Execution, last int64, in Interrupt) error {
	cause := in.Cause(x, last)
	det, err := json.Marshal(map[string]string{"error": in.Error, "cause": cause})
	if err != nil {
		return err
	}
	ev := Event{ID: last + 1, PreviousID: last, Timestamp: in.Now, Type: "ExecutionFailed", Details: det}
	evb, err := json.Marshal(&ev)
	if err != nil {
		return err
	}
	b, err := tx.Bucket(bktEvents).CreateBucketIfNotExists([]byte(x.ARN))
	if err != nil {
		return err
	}
	if err := b.Put(u64(uint64(ev.ID)), evb); err != nil {
		return err
	}
	x.Status, x.Error, x.Cause, x.StopDate = "FAILED", in.Error, cause, in.Now
	xb, err := json.Marshal(x)
	if err != nil {
		return err
	}
	return putExec(tx, x, xb)
}
