package sfn

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/imgflow/imgflow/internal/arn"
)

// ItemIterator yields the items an ItemReader reads, one at a time, so
// that a Distributed Map never holds a whole listing: the S3 adapter
// pages ListObjectsV2 (1,000 keys a page) or decodes an object as it
// streams.
type ItemIterator interface {
	// Next returns the next item as JSON; ok is false after the last.
	Next(ctx context.Context) (item json.RawMessage, ok bool, err error)
	// Close releases the iterator (an open object, a listing).
	Close() error
}

// ItemReaderIntegration is an Integration that can stream ItemReader
// items. The engine calls ReadItems with the ItemReader's Resource,
// evaluated Parameters (or Arguments) and ReaderConfig; an integration
// without it is called through Invoke and must return a JSON array.
type ItemReaderIntegration interface {
	Integration
	ReadItems(ctx context.Context, req TaskRequest) (ItemIterator, error)
}

// ItemCounter is an ItemReaderIntegration that can count a reader's
// items without keeping them (the S3 adapter pages the listing once
// more), so that a Map Run's totals and progress are known early, as on
// AWS, which reads the whole listing before it starts children.
type ItemCounter interface {
	CountItems(ctx context.Context, req TaskRequest) (int64, error)
}

// itemSource yields a Map's items decoded, with ok false at the end.
type itemSource interface {
	next(ctx context.Context) (item any, ok bool, err error)
	close() error
}

// sliceSource yields the items of an array in memory (ItemsPath, Items,
// or an ItemReader integration without ReadItems).
type sliceSource struct {
	items []any
	i     int
}

func (s *sliceSource) next(context.Context) (any, bool, error) {
	if s.i >= len(s.items) {
		return nil, false, nil
	}
	s.i++
	return s.items[s.i-1], true, nil
}

func (s *sliceSource) close() error { return nil }

// readerSource decodes an ItemIterator's items, at most max of them
// (ReaderConfig.MaxItems; -1: no limit).
type readerSource struct {
	it   ItemIterator
	max  int64
	read int64
	// count counts the items ahead (nil: the integration cannot).
	count func(ctx context.Context) (int64, error)
}

// readerCount is a streamed source's count-ahead, if it has one.
func readerCount(src itemSource) func(ctx context.Context) (int64, error) {
	for {
		switch s := src.(type) {
		case *batchSource:
			src = s.src
		case *selectSource:
			src = s.src
		case *readerSource:
			return s.count
		default:
			return nil
		}
	}
}

func (s *readerSource) next(ctx context.Context) (any, bool, error) {
	if s.max >= 0 && s.read >= s.max {
		return nil, false, nil
	}
	raw, ok, err := s.it.Next(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, false, fmt.Errorf("item %d: %w", s.read, err)
	}
	s.read++
	return v, true, nil
}

func (s *readerSource) close() error { return s.it.Close() }

// itemReaderSpec is a parsed ItemReader field.
type itemReaderSpec struct {
	Resource     string          `json:"Resource"`
	ReaderConfig json.RawMessage `json:"ReaderConfig"`
	Parameters   json.RawMessage `json:"Parameters"`
	Arguments    json.RawMessage `json:"Arguments"`
}

// openReader opens the ItemReader integration as an item source. Its
// errors are States.ItemReaderFailed.
func (k *mapState) openReader(ctx context.Context, f *frame, rt *runtimeCtx, input any) (itemSource, error) {
	var reader itemReaderSpec
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
	in, ok := f.ex.eng.cfg.Integrations[arn.Integration(res.service, res.action)]
	if !ok {
		return nil, newErr(ErrItemReaderFailed, rt.stateCause(fmt.Sprintf("The ItemReader resource '%s' is not supported.", reader.Resource)))
	}
	req := TaskRequest{
		Resource: reader.Resource, Service: res.service, Action: res.action,
		Parameters: json.RawMessage(encodeJSON(params)), ReaderConfig: reader.ReaderConfig,
		StateName: rt.st.Name, ExecutionARN: f.ex.arn,
	}
	maxItems := readerMaxItems(reader.ReaderConfig)
	if ri, ok := in.(ItemReaderIntegration); ok {
		it, err := ri.ReadItems(ctx, req)
		if err != nil {
			return nil, newErr(ErrItemReaderFailed, rt.stateCause(asStatesError(err).Error()))
		}
		rs := &readerSource{it: it, max: maxItems}
		if c, ok := in.(ItemCounter); ok {
			rs.count = func(ctx context.Context) (int64, error) {
				n, err := c.CountItems(ctx, req)
				if maxItems >= 0 {
					n = min(n, maxItems)
				}
				return n, err
			}
		}
		return rs, nil
	}
	out, err := in.Invoke(ctx, req)
	if err != nil {
		return nil, newErr(ErrItemReaderFailed, rt.stateCause(asStatesError(err).Error()))
	}
	v, err := decodeJSON(out)
	arr, ok := v.([]any)
	if err != nil || !ok {
		return nil, newErr(ErrItemReaderFailed, rt.stateCause("The ItemReader did not return a JSON array."))
	}
	if maxItems >= 0 && int64(len(arr)) > maxItems {
		arr = arr[:maxItems]
	}
	return &sliceSource{items: arr}, nil
}

