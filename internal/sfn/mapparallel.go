package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// runParallel runs every branch with the same input and collects the
// outputs in branch order.
func (f *frame) runParallel(ctx context.Context, rt *runtimeCtx, input any) (any, error) {
	st := rt.st
	if err := f.emit("ParallelStateStarted", nil); err != nil {
		return nil, err
	}
	out := make([]any, len(st.Branches))
	err := f.fanOut(ctx, len(st.Branches), 0, f.replaying, func(ctx context.Context, i int, p *parker) error {
		child := f.child(st.Branches[i], f.prev, p)
		child.inParallel = true
		v, err := child.run(ctx, input)
		out[i] = v
		return err
	})
	f.afterFanOut()
	if err != nil {
		if errors.Is(err, errReplayAborted) {
			return nil, err
		}
		se := asStatesError(err)
		if ctx.Err() != nil || se.Name == ErrRuntime {
			return nil, se
		}
		rt.failedEvent = "ParallelStateFailed"
		return nil, se
	}
	if _, err := f.emitDetached(f.hist.lastID(), "ParallelStateSucceeded", nil); err != nil {
		return nil, err
	}
	return out, nil
}

// fanOut runs n jobs with at most limit at a time (0 = engine cap). The
// first failure cancels the rest and is returned. With replay the jobs'
// frames replay a record first (see replayFanOut); p is then their
// parker, nil otherwise.
func (f *frame) fanOut(ctx context.Context, n, limit int, replay bool, job func(ctx context.Context, i int, p *parker) error) error {
	cfg := f.ex.eng.cfg
	if limit <= 0 || limit > cfg.MaxMapConcurrency {
		limit = cfg.MaxMapConcurrency
	}
	if cfg.Sequential {
		limit = 1
	}
	if replay {
		return f.replayFanOut(ctx, n, limit, job)
	}
	if limit == 1 || n <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := job(ctx, i, nil); err != nil {
				return err
			}
		}
		return nil
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-cctx.Done():
		}
		if cctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = newErrf(ErrRuntime, "internal error: %v", r)
					}
				}()
				return job(cctx, i, nil)
			}()
			if err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
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
func (f *frame) readItems(ctx context.Context, rt *runtimeCtx, input any) ([]any, error) {
	var reader struct {
		Resource     string          `json:"Resource"`
		ReaderConfig json.RawMessage `json:"ReaderConfig"`
		Parameters   json.RawMessage `json:"Parameters"`
		Arguments    json.RawMessage `json:"Arguments"`
	}
	if err := json.Unmarshal(rt.st.ItemReader, &reader); err != nil {
		return nil, newErr(ErrItemReaderFailed, rt.stateCause("Invalid ItemReader: "+err.Error()))
	}
	var params any = map[string]any{}
	switch {
	case rt.st.ql == JSONata && len(reader.Arguments) > 0:
		v, err := rt.jsonata(input, nil).evalRaw(reader.Arguments, "ItemReader/Arguments")
		if err != nil {
			return nil, err
		}
		params = v
	case len(reader.Parameters) > 0:
		t, err := compileTmpl(reader.Parameters)
		if err != nil {
			return nil, err
		}
		if params, err = t.eval(rt.scope(input), rt); err != nil {
			return nil, err
		}
	}
	res := parseResource(reader.Resource)
	key := "arn:aws:states:::" + res.service + ":" + res.action
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

// batchItems groups items as ItemBatcher does: each batch is
// {"Items": [...], "BatchInput": {...}}.
func batchItems(rt *runtimeCtx, raw json.RawMessage, items []any, input any) ([]any, error) {
	var b struct {
		MaxItemsPerBatch      *int64          `json:"MaxItemsPerBatch"`
		MaxInputBytesPerBatch *int64          `json:"MaxInputBytesPerBatch"`
		BatchInput            json.RawMessage `json:"BatchInput"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, newErr(ErrRuntime, rt.stateCause("Invalid ItemBatcher: "+err.Error()))
	}
	var batchInput map[string]any
	if len(b.BatchInput) > 0 {
		var v any
		var err error
		if rt.st.ql == JSONata {
			v, err = rt.jsonata(input, nil).evalRaw(b.BatchInput, "ItemBatcher/BatchInput")
		} else {
			var t *tmpl
			if t, err = compileTmpl(b.BatchInput); err == nil {
				v, err = t.eval(rt.scope(input), rt)
			}
		}
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
