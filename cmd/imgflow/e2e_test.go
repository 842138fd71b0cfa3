package main

// The end-to-end test of `imgflow local`: the real binary, started on free
// ports in a temporary data dir, with mailpit as the SMTP server, driven
// only through Debian's aws CLI (and mailpit's HTTP API to read the mail),
// as a user would drive it.
//
// It needs /usr/bin/aws and mailpit (MAILPIT_BIN or PATH); `make test`
// installs both. Without them, or with -short, it is skipped.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imgflow/imgflow/internal/local/stack"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/internal/steps/trigger"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

const awsCLI = "/usr/bin/aws"

// e2e holds the processes and the names the tests need.
type e2e struct {
	t       *testing.T
	bin     string // the imgflow binary
	data    string
	repo    string
	smtp    string
	mailAPI string
	args    []string

	proc   *exec.Cmd
	stdout *syncBuffer
	exited chan struct{}
	sf     *stack.StackFile
	upload string // bucket
	output string // bucket
	sm     string // state machine ARN
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newE2E is the start of every end-to-end test: skipped with -short or
// without /usr/bin/aws (and, with mail, without mailpit), then the freshly
// built binary, a data folder and, with mail, a running mailpit.
func newE2E(t *testing.T, withMail bool) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skip("needs Debian's aws CLI at /usr/bin/aws (make test installs it)")
	}
	mailpitBin := os.Getenv("MAILPIT_BIN")
	if withMail && mailpitBin == "" {
		p, err := exec.LookPath("mailpit")
		if err != nil {
			t.Skip("needs mailpit: set MAILPIT_BIN or put it on PATH (make test installs it)")
		}
		mailpitBin = p
	}
	e := &e2e{t: t, data: t.TempDir(), repo: repoRoot(t)}
	e.bin = buildImgflow(t)
	if withMail {
		e.smtp, e.mailAPI = startMailpit(t, mailpitBin)
	}
	return e
}

func TestLocalStackEndToEnd(t *testing.T) {
	e := newE2E(t, true)
	e.args = []string{"local", "--data", e.data, "--endpoint", "127.0.0.1:0", "--console", "127.0.0.1:0",
		"--smtp", e.smtp, "--notification-email", "photos@example.com", "--log-level", "debug"}
	bootStart := time.Now()
	e.start()
	t.Logf("boot to ready: %d ms (including process start)", time.Since(bootStart).Milliseconds())
	t.Cleanup(e.stop)

	t.Run("subscription confirmed through the emailed link", e.testConfirm)
	t.Run("jpeg and png with alpha succeed", e.testSuccess)
	t.Run("heic from an iphone is upright", e.testHEIC)
	t.Run("webp variants and a picture snippet chromium loads", e.testWebPPicture)
	t.Run("corrupt and text files fail with typed errors", e.testFailures)
	t.Run("names differing in extension keep separate outputs", e.testSeparateOutputs)
	t.Run("empty upload is rejected within seconds", e.testEmptyUpload)
	t.Run("hand-started executions fail with the original error", e.testHandStarted)
	t.Run("duplicate delivery starts one execution", e.testDuplicate)
	t.Run("200 uploads at once", e.testMany)
	t.Run("kill -9 mid-run and restart", e.testKillRestart)
	t.Run("no errors in the log", e.testLogClean)
	t.Run("lambda process mode runs the built bootstraps", e.testProcessMode)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "template.yaml")); err != nil {
		t.Fatalf("repository root not found at %s: %v", dir, err)
	}
	return dir
}

func buildImgflow(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "imgflow")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startMailpit(t *testing.T, bin string) (smtpAddr, apiURL string) {
	t.Helper()
	smtpAddr, httpAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr,
		"--database", filepath.Join(t.TempDir(), "mailpit.db"), "--disable-version-check")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	apiURL = "http://" + httpAddr
	eventually(t, 20*time.Second, "mailpit to listen", func() bool {
		resp, err := http.Get(apiURL + "/api/v1/messages")
		if err == nil {
			resp.Body.Close()
		}
		c, cerr := net.Dial("tcp", smtpAddr)
		if cerr == nil {
			c.Close()
		}
		return err == nil && cerr == nil
	})
	return smtpAddr, apiURL
}

