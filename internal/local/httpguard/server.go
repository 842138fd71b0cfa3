package httpguard

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"
)

// Config bounds what a client can hold: the time to send the request
// headers, their size, the time a kept-alive connection may sit idle, and
// the rate at which a request body must arrive.
type Config struct {
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// A request body must arrive at BodyMinRate bytes per second on
	// average, after BodyGrace: the body of n bytes must be in by
	// start + BodyGrace + n/BodyMinRate, or the connection is closed. A
	// whole-request ReadTimeout would cut large uploads; this cuts only
	// bodies that trickle.
	BodyGrace   time.Duration
	BodyMinRate int64
}

// NewDefaultConfig returns the defaults: 10 s for headers of at most
// 64 KiB, 2 min idle, and bodies of at least 16 KiB/s after 30 s.
func NewDefaultConfig() *Config {
	return &Config{
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BodyGrace:         30 * time.Second,
		BodyMinRate:       16 << 10,
	}
}

// Validate reports every bad setting.
func (c *Config) Validate() error {
	var errs []error
	if c.ReadHeaderTimeout <= 0 || c.IdleTimeout <= 0 || c.BodyGrace <= 0 {
		errs = append(errs, fmt.Errorf("httpguard: ReadHeaderTimeout (%v), IdleTimeout (%v) and BodyGrace (%v) must be > 0",
			c.ReadHeaderTimeout, c.IdleTimeout, c.BodyGrace))
	}
	if c.MaxHeaderBytes <= 0 || c.BodyMinRate <= 0 {
		errs = append(errs, fmt.Errorf("httpguard: MaxHeaderBytes (%d) and BodyMinRate (%d) must be > 0", c.MaxHeaderBytes, c.BodyMinRate))
	}
	return errors.Join(errs...)
}

// NewServer returns an http.Server for handler with cfg's limits. There
// is no WriteTimeout: Lambda Invoke, large S3 downloads and the console's
// live event stream legitimately take long.
func NewServer(cfg *Config, handler http.Handler, errorLog *log.Logger) (*http.Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &http.Server{
		Handler:           MinBodyRate(cfg, time.Now, handler),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          errorLog,
	}, nil
}

// MinBodyRate makes each request body arrive at cfg.BodyMinRate after
// cfg.BodyGrace, by moving the connection's read deadline as bytes come
// in: a client that stops sending is cut when the deadline passes.
func MinBodyRate(cfg *Config, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			// No body: net/http watches the connection for a hang-up with
			// a background read, which a deadline would end.
			next.ServeHTTP(w, r)
			return
		}
		b := &rateBody{ReadCloser: r.Body, rc: http.NewResponseController(w), cfg: cfg, start: now()}
		b.extend()
		r.Body = b
		// A body left unread keeps its deadline: net/http discards the
		// rest after the handler, and the next request sets its own.
		next.ServeHTTP(w, r)
	})
}

type rateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	cfg   *Config
	start time.Time
	n     int64
	done  bool
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		// At EOF net/http starts its own background read of the
		// connection; it must not inherit the deadline.
		b.clear()
	case err != nil:
		b.done = true // keep the deadline: net/http discards the rest under it
	case n > 0:
		b.extend()
	}
	return n, err
}

func (b *rateBody) extend() {
	if b.done {
		return
	}
	d := b.cfg.BodyGrace + time.Duration(float64(b.n)/float64(b.cfg.BodyMinRate)*float64(time.Second))
	_ = b.rc.SetReadDeadline(b.start.Add(d))
}

func (b *rateBody) clear() {
	if !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
}
