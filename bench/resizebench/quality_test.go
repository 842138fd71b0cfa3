package main

import (
	"math"
	"os"
	"testing"
)

// TestDeltaE2000 uses pairs from Sharma, Wu and Dalal (2005), Table 1.
func TestDeltaE2000(t *testing.T) {
	tests := []struct {
		name string
		p, q lab
		want float64
	}{
		{"pair 1", lab{50, 2.6772, -79.7751}, lab{50, 0, -82.7485}, 2.0425},
		{"pair 7", lab{50, 0, 0}, lab{50, -1, 2}, 2.3669},
		{"pair 17", lab{50, 2.5, 0}, lab{73, 25, -18}, 27.1492},
		{"pair 25", lab{60.2574, -34.0099, 36.2677}, lab{60.4626, -34.1751, 39.4387}, 1.2644},
		{"pair 34", lab{22.7233, 20.0904, -46.6940}, lab{23.0331, 14.9730, -42.5619}, 2.0373},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deltaE2000(tt.p, tt.q); math.Abs(got-tt.want) > 1e-4 {
				t.Fatalf("deltaE2000 = %.4f, want %.4f", got, tt.want)
			}
		})
	}
}

func TestToLab(t *testing.T) {
	if w := toLab(255, 255, 255); math.Abs(w.L-100) > 0.01 || math.Abs(w.A) > 0.01 || math.Abs(w.B) > 0.01 {
		t.Fatalf("white = %+v, want L=100 a=b=0", w)
	}
	if r := toLab(255, 0, 0); math.Abs(r.L-53.24) > 0.05 || math.Abs(r.A-80.09) > 0.05 || math.Abs(r.B-67.20) > 0.05 {
		t.Fatalf("red = %+v, want about 53.24 80.09 67.20", r)
	}
}

func TestParseTimeV(t *testing.T) {
	p := t.TempDir() + "/rss.txt"
	text := "\tCommand being timed: \"x\"\n\tUser time (seconds): 0.25\n\tSystem time (seconds): 0.05\n" +
		"\tMaximum resident set size (kbytes): 1234\n\tExit status: 0\n" +
		"\tUser time (seconds): 1.50\n\tSystem time (seconds): 0.00\n\tMaximum resident set size (kbytes): 99\n"
	if err := writeFile(p, text); err != nil {
		t.Fatal(err)
	}
	rss, cpu, err := parseTimeV(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rss) != 2 || rss[0] != 1234 || rss[1] != 99 {
		t.Fatalf("rss = %v, want [1234 99]", rss)
	}
	if len(cpu) != 2 || math.Abs(cpu[0]-300) > 1e-9 || math.Abs(cpu[1]-1500) > 1e-9 {
		t.Fatalf("cpu = %v, want [300 1500] ms", cpu)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