// eventually polls cond until it holds: these are separate processes, and
// the test observes them as a user would, from outside.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// start runs `imgflow local` and waits for its ready banner.
func (e *e2e) start() {
	t := e.t
	os.Remove(filepath.Join(e.data, "stack.json"))
	e.proc = exec.Command(e.bin, e.args...)
	e.proc.Dir = e.repo
	e.stdout = &syncBuffer{}
	e.proc.Stdout, e.proc.Stderr = e.stdout, e.stdout
	if err := e.proc.Start(); err != nil {
		t.Fatal(err)
	}
	e.exited = make(chan struct{})
	go func(p *exec.Cmd, done chan struct{}) { _ = p.Wait(); close(done) }(e.proc, e.exited)
	eventually(t, 30*time.Second, "the ready banner", func() bool {
		select {
		case <-e.exited:
			t.Fatalf("imgflow local exited:\n%s", e.stdout.String())
		default:
		}
		return strings.Contains(e.stdout.String(), "imgflow local is ready")
	})
	b, err := os.ReadFile(filepath.Join(e.data, "stack.json"))
	if err != nil {
		t.Fatal(err)
	}
	e.sf = &stack.StackFile{}
	if err := json.Unmarshal(b, e.sf); err != nil {
		t.Fatal(err)
	}
	e.upload = e.sf.Resources.Outputs["UploadBucketName"]
	e.output = e.sf.Resources.Outputs["OutputBucketName"]
	e.sm = e.sf.Resources.Outputs["StateMachineArn"]
	if e.upload == "" || e.output == "" || e.sm == "" {
		t.Fatalf("stack.json lacks outputs: %+v", e.sf.Resources.Outputs)
	}
}

func (e *e2e) stop() {
	if e.proc == nil || e.proc.Process == nil {
		return
	}
	select {
	case <-e.exited:
		return
	default:
	}
	_ = e.proc.Process.Signal(os.Interrupt)
	select {
	case <-e.exited:
	case <-time.After(60 * time.Second):
		_ = e.proc.Process.Kill()
		<-e.exited
	}
}

