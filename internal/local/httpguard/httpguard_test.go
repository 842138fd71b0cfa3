package httpguard

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHostsAllowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		listen string
		extra  []string
		host   string
		want   bool
	}{
		{name: "ipv4 loopback with port", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", want: true},
		{name: "ipv4 loopback without port", listen: "127.0.0.1:4566", host: "127.0.0.1", want: true},
		{name: "ipv6 loopback", listen: "127.0.0.1:4566", host: "[::1]:4566", want: true},
		{name: "localhost", listen: "127.0.0.1:4566", host: "localhost:4566", want: true},
		{name: "localhost upper case with dot", listen: "127.0.0.1:4566", host: "LocalHost.:4566", want: true},
		{name: "virtual-host bucket", listen: "127.0.0.1:4566", host: "photos.s3.localhost:4566", want: true},
		{name: "rebinding name", listen: "127.0.0.1:4566", host: "evil.example:4566", want: false},
		{name: "localhost as prefix", listen: "127.0.0.1:4566", host: "localhost.evil.example:4566", want: false},
		{name: "localhost lookalike", listen: "127.0.0.1:4566", host: "evillocalhost:4566", want: false},
		{name: "other loopback address", listen: "127.0.0.1:4566", host: "127.0.0.2:4566", want: false},
		{name: "empty", listen: "127.0.0.1:4566", host: "", want: false},
		{name: "junk port", listen: "127.0.0.1:4566", host: "localhost:1:2", want: false},
		{name: "bound address", listen: "192.0.2.10:4566", host: "192.0.2.10:4566", want: true},
		{name: "unspecified bind is no opt-in", listen: "0.0.0.0:4566", host: "0.0.0.0:4566", want: false},
		{name: "extra name", listen: "0.0.0.0:4566", extra: []string{"Dev.Example"}, host: "dev.example:4566", want: true},
		{name: "extra wildcard", listen: "0.0.0.0:4566", extra: []string{"*.dev.example"}, host: "photos.dev.example", want: true},
		{name: "extra wildcard not the apex", listen: "0.0.0.0:4566", extra: []string{"*.dev.example"}, host: "dev.example", want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHosts(tc.listen, tc.extra)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Allowed(tc.host); got != tc.want {
				t.Fatalf("Allowed(%q) = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
	if _, err := NewHosts("127.0.0.1:0", []string{"dev.example:80"}); err == nil {
		t.Fatal("a name with a port was accepted")
	}
}

func TestHostsMiddleware(t *testing.T) {
	h, _ := NewHosts("127.0.0.1:4566", nil)
	srv := startServer(t, NewDefaultConfig(), h.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	req, _ := http.NewRequest("GET", "http://"+srv+"/", nil)
	req.Host = "evil.example:4566"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "DNS rebinding") {
		t.Fatalf("got %d %q, want 403 naming DNS rebinding", resp.StatusCode, body)
	}
}

// startServer serves handler through NewServer on a loopback port.
func startServer(t *testing.T, cfg *Config, handler http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg, handler, nil)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestSlowBodyIsCut sends headers and a few body bytes, then nothing: the
// server must close the connection once the body falls behind the rate.
func TestSlowBodyIsCut(t *testing.T) {
	cfg := NewDefaultConfig()
	cfg.BodyGrace, cfg.BodyMinRate = 200*time.Millisecond, 1<<20
	readErr := make(chan error, 1)
	addr := startServer(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		readErr <- err
	}))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n0123456789")
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(10 * time.Second)) // the test's own bound
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept a stalled body open for %v", time.Since(start))
	}
	if err := <-readErr; err == nil {
		t.Fatal("the handler read the stalled body without error")
	}
}

// TestBodyRateKeepsGoodRequests: a body that arrives quickly passes, and
// neither it nor a request without body is cut while the handler works
// longer than the grace (net/http's hang-up watch must not see a deadline).
// The grace is a second, not less: the body's first bytes must arrive
// within it, and on a busy 2-core machine (make test runs the end-to-end
// tests beside this one) the writing goroutine can wait a few hundred
// milliseconds for a CPU.
func TestBodyRateKeepsGoodRequests(t *testing.T) {
	cfg := NewDefaultConfig()
	cfg.BodyGrace, cfg.BodyMinRate = time.Second, 1<<20
	addr := startServer(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-r.Context().Done():
			return // the client sees a reset, not a 200
		case <-time.After(cfg.BodyGrace + cfg.BodyGrace/2): // work that outlasts the grace
		}
		fmt.Fprintf(w, "%d", n)
	}))
	for _, size := range []int{0, 4 << 20} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PUT /k HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n", size)
		go conn.Write(bytes.Repeat([]byte("x"), size))
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != 200 || string(body) != fmt.Sprint(size) {
			t.Fatalf("size %d: got %d %q", size, resp.StatusCode, body)
		}
	}
}
