package hevc

// Parallel decoding of the substreams of a slice segment (9.3.1, 9.3.2.4):
// with entropy_coding_sync_enabled_flag (WPP) each CTB row of a tile is a
// substream, with tiles each tile is one, and the slice header gives the
// byte offset of each (entry points, 7.4.7.1).
//
// A substream's CABAC contexts start initialised, or for a WPP row from
// the contexts saved after the second CTU of the row above; its CTUs read
// the samples, modes and parameters of CTUs to the left, above-left,
// above and above-right. So CTU (x, y) may be decoded once CTU (x+1, y-1)
// of the same tile is (the last CTU of the row above at the tile's right
// edge), and tiles do not depend on each other. Each substream publishes
// how many CTUs it has decoded; the worker of the row below waits for it
// on a condition variable. Substreams are handed out in order, so the
// lowest one still running never waits for an unfinished one.
//
// The result does not depend on the number of workers: each substream is
// decoded exactly as the sequential decoder would decode it, provided it
// starts where the one before ended. That is checked when a substream
// ends (end_of_subset_one_bit at the next entry point, the slice segment
// ending in the last substream); when it does not hold the segment is
// decoded again one substream after another, ignoring the entry points,
// as decodeSliceSegment always did. Errors are reported for the first
// substream in decoding order that failed, which is the error the
// sequential decoder meets first.
//
// The plan covers any segment: one starting in the middle of a CTB row
// (slices starting mid-row) has a partial first row, and the row below
// waits only for the CTUs of that partial row (those to its left belong
// to an earlier segment, already decoded); a dependent segment's first
// CTU takes its contexts as in sequential decoding (from the previous
// segment's stored state).

import (
	"context"
	"errors"
	"sync"
)

// errWaitAborted ends a substream whose wavefront stopped (a substream it
// depends on failed, or the context was cancelled). It is never returned
// to callers: the failure that caused it is.
var errWaitAborted = errors.New("hevc: wavefront aborted")

// Substream states.
const (
	subRunning  = iota // handed out (or not yet), not finished
	subOK              // ended where the entry points say
	subFailed          // ended with an error
	subMismatch        // ended elsewhere than the entry points say
	subAborted         // stopped by errWaitAborted
)

// wfSub is one substream of a slice segment.
type wfSub struct {
	ts    int // first CTB, in tile scan
	n     int // CTBs to the end of its row (WPP) or tile
	pos   int // first byte in the RBSP (entry point; clamped to the data)
	dep   int // substream holding the CTB row above in the same tile, or -1
	x0    int // column of the first CTB, relative to the tile
	tileW int // tile width in CTBs

	started int      // CTUs begun (written by its worker only)
	dec     *decoder // the worker's state after the last substream

	// Guarded by wavefront.mu.
	state  int
	err    error
	done   int // CTUs decoded
	wpp    [numCtx]uint8
	wppSet bool // wpp holds the contexts after the row's second CTU
}

// wavefront runs the substreams of one slice segment on several workers.
type wavefront struct {
	subs []*wfSub

	mu        sync.Mutex
	cond      sync.Cond
	next      int // next substream to hand out
	failed    int // lowest substream that did not end OK, or len(subs)
	cancelled bool
	waiting   int // workers blocked in cond.Wait
}

// wfRow is a worker's handle on the substream it decodes.
type wfRow struct {
	wf *wavefront
	k  int
}

// planSubstreams lays out the substreams of the slice segment starting at
// tile-scan address ts: one per entry point plus one. It returns nil when
// the entry points cannot describe the picture (more substreams than
// CTBs); the sequential decoder then reports what is wrong.
func (d *decoder) planSubstreams(sh *sliceHeader, ts int, rbsp []byte, epb []int) []*wfSub {
	s, p := d.sps, d.pps
	nCtb := s.picWCtb * s.picHCtb
	n := len(sh.entryOffsets) + 1
	if n > nCtb-ts {
		return nil
	}
	// Entry points count the bytes of the NAL unit payload, emulation
	// prevention bytes included: esc is the payload offset of the slice
	// data, and removed bytes before an entry point are subtracted.
	esc := sh.dataOffset
	for j, e := range epb {
		if e-j <= sh.dataOffset {
			esc++
		}
	}
	subs := make([]*wfSub, n)
	j := 0
	for k := range subs {
		if k > 0 {
			esc += sh.entryOffsets[k-1]
		}
		for j < len(epb) && epb[j] < esc {
			j++
		}
		if ts >= nCtb {
			return nil
		}
		rs := int(d.tsToRs[ts])
		x, y := rs%s.picWCtb, rs/s.picWCtb
		tc, tr := d.colTile[x], d.rowTile[y]
		tileW := d.colBd[tc+1] - d.colBd[tc]
		x0 := x - d.colBd[tc]
		sub := &wfSub{ts: ts, pos: min(esc-j, len(rbsp)), dep: -1, x0: x0, tileW: tileW}
		if p.entropySync {
			sub.n = tileW - x0
			if k > 0 && d.tileID[ts] == d.tileID[subs[k-1].ts] {
				sub.dep = k - 1
			}
		} else {
			sub.n = (d.rowBd[tr+1]-y-1)*tileW + tileW - x0
		}
		subs[k] = sub
		ts += sub.n
	}
	return subs
}

