package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imgflow/imgflow/layers/common/pipeline"
)

// TestReprocessEndToEnd: uploads 20 generated photos to `imgflow local`,
// changes the presets (the layer's presets.json, as a redeploy of the
// layer would), runs `imgflow reprocess --wait`, and checks that every
// manifest was remade with the new presets, that exactly one summary email
// went out, and that a second reprocess skips everything. Then deletes:
// an original's outputs go, and only those; a key with no outputs is
// harmless.
func TestReprocessEndToEnd(t *testing.T) {
	e := newE2E(t, true)
	// A copy of the template whose layer (its presets) the test can change;
	// the state machine definitions are the repository's.
	root := t.TempDir()
	presets := filepath.Join(root, "layers", "common", "assets", "presets.json")
	copyFile(t, filepath.Join(e.repo, "template.yaml"), filepath.Join(root, "template.yaml"))
	copyFile(t, filepath.Join(e.repo, "layers", "common", "Makefile"), filepath.Join(root, "layers", "common", "Makefile"))
	copyFile(t, filepath.Join(e.repo, "layers", "common", "assets", "presets.json"), presets)
	if err := os.Symlink(filepath.Join(e.repo, "statemachine"), filepath.Join(root, "statemachine")); err != nil {
		t.Fatal(err)
	}
	e.args = []string{"local", "--data", e.data, "--template", filepath.Join(root, "template.yaml"),
		"--endpoint", "127.0.0.1:0", "--console", "127.0.0.1:0", "--smtp", e.smtp,
		"--notification-email", "photos@example.com", "--auto-confirm"}
	e.start()
	t.Cleanup(e.stop)

	const n = 20
	dir := t.TempDir()
	var keys []string
	for i := range n {
		name := fmt.Sprintf("img%02d.jpg", i)
		if err := os.WriteFile(filepath.Join(dir, name), noisyPhoto(480+8*i, 360, uint64(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, "uploads/batch/"+name)
	}
	e.mustAWS("s3", "cp", dir, "s3://"+e.upload+"/uploads/batch/", "--recursive")
	for k, x := range e.waitFinished(3*time.Minute, keys...) {
		if x.Status != "SUCCEEDED" {
			t.Fatalf("upload %s: %s %s %s", k, x.Status, x.Error, x.Cause)
		}
	}
	before := map[string]pipeline.Manifest{}
	for _, k := range keys {
		before[k] = e.manifest(k)
	}
	perUpload := func() int { return e.mailCount("imgflow: uploads/batch/img00.jpg processed (4 variants)") }
	if perUpload() != 1 {
		t.Fatalf("%d success emails for img00.jpg after its upload, want 1", perUpload())
	}

	// The presets change: a new size, and another quality for md.
	e.stop()
	b, err := os.ReadFile(presets)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), `{"name": "thumb"`, `{"name": "sm", "longSide": 384, "formats": ["webp", "auto"], "quality": 75},
    {"name": "thumb"`, 1)
	changed = strings.Replace(changed, `"longSide": 512, "formats": ["webp", "auto"], "quality": 80`, `"longSide": 512, "formats": ["webp", "auto"], "quality": 70`, 1)
	if changed == string(b) || strings.Count(changed, `"name"`) != 5 {
		t.Fatalf("presets not changed:\n%s", changed)
	}
	if err := os.WriteFile(presets, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	e.start()

	out := e.reprocess(false) // not forced: the presets digest changed
	if !strings.Contains(out, fmt.Sprintf("%d objects, %d processed, 0 skipped, 0 failed", n, n)) || !strings.Contains(out, "results: s3://"+e.output+"/reprocess-results/") {
		t.Fatalf("reprocess output:\n%s", out)
	}
	if !strings.Contains(out, "100.0% 20/20 items") {
		t.Errorf("no finished progress bar in:\n%s", out)
	}
	digest := ""
	for _, k := range keys {
		m := e.manifest(k)
		old := before[k]
		if m.PresetsDigest == "" || m.PresetsDigest == old.PresetsDigest || m.ExecutionARN == old.ExecutionARN {
			t.Errorf("%s: manifest not remade (digest %q was %q)", k, m.PresetsDigest, old.PresetsDigest)
		}
		if digest == "" {
			digest = m.PresetsDigest
		}
		if m.PresetsDigest != digest || m.Source.VersionID != old.Source.VersionID {
			t.Errorf("%s: digest %q (others %q), version %q was %q", k, m.PresetsDigest, digest, m.Source.VersionID, old.Source.VersionID)
		}
		sizes := map[string]bool{}
		for _, v := range m.Variants {
			sizes[v.Preset] = true
		}
		if len(sizes) != 5 || !sizes["sm"] {
			t.Errorf("%s: presets %v, want the new sm too", k, sizes)
		}
	}
	subject := fmt.Sprintf("imgflow: reprocess uploads/ done (%d processed, 0 skipped, 0 failed)", n)
	msg := e.waitMail(subject)
	if !strings.Contains(msg.Text, "Results:    s3://"+e.output+"/reprocess-results/") || !strings.Contains(msg.Text, fmt.Sprintf("Processed:  %d", n)) {
		t.Errorf("summary email:\n%s", msg.Text)
	}
	if perUpload() != 1 {
		t.Errorf("the reprocess sent per-object emails")
	}

	// Nothing changed since: everything is skipped, and one more summary.
	out = e.reprocess(false)
	if !strings.Contains(out, fmt.Sprintf("%d objects, 0 processed, %d skipped, 0 failed", n, n)) {
		t.Fatalf("second reprocess output:\n%s", out)
	}
	e.waitMail(fmt.Sprintf("imgflow: reprocess uploads/ done (0 processed, %d skipped, 0 failed)", n))
	if c := e.mailCount(subject); c != 1 {
		t.Errorf("%d summaries of the first reprocess, want 1", c)
	}

	// Deletes: an unknown key first (harmless), then an original.
	outputs := e.outputKeys()
	gone := pipeline.OutputDir("variants", "uploads/batch/img03.jpg") + "/"
	e.mustAWS("s3", "rm", "s3://"+e.upload+"/uploads/batch/never-uploaded.jpg")
	e.mustAWS("s3", "rm", "s3://"+e.upload+"/uploads/batch/img03.jpg")
	var left []string
	eventually(t, time.Minute, "img03.jpg's outputs to go", func() bool {
		left = e.outputKeys()
		for _, k := range left {
			if strings.HasPrefix(k, gone) {
				return false
			}
		}
		return true
	})
	var want []string
	for _, k := range outputs {
		if !strings.HasPrefix(k, gone) {
			want = append(want, k)
		}
	}
	if strings.Join(left, "\n") != strings.Join(want, "\n") || len(outputs)-len(left) != 11 {
		t.Errorf("%d outputs before, %d after; want exactly img03.jpg's 11 (10 variants and the manifest) gone", len(outputs), len(left))
	}
	if dlq, _ := filepath.Glob(filepath.Join(e.data, "sqs", "*.jsonl")); len(dlq) > 0 {
		t.Errorf("events in the dead-letter queue: %v", dlq)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// manifest is the stored manifest of a source key.
func (e *e2e) manifest(key string) pipeline.Manifest {
	e.t.Helper()
	var m pipeline.Manifest
	if err := json.Unmarshal(e.download(e.output, pipeline.ManifestKey("variants", key)), &m); err != nil {
		e.t.Fatalf("manifest of %s: %v", key, err)
	}
	return m
}

// outputKeys lists the output bucket's variants and manifests, sorted.
func (e *e2e) outputKeys() []string {
	e.t.Helper()
	var out struct{ Contents []struct{ Key string } }
	e.awsJSON(&out, "s3api", "list-objects-v2", "--bucket", e.output, "--prefix", "variants/")
	var keys []string
	for _, c := range out.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// reprocess runs `imgflow reprocess --wait` and returns its output; it
// fails the test when the command fails.
func (e *e2e) reprocess(force bool) string {
	e.t.Helper()
	args := []string{"reprocess", "--data", e.data, "--wait", "--interval", "200ms", "--timeout", "5m"}
	if force {
		args = append(args, "--force")
	}
	cmd := exec.Command(e.bin, args...)
	cmd.Dir = e.repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("imgflow reprocess: %v\n%s", err, out)
	}
	return string(out)
}
