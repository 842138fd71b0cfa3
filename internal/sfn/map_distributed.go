package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/imgflow/imgflow/internal/arn"
)

// A Distributed Map runs each item (or batch) as a child execution of its
// own, as AWS does: the items are streamed from their source to a
// dispatcher that keeps at most MaxConcurrency children running, and each
// finished child is counted in the Map Run and, with a ResultWriter,
// streamed to the result files. Nothing holds the whole item list, and
// with a ResultWriter nothing holds the results either.

// errMapRunFailed is the cause the dispatcher cancels running children
// with once the Map Run has failed: they end ABORTED.
var errMapRunFailed = &abortCause{cause: "The Map Run failed."}

// distSource opens the items of a Distributed Map, batched when it has
// an ItemBatcher. length is what MapStateStarted reports: the number of
// items (or batches) when they come from the state input; a streamed
// ItemReader's count is not known before it is read, and it reports 0.
func (k *mapState) distSource(ctx context.Context, f *frame, rt *runtimeCtx, input any) (src itemSource, length int, err error) {
	if len(k.reader) > 0 {
		if !f.waitTurn() {
			return nil, 0, ctx.Err()
		}
		if src, err = k.openReader(ctx, f, rt, input); err != nil {
			return nil, 0, f.mapFail(rt, err)
		}
	} else {
		items, err := rt.st.proc.items(rt, k, input)
		if err != nil {
			return nil, 0, err
		}
		src, length = &sliceSource{items: items}, len(items)
	}
	b, err := k.newBatcher(rt, input)
	if err != nil {
		src.close()
		return nil, 0, f.mapFail(rt, err)
	}
	if b == nil {
		return src, length, nil
	}
	if k.hasSelector() {
		src = &selectSource{src: src, sel: func(i int, v any) (any, error) { return k.selectItem(f, rt, input, i, v) }}
	}
	if _, ok := src.(*readerSource); !ok && len(k.reader) == 0 {
		// Items in memory are batched up front, for MapStateStarted's
		// length.
		var items []any
		for {
			v, ok, err := src.next(ctx)
			if err != nil {
				return nil, 0, unwrapSelect(err)
			}
			if !ok {
				break
			}
			items = append(items, v)
		}
		batches, _ := k.batch(rt, items, input)
		return &sliceSource{items: batches}, len(batches), nil
	}
	return &batchSource{src: src, b: b}, 0, nil
}

// unwrapSelect returns an ItemSelector's error as it is.
func unwrapSelect(err error) error {
	var se *selectError
	if errors.As(err, &se) {
		return se.err
	}
	return err
}

// runDistributed runs a Distributed Map: MapStateStarted, MapRunStarted,
// the child executions, then MapRunSucceeded or MapRunFailed.
func (k *mapState) runDistributed(ctx context.Context, f *frame, rt *runtimeCtx, input any) (any, error) {
	src, length, err := k.distSource(ctx, f, rt, input)
	if err != nil {
		return nil, err
	}
	defer src.close()
	maxConc, err := k.concurrency(rt, input)
	if err != nil {
		return nil, err
	}
	if err := f.emit("MapStateStarted", map[string]any{"length": length}); err != nil {
		return nil, err
	}
	tol, err := k.tolerance(rt, input)
	if err != nil {
		return nil, err
	}
	w, err := k.resultWriterSpec(f, rt, input)
	if err != nil {
		return nil, f.mapFail(rt, err)
	}
	run, err := k.startMapRun(f, rt, maxConc, tol)
	if err != nil {
		return nil, err
	}
	if f.replaying && !f.waitTurn() {
		// The children are not in the parent's history: once the
		// enclosing fan-out's replay is done, they all run again.
		return nil, ctx.Err()
	}
	d := &dispatcher{k: k, f: f, rt: rt, input: input, run: run, src: src, out: []any{}, count: readerCount(src)}
	if _, ok := src.(*sliceSource); ok {
		d.setTotals(length, src)
	}
	if w != nil {
		if d.writer, err = w.open(ctx, run.info.ARN); err != nil {
			return nil, d.end(ctx, f.mapFail(rt, err))
		}
	}
	out, err := d.dispatch(ctx)
	return out, d.end(ctx, err)
}

