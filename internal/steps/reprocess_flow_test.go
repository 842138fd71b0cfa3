package steps_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgflow/imgflow/internal/samtemplate"
	"github.com/imgflow/imgflow/internal/sfn"
	"github.com/imgflow/imgflow/internal/steps/fixtures"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

// reprocessDefinition is statemachine/reprocess.asl.json as template.yaml
// substitutes it.
func reprocessDefinition(t *testing.T) []byte {
	t.Helper()
	tmpl, err := samtemplate.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sm, ok := tmpl.StateMachine("ReprocessPipeline")
	if !ok {
		t.Fatal("no ReprocessPipeline in template.yaml")
	}
	def, err := sm.Definition()
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// uploadBucket is the upload bucket's name as template.yaml resolves it
// here, which the definition names.
func uploadBucket(t *testing.T) string {
	t.Helper()
	tmpl, err := samtemplate.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	name := tmpl.Outputs()["UploadBucketName"]
	if name == "" {
		t.Fatal("no UploadBucketName output")
	}
	return name
}

// TestReprocessDefinitionValidates: the engine accepts the reprocess
// definition as deployed, with no diagnostic.
func TestReprocessDefinitionValidates(t *testing.T) {
	if diags := sfn.Validate(reprocessDefinition(t)); len(diags) > 0 {
		t.Fatalf("diagnostics: %+v", diags)
	}
}

// childDefinition is the Distributed Map's item processor, the workflow
// each child execution runs, as a state machine of its own: it runs on the
// engine's inline features alone, so the batch logic (skip, tally, one
// failure not failing the batch) is tested with the real handlers.
func childDefinition(t *testing.T) []byte {
	t.Helper()
	var def struct {
		States map[string]struct {
			ItemProcessor map[string]any `json:"ItemProcessor"`
		} `json:"States"`
	}
	if err := json.Unmarshal(reprocessDefinition(t), &def); err != nil {
		t.Fatal(err)
	}
	p := def.States["Reprocess"].ItemProcessor
	if cfg, _ := p["ProcessorConfig"].(map[string]any); cfg["Mode"] != "DISTRIBUTED" || cfg["ExecutionType"] != "EXPRESS" {
		t.Fatalf("ProcessorConfig %v, want DISTRIBUTED with EXPRESS children", cfg)
	}
	delete(p, "ProcessorConfig")
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReprocessBatch runs one batch as a child execution gets it
// ({"Items": [...], "BatchInput": {...}}): new objects are processed,
// current ones skipped (after a HEAD and the manifest only), a folder
// marker skipped, a file that is not an image reported as failed without
// failing the batch; force and a presets change remake current ones.
func TestReprocessBatch(t *testing.T) {
	f := newFlow(t)
	f.def = childDefinition(t)
	in := uploadBucket(t)
	f.mem.Add(in, "uploads/a.jpg", fixtures.JPEG(fixtures.Quadrants(640, 480), 6, false), "image/jpeg")
	f.mem.Add(in, "uploads/b.png", fixtures.PNG(fixtures.Quadrants(300, 200)), "image/png")
	f.mem.Add(in, "uploads/notes.txt", []byte("not an image at all"), "text/plain")
	keys := []string{"uploads/a.jpg", "uploads/b.png", "uploads/notes.txt", "uploads/sub/"}
	batch := func(force bool) string {
		// As ListObjectsV2 lists them.
		var items []map[string]any
		for _, k := range keys {
			items = append(items, map[string]any{"Key": k, "Etag": `"0"`, "Size": 1, "StorageClass": "STANDARD"})
		}
		return mustJSON(t, map[string]any{"Items": items, "BatchInput": map[string]any{"force": force}})
	}
	run := func(name string, force bool) pipeline.ReprocessBatch {
		t.Helper()
		res := f.start(t, name, batch(force))
		if res.Status != sfn.StatusSucceeded {
			t.Fatalf("%s: %s %s: %s", name, res.Status, res.Error, res.Cause)
		}
		var b pipeline.ReprocessBatch
		if err := json.Unmarshal([]byte(res.Output), &b); err != nil {
			t.Fatalf("%s: output %s: %v", name, res.Output, err)
		}
		if len(b.Failures) != 1 || b.Failures[0].Key != "uploads/notes.txt" || b.Failures[0].Error != "ImageRejectedError" ||
			!strings.Contains(b.Failures[0].Cause, "NotAnImage") {
			t.Errorf("%s: failures %+v, want notes.txt rejected", name, b.Failures)
		}
		return b
	}
	manifest := func(key string) pipeline.Manifest {
		t.Helper()
		obj, ok := f.mem.Latest("out", pipeline.ManifestKey("variants", key))
		if !ok {
			t.Fatalf("no manifest for %s", key)
		}
		var m pipeline.Manifest
		if err := json.Unmarshal(obj.Body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	sends := f.count()

	first := run("first", false)
	if first.Processed != 2 || first.Skipped != 1 || first.Failed != 1 {
		t.Errorf("first run %+v, want 2 processed, the folder marker skipped, 1 failed", first)
	}
	a1 := manifest("uploads/a.jpg")
	if a1.Version != 4 || !strings.HasPrefix(a1.PresetsDigest, "sha256:") {
		t.Errorf("manifest version %d digest %q", a1.Version, a1.PresetsDigest)
	}

	f.mem.Calls = nil
	second := run("second", false)
	if second.Processed != 0 || second.Skipped != 3 || second.Failed != 1 {
		t.Errorf("second run %+v, want every image skipped", second)
	}
	for _, c := range f.mem.Calls {
		if strings.HasPrefix(c, "PUT ") || strings.HasPrefix(c, "GET "+in+"/uploads/a.jpg") || strings.HasPrefix(c, "GET "+in+"/uploads/b.png") {
			t.Errorf("a skipping run did %s", c)
		}
	}
	if a2 := manifest("uploads/a.jpg"); a2.CreatedAt != a1.CreatedAt {
		t.Errorf("manifest rewritten by a skipping run")
	}

	forced := run("forced", true)
	if forced.Processed != 2 || forced.Skipped != 1 {
		t.Errorf("forced run %+v, want both images processed", forced)
	}

	// Presets changed since b.png was made: its manifest's digest differs.
	m := manifest("uploads/b.png")
	m.PresetsDigest = "sha256:presets-before-the-change"
	f.mem.Add("out", pipeline.ManifestKey("variants", "uploads/b.png"), []byte(mustJSON(t, m)), "application/json")
	changed := run("presets changed", false)
	if changed.Processed != 1 || changed.Skipped != 2 {
		t.Errorf("after a presets change %+v, want b.png processed, a.jpg and the marker skipped", changed)
	}
	if got := manifest("uploads/b.png").PresetsDigest; got != a1.PresetsDigest {
		t.Errorf("b.png's manifest digest %q, want the current %q", got, a1.PresetsDigest)
	}
	if f.count() != sends {
		t.Errorf("%d notifications from child executions; the summary is the parent's alone", f.count()-sends)
	}
}
