package console

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// screenshotDir is the test's output folder: the -artifacts directory when
// the flag is given, else $IMGFLOW_SCREENSHOTS, else a kept temp folder.
func screenshotDir(t *testing.T) string {
	dir := ""
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		dir = t.ArtifactDir()
	} else if d := os.Getenv("IMGFLOW_SCREENSHOTS"); d != "" {
		dir = d
	} else {
		dir = filepath.Join(os.TempDir(), "imgflow-console-screenshots", time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", dir)
	fmt.Fprintf(os.Stderr, "console browser test: screenshots in %s\n", dir)
	return dir
}

// newBrowser starts headless Chromium with a throwaway profile.
func newBrowser(t *testing.T) context.Context {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s not installed (apt-get install chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		// Two tabs are driven at once: keep the one in the background running.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// waitJS polls a JS boolean expression.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return into(chromedp.Poll[any](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)), new(any))
}

// into runs an action that returns a value and stores the value in dst.
func into[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		if err == nil {
			*dst = v
		}
		return chromedp.Void{}, err
	}
}

// eval evaluates a JS expression into dst.
func eval[T any](expr string, dst *T) chromedp.Action[chromedp.Void] {
	return into(chromedp.Evaluate[T](expr), dst)
}

// shoot saves the page at desktop (1280x800) and phone (390x844) widths.
func shoot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, vp := range []struct {
			suffix string
			w, h   int64
			mobile bool
		}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
			var buf []byte
			emu := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
			if vp.mobile {
				emu = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}
			}
			if _, err := chromedp.Steps(
				chromedp.EmulateViewport(vp.w, vp.h, emu...),
				chromedp.Sleep(150*time.Millisecond),
				into(chromedp.FullScreenshot(100), &buf),
			)(ctx, tg); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, name+"-"+vp.suffix+".png"), buf, 0o644); err != nil {
				return err
			}
		}
		_, err := chromedp.EmulateViewport(1280, 800)(ctx, tg)
		return err
	})
}

