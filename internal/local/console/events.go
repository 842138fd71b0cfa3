package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// hub fans live execution events out to the SSE streams. A slow stream
// loses events rather than holding anything up; pages treat every event as
// "something changed" and re-read the page, so a lost event costs nothing
// but the next one.
type hub struct {
	mu     sync.Mutex
	subs   map[chan liveEvent]struct{}
	closed chan struct{}
	once   sync.Once
}

// liveEvent is what a page receives.
type liveEvent struct {
	ARN    string `json:"arn"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Type   string `json:"type"`
}

func newHub() *hub { return &hub{subs: map[chan liveEvent]struct{}{}, closed: make(chan struct{})} }

func (h *hub) publish(ev sfnapi.ExecutionEvent) {
	le := liveEvent{ARN: ev.ExecutionARN, Name: ev.Name, Status: ev.Status, Type: ev.EventType}
	if le.Type == "" {
		le.Type = "ExecutionClosed"
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- le:
		default:
		}
	}
}

func (h *hub) subscribe() (chan liveEvent, func()) {
	c := make(chan liveEvent, 256)
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs, c)
		h.mu.Unlock()
	}
}

func (h *hub) close() { h.once.Do(func() { close(h.closed) }) }

// events is the read-only SSE stream of execution events (GET /api/events).
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c, unsub := h.hub.subscribe()
	defer unsub()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	_, _ = fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	fl.Flush()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.hub.closed:
			return
		case <-ping.C:
			_, _ = fmt.Fprint(w, ": ping\n\n")
			fl.Flush()
		case ev := <-c:
			b, _ := json.Marshal(ev)
			if _, err := fmt.Fprintf(w, "event: execution\ndata: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
		}
	}
}
