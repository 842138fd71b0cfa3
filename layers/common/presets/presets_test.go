package presets

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr []string
	}{
		{name: "valid", in: `{"presets":[{"name":"xl","longSide":2048,"format":"auto","quality":82}]}`},
		{name: "empty list", in: `{"presets":[]}`, wantErr: []string{"no presets"}},
		{name: "unknown field", in: `{"presets":[{"name":"xl","longSide":2048,"format":"jpeg","quality":80,"size":9}]}`, wantErr: []string{"unknown field"}},
		{name: "every problem at once",
			in:      `{"presets":[{"name":"XL","longSide":0,"format":"gif","quality":0},{"name":"a","longSide":1,"format":"png","quality":1},{"name":"a","longSide":99999,"format":"jpeg","quality":101}]}`,
			wantErr: []string{`name "XL"`, "longSide 0", `format "gif"`, "quality 0", `duplicate name "a"`, "longSide 99999", "quality 101"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(f.Presets) != 1 {
					t.Fatalf("got %d presets", len(f.Presets))
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestShippedPresets checks the file the layer deploys.
func TestShippedPresets(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	f, err := Load(filepath.Join(filepath.Dir(file), "..", "assets", "presets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sides []int
	for _, p := range f.Presets {
		sides = append(sides, p.LongSide)
	}
	want := []int{2048, 1024, 512, 256}
	if len(sides) != len(want) {
		t.Fatalf("long sides %v, want %v", sides, want)
	}
	for i := range want {
		if sides[i] != want[i] {
			t.Fatalf("long sides %v, want %v", sides, want)
		}
	}
}
