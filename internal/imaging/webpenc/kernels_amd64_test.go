//go:build !purego

package webpenc

import "testing"

// TestIDCT4AddAVX2Range: the assembly declines exactly the blocks with a
// coefficient beyond idctBound (2212), leaving dst alone.
func TestIDCT4AddAVX2Range(t *testing.T) {
	if !useSIMD {
		t.Skip("no AVX2 on this CPU")
	}
	tests := []struct {
		name string
		v    int16
		pos  int
		ok   bool
	}{
		{"zero", 0, 0, true},
		{"+2212", 2212, 5, true},
		{"-2212", -2212, 15, true},
		{"+2213", 2213, 0, false},
		{"-2213", -2213, 9, false},
		{"max", 32767, 3, false},
		{"min", -32768, 12, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in [16]int16
			in[tc.pos] = tc.v
			var pred, dst [16]uint8
			dst[0] = 7
			if ok := idct4AddAsm(&in, &pred[0], 4, &dst[0], 4); ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !tc.ok && dst[0] != 7 {
				t.Fatal("dst written on decline")
			}
		})
	}
}