// aws runs the aws CLI against the stack and returns its stdout.
func (e *e2e) aws(args ...string) (string, error) {
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", e.sf.Endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e", "AWS_DEFAULT_REGION="+e.sf.Region,
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

func (e *e2e) mustAWS(args ...string) string {
	e.t.Helper()
	out, err := e.aws(args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *e2e) awsJSON(v any, args ...string) {
	e.t.Helper()
	if err := json.Unmarshal([]byte(e.mustAWS(args...)), v); err != nil {
		e.t.Fatalf("aws %v: %v", args, err)
	}
}

// put uploads a local file with `aws s3 cp`.
func (e *e2e) put(file, key string) {
	e.t.Helper()
	e.mustAWS("s3", "cp", file, "s3://"+e.upload+"/"+key)
}

func (e *e2e) writeFile(name string, body []byte) string {
	e.t.Helper()
	p := filepath.Join(e.t.TempDir(), name)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

type execSummary struct {
	ExecutionArn string `json:"executionArn"`
	Name         string `json:"name"`
	Status       string `json:"status"`
}

func (e *e2e) executions() []execSummary {
	e.t.Helper()
	var out struct{ Executions []execSummary }
	e.awsJSON(&out, "stepfunctions", "list-executions", "--state-machine-arn", e.sm)
	return out.Executions
}

type execDetail struct {
	ARN    string `json:"executionArn"`
	Status string `json:"status"`
	Input  string `json:"input"`
	Output string `json:"output"`
	Error  string `json:"error"`
	Cause  string `json:"cause"`
}

func (e *e2e) describe(arn string) execDetail {
	e.t.Helper()
	var d execDetail
	e.awsJSON(&d, "stepfunctions", "describe-execution", "--execution-arn", arn)
	return d
}

// stem is the start of the execution name the trigger derives from a key:
// the name without its 24-hex-digit hash.
func stem(key string) string {
	name := trigger.ExecutionName(pipeline.ObjectRef{Key: key})
	return name[:len(name)-24]
}

// byKey maps source keys to their executions, describing only those whose
// names can belong to keys.
func (e *e2e) byKey(keys ...string) map[string][]execDetail {
	e.t.Helper()
	m := map[string][]execDetail{}
	for _, x := range e.executions() {
		for _, k := range keys {
			if !strings.HasPrefix(x.Name, stem(k)) {
				continue
			}
			d := e.describe(x.ExecutionArn)
			var in pipeline.ObjectRef
			_ = json.Unmarshal([]byte(d.Input), &in)
			if in.Key == k {
				m[k] = append(m[k], d)
			}
		}
	}
	return m
}

// waitFinished waits until every key has an execution and none of them is
// running, and returns the newest execution of each key.
func (e *e2e) waitFinished(timeout time.Duration, keys ...string) map[string]execDetail {
	e.t.Helper()
	got := map[string]execDetail{}
	eventually(e.t, timeout, fmt.Sprintf("%d executions to finish", len(keys)), func() bool {
		mine := 0
		for _, x := range e.executions() {
			for _, k := range keys {
				if strings.HasPrefix(x.Name, stem(k)) {
					if x.Status == "RUNNING" {
						return false
					}
					mine++
				}
			}
		}
		if mine < len(keys) {
			return false
		}
		for k, ds := range e.byKey(keys...) {
			got[k] = ds[0] // list-executions is newest first
		}
		return len(got) == len(keys)
	})
	return got
}

type mailMessage struct {
	ID      string
	Subject string
	Text    string
	To      []struct{ Address string }
}

func (e *e2e) mail(subject string) (mailMessage, bool) {
	return e.findMail("/api/v1/search?query="+url.QueryEscape(fmt.Sprintf("subject:%q", subject)), subject)
}

// findMail returns the first message in mailpit's list at path (a search
// or the plain list) whose subject is exactly subject, read in full.
func (e *e2e) findMail(path, subject string) (mailMessage, bool) {
	e.t.Helper()
	var list struct{ Messages []mailMessage }
	resp, err := http.Get(e.mailAPI + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		e.t.Fatal(err)
	}
	for _, m := range list.Messages {
		if m.Subject != subject {
			continue
		}
		r, err := http.Get(e.mailAPI + "/api/v1/message/" + m.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		var full mailMessage
		err = json.NewDecoder(r.Body).Decode(&full)
		r.Body.Close()
		if err != nil {
			e.t.Fatal(err)
		}
		return full, true
	}
	return mailMessage{}, false
}

// mailCount is how many emails have exactly this subject.
func (e *e2e) mailCount(subject string) int {
	e.t.Helper()
	var list struct{ Messages []mailMessage }
	resp, err := http.Get(e.mailAPI + "/api/v1/search?query=" + url.QueryEscape(fmt.Sprintf("subject:%q", subject)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range list.Messages {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

func (e *e2e) waitMail(subject string) mailMessage {
	e.t.Helper()
	var m mailMessage
	eventually(e.t, 30*time.Second, "email "+strconvQuote(subject), func() bool {
		var ok bool
		m, ok = e.mail(subject)
		return ok
	})
	return m
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

var confirmLink = regexp.MustCompile(`http://[^\s"<>]*Action=ConfirmSubscription[^\s"<>]*`)

func (e *e2e) testConfirm(t *testing.T) {
	e.t = t
	msg := e.waitMail("AWS Notification - Subscription Confirmation")
	if len(msg.To) != 1 || msg.To[0].Address != "photos@example.com" {
		t.Fatalf("confirmation sent to %+v", msg.To)
	}
	link := confirmLink.FindString(msg.Text)
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", msg.Text)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirmation link answered %s", resp.Status)
	}
	var subs struct {
		Subscriptions []struct{ SubscriptionArn, Endpoint string }
	}
	e.awsJSON(&subs, "sns", "list-subscriptions")
	if len(subs.Subscriptions) != 1 || strings.Contains(subs.Subscriptions[0].SubscriptionArn, "Pending") {
		t.Fatalf("subscription not confirmed: %+v", subs)
	}
}

// noisyPhoto is a JPEG with photo-like detail, so encoders and resizers do
// real work.
func noisyPhoto(w, h int, seed uint64) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, seed+1))
	for y := range h {
		for x := range w {
			n := uint8(r.IntN(40))
			img.SetRGBA(x, y, color.RGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, uint8((x+y)*127/(w+h)) + n, 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	return buf.Bytes()
}

func (e *e2e) download(bucket, key string) []byte {
	e.t.Helper()
	p := filepath.Join(e.t.TempDir(), filepath.Base(key))
	e.mustAWS("s3", "cp", "s3://"+bucket+"/"+key, p)
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *e2e) testSuccess(t *testing.T) {
	e.t = t
	start := time.Now()
	e.put(e.writeFile("photo.jpg", noisyPhoto(3000, 2000, 1)), "uploads/e2e/photo.jpg")
	e.put(e.writeFile("logo.png", fixtures.TranslucentPNG(800, 600)), "uploads/e2e/logo.png")
	got := e.waitFinished(2*time.Minute, "uploads/e2e/photo.jpg", "uploads/e2e/logo.png")
	t.Logf("two uploads to SUCCEEDED: %d ms", time.Since(start).Milliseconds())

	want := map[string][]string{
		"uploads/e2e/photo.jpg": {"xl.jpg 2048x1365 jpeg", "lg.jpg 1024x683 jpeg", "md.jpg 512x341 jpeg", "thumb.jpg 256x171 jpeg",
			"xl.webp 2048x1365 webp", "lg.webp 1024x683 webp", "md.webp 512x341 webp", "thumb.webp 256x171 webp"},
		"uploads/e2e/logo.png": {"xl.png 800x600 png", "lg.png 800x600 png", "md.png 512x384 png", "thumb.png 256x192 png",
			"xl.webp 800x600 webp", "lg.webp 800x600 webp", "md.webp 512x384 webp", "thumb.webp 256x192 webp"},
	}
	for key, variants := range want {
		d := got[key]
		if d.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s %s %s", key, d.Status, d.Error, d.Cause)
		}
		dir := pipeline.OutputDir("variants", key)
		var m pipeline.Manifest
		if err := json.Unmarshal(e.download(e.output, dir+"/manifest.json"), &m); err != nil {
			t.Fatal(err)
		}
		if m.Source.Key != key || len(m.Variants) != 8 || m.Srcset == "" || !strings.HasPrefix(m.Picture.HTML, "<picture>") || m.Placeholder.ThumbHash == "" || !strings.Contains(m.ExecutionARN, ":execution:") {
			t.Errorf("%s manifest: %+v", key, m)
		}
		for _, v := range variants {
			var name, dims, format string
			fmt.Sscan(v, &name, &dims, &format)
			cfg, f, err := image.DecodeConfig(bytes.NewReader(e.download(e.output, dir+"/"+name)))
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, name, err)
			}
			if g := fmt.Sprintf("%dx%d", cfg.Width, cfg.Height); g != dims || f != format {
				t.Errorf("%s/%s is %s %s, want %s %s", dir, name, f, g, format, dims)
			}
		}
		msg := e.waitMail("imgflow: " + key + " processed (4 variants)")
		if !strings.Contains(msg.Text, "manifest.json") {
			t.Errorf("success email lacks the manifest location:\n%s", msg.Text)
		}
		// Every size from one Resize: the PNG decoded once, the JPEG
		// entropy-decoded once and reconstructed at each size's scale.
		if n := e.resizeInvocations(d.ARN); n != 1 {
			t.Errorf("%s: %d Resize invocations, want one for all sizes", key, n)
		}
	}
}

// testHEIC uploads iPhone-like HEICs (heif's iphone-grid fixture: a 2×2
// grid cropped by clap to 110×96 and turned by irot 90° and imir, i.e. EXIF
// orientation 7, with an Exif item saying 6 that must not be applied): an
// opaque copy (its alpha reference renamed, so the alpha grid is an unused
// hidden item) gives four upright 96×110 JPEGs, the original with alpha
// four PNGs, and the manifest says heic.
func (e *e2e) testHEIC(t *testing.T) {
	e.t = t
	grid, err := os.ReadFile("../../internal/imaging/heif/testdata/iphone-grid/image.heic")
	if err != nil {
		t.Fatal(err)
	}
	opaque := bytes.Replace(grid, []byte("auxl"), []byte("xxxx"), 1)
	e.put(e.writeFile("photo.heic", opaque), "uploads/e2e/IMG_0001.HEIC")
	e.put(e.writeFile("alpha.heic", grid), "uploads/e2e/alpha.heic")
	got := e.waitFinished(2*time.Minute, "uploads/e2e/IMG_0001.HEIC", "uploads/e2e/alpha.heic")
	want := map[string]string{"uploads/e2e/IMG_0001.HEIC": "jpeg", "uploads/e2e/alpha.heic": "png"}
	for key, format := range want {
		d := got[key]
		if d.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s %s %s", key, d.Status, d.Error, d.Cause)
		}
		dir := pipeline.OutputDir("variants", key)
		var m pipeline.Manifest
		if err := json.Unmarshal(e.download(e.output, dir+"/manifest.json"), &m); err != nil {
			t.Fatal(err)
		}
		if m.Source.Format != "heic" || len(m.Variants) != 8 {
			t.Errorf("%s manifest: source %+v, %d variants", key, m.Source, len(m.Variants))
		}
		ext := map[string]string{"jpeg": "jpg", "png": "png"}[format]
		for _, name := range []string{"xl", "lg", "md", "thumb"} {
			b := e.download(e.output, dir+"/"+name+"."+ext)
			img, f, err := image.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, name, err)
			}
			// Stored 110×96, displayed (orientation 7) 96×110; no preset is
			// smaller than 110, so every variant is the full image.
			if s := img.Bounds().Size(); f != format || s != image.Pt(96, 110) {
				t.Errorf("%s/%s.%s is %s %v, want %s 96x110 (upright)", dir, name, ext, f, s, format)
			}
			if name == "xl" && format == "png" {
				if _, _, _, a := img.At(0, 0).RGBA(); a == 0xffff {
					t.Errorf("%s/xl.png lost the alpha plane", dir)
				}
			}
		}
		e.waitMail("imgflow: " + key + " processed (4 variants)")
		// Validate plans one Resize for every size (one decode), and the
		// execution output still lists each.
		if n := e.resizeInvocations(d.ARN); n != 1 {
			t.Errorf("%s: %d Resize invocations, want one for all sizes", key, n)
		}
		var out struct {
			Variants []pipeline.Variant `json:"variants"`
		}
		if err := json.Unmarshal([]byte(d.Output), &out); err != nil || len(out.Variants) != 4 {
			t.Errorf("%s: execution output lists %d variants (%v), want 4", key, len(out.Variants), err)
		}
	}
}

// resizeInvocations counts the Resize tasks scheduled in an execution's
// history (retries included).
func (e *e2e) resizeInvocations(arn string) int {
	e.t.Helper()
	var h struct {
		Events []struct {
			Type    string `json:"type"`
			Details *struct {
				Parameters string `json:"parameters"`
			} `json:"taskScheduledEventDetails"`
		} `json:"events"`
	}
	e.awsJSON(&h, "stepfunctions", "get-execution-history", "--execution-arn", arn, "--max-results", "1000")
	n := 0
	for _, ev := range h.Events {
		if ev.Type == "TaskScheduled" && ev.Details != nil && strings.Contains(ev.Details.Parameters, "Resize") {
			n++
		}
	}
	return n
}

func (e *e2e) testFailures(t *testing.T) {
	e.t = t
	corrupt := fixtures.Truncated(noisyPhoto(1200, 800, 2), 20000)
	cases := []struct {
		key, file, wantReason, wantSubject string
		body                               []byte
	}{
		{key: "uploads/e2e/broken.jpg", body: corrupt, wantReason: "CorruptImage", wantSubject: "imgflow: uploads/e2e/broken.jpg FAILED: corrupt image"},
		{key: "uploads/e2e/notes.jpg", body: []byte("meeting notes, definitely not a photo\n"), wantReason: "NotAnImage", wantSubject: "imgflow: uploads/e2e/notes.jpg FAILED: not an image"},
	}
	var keys []string
	for _, c := range cases {
		e.put(e.writeFile(filepath.Base(c.key), c.body), c.key)
		keys = append(keys, c.key)
	}
	got := e.waitFinished(time.Minute, keys...)
	for _, c := range cases {
		d := got[c.key]
		if d.Status != "FAILED" || d.Error != "ImageRejectedError" || !strings.Contains(d.Cause, c.wantReason) {
			t.Errorf("%s: %s %q %q, want FAILED ImageRejectedError %s", c.key, d.Status, d.Error, d.Cause, c.wantReason)
		}
		msg := e.waitMail(c.wantSubject)
		if !strings.Contains(msg.Text, "left untouched") || !strings.Contains(msg.Text, "What to do") {
			t.Errorf("failure email:\n%s", msg.Text)
		}
		var versions struct{ Versions []struct{ ETag string } }
		e.awsJSON(&versions, "s3api", "list-object-versions", "--bucket", e.upload, "--prefix", c.key)
		if len(versions.Versions) != 1 {
			t.Errorf("%s has %d versions, want the original only", c.key, len(versions.Versions))
		}
		if !bytes.Equal(e.download(e.upload, c.key), c.body) {
			t.Errorf("%s: the original changed", c.key)
		}
	}
}

func (e *e2e) testDuplicate(t *testing.T) {
	e.t = t
	key := "uploads/e2e/twice.jpg"
	e.put(e.writeFile("twice.jpg", noisyPhoto(400, 300, 3)), key)
	e.waitFinished(time.Minute, key)
	var head struct {
		VersionId     string
		ETag          string
		ContentLength int64
	}
	e.awsJSON(&head, "s3api", "head-object", "--bucket", e.upload, "--key", key)
	// The same S3 event delivered twice more, straight to the trigger.
	event := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":%q,"eventTime":"2026-11-25T12:00:00.000Z",
		"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":%q},"object":{"key":%q,"size":%d,"eTag":%q,"versionId":%q,"sequencer":"0A"}}}]}`,
		e.sf.Region, e.upload, url.QueryEscape(key), head.ContentLength, strings.Trim(head.ETag, `"`), head.VersionId)
	evFile := e.writeFile("event.json", []byte(event))
	for range 2 {
		out := filepath.Join(t.TempDir(), "out.json")
		res := e.mustAWS("lambda", "invoke", "--function-name", e.sf.StackName+"-TriggerFunction",
			"--cli-binary-format", "raw-in-base64-out", "--payload", "file://"+evFile, out)
		if strings.Contains(res, "FunctionError") {
			body, _ := os.ReadFile(out)
			t.Fatalf("trigger failed on a duplicate: %s %s", res, body)
		}
	}
	if n := len(e.byKey(key)[key]); n != 1 {
		t.Errorf("%d executions for one object version, want 1", n)
	}
	// A new version of the same key is a new run.
	e.put(e.writeFile("twice.jpg", noisyPhoto(400, 300, 4)), key)
	eventually(t, time.Minute, "a second execution for the new version", func() bool { return len(e.byKey(key)[key]) == 2 })
}

