package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// mapState is a Map state: its body runs the item processor once per
// item.
type mapState struct {
	next string
	// processor is ItemProcessor (or the legacy Iterator).
	processor   *Definition
	distributed bool
	// Items: reader, Items (JSONata) or ItemsPath (JSONPath); then the
	// batcher.
	reader, itemsField, batcher, writer json.RawMessage
	itemsPath                           string
	// The item selector: ItemSelector, or the legacy Parameters.
	selector                                     valueField
	legacy                                       *tmpl
	maxConcurrency, toleratedCount, toleratedPct intField
}

// intField is an integer field of a Map: a literal or JSONata value, or
// its Path form.
type intField struct {
	raw  json.RawMessage
	path string
}

func newMapState(st *State) *mapState {
	k := &mapState{next: st.Next, processor: st.ItemProcessor,
		reader: st.ItemReader, itemsField: st.Items, batcher: st.ItemBatcher, writer: st.ResultWriter, itemsPath: st.ItemsPath,
		selector: valueField{name: "ItemSelector", raw: st.ItemSelector, t: st.itemSel}, legacy: st.params,
		maxConcurrency: intField{st.MaxConcurrency, st.MaxConcurrencyPath},
		toleratedCount: intField{st.ToleratedFailureCount, st.ToleratedFailureCountPath},
		toleratedPct:   intField{st.ToleratedFailurePercentage, st.ToleratedFailurePercentagePath}}
	k.distributed = k.processor != nil && k.processor.ProcessorConfig != nil && k.processor.ProcessorConfig.Mode == "DISTRIBUTED"
	return k
}

func (k *mapState) exec(ctx context.Context, f *frame, rt *runtimeCtx, in any) (outcome, error) {
	v, err := k.run(ctx, f, rt, in)
	return outcome{result: v, next: k.next}, err
}

// run runs the item processor once per item: items, batching,
// concurrency and tolerance are read first, then the iterations run
// (each with its item selector) and the outcome is recorded.
func (k *mapState) run(ctx context.Context, f *frame, rt *runtimeCtx, input any) (any, error) {
	if k.processor == nil {
		return nil, newErr(ErrRuntime, rt.stateCause("Map state has no ItemProcessor"))
	}
	if k.distributed {
		return k.runDistributed(ctx, f, rt, input)
	}
	items, err := k.itemList(ctx, f, rt, input)
	if err != nil {
		return nil, err
	}
	if len(k.batcher) > 0 {
		if items, err = k.batch(rt, items, input); err != nil {
			return nil, f.mapFail(rt, err)
		}
	}
	maxConc, err := k.concurrency(rt, input)
	if err != nil {
		return nil, err
	}
	if err := f.emit("MapStateStarted", map[string]any{"length": len(items)}); err != nil {
		return nil, err
	}
	tol, err := k.tolerance(rt, input)
	if err != nil {
		return nil, err
	}
	m := &mapRun{k: k, f: f, rt: rt, input: input, items: items, tol: tol, out: make([]any, len(items))}
	// With one iteration at a time AWS chains each MapIterationStarted to
	// the last state event of the previous iteration.
	m.sequential = f.ex.eng.cfg.Sequential || maxConc == 1
	return m.run(ctx, int(maxConc))
}

// itemList reads the items: from the ItemReader, or as the processor
// selects them (the JSONata Items field, the JSONPath ItemsPath).
func (k *mapState) itemList(ctx context.Context, f *frame, rt *runtimeCtx, input any) ([]any, error) {
	if len(k.reader) == 0 {
		return rt.st.proc.items(rt, k, input)
	}
	if !f.waitTurn() {
		return nil, ctx.Err()
	}
	items, err := k.readItems(ctx, f, rt, input)
	if err != nil {
		return nil, f.mapFail(rt, err)
	}
	return items, nil
}

