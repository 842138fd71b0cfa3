package sfn

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Event is one execution history event, shaped like the Step Functions
// GetExecutionHistory API: the details sit under "<type>EventDetails".
type Event struct {
	ID              int64          `json:"id"`
	PreviousEventID int64          `json:"previousEventId"`
	Timestamp       time.Time      `json:"timestamp"`
	Type            string         `json:"type"`
	Details         map[string]any `json:"-"`
}

// DetailsKey is the JSON field name that carries this event's details.
func (e *Event) DetailsKey() string { return detailsKey(e.Type) }

func detailsKey(typ string) string {
	switch {
	case strings.HasSuffix(typ, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(typ, "StateExited"):
		return "stateExitedEventDetails"
	}
	return strings.ToLower(typ[:1]) + typ[1:] + "EventDetails"
}

// MarshalJSON renders the event as the AWS API does.
func (e Event) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"id":              e.ID,
		"previousEventId": e.PreviousEventID,
		"timestamp":       e.Timestamp.UTC().Format(time.RFC3339Nano),
		"type":            e.Type,
	}
	if e.Details != nil {
		m[e.DetailsKey()] = e.Details
	}
	return json.Marshal(m)
}

// UnmarshalJSON restores an event written by MarshalJSON.
func (e *Event) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var ts string
	for k, v := range m {
		var err error
		switch k {
		case "id":
			err = json.Unmarshal(v, &e.ID)
		case "previousEventId":
			err = json.Unmarshal(v, &e.PreviousEventID)
		case "timestamp":
			err = json.Unmarshal(v, &ts)
		case "type":
			err = json.Unmarshal(v, &e.Type)
		default:
			if strings.HasSuffix(k, "EventDetails") {
				err = json.Unmarshal(v, &e.Details)
			}
		}
		if err != nil {
			return err
		}
	}
	if ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return err
		}
		e.Timestamp = t
	}
	return nil
}

// history is the single recorder of an execution: it assigns event ids
// and enforces the event limit. Readers get copies.
type history struct {
	mu     sync.Mutex
	events []Event
	limit  int
	clock  Clock
	// high is the id lastID reports: the newest event recorded, or, while
	// a resumed execution replays its recorded events, the newest one
	// replayed so far (what lastID returned when the events were new).
	high int64
	// onEvent, if set, observes every event (e.g. a durable store).
	onEvent func(Event)
}

// add records an event and returns its id. Once the history holds
// limit-1 events only an Execution* event may be added (AWS: event
// 25,000 must be ExecutionSucceeded or the execution fails).
func (h *history) add(prev int64, typ string, details map[string]any) (int64, error) {
	return h.addAt(h.clock.Now(), prev, typ, details)
}

// addAt is add with the event's timestamp given.
func (h *history) addAt(t time.Time, prev int64, typ string, details map[string]any) (int64, error) {
	h.mu.Lock()
	if h.limit > 0 && len(h.events) >= h.limit-1 && !strings.HasPrefix(typ, "Execution") {
		h.mu.Unlock()
		return 0, newErr(ErrRuntime, fmt.Sprintf("The execution reached the maximum number of history events (%d).", h.limit))
	}
	id := int64(len(h.events) + 1)
	ev := Event{ID: id, PreviousEventID: prev, Timestamp: t, Type: typ, Details: details}
	h.events = append(h.events, ev)
	h.high = id
	// The observer runs under the lock so it sees events in id order.
	if h.onEvent != nil {
		h.onEvent(ev)
	}
	h.mu.Unlock()
	return id, nil
}

// replayed notes that the recorded event id was replayed (see high).
func (h *history) replayed(id int64) {
	h.mu.Lock()
	if id > h.high {
		h.high = id
	}
	h.mu.Unlock()
}

func (h *history) snapshot() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Event, len(h.events))
	copy(out, h.events)
	for i := range out {
		if out[i].Details != nil {
			d := make(map[string]any, len(out[i].Details))
			for k, v := range out[i].Details {
				d[k] = v
			}
			out[i].Details = d
		}
	}
	return out
}

func (h *history) lastID() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.high
}

func (h *history) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

// payloadDetails builds the {input|output, ...Details} pair AWS records.
func payloadDetails(field string, v any) map[string]any {
	return map[string]any{field: encodeJSON(v), field + "Details": map[string]any{"truncated": false}}
}
