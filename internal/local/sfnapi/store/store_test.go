package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestEventsPaging(t *testing.T) {
	s := openTemp(t)
	const arn = "arn:aws:states:us-east-1:1:execution:sm:x"
	for i := int64(1); i <= 10; i++ {
		if err := s.AppendEvents(arn, Event{ID: i, PreviousID: i - 1, Timestamp: t0, Type: "PassStateEntered"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		reverse bool
		from    int64
		limit   int
		want    string
	}{
		{name: "all", limit: 0, want: "1,2,3,4,5,6,7,8,9,10"},
		{name: "first page", limit: 3, want: "1,2,3"},
		{name: "after 3", from: 3, limit: 3, want: "4,5,6"},
		{name: "after last", from: 10, limit: 3, want: ""},
		{name: "reverse first page", reverse: true, limit: 3, want: "10,9,8"},
		{name: "reverse before 8", reverse: true, from: 8, limit: 3, want: "7,6,5"},
		{name: "reverse before 2", reverse: true, from: 2, limit: 3, want: "1"},
		{name: "reverse before 1", reverse: true, from: 1, limit: 3, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := s.Events(arn, tc.reverse, tc.from, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for i, e := range evs {
				if i > 0 {
					got += ","
				}
				got += fmt.Sprint(e.ID)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestGroupCommit measures a commit per event against group commit and
// checks that concurrent appenders share commits.
func TestGroupCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	s := openTemp(t)
	ctx := context.Background()
	const single = 20
	began := time.Now()
	for i := range single {
		_ = s.AppendEvents("solo", Event{ID: int64(i + 1), Timestamp: t0, Type: "PassStateEntered"})
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	perCommit := time.Since(began) / single

	const writers, each = 1000, 10
	st0 := s.Stats()
	began = time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arn := fmt.Sprintf("exec-%d", w)
			for i := range each {
				_ = s.AppendEvents(arn, Event{ID: int64(i + 1), Timestamp: t0, Type: "PassStateEntered",
					Details: []byte(`{"name":"Step","input":"{\"value\":1}"}`)})
			}
			if err := s.Flush(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	grouped := time.Since(began)
	st := s.Stats()
	commits := st.Commits - st0.Commits
	if commits*2 >= writers {
		t.Errorf("%d commits for %d writers: not grouped", commits, writers)
	}
	t.Logf("one event per commit: %v per commit; %d writers x %d events with a flush each: %v in %d commits",
		perCommit.Round(time.Microsecond), writers, each, grouped.Round(time.Millisecond), commits)
}