// concurrency reads MaxConcurrency (0: no limit but the engine's).
func (k *mapState) concurrency(rt *runtimeCtx, input any) (int64, error) {
	n, _, err := mapIntParam(rt, k.maxConcurrency.raw, k.maxConcurrency.path, "MaxConcurrency", input)
	return n, err
}

// tolerance is a Map's ToleratedFailureCount and ToleratedFailurePercentage
// (in thousandths of a percent); has* is false for an absent field.
type tolerance struct {
	count, pct       int64
	hasCount, hasPct bool
}

// tolerance reads and checks the tolerated failure fields.
func (k *mapState) tolerance(rt *runtimeCtx, input any) (tolerance, error) {
	var t tolerance
	var err error
	t.count, t.hasCount, err = mapIntParam(rt, k.toleratedCount.raw, k.toleratedCount.path, "ToleratedFailureCount", input)
	if err != nil {
		return t, err
	}
	if t.hasCount && t.count < 0 {
		return t, newErr(ErrRuntime, rt.stateCause("ToleratedFailureCount cannot be negative."))
	}
	t.pct, t.hasPct, err = mapIntParam(rt, k.toleratedPct.raw, k.toleratedPct.path, "ToleratedFailurePercentage", input)
	if err != nil {
		return t, err
	}
	if t.hasPct && (t.pct < 0 || t.pct > 100000) {
		return t, newErr(ErrRuntime, rt.stateCause("ToleratedFailurePercentage must be between 0 and 100."))
	}
	return t, nil
}

// tolerates reports whether failures out of n items stay within the
// tolerance.
func (t tolerance) tolerates(failures, n int) bool {
	if t.hasCount && int64(failures) <= t.count {
		return true
	}
	return t.hasPct && n > 0 && int64(failures)*100000 <= t.pct*int64(n)
}

// mapRun is one attempt's run of a Map's iterations.
type mapRun struct {
	k          *mapState
	f          *frame
	rt         *runtimeCtx
	input      any
	items      []any
	tol        tolerance
	sequential bool
	// iterPrev is the last event of the previous iteration (sequential);
	// the first chains to the Map's last event.
	iterPrev int64
	out      []any
	mu       sync.Mutex
	failures int
}

// run runs the iterations and records the Map's outcome.
func (m *mapRun) run(ctx context.Context, maxConc int) (any, error) {
	f := m.f
	m.iterPrev = f.prev
	err := f.fanOut(ctx, len(m.items), maxConc, f.replaying, m.iterate)
	f.afterFanOut()
	if err != nil {
		return nil, m.failed(ctx, err)
	}
	if _, err := f.emitDetached(f.hist.lastID(), "MapStateSucceeded", nil); err != nil {
		return nil, err
	}
	return m.out, nil
}

// failed records the failure of the iterations and returns the Map's
// error.
func (m *mapRun) failed(ctx context.Context, err error) error {
	f := m.f
	if m.sequential {
		// The failure chains to the failed iteration's last state event.
		f.prev, f.fuzzy = m.iterPrev, false
	}
	if ctx.Err() != nil || errors.Is(err, errReplayAborted) {
		return err
	}
	se := asStatesError(err)
	if se.Name == ErrRuntime {
		return se
	}
	return f.mapFail(m.rt, se)
}

// iterate runs iteration i in its own frame; p parks it in a replayed
// fan-out.
func (m *mapRun) iterate(ctx context.Context, i int, p *parker) error {
	f, st := m.f, m.rt.st
	start := f.prev
	if m.sequential {
		start = m.iterPrev
	}
	child := f.child(m.k.processor, start, p)
	child.mapItem = map[string]any{"Index": json.Number(itoa(i)), "Value": m.items[i]}
	defer func() {
		if m.sequential {
			m.iterPrev = child.prev
		}
	}()
	itemIn, err := m.selectItem(child, i)
	if err != nil {
		return err
	}
	d := map[string]any{"index": i, "name": st.Name}
	if err := child.emit("MapIterationStarted", d); err != nil {
		return err
	}
	v, err := child.run(ctx, itemIn)
	if err != nil {
		return m.iterationFailed(ctx, child, i, d, err)
	}
	m.out[i] = v
	_, err = child.emitDetached(child.prev, "MapIterationSucceeded", d)
	return err
}