// decodeParallel decodes the planned substreams with up to d.workers
// goroutines. done is false when a substream did not end where the entry
// points say (nothing is reported then: the caller decodes the segment
// again sequentially after undecode).
func (d *decoder) decodeParallel(ctx context.Context, rbsp []byte, subs []*wfSub) (done bool, err error) {
	wf := &wavefront{subs: subs, failed: len(subs)}
	wf.cond.L = &wf.mu
	stop := context.AfterFunc(ctx, wf.cancel)
	defer stop()
	var wg sync.WaitGroup
	for range min(d.workers, len(subs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wf.work(ctx, d, rbsp)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return true, err
	}
	for _, sub := range subs {
		switch sub.state {
		case subOK:
		case subFailed:
			return true, sub.err
		default:
			return false, nil
		}
	}
	// Carry the state at the end of the segment on, as if the substreams
	// had been decoded in order: the last one's, and the WPP contexts
	// stored last.
	wpp := d.ctxWpp
	for k := len(subs) - 1; k >= 0; k-- {
		if subs[k].wppSet {
			wpp = subs[k].wpp
			break
		}
	}
	*d = *subs[len(subs)-1].dec
	d.ctxWpp = wpp
	return true, nil
}

// work decodes substreams, taking the next one in order each time, until
// none is left or one before it failed. Each substream starts from a copy
// of d (the decoder at the start of the segment: picture, maps and
// parameters are shared, decoding state is the worker's own).
func (wf *wavefront) work(ctx context.Context, d *decoder, rbsp []byte) {
	w := new(decoder)
	last := len(wf.subs) - 1
	for {
		wf.mu.Lock()
		k := wf.next
		if k > last || k > wf.failed || wf.cancelled {
			wf.mu.Unlock()
			return
		}
		wf.next++
		wf.mu.Unlock()

		sub := wf.subs[k]
		*w = *d
		w.cab = cabac{data: rbsp}
		w.cab.start(sub.pos)
		_, end, err := w.decodeSubstream(ctx, sub.ts, k == 0, &wfRow{wf: wf, k: k})
		state := subOK
		switch {
		case errors.Is(err, errWaitAborted):
			state = subAborted
		case err != nil:
			state = subFailed
		case end != (k == last):
			state = subMismatch
		case !end && w.cab.pos != wf.subs[k+1].pos:
			state = subMismatch
		}
		if state == subOK && k == last {
			sub.dec = w
			w = new(decoder)
		}
		wf.finish(k, state, err)
	}
}

// finish records how substream k ended and wakes the workers waiting.
func (wf *wavefront) finish(k, state int, err error) {
	wf.mu.Lock()
	defer wf.mu.Unlock()
	sub := wf.subs[k]
	sub.state, sub.err = state, err
	if state != subOK && k < wf.failed {
		wf.failed = k
	}
	wf.cond.Broadcast()
}

// cancel stops the wavefront when the context is cancelled.
func (wf *wavefront) cancel() {
	wf.mu.Lock()
	defer wf.mu.Unlock()
	wf.cancelled = true
	wf.cond.Broadcast()
}

// wait blocks until CTU i of the substream may be decoded: the CTU above
// and to the right of it (within the tile) is decoded. Before the first
// CTU it also gives w the WPP contexts stored by the row above.
func (r *wfRow) wait(w *decoder, i int) error {
	wf := r.wf
	sub := wf.subs[r.k]
	sub.started = i + 1
	if sub.dep < 0 {
		return nil
	}
	dep := wf.subs[sub.dep]
	need := min(sub.x0+i+1, sub.tileW-1) - dep.x0 + 1
	if need <= 0 && i > 0 {
		return nil
	}
	wf.mu.Lock()
	defer wf.mu.Unlock()
	for dep.done < need && dep.state == subRunning && !wf.cancelled {
		wf.waiting++
		wf.cond.Wait()
		wf.waiting--
	}
	if wf.cancelled || dep.done < need {
		return errWaitAborted
	}
	if i == 0 && dep.wppSet {
		w.ctxWpp = dep.wpp
	}
	return nil
}

// advance publishes that CTU i of the substream is decoded; wppSave says
// it was the row's second CTU, after which w.ctxWpp holds the contexts
// the row below starts from.
func (r *wfRow) advance(w *decoder, i int, wppSave bool) {
	wf := r.wf
	sub := wf.subs[r.k]
	wf.mu.Lock()
	defer wf.mu.Unlock()
	sub.done = i + 1
	if wppSave {
		sub.wpp, sub.wppSet = w.ctxWpp, true
	}
	if wf.waiting > 0 {
		wf.cond.Broadcast()
	}
}

// undecode forgets the CTUs the substreams began, so that the segment can
// be decoded again: they are marked undecoded, and the maps that decoding
// only ever sets (SAO parameters aside, which are rewritten) are cleared.
func (d *decoder) undecode(subs []*wfSub) {
	s := d.sps
	for _, sub := range subs {
		for ts := sub.ts; ts < sub.ts+sub.started; ts++ {
			rs := int(d.tsToRs[ts])
			d.ctbSlice[rs] = -1
			d.sao[rs] = saoCtb{}
			x0, y0 := rs%s.picWCtb<<s.log2Ctb, rs/s.picWCtb<<s.log2Ctb
			w, h := min(s.ctbSize, s.width-x0), min(s.ctbSize, s.height-y0)
			d.fill4(d.noFilter, x0, y0, w, h, 0)
			d.fill4(d.edgeV, x0, y0, w, h, 0)
			d.fill4(d.edgeH, x0, y0, w, h, 0)
		}
	}
}
