package webpenc

import (
	"context"
	"runtime"
	"sync"
)

// encoder is the state of one VP8 key-frame encode.
type encoder struct {
	w, h                        int // picture size
	mbw, mbh                    int // macroblocks across and down
	method                      int
	trim                        bool // trimTail on every coded block
	tdisto                      bool // texture distortion in mode decisions (method ≥ 4)
	i4Candidates                int  // intra 4×4 modes fully evaluated per subblock
	i16Candidates, uvCandidates int  // same for 16×16 luma and chroma modes

	// Source planes padded to whole macroblocks by edge replication, and
	// the reconstruction the decoder will see before loop filtering.
	yStride, cStride       int
	srcY, srcU, srcV       []uint8
	recY, recU, recV       []uint8
	seg                    [4]segmentQuant
	numSeg                 int
	segMap                 []uint8 // per macroblock, when numSeg > 1
	filterLevel, sharpness int
	dqUVAC                 int     // chroma AC quantiser delta (frame header)
	expnScale              float64 // quality exponent factor (trimExpn with trimming, else 1)
	costs                  *costTables
	segProbs               [3]uint8

	mbs    []mbInfo
	levels []mbLevels

	numParts int // token partitions (1, 2, 4 or 8)
	workers  int
}

func newEncoder(w, h int) *encoder {
	e := &encoder{w: w, h: h, mbw: (w + 15) / 16, mbh: (h + 15) / 16}
	e.yStride = e.mbw * 16
	e.cStride = e.mbw * 8
	ny := e.yStride * e.mbh * 16
	nc := e.cStride * e.mbh * 8
	e.srcY, e.srcU, e.srcV = make([]uint8, ny), make([]uint8, nc), make([]uint8, nc)
	e.recY, e.recU, e.recV = make([]uint8, ny), make([]uint8, nc), make([]uint8, nc)
	e.mbs = make([]mbInfo, e.mbw*e.mbh)
	e.levels = make([]mbLevels, e.mbw*e.mbh)
	return e
}

// padSource replicates the last real column and row of the source planes
// into the macroblock padding (cw, ch: real chroma size).
func (e *encoder) padSource() {
	padPlane(e.srcY, e.yStride, e.w, e.h, e.mbh*16)
	padPlane(e.srcU, e.cStride, (e.w+1)/2, (e.h+1)/2, e.mbh*8)
	padPlane(e.srcV, e.cStride, (e.w+1)/2, (e.h+1)/2, e.mbh*8)
}

func padPlane(p []uint8, stride, w, h, rows int) {
	for y := 0; y < h; y++ {
		row := p[y*stride : y*stride+stride]
		for x := w; x < stride; x++ {
			row[x] = row[w-1]
		}
	}
	last := p[(h-1)*stride : h*stride]
	for y := h; y < rows; y++ {
		copy(p[y*stride:y*stride+stride], last)
	}
}

// rowWorkers is how many goroutines eachRow uses for n rows.
func (e *encoder) rowWorkers(n int) int { return max(1, min(e.workers, n)) }

// eachRow calls f(w, i) for every row i in [0, n), the rows interleaved
// over rowWorkers(n) goroutines (worker w takes w, w+workers, …). f writes
// only worker w's own state or row i's: the passes that use it sum or
// store per row, so their results do not depend on the number of workers.
func (e *encoder) eachRow(n int, f func(w, i int)) {
	workers := e.rowWorkers(n)
	if workers == 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(w, i)
			}
		})
	}
	wg.Wait()
}

// encodeMBs runs mode decision over all macroblocks: rows are handed out
// to workers in order and macroblock (x, y) waits for (x+1, y−1) of the row
// above (the wavefront of its top-right dependency). Every decision depends
// only on already reconstructed neighbours and fixed cost tables, so the
// result does not depend on the number of workers.
func (e *encoder) encodeMBs(ctx context.Context) error {
	workers := max(1, min(e.workers, e.mbh))
	done := make([]int, e.mbh) // macroblocks finished per row
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	nextRow := 0
	var firstErr error

	run := func() {
		c := newMBCoder(e)
		for {
			mu.Lock()
			if firstErr != nil || nextRow >= e.mbh {
				mu.Unlock()
				return
			}
			y := nextRow
			nextRow++
			mu.Unlock()
			if err := ctx.Err(); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				cond.Broadcast()
				mu.Unlock()
				return
			}
			var leftNZ uint16
			var leftModes [4]uint8
			for x := 0; x < e.mbw; x++ {
				if y > 0 {
					need := min(x+2, e.mbw)
					mu.Lock()
					for done[y-1] < need && firstErr == nil {
						cond.Wait()
					}
					stop := firstErr != nil
					mu.Unlock()
					if stop {
						return
					}
				}
				i := y*e.mbw + x
				info := &e.mbs[i]
				if e.numSeg > 1 {
					info.segment = e.segMap[i]
				}
				var topNZ uint16
				var topModes [4]uint8
				if y > 0 {
					up := &e.mbs[i-e.mbw]
					topNZ = up.nzBottom
					topModes = bottomModes(up)
				}
				if x == 0 {
					leftNZ = 0
					leftModes = [4]uint8{}
				}
				c.encodeMB(x, y, info, &e.levels[i], topNZ, leftNZ, &topModes, &leftModes)
				info.nzBottom, info.nzRight = nzEdges(info, &e.levels[i], topNZ, leftNZ)
				leftNZ = info.nzRight
				leftModes = rightModes(info)
				mu.Lock()
				done[y] = x + 1
				cond.Broadcast()
				mu.Unlock()
			}
		}
	}
	if workers == 1 {
		run()
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(run)
		}
		wg.Wait()
	}
	return firstErr
}

// bottomModes / rightModes are the subblock modes a macroblock exposes as
// context to the macroblock below / right (section 11.3).
func bottomModes(m *mbInfo) [4]uint8 {
	if m.ymode == predB {
		return [4]uint8{m.bmodes[12], m.bmodes[13], m.bmodes[14], m.bmodes[15]}
	}
	b := impliedBMode[m.ymode]
	return [4]uint8{b, b, b, b}
}

func rightModes(m *mbInfo) [4]uint8 {
	if m.ymode == predB {
		return [4]uint8{m.bmodes[3], m.bmodes[7], m.bmodes[11], m.bmodes[15]}
	}
	b := impliedBMode[m.ymode]
	return [4]uint8{b, b, b, b}
}

// nzEdges computes the non-zero context flags a coded macroblock leaves
// for its neighbours. A B_PRED macroblock has no Y2 block and passes the
// Y2 flags through.
func nzEdges(m *mbInfo, lv *mbLevels, topNZ, leftNZ uint16) (bottom, right uint16) {
	nz := func(b int) uint16 {
		for _, v := range lv[b] {
			if v != 0 {
				return 1
			}
		}
		return 0
	}
	for i := 0; i < 4; i++ {
		bottom |= nz(12+i) << i
		right |= nz(4*i+3) << i
	}
	for i := 0; i < 2; i++ {
		bottom |= nz(blkU+2+i) << (4 + i)
		right |= nz(blkU+2*i+1) << (4 + i)
		bottom |= nz(blkV+2+i) << (6 + i)
		right |= nz(blkV+2*i+1) << (6 + i)
	}
	if m.ymode == predB {
		bottom |= topNZ & 0x100
		right |= leftNZ & 0x100
	} else {
		y2 := nz(blkY2)
		bottom |= y2 << 8
		right |= y2 << 8
	}
	return bottom, right
}

// defaultWorkers is the number of goroutines used when Options.Workers is 0.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
