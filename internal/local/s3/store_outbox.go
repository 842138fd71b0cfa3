package s3

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"
	bolt "go.etcd.io/bbolt"
)

// outboxEntry is one event for one notification target.
type outboxEntry struct {
	ID          uint64         `json:"id"`
	Target      string         `json:"target"`
	Event       events.S3Event `json:"event"`
	Attempts    int            `json:"attempts"`
	NextAttempt time.Time      `json:"nextAttempt"`
	LastError   string         `json:"lastError,omitempty"`
	FailedAt    time.Time      `json:"failedAt,omitzero"`
}

// enqueueEventsTx records the events rec produces under br's notification
// configuration, in the caller's transaction.
func (st *store) enqueueEventsTx(tx *bolt.Tx, br *bucketRecord, rec *versionRecord, ev *eventSpec) (int, error) {
	if len(br.Notifications) == 0 {
		return 0, nil
	}
	encoded := EncodeEventKey(rec.Key)
	ob := tx.Bucket(bktOutbox)
	n := 0
	for _, c := range br.Notifications {
		if !c.matches(ev.name, encoded) {
			continue
		}
		id, err := ob.NextSequence()
		if err != nil {
			return 0, err
		}
		e := outboxEntry{
			ID:          id,
			Target:      c.FunctionARN,
			Event:       events.S3Event{Records: []events.S3EventRecord{buildEventRecord(st.region, st.accountID, br.Name, c, ev, rec, rec.LastModified)}},
			NextAttempt: rec.LastModified,
		}
		if err := putJSON(ob, u64Key(id), e); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// dueEvents returns up to limit pending events due at now, in order, and the
// earliest NextAttempt among the pending events that are not due (zero if none).
func (st *store) dueEvents(now time.Time, limit int) ([]outboxEntry, time.Time, error) {
	var due []outboxEntry
	var next time.Time
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktOutbox).ForEach(func(k, v []byte) error {
			var e outboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if !e.NextAttempt.After(now) && len(due) < limit {
				due = append(due, e)
				return nil
			}
			if next.IsZero() || e.NextAttempt.Before(next) {
				next = e.NextAttempt
			}
			return nil
		})
	})
	return due, next, err
}

func (st *store) deleteEvent(id uint64) error {
	return st.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktOutbox).Delete(u64Key(id)) })
}

// rescheduleEvent records a failed attempt; final moves it to the failed set.
func (st *store) rescheduleEvent(e outboxEntry, final bool) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		if final {
			if err := tx.Bucket(bktOutbox).Delete(u64Key(e.ID)); err != nil {
				return err
			}
			return putJSON(tx.Bucket(bktFailed), u64Key(e.ID), e)
		}
		return putJSON(tx.Bucket(bktOutbox), u64Key(e.ID), e)
	})
}

func (st *store) listEvents(bkt []byte) ([]outboxEntry, error) {
	var out []outboxEntry
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bkt).ForEach(func(k, v []byte) error {
			var e outboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// makeAllDue sets every pending event due at now: a restart retries at once
// instead of honouring the previous run's backoff.
func (st *store) makeAllDue(now time.Time) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bktOutbox)
		var due []outboxEntry
		if err := ob.ForEach(func(k, v []byte) error {
			var e outboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if e.NextAttempt.After(now) {
				e.NextAttempt = now
				due = append(due, e)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, e := range due {
			if err := putJSON(ob, u64Key(e.ID), e); err != nil {
				return err
			}
		}
		return nil
	})
}
