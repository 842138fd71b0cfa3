package jpegenc

import (
	"bytes"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	ourjpeg "github.com/imgflow/imgflow/internal/imaging/jpeg"
)

// photoLike returns a deterministic w×h opaque image with smooth gradients,
// soft blobs, hard edges, fine texture and mild noise, roughly the statistics
// of a downscaled photo.
func photoLike(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	type blob struct{ x, y, r, c0, c1, c2 float64 }
	blobs := make([]blob, 12)
	for i := range blobs {
		blobs[i] = blob{r.Float64() * float64(w), r.Float64() * float64(h),
			(0.05 + 0.25*r.Float64()) * float64(max(w, h)),
			r.Float64()*160 - 80, r.Float64()*160 - 80, r.Float64()*160 - 80}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := [3]float64{70 + 120*fx, 90 + 80*fy, 140 - 60*fx*fy}
			for _, b := range blobs {
				dx, dy := float64(x)-b.x, float64(y)-b.y
				g := math.Exp(-(dx*dx + dy*dy) / (b.r * b.r))
				c[0] += g * b.c0
				c[1] += g * b.c1
				c[2] += g * b.c2
			}
			if (x/37+y/29)%5 == 0 { // hard-edged patches
				c[0], c[1], c[2] = c[0]*0.5, c[1]*0.6, c[2]*0.4+60
			}
			tex := 12 * math.Sin(float64(x)*0.9+math.Sin(float64(y)*0.3)*3)
			i := m.PixOffset(x, y)
			for k := 0; k < 3; k++ {
				v := c[k] + tex + r.NormFloat64()*4
				m.Pix[i+k] = uint8(min(max(math.Round(v), 0), 255))
			}
			m.Pix[i+3] = 255
		}
	}
	return m
}

func encode(t testing.TB, m image.Image, o *Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, m, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func stdEncode(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := stdjpeg.Encode(&buf, m, &stdjpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// psnr of b against the opaque source a over RGB.
func psnr(a *image.NRGBA, b image.Image) float64 {
	var se float64
	bb := b.Bounds()
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			r, g, bl, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			i := a.PixOffset(a.Rect.Min.X+x, a.Rect.Min.Y+y)
			for k, v := range [3]uint32{r >> 8, g >> 8, bl >> 8} {
				d := float64(a.Pix[i+k]) - float64(v)
				se += d * d
			}
		}
	}
	mse := se / float64(3*a.Rect.Dx()*a.Rect.Dy())
	if mse == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/mse)
}

// decodeBoth decodes with image/jpeg and our decoder, failing on any error
// or size mismatch.
func decodeBoth(t testing.TB, data []byte, w, h int) (std, ours image.Image) {
	t.Helper()
	std, err := stdjpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	ours, err = ourjpeg.Decode(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatalf("imaging/jpeg: %v", err)
	}
	for _, m := range []image.Image{std, ours} {
		if b := m.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("decoded %v, want %dx%d", b, w, h)
		}
	}
	return std, ours
}

func TestQuantTablesLikeLibjpeg(t *testing.T) {
	// Spot values of libjpeg's jpeg_set_quality (force_baseline).
	for _, c := range []struct{ q, tab, i, want int }{
		{50, 0, 0, 16}, {75, 0, 0, 8}, {80, 0, 0, 6}, {80, 1, 63, 40}, {80, 1, 0, 7},
		{90, 0, 0, 3}, {100, 0, 63, 1}, {1, 0, 63, 255}, {10, 0, 0, 80},
	} {
		got := scaleQuant(&baseQuant[c.tab], c.q)
		if int(got[c.i]) != c.want {
			t.Errorf("q%d table %d [%d] = %d, want %d", c.q, c.tab, c.i, got[c.i], c.want)
		}
	}
}

func TestStdHuffTables(t *testing.T) {
	for i, s := range stdHuff {
		n := 0
		for _, b := range s.bits {
			n += int(b)
		}
		if n != len(s.vals) {
			t.Errorf("table %d: BITS sum %d, %d values", i, n, len(s.vals))
		}
		seen := map[uint8]bool{}
		for _, v := range s.vals {
			if seen[v] {
				t.Errorf("table %d: duplicate %#x", i, v)
			}
			seen[v] = true
		}
		if i&1 == 1 { // AC: every (run, size) symbol, ZRL and EOB
			for r := 0; r < 16; r++ {
				for sz := 1; sz <= 10; sz++ {
					if !seen[uint8(r<<4|sz)] {
						t.Errorf("table %d lacks %#x", i, r<<4|sz)
					}
				}
			}
			if !seen[0] || !seen[0xF0] {
				t.Errorf("table %d lacks EOB/ZRL", i)
			}
		}
	}
}

func TestOptimalSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 50; n++ {
		var f [257]int64
		for s := 0; s < 256; s++ {
			if r.IntN(3) > 0 {
				// Geometric-ish skew forces lengths > 16 that must be adjusted.
				f[s] = int64(1) << uint(r.IntN(40))
			}
		}
		f[r.IntN(256)] = 1
		h := optimalSpec(&f)
		var kraft float64
		k := 0
		for l, b := range h.bits {
			kraft += float64(b) * math.Exp2(-float64(l+1))
			k += int(b)
		}
		if k != len(h.vals) || kraft >= 1 {
			t.Fatalf("bits sum %d vals %d kraft %v (must be < 1: all-ones code reserved)", k, len(h.vals), kraft)
		}
		for s := 0; s < 256; s++ {
			if (f[s] > 0) != bytes.Contains(h.vals, []byte{uint8(s)}) {
				t.Fatalf("symbol %d freq %d: presence mismatch", s, f[s])
			}
		}
	}
}

// TestRoundTrip: both decoders read our output at the original size, with a
// PSNR no worse than image/jpeg's own output at the same quality minus 0.3 dB.
func TestRoundTrip(t *testing.T) {
	for _, c := range []struct{ w, h, q int }{
		{1, 1, 80}, {7, 9, 80}, {17, 33, 80}, {16, 16, 75}, {31, 17, 50},
		{256, 192, 80}, {640, 480, 90}, {2049, 1367, 80},
	} {
		t.Run(fmt.Sprintf("%dx%d_q%d", c.w, c.h, c.q), func(t *testing.T) {
			src := photoLike(c.w, c.h, uint64(c.w*c.h))
			for _, o := range []Options{{Quality: c.q}, {Quality: c.q, OptimizeHuffman: true}, {Quality: c.q, RestartRows: 1}} {
				data := encode(t, src, &o)
				std, ours := decodeBoth(t, data, c.w, c.h)
				ref, _ := decodeBoth(t, stdEncode(t, src, c.q), c.w, c.h)
				pStd, pOurs, pRef := psnr(src, std), psnr(src, ours), psnr(src, ref)
				if pStd < pRef-0.3 || pOurs < pRef-0.5 {
					t.Errorf("%+v: PSNR %.2f (image/jpeg dec) %.2f (our dec), image/jpeg enc %.2f", o, pStd, pOurs, pRef)
				}
				if c.w*c.h > 1000 && o == (Options{Quality: c.q}) {
					t.Logf("PSNR ours %.2f dB (our decoder %.2f), image/jpeg %.2f dB", pStd, pOurs, pRef)
				}
			}
		})
	}
}

func TestQualitySweep(t *testing.T) {
	src := photoLike(67, 45, 9)
	prev := 0
	for q := 1; q <= 100; q++ {
		data := encode(t, src, &Options{Quality: q})
		decodeBoth(t, data, 67, 45)
		opt := encode(t, src, &Options{Quality: q, OptimizeHuffman: true})
		decodeBoth(t, opt, 67, 45)
		if len(data) < prev*9/10 {
			t.Errorf("q%d: %d bytes, q%d was %d", q, len(data), q-1, prev)
		}
		prev = len(data)
	}
}

// TestMarkers: only SOI APP0(JFIF) DQT SOF0 DHT [DRI] SOS ... [RSTn] EOI.
func TestMarkers(t *testing.T) {
	src := photoLike(600, 500, 5)
	for _, o := range []Options{{Quality: 80}, {Quality: 80, RestartRows: 2}, {Quality: 80, RestartRows: -1, OptimizeHuffman: true}} {
		data := encode(t, src, &o)
		var seq []byte
		i := 0
		for i < len(data) {
			if data[i] != 0xFF {
				t.Fatalf("%+v: no marker at %d", o, i)
			}
			m := data[i+1]
			seq = append(seq, m)
			if m == 0xD8 || m == 0xD9 {
				i += 2
				continue
			}
			n := int(data[i+2])<<8 | int(data[i+3])
			if m == 0xE0 && string(data[i+4:i+9]) != "JFIF\x00" {
				t.Errorf("APP0 is not JFIF")
			}
			i += 2 + n
			if m == 0xDA { // skip entropy data, noting RSTn
				for ; i < len(data)-1; i++ {
					if data[i] == 0xFF && data[i+1] != 0 {
						if data[i+1] >= 0xD0 && data[i+1] <= 0xD7 {
							if want := byte(0xD0 + (countRST(seq))%8); data[i+1] != want {
								t.Errorf("RST %#x, want %#x", data[i+1], want)
							}
							seq = append(seq, data[i+1])
							i++
							continue
						}
						break
					}
				}
			}
		}
		want := "d8 e0 db c0 c4 da d9"
		if o.RestartRows >= 0 { // 600x500 is large enough for automatic bands
			want = "d8 e0 db c0 c4 dd da d0 d9"
		}
		got := fmt.Sprintf("% x", compactRST(seq))
		if got != want {
			t.Errorf("%+v: markers %s, want %s", o, got, want)
		}
	}
}

