package imaging

// Fit returns the size of a w×h image scaled so that its long side equals
// longSide, without upscaling.
//
// Rounding rule: if max(w,h) <= longSide (or longSide <= 0) the size is returned
// unchanged. Otherwise the long side becomes exactly longSide and the short side
// is short*longSide/long rounded to the nearest integer, halves rounded up,
// computed in exact integer arithmetic, and at least 1. When w == h both sides
// become longSide. Examples: 4032x3024@2048 -> 2048x1536, 3000x2000@1000 ->
// 1000x667, 1000x1@100 -> 100x1, 100x100@256 -> 100x100.
// Non-positive w or h yield (0, 0).
func Fit(w, h, longSide int) (int, int) {
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	if longSide <= 0 || (w <= longSide && h <= longSide) {
		return w, h
	}
	if w >= h {
		return longSide, scaleSide(h, w, longSide)
	}
	return scaleSide(w, h, longSide), longSide
}

// scaleSide returns round(short*target/long), halves up, min 1.
func scaleSide(short, long, target int) int {
	n := (2*int64(short)*int64(target) + int64(long)) / (2 * int64(long))
	if n < 1 {
		n = 1
	}
	return int(n)
}
