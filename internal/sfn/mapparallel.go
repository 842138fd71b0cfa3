package sfn

import (
	"context"
	"encoding/json"
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
	err := f.fanOut(ctx, len(st.Branches), 0, func(ctx context.Context, i int) error {
		child := &frame{ex: f.ex, hist: f.hist, def: st.Branches[i], vars: newVarScope(f.vars), prev: f.prev, inParallel: true}
		v, err := child.run(ctx, input)
		out[i] = v
		return err
	})
	f.prev = f.hist.lastID()
	if err != nil {
		se := asStatesError(err)
		if ctx.Err() != nil || se.Name == ErrRuntime {
			return nil, se
		}
		return nil, withPending(se, "ParallelStateFailed")
	}
	if err := f.emit("ParallelStateSucceeded", nil); err != nil {
		return nil, err
	}
	return out, nil
}

// fanOut runs n jobs with at most limit at a time (0 = engine cap). The
// first failure cancels the rest and is returned. onFail, if set, decides
// whether a failure is tolerated.
func (f *frame) fanOut(ctx context.Context, n, limit int, job func(ctx context.Context, i int) error) error {
	cfg := f.ex.eng.cfg
	if limit <= 0 || limit > cfg.MaxMapConcurrency {
		limit = cfg.MaxMapConcurrency
	}
	if cfg.Sequential || limit == 1 || n <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := job(ctx, i); err != nil {
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
			if err := job(cctx, i); err != nil {
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

// runMap runs the item processor once per item.
func (f *frame) runMap(ctx context.Context, rt *runtimeCtx, input any) (any, error) {
	st := rt.st
	proc := st.ItemProcessor
	if proc == nil {
		return nil, newErr(ErrRuntime, rt.stateCause("Map state has no ItemProcessor"))
	}
	// Items
	var items []any
	if st.ql == JSONata {
		var v any = input
		if len(st.Items) > 0 {
			env := rt.jsonata(input, nil)
			raw, _ := decodeJSON(st.Items)
			if s, ok := raw.(string); ok {
				if expr, ok := isJSONataExpr(s); ok {
					x, err := env.eval(expr)
					if err != nil {
						if _, undef := err.(undefinedError); undef {
							return nil, f.mapFail(rt, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned nothing (undefined).", expr)))
						}
						return nil, f.mapFail(rt, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' threw an error during evaluation. %s", expr, jsonataErrText(err))))
					}
					y, ok := fromJSONata(x)
					if !ok {
						return nil, f.mapFail(rt, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unsupported result type.", expr)))
					}
					if _, isArr := y.([]any); !isArr {
						return nil, f.mapFail(rt, env.qerr("Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", expr, typeName(y), encodeJSON(y))))
					}
					v = y
				} else {
					v = raw
				}
			} else {
				x, err := env.evalValue(raw, "Items")
				if err != nil {
					return nil, f.mapFail(rt, err)
				}
				v = x
			}
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, f.mapFail(rt, rt.qerrNoLoc(fmt.Sprintf("Map state input must be an array but was: %s", encodeJSON(v))))
		}
		items = arr
	} else {
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
		items = arr
	}
	maxConc, _, err := mapIntParam(rt, st.MaxConcurrency, st.MaxConcurrencyPath, "MaxConcurrency", input)
	if err != nil {
		return nil, err
	}
	if err := f.emit("MapStateStarted", map[string]any{"length": len(items)}); err != nil {
		return nil, err
	}
	tolCount, hasCount, err := mapIntParam(rt, st.ToleratedFailureCount, st.ToleratedFailureCountPath, "ToleratedFailureCount", input)
	if err != nil {
		return nil, err
	}
	if hasCount && tolCount < 0 {
		return nil, newErr(ErrRuntime, rt.stateCause("ToleratedFailureCount cannot be negative."))
	}
	tolPct, hasPct, err := mapIntParam(rt, st.ToleratedFailurePercentage, st.ToleratedFailurePercentagePath, "ToleratedFailurePercentage", input)
	if err != nil {
		return nil, err
	}
	if hasPct && (tolPct < 0 || tolPct > 100000) {
		return nil, newErr(ErrRuntime, rt.stateCause("ToleratedFailurePercentage must be between 0 and 100."))
	}
	distributed := proc.ProcessorConfig != nil && proc.ProcessorConfig.Mode == "DISTRIBUTED"
	if distributed {
		mapRunARN := fmt.Sprintf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", f.ex.eng.cfg.Region, f.ex.eng.cfg.AccountID, f.ex.opts.StateMachineName, st.Name, f.ex.eng.cfg.NewUUID())
		if err := f.emit("MapRunStarted", map[string]any{"mapRunArn": mapRunARN}); err != nil {
			return nil, err
		}
	}

	out := make([]any, len(items))
	var mu sync.Mutex
	failures := 0
	tolerated := func() bool {
		if hasCount && int64(failures) <= tolCount {
			return true
		}
		if hasPct && len(items) > 0 && int64(failures)*100000 <= tolPct*int64(len(items)) {
			return true
		}
		return false
	}
	err = f.fanOut(ctx, len(items), int(maxConc), func(ctx context.Context, i int) error {
		item := map[string]any{"Index": json.Number(itoa(i)), "Value": items[i]}
		hist := f.hist
		if distributed {
			hist = &history{clock: f.ex.eng.cfg.Clock}
		}
		child := &frame{ex: f.ex, hist: hist, def: proc, vars: newVarScope(f.vars), prev: f.prev, mapItem: item}
		irt := &runtimeCtx{f: child, st: st, enteredID: rt.enteredID, enteredTime: rt.enteredTime, rand: rt.rand}
		var itemIn any = items[i]
		switch {
		case st.ql == JSONata && len(st.ItemSelector) > 0:
			env := irt.jsonata(input, nil)
			v, err := env.evalRaw(st.ItemSelector, "ItemSelector")
			if err != nil {
				return err
			}
			itemIn = v
		case st.itemSel != nil:
			v, err := st.itemSel.eval(irt.scope(input), irt)
			if err != nil {
				return err
			}
			itemIn = v
		case st.params != nil:
			v, err := st.params.eval(irt.scope(input), irt)
			if err != nil {
				return err
			}
			itemIn = v
		}
		d := map[string]any{"index": i, "name": st.Name}
		if !distributed {
			if err := child.emit("MapIterationStarted", d); err != nil {
				return err
			}
		}
		v, err := child.run(ctx, itemIn)
		if err != nil {
			if ctx.Err() != nil {
				if !distributed {
					_ = child.emit("MapIterationAborted", d)
				}
				return err
			}
			if !distributed {
				_ = child.emit("MapIterationFailed", d)
			}
			mu.Lock()
			failures++
			ok := tolerated()
			mu.Unlock()
			if ok {
				se := asStatesError(err)
				out[i] = map[string]any{"Error": se.Name, "Cause": se.Cause}
				return nil
			}
			if hasCount || hasPct {
				return newErr(ErrExceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
			}
			return err
		}
		out[i] = v
		if !distributed {
			return child.emit("MapIterationSucceeded", d)
		}
		return nil
	})
	f.prev = f.hist.lastID()
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		se := asStatesError(err)
		if se.Name == ErrRuntime {
			return nil, se
		}
		if distributed {
			_ = f.emit("MapRunFailed", nil)
		}
		return nil, f.mapFail(rt, se)
	}
	if distributed {
		if err := f.emit("MapRunSucceeded", nil); err != nil {
			return nil, err
		}
	}
	if err := f.emit("MapStateSucceeded", nil); err != nil {
		return nil, err
	}
	return out, nil
}

// mapFail records the EvaluationFailed event (if any) and leaves the
// MapStateFailed event pending until the state stops retrying.
func (f *frame) mapFail(rt *runtimeCtx, err error) error {
	se := asStatesError(err)
	f.reportEvalFailure(rt, se)
	return withPending(se, "MapStateFailed")
}

// withPending returns a copy of se that will record ev when the state
// gives up.
func withPending(se *StatesError, ev string) *StatesError {
	c := *se
	c.pendingEvent = ev
	return &c
}

func (rt *runtimeCtx) qerrNoLoc(msg string) *StatesError {
	e := newErr(ErrQueryEvaluationError, rt.stateCause(msg))
	e.evalFailed = true
	return e
}