func countRST(seq []byte) int {
	n := 0
	for _, m := range seq {
		if m >= 0xD0 && m <= 0xD7 {
			n++
		}
	}
	return n
}

// compactRST renders each run of RSTn markers as one d0.
func compactRST(seq []byte) []byte {
	var out []byte
	for i, m := range seq {
		if m >= 0xD0 && m <= 0xD7 {
			if i == 0 || seq[i-1] < 0xD0 || seq[i-1] > 0xD7 {
				out = append(out, 0xD0)
			}
			continue
		}
		out = append(out, m)
	}
	return out
}

// TestSizeVsStdlib: within ±10% of image/jpeg at the same quality; smaller
// with optimised tables.
func TestSizeVsStdlib(t *testing.T) {
	src := photoLike(1024, 768, 11)
	for _, q := range []int{30, 50, 75, 80, 90, 95} {
		std := len(stdEncode(t, src, q))
		ours := len(encode(t, src, &Options{Quality: q}))
		opt := len(encode(t, src, &Options{Quality: q, OptimizeHuffman: true}))
		ratio := float64(ours) / float64(std)
		t.Logf("q%d: image/jpeg %d, ours %d (%.3f), optimised %d (%.3f)", q, std, ours, ratio, opt, float64(opt)/float64(std))
		if ratio < 0.9 || ratio > 1.1 {
			t.Errorf("q%d: size ratio %.3f outside ±10%%", q, ratio)
		}
		if opt >= ours {
			t.Errorf("q%d: optimised %d not smaller than %d", q, opt, ours)
		}
	}
}

func TestDeterministic(t *testing.T) {
	src := photoLike(1100, 900, 13)
	rgba := &image.RGBA{Pix: src.Pix, Stride: src.Stride, Rect: src.Rect}
	for _, o := range []Options{{Quality: 80}, {Quality: 80, OptimizeHuffman: true}} {
		a := encode(t, src, &o)
		b := encode(t, rgba, &o)
		old := runtime.GOMAXPROCS(1)
		c := encode(t, src, &o)
		runtime.GOMAXPROCS(old)
		if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
			t.Errorf("%+v: output differs across runs/types/GOMAXPROCS", o)
		}
	}
}

func TestSubImageAndOtherTypes(t *testing.T) {
	src := photoLike(100, 80, 17)
	sub := src.SubImage(image.Rect(13, 7, 60, 51)).(*image.NRGBA)
	std, _ := decodeBoth(t, encode(t, sub, nil), 47, 44)
	if p := psnr(sub, std); p < 30 {
		t.Errorf("sub-image PSNR %.2f", p)
	}
	gray := image.NewGray(image.Rect(0, 0, 20, 10))
	decodeBoth(t, encode(t, gray, nil), 20, 10)
}

var benchSink int

func benchEncode(b *testing.B, w, h int, std bool, o Options) {
	src := photoLike(w, h, 21)
	rgba := &image.RGBA{Pix: src.Pix, Stride: src.Stride, Rect: src.Rect}
	var buf bytes.Buffer
	b.SetBytes(int64(w * h * 4))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		var err error
		if std {
			err = stdjpeg.Encode(&buf, rgba, &stdjpeg.Options{Quality: 80})
		} else {
			err = Encode(&buf, src, &o)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	benchSink = buf.Len()
	b.ReportMetric(float64(buf.Len()), "bytes")
}

func BenchmarkEncode(b *testing.B) {
	for _, sz := range [][2]int{{2048, 1536}, {256, 192}} {
		name := fmt.Sprintf("%dx%d", sz[0], sz[1])
		b.Run(name+"/stdlib", func(b *testing.B) { benchEncode(b, sz[0], sz[1], true, Options{}) })
		b.Run(name+"/ours", func(b *testing.B) { benchEncode(b, sz[0], sz[1], false, Options{Quality: 80}) })
		b.Run(name+"/ours-serial", func(b *testing.B) { benchEncode(b, sz[0], sz[1], false, Options{Quality: 80, RestartRows: -1}) })
		b.Run(name+"/ours-opt", func(b *testing.B) {
			benchEncode(b, sz[0], sz[1], false, Options{Quality: 80, OptimizeHuffman: true})
		})
	}
}

func TestZigzag(t *testing.T) {
	want := [...]uint8{0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5}
	for k, n := range want {
		if zigzag[k] != n {
			t.Fatalf("zigzag[%d] = %d, want %d", k, zigzag[k], n)
		}
	}
	seen := map[uint8]bool{}
	for k, n := range zigzag {
		seen[n] = true
		if unzigzag[n] != uint8(k) {
			t.Fatalf("unzigzag[%d] = %d, want %d", n, unzigzag[n], k)
		}
	}
	if len(seen) != 64 || zigzag[63] != 63 {
		t.Fatal("zigzag is not a permutation ending at 63")
	}
}