// readerMaxItems is ReaderConfig.MaxItems, -1 when absent.
func readerMaxItems(cfg json.RawMessage) int64 {
	var c struct {
		MaxItems *int64 `json:"MaxItems"`
	}
	if len(cfg) == 0 || json.Unmarshal(cfg, &c) != nil || c.MaxItems == nil || *c.MaxItems < 0 {
		return -1
	}
	return *c.MaxItems
}

// readItems reads the whole ItemReader into memory, for an inline Map
// (whose items are one state's payload anyway).
func (k *mapState) readItems(ctx context.Context, f *frame, rt *runtimeCtx, input any) ([]any, error) {
	src, err := k.openReader(ctx, f, rt, input)
	if err != nil {
		return nil, err
	}
	defer src.close()
	items := []any{}
	for {
		v, ok, err := src.next(ctx)
		if err != nil {
			return nil, newErr(ErrItemReaderFailed, rt.stateCause(asStatesError(err).Error()))
		}
		if !ok {
			return items, nil
		}
		items = append(items, v)
	}
}

// batcher is a parsed ItemBatcher with its BatchInput evaluated.
type batcher struct {
	maxItems, maxBytes int64
	batchInput         map[string]any
}

// newBatcher reads the ItemBatcher field (nil when the Map has none).
func (k *mapState) newBatcher(rt *runtimeCtx, input any) (*batcher, error) {
	if len(k.batcher) == 0 {
		return nil, nil
	}
	var b struct {
		MaxItemsPerBatch      *int64          `json:"MaxItemsPerBatch"`
		MaxInputBytesPerBatch *int64          `json:"MaxInputBytesPerBatch"`
		BatchInput            json.RawMessage `json:"BatchInput"`
	}
	if err := json.Unmarshal(k.batcher, &b); err != nil {
		return nil, newErr(ErrRuntime, rt.stateCause("Invalid ItemBatcher: "+err.Error()))
	}
	out := &batcher{maxItems: -1, maxBytes: 256 * 1024}
	if len(b.BatchInput) > 0 {
		v, err := rt.st.proc.value(rt, valueField{name: "ItemBatcher/BatchInput", raw: b.BatchInput}, input)
		if err != nil {
			return nil, err
		}
		out.batchInput, _ = v.(map[string]any)
	}
	if b.MaxItemsPerBatch != nil && *b.MaxItemsPerBatch > 0 {
		out.maxItems = *b.MaxItemsPerBatch
	}
	if b.MaxInputBytesPerBatch != nil && *b.MaxInputBytesPerBatch > 0 {
		out.maxBytes = *b.MaxInputBytesPerBatch
	}
	return out, nil
}

// batchSource groups the items of src as ItemBatcher does: each batch is
// {"Items": [...], "BatchInput": {...}}, at most maxItems items and
// maxBytes bytes of items (a single larger item is a batch of its own).
type batchSource struct {
	src  itemSource
	b    *batcher
	held any // the item that did not fit the previous batch
	has  bool
	// lastLen is the number of items in the batch next returned.
	lastLen int64
}

func (s *batchSource) next(ctx context.Context) (any, bool, error) {
	var cur []any
	var size int64
	for {
		it, ok := s.held, s.has
		s.has = false
		if !ok {
			var err error
			if it, ok, err = s.src.next(ctx); err != nil {
				return nil, false, err
			}
		}
		if !ok {
			break
		}
		n := int64(len(encodeJSON(it)))
		if len(cur) > 0 && ((s.b.maxItems > 0 && int64(len(cur)) >= s.b.maxItems) || size+n > s.b.maxBytes) {
			s.held, s.has = it, true
			break
		}
		cur = append(cur, it)
		size += n
	}
	s.lastLen = int64(len(cur))
	if len(cur) == 0 {
		return nil, false, nil
	}
	batch := map[string]any{"Items": cur}
	if s.b.batchInput != nil {
		batch["BatchInput"] = s.b.batchInput
	}
	return batch, true, nil
}

func (s *batchSource) close() error { return s.src.close() }

// batch groups an inline Map's items (see batchSource).
func (k *mapState) batch(rt *runtimeCtx, items []any, input any) ([]any, error) {
	b, err := k.newBatcher(rt, input)
	if err != nil || b == nil {
		return items, err
	}
	bs := &batchSource{src: &sliceSource{items: items}, b: b}
	out := []any{}
	for {
		v, ok, _ := bs.next(context.Background())
		if !ok {
			return out, nil
		}
		out = append(out, v)
	}
}
