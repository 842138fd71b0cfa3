package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"
)

//go:embed web/templates/*.html web/static/*
var webFS embed.FS

// views are the parsed page templates and the static assets, built once at
// startup.
type views struct {
	pages  map[string]*template.Template
	assets map[string]asset // by file name
}

type asset struct {
	body        []byte
	sum         string
	contentType string
}

// parseViews parses every page (layout + page) and checksums the assets.
func parseViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v.assets[p] = asset{body: b, sum: hex.EncodeToString(sum[:6]), contentType: contentTypes[path.Ext(p)]}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: assets: %w", err)
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			a, ok := v.assets[name]
			if !ok {
				return "", fmt.Errorf("no asset %q", name)
			}
			return "/static/" + a.sum + "/" + name, nil
		},
		"ago":      ago,
		"clock":    func(t time.Time) string { return t.Local().Format("15:04:05") },
		"datetime": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"bytes":    humanBytes,
		"dur":      humanDuration,
		"ms":       func(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) },
		"lower":    strings.ToLower,
		"statusClass": func(s string) string {
			return "s-" + strings.ToLower(s)
		},
		"statusWord": func(s string) string { return statusWords[s] },
		"add":        func(a, b int) int { return a + b },
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(webFS, "web/templates/layout.html", "web/templates/graph.html", "web/templates/chart.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	names, err := fs.Glob(webFS, "web/templates/page_*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		t, err := template.Must(layout.Clone()).ParseFS(webFS, n)
		if err != nil {
			return nil, fmt.Errorf("console: templates: %w", err)
		}
		v.pages[strings.TrimSuffix(strings.TrimPrefix(path.Base(n), "page_"), ".html")] = t
	}
	return v, nil
}

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
	".png": "image/png", ".ico": "image/x-icon", ".woff2": "font/woff2",
}

// Layout is what every page shares: navigation and the status bar.
type Layout struct {
	Title    string
	Nav      string // executions, upload, notifications, state-machine
	Nonce    string
	Endpoint string
	DataDir  string
	Counts   []StatusCount
	Total    int
	Live     bool   // re-read the page on live events
	WatchARN string // only events of this execution
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page. HTML is never cached.
func (h *handler) render(w http.ResponseWriter, r *http.Request, page string, status int, data any) {
	t, ok := h.views.pages[page]
	if !ok {
		h.fail(w, r, fmt.Errorf("no page %q", page))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// layout fills the shared part of a view model.
func (h *handler) layout(r *http.Request, title, nav string) Layout {
	counts, total := h.counts.get(r.Context(), "")
	return Layout{Title: title, Nav: nav, Nonce: nonceFrom(r.Context()), Endpoint: h.cfg.Endpoint, DataDir: h.cfg.DataDir,
		Counts: counts, Total: total}
}

// fail logs an internal error once and answers 500 without its details.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("console request failed", zap.String("path", r.URL.Path), zap.Error(err))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "internal error; see the log", http.StatusInternalServerError)
}

// static serves an embedded asset. The checksum in the URL changes with
// the content, so the response is immutable; a stale checksum is a 404.
func (h *handler) static(w http.ResponseWriter, r *http.Request) {
	a, ok := h.views.assets[r.PathValue("file")]
	if !ok || a.sum != r.PathValue("sum") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+a.sum+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

func (h *handler) favicon(w http.ResponseWriter, r *http.Request) {
	a := h.views.assets["icon.svg"]
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(a.body)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.Local().Format("2 Jan 2006")
}

func humanBytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}
