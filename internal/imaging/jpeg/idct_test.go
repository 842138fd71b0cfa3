package jpeg

import (
	"bytes"
	"fmt"
	"image"
	"testing"
)

// idctBlocks returns the blocks the assembly IDCTs are checked on: random
// blocks of realistic, dequantised-maximum (|coef| <= 2^15) and full int32
// magnitudes, dense and sparse (to take the generic code's zero-column and
// zero-row shortcuts), and fixed extremes: constant blocks at the clamping
// limits, single coefficients, checkerboards of +-2^15.
func idctBlocks() [][64]int32 {
	var blocks [][64]int32
	seed := uint64(1)
	rnd := func() uint32 {
		seed = seed*6364136223846793005 + 1442695040888963407
		return uint32(seed >> 32)
	}
	within := func(n int32) int32 { return int32(uint64(rnd())%uint64(2*int64(n)+1)) - n }
	for iter := 0; iter < 3000; iter++ {
		var b [64]int32
		for k := 0; k < 64; k++ {
			var v int32
			switch iter % 6 {
			case 0: // realistic: decaying with frequency
				v = within(1024 >> (k / 8))
			case 1: // dequantised maximum
				v = within(1 << 15)
			case 2: // any int32 (corrupt input wraps, identically)
				v = int32(rnd())
			case 3: // sparse: a few low frequencies
				if k < 6 {
					v = within(2048)
				}
			case 4: // zero columns and rows
				if rnd()%4 == 0 {
					v = within(1 << 15)
				}
			case 5: // near the clamping limits
				if k == 0 {
					v = within(1<<10) + []int32{-1024, 1016, 1024, 1040}[rnd()%4]
				} else if rnd()%8 == 0 {
					v = within(8)
				}
			}
			b[unzig[k]] = v
		}
		blocks = append(blocks, b)
	}
	for _, v := range []int32{-1 << 15, -1 << 14, -1032, -1025, -1024, -1023, -1, 0, 1, 1015, 1016, 1020, 1023, 1024, 1 << 14, 1<<15 - 1, 1 << 15} {
		for i := 0; i < 64; i++ {
			var one [64]int32
			one[i] = v
			blocks = append(blocks, one)
		}
		var flat, checker [64]int32
		for i := range flat {
			flat[i] = v
			checker[i] = v
			if (i/8+i)%2 == 1 {
				checker[i] = -v
			}
		}
		blocks = append(blocks, flat, checker)
	}
	for _, v := range []int32{-1 << 31, 1<<31 - 1, 1 << 18, -1 << 18, 1<<18 - 1} {
		var dc, all [64]int32
		dc[0] = v
		for i := range all {
			all[i] = v
		}
		blocks = append(blocks, dc, all)
	}
	return blocks
}

// runIDCT calls f on in, writing into a 19-byte-stride buffer with a
// margin, and returns the buffer, so that bytes written outside the 8x8
// block show up as differences.
func runIDCT(f func([]byte, int, *[64]int32), in *[64]int32) []byte {
	const stride = 19
	buf := bytes.Repeat([]byte{0xa5}, 8*stride+3)
	in2 := *in
	f(buf[1:], stride, &in2)
	if in2 != *in {
		panic("idct modified its input")
	}
	return buf
}

// TestIDCTSIMD: each assembly IDCT equals its Go version byte for byte on
// every block of idctBlocks, and writes nothing outside its block.
func TestIDCTSIMD(t *testing.T) {
	for _, tc := range []struct {
		name          string
		simd, generic func([]byte, int, *[64]int32)
	}{
		{"8x8", idct8x8SIMD, idct8x8Generic},
		{"4x4", idct4x4SIMD, idct4x4Generic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.simd == nil {
				t.Skip("no assembly IDCT in this build or on this CPU")
			}
			for i, in := range idctBlocks() {
				want := runIDCT(tc.generic, &in)
				got := runIDCT(tc.simd, &in)
				if !bytes.Equal(got, want) {
					t.Fatalf("block %d %v:\nsimd    %v\ngeneric %v", i, in, got, want)
				}
			}
		})
	}
}