// TestBrowser drives the console in headless Chromium against the real
// stack: uploads, the live list, the detail page, a failure, notifications.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	browser := newBrowser(t)
	env := bootStack(t)
	base := env.con.URL
	dir := screenshotDir(t)
	files := t.TempDir()
	for name, size := range map[string][2]int{"harbour.png": {900, 600}, "portrait.png": {400, 640}} {
		if err := os.WriteFile(filepath.Join(files, name), testPNG(t, size[0], size[1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(files, "corrupt.jpg"), []byte("\xff\xd8\xff\xe0 this is not really a JPEG"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	step := func(ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx); err != nil { // the tab's first run: no timeout
			t.Fatalf("%s: %v", name, err)
		}
		ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%-40s %6d ms", name, time.Since(start).Milliseconds())
	}

	// Tab 1: the executions list, open before anything is uploaded.
	list, cancelList := chromedp.NewContext(browser)
	defer cancelList()
	step(list, "open executions list",
		chromedp.Navigate(base+"/executions"),
		waitJS(`document.querySelector("#live-indicator.on") !== null`),
		eval(`window.__notReloaded = true`, new(any)),
		shoot(dir, "executions-empty"),
	)

	// Tab 2: upload two images through the Upload page.
	up, cancelUp := chromedp.NewContext(browser)
	defer cancelUp()
	step(up, "upload two images",
		chromedp.Navigate(base+"/upload"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{filepath.Join(files, "harbour.png"), filepath.Join(files, "portrait.png")}, chromedp.NodeReady),
		waitJS(`document.querySelectorAll(".qi.done").length === 2`),
		waitJS(`Array.from(document.querySelectorAll(".qi .qi-link")).every(a => !a.hidden && a.href.includes("/executions/"))`),
		shoot(dir, "upload"),
	)

	// Back in tab 1: both executions appeared and turned SUCCEEDED live.
	var detailURL string
	var notReloaded bool
	step(list, "list turns SUCCEEDED without reload",
		waitJS(`document.querySelectorAll('tr[data-status="SUCCEEDED"]').length === 2`),
		eval(`window.__notReloaded === true`, &notReloaded),
		eval(`Array.from(document.querySelectorAll("tr[data-status] .exec-link")).find(a => a.textContent.includes("harbour")).href`, &detailURL),
		waitJS(`Array.from(document.querySelectorAll("img.thumb")).filter(i => !i.classList.contains("icon")).every(i => i.complete && i.naturalWidth > 0)`),
		shoot(dir, "executions"),
	)
	if !notReloaded {
		t.Fatal("the executions list was reloaded")
	}

	// The detail page of one.
	var states map[string]string
	var events []string
	var variants []map[string]any
	step(list, "execution detail",
		chromedp.Navigate(detailURL),
		chromedp.WaitVisible(chromedp.CSS(".graph")),
		waitJS(`Array.from(document.querySelectorAll("img[data-variant]")).every(i => i.complete && i.naturalWidth > 0)`),
		eval(`Object.fromEntries(Array.from(document.querySelectorAll(".graph .node[data-state]")).map(n => [n.dataset.state, Array.from(n.classList).find(c => c.startsWith("st-")) || ""]))`, &states),
		eval(`Array.from(new Set(Array.from(document.querySelectorAll(".events .ev-type")).map(td => td.querySelector("summary, .nodetails").textContent.trim())))`, &events),
		eval(`Array.from(document.querySelectorAll("figure.variant")).map(f => { const i = f.querySelector("img"); return {preset: i.dataset.variant, nw: i.naturalWidth, nh: i.naturalHeight, dims: f.querySelector(".dims").textContent} })`, &variants),
		chromedp.Click(chromedp.CSS(`.graph .node[data-state="Validate"]`)),
		waitJS(`!document.querySelector('[data-state-panel="Validate"]').hidden`),
		shoot(dir, "execution-succeeded"),
	)
	for _, name := range []string{"Validate", "ResizeVariants", "Resize", "Store", "Notify", "Done"} {
		if states[name] != "st-succeeded" {
			t.Errorf("state %s is %q, want st-succeeded (all: %v)", name, states[name], states)
		}
	}
	for _, name := range []string{"NotifyFailure", "Failed"} {
		if states[name] != "st-notreached" {
			t.Errorf("state %s is %q, want st-notreached", name, states[name])
		}
	}
	for _, want := range []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
		"MapStateEntered", "MapStateStarted", "MapIterationStarted", "MapIterationSucceeded", "MapStateSucceeded", "SucceedStateEntered", "ExecutionSucceeded"} {
		if !contains(events, want) {
			t.Errorf("event history lacks %s (has %v)", want, events)
		}
	}
	if len(variants) == 0 {
		t.Fatal("no variants shown")
	}
	for _, v := range variants {
		want := fmt.Sprintf("%v×%v", v["nw"], v["nh"])
		if v["dims"] != want || v["nw"].(float64) <= 0 {
			t.Errorf("variant %v: listed %v, image is %s", v["preset"], v["dims"], want)
		}
	}

	// A corrupt upload fails; its failure is explained and located.
	step(up, "upload a corrupt file",
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{filepath.Join(files, "corrupt.jpg")}, chromedp.NodeReady),
		waitJS(`Array.from(document.querySelectorAll(".qi.error")).some(li => li.textContent.includes("FAILED"))`),
	)
	var failURL, failure, failingState, failedState string
	step(up, "find the failed execution",
		eval(`Array.from(document.querySelectorAll(".qi")).find(li => li.dataset.path === "corrupt.jpg").querySelector(".qi-link").href`, &failURL),
	)
	step(up, "failed execution detail",
		chromedp.Navigate(failURL),
		chromedp.WaitVisible(chromedp.CSS("#failure")),
		into(chromedp.Text(chromedp.CSS("#failure")), &failure),
		eval(`(document.querySelector(".graph .node.failing") || {dataset: {}}).dataset.state || ""`, &failingState),
		eval(`Array.from(document.querySelector('.graph .node[data-state="Failed"]').classList).join(" ")`, &failedState),
		shoot(dir, "execution-failed"),
	)
	if !strings.Contains(failure, "ImageRejectedError") || !strings.Contains(failure, "in state") || !strings.Contains(strings.ToLower(failure), "image") {
		t.Errorf("failure box = %q", failure)
	}
	if failingState != "Validate" {
		t.Errorf("failing state = %q, want Validate", failingState)
	}
	if !strings.Contains(failedState, "st-failed") {
		t.Errorf("Fail state classes = %q", failedState)
	}

	// Notifications show the success and the failure messages.
	var subjects []string
	step(up, "notifications",
		chromedp.Navigate(base+"/notifications"),
		waitJS(`document.querySelectorAll("article.message").length >= 3`),
		eval(`Array.from(document.querySelectorAll("article.message .msg-subject")).map(e => e.textContent)`, &subjects),
		shoot(dir, "notifications"),
	)
	joined := strings.Join(subjects, "\n")
	for _, want := range []string{"uploads/harbour.png processed", "uploads/portrait.png processed", "uploads/corrupt.jpg FAILED"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notifications lack %q:\n%s", want, joined)
		}
	}

	step(up, "state machine page",
		chromedp.Navigate(base+"/state-machine"),
		chromedp.WaitVisible(chromedp.CSS(".functions")),
		shoot(dir, "state-machine"),
	)
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
