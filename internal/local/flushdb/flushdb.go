// Package flushdb keeps what the local stack collects as a convenience
// (CloudWatch logs, metrics) in a bbolt file that is written from memory
// in the background: opened without an fsync per commit, flushed on a
// ticker, on demand, and once more when the store closes.
package flushdb

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Open opens (or creates) dir/name. Its data is a convenience, not a
// record: no fsync per commit, so a killed process loses only what the
// kernel had not yet been given.
func Open(dir, name string) (*bolt.DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, name), 0o644, &bolt.Options{Timeout: 5 * time.Second, NoSync: true})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return db, nil
}

// Loop calls a flush function every interval, and soon after Kick, until
// Stop.
type Loop struct {
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// Start runs flush every interval on its own goroutine.
func Start(interval time.Duration, flush func()) *Loop {
	l := &Loop{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			case <-l.kick:
			}
			flush()
		}
	}()
	return l
}

// Kick asks for a flush without waiting for the ticker (or for the flush).
func (l *Loop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Stop ends the loop and waits for a flush in progress. It reports whether
// this call stopped it (false: it was stopped before), so that a store's
// Close flushes and closes its file once.
func (l *Loop) Stop() bool {
	first := false
	l.stopOnce.Do(func() {
		first = true
		close(l.stop)
	})
	<-l.done
	return first
}
