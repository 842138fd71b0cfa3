package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/imgflow/imgflow/internal/local/httpguard"
)

// contextKey is the type of the console's context keys.
type contextKey int

const nonceKey contextKey = iota

func nonceFrom(ctx context.Context) string {
	n, _ := ctx.Value(nonceKey).(string)
	return n
}

// middleware refuses Hosts not on the allow-list (DNS rebinding), sets the
// security headers (a CSP with a per-request nonce for the one script),
// caps request bodies, and refuses cross-site writes.
func (h *handler) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.hosts.Allowed(r.Host) {
			httpguard.RefuseHost(w, r, h.hosts)
			return
		}
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawURLEncoding.EncodeToString(b[:])
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameOrigin(r) {
				http.Error(w, "cross-site request refused", http.StatusForbidden)
				return
			}
			// The upload route caps its own body (a file, not a form).
			if !(r.Method == http.MethodPut && r.URL.Path == "/upload") {
				if r.ContentLength > h.cfg.MaxBodyBytes {
					http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
					return
				}
				r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nonceKey, nonce)))
	})
}

// sameOrigin accepts a write only from the console's own pages: browsers
// send Sec-Fetch-Site or Origin on every cross-site POST/PUT. r.Host can be
// trusted here: the middleware has checked it against the allow-list, so a
// page served under a rebound name never gets this far.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser (curl, tests)
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
