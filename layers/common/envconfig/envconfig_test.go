package envconfig

import (
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantStr  string
		wantInt  int64
		wantErrs []string
	}{
		{name: "unset keeps defaults", env: map[string]string{}, wantStr: "def", wantInt: 7},
		{name: "empty string keeps default", env: map[string]string{"S": "", "N": " "}, wantStr: "def", wantInt: 7},
		{name: "set values", env: map[string]string{"S": "x", "N": "42"}, wantStr: "x", wantInt: 42},
		{name: "bad integers reported together", env: map[string]string{"N": "4x", "M": "ten"}, wantStr: "def", wantInt: 7,
			wantErrs: []string{`N: "4x" is not an integer`, `M: "ten" is not an integer`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(Map(tt.env))
			s, n, m := "def", int64(7), int64(0)
			r.String("S", &s)
			r.Int64("N", &n)
			r.Int64("M", &m)
			if s != tt.wantStr || n != tt.wantInt {
				t.Errorf("got (%q, %d), want (%q, %d)", s, n, tt.wantStr, tt.wantInt)
			}
			err := r.Err()
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors %q, got nil", tt.wantErrs)
			}
			for _, w := range tt.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