func (e *e2e) testMany(t *testing.T) {
	e.t = t
	dir := filepath.Join(t.TempDir(), "batch")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 200 {
		name := fmt.Sprintf("img-%03d.jpg", i)
		if err := os.WriteFile(filepath.Join(dir, name), noisyPhoto(96, 64, uint64(100+i)), 0o644); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, "uploads/batch/"+name)
	}
	start := time.Now()
	e.mustAWS("s3", "cp", "--recursive", "--quiet", dir, "s3://"+e.upload+"/uploads/batch/")
	var list struct{ Executions []execSummary }
	eventually(t, 5*time.Minute, "200 executions to succeed", func() bool {
		e.awsJSON(&list, "stepfunctions", "list-executions", "--state-machine-arn", e.sm, "--status-filter", "SUCCEEDED")
		n := 0
		for _, x := range list.Executions {
			if strings.HasPrefix(x.Name, "img-") {
				n++
			}
		}
		return n >= 200
	})
	t.Logf("200 uploads to 200 SUCCEEDED: %d ms", time.Since(start).Milliseconds())
	var failed struct{ Executions []execSummary }
	e.awsJSON(&failed, "stepfunctions", "list-executions", "--state-machine-arn", e.sm, "--status-filter", "FAILED")
	for _, x := range failed.Executions {
		if strings.HasPrefix(x.Name, "img-") {
			d := e.describe(x.ExecutionArn)
			t.Errorf("%s failed: %s %s", x.Name, d.Error, d.Cause)
		}
	}
	var objs struct{ Contents []struct{ Key string } }
	e.awsJSON(&objs, "s3api", "list-objects-v2", "--bucket", e.output, "--prefix", "variants/uploads/batch/")
	if len(objs.Contents) != 200*9 {
		t.Errorf("%d objects in the output bucket, want 200 × (4 sizes in WebP and JPEG + manifest)", len(objs.Contents))
	}
}

