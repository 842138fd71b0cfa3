package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/imgflow/imgflow/internal/arn"
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
	reader, itemsField, batcher json.RawMessage
	itemsPath                   string
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
		reader: st.ItemReader, itemsField: st.Items, batcher: st.ItemBatcher, itemsPath: st.ItemsPath,
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
	m := &mapRun{k: k, f: f, rt: rt, input: input, items: items, tol: tol, out: make([]any, len(items)), distributed: k.distributed}
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
	k           *mapState
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
		mapRunARN := arn.MapRun(cfg.Region, cfg.AccountID, f.ex.opts.StateMachineName, st.Name, cfg.NewUUID())
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
	child := f.child(m.k.processor, start, p)
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
		n, ok := numInt(v)
		if !ok {
			if fl, isNum := numFloat(v); isNum && field == "ToleratedFailurePercentage" {
				return int64(fl * 1000), true, nil
			}
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

// readItems loads Map items through the ItemReader integration (for
// example an S3 adapter registered as "arn:aws:states:::s3:getObject").
// The integration receives the evaluated Parameters/Arguments plus the
// ReaderConfig and must return a JSON array.
func (k *mapState) readItems(ctx context.Context, f *frame, rt *runtimeCtx, input any) ([]any, error) {
	var reader struct {
		Resource     string          `json:"Resource"`
		ReaderConfig json.RawMessage `json:"ReaderConfig"`
		Parameters   json.RawMessage `json:"Parameters"`
		Arguments    json.RawMessage `json:"Arguments"`
	}
	if err := json.Unmarshal(k.reader, &reader); err != nil {
		return nil, newErr(ErrItemReaderFailed, rt.stateCause("Invalid ItemReader: "+err.Error()))
	}
	// Arguments (JSONata) or Parameters (JSONPath): Validate refuses the
	// other language's field.
	args := valueField{name: "ItemReader/Parameters", raw: reader.Parameters}
	if len(reader.Arguments) > 0 {
		args = valueField{name: "ItemReader/Arguments", raw: reader.Arguments}
	}
	var params any = map[string]any{}
	if len(args.raw) > 0 {
		var err error
		if params, err = rt.st.proc.value(rt, args, input); err != nil {
			return nil, err
		}
	}
	res := parseResource(reader.Resource)
	key := arn.Integration(res.service, res.action)
	in, ok := f.ex.eng.cfg.Integrations[key]
	if !ok {
		return nil, newErr(ErrItemReaderFailed, rt.stateCause(fmt.Sprintf("The ItemReader resource '%s' is not supported.", reader.Resource)))
	}
	out, err := in.Invoke(ctx, TaskRequest{
		Resource: reader.Resource, Service: res.service, Action: res.action,
		Parameters: json.RawMessage(encodeJSON(params)), ReaderConfig: reader.ReaderConfig,
		StateName: rt.st.Name, ExecutionARN: f.ex.arn,
	})
	if err != nil {
		se := asStatesError(err)
		return nil, newErr(ErrItemReaderFailed, rt.stateCause(se.Error()))
	}
	v, err := decodeJSON(out)
	arr, ok := v.([]any)
	if err != nil || !ok {
		return nil, newErr(ErrItemReaderFailed, rt.stateCause("The ItemReader did not return a JSON array."))
	}
	var cfg struct {
		MaxItems *int64 `json:"MaxItems"`
	}
	if len(reader.ReaderConfig) > 0 && json.Unmarshal(reader.ReaderConfig, &cfg) == nil && cfg.MaxItems != nil && *cfg.MaxItems >= 0 && int64(len(arr)) > *cfg.MaxItems {
		arr = arr[:*cfg.MaxItems]
	}
	return arr, nil
}

// batch groups items as ItemBatcher does: each batch is
// {"Items": [...], "BatchInput": {...}}.
func (k *mapState) batch(rt *runtimeCtx, items []any, input any) ([]any, error) {
	var b struct {
		MaxItemsPerBatch      *int64          `json:"MaxItemsPerBatch"`
		MaxInputBytesPerBatch *int64          `json:"MaxInputBytesPerBatch"`
		BatchInput            json.RawMessage `json:"BatchInput"`
	}
	if err := json.Unmarshal(k.batcher, &b); err != nil {
		return nil, newErr(ErrRuntime, rt.stateCause("Invalid ItemBatcher: "+err.Error()))
	}
	var batchInput map[string]any
	if len(b.BatchInput) > 0 {
		v, err := rt.st.proc.value(rt, valueField{name: "ItemBatcher/BatchInput", raw: b.BatchInput}, input)
		if err != nil {
			return nil, err
		}
		batchInput, _ = v.(map[string]any)
	}
	maxItems := int64(len(items))
	if b.MaxItemsPerBatch != nil && *b.MaxItemsPerBatch > 0 {
		maxItems = *b.MaxItemsPerBatch
	}
	maxBytes := int64(256 * 1024)
	if b.MaxInputBytesPerBatch != nil && *b.MaxInputBytesPerBatch > 0 {
		maxBytes = *b.MaxInputBytesPerBatch
	}
	var out []any
	var cur []any
	var size int64
	flush := func() {
		if len(cur) == 0 {
			return
		}
		batch := map[string]any{"Items": cur}
		if batchInput != nil {
			batch["BatchInput"] = batchInput
		}
		out = append(out, batch)
		cur, size = nil, 0
	}
	for _, it := range items {
		n := int64(len(encodeJSON(it)))
		if len(cur) > 0 && (int64(len(cur)) >= maxItems || size+n > maxBytes) {
			flush()
		}
		cur = append(cur, it)
		size += n
	}
	flush()
	if out == nil {
		out = []any{}
	}
	return out, nil
}