// startMapRun records MapRunStarted and registers the Map Run. A resumed
// execution keeps the Map Run ARN it recorded.
func (k *mapState) startMapRun(f *frame, rt *runtimeCtx, maxConc int64, tol tolerance) (*MapRun, error) {
	cfg := &f.ex.eng.cfg
	label := rt.st.Label
	if label == "" {
		label = rt.st.Name
	}
	runARN := arn.MapRun(cfg.Region, cfg.AccountID, f.ex.opts.StateMachineName, label, cfg.NewUUID())
	ev, replayed, err := f.emitEvent("MapRunStarted", map[string]any{"mapRunArn": runARN})
	if err != nil {
		return nil, err
	}
	if s, ok := ev.Details["mapRunArn"].(string); replayed && ok {
		runARN = s
	}
	execType := k.processor.ProcessorConfig.ExecutionType
	if execType == "" {
		execType = "STANDARD"
	}
	run := newMapRun(MapRunInfo{
		ARN: runARN, ExecutionARN: f.ex.arn, ExecutionType: execType,
		StateMachineARN: f.ex.opts.StateMachineARN + "/" + label,
		StartDate:       cfg.Clock.Now(), MaxConcurrency: maxConc,
	}, tol)
	run.label = label
	f.ex.eng.addMapRun(run)
	if cfg.OnMapRun != nil {
		cfg.OnMapRun(run.Info())
	}
	return run, nil
}

// dispatcher runs one Map Run's children.
type dispatcher struct {
	k     *mapState
	f     *frame
	rt    *runtimeCtx
	input any
	run   *MapRun
	src   itemSource
	// writer streams the results (nil without a ResultWriter).
	writer *resultWriter
	// count counts a streamed reader's items ahead (nil: it cannot).
	count func(ctx context.Context) (int64, error)

	mu sync.Mutex
	// out are the children's outputs in item order, without a
	// ResultWriter; outBytes is their size, overflow set once they
	// exceed the payload limit and are no longer kept.
	out      []any
	outBytes int
	overflow bool
	// failure is the Map Run's error, once it failed.
	failure error
}

// setTotals fixes the counts of items known up front.
func (d *dispatcher) setTotals(units int, src itemSource) {
	items := int64(units)
	if ss := src.(*sliceSource); len(d.k.batcher) > 0 {
		items = 0
		for _, b := range ss.items {
			if m, ok := b.(map[string]any); ok {
				arr, _ := m["Items"].([]any)
				items += int64(len(arr))
			}
		}
	}
	r := d.run
	r.mu.Lock()
	r.info.ItemCounts.Total, r.info.ItemCounts.Pending = items, items
	r.info.ExecutionCounts.Total, r.info.ExecutionCounts.Pending = int64(units), int64(units)
	r.itemsKnown, r.execsKnown = true, true
	r.mu.Unlock()
}

// dispatch starts a child for each unit the source yields, at most
// MaxConcurrency at a time, and waits for them. It stops starting
// children once the Map Run has failed.
func (d *dispatcher) dispatch(ctx context.Context) (any, error) {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	stopCount := d.countAhead(cctx, &wg)
	exhausted := false
	for i := 0; ; i++ {
		if !d.acquire(cctx) {
			break
		}
		v, ok, err := d.src.next(cctx)
		if err != nil || !ok {
			d.release()
			var se *selectError
			switch {
			case err == nil || cctx.Err() != nil:
			case errors.As(err, &se):
				d.fail(se.err)
			default:
				d.fail(newErr(ErrItemReaderFailed, d.rt.stateCause(asStatesError(err).Error())))
			}
			exhausted = err == nil
			break
		}
		n := d.unitItems(v)
		d.run.started(n)
		if d.writer == nil {
			d.mu.Lock()
			d.out = append(d.out, nil)
			d.mu.Unlock()
		}
		wg.Add(1)
		go func(i int, v any) {
			defer wg.Done()
			defer d.release()
			d.child(cctx, cancel, i, v, n)
		}(i, v)
	}
	stopCount()
	if exhausted {
		d.run.readDone()
	}
	if d.run.exceededNow() {
		d.fail(toleranceErr())
	}
	if d.failed() {
		cancel(errMapRunFailed)
	}
	wg.Wait()
	return d.result(ctx)
}

// countAhead counts a streamed reader's items beside the reading (when
// its integration is an ItemCounter), so that the Map Run's totals and
// pending counts are right early; the returned func stops it and waits.
func (d *dispatcher) countAhead(ctx context.Context, wg *sync.WaitGroup) (stop func()) {
	if d.count == nil {
		return func() {}
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		if n, err := d.count(cctx); err == nil {
			d.run.counted(n)
		}
	}()
	return func() { cancel(); <-done }
}

