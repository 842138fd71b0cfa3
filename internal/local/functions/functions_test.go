package functions

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/imgflow/imgflow/internal/samtemplate"
)

// TestBuildersCoverTheTemplate: every function template.yaml declares has
// a builder under its logical ID, with a Build and a main package under its
// CodeUri, and every builder names a function the template declares.
func TestBuildersCoverTheTemplate(t *testing.T) {
	tmpl, err := samtemplate.LoadWithOptions(filepath.Join("..", "..", "..", "template.yaml"), samtemplate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := Builders()
	var ids []string
	for _, f := range tmpl.Functions() {
		ids = append(ids, f.LogicalID)
		t.Run(f.LogicalID, func(t *testing.T) {
			fb, ok := b[f.LogicalID]
			if !ok {
				t.Fatal("no builder")
			}
			if fb.Build == nil {
				t.Error("no Build")
			}
			if _, err := os.Stat(filepath.Join(f.CodeDir, filepath.FromSlash(fb.Package), "main.go")); err != nil {
				t.Errorf("package %q: %v", fb.Package, err)
			}
		})
	}
	for id := range b {
		if !slices.Contains(ids, id) {
			t.Errorf("builder %s names no function of template.yaml", id)
		}
	}
}
