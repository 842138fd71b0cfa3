package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgflow/imgflow/layers/common/pipeline"
)

// chromiumPath is Debian's chromium, as the console's browser test uses.
const chromiumPath = "/usr/bin/chromium"

// testWebPPicture uploads a photo whose key needs escaping in a URL (space,
// comma): the default presets give a .webp and a .jpg for every size, each
// stored with its Content-Type, and the manifest's <picture> snippet, served
// verbatim on a page by a test server that answers from the output bucket,
// makes headless Chromium load a WebP. A copy whose <source> names a type
// no browser knows stands for a browser without WebP: it loads the JPEG.
func (e *e2e) testWebPPicture(t *testing.T) {
	e.t = t
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s not installed (apt-get install chromium)", chromiumPath)
	}
	const key = "uploads/e2e/summer trip, day 1.jpg"
	e.put(e.writeFile("trip.jpg", noisyPhoto(2400, 1600, 7)), key)
	if d := e.waitFinished(2*time.Minute, key)[key]; d.Status != "SUCCEEDED" {
		t.Fatalf("%s: %s %s %s", key, d.Status, d.Error, d.Cause)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(e.download(e.output, pipeline.ManifestKey("variants", key)), &m); err != nil {
		t.Fatal(err)
	}

	// Every size in both formats, each object with its format's Content-Type.
	type object struct {
		body        []byte
		contentType string
	}
	objects := map[string]object{}
	sizes := map[string]string{"xl": "2048x1365", "lg": "1024x683", "md": "512x341", "thumb": "256x171"}
	var webpBytes, jpegBytes int64
	for _, v := range m.Variants {
		var head struct{ ContentType string }
		p := filepath.Join(t.TempDir(), "obj")
		e.awsJSON(&head, "s3api", "get-object", "--bucket", e.output, "--key", v.Key, p)
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		objects[v.Key] = object{body, head.ContentType}
		want := map[string]string{"webp": "image/webp", "jpeg": "image/jpeg"}[v.Format]
		if head.ContentType != want || v.ContentType != want || int64(len(body)) != v.Bytes {
			t.Errorf("%s: stored as %q (manifest %q, %d of %d bytes), want %s", v.Key, head.ContentType, v.ContentType, len(body), v.Bytes, want)
		}
		if got := fmt.Sprintf("%dx%d", v.Width, v.Height); got != sizes[v.Preset] {
			t.Errorf("%s: %s, want %s", v.Key, got, sizes[v.Preset])
		}
		switch v.Format {
		case "webp":
			webpBytes += v.Bytes
		case "jpeg":
			jpegBytes += v.Bytes
		}
		t.Logf("%-6s %-4s %9d bytes", v.Preset, v.Format, v.Bytes)
	}
	if len(m.Variants) != 8 || len(objects) != 8 {
		t.Fatalf("%d manifest entries, %d distinct keys, want 8 (4 sizes × webp, jpeg): %+v", len(m.Variants), len(objects), m.Variants)
	}
	// Per-pixel noise, not a photo: sizes are logged, compression is make bench's.
	t.Logf("four sizes: webp %d bytes, jpeg %d bytes (%.2fx)", webpBytes, jpegBytes, float64(webpBytes)/float64(jpegBytes))

	// The snippet's URLs are relative to the bucket root: serve the bucket's
	// objects at the server's root, and the page beside them. Request paths
	// are percent-decoded, so a key that was escaped wrongly is a 404.
	snippet := m.Picture.HTML
	noWebP := strings.Replace(snippet, `type="image/webp"`, `type="image/x-not-supported"`, 1)
	if noWebP == snippet || !strings.Contains(snippet, "<picture><source type=\"image/webp\"") {
		t.Fatalf("snippet has no WebP <source>: %s", snippet)
	}
	page := `<!doctype html><html><head><meta charset="utf-8"></head><body>` +
		`<div id="webp">` + snippet + `</div><div id="nowebp">` + noWebP + `</div><pre id="result"></pre>` +
		`<script>window.addEventListener("load", () => { document.getElementById("result").textContent = JSON.stringify(` +
		`Array.from(document.querySelectorAll("picture img")).map(i => ({src: i.currentSrc, w: i.naturalWidth, h: i.naturalHeight}))); });</script>` +
		`</body></html>`
	var mu sync.Mutex
	var served []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page)
			return
		}
		obj, ok := objects[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		served = append(served, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", obj.contentType)
		_, _ = w.Write(obj.body)
	}))
	defer srv.Close()

	// Every URL of the snippet resolves, the fallback srcset included: a
	// browser without WebP (or without <picture>) gets a JPEG.
	var urls []string
	for _, src := range m.Picture.Sources {
		for _, cand := range strings.Split(src.Srcset, ", ") {
			urls = append(urls, strings.Fields(cand)[0])
		}
	}
	if got := regexp.MustCompile(`<img src="([^"]+)"`).FindStringSubmatch(snippet); got != nil {
		urls = append(urls, html.UnescapeString(got[1]))
	}
	for _, u := range urls {
		resp, err := http.Get(srv.URL + "/" + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantType := "image/webp"
		if strings.HasSuffix(u, ".jpg") {
			wantType = "image/jpeg"
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != wantType {
			t.Errorf("GET %s: %s %s, want 200 %s", u, resp.Status, resp.Header.Get("Content-Type"), wantType)
		}
	}
	mu.Lock()
	served = nil
	mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+t.TempDir(), "--window-size=1280,800",
		"--virtual-time-budget=10000", "--dump-dom", srv.URL+"/page.html")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	res := regexp.MustCompile(`<pre id="result">([^<]*)</pre>`).FindSubmatch(dom)
	if res == nil {
		t.Fatalf("no result in the dumped DOM:\n%s", dom)
	}
	var imgs []struct {
		Src  string
		W, H int
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(string(res[1]))), &imgs); err != nil || len(imgs) != 2 {
		t.Fatalf("result %s: %v", res[1], err)
	}
	t.Logf("chromium loaded %s and, without WebP, %s; requests %v", imgs[0].Src, imgs[1].Src, served)
	// 1280 px wide window, sizes "(max-width: 2048px) 100vw": the 2048w
	// candidate (the 1024w one is too small); naturalWidth is corrected by
	// the candidate's density (2048w in a 1280 px slot: 1280).
	if !strings.HasSuffix(imgs[0].Src, "/xl.webp") || imgs[0].W != 1280 || imgs[0].H != 853 {
		t.Errorf("the page shows %s (%dx%d), want xl.webp decoded (1280x853 CSS px)", imgs[0].Src, imgs[0].W, imgs[0].H)
	}
	if !strings.HasSuffix(imgs[1].Src, "/xl.jpg") || imgs[1].W != 1280 {
		t.Errorf("without WebP the page shows %s (%dx%d), want xl.jpg", imgs[1].Src, imgs[1].W, imgs[1].H)
	}
	mu.Lock()
	defer mu.Unlock()
	dir := "/" + pipeline.OutputDir("variants", key)
	for _, want := range []string{dir + "/xl.webp", dir + "/xl.jpg"} {
		if !slices.Contains(served, want) {
			t.Errorf("the server was not asked for %s (asked for %v)", want, served)
		}
	}
}
