package console

import "testing"

// TestTemplatesParse fails on any template or asset error.
func TestTemplatesParse(t *testing.T) {
	if _, err := parseViews(); err != nil {
		t.Fatal(err)
	}
}
