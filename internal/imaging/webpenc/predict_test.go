package webpenc

import (
	"math/rand/v2"
	"testing"
)

// predict4 writes the 4×4 prediction of subblock mode into dst (stride 4),
// transcribing section 12.3 mode by mode: the reference predictAll4 is
// checked against;
// w points at the subblock's first pixel in a luma work buffer, so its
// top row is w[-bps:], its left column w[-1+k*bps] and the top-right
// overhang w[-bps+4:-bps+8].
func predict4(dst *[16]uint8, w []uint8, at int, mode int) {
	A := w[at-bps : at-bps+8] // above and above-right
	P := w[at-bps-1]
	L := [4]uint8{w[at-1], w[at+bps-1], w[at+2*bps-1], w[at+3*bps-1]}
	// E is the edge from bottom-left through top-left to top-right.
	E := [9]uint8{L[3], L[2], L[1], L[0], P, A[0], A[1], A[2], A[3]}
	set := func(r, c int, v uint8) { dst[r*4+c] = v }
	switch mode {
	case bDC:
		s := 4
		for i := 0; i < 4; i++ {
			s += int(A[i]) + int(L[i])
		}
		for i := range dst {
			dst[i] = uint8(s >> 3)
		}
	case bTM:
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				set(r, c, clip255(int32(L[r])+int32(A[c])-int32(P)))
			}
		}
	case bVE:
		for c := 0; c < 4; c++ {
			prev := P
			if c > 0 {
				prev = A[c-1]
			}
			v := avg3(prev, A[c], A[c+1])
			for r := 0; r < 4; r++ {
				set(r, c, v)
			}
		}
	case bHE:
		rows := [4]uint8{avg3(P, L[0], L[1]), avg3(L[0], L[1], L[2]), avg3(L[1], L[2], L[3]), avg3(L[2], L[3], L[3])}
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				set(r, c, rows[r])
			}
		}
	case bLD:
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				i := r + c
				if i < 6 {
					set(r, c, avg3(A[i], A[i+1], A[i+2]))
				} else {
					set(r, c, avg3(A[6], A[7], A[7]))
				}
			}
		}
	case bRD:
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				i := 3 - r + c
				set(r, c, avg3(E[i], E[i+1], E[i+2]))
			}
		}
	case bVR:
		set(3, 0, avg3(E[1], E[2], E[3]))
		set(2, 0, avg3(E[2], E[3], E[4]))
		v := avg3(E[3], E[4], E[5])
		set(3, 1, v)
		set(1, 0, v)
		v = avg2(E[4], E[5])
		set(2, 1, v)
		set(0, 0, v)
		v = avg3(E[4], E[5], E[6])
		set(3, 2, v)
		set(1, 1, v)
		v = avg2(E[5], E[6])
		set(2, 2, v)
		set(0, 1, v)
		v = avg3(E[5], E[6], E[7])
		set(3, 3, v)
		set(1, 2, v)
		v = avg2(E[6], E[7])
		set(2, 3, v)
		set(0, 2, v)
		set(1, 3, avg3(E[6], E[7], E[8]))
		set(0, 3, avg2(E[7], E[8]))
	case bVL:
		set(0, 0, avg2(A[0], A[1]))
		set(1, 0, avg3(A[0], A[1], A[2]))
		v := avg2(A[1], A[2])
		set(2, 0, v)
		set(0, 1, v)
		v = avg3(A[1], A[2], A[3])
		set(1, 1, v)
		set(3, 0, v)
		v = avg2(A[2], A[3])
		set(2, 1, v)
		set(0, 2, v)
		v = avg3(A[2], A[3], A[4])
		set(3, 1, v)
		set(1, 2, v)
		v = avg2(A[3], A[4])
		set(2, 2, v)
		set(0, 3, v)
		v = avg3(A[3], A[4], A[5])
		set(3, 2, v)
		set(1, 3, v)
		set(2, 3, avg3(A[4], A[5], A[6]))
		set(3, 3, avg3(A[5], A[6], A[7]))
	case bHD:
		set(3, 0, avg2(E[0], E[1]))
		set(3, 1, avg3(E[0], E[1], E[2]))
		v := avg2(E[1], E[2])
		set(2, 0, v)
		set(3, 2, v)
		v = avg3(E[1], E[2], E[3])
		set(2, 1, v)
		set(3, 3, v)
		v = avg2(E[2], E[3])
		set(2, 2, v)
		set(1, 0, v)
		v = avg3(E[2], E[3], E[4])
		set(2, 3, v)
		set(1, 1, v)
		v = avg2(E[3], E[4])
		set(1, 2, v)
		set(0, 0, v)
		v = avg3(E[3], E[4], E[5])
		set(1, 3, v)
		set(0, 1, v)
		set(0, 2, avg3(E[4], E[5], E[6]))
		set(0, 3, avg3(E[5], E[6], E[7]))
	case bHU:
		set(0, 0, avg2(L[0], L[1]))
		set(0, 1, avg3(L[0], L[1], L[2]))
		v := avg2(L[1], L[2])
		set(0, 2, v)
		set(1, 0, v)
		v = avg3(L[1], L[2], L[3])
		set(0, 3, v)
		set(1, 1, v)
		v = avg2(L[2], L[3])
		set(1, 2, v)
		set(2, 0, v)
		v = avg3(L[2], L[3], L[3])
		set(1, 3, v)
		set(2, 1, v)
		set(2, 2, L[3])
		set(2, 3, L[3])
		for c := 0; c < 4; c++ {
			set(3, c, L[3])
		}
	}
}

func TestPredictAll4(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var w [bps * 6]uint8
	at := 2*bps + 4
	for i := 0; i < 20000; i++ {
		for j := range w {
			switch i % 3 {
			case 0:
				w[j] = uint8(r.IntN(256))
			case 1:
				w[j] = uint8(250 + r.IntN(6)) // near the clip
			default:
				w[j] = uint8(r.IntN(6))
			}
		}
		var got [numBModes][16]uint8
		predictAll4(&got, w[:], at)
		for m := 0; m < numBModes; m++ {
			var want [16]uint8
			predict4(&want, w[:], at, m)
			if got[m] != want {
				t.Fatalf("mode %d: predictAll4 %v, predict4 %v", m, got[m], want)
			}
		}
	}
}
