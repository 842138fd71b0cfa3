package console

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func put(t *testing.T, url string, body []byte, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestHandlers(t *testing.T) {
	env := bootStack(t)
	base := env.srv.URL

	if r := put(t, base+"/upload?path=cat.png", testPNG(t, 320, 200), map[string]string{"Content-Type": "image/png"}); r.StatusCode != 200 {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	if r := put(t, base+"/upload?path=broken.jpg", []byte("not an image at all"), nil); r.StatusCode != 200 {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	ok := waitStatus(t, base, "uploads/cat.png")
	bad := waitStatus(t, base, "uploads/broken.jpg")
	if ok.Status != "SUCCEEDED" || bad.Status != "FAILED" {
		t.Fatalf("statuses: %+v %+v", ok, bad)
	}

	pages := []struct {
		name, path string
		want       []string
	}{
		{"executions", "/", []string{"uploads/cat.png", "uploads/broken.jpg", "SUCCEEDED", "FAILED", `/objects/`}},
		{"filter", "/executions?status=FAILED", []string{"uploads/broken.jpg"}},
		{"search", "/executions?q=cat", []string{"uploads/cat.png", "1–1 of 1"}},
		{"detail ok", ok.URL, []string{`data-state="Validate"`, "st-succeeded", "ExecutionSucceeded", "TaskStateEntered", "MapIterationSucceeded", `data-variant="thumb"`, "Manifest"}},
		{"detail failed", bad.URL, []string{"ImageRejectedError", "failing", "st-caught", "ExecutionFailed", "NotAnImage"}},
		{"upload", "/upload", []string{`id="dropzone"`, "webkitdirectory"}},
		{"notifications", "/notifications", []string{"ops@example.com", "Confirmed", "uploads/cat.png", "http://127.0.0.1:8025/"}},
		{"state machine", "/state-machine", []string{"ValidateFunction", "StartAt", "<svg", `href="/functions/imgflow-ValidateFunction"`}},
		{"function metrics", "/functions/imgflow-ValidateFunction", []string{"Invocations and errors per minute", `class="bar inv"`,
			`class="dot p50"`, "aws logs tail /aws/lambda/imgflow/validate --follow"}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			resp, body := get(t, base+p.path)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d\n%s", p.path, resp.StatusCode, body)
			}
			for _, w := range p.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: missing %q", p.path, w)
				}
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("HTML Cache-Control = %q", cc)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
			if m == nil || !strings.Contains(body, `nonce="`+m[1]+`"`) {
				t.Errorf("CSP nonce missing or not used: %q", csp)
			}
			if resp.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", resp.Header.Get("Referrer-Policy"))
			}
		})
	}

	t.Run("assets are immutable and checksummed", func(t *testing.T) {
		_, body := get(t, base+"/upload")
		m := regexp.MustCompile(`/static/([0-9a-f]+)/console\.css`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no checksummed CSS URL")
		}
		resp, _ := get(t, base+m[0])
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("asset: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if resp, _ := get(t, base+"/static/000000000000/console.css"); resp.StatusCode != 404 {
			t.Fatalf("stale checksum: %d", resp.StatusCode)
		}
	})
	t.Run("objects only from the stack's buckets", func(t *testing.T) {
		if resp, _ := get(t, base+"/objects/other-bucket/x.png"); resp.StatusCode != 404 {
			t.Fatalf("foreign bucket: %d", resp.StatusCode)
		}
		resp, _ := get(t, base+"/objects/"+env.upload+"/uploads/cat.png?download=1")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
	})
	t.Run("writes are guarded", func(t *testing.T) {
		cases := []struct {
			name string
			url  string
			body []byte
			hdr  map[string]string
			want int
		}{
			{"cross-site", "/upload?path=x.png", []byte("x"), map[string]string{"Origin": "http://evil.example"}, 403},
			{"fetch metadata", "/upload?path=x.png", []byte("x"), map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
			{"climbing path", "/upload?path=../../etc/passwd", []byte("x"), nil, 400},
			{"no path", "/upload", []byte("x"), nil, 400},
		}
		for _, c := range cases {
			if r := put(t, base+c.url, c.body, c.hdr); r.StatusCode != c.want {
				t.Errorf("%s: %d, want %d", c.name, r.StatusCode, c.want)
			}
		}
		big := bytes.Repeat([]byte("x"), int(env.cfg.MaxBodyBytes)+1)
		resp, err := http.Post(base+ok.URL+"/stop", "application/x-www-form-urlencoded", bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("form body cap: %d", resp.StatusCode)
		}
	})
	t.Run("start again and redrive", func(t *testing.T) {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Post(base+ok.URL+"/rerun", "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "-rerun-") {
			t.Fatalf("rerun: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = client.Post(base+bad.URL+"/redrive", "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "msg=") {
			t.Fatalf("redrive: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := get(t, base+"/executions/imgflow-ImagePipeline/no-such"); resp.StatusCode != 404 {
			t.Fatalf("unknown execution: %d", resp.StatusCode)
		}
	})
}
