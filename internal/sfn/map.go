package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// runMap runs the item processor once per item: items, batching,
// concurrency and tolerance are read first, then the iterations run
// (each with its item selector) and the outcome is recorded.
func (f *frame) runMap(ctx context.Context, rt *runtimeCtx, input any) (any, error) {
	st := rt.st
	if st.ItemProcessor == nil {
		return nil, newErr(ErrRuntime, rt.stateCause("Map state has no ItemProcessor"))
	}
	items, err := f.mapItems(ctx, rt, input)
	if err != nil {
		return nil, err
	}
	if len(st.ItemBatcher) > 0 {
		if items, err = batchItems(rt, st.ItemBatcher, items, input); err != nil {
			return nil, f.mapFail(rt, err)
		}
	}
	maxConc, _, err := mapIntParam(rt, st.MaxConcurrency, st.MaxConcurrencyPath, "MaxConcurrency", input)
	if err != nil {
		return nil, err
	}
	if err := f.emit("MapStateStarted", map[string]any{"length": len(items)}); err != nil {
		return nil, err
	}
	tol, err := mapTolerance(rt, input)
	if err != nil {
		return nil, err
	}
	m := &mapRun{f: f, rt: rt, input: input, items: items, tol: tol, out: make([]any, len(items)),
		distributed: st.ItemProcessor.ProcessorConfig != nil && st.ItemProcessor.ProcessorConfig.Mode == "DISTRIBUTED"}
	// With one iteration at a time AWS chains each MapIterationStarted to
	// the last state event of the previous iteration.
	m.sequential = f.ex.eng.cfg.Sequential || maxConc == 1
	return m.run(ctx, int(maxConc))
}

// mapItems reads the items: from the ItemReader, the JSONata Items field
// or the ItemsPath selection of the input.
func (f *frame) mapItems(ctx context.Context, rt *runtimeCtx, input any) ([]any, error) {
	st := rt.st
	switch {
	case len(st.ItemReader) > 0:
		if !f.waitTurn() {
			return nil, ctx.Err()
		}
		items, err := f.readItems(ctx, rt, input)
		if err != nil {
			return nil, f.mapFail(rt, err)
		}
		return items, nil
	case st.ql == JSONata:
		v, err := jsonataItems(rt, input)
		if err != nil {
			return nil, f.mapFail(rt, err)
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, f.mapFail(rt, rt.qerrNoLoc(fmt.Sprintf("Map state input must be an array but was: %s", encodeJSON(v))))
		}
		return arr, nil
	}
	v := input
	if st.ItemsPath != "" && st.ItemsPath != "$" {
		p, err := parsePath(st.ItemsPath)
		if err != nil {
			return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s'", st.ItemsPath)))
		}
		v, err = p.eval(rt.scope(input))
		if err != nil {
			return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Invalid path '%s' : %v", st.ItemsPath, err)))
		}
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, newErr(ErrRuntime, rt.stateCause(fmt.Sprintf("Map state input must be an array but was: %s", encodeJSON(v))))
	}
	return arr, nil
}

// jsonataItems evaluates a JSONata Map's Items field (the input without
// one).
func jsonataItems(rt *runtimeCtx, input any) (any, error) {
	if len(rt.st.Items) == 0 {
		return input, nil
	}
	env := rt.jsonata(input, nil)
	raw, _ := decodeJSON(rt.st.Items)
	s, isStr := raw.(string)
	if !isStr {
		return env.evalValue(raw, "Items")
	}
	expr, ok := isJSONataExpr(s)
	if !ok {
		return raw, nil
	}
	x, err := env.eval(expr)
	if err != nil {
		if _, undef := err.(undefinedError); undef {
			return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned nothing (undefined).", expr))
		}
		return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' threw an error during evaluation. %s", expr, jsonataErrText(err)))
	}
	y, ok := fromJSONata(x)
	if !ok {
		return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unsupported result type.", expr))
	}
	if _, isArr := y.([]any); !isArr {
		return nil, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", expr, typeName(y), encodeJSON(y)))
	}
	return y, nil
}

// tolerance is a Map's ToleratedFailureCount and ToleratedFailurePercentage
// (in thousandths of a percent); has* is false for an absent field.
type tolerance struct {
	count, pct       int64
	hasCount, hasPct bool
}