// unitItems is the number of items in a unit: a batch's, or 1.
func (d *dispatcher) unitItems(v any) int64 {
	if len(d.k.batcher) == 0 {
		return 1
	}
	if m, ok := v.(map[string]any); ok {
		if arr, ok := m["Items"].([]any); ok {
			return int64(len(arr))
		}
	}
	return 1
}

// acquire waits for a free child slot; false once ctx is done or the Map
// Run failed.
func (d *dispatcher) acquire(ctx context.Context) bool {
	limit := int64(d.f.ex.eng.cfg.MaxDistributedConcurrency)
	for {
		if ctx.Err() != nil || d.failed() {
			return false
		}
		r := d.run
		r.mu.Lock()
		max := r.info.MaxConcurrency
		if max <= 0 || max > limit {
			max = limit
		}
		if r.slots < max {
			r.slots++
			r.mu.Unlock()
			return true
		}
		r.mu.Unlock()
		select {
		case <-r.kick:
		case <-ctx.Done():
		}
	}
}

// release frees a child slot.
func (d *dispatcher) release() {
	r := d.run
	r.mu.Lock()
	r.slots--
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// child runs unit i as a child execution and accounts for its end.
func (d *dispatcher) child(ctx context.Context, cancel context.CancelCauseFunc, i int, v any, n int64) {
	in, err := d.childInput(i, v)
	if err != nil {
		d.fail(err)
		cancel(errMapRunFailed)
		d.ended(i, nil, Result{Status: StatusFailed}, n)
		return
	}
	x, xctx := d.newChild(ctx, in)
	if cb := d.f.ex.eng.cfg.OnChildExecution; cb != nil {
		cb(x)
	}
	x.runChild(xctx)
	if err := d.ended(i, x, x.Result(), n); err != nil {
		d.fail(err)
		cancel(errMapRunFailed)
	}
}

// childInput is unit i's execution input: ItemSelector (or the legacy
// Parameters) evaluated with $$.Map.Item, or the unit itself. A batch's
// items were selected one by one before batching (selectSource).
func (d *dispatcher) childInput(i int, v any) (any, error) {
	if len(d.k.batcher) > 0 {
		return v, nil
	}
	return d.k.selectItem(d.f, d.rt, d.input, i, v)
}

// hasSelector reports an ItemSelector (or legacy Parameters).
func (k *mapState) hasSelector() bool { return len(k.selector.raw) > 0 || k.legacy != nil }

// selectItem is item i's ItemSelector (or legacy Parameters) value,
// evaluated with $$.Map.Item; v itself without a selector.
func (k *mapState) selectItem(f *frame, rt *runtimeCtx, input any, i int, v any) (any, error) {
	if !k.hasSelector() {
		return v, nil
	}
	child := f.child(k.processor, f.prev, nil)
	child.hist, child.replaying = &history{clock: f.ex.eng.cfg.Clock}, false
	child.mapItem = map[string]any{"Index": json.Number(itoa(i)), "Value": v}
	irt := &runtimeCtx{f: child, st: rt.st, enteredID: rt.enteredID, enteredTime: rt.enteredTime, rand: rt.rand}
	if len(k.selector.raw) > 0 {
		return rt.st.proc.value(irt, k.selector, input)
	}
	return k.legacy.eval(irt.scope(input), irt)
}

// selectSource applies the ItemSelector to each item before it is
// batched, as AWS does: a batch's Items are the selected items.
type selectSource struct {
	src itemSource
	sel func(i int, v any) (any, error)
	i   int
}

// selectError is an ItemSelector's failure, which is the Map's own (not
// the reader's).
type selectError struct{ err error }

func (e *selectError) Error() string { return e.err.Error() }
func (e *selectError) Unwrap() error { return e.err }

func (s *selectSource) next(ctx context.Context) (any, bool, error) {
	v, ok, err := s.src.next(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	out, err := s.sel(s.i, v)
	s.i++
	if err != nil {
		return nil, false, &selectError{err}
	}
	return out, true, nil
}

func (s *selectSource) close() error { return s.src.close() }

// newChild builds a child execution of the item processor and the
// context it runs in (its Stop cancels it). A STANDARD child is
// execution:<machine>/<label>:<uuid>; an EXPRESS one
// express:<machine>/<label>:<map run id>:<uuid>.
func (d *dispatcher) newChild(ctx context.Context, input any) (*Execution, context.Context) {
	e, parent := d.f.ex.eng, d.f.ex
	info := d.run.Info()
	name := e.cfg.NewUUID()
	opts := StartOptions{Name: name, StateMachineARN: info.StateMachineARN,
		StateMachineName: parent.opts.StateMachineName + "/" + d.run.label, RoleARN: parent.opts.RoleARN}
	x := e.newExecution(d.k.processor, nil, input, opts, nil)
	if info.ExecutionType == "EXPRESS" {
		x.arn = arn.ARN{Partition: "aws", Service: "states", Region: e.cfg.Region, Account: e.cfg.AccountID,
			Resource: "express:" + opts.StateMachineName + ":" + arn.Name(info.ARN) + ":" + name}.String()
		if cb := e.cfg.OnEvent; cb != nil {
			x.hist.onEvent = func(ev Event) { cb(x.arn, ev) }
		}
	}
	x.mapRunARN, x.parentARN = info.ARN, parent.arn
	xctx, cancel := context.WithCancelCause(ctx)
	x.cancel = cancel
	return x, xctx
}

// ended counts a finished child (x nil: it never started) and writes its
// result. It returns the Map Run's failure when the child's makes the
// failures exceed the tolerance.
func (d *dispatcher) ended(i int, x *Execution, res Result, n int64) error {
	r := d.run
	r.mu.Lock()
	r.info.ItemCounts.end(res.Status, n)
	r.info.ExecutionCounts.end(res.Status, 1)
	exceeded := res.Status != StatusSucceeded && r.exceeded()
	r.mu.Unlock()
	if x != nil {
		if err := d.keep(i, x, res, n); err != nil {
			return err
		}
	}
	if exceeded {
		return toleranceErr()
	}
	return nil
}

func toleranceErr() error {
	return newErr(ErrExceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
}

// keep writes a child's result to the ResultWriter, or keeps its output
// for the Map's.
func (d *dispatcher) keep(i int, x *Execution, res Result, n int64) error {
	if d.writer != nil {
		if err := d.writer.add(x, res); err != nil {
			return err
		}
		r := d.run
		r.mu.Lock()
		r.info.ItemCounts.ResultsWritten += n
		r.info.ExecutionCounts.ResultsWritten++
		r.mu.Unlock()
		return nil
	}
	var v any
	if res.Status == StatusSucceeded {
		v = x.outputValue()
	} else {
		v = map[string]any{"Error": res.Error, "Cause": res.Cause}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if limit := d.f.ex.eng.cfg.MaxPayloadBytes; limit > 0 && !d.overflow {
		d.outBytes += payloadSize(v)
		d.overflow = d.outBytes > limit
	}
	if !d.overflow {
		d.out[i] = v
	}
	return nil
}

// fail records the Map Run's first failure.
func (d *dispatcher) fail(err error) {
	d.mu.Lock()
	if d.failure == nil {
		d.failure = err
	}
	d.mu.Unlock()
}

func (d *dispatcher) failed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failure != nil
}

// result is the Map's output once every child has ended.
func (d *dispatcher) result(ctx context.Context) (any, error) {
	d.mu.Lock()
	failure, overflow := d.failure, d.overflow
	d.mu.Unlock()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if failure != nil {
		return nil, failure
	}
	if d.writer != nil {
		return d.writer.close()
	}
	if overflow {
		return nil, newErr(ErrDataLimitExceeded, "The state/task returned a result with a size exceeding the maximum number of bytes service limit.")
	}
	return d.out, nil
}

// end closes the Map Run: its status, MapRunSucceeded or MapRunFailed,
// and the Map's MapStateSucceeded; err is the run's outcome.
func (d *dispatcher) end(ctx context.Context, err error) error {
	f, r := d.f, d.run
	status := MapRunSucceeded
	var se *StatesError
	switch {
	case ctx.Err() != nil || errors.Is(err, errReplayAborted):
		status = MapRunAborted
	case err != nil:
		status, se = MapRunFailed, asStatesError(err)
	}
	if d.writer != nil && err != nil {
		d.writer.abort()
	}
	r.finish(status, se, f.ex.eng.cfg.Clock.Now())
	if cb := f.ex.eng.cfg.OnMapRun; cb != nil {
		cb(r.Info())
	}
	switch status {
	case MapRunAborted:
		return err
	case MapRunFailed:
		if se.Name == ErrRuntime {
			return se
		}
		_ = f.emit("MapRunFailed", map[string]any{"error": se.Name, "cause": se.Cause})
		return f.mapFail(d.rt, se)
	}
	if err := f.emit("MapRunSucceeded", nil); err != nil {
		return err
	}
	_, err = f.emitDetached(f.hist.lastID(), "MapStateSucceeded", nil)
	return err
}
