package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imgflow/imgflow/internal/local/sfnapi"
)

// finished returns a channel that receives the name of each execution of
// the stack that ends, so a test waits for the event instead of polling.
func finished(t *testing.T, env *testEnv) <-chan string {
	t.Helper()
	ch := make(chan string, 16)
	unsubscribe := env.st.SFN.Subscribe(func(ev sfnapi.ExecutionEvent) {
		if ev.Status != "" && ev.Status != "RUNNING" {
			select {
			case ch <- ev.Name:
			default:
			}
		}
	})
	t.Cleanup(unsubscribe)
	return ch
}

// TestUploadStatusExplainsRejection uploads an empty file through the
// console: it must start an execution, and the status the upload page
// polls must say why it failed, in the failure email's words.
func TestUploadStatusExplainsRejection(t *testing.T) {
	env := bootStack(t)
	base := env.srv.URL
	done := finished(t, env)
	if r := put(t, base+"/upload?path=empty.jpg", nil, map[string]string{"Content-Type": "image/jpeg"}); r.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no execution ended for the empty upload: it was ignored")
	}
	resp, err := http.Get(base + "/upload/status?key=" + url.QueryEscape("uploads/empty.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st UploadStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if !st.Exists || st.Status != "FAILED" || st.Error != "ImageRejectedError" || st.Reason != "EmptyObject" {
		t.Fatalf("status = %+v, want FAILED ImageRejectedError EmptyObject", st)
	}
	if st.Summary != "empty file" || !strings.Contains(st.Message, "0 bytes") || !strings.Contains(st.Advice, "Upload the file again") {
		t.Errorf("the status does not explain the rejection: %+v", st)
	}
	if !strings.HasPrefix(st.URL, "/executions/") {
		t.Errorf("url = %q", st.URL)
	}
}

// TestUploadPageShowsRejection drives the upload page in headless
// Chromium: an empty file's row must end in the error, the reason and the
// advice.
func TestUploadPageShowsRejection(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	browser := newBrowser(t)
	env := bootStack(t)
	empty := filepath.Join(t.TempDir(), "empty.jpg")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	var text, reason string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.con.URL+"/upload"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{empty}, chromedp.NodeReady),
		waitJS(`(li => li && li.classList.contains("error") && !li.querySelector(".qi-detail").hidden)(document.querySelector('.qi[data-path="empty.jpg"]'))`),
		eval(`document.querySelector('.qi[data-path="empty.jpg"] .qi-status').innerText`, &text),
		eval(`document.querySelector('.qi[data-path="empty.jpg"]').dataset.reason`, &reason),
	); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAILED", "empty file", "ImageRejectedError (EmptyObject)", "0 bytes", "What to do: The upload had no content"} {
		if !strings.Contains(text, want) {
			t.Errorf("the upload row says %q, want it to include %q", text, want)
		}
	}
	if reason != "EmptyObject" {
		t.Errorf("data-reason = %q", reason)
	}
}
