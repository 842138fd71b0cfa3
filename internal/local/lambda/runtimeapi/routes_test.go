package runtimeapi

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestRuntimeAPIEdges drives one sandbox's routes over HTTP, as a runtime
// other than aws-lambda-go's happy path would.
func TestRuntimeAPIEdges(t *testing.T) {
	const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	tests := []struct {
		name       string
		ready      bool // the process already asked for an invocation
		path       string
		header     map[string]string
		trailer    map[string]string
		body       string
		wantStatus int
		wantType   string // "" for a successful response
		wantMsg    string
		wantFrames []string
	}{
		{name: "response", path: "/invocation/" + id + "/response", body: `{"ok":true}`, wantStatus: 202},
		{name: "unknown request id", path: "/invocation/other/response", body: `{}`, wantStatus: 400},
		{name: "streamed response failed, reported in trailers", path: "/invocation/" + id + "/response", body: `{"partial`,
			trailer: map[string]string{headerErrorType: "ReadError", trailerErrorBody: base64.StdEncoding.EncodeToString(
				[]byte(`{"errorMessage":"disk gone","errorType":"ReadError"}`))},
			wantStatus: 202, wantType: "ReadError", wantMsg: "disk gone"},
		{name: "error with a string stack trace", path: "/invocation/" + id + "/error",
			body:       `{"errorMessage":"x","errorType":"ValueError","stackTrace":["a.py:1","b.py:2"]}`,
			wantStatus: 202, wantType: "ValueError", wantMsg: "x", wantFrames: []string{"a.py:1", "b.py:2"}},
		{name: "error that is not JSON takes the header's type", path: "/invocation/" + id + "/error",
			header: map[string]string{headerErrorType: "Runtime.Crash"}, body: "segfault",
			wantStatus: 202, wantType: "Runtime.Crash", wantMsg: "segfault"},
		{name: "error with no type at all", path: "/invocation/" + id + "/error", body: `{"errorMessage":"?"}`,
			wantStatus: 202, wantType: "Runtime.Unknown", wantMsg: "?"},
		{name: "response too large", path: "/invocation/" + id + "/response", body: strings.Repeat("x", 2048),
			wantStatus: 413, wantType: "Function.ResponseSizeTooLarge",
			wantMsg: "Response payload size exceeded maximum allowed payload size (1024 bytes)."},
		{name: "init error after init", ready: true, path: "/init/error", body: `{"errorType":"X"}`, wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewDefaultConfig()
			cfg.MaxResponseBytes = 1024
			p := &Pool{cfg: *cfg, log: zap.NewNop()}
			a := &attempt{invocation: invocation{id: id}, done: make(chan outcome, 1)}
			sb := &sandbox{pool: p, log: zap.NewNop(), ready: tt.ready, current: a}
			srv := httptest.NewServer(sb.routes())
			defer srv.Close()

			req, err := http.NewRequest(http.MethodPost, srv.URL+apiPrefix+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.trailer != nil {
				req.ContentLength = -1 // chunked, so trailers are sent
				req.Trailer = http.Header{}
				for k, v := range tt.trailer {
					req.Trailer.Set(k, v)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 202 && tt.wantType == "" {
				return
			}
			o := <-a.done
			switch {
			case tt.wantType == "":
				if o.err != nil || string(o.payload) != tt.body {
					t.Fatalf("got %+v, want payload %s", o, tt.body)
				}
			case o.err == nil:
				t.Fatalf("got payload %s, want error %s", o.payload, tt.wantType)
			default:
				if o.err.Type != tt.wantType || o.err.Message != tt.wantMsg {
					t.Fatalf("got %s %q, want %s %q", o.err.Type, o.err.Message, tt.wantType, tt.wantMsg)
				}
				var labels []string
				for _, f := range o.err.StackTrace {
					labels = append(labels, f.Label)
				}
				if strings.Join(labels, "|") != strings.Join(tt.wantFrames, "|") {
					t.Fatalf("stack %v, want %v", labels, tt.wantFrames)
				}
			}
		})
	}
}