// TestIDCT8x8ShortcutsExact: idct8x8Generic's zero-column and zero-row
// shortcuts give what its butterflies give, wrapping included, on blocks
// where only row 0 or only column 0 is non-zero (checked against a
// version of the same arithmetic without shortcuts).
func TestIDCT8x8ShortcutsExact(t *testing.T) {
	for _, v := range []int32{1, -1, 1000, 1 << 15, 1 << 18, -1 << 18, 1<<31 - 1, -1 << 31} {
		for i := 0; i < 64; i++ {
			var in [64]int32
			in[i] = v
			in[0] = v / 3
			got := runIDCT(idct8x8Generic, &in)
			want := runIDCT(idct8x8NoShortcuts, &in)
			if !bytes.Equal(got, want) {
				t.Fatalf("v=%d i=%d: %v, want %v", v, i, got, want)
			}
		}
	}
}

// idct8x8NoShortcuts is idct8x8Generic's arithmetic with no shortcut,
// written as plainly as possible.
func idct8x8NoShortcuts(dst []byte, stride int, in *[64]int32) {
	pass := func(v *[8]int32, rnd int32, sh uint) {
		z1 := (v[2] + v[6]) * fix0_541196100
		t2 := z1 - v[6]*fix1_847759065
		t3 := z1 + v[2]*fix0_765366865
		t0 := (v[0]+v[4])<<constBits + rnd
		t1 := (v[0]-v[4])<<constBits + rnd
		t10, t13, t11, t12 := t0+t3, t0-t3, t1+t2, t1-t2
		o0, o1, o2, o3 := v[7], v[5], v[3], v[1]
		z1, z2, z3, z4 := o0+o3, o1+o2, o0+o2, o1+o3
		z5 := (z3 + z4) * fix1_175875602
		o0 *= fix0_298631336
		o1 *= fix2_053119869
		o2 *= fix3_072711026
		o3 *= fix1_501321110
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		o0 += z1 + z3
		o1 += z2 + z4
		o2 += z2 + z3
		o3 += z1 + z4
		*v = [8]int32{t10 + o3, t11 + o2, t12 + o1, t13 + o0, t13 - o0, t12 - o1, t11 - o2, t10 - o3}
		for i := range v {
			v[i] >>= sh
		}
	}
	var ws [64]int32
	for x := 0; x < 8; x++ {
		var v [8]int32
		for y := range v {
			v[y] = in[8*y+x]
		}
		pass(&v, 1<<(constBits-pass1Bits-1), constBits-pass1Bits)
		for y := range v {
			ws[8*y+x] = v[y]
		}
	}
	const bias = 128<<(pass1Bits+3) + 1<<(pass1Bits+2)
	for y := 0; y < 8; y++ {
		v := [8]int32(ws[8*y : 8*y+8])
		v[0] += bias
		pass(&v, 0, constBits+pass1Bits+3)
		for x := range v {
			dst[y*stride+x] = clamp8(v[x])
		}
	}
}

// TestDecodeFallbackEqualsSIMD decodes every fixture at full and half
// scale twice, with the assembly IDCT and with the pure-Go fallback forced,
// and requires identical pixels. (The same fallback is what a purego build
// or a CPU without AVX2 runs.)
func TestDecodeFallbackEqualsSIMD(t *testing.T) {
	if idct8x8SIMD == nil || idct4x4SIMD == nil {
		t.Skip("no assembly IDCT in this build or on this CPU")
	}
	decode := func(data []byte, scale int, generic bool) image.Image {
		t.Helper()
		saved8, saved4 := idct8x8, idct4x4
		defer func() { idct8x8, idct4x4 = saved8, saved4 }()
		if generic {
			idct8x8, idct4x4 = idct8x8Generic, idct4x4Generic
		} else {
			idct8x8, idct4x4 = idct8x8SIMD, idct4x4SIMD
		}
		m, err := Decode(bytes.NewReader(data), &Options{Scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, name := range fixtures {
		for _, scale := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/1:%d", name, scale), func(t *testing.T) {
				data := readFixture(t, name)
				simd := decode(data, scale, false)
				generic := decode(data, scale, true)
				if d := maxDiff(t, simd, generic); d != 0 {
					t.Errorf("max difference %d, want 0", d)
				}
			})
		}
	}
}