// mapTolerance reads and checks the tolerated failure fields.
func mapTolerance(rt *runtimeCtx, input any) (tolerance, error) {
	st := rt.st
	var t tolerance
	var err error
	t.count, t.hasCount, err = mapIntParam(rt, st.ToleratedFailureCount, st.ToleratedFailureCountPath, "ToleratedFailureCount", input)
	if err != nil {
		return t, err
	}
	if t.hasCount && t.count < 0 {
		return t, newErr(ErrRuntime, rt.stateCause("ToleratedFailureCount cannot be negative."))
	}
	t.pct, t.hasPct, err = mapIntParam(rt, st.ToleratedFailurePercentage, st.ToleratedFailurePercentagePath, "ToleratedFailurePercentage", input)
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
	f           *frame
	rt          *runtimeCtx
	input       any
	items       []any
	tol         tolerance
	distributed bool
	sequential  bool
	// iterPrev is the last event of the previous iteration (sequential);
	// the first chains to the Map's last event.
	iterPrev int64
	out      []any
	mu       sync.Mutex
	failures int
}

// run runs the iterations and records the Map's outcome.
func (m *mapRun) run(ctx context.Context, maxConc int) (any, error) {
	f, st := m.f, m.rt.st
	if m.distributed {
		cfg := f.ex.eng.cfg
		mapRunARN := fmt.Sprintf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", cfg.Region, cfg.AccountID, f.ex.opts.StateMachineName, st.Name, cfg.NewUUID())
		if err := f.emit("MapRunStarted", map[string]any{"mapRunArn": mapRunARN}); err != nil {
			return nil, err
		}
		if f.replaying && !f.waitTurn() {
			// The iterations of a distributed Map are not recorded: they
			// all run again, once the enclosing fan-out's replay is done.
			return nil, ctx.Err()
		}
	}
	m.iterPrev = f.prev
	err := f.fanOut(ctx, len(m.items), maxConc, f.replaying && !m.distributed, m.iterate)
	f.afterFanOut()
	if err != nil {
		return nil, m.failed(ctx, err)
	}
	if m.distributed {
		if err := f.emit("MapRunSucceeded", nil); err != nil {
			return nil, err
		}
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
	if m.sequential && !m.distributed {
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
	if m.distributed {
		_ = f.emit("MapRunFailed", nil)
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
	child := f.child(st.ItemProcessor, start, p)
	child.mapItem = map[string]any{"Index": json.Number(itoa(i)), "Value": m.items[i]}
	if m.distributed {
		child.hist = &history{clock: f.ex.eng.cfg.Clock}
		child.replaying = false
	}
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
	if !m.distributed {
		if err := child.emit("MapIterationStarted", d); err != nil {
			return err
		}
	}
	v, err := child.run(ctx, itemIn)
	if err != nil {
		return m.iterationFailed(ctx, child, i, d, err)
	}
	m.out[i] = v
	if !m.distributed {
		_, err := child.emitDetached(child.prev, "MapIterationSucceeded", d)
		return err
	}
	return nil
}

// selectItem is the input of iteration i: ItemSelector (or the legacy
// Parameters) evaluated in the iteration's context, or the item itself.
func (m *mapRun) selectItem(child *frame, i int) (any, error) {
	rt, st := m.rt, m.rt.st
	irt := &runtimeCtx{f: child, st: st, enteredID: rt.enteredID, enteredTime: rt.enteredTime, rand: rt.rand}
	switch {
	case st.ql == JSONata && len(st.ItemSelector) > 0:
		return irt.jsonata(m.input, nil).evalRaw(st.ItemSelector, "ItemSelector")
	case st.itemSel != nil:
		return st.itemSel.eval(irt.scope(m.input), irt)
	case st.params != nil:
		return st.params.eval(irt.scope(m.input), irt)
	}
	return m.items[i], nil
}

// iterationFailed records a failed or aborted iteration and decides
// whether the Map tolerates it.
func (m *mapRun) iterationFailed(ctx context.Context, child *frame, i int, d map[string]any, err error) error {
	if ctx.Err() != nil || errors.Is(err, errReplayAborted) {
		if !m.distributed {
			_ = child.emit("MapIterationAborted", d)
		}
		return err
	}
	if !m.distributed {
		_, _ = child.emitDetached(child.prev, "MapIterationFailed", d)
	}
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
