package flushdb

import (
	"testing"
	"time"
)

func TestLoopKickAndStop(t *testing.T) {
	flushed := make(chan struct{}, 10)
	// An hour-long tick: only Kick can cause a flush during the test.
	l := Start(time.Hour, func() { flushed <- struct{}{} })
	l.Kick()
	select {
	case <-flushed:
	case <-time.After(10 * time.Second):
		t.Fatal("Kick did not flush")
	}
	if !l.Stop() {
		t.Fatal("first Stop reported false")
	}
	if l.Stop() {
		t.Fatal("second Stop reported true")
	}
	l.Kick() // after Stop: no flush, no block
	select {
	case <-flushed:
		t.Fatal("flushed after Stop")
	default:
	}
}

func TestOpenCreatesDir(t *testing.T) {
	dir := t.TempDir() + "/a/b"
	db, err := Open(dir, "x.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
