// Package httpguard holds what the local stack's two HTTP servers (the AWS
// endpoint and the web console) share to keep other web pages and slow
// clients out: the Host allow-list against DNS rebinding, a minimum body
// rate against slow bodies, and the server's timeouts.
package httpguard

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
)

// Hosts is the Host allow-list. A web page from another site can make the
// browser send requests to 127.0.0.1 by pointing a DNS name it controls at
// it (DNS rebinding); the browser then treats the page and the local
// server as one origin, but the Host header still names the page's site.
// So a loopback server answers only Hosts that name loopback: 127.0.0.1,
// [::1], localhost and *.localhost (browsers resolve those to loopback
// themselves), with any port.
type Hosts struct {
	exact    map[string]bool
	suffixes []string // ".example.com" from "*.example.com"
}

// NewHosts returns the allow-list for a server listening on listen: the
// loopback names, the listen address itself when it is a specific IP
// address or name (binding it is the opt-in), and the extra names given
// (--allow-host), each a host name or "*.domain", without port.
func NewHosts(listen string, extra []string) (*Hosts, error) {
	h := &Hosts{exact: map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true}}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		h.exact[normalize(host)] = true
	}
	for _, e := range extra {
		e = normalize(e)
		if e == "" || strings.Contains(e, ":") && net.ParseIP(e) == nil || strings.ContainsAny(e, "/ ") {
			return nil, fmt.Errorf("httpguard: allowed host %q: want a host name or IP address without port, or *.domain", e)
		}
		if d, ok := strings.CutPrefix(e, "*."); ok {
			h.suffixes = append(h.suffixes, "."+d)
			continue
		}
		h.exact[e] = true
	}
	return h, nil
}

// normalize lowercases a host name and drops brackets and a final dot.
func normalize(host string) string {
	return strings.TrimSuffix(strings.Trim(strings.ToLower(strings.TrimSpace(host)), "[]"), ".")
}

// Allowed reports whether a Host header value (name or address, with or
// without port) is on the list.
func (h *Hosts) Allowed(hostport string) bool {
	host := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		host = hh
	} else if strings.Contains(hostport, ":") && !strings.HasPrefix(hostport, "[") && net.ParseIP(hostport) == nil {
		return false // "name:port:junk"
	}
	host = normalize(host)
	if host == "" {
		return false
	}
	if h.exact[host] || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, s := range h.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// Names lists the allowed names, for messages.
func (h *Hosts) Names() []string {
	out := make([]string, 0, len(h.exact)+len(h.suffixes)+1)
	for n := range h.exact {
		if strings.Contains(n, ":") {
			n = "[" + n + "]"
		}
		out = append(out, n)
	}
	out = append(out, "*.localhost")
	for _, s := range h.suffixes {
		out = append(out, "*"+s)
	}
	sort.Strings(out)
	return out
}

// Middleware answers a request whose Host is not allowed with 403 and a
// message saying why, and passes the others to next.
func (h *Hosts) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.Allowed(r.Host) {
			RefuseHost(w, r, h)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RefuseHost writes the 403 answer to a request for a Host not in h.
func RefuseHost(w http.ResponseWriter, r *http.Request, h *Hosts) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, fmt.Sprintf("imgflow local: Host %q is not allowed (protection against DNS rebinding); "+
		"this server answers %s. To reach it under another name, start it with --allow-host NAME.",
		r.Host, strings.Join(h.Names(), ", ")), http.StatusForbidden)
}