// selectItem is the input of iteration i: ItemSelector (or the legacy
// Parameters) evaluated in the iteration's context, or the item itself.
func (m *mapRun) selectItem(child *frame, i int) (any, error) {
	rt, k := m.rt, m.k
	irt := &runtimeCtx{f: child, st: rt.st, enteredID: rt.enteredID, enteredTime: rt.enteredTime, rand: rt.rand}
	switch {
	case len(k.selector.raw) > 0:
		return rt.st.proc.value(irt, k.selector, m.input)
	case k.legacy != nil:
		return k.legacy.eval(irt.scope(m.input), irt)
	}
	return m.items[i], nil
}

// iterationFailed records a failed or aborted iteration and decides
// whether the Map tolerates it.
func (m *mapRun) iterationFailed(ctx context.Context, child *frame, i int, d map[string]any, err error) error {
	if ctx.Err() != nil || errors.Is(err, errReplayAborted) {
		_ = child.emit("MapIterationAborted", d)
		return err
	}
	_, _ = child.emitDetached(child.prev, "MapIterationFailed", d)
	m.mu.Lock()
	m.failures++
	ok := m.tol.tolerates(m.failures, len(m.items))
	m.mu.Unlock()
	if ok {
		se := asStatesError(err)
		m.out[i] = map[string]any{"Error": se.Name, "Cause": se.Cause}
		return nil
	}
	if m.tol.hasCount || m.tol.hasPct {
		return newErr(ErrExceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
	}
	return err
}

// mapIntParam evaluates MaxConcurrency / ToleratedFailureCount style
// integer fields in their literal, Path and JSONata forms.
func mapIntParam(rt *runtimeCtx, raw json.RawMessage, path, field string, input any) (int64, bool, error) {
	if len(raw) > 0 {
		v, err := decodeJSON(raw)
		if err != nil {
			return 0, false, err
		}
		if s, ok := v.(string); ok {
			if expr, ok := isJSONataExpr(s); ok {
				env := rt.jsonata(input, nil)
				v, err = env.evalExpr(expr, field)
				if err != nil {
					return 0, false, err
				}
			}
		}
		if fl, isNum := numFloat(v); isNum && field == "ToleratedFailurePercentage" {
			// Thousandths of a percent, as the Path form below.
			return int64(fl * 1000), true, nil
		}
		n, ok := numInt(v)
		if !ok {
			return 0, false, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("The %s field must be an integer, but was %s", field, encodeJSON(v))))
		}
		return n, true, nil
	}
	if path == "" {
		return 0, false, nil
	}
	v, err := evalDynamic(path, field+"Path", rt.scope(input), rt)
	if err != nil {
		return 0, false, err
	}
	if field == "ToleratedFailurePercentage" {
		if fl, ok := numFloat(v); ok {
			return int64(fl * 1000), true, nil
		}
	}
	if s, isStr := v.(string); isStr {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			v = json.Number(s)
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && field == "ToleratedFailurePercentage" {
			return int64(f * 1000), true, nil
		}
	}
	n, ok := numInt(v)
	if !ok {
		return 0, false, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf(
			"The %sPath field refers to value \"%s\" which is not a valid integer: %s", field, stringOrJSON(v), path)))
	}
	return n, true, nil
}

// mapFail fails the Map attempt with err; the lifecycle records the
// MapStateFailed event once the state stops retrying.
func (f *frame) mapFail(rt *runtimeCtx, err error) error {
	rt.failedEvent = "MapStateFailed"
	return asStatesError(err)
}

func (rt *runtimeCtx) qerrNoLoc(msg string) *StatesError {
	e := newErr(ErrQueryEvaluationError, rt.stateCause(msg))
	e.evalFailed, e.state = true, rt.st
	return e
}