func (e *e2e) testKillRestart(t *testing.T) {
	e.t = t
	dir := filepath.Join(t.TempDir(), "crash")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{}
	for i := range 16 {
		name := fmt.Sprintf("c-%02d.jpg", i)
		body := noisyPhoto(3000, 2000, uint64(500+i))
		bodies["uploads/crash/"+name] = body
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Upload in the background and kill the stack as soon as work is under
	// way: some uploads acknowledged, some executions running, some uploads
	// cut off (the CLI then reports an error, as it would to a user).
	uploaded := make(chan struct{})
	go func() {
		defer close(uploaded)
		_, _ = e.aws("s3", "cp", "--recursive", "--quiet", dir, "s3://"+e.upload+"/uploads/crash/")
	}()
	eventually(t, 2*time.Minute, "an execution to be running", func() bool {
		var list struct{ Executions []execSummary }
		e.awsJSON(&list, "stepfunctions", "list-executions", "--state-machine-arn", e.sm, "--status-filter", "RUNNING")
		return len(list.Executions) > 0
	})
	if err := e.proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-e.exited
	<-uploaded
	e.start()

	// Every object the stack acknowledged is intact and has a finished execution.
	var objs struct{ Contents []struct{ Key string } }
	e.awsJSON(&objs, "s3api", "list-objects-v2", "--bucket", e.upload, "--prefix", "uploads/crash/")
	var keys []string
	for _, o := range objs.Contents {
		keys = append(keys, o.Key)
		if !bytes.Equal(e.download(e.upload, o.Key), bodies[o.Key]) {
			t.Errorf("%s: the stored object differs from the upload", o.Key)
		}
	}
	if len(keys) == 0 {
		t.Fatal("no upload was acknowledged before the kill")
	}
	// A restart resumes what was running (as AWS never fails a Standard
	// execution because a host went away), so every one of them succeeds.
	got := e.waitFinished(3*time.Minute, keys...)
	for _, key := range keys {
		if d := got[key]; d.Status != "SUCCEEDED" {
			t.Errorf("%s: %s %s %q", key, d.Status, d.Error, d.Cause)
		}
	}
	t.Logf("after kill -9: %d objects acknowledged, every execution succeeded", len(keys))
}

func (e *e2e) testLogClean(t *testing.T) {
	e.t = t
	f, err := os.Open(filepath.Join(e.data, "imgflow.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct{ Level, Message, Error string }
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		if line.Level == "error" || line.Level == "panic" || line.Level == "fatal" {
			t.Errorf("log: %s", sc.Text())
		}
	}
	_ = io.Discard
}

// testProcessMode restarts the stack with --lambda process, which runs the
// bootstrap binaries `make build-host` builds, and processes one upload.
func (e *e2e) testProcessMode(t *testing.T) {
	e.t = t
	e.stop()
	build := exec.Command("make", "--no-print-directory", "build-host")
	build.Dir = e.repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build-host: %v\n%s", err, out)
	}
	e.args = append(e.args, "--lambda", "process")
	e.start()
	key := "uploads/process/proc.jpg"
	e.put(e.writeFile("proc.jpg", noisyPhoto(1600, 1200, 9)), key)
	d := e.waitFinished(2*time.Minute, key)[key]
	if d.Status != "SUCCEEDED" {
		t.Fatalf("process mode: %s %s %s\n%s", d.Status, d.Error, d.Cause, e.stdout.String())
	}
	var objs struct{ Contents []struct{ Key string } }
	e.awsJSON(&objs, "s3api", "list-objects-v2", "--bucket", e.output, "--prefix", pipeline.OutputDir("variants", key)+"/")
	if len(objs.Contents) != 9 {
		t.Errorf("process mode stored %d objects, want 4 sizes in WebP and JPEG and the manifest", len(objs.Contents))
	}
	logged, err := os.ReadFile(filepath.Join(e.data, "imgflow.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logged, []byte(`"message":"process ready"`)) {
		t.Error("the log shows no bootstrap process starting")
	}
}

// testSeparateOutputs uploads names that differ only in their extension,
// and a key with the characters the output scheme escapes or keeps: each
// gets its own folder, manifest and variants.
func (e *e2e) testSeparateOutputs(t *testing.T) {
	e.t = t
	uploads := []struct {
		key  string
		body []byte
	}{
		{key: "uploads/names/photo.jpg", body: noisyPhoto(900, 600, 21)},
		{key: "uploads/names/photo.png", body: fixtures.TranslucentPNG(640, 480)},
		{key: "uploads/names/photo.jpeg", body: noisyPhoto(600, 900, 22)},
		{key: "uploads/names/my photo+1 100% café.jpg.", body: noisyPhoto(500, 400, 23)},
	}
	var keys []string
	for _, u := range uploads {
		e.put(e.writeFile("upload.bin", u.body), u.key)
		keys = append(keys, u.key)
	}
	got := e.waitFinished(2*time.Minute, keys...)
	etags := map[string]string{}
	for _, key := range keys {
		if d := got[key]; d.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s %s %s", key, d.Status, d.Error, d.Cause)
		}
		var m pipeline.Manifest
		if err := json.Unmarshal(e.download(e.output, pipeline.ManifestKey("variants", key)), &m); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		dir := pipeline.OutputDir("variants", key)
		if m.Source.Key != key || m.Folder != dir || m.OutputScheme != pipeline.OutputScheme || len(m.Variants) != 8 {
			t.Errorf("the manifest in %s describes %q in %q (%s, %d variants)", dir, m.Source.Key, m.Folder, m.OutputScheme, len(m.Variants))
		}
		// The fallback file: JPEG, or PNG for the translucent source.
		i := slices.IndexFunc(m.Variants, func(v pipeline.ManifestVariant) bool { return v.Preset == "xl" && v.Format != "webp" })
		if i < 0 || path.Dir(m.Variants[i].Key) != dir {
			t.Fatalf("%s: no xl variant in %s: %+v", key, dir, m.Variants)
		}
		var head struct{ ETag string }
		e.awsJSON(&head, "s3api", "head-object", "--bucket", e.output, "--key", m.Variants[i].Key)
		if other, dup := etags[head.ETag]; dup {
			t.Errorf("%s and %s have the same xl variant (ETag %s)", key, other, head.ETag)
		}
		etags[head.ETag] = key
		var versions struct{ Versions []struct{ Key string } }
		e.awsJSON(&versions, "s3api", "list-object-versions", "--bucket", e.output, "--prefix", pipeline.ManifestKey("variants", key))
		if len(versions.Versions) > 1 {
			t.Errorf("%s's manifest has %d versions: another upload wrote it", key, len(versions.Versions))
		}
	}
}

// testEmptyUpload uploads a zero-byte file with `imgflow upload --wait`:
// the command must report the rejection within seconds (it used to wait
// for its timeout), and exactly one failure email goes out. A folder
// marker uploaded first must still start nothing.
func (e *e2e) testEmptyUpload(t *testing.T) {
	e.t = t
	marker := "uploads/e2e-folder/"
	e.mustAWS("s3api", "put-object", "--bucket", e.upload, "--key", marker)
	file := filepath.Join(t.TempDir(), "empty.jpg")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const timeout = 30 * time.Second
	cmd := exec.Command(e.bin, "upload", "--wait", "--data", e.data, "--timeout", timeout.String(), file)
	cmd.Dir = e.repo
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	t.Logf("imgflow upload --wait of an empty file: %d ms\n%s", took.Milliseconds(), out)
	if err == nil {
		t.Errorf("imgflow upload --wait succeeded for an empty file")
	}
	for _, want := range []string{"FAILED uploads/empty.jpg", "ImageRejectedError: EmptyObject", "what to do: The upload had no content"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if took >= timeout/2 {
		t.Errorf("the rejection took %s to report", took)
	}
	subject := "imgflow: uploads/empty.jpg FAILED: empty file"
	e.waitMail(subject)
	if n := e.mailCount(subject); n != 1 {
		t.Errorf("%d failure emails, want 1", n)
	}
	if n := len(e.byKey(marker)[marker]); n != 0 {
		t.Errorf("the folder marker started %d executions", n)
	}
}

// testHandStarted starts the state machine by hand with the aws CLI, as a
// user would, with inputs the trigger never sends. Each must end with the
// typed error that describes the input (not a States.Runtime error of the
// failure path) and exactly one email.
func (e *e2e) testHandStarted(t *testing.T) {
	e.t = t
	// An upload has its own run (and email) first; the hand-started runs
	// below then process the same object again, or fail to.
	e.put(e.writeFile("here.jpg", noisyPhoto(640, 480, 31)), "uploads/hand/here.jpg")
	e.waitFinished(time.Minute, "uploads/hand/here.jpg")
	e.put(e.writeFile("manual.jpg", noisyPhoto(64, 48, 32)), "manual/here.jpg")
	var head struct{ VersionId string }
	e.awsJSON(&head, "s3api", "head-object", "--bucket", e.upload, "--key", "uploads/hand/here.jpg")
	// Shaped like the stack's version ids, but never issued.
	unknownVersion := strings.Repeat("0", len(head.VersionId))
	cases := []struct {
		name, input            string
		wantStatus, wantError  string
		wantCause, wantSubject string
		wantMails              int // with this subject; 1 unless said
	}{
		{name: "hand-no-version", input: `{"bucket":%q,"key":"uploads/hand/here.jpg"}`,
			wantStatus: "SUCCEEDED", wantSubject: "imgflow: uploads/hand/here.jpg processed (4 variants)",
			wantMails: 2}, // the upload's own run and this one
		{name: "hand-missing-key", input: `{"bucket":%q,"key":"uploads/hand/gone.jpg"}`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "SourceMissing",
			wantSubject: "imgflow: uploads/hand/gone.jpg FAILED: original no longer exists"},
		{name: "hand-unknown-version", input: `{"bucket":%q,"key":"uploads/hand/here.jpg","versionId":"` + unknownVersion + `"}`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "SourceMissing",
			wantSubject: "imgflow: uploads/hand/here.jpg FAILED: original no longer exists"},
		{name: "hand-malformed-version", input: `{"bucket":%q,"key":"uploads/hand/here.jpg","versionId":"no-such-version"}`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: uploads/hand/here.jpg FAILED: invalid execution input"},
		{name: "hand-outside-prefix", input: `{"bucket":%q,"key":"manual/here.jpg"}`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "outside the upload prefix",
			wantSubject: "imgflow: manual/here.jpg FAILED: invalid execution input"},
		{name: "hand-no-bucket", input: `{"key":"uploads/hand/nobucket.jpg"}`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: uploads/hand/nobucket.jpg FAILED: invalid execution input"},
		{name: "hand-extra-fields", input: `{"bucket":%q,"key":"uploads/hand/extra.jpg","comment":"retry by hand","error":{"Error":"x"}}`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "SourceMissing",
			wantSubject: "imgflow: uploads/hand/extra.jpg FAILED: original no longer exists"},
		{name: "hand-not-an-object", input: `"uploads/hand/string.jpg"`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: execution hand-not-an-object FAILED: invalid execution input"},
		{name: "hand-array", input: `[1,2,3]`,
			wantStatus: "FAILED", wantError: "ImageRejectedError", wantCause: "InvalidInput",
			wantSubject: "imgflow: execution hand-array FAILED: invalid execution input"},
	}
	arns := map[string]string{}
	for _, c := range cases {
		input := c.input
		if strings.Contains(input, "%q") {
			input = fmt.Sprintf(input, e.upload)
		}
		var started struct{ ExecutionArn string }
		e.awsJSON(&started, "stepfunctions", "start-execution", "--state-machine-arn", e.sm, "--name", c.name, "--input", input)
		arns[c.name] = started.ExecutionArn
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			var d execDetail
			eventually(t, time.Minute, c.name+" to finish", func() bool {
				d = e.describe(arns[c.name])
				return d.Status != "RUNNING"
			})
			if d.Status != c.wantStatus || d.Error != c.wantError || !strings.Contains(d.Cause, c.wantCause) {
				t.Errorf("%s %s %q, want %s %s with %s", d.Status, d.Error, d.Cause, c.wantStatus, c.wantError, c.wantCause)
			}
			e.waitMail(c.wantSubject)
			want := max(c.wantMails, 1)
			eventually(t, 30*time.Second, fmt.Sprintf("%d emails %q", want, c.wantSubject), func() bool {
				return e.mailCount(c.wantSubject) >= want
			})
			if n := e.mailCount(c.wantSubject); n != want {
				t.Errorf("%d emails %q, want %d", n, c.wantSubject, want)
			}
		})
	}
	e.t = t
}
